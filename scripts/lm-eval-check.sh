#!/usr/bin/env bash
# lm-evaluation-harness against `switchyard serve`: installs lm_eval (API extra only, no torch) in a
# venv under .build/, serves the committed checkpoint of scripts/lm_eval_fixture/ and runs
# scripts/lm_eval_client_test.py. Prints "skip: reason" and exits 0 when PyPI is unreachable.
# Usage: scripts/lm-eval-check.sh PATH/TO/switchyard
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$1"
venv=".build/lm-eval-venv"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if ! "$venv/bin/python" -c "import lm_eval, requests, aiohttp, tenacity" 2>/dev/null; then
    python3 -m venv "$venv"
    if ! "$venv/bin/pip" install -q --disable-pip-version-check "lm_eval[api]==0.4.13" >"$work/pip.log" 2>&1; then
        echo "skip: cannot install lm_eval from PyPI ($(tail -1 "$work/pip.log"))"
        exit 0
    fi
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The fixture is bf16 and the reference is lm-eval's `hf` model in float: the exact bf16 path (f32
# activations), not vdpbf16ps's bf16-rounded ones, is what matches it within 1e-3.
SWITCHYARD_BF16_DOT=0 "$bin" serve --model scripts/lm_eval_fixture/model --port "$port" --threads 1 --served-model-name tiny-mc >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
    if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/serve.log"; echo "serve exited early" >&2; exit 1; fi
    sleep 0.1
done
export HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
if ! timeout 300 "$venv/bin/python" scripts/lm_eval_client_test.py "http://127.0.0.1:$port" tiny-mc >"$work/lm_eval.log" 2>&1; then
    cat "$work/lm_eval.log" "$work/serve.log"
    exit 1
fi
tail -1 "$work/lm_eval.log"
