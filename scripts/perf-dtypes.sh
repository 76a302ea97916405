#!/usr/bin/env bash
# `switchyard perf` on one checkpoint in several weight formats, alternating format by format in
# each round (a shared VM drifts within minutes: only alternated runs compare), then per format
# the median decode / prefill tok/s per batch and the weight bytes.
#
# usage: scripts/perf-dtypes.sh [BINARY (.build/release/switchyard)] [MODEL (models/bench)]
#                               [DTYPES (f32,bf16,q8_0,q4_0,q4_K)] [ROUNDS (3)] [BATCHES (1,64)]
# e.g.   swift build -c release && switchyard init-model --family mixtral --preset bench --out models/bench
#        scripts/perf-dtypes.sh
set -euo pipefail
bin=${1:-.build/release/switchyard}; model=${2:-models/bench}
dtypes=${3:-f32,bf16,q8_0,q4_0,q4_K}; rounds=${4:-3}; batches=${5:-1,64}
out=$(mktemp -d)
grep -o -w -E 'avx2|fma|f16c|avx512f|avx512_bf16|avx512_vnni|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
for round in $(seq 1 "$rounds"); do
    for dtype in ${dtypes//,/ }; do
        "$bin" perf --model "$model" --dtype "$dtype" --batch "$batches" --threads 2 --json >"$out/$dtype-$round.json"
    done
done
python3 - "$out" "$rounds" "$dtypes" <<'PY'
import json, statistics, sys
out, rounds, dtypes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
runs = {d: [json.load(open(f"{out}/{d}-{r}.json")) for r in range(1, rounds + 1)] for d in dtypes}
first = runs[dtypes[0]][0]
print(f"machine: sgemm {first['limits']['sgemm_gflops']:.0f} GFLOP/s, memory read {first['limits']['mem_read_gbs']:.1f} GB/s")
print("| dtype | " + " | ".join(f"batch {x['batch']} decode tok/s | batch {x['batch']} prefill tok/s" for x in first["results"]) + " |")
print("| --- |" + " --- | --- |" * len(first["results"]))
for d in dtypes:
    cells = []
    for i in range(len(first["results"])):
        cells.append(f"{statistics.median(run['results'][i]['decode_tok_s'] for run in runs[d]):.1f}")
        cells.append(f"{statistics.median(run['results'][i]['prefill_tok_s'] for run in runs[d]):.0f}")
    print(f"| {d} | " + " | ".join(cells) + " |")
PY
