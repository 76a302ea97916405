#!/usr/bin/env bash
# Where the cores of an `up --workers 2` cluster go under load: records the scheduler (`perf sched
# record -a`) for a few seconds while `switchyard bench` streams requests at it, then samples every
# CPU's running task each 10 us and prints the share of time of each pair of states (router, worker
# 1, worker 2, their libzmq I/O threads, idle, other) and, for the expert phases (only workers
# running), their length and how far apart the two workers finish. On two cores, "idle | w1" is
# time one worker computes while the other core has nothing to do. Last, each thread's mean and
# worst delay between being woken and running (`perf sched latency`).
#
# usage: scripts/up-timeline.sh SWITCHYARD_BIN MODEL [SECONDS (2)] [CONCURRENCY (64)] [-- UP_FLAGS...]
# Needs perf (Debian: linux-perf) allowed to trace the scheduler (root, or perf_event_paranoid <= -1).
set -euo pipefail
bin=${1:?switchyard binary}; model=${2:?model}; seconds=${3:-2}; concurrency=${4:-64}
shift $(( $# < 4 ? $# : 4 )); [ "${1:-}" = "--" ] && shift
command -v perf >/dev/null || { echo "up-timeline: needs perf (apt-get install linux-perf)" >&2; exit 2; }
out=$(mktemp -d)
"$bin" up --model "$model" --workers 2 --port 18791 --zmq-port 15791 "$@" >"$out/up.log" 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null; wait $up 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -fs http://127.0.0.1:18791/health >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs http://127.0.0.1:18791/health >/dev/null || { echo "up-timeline: the cluster never became healthy ($out/up.log)" >&2; exit 1; }
"$bin" bench --url http://127.0.0.1:18791 --num-prompts $((concurrency * 6)) --max-concurrency "$concurrency" \
    --input-len 32 --output-len 32 --vocab-size 32000 --token-prompts --seed 1 --quiet >"$out/bench.log" 2>&1 &
load=$!
sleep 4  # past the first prefills
router=$(pgrep -f -- "router --.*18791" | head -1 || true)
[ -n "$router" ] || router=$(pgrep -f -- "switchyard router" | head -1)
w1=$(pgrep -f -- "--id worker-1" | head -1); w2=$(pgrep -f -- "--id worker-2" | head -1)
perf sched record -a -o "$out/sched.data" -- sleep "$seconds" >/dev/null 2>&1
kill "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true
perf sched timehist -i "$out/sched.data" 2>/dev/null >"$out/timehist.txt" || true
perf script -i "$out/sched.data" -F cpu,time,event,trace 2>/dev/null | grep sched_switch >"$out/switches.txt"
python3 - "$out" "$router" "$w1" "$w2" <<'PY'
import bisect, collections, re, statistics, sys
out, router, w1, w2 = sys.argv[1:5]
tid_pid = {}
for line in open(f"{out}/timehist.txt"):
    for m in re.finditer(r"\[(\d+)/(\d+)\]", line):
        tid_pid[m.group(1)] = m.group(2)
owner = {router: "router", w1: "w1", w2: "w2"}
events = collections.defaultdict(list)
for line in open(f"{out}/switches.txt"):
    m = re.match(r"\[(\d+)\]\s+([\d.]+):.*next_comm=(.+?) next_pid=(\d+)", line)
    if m:
        events[int(m.group(1))].append((float(m.group(2)), m.group(3), m.group(4)))
def state(comm, tid):
    if tid == "0":
        return "idle"
    who = owner.get(tid_pid.get(tid, tid), "other")
    return who + (":zmq" if who != "other" and "ZMQ" in comm else "")
cpus = sorted(events)
times = {c: [e[0] for e in events[c]] for c in cpus}
def at(c, t):
    i = bisect.bisect_right(times[c], t) - 1
    return "none" if i < 0 else state(events[c][i][1], events[c][i][2])
start = max(times[c][0] for c in cpus); end = min(times[c][-1] for c in cpus)
step = 10e-6
shares = collections.Counter()
phases, current = [], None
t = start
while t < end:
    now = [at(c, t) for c in cpus]
    shares[" | ".join(sorted(now))] += 1
    workers = [s for s in now if s in ("w1", "w2")]
    if workers and "router" not in now:
        if current is None:
            current = {"start": t, "w1": [], "w2": []}
        for s in workers:
            current[s].append(t)
        current["last"] = t
    elif current is not None and t - current["last"] > 200e-6:
        phases.append(current); current = None
    t += step
total = sum(shares.values())
print(f"{len(cpus)} CPUs, {end - start:.2f} s sampled every 10 us; router {router}, workers {w1} {w2}")
for key, n in shares.most_common(12):
    print(f"  {key:32s} {100 * n / total:5.1f}%")
both = [p for p in phases if p["w1"] and p["w2"]]
if both:
    lengths = [(p["last"] - p["start"]) * 1e3 for p in both]
    skew = [abs(p["w1"][-1] - p["w2"][-1]) * 1e3 for p in both]
    print(f"expert phases with both workers: {len(both)}, median {statistics.median(lengths):.2f} ms; "
          f"the workers finish {statistics.median(skew):.2f} ms apart (median), {statistics.mean(skew):.2f} ms (mean)")
PY
# Wake-up delays: how long each thread waited for a core after being woken (mean and worst), the
# threads that carry messages (ZMQbg/IO, the reactors) first among those that matter.
echo "wake-up delays (perf sched latency: thread, run time, switches, mean and worst delay):"
perf sched latency -i "$out/sched.data" --sort max 2>/dev/null \
    | grep -E "ZMQbg|switchyard|sy-worker|oot.default|NIO-" | awk -F'|' '{printf "  %-24s %s %s %s %s\n", $1, $2, $3, $4, $5}' || true
echo "raw data: $out"
