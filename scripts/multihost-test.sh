#!/usr/bin/env bash
# Multi-host test: a router and three workers on four "hosts" (network namespaces joined by veth
# through a bridge, 10.77.0.1-4), optionally with delay and a rate limit on every link. Under a
# closed-loop `switchyard bench` load it adds the third worker, then removes the first by SIGTERM
# (graceful drain), and checks that every request succeeded and that greedy outputs of fixed
# prompts, sent again and again through the whole run, equal `switchyard generate` in one process.
#
# Usage: scripts/multihost-test.sh [--netem-delay 1ms] [--rate 1gbit] [--binary PATH] [--preset small]
#                                  [--keep]
#   --netem-delay D  delay on each host's link (tc netem; where the kernel has no netem, a delaying
#                    TCP relay on each worker's link, scripts/delay_relay.py)
#   --rate R         rate limit on each host's link (netem rate, or tbf without netem)
#   --binary PATH    the switchyard executable (default: builds and uses the debug one)
#   --preset P       init-model preset of the test model (default small: 8 experts, 4 layers)
#   --keep           keep the work directory (logs, results) even when the test passes
# Needs root and `ip netns`; without them prints why and exits 0 with "skipped".
# Exits 0 on PASS, 1 on FAIL, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

delay="" rate="" bin="" preset="small" keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --netem-delay) delay="${2:?--netem-delay needs a value like 1ms}"; shift 2 ;;
        --rate) rate="${2:?--rate needs a value like 1gbit}"; shift 2 ;;
        --binary) bin="${2:?--binary needs a path}"; shift 2 ;;
        --preset) preset="${2:?--preset needs tiny, small or bench}"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "multihost-test: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

NETNS_PREFIX="symh$$"
# shellcheck source=scripts/netns-lib.sh
source scripts/netns-lib.sh

if reason="$(netns_unavailable_reason)"; then
    echo "multihost-test: skipped: $reason"
    exit 0
fi
for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "multihost-test: FAIL: needs $tool" >&2; exit 1; }
done
if [ -n "$delay" ]; then delay_ms="$(netns_delay_ms "$delay")" || exit 2; fi
if [ -z "$bin" ]; then
    swift build --product switchyard >/dev/null
    bin="$(swift build --show-bin-path)/switchyard"
fi
[ -x "$bin" ] || { echo "multihost-test: FAIL: $bin is not an executable" >&2; exit 1; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

# Load and probe sizes: enough for the load to outlast a join and a drain, small enough for debug.
num_prompts=96 concurrency=8 input_len=24 output_len=24 probe_tokens=12
zmq_port=5555 http_port=8000
router_host=1
router_ip="$(netns_address $router_host)"
url="http://$router_ip:$http_port"

work="$(mktemp -d /tmp/multihost.XXXXXX)"
NETNS_LOG_DIR="$work"
failures=()
started_at=$SECONDS

log() { printf 'multihost-test [%3ds] %s\n' "$((SECONDS - started_at))" "$*"; }
fail() { failures+=("$*"); log "FAIL: $*"; }

show_logs() {
    local file
    for file in "$work"/*.log; do
        [ -f "$file" ] || continue
        echo "---- last lines of $(basename "$file")"
        tail -n 25 "$file"
    done
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    netns_stop_all
    netns_down
    if [ "$status" -ne 0 ] || [ "$keep" -eq 1 ]; then
        rm -rf "$work/model"
        echo "multihost-test: logs and results kept in $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Fatal: print the logs and stop here (the trap cleans up).
die() {
    fail "$*"
    show_logs
    echo "multihost-test: FAIL (${#failures[@]} problem(s))"
    exit 1
}

# in_router CMD...: runs CMD on the router's host (where the clients are).
in_router() { netns_exec router "$@"; }

cluster_json() { in_router curl -fsS --max-time 5 "$url/v1/cluster" 2>/dev/null; }

# Processes that must stay up while the test waits for something (the router, relays, the probe).
watched=()

# wait_for SECONDS WHAT CMD...: polls CMD until it succeeds; dies when time is up or a watched
# process has exited.
wait_for() {
    local limit="$1" what="$2"; shift 2
    local deadline=$((SECONDS + limit)) name
    until "$@"; do
        for name in "${watched[@]}"; do
            netns_running "$name" || die "$name exited while waiting for $what"
        done
        [ "$SECONDS" -ge "$deadline" ] && die "no $what within ${limit}s"
        sleep 0.2
    done
}

healthy() { in_router curl -fs --max-time 5 -o /dev/null "$url/health"; }

# settled [WORKER...]: /v1/cluster is ready, these are exactly its live workers (departed ones may
# stay listed as left or dead, none is draining), each holding all its target experts.
settled() {
    cluster_json | python3 -c '
import json, sys
status = json.load(sys.stdin)
want = set(sys.argv[1:])
states = {w["id"]: w.get("state", "live") for w in status["workers"]}
live = {w["id"]: w for w in status["workers"] if states[w["id"]] == "live"}
ok = (status["ready"] and set(live) == want and "draining" not in states.values()
      and all(w["experts"] > 0 and w["experts"] == w["target_experts"] for w in live.values()))
sys.exit(0 if ok else 1)' "$@" 2>/dev/null
}

# describe_cluster: "w1=3 w2=3 w3=2 experts per layer, placement version 5" from /v1/cluster.
describe_cluster() {
    cluster_json | python3 -c '
import json, sys
status = json.load(sys.stdin)
held = " ".join("%s=%d%s" % (w["id"], w["experts"], "" if w.get("state", "live") == "live" else " (" + w["state"] + ")")
                for w in status["workers"])
print("%s experts, placement version %d" % (held, status["placement_version"]))' 2>/dev/null || echo "(no /v1/cluster)"
}

probe_answers() { if [ -f "$work/probes.jsonl" ]; then wc -l <"$work/probes.jsonl"; else echo 0; fi; }

probe_answered() { [ "$(probe_answers)" -ge "$1" ]; }

# wait_probe_round WHAT: waits until the probe has answered one more full round of prompts.
wait_probe_round() {
    local target=$(( $(probe_answers) + ${#prompts[@]} ))
    wait_for 120 "probe round $1" probe_answered "$target"
}

log "work directory $work, binary $bin"
log "model: init-model --family mixtral --preset $preset --seed 7"
"$bin" init-model --family mixtral --preset "$preset" --seed 7 --out "$work/model" >"$work/init-model.log" 2>&1 \
    || die "init-model failed"
vocab="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['vocab_size'])" "$work/model/config.json")"

# Fixed prompts and their single-process greedy outputs (the reference).
prompts=("1,5,17,2,99,100" "1,42" "1,7,7,7,7,7,7,7,7,7,7,7" "1,300,200,100,50,25,12,6,3")
mkdir -p "$work/reference"
: >"$work/prompts.jsonl"
for index in "${!prompts[@]}"; do
    echo "[${prompts[$index]}]" >>"$work/prompts.jsonl"
    OPENBLAS_NUM_THREADS=1 timeout 120 "$bin" generate --model "$work/model" --prompt-ids "${prompts[$index]}" \
        --max-tokens "$probe_tokens" --temperature 0 --threads 1 --json >"$work/reference/$index.json" 2>>"$work/generate.log" \
        || die "switchyard generate failed for prompt $index"
done
log "reference: ${#prompts[@]} prompts through switchyard generate"

log "network: namespaces ${NETNS_PREFIX}-{sw,router,w1,w2,w3}, bridge br0, 10.77.0.1-4/24"
netns_up router w1 w2 w3 || die "cannot create the namespaces"
worker_router_endpoint="tcp://$router_ip:$zmq_port"
shaping="none"
if [ -n "$delay$rate" ]; then
    for host in router w1 w2 w3; do netns_shape_link "$host" "$delay" "$rate" || die "cannot shape the link of $host"; done
    shaping="$NETNS_DELAY_MODE"
    log "links: delay ${delay:-0} rate ${rate:-unlimited} on each host's egress ($shaping)"
    if [ "$NETNS_DELAY_MODE" = "relay" ]; then
        log "no netem here (tc: ${NETNS_NETEM_ERROR}): delay ${delay_ms} ms each way by scripts/delay_relay.py on each worker's link"
        for host in w1 w2 w3; do
            netns_start "relay-$host" "$host" python3 scripts/delay_relay.py --listen "127.0.0.1:$zmq_port" \
                --connect "$router_ip:$zmq_port" --delay-ms "$delay_ms"
            watched+=("relay-$host")
        done
        for host in w1 w2 w3; do
            wait_for 10 "relay on $host" grep -q "relay ready" "$work/relay-$host.log"
        done
        worker_router_endpoint="tcp://127.0.0.1:$zmq_port"
    fi
fi

export OPENBLAS_NUM_THREADS=1
netns_start router router "$bin" router --model "$work/model" --listen "tcp://$router_ip:$zmq_port" --host "$router_ip" \
    --port "$http_port" --threads 1 --max-num-seqs 16 --heartbeat-ms 500 --dispatch-timeout 30 --served-model-name mh
watched+=(router)
# --no-local-lane: the namespaces share /dev/shm, so without it the workers' dispatches would
# take a shared-memory lane and skip the simulated network this test is about.
start_worker() {
    netns_start "$1" "$1" "$bin" worker --router "$worker_router_endpoint" --model "$work/model" --id "$1" --threads 1 --heartbeat-ms 500 \
        --no-local-lane
}
start_worker w1
start_worker w2
wait_for 90 "healthy router (/health 200) with workers w1 and w2" healthy
wait_for 30 "settled placement on w1, w2" settled w1 w2
log "cluster up: router $router_ip, workers w1 $(netns_address 2), w2 $(netns_address 3)"

netns_start probe router python3 scripts/cluster_probe.py probe --url "$url" --model mh --prompts "$work/prompts.jsonl" \
    --max-tokens "$probe_tokens" --stop-file "$work/stop-probe" --out "$work/probes.jsonl" --deadline 240
netns_start bench router "$bin" bench --url "$url" --model mh --num-prompts "$num_prompts" --max-concurrency "$concurrency" \
    --input-len "$input_len" --output-len "$output_len" --vocab-size "$vocab" --temperature 0 --seed 11 \
    --max-duration 240 --result-json "$work/bench.json" --quiet
watched+=(probe)
log "load: bench $num_prompts requests, $concurrency streams, closed loop; probe: ${#prompts[@]} greedy prompts in rounds"
wait_probe_round "before the join"

log "join: starting w3 ($(netns_address 4)) under load"
netns_running bench || fail "the load ended before w3 joined (raise num_prompts)"
start_worker w3
wait_for 60 "settled placement on w1, w2, w3 after the join" settled w1 w2 w3
log "join done: $(describe_cluster)"
wait_probe_round "after the join"

log "drain: SIGTERM to w1 under load"
netns_running bench || fail "the load ended before w1 was removed (raise num_prompts)"
status=0
netns_stop w1 TERM 60 || status=$?
if [ "$status" -eq 124 ]; then fail "w1 did not exit within 60 s of SIGTERM"
elif [ "$status" -ne 0 ]; then fail "w1 exited with status $status after SIGTERM (graceful drain should exit 0)"
else log "w1 exited 0"; fi
netns_running bench || fail "the load ended before w1 finished draining (raise num_prompts)"
wait_for 30 "settled placement on w2, w3 after the drain" settled w2 w3
log "drain done: $(describe_cluster)"
wait_probe_round "after the drain"

touch "$work/stop-probe"
watched=(router)
status=0
netns_wait_exit bench 300 || status=$?
[ "$status" -eq 0 ] || fail "bench exited with status $status"
status=0
netns_wait_exit probe 120 || status=$?
[ "$status" -eq 0 ] || fail "the probe exited with status $status"

if [ -f "$work/bench.json" ]; then
    if bench_line="$(python3 - "$work/bench.json" "$num_prompts" "$output_len" <<'PY'
import json, sys
result, expected, output_len = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
print(f"completed {result['completed']}/{expected}, failed {result['failed']}, output tokens {result['total_output_tokens']}, "
      f"{result['output_throughput']:.1f} output tok/s, median TPOT {result['median_tpot_ms']:.1f} ms")
ok = result["completed"] == expected and result["failed"] == 0 and result["total_output_tokens"] == expected * output_len
sys.exit(0 if ok else 1)
PY
    )"; then log "bench: $bench_line"; else fail "bench: $bench_line"; fi
else
    fail "bench wrote no result JSON"
fi

if comparison="$(python3 scripts/cluster_probe.py compare --reference "$work/reference" --results "$work/probes.jsonl")"; then
    log "greedy outputs: $comparison, all equal to switchyard generate"
else
    fail "greedy outputs differ from switchyard generate or failed:"
    echo "$comparison" | head -n 20
fi

healthy || fail "the router is not healthy after the run"
counters="$(cluster_json | python3 -c '
import json, sys
status = json.load(sys.stdin)
print("dropped messages %s, dispatch re-sends %s, timeouts %s, failed calls %s" % (status["dropped_messages"] or "none",
      status.get("dispatch_resends", "?"), status.get("dispatch_timeouts", "?"), status.get("failed_calls", "?")))' 2>/dev/null || echo "?")"
log "router counters: $counters"

# Shutdown: the router first (SIGTERM finishes in-flight requests and exits 0); then the workers,
# which have nowhere to drain to and must leave promptly once their router is gone.
status=0
netns_stop router TERM 30 || status=$?
[ "$status" -eq 0 ] || fail "the router exited with status $status after SIGTERM"
for name in w2 w3; do kill -TERM "${NETNS_PIDS[$name]}" 2>/dev/null || true; done
for name in w2 w3; do
    status=0
    netns_stop "$name" TERM 15 || status=$?
    [ "$status" -eq 0 ] || fail "$name exited with status $status after SIGTERM with its router gone"
done

if [ "${#failures[@]}" -ne 0 ]; then
    show_logs
    echo "multihost-test: FAIL (${#failures[@]} problem(s)):"
    printf '  - %s\n' "${failures[@]}"
    exit 1
fi
echo "multihost-test: PASS in $((SECONDS - started_at)) s (links: delay ${delay:-0}, rate ${rate:-unlimited}, $shaping)"
