#!/usr/bin/env bash
# Alternates `switchyard perf` between two builds, run by run, and prints each run and the
# per-batch medians: on a VM whose speed drifts within minutes, only alternated runs compare builds.
#
# usage: scripts/perf-ab.sh OLD_BINARY NEW_BINARY [ROUNDS (3)] [BATCHES (1,8,32,64)] [MODEL (models/bench; a directory
#        or a GGUF file)] [PROMPT_LEN (perf's default)] [GEN_LEN (perf's default)]
# e.g.   git stash; swift build -c release; cp .build/release/switchyard /tmp/old; git stash pop
#        swift build -c release; scripts/perf-ab.sh /tmp/old .build/release/switchyard
set -euo pipefail
old=${1:?old binary}; new=${2:?new binary}
rounds=${3:-3}; batches=${4:-1,8,32,64}; model=${5:-models/bench}
lengths=(); [ -n "${6:-}" ] && lengths+=(--prompt-len "$6"); [ -n "${7:-}" ] && lengths+=(--gen-len "$7")
out=$(mktemp -d)
for round in $(seq 1 "$rounds"); do
    for name in old new; do
        bin=$old; [ "$name" = new ] && bin=$new
        "$bin" perf --model "$model" --batch "$batches" --threads 2 "${lengths[@]}" --json >"$out/$name-$round.json"
    done
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
runs = {n: [json.load(open(f"{out}/{n}-{r}.json")) for r in range(1, rounds + 1)] for n in ("old", "new")}
for r in range(rounds):
    for n in ("old", "new"):
        d = runs[n][r]
        cells = " ".join(f"b{x['batch']} prefill {x['prefill_tok_s']:.0f} decode {x['decode_tok_s']:.1f}" for x in d["results"])
        print(f"round {r + 1} {n}: {cells} | sgemm {d['limits']['sgemm_gflops']:.0f} GFLOP/s, memory {d['limits']['mem_read_gbs']:.1f} GB/s")
print("median decode tok/s (new / old), median prefill tok/s (new / old); decode new / old per round:")
for i, res in enumerate(runs["old"][0]["results"]):
    med = {n: [statistics.median(d["results"][i][k] for d in runs[n]) for k in ("decode_tok_s", "prefill_tok_s")] for n in runs}
    print(f"  batch {res['batch']}: decode {med['new'][0]:.1f} / {med['old'][0]:.1f} = {med['new'][0] / med['old'][0]:.2f}, "
          f"prefill {med['new'][1]:.0f} / {med['old'][1]:.0f} = {med['new'][1] / med['old'][1]:.2f}; rounds "
          + ", ".join(f"{runs['new'][r]['results'][i]['decode_tok_s'] / runs['old'][r]['results'][i]['decode_tok_s']:.2f}" for r in range(rounds)))
PY
