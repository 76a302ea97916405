# shellcheck shell=bash
# The steps of the SmolLM2 demo, sourced by scripts/run-demo.sh (`make run`) and by
# scripts/demo-test.sh (`make test`), so the test runs exactly the commands the demo runs.
# Functions only; the caller sets `set -euo pipefail` and its own traps.

# The demo's MoE: every expert a copy of the dense FFN, 8 per layer, each token routed to 2.
demo_experts=8
demo_top_k=2

# demo_upcycle BIN GGUF OUT: upcycles the dense GGUF into the demo's MoE checkpoint in OUT.
demo_upcycle() {
    "$1" upcycle --model "$2" --out "$3" --experts "$demo_experts" --top-k "$demo_top_k" --mode copy --seed 1 --overwrite
}

# demo_up BIN MODEL PORT ZMQ_PORT: starts a router and 2 workers (`switchyard up`) in the
# background and sets demo_up_pid; demo_stop stops them.
demo_up() {
    "$1" up --model "$2" --workers 2 --port "$3" --zmq-port "$4" &
    demo_up_pid=$!
}

# demo_stop: Ctrl-C to `up` (it stops the router and the workers) and waits for it.
demo_stop() {
    if [ -n "${demo_up_pid:-}" ]; then
        kill -INT "$demo_up_pid" 2>/dev/null || true
        wait "$demo_up_pid" 2>/dev/null || true
        demo_up_pid=""
    fi
}

# demo_wait_healthy PORT SECONDS: waits until /health answers 200 (every expert has a worker);
# fails when `up` exits first or the time runs out.
demo_wait_healthy() {
    local deadline=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if curl -fs --max-time 5 "http://127.0.0.1:$1/health" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$demo_up_pid" 2>/dev/null; then echo "demo: the cluster exited early" >&2; return 1; fi
        sleep 0.2
    done
    echo "demo: the cluster did not become healthy in $2 s" >&2
    return 1
}

# demo_chat PORT QUESTION: asks QUESTION over /v1/chat/completions (greedy, at most 48 tokens) and
# prints the assistant's answer, or the response when it is not a chat completion (then fails).
demo_chat() {
    curl -s --max-time "${DEMO_CHAT_TIMEOUT:-300}" "http://127.0.0.1:$1/v1/chat/completions" -H 'Content-Type: application/json' \
        -d "$(python3 -c 'import json,sys; print(json.dumps({"messages": [{"role": "user", "content": sys.argv[1]}], "max_tokens": 48, "temperature": 0}))' "$2")" |
        python3 -c '
import json, sys
text = sys.stdin.read()
try:
    print(json.loads(text)["choices"][0]["message"]["content"])
except (ValueError, KeyError, IndexError, TypeError):
    print("no chat completion: %r" % text[:500])
    sys.exit(1)'
}
