#!/usr/bin/env bash
# Chaos test (in `make test`): a router with --replicas 2 and three workers on a tiny random model,
# under `switchyard bench` load and greedy probes, goes through one fault after another, each
# once the cluster has settled from the previous one:
#   1. a silent worker (switchyard-chaos-peer silent) joins, acknowledges its experts and never
#      answers a dispatch: timeouts, suspicion, re-sends, eviction, rejoins; then it leaves;
#   2. a registration flood: a duplicate of a live worker's id, then 300 fresh ids at once;
#   3. kill -9 of worker w3;
#   4. SIGSTOP of worker w2 for longer than --dispatch-timeout, then SIGCONT.
# Then: no bench request failed, every greedy probe equals `switchyard generate`, /health is 200,
# and /metrics counted each event (timeouts, re-sends, suspicion/eviction, lost workers, refused
# and rate-limited registrations). About a minute on a 2-core machine (debug build).
# Usage: scripts/chaos-test.sh PATH/TO/switchyard   (switchyard-chaos-peer is taken from the same directory)
set -euo pipefail
bin="$1"
peer="$(dirname "$bin")/switchyard-chaos-peer"
[ -x "$peer" ] || { echo "chaos-test: $peer not built" >&2; exit 1; }
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
work="$(mktemp -d)"
started_at=$SECONDS
declare -A pids=()
cleanup() {
    local name
    for name in "${!pids[@]}"; do kill -CONT "${pids[$name]}" 2>/dev/null || true; kill -KILL "${pids[$name]}" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
log() { echo "chaos-test [$((SECONDS - started_at))s]: $*"; }
die() {
    log "FAIL: $*"
    for file in router w1 w2 w3 silent flood bench-loop; do
        [ -f "$work/$file.log" ] && { echo "--- $file.log (last 25 lines)"; tail -n 25 "$work/$file.log"; }
    done
    exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port="$(free_port)"
zmq_port="$(free_port)"
url="http://127.0.0.1:$http_port"
endpoint="tcp://127.0.0.1:$zmq_port"
dispatch_timeout=1

"$bin" init-model --family mixtral --preset tiny --seed 11 --out "$work/model" >"$work/init-model.log" 2>&1 || die "init-model failed"

# Greedy references from one process.
prompts=("1,5,17,2,99,100" "1,42" "1,7,7,7,7,7,7,7,7,7" "1,300,200,100,50,25,12")
probe_tokens=8
mkdir -p "$work/reference"
: >"$work/prompts.jsonl"
for index in "${!prompts[@]}"; do
    echo "[${prompts[$index]}]" >>"$work/prompts.jsonl"
    timeout 120 "$bin" generate --model "$work/model" --prompt-ids "${prompts[$index]}" --max-tokens "$probe_tokens" \
        --temperature 0 --threads 1 --json >"$work/reference/$index.json" 2>>"$work/generate.log" || die "generate failed"
done

start() { local name="$1"; shift; "$@" >"$work/$name.log" 2>&1 & pids[$name]=$!; }
running() { kill -0 "${pids[$1]}" 2>/dev/null; }
start_worker() { start "$1" "$bin" worker --router "$endpoint" --model "$work/model" --id "$1" --threads 1; }

start router "$bin" router --model "$work/model" --listen "$endpoint" --port "$http_port" --threads 1 \
    --replicas 2 --dispatch-timeout "$dispatch_timeout" --served-model-name chaos
for name in w1 w2 w3; do start_worker "$name"; done

# wait_for SECONDS WHAT CMD...: polls CMD until it succeeds; dies when time is up or the router exited.
wait_for() {
    local limit="$1" what="$2"; shift 2
    local deadline=$((SECONDS + limit))
    until "$@"; do
        running router || die "the router exited while waiting for $what"
        [ "$SECONDS" -ge "$deadline" ] && die "no $what within ${limit}s"
        sleep 0.25
    done
}
cluster_json() { curl -fsS --max-time 5 "$url/v1/cluster" 2>/dev/null; }
# settled WORKER...: ready, exactly these workers live (none suspect or draining), each holding
# all its target experts (so with --replicas 2 every expert has two holders).
settled() {
    cluster_json | python3 -c '
import json, sys
status = json.load(sys.stdin)
want = set(sys.argv[1:])
current = [w for w in status["workers"] if w.get("state", "live") in ("live", "suspect", "draining")]
ok = (status["ready"] and {w["id"] for w in current} == want and all(w.get("state", "live") == "live" for w in current)
      and all(w["experts"] > 0 and w["experts"] == w["target_experts"] for w in current))
sys.exit(0 if ok else 1)' "$@" 2>/dev/null
}
describe() {
    cluster_json | python3 -c '
import json, sys
status = json.load(sys.stdin)
print(", ".join("%s %s %d" % (w["id"], w.get("state", "live"), w["experts"]) for w in status["workers"])
      + "; placement v%d" % status["placement_version"])' 2>/dev/null || echo "(no /v1/cluster)"
}
wait_for 90 "cluster of w1, w2, w3" settled w1 w2 w3
log "cluster up: $(describe)"

# Load: back-to-back bench runs and greedy probe rounds until the stop file appears.
vocab="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['vocab_size'])" "$work/model/config.json")"
(
    run=0
    while [ ! -f "$work/stop" ]; do
        run=$((run + 1))
        "$bin" bench --url "$url" --model chaos --num-prompts 12 --max-concurrency 3 --input-len 12 --output-len 8 \
            --seed "$run" --vocab-size "$vocab" --token-prompts --timeout 60 --result-json "$work/bench-$run.json" --quiet \
            >>"$work/bench-loop.log" 2>&1 || echo "bench run $run exited $?" >>"$work/bench-loop.log"
    done
) &
pids[bench]=$!
start probe python3 scripts/cluster_probe.py probe --url "$url" --model chaos --prompts "$work/prompts.jsonl" \
    --max-tokens "$probe_tokens" --stop-file "$work/stop" --out "$work/probes.jsonl" --deadline 240
probes() { if [ -f "$work/probes.jsonl" ]; then wc -l <"$work/probes.jsonl"; else echo 0; fi; }
answered() { [ "$(probes)" -ge "$1" ]; }
# a_probe_round WHAT: waits until the probe has answered one more full round.
a_probe_round() { wait_for 60 "probe round $1" answered $(( $(probes) + ${#prompts[@]} )); }
a_probe_round "before the faults"

log "1. a silent worker joins (acks its experts, never answers a dispatch) for 12 s"
start silent "$peer" silent --router "$endpoint" --model "$work/model" --id silent --seconds 12
wait_for 30 "a timeout on the silent worker" eval 'curl -fsS "$url/metrics" | grep -Eq "^switchyard_dispatch_timeouts_total(\{[^}]*\})? [1-9]"'
wait "${pids[silent]}" || die "the silent peer exited with an error"
log "   $(cat "$work/silent.log")"
wait_for 60 "settled w1, w2, w3 after the silent worker" settled w1 w2 w3
a_probe_round "after the silent worker"

log "2. a registration flood: w1's id from another process, then 300 fresh ids"
"$peer" flood --router "$endpoint" --model "$work/model" --count 300 --prefix flood --duplicate w1 >"$work/flood.log" 2>&1 \
    || die "the flood failed"
log "   $(cat "$work/flood.log")"
wait_for 60 "settled w1, w2, w3 after the flood" settled w1 w2 w3
a_probe_round "after the flood"

log "3. kill -9 w3"
kill -KILL "${pids[w3]}"
wait "${pids[w3]}" 2>/dev/null || true
unset 'pids[w3]'
wait_for 60 "settled w1, w2 after w3's death" settled w1 w2
a_probe_round "after w3's death"

log "4. SIGSTOP w2 for $((dispatch_timeout * 3)) s (dispatch timeout ${dispatch_timeout} s), then SIGCONT"
kill -STOP "${pids[w2]}"
sleep $((dispatch_timeout * 3))
kill -CONT "${pids[w2]}"
wait_for 60 "settled w1, w2 after w2's stop" settled w1 w2
a_probe_round "after w2's stop"
log "faults done: $(describe)"

touch "$work/stop"
wait "${pids[probe]}" || die "the probe exited with an error"
wait "${pids[bench]}" || true
unset 'pids[bench]' 'pids[probe]'

bench_line="$(python3 - "$work" <<'PY'
import glob, json, sys
runs = [json.load(open(path)) for path in glob.glob(sys.argv[1] + "/bench-*.json")]
completed = sum(r["completed"] for r in runs)
failed = sum(r["failed"] for r in runs)
print(f"{len(runs)} bench runs, {completed} requests completed, {failed} failed")
sys.exit(0 if runs and completed > 0 and failed == 0 and all(r["completed"] == 12 for r in runs) else 1)
PY
)" || die "bench: $bench_line ($(grep -c exited "$work/bench-loop.log" 2>/dev/null || echo 0) runs exited non-zero)"
log "bench: $bench_line"
comparison="$(python3 scripts/cluster_probe.py compare --reference "$work/reference" --results "$work/probes.jsonl")" \
    || { echo "$comparison" | head -20; die "greedy outputs differ from switchyard generate or failed"; }
log "greedy probes: $comparison, all equal to switchyard generate"
curl -fs --max-time 5 -o /dev/null "$url/health" || die "the router is not healthy after the faults"

counters="$(curl -fsS "$url/metrics" | python3 -c '
import re, sys
values = {}
for line in sys.stdin:
    match = re.match(r"^(switchyard_[a-z_]+)(\{[^}]*\})? ([0-9.e+]+)$", line.strip())
    if match: values[match.group(1) + (match.group(2) or "")] = float(match.group(3))
def get(name): return sum(v for k, v in values.items() if k == name or k.startswith(name + "{"))
checks = {
    "dispatch timeouts": (get("switchyard_dispatch_timeouts_total"), 1),
    "dispatch re-sends": (get("switchyard_dispatch_resends_total"), 1),
    "workers evicted": (get("switchyard_workers_evicted_total"), 1),
    "workers lost": (get("switchyard_workers_lost_total"), 2),
    "refused registrations": (get("switchyard_refused_registrations_total"), 1),
    "rate-limited registrations": (sum(v for k, v in values.items()
                                       if k.startswith("switchyard_dropped_messages_total{") and "rate_limited" in k), 100),
}
failed_calls = get("switchyard_dispatch_failed_calls_total")
print(", ".join("%s %d" % (name, value) for name, (value, _) in checks.items()) + "; failed layer calls %d" % failed_calls)
low = [name for name, (value, least) in checks.items() if value < least]
if low or failed_calls != 0:
    print("missing or wrong: " + ", ".join(low or ["failed layer calls"]))
    sys.exit(1)
' 2>&1)" || die "counters: $counters"
log "counters: $counters"

kill -TERM "${pids[router]}"
status=0
wait "${pids[router]}" || status=$?
unset 'pids[router]'
[ "$status" -eq 0 ] || die "the router exited with status $status after SIGTERM"
echo "chaos-test: PASS in $((SECONDS - started_at)) s"
