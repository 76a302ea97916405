#!/usr/bin/env bash
# Where `up --workers 2`'s gap to `serve` comes from: runs, in turn within each round, `serve` and
# router-plus-workers variants on this machine under the same `switchyard bench` load (512 requests
# of 32 + 32 tokens, 64 in flight), and prints each run's output tok/s and each variant's median
# ratio to `serve`. Only ratios within a round count on a VM whose speed drifts.
#
# usage: scripts/up-variants.sh SWITCHYARD_BIN MODEL [ROUNDS (3)] [VARIANTS (serve,tcp2,tcp1,ipc2)]
#   NUM_PROMPTS=N in the environment changes the 512 requests per run (fewer, shorter runs
#   alternate more often within the same time: more rounds against a VM whose speed drifts)
#   serve  `serve --threads 2`
#   tcp2   router (2 threads) + 2 workers of 1 thread on tcp://127.0.0.1 (what `up --workers 2`
#          started until 2026-12-07)
#   up2    router (2 threads) + 2 workers of 2 threads whose idle threads sleep at once
#          (SWITCHYARD_SPIN_US=0): what `up --workers 2` starts on 2 cores
#   up2s0  up2 with the router's compute threads sleeping at once as well
#   ipc2   the same on an ipc:// (Unix socket) endpoint
#   tcp1   router (2 threads) + 1 worker of 2 threads: the router/worker split without any split of
#          the experts between workers
#   mb2    tcp2 with two micro-batches in flight (the router's phase overlaps the workers')
#   mb2r1  mb2 with a router of 1 thread
#   tcp2w2 tcp2 with workers of 2 threads each (4 worker threads on 2 cores: when one worker is done
#          with its experts, the other's second thread takes the idle core)
#   tcp2f  tcp2 with f32 rows on the wire (no bf16 rounding, twice the bytes)
#   tcp2rn tcp2 with the router at nice 5 (its HTTP, socket and spinning threads yield to the workers)
#   tcp2wn tcp2 with the workers at nice -5 (needs root)
#   tcp2s0 tcp2 with the router's compute threads sleeping at once when idle (SWITCHYARD_SPIN_US=0),
#          so they do not spin on a core the workers and message threads need
#   mb2s0  mb2 with SWITCHYARD_SPIN_US=0 for the router
#   tcp2x2 tcp2 with every expert cut in two slices (`--expert-slices 2`): each worker holds half of
#          every expert and computes every routed row over half the intermediate size, so the two
#          workers finish a layer together however the gate routes it
#   tcp4x4 router + 4 workers of 1 thread (4 worker processes on 2 cores), experts cut in four
#   up2x2  up2 with every expert cut in two slices (a worker's last unit, which runs on one thread
#          while the other core may idle, is half as long)
#   up2mb2 up2 with two micro-batches in flight, every process's idle threads sleeping at once
#   NAMEB  any variant above with a B suffix (serveB, up2B) runs the binary in $BIN_B instead:
#          a build against another in the same rounds
#   up2z   up2 with workers offering no shared-memory lane (`--no-local-lane`): every dispatch over
#          ZeroMQ on loopback TCP, as `up` ran until 2026-12-07 (up2 uses the lanes)
set -uo pipefail
binA=${1:?switchyard binary}; model=${2:?model}; rounds=${3:-3}; variants=${4:-serve,tcp2,tcp1,ipc2}
out=$(mktemp -d)
port=18795 zmq=15795
wait_healthy() {
    for _ in $(seq 1 900); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "up-variants: $1 never became healthy (logs in $out)" >&2; return 1
}
for round in $(seq 1 "$rounds"); do
    for name in ${variants//,/ }; do
        pids=()
        v=$name bin=$binA
        case $name in *B) bin=${BIN_B:?BIN_B names the binary of the B variants}; v=${name%B} ;; esac
        case $v in
            serve) "$bin" serve --model "$model" --port $port --threads 2 --max-num-seqs 64 >"$out/$name-$round.log" 2>&1 & pids+=($!) ;;
            tcp2|ipc2|tcp1|mb2|mb2r1|tcp2w2|tcp2f|tcp2rn|tcp2wn|tcp2s0|mb2s0|tcp2x2|tcp4x4|up2|up2s0|up2x2|up2mb2|up2z)
                endpoint=tcp://127.0.0.1:$zmq; [ "$v" = ipc2 ] && endpoint=ipc://$out/cluster.sock
                workers=2 threads=1; [ "$v" = tcp1 ] && workers=1 threads=2; [ "$v" = tcp2w2 ] && threads=2
                micro=1 router_threads=2 wire=auto; [ "$v" = tcp2f ] && wire=f32
                router_prefix=(); worker_prefix=()
                [ "$v" = tcp2rn ] && router_prefix=(nice -n 5); [ "$v" = tcp2wn ] && worker_prefix=(nice -n -5)
                case $v in tcp2s0|mb2s0) router_prefix=(env SWITCHYARD_SPIN_US=0) ;; esac
                case $v in mb2|mb2s0) micro=2 ;; mb2r1) micro=2 router_threads=1 ;; esac
                slices=1; [ "$v" = tcp2x2 ] && slices=2; [ "$v" = tcp4x4 ] && slices=4 workers=4
                case $v in up2|up2s0|up2x2|up2mb2|up2z) threads=2 worker_prefix=(env SWITCHYARD_SPIN_US=0) ;; esac
                case $v in up2s0|up2mb2) router_prefix=(env SWITCHYARD_SPIN_US=0) ;; esac
                [ "$v" = up2x2 ] && slices=2; [ "$v" = up2mb2 ] && micro=2
                worker_flags=(); [ "$v" = up2z ] && worker_flags=(--no-local-lane)
                "${router_prefix[@]}" "$bin" router --model "$model" --listen "$endpoint" --port $port --threads $router_threads --micro-batches $micro \
                    --wire-dtype $wire --expert-slices $slices --max-num-seqs 64 >"$out/$name-$round-router.log" 2>&1 & pids+=($!)
                for w in $(seq 1 $workers); do
                    "${worker_prefix[@]}" "$bin" worker --router "$endpoint" --model "$model" --id "worker-$w" --threads $threads --expert-slices $slices "${worker_flags[@]}" \
                        >"$out/$name-$round-worker-$w.log" 2>&1 & pids+=($!)
                done ;;
            *) echo "up-variants: unknown variant $v" >&2; exit 2 ;;
        esac
        if wait_healthy "$name"; then
            "$bin" bench --url "http://127.0.0.1:$port" --num-prompts "${NUM_PROMPTS:-512}" --max-concurrency 64 --input-len 32 \
                --output-len 32 --vocab-size 32000 --token-prompts --seed 1 --result-json "$out/$name-$round.json" \
                --quiet >/dev/null 2>&1 || echo "up-variants: bench against $name failed" >&2
        fi
        kill -INT "${pids[@]}" 2>/dev/null; for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    done
done
python3 - "$out" "$rounds" "$variants" <<'PY'
import json, os, statistics, sys
out, rounds, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
def tput(v, r):
    path = f"{out}/{v}-{r}.json"
    return json.load(open(path))["output_throughput"] if os.path.exists(path) else None
for r in range(1, rounds + 1):
    print(f"round {r}: " + "  ".join(f"{v} {tput(v, r):.1f}" if tput(v, r) else f"{v} failed" for v in variants))
for base in ("serve", "serveB"):
    if base not in variants:
        continue
    for v in variants:
        ratios = [tput(v, r) / tput(base, r) for r in range(1, rounds + 1) if tput(v, r) and tput(base, r)]
        if v != base and ratios:
            print(f"{v} / {base}: median {statistics.median(ratios):.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
for v in variants:
    if v == "serve" or "tcp2" not in variants or v == "tcp2":
        continue
    ratios = [tput(v, r) / tput("tcp2", r) for r in range(1, rounds + 1) if tput(v, r) and tput("tcp2", r)]
    if ratios:
        print(f"{v} / tcp2: median {statistics.median(ratios):.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
print(f"logs and results in {out}")
PY
