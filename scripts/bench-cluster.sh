#!/usr/bin/env bash
# Serving and expert-parallel benchmarks on the bench preset (release build), on this machine:
#   1. `switchyard perf` at batch 64 (the engine alone),
#   2. `switchyard serve` + `switchyard bench` at 64 concurrent streams (serving overhead),
#   3. `switchyard up --workers 2` + the same load (expert parallelism over ZeroMQ on loopback),
# and prints the ratios the issues ask for, plus wire bytes per token per layer.
# Usage: scripts/bench-cluster.sh [MODEL_DIR]   (default models/bench, created when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product switchyard >/dev/null
bin="$(swift build -c release --show-bin-path)/switchyard"
model="${1:-models/bench}"
[ -f "$model/config.json" ] || "$bin" init-model --family mixtral --preset bench --seed 1 --out "$model"
out="$(mktemp -d)"
prompts="${SWITCHYARD_BENCH_PROMPTS:-128}"
concurrency=64
input_len=32
output_len=32

echo "== perf (engine alone, batch $concurrency, 2 BLAS threads)"
"$bin" perf --model "$model" --batch "$concurrency" --prompt-len "$input_len" --gen-len "$output_len" --threads 2 --json | tee "$out/perf.json"

wait_healthy() {
    for _ in $(seq 1 900); do curl -fs "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "server on :$1 never became healthy" >&2; return 1
}
load() {
    "$bin" bench --url "http://127.0.0.1:$1" --num-prompts "$prompts" --max-concurrency "$concurrency" --input-len "$input_len" \
        --output-len "$output_len" --vocab-size 32000 --seed 1 --result-json "$2" --quiet
}

echo "== serve + bench ($concurrency streams)"
"$bin" serve --model "$model" --port 18700 --threads 2 --max-num-seqs "$concurrency" >"$out/serve.log" 2>&1 &
pid=$!
wait_healthy 18700
load 18700 "$out/serve.json"
kill -TERM $pid; wait $pid || true

echo "== up --workers 2 + bench ($concurrency streams)"
"$bin" up --model "$model" --workers 2 --port 18701 --zmq-port 15701 --router-threads 1 --worker-threads 1 \
    -- --max-num-seqs "$concurrency" >"$out/up.log" 2>&1 &
pid=$!
wait_healthy 18701
curl -s http://127.0.0.1:18701/v1/cluster >"$out/cluster-before.json"
load 18701 "$out/up.json"
curl -s http://127.0.0.1:18701/v1/cluster >"$out/cluster-after.json"
kill -INT $pid; wait $pid || true

python3 - "$out" "$model" <<'PY'
import json, sys, os
out, model = sys.argv[1], sys.argv[2]
perf = json.load(open(f"{out}/perf.json"))["results"][0]
serve = json.load(open(f"{out}/serve.json"))
up = json.load(open(f"{out}/up.json"))
before = json.load(open(f"{out}/cluster-before.json"))
after = json.load(open(f"{out}/cluster-after.json"))
config = json.load(open(f"{model}/config.json"))
layers, hidden = config["num_hidden_layers"], config["hidden_size"]
tokens = up["total_input_tokens"] + up["total_output_tokens"]
sent = after["bytes_sent"] - before["bytes_sent"]
received = after["bytes_received"] - before["bytes_received"]
print(f"perf decode tok/s at batch 64:          {perf['decode_tok_s']:.1f}")
print(f"perf end-to-end output tok/s (prefill + decode of the same work): {perf['e2e_output_tok_s']:.1f}")
print(f"serve output tok/s (64 streams):         {serve['output_throughput']:.1f}  "
      f"({serve['output_throughput'] / perf['e2e_output_tok_s']:.2f} of perf end-to-end, "
      f"{serve['output_throughput'] / perf['decode_tok_s']:.2f} of perf decode alone)")
print(f"up --workers 2 output tok/s:             {up['output_throughput']:.1f}  ({up['output_throughput'] / serve['output_throughput']:.2f} of serve)")
print(f"wire bytes per token per layer: sent {sent / tokens / layers:.0f}, received {received / tokens / layers:.0f}; "
      f"minimum per worker touched {hidden * 4} each way")
print(f"serve median TTFT {serve['median_ttft_ms']:.0f} ms, TPOT {serve['median_tpot_ms']:.1f} ms; "
      f"up median TTFT {up['median_ttft_ms']:.0f} ms, TPOT {up['median_tpot_ms']:.1f} ms")
PY
echo "results in $out"
