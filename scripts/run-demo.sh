#!/usr/bin/env bash
# The README's run command: builds Switchyard (release), creates the `bench` demo model when it is
# missing, starts a router and two workers on this machine with `switchyard up`, sends a few
# completions (one streamed), prints them, and stops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release --product switchyard
bin="$(swift build -c release --show-bin-path)/switchyard"
"$bin" doctor

model="${SWITCHYARD_DEMO_MODEL:-models/bench}"
if [ ! -f "$model/config.json" ]; then
    echo "run: creating the bench model (Mixtral-shaped, 0.49B parameters, f32) in $model"
    "$bin" init-model --family mixtral --preset bench --seed 1 --out "$model"
fi
if [ ! -f "$model/tokenizer.json" ]; then
    echo "run: adding a tokenizer to $model (written by an older init-model)"
    "$bin" init-model --tokenizer-only --out "$model"
fi

port="${SWITCHYARD_DEMO_PORT:-8000}"
"$bin" up --model "$model" --workers 2 --port "$port" --zmq-port "${SWITCHYARD_DEMO_ZMQ_PORT:-5555}" &
up_pid=$!
trap 'kill -INT $up_pid 2>/dev/null || true; wait $up_pid 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
    if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$up_pid" 2>/dev/null; then echo "run: the cluster exited early" >&2; exit 1; fi
    sleep 0.2
done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { echo "run: the cluster did not become healthy" >&2; exit 1; }

echo
echo "== cluster"
curl -s "http://127.0.0.1:$port/v1/cluster"
echo
for prompt in "[1, 15, 27, 300]" "[2, 2, 2]" "[31999, 7]"; do
    echo "== POST /v1/completions prompt=$prompt"
    curl -s "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
        -d "{\"prompt\": $prompt, \"max_tokens\": 12, \"temperature\": 0, \"return_token_ids\": true}"
    echo
done
echo "== POST /v1/completions with a text prompt and a stop string (random weights: the words are noise)"
curl -s "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
    -d '{"prompt": "Once upon a time, the router", "max_tokens": 16, "temperature": 0, "stop": ["\n\n"]}'
echo
echo "== streamed"
curl -sN "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
    -d '{"prompt": [5, 6, 7], "max_tokens": 6, "stream": true, "stream_options": {"include_usage": true}, "return_token_ids": true}'
echo "run: done; stopping the cluster"
