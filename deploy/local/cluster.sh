#!/usr/bin/env bash
# A router and N workers on this machine with CURVE: generates a key pair for the router and for
# each worker (once; kept in RUN_DIR/keys), writes the allow-list, starts everything with logs in
# RUN_DIR/logs, waits until the router is healthy, and stops all of them on Ctrl-C or SIGTERM (or
# when any one exits). Without keys, `switchyard up --model DIR --workers N` (or `make run`) is the
# one-command version.
#
#   deploy/local/cluster.sh [--workers N] [--model DIR] [--port HTTP] [--zmq-port PORT]
#                           [--run-dir DIR] [--bin PATH] [--worker-threads N] [--api-key-file FILE]
#
# Every other setting comes from SWITCHYARD_* environment variables, which both the router and the
# workers read (README, "Command line").
set -euo pipefail

workers=2
model=models/bench
port=8000
zmq_port=5555
run_dir=.run/local-cluster
bin="${SWITCHYARD_BIN:-}"
worker_threads=1
api_key_file=""

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
need_value() { [ "$#" -ge 2 ] || { echo "cluster.sh: $1 needs a value" >&2; exit 2; }; }

while [ "$#" -gt 0 ]; do
    case "$1" in
        --workers) need_value "$@"; workers="$2"; shift 2 ;;
        --model) need_value "$@"; model="$2"; shift 2 ;;
        --port) need_value "$@"; port="$2"; shift 2 ;;
        --zmq-port) need_value "$@"; zmq_port="$2"; shift 2 ;;
        --run-dir) need_value "$@"; run_dir="$2"; shift 2 ;;
        --bin) need_value "$@"; bin="$2"; shift 2 ;;
        --worker-threads) need_value "$@"; worker_threads="$2"; shift 2 ;;
        --api-key-file) need_value "$@"; api_key_file="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "cluster.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

case "$workers" in ''|*[!0-9]*) echo "cluster.sh: --workers must be a number, got $workers" >&2; exit 2 ;; esac
if [ "$workers" -lt 1 ] || [ "$workers" -gt 64 ]; then
    echo "cluster.sh: --workers must be between 1 and 64" >&2; exit 2
fi

# The binary: --bin, $SWITCHYARD_BIN, a release or debug build of this checkout, or the PATH.
repo="$(cd "$(dirname "$0")/../.." && pwd)"
if [ -z "$bin" ]; then
    for candidate in "$repo/.build/release/switchyard" "$repo/.build/debug/switchyard" "$(command -v switchyard || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin="$candidate"; break; fi
    done
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "cluster.sh: no switchyard binary (build with 'swift build -c release' or pass --bin)" >&2; exit 1
fi
if [ ! -f "$model/config.json" ]; then
    echo "cluster.sh: $model has no config.json; create one with:" >&2
    echo "  $bin init-model --family mixtral --preset bench --seed 1 --out $model" >&2
    exit 1
fi

keys="$run_dir/keys"
logs="$run_dir/logs"
mkdir -p "$keys" "$logs"
chmod 0700 "$keys"

# Keys: one pair per process, generated once and reused on later runs.
keypair() {
    if [ ! -f "$keys/$1/secret.key" ]; then
        "$bin" keygen --out "$keys/$1" >/dev/null
    fi
}
keypair router
: > "$keys/allowed-workers.new"
for index in $(seq 1 "$workers"); do
    keypair "worker-$index"
    cat "$keys/worker-$index/public.key" >> "$keys/allowed-workers.new"
    echo >> "$keys/allowed-workers.new"
done
mv "$keys/allowed-workers.new" "$keys/allowed-workers"

pids=()
# shellcheck disable=SC2317  # called from the traps below
stop_all() {
    trap - INT TERM EXIT
    # Workers first, so the router sees them leave; then the router.
    for (( i=${#pids[@]}-1; i>=0; i-- )); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

endpoint="tcp://127.0.0.1:$zmq_port"
router_args=(router --model "$model" --listen "$endpoint" --port "$port"
             --curve-secret-key "$keys/router/secret.key" --allowed-workers "$keys/allowed-workers")
if [ -n "$api_key_file" ]; then router_args+=(--api-key-file "$api_key_file"); fi
"$bin" "${router_args[@]}" > "$logs/router.log" 2>&1 &
pids+=("$!")
for index in $(seq 1 "$workers"); do
    "$bin" worker --router "$endpoint" --model "$model" --id "worker-$index" --threads "$worker_threads" \
        --curve-secret-key "$keys/worker-$index/secret.key" --router-public-key "$keys/router/public.key" \
        > "$logs/worker-$index.log" 2>&1 &
    pids+=("$!")
done
echo "cluster.sh: router (pid ${pids[0]}) on http://127.0.0.1:$port, $workers workers on $endpoint with CURVE; logs in $logs; Ctrl-C stops all"

healthy=0
for _ in $(seq 1 1200); do
    if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then healthy=1; break; fi
    for pid in "${pids[@]}"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "cluster.sh: a process exited early; see $logs" >&2; tail -n 5 "$logs"/*.log >&2; exit 1
        fi
    done
    sleep 0.1
done
if [ "$healthy" = 1 ]; then
    echo "cluster.sh: healthy: every expert has a holder"
else
    echo "cluster.sh: the router is not healthy after 120 s; still running, see $logs" >&2
fi

# Until a signal, or until one process exits (then stop the rest and fail).
set +e
wait -n "${pids[@]}"
status=$?
echo "cluster.sh: a process exited (status $status); stopping the others; see $logs" >&2
exit 1
