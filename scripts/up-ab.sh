#!/usr/bin/env bash
# Alternates two builds of `switchyard up --workers 2` (router + 2 workers on loopback) under the
# same `switchyard bench` load, build by build within each round, and prints each run and the
# median output tok/s per concurrency with the new/old ratio. Only alternated runs compare builds
# on a VM whose speed drifts within minutes.
#
# usage: scripts/up-ab.sh OLD_BINARY NEW_BINARY [ROUNDS (3)] [CONCURRENCIES (1,16)] [MODEL (models/bench; a checkpoint directory or a GGUF file)]
set -euo pipefail
old=${1:?old binary}; new=${2:?new binary}
rounds=${3:-3}; concurrencies=${4:-1,16}; model=${5:-models/bench}
[ -e "$model" ] || "$new" init-model --family mixtral --preset bench --seed 1 --out "$model"
out=$(mktemp -d)
wait_healthy() {
    for _ in $(seq 1 900); do curl -fs "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "server on :$1 never became healthy" >&2; return 1
}
for round in $(seq 1 "$rounds"); do
    for name in old new; do
        bin=$old; [ "$name" = new ] && bin=$new
        "$bin" up --model "$model" --workers 2 --port 18790 --zmq-port 15790 >"$out/$name-$round.log" 2>&1 &
        pid=$!
        wait_healthy 18790
        for c in ${concurrencies//,/ }; do
            "$new" bench --url http://127.0.0.1:18790 --num-prompts $((c * 8)) --max-concurrency "$c" --input-len 32 \
                --output-len 32 --vocab-size 32000 --token-prompts --seed 1 --result-json "$out/$name-$round-c$c.json" --quiet >/dev/null
        done
        kill -INT $pid; wait $pid || true
    done
done
python3 - "$out" "$rounds" "$concurrencies" <<'PY'
import json, statistics, sys
out, rounds, cs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
tput = lambda n, r, c: json.load(open(f"{out}/{n}-{r}-c{c}.json"))["output_throughput"]
for r in range(1, rounds + 1):
    print(f"round {r}: " + "  ".join(f"c{c} old {tput('old', r, c):.1f} new {tput('new', r, c):.1f}" for c in cs))
for c in cs:
    o = statistics.median(tput("old", r, c) for r in range(1, rounds + 1))
    n = statistics.median(tput("new", r, c) for r in range(1, rounds + 1))
    print(f"concurrency {c}: median output tok/s new {n:.1f} / old {o:.1f} = {n / o:.2f}")
PY
