#!/usr/bin/env bash
# Serving against llama.cpp's `llama-server` on the same GGUF file, in the same run: per round,
# `llama-server`, `switchyard serve` and `switchyard up --workers 2` are started in turn on the file,
# each loaded by the same `switchyard bench` run (random token-id prompts, `ignore_eos`, streamed
# /v1/completions), then stopped. A shared VM drifts within minutes, so only ratios taken within a
# round count; the medians over rounds are printed as a markdown table.
#
# Usage:
#   scripts/serving-vs-llama-server.sh SWITCHYARD_BIN GGUF [--rounds 3] [--requests 128]
#       [--concurrency 64] [--input-len 32] [--output-len 32] [--threads 2] [--out FILE]
# e.g.
#   scripts/serving-vs-llama-server.sh .build/release/switchyard .build/peer-gguf/bench/bench-q8_0.gguf
#
# llama-server: -t/-tb THREADS, --parallel CONCURRENCY slots, a context of CONCURRENCY x (input + output
# + 16) tokens, continuous batching (its default). Switchyard: `serve --threads THREADS --max-num-seqs
# CONCURRENCY --dtype auto` and `up --workers 2 -- --max-num-seqs CONCURRENCY` (its own thread split:
# router all cores, workers cores/2). PEER_BIN is llama.cpp's bin directory (default: what
# scripts/setup-peer.sh prints). Raw bench results stay in a directory whose path is printed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "serving-vs-llama-server: $*" >&2; }
die() { echo "serving-vs-llama-server: error: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }

[ $# -ge 2 ] || usage
case "$1" in -h|--help) usage 0 ;; esac
bin=$1 gguf=$2; shift 2
rounds=3 requests=128 concurrency=64 input_len=32 output_len=32 threads=2 out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=${2:?}; shift 2 ;;
        --requests) requests=${2:?}; shift 2 ;;
        --concurrency) concurrency=${2:?}; shift 2 ;;
        --input-len) input_len=${2:?}; shift 2 ;;
        --output-len) output_len=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) die "unknown argument $1" ;;
    esac
done
[ -x "$bin" ] || die "$bin is not an executable"
[ -f "$gguf" ] || die "$gguf is not a file"
for n in "$rounds" "$requests" "$concurrency" "$input_len" "$output_len" "$threads"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "counts must be positive integers, got '$n'"
done
peer_bin=${PEER_BIN:-$("$root/scripts/setup-peer.sh" 2>/dev/null | tail -1)}
[ -x "$peer_bin/llama-server" ] || die "llama-server not found in '$peer_bin' (run scripts/setup-peer.sh or set PEER_BIN)"

raw=$(mktemp -d /tmp/serving-vs-llama-server.XXXXXX)
log "raw results in $raw"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_healthy() {  # PORT PID: up to 300 s for /health to answer 200, failing at once if PID exits
    for _ in $(seq 1 1500); do
        curl -fs "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}
load() {  # PORT RESULT_JSON
    "$bin" bench --url "http://127.0.0.1:$1" --num-prompts "$requests" --max-concurrency "$concurrency" \
        --input-len "$input_len" --output-len "$output_len" --token-prompts --vocab-size 32000 --seed 1 \
        --result-json "$2" --quiet >/dev/null
}
run() {  # NAME PORT COMMAND...: start, wait, load, stop
    local name=$1 port=$2; shift 2
    "$@" >"$raw/$name.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_healthy "$port" "$pid" || { tail -5 "$raw/$name.log" >&2; die "$name did not become healthy"; }
    load "$port" "$raw/$name.json" || die "$name: bench failed (see $raw/$name.log)"
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

ctx=$((concurrency * (input_len + output_len + 16)))
for r in $(seq 1 "$rounds"); do
    log "round $r of $rounds ($(uptime | sed 's/.*load/load/'))"
    run "llama-server-$r" 18810 "$peer_bin/llama-server" -m "$gguf" --host 127.0.0.1 --port 18810 -t "$threads" -tb "$threads" \
        --parallel "$concurrency" -c "$ctx" -b 2048 -ub 512
    run "serve-$r" 18811 "$bin" serve --model "$gguf" --port 18811 --threads "$threads" --max-num-seqs "$concurrency"
    run "up-$r" 18812 "$bin" up --model "$gguf" --workers 2 --port 18812 --zmq-port 15812 -- --max-num-seqs "$concurrency"
done

python3 - "$raw" "$rounds" "$gguf" "$requests" "$concurrency" "$input_len" "$output_len" "$threads" <<'PY' | tee ${out:+"$out"}
import json, os, statistics, sys
raw, rounds, gguf = sys.argv[1], int(sys.argv[2]), sys.argv[3]
requests, conc, inp, outp, threads = sys.argv[4:9]
def result(name):
    d = json.load(open(os.path.join(raw, name + ".json")))
    return d["output_throughput"], d.get("failed", 0), d.get("median_ttft_ms"), d.get("median_tpot_ms")
rows, serve_ratio, up_ratio = [], [], []
for r in range(1, rounds + 1):
    l, s, u = result(f"llama-server-{r}"), result(f"serve-{r}"), result(f"up-{r}")
    rows.append((r, l, s, u))
    serve_ratio.append(s[0] / l[0]); up_ratio.append(u[0] / s[0])
print(f"`{os.path.basename(gguf)}`: {requests} requests of {inp} prompt + {outp} output tokens, {conc} in flight, "
      f"{threads} threads; output tok/s (failed requests), median TTFT / TPOT ms")
print()
print("| round | llama-server | serve | up --workers 2 | serve / llama-server | up / serve |")
print("| --- | --- | --- | --- | --- | --- |")
fmt = lambda x: f"{x[0]:.1f} ({x[1]}), {x[2]:.0f} / {x[3]:.1f}" if x[2] is not None and x[3] is not None else f"{x[0]:.1f} ({x[1]})"
for r, l, s, u in rows:
    print(f"| {r} | {fmt(l)} | {fmt(s)} | {fmt(u)} | {s[0] / l[0]:.2f} | {u[0] / s[0]:.2f} |")
print(f"| median | | | | **{statistics.median(serve_ratio):.2f}** | **{statistics.median(up_ratio):.2f}** |")
PY
