#!/usr/bin/env bash
# Starts `switchyard serve` on a tiny model, drives it with the official openai Python client (and
# LangChain's ChatOpenAI when it can be installed) and load-tests it with `switchyard bench`, then
# checks that SIGTERM exits 0.
# Usage: scripts/serving-e2e.sh PATH/TO/switchyard
set -euo pipefail
bin="$1"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if ! python3 -c "import openai" 2>/dev/null; then
    echo "serving-e2e: installing the openai Python package"
    python3 -m pip install -q openai >/dev/null
fi
# LangChain is optional: without PyPI the client script prints "skip: ..." for its part.
if ! python3 -c "import langchain_openai" 2>/dev/null; then
    echo "serving-e2e: installing langchain-openai"
    python3 -m pip install -q langchain-openai >/dev/null 2>&1 || echo "serving-e2e: could not install langchain-openai"
fi

"$bin" init-model --family mixtral --preset tiny --seed 7 --out "$work/model" >/dev/null
# init-model's tokenizer has no chat template: give the test model a ChatML one (with Hermes-style
# tools) in tokenizer_config.json, where Hugging Face models keep theirs.
python3 - "$work/model/tokenizer_config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["chat_template"] = (
    "{%- if tools %}<|im_start|>system\n# Tools\n<tools>\n{% for tool in tools %}{{ tool | tojson }}\n{% endfor %}</tools>\n"
    "Call a tool as <tool_call>{\"name\": ..., \"arguments\": {...}}</tool_call><|im_end|>\n{% endif %}"
    "{%- for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
json.dump(config, open(path, "w"), indent=2)
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --model "$work/model" --port "$port" --threads 1 --served-model-name tiny >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
    if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/serve.log"; echo "serve exited early" >&2; exit 1; fi
    sleep 0.1
done
vocab=$(python3 -c "import json,sys; print(json.load(open('$work/model/config.json'))['vocab_size'])")
if ! timeout 120 python3 scripts/openai_client_test.py "http://127.0.0.1:$port/v1" tiny "$vocab"; then
    cat "$work/serve.log"
    exit 1
fi
# The bundled load tester against the same server: exact counts and vLLM's result keys.
"$bin" bench --url "http://127.0.0.1:$port" --num-prompts 24 --max-concurrency 6 --request-rate 50 --seed 3 \
    --input-len 12 --output-len 6 --vocab-size "$vocab" --result-json "$work/bench.json" --quiet >"$work/bench.log" 2>&1 \
    || { cat "$work/bench.log"; echo "serving-e2e: bench failed" >&2; exit 1; }
python3 - "$work/bench.json" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
assert result["completed"] == 24 and result["failed"] == 0, {k: result.get(k) for k in ("completed", "failed")}
for key in ("duration", "request_throughput", "output_throughput", "total_token_throughput"):
    assert result[key] > 0, key
for metric in ("ttft", "tpot", "itl", "e2el"):
    for stat in ("mean", "median", "p90", "p99", "max"):
        assert f"{stat}_{metric}_ms" in result, f"{stat}_{metric}_ms"
assert result["total_output_tokens"] == 24 * 6, result["total_output_tokens"]
print(f"serving-e2e: bench ok ({result['output_throughput']:.0f} output tok/s on the tiny model, debug build)")
PY
# SIGTERM: graceful shutdown exits 0.
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
if [ "$status" -ne 0 ]; then cat "$work/serve.log"; echo "serve exited $status after SIGTERM" >&2; exit 1; fi
echo "serving-e2e: serve stopped cleanly on SIGTERM"
