#!/usr/bin/env bash
# Serving and expert-parallel benchmarks on the bench preset (release build), on this machine:
#   1. `switchyard perf` at batch 64 (the engine alone),
#   2. `switchyard serve` + `switchyard bench` at 64 concurrent streams (serving overhead),
#   3. `switchyard up --workers 2` + the same load (expert parallelism over ZeroMQ on loopback),
#      with its defaults (micro-batches 1: router and workers share the cores and take turns),
#   4. the same with `--micro-batches 2` (overlap on, as `router` defaults to across machines),
# repeated for several rounds, because this VM's speed drifts by tens of percent within minutes:
# ratios are taken within a round (runs a minute apart) and their median over rounds is printed,
# with wire bytes per token per layer.
# Usage: scripts/bench-cluster.sh [MODEL_DIR]   (default models/bench, created when missing)
#        SWITCHYARD_BENCH_ROUNDS (3), SWITCHYARD_BENCH_PROMPTS (128), SWITCHYARD_BENCH_INPUT_LEN (32) and
#        SWITCHYARD_BENCH_OUTPUT_LEN (32) change the amount of work.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product switchyard >/dev/null
bin="$(swift build -c release --show-bin-path)/switchyard"
model="${1:-models/bench}"
[ -f "$model/config.json" ] || "$bin" init-model --family mixtral --preset bench --seed 1 --out "$model"
out="$(mktemp -d)"
prompts="${SWITCHYARD_BENCH_PROMPTS:-128}"
rounds="${SWITCHYARD_BENCH_ROUNDS:-3}"
concurrency=64
input_len="${SWITCHYARD_BENCH_INPUT_LEN:-32}"
output_len="${SWITCHYARD_BENCH_OUTPUT_LEN:-32}"

wait_healthy() {
    for _ in $(seq 1 900); do curl -fs "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "server on :$1 never became healthy" >&2; return 1
}
load() {
    "$bin" bench --url "http://127.0.0.1:$1" --num-prompts "$prompts" --max-concurrency "$concurrency" --input-len "$input_len" \
        --output-len "$output_len" --vocab-size 32000 --seed 1 --result-json "$2" --quiet >/dev/null
}
# up_run NAME PORT ZMQ_PORT [up flags...]: `up --workers 2` under load, cluster counters around it.
up_run() {
    local name=$1 port=$2 zmq=$3; shift 3
    "$bin" up --model "$model" --workers 2 --port "$port" --zmq-port "$zmq" "$@" -- --max-num-seqs "$concurrency" \
        >"$out/$name.log" 2>&1 &
    local pid=$!
    wait_healthy "$port"
    curl -s "http://127.0.0.1:$port/v1/cluster" >"$out/$name-cluster-before.json"
    load "$port" "$out/$name.json"
    curl -s "http://127.0.0.1:$port/v1/cluster" >"$out/$name-cluster-after.json"
    kill -INT $pid; wait $pid || true
}

for round in $(seq 1 "$rounds"); do
    echo "== round $round of $rounds: perf, serve, up, up --micro-batches 2 ($(uptime | sed 's/.*load/load/'))"
    "$bin" perf --model "$model" --batch "$concurrency" --prompt-len "$input_len" --gen-len "$output_len" --threads 2 --json \
        >"$out/perf-$round.json"
    "$bin" serve --model "$model" --port 18700 --threads 2 --max-num-seqs "$concurrency" >"$out/serve-$round.log" 2>&1 &
    pid=$!
    wait_healthy 18700
    load 18700 "$out/serve-$round.json"
    kill -TERM $pid; wait $pid || true
    up_run "up-$round" 18701 15701
    up_run "upmb2-$round" 18702 15702 --micro-batches 2
done

python3 - "$out" "$model" "$rounds" <<'PY'
import json, statistics, sys
out, model, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
load = lambda name: json.load(open(f"{out}/{name}.json"))
config = json.load(open(f"{model}/config.json"))
layers, hidden = config["num_hidden_layers"], config["hidden_size"]
rows, ratios = [], {"serve/e2e": [], "serve/decode": [], "up/serve": [], "upmb2/serve": []}
for r in range(1, rounds + 1):
    perf = load(f"perf-{r}")
    p = perf["results"][0]
    serve, up, upmb2 = (load(f"{n}-{r}")["output_throughput"] for n in ("serve", "up", "upmb2"))
    rows.append((r, perf["limits"]["sgemm_gflops"], perf["limits"]["mem_read_gbs"], p["decode_tok_s"], p["e2e_output_tok_s"], serve, up, upmb2))
    ratios["serve/e2e"].append(serve / p["e2e_output_tok_s"])
    ratios["serve/decode"].append(serve / p["decode_tok_s"])
    ratios["up/serve"].append(up / serve)
    ratios["upmb2/serve"].append(upmb2 / serve)
print("round  sgemm GF/s  mem GB/s  perf decode  perf e2e  serve  up (mb 1)  up (mb 2)   serve/e2e  up/serve  up mb2/serve")
for (r, sg, mem, dec, e2e, serve, up, upmb2) in rows:
    print(f"{r:5d}  {sg:10.1f}  {mem:8.1f}  {dec:11.1f}  {e2e:8.1f}  {serve:5.1f}  {up:9.1f}  {upmb2:9.1f}   "
          f"{serve / e2e:9.2f}  {up / serve:8.2f}  {upmb2 / serve:12.2f}")
for key, values in ratios.items():
    print(f"median {key}: {statistics.median(values):.2f}  (rounds: {', '.join(f'{v:.2f}' for v in values)})")
up = load(f"up-{rounds}")
before, after = load(f"up-{rounds}-cluster-before"), load(f"up-{rounds}-cluster-after")
tokens = up["total_input_tokens"] + up["total_output_tokens"]
sent, received = after["bytes_sent"] - before["bytes_sent"], after["bytes_received"] - before["bytes_received"]
print(f"wire bytes per token per layer (up, round {rounds}): sent {sent / tokens / layers:.0f}, "
      f"received {received / tokens / layers:.0f}; minimum per worker touched {hidden * 4} each way")
serve = load(f"serve-{rounds}")
print(f"serve median TTFT {serve['median_ttft_ms']:.0f} ms, TPOT {serve['median_tpot_ms']:.1f} ms; "
      f"up median TTFT {up['median_ttft_ms']:.0f} ms, TPOT {up['median_tpot_ms']:.1f} ms (round {rounds})")
PY
echo "results in $out"
