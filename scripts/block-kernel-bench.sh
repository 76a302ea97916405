#!/usr/bin/env bash
# How fast the block-format kernels read their weights at decode (one activation row): builds
# scripts/block-kernel-bench/stream.c against Sources/CKernels (the engine's kernels, run-time ISA
# choice as in the engine) and times q4_K, q5_K, q6_K, q8_0, q4_0, q4_1 and bf16 products on the
# bench model's shapes, weights larger than the caches, first on one core, then on both cores at
# once (two processes, as the engine's two threads each stream their half of a matrix). Compare
# the GB/s with the machine's memory read speed (`switchyard perf` prints it); to compare two
# kernel versions, pass each one's source directory and alternate (farm-bench, or rounds by hand).
#
# A format name with "/rows8" (q4_K/rows8, q8_0/rows8, q4_0/rows8, bf16/rows8, ...) times the weight repacked
# with its rows interleaved by eight, as the engine holds every format but f32 (the plain name: ggml's
# own layout).
#
# usage: scripts/block-kernel-bench.sh [CKERNELS_DIR (Sources/CKernels)] [FORMATS (q4_K,q4_K/rows8,q5_K,q5_K/rows8,q6_K,q6_K/rows8,q8_0,q8_0/rows8,q4_0,q4_0/rows8,q4_1,q4_1/rows8,bf16,bf16/rows8)]
set -euo pipefail
src=${1:-}; [ -z "$src" ] || src=$(cd "$src" && pwd) || { echo "block-kernel-bench: no directory $1" >&2; exit 2; }
cd "$(dirname "$0")/.."
src=${src:-Sources/CKernels}; formats=${2:-q4_K,q4_K/rows8,q5_K,q5_K/rows8,q6_K,q6_K/rows8,q8_0,q8_0/rows8,q4_0,q4_0/rows8,q4_1,q4_1/rows8,bf16,bf16/rows8}
[ -f "$src/QuantGEMM.c" ] || { echo "block-kernel-bench: $src has no QuantGEMM.c" >&2; exit 2; }
cc=$(command -v clang || command -v gcc) || { echo "block-kernel-bench: needs clang or gcc" >&2; exit 1; }
bin=$(mktemp -d)/stream
"$cc" -O2 -I"$src/include" -I"$src" scripts/block-kernel-bench/stream.c "$src/QuantGEMM.c" "$src/QuantFormats.c" -o "$bin" -lm
code() {
    case ${1%/rows8} in q4_0) echo 2 ;; q4_1) echo 3 ;; q8_0) echo 8 ;; q4_K) echo 12 ;; q5_K) echo 13 ;; q6_K) echo 14 ;;
        bf16) echo 30 ;; *) echo "block-kernel-bench: unknown format $1" >&2; exit 2 ;; esac
}
for format in ${formats//,/ }; do code "$format" >/dev/null || exit 2; done
printf '%-11s %-11s %14s %22s\n' format "n x k" "one core GB/s" "two cores GB/s (sum)"
for format in ${formats//,/ }; do
    c=$(code "$format")
    rows8=0; [ "${format%/rows8}" = "$format" ] || rows8=1
    for shape in "4096 1024" "1024 2048"; do
        one=$(ROWS8=$rows8 "$bin" "$c" $shape 1 | awk '{print $3}')
        two=$( (ROWS8=$rows8 "$bin" "$c" $shape 1 & ROWS8=$rows8 "$bin" "$c" $shape 1 & wait) | awk '{s += $3} END {printf "%.2f", s}')
        printf '%-11s %-11s %14s %22s\n' "$format" "${shape/ / x }" "$one" "$two"
    done
done
