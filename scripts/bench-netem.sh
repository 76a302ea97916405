#!/usr/bin/env bash
# Throughput at 64 streams of a router and 2 workers on three "hosts" (network namespaces, as in
# scripts/multihost-test.sh), with DELAY on each host's link against no delay, with micro-batch
# overlap on (router --micro-batches 2) and off (--micro-batches 1). Release build, bench preset.
#
# Usage: scripts/bench-netem.sh [--model DIR] [--delay 1ms] [--prompts N]
#   --model DIR   checkpoint (default models/bench, created by init-model --preset bench when missing)
#   --delay D     per-link delay (default 1ms): tc netem, or scripts/delay_relay.py where the kernel
#                 has no netem; the relay is then also measured at 0 ms to show its own cost
#   --prompts N   requests per run (default 128, of 32 prompt and 32 output tokens)
# Needs root and `ip netns`. Prints a table; the raw bench JSON and logs stay in the printed directory.
set -euo pipefail
cd "$(dirname "$0")/.."

model="models/bench" delay="1ms" prompts=128
while [ $# -gt 0 ]; do
    case "$1" in
        --model) model="${2:?}"; shift 2 ;;
        --delay) delay="${2:?}"; shift 2 ;;
        --prompts) prompts="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-netem: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
concurrency=64 input_len=32 output_len=32
zmq_port=5555 http_port=8000

NETNS_PREFIX="sybn$$"
# shellcheck source=scripts/netns-lib.sh
source scripts/netns-lib.sh
if reason="$(netns_unavailable_reason)"; then
    echo "bench-netem: cannot run: $reason" >&2
    exit 1
fi
delay_ms="$(netns_delay_ms "$delay")"

swift build -c release --product switchyard >/dev/null
bin="$(swift build -c release --show-bin-path)/switchyard"
[ -f "$model/config.json" ] || "$bin" init-model --family mixtral --preset bench --seed 1 --out "$model"
model="$(cd "$model" && pwd)"
vocab="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['vocab_size'])" "$model/config.json")"

work="$(mktemp -d /tmp/bench-netem.XXXXXX)"
NETNS_LOG_DIR="$work"
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    netns_stop_all
    netns_down
    echo "bench-netem: logs and results in $work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

router_ip="$(netns_address 1)"
url="http://$router_ip:$http_port"

wait_healthy() {
    for _ in $(seq 1 600); do
        ip netns exec "$(netns_name router)" curl -fs --max-time 5 -o /dev/null "$url/health" && return 0
        netns_running router || { tail -n 20 "$work/router.log"; echo "bench-netem: the router exited" >&2; return 1; }
        sleep 0.2
    done
    echo "bench-netem: the cluster never became healthy" >&2
    return 1
}

# run NAME MICRO_BATCHES LINK: LINK is "direct", "netem" or "relay" (delay_ms applies to the last two).
run() {
    local name="$1" micro_batches="$2" link="$3" relay_delay="${4:-$delay_ms}"
    netns_up router w1 w2
    local endpoint="tcp://$router_ip:$zmq_port"
    if [ "$link" = "netem" ]; then
        for host in router w1 w2; do netns_shape_link "$host" "$delay" ""; done
    elif [ "$link" = "relay" ]; then
        for host in w1 w2; do
            netns_start "$name-relay-$host" "$host" python3 scripts/delay_relay.py --listen "127.0.0.1:$zmq_port" \
                --connect "$router_ip:$zmq_port" --delay-ms "$relay_delay"
        done
        sleep 0.5
        endpoint="tcp://127.0.0.1:$zmq_port"
    fi
    netns_start router router "$bin" router --model "$model" --listen "tcp://$router_ip:$zmq_port" --host "$router_ip" \
        --port "$http_port" --threads 1 --micro-batches "$micro_batches" --max-num-seqs "$concurrency" --served-model-name bench
    for host in w1 w2; do
        # --no-local-lane: the namespaces share /dev/shm; the dispatches must cross the netem link.
        netns_start "$host" "$host" "$bin" worker --router "$endpoint" --model "$model" --id "$host" --threads 1 --no-local-lane
    done
    wait_healthy
    if ! ip netns exec "$(netns_name router)" "$bin" bench --url "$url" --model bench --num-prompts "$prompts" \
        --max-concurrency "$concurrency" --input-len "$input_len" --output-len "$output_len" --vocab-size "$vocab" --seed 1 \
        --result-json "$work/$name.json" --quiet >"$work/$name-bench.log" 2>&1; then
        head -n 20 "$work/$name-bench.log"
        echo "bench-netem: bench failed in run $name" >&2
        return 1
    fi
    # The router first: a worker sent SIGTERM while its router serves would drain to the other one.
    for process in router w1 w2 "$name-relay-w1" "$name-relay-w2"; do netns_stop "$process" TERM 30 || true; done
    for process in router w1 w2; do mv "$work/$process.log" "$work/$name-$process.log"; done
    netns_down
}

# Probe whether the kernel has netem on a throwaway namespace pair.
netns_up router w1
if netns_shape_link router "$delay" ""; then :; fi
delayed_link="$NETNS_DELAY_MODE"
netns_down

echo "bench-netem: load before: $(uptime)" | tee "$work/load.txt"
runs=()
for micro_batches in 2 1; do
    run "mb$micro_batches-direct" "$micro_batches" direct
    runs+=("mb$micro_batches-direct")
    if [ "$delayed_link" = "relay" ]; then
        run "mb$micro_batches-relay0" "$micro_batches" relay 0
        runs+=("mb$micro_batches-relay0")
    fi
    run "mb$micro_batches-delay" "$micro_batches" "$delayed_link"
    runs+=("mb$micro_batches-delay")
done
echo "bench-netem: load after: $(uptime)" | tee -a "$work/load.txt"

python3 - "$work" "$delay" "$delayed_link" "${runs[@]}" <<'PY'
import json, sys
work, delay, mode, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
how = {"netem": f"netem {delay}", "relay": f"relay {delay}"}[mode]
labels = {"direct": "no delay", "relay0": "relay 0 ms", "delay": f"{how} per link"}
results = {run: json.load(open(f"{work}/{run}.json")) for run in runs}
print(f"| overlap | link | output tok/s | vs no delay | median TPOT ms | median TTFT ms | failed |")
print(f"| --- | --- | --- | --- | --- | --- | --- |")
for run in runs:
    result = results[run]
    micro, link = run.split("-")
    base = results[f"{micro}-direct"]["output_throughput"]
    overlap = "on (--micro-batches 2)" if micro == "mb2" else "off (--micro-batches 1)"
    print(f"| {overlap} | {labels[link]} | {result['output_throughput']:.1f} | {result['output_throughput'] / base:.2f} | "
          f"{result['median_tpot_ms']:.1f} | {result['median_ttft_ms']:.0f} | {result['failed']} |")
PY
