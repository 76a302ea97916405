#!/usr/bin/env bash
# Fuzzes one target (or all) with libFuzzer and keeps its corpus under Tests/FuzzCorpus/<target>/.
# Usage: scripts/fuzz.sh TARGET|all SECONDS        run each for SECONDS
#        scripts/fuzz.sh TARGET|all --runs N       run each for N inputs
# Targets (Fuzz/SwitchyardFuzz/FuzzTargets.swift): wire, control, request, tokenizer, chat-template.
#
# Builds Fuzz/Driver with `-sanitize=fuzzer,address -parse-as-library -D FUZZING` in its own build
# directory (.build/fuzz), starts from the committed corpus, fuzzes into .build/fuzz-corpus/<target>,
# then merges into the committed corpus only the inputs that reach new code (`-merge=1`), so it
# stays small. A crash, leak, timeout or broken invariant stops the run: the input is written to
# .build/fuzz-artifacts/ and the script exits 1. `swift test` replays the committed corpus
# (Tests/FuzzCorpusTests) without libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh TARGET|all SECONDS | --runs N}"
shift
limit=()
case "${1:-}" in
    --runs) limit=(-runs="${2:?--runs needs a count}") ;;
    ''|-*) echo "usage: scripts/fuzz.sh TARGET|all SECONDS | --runs N" >&2; exit 64 ;;
    *) limit=(-max_total_time="$1") ;;
esac
targets=(wire control request tokenizer chat-template)
if [ "$target" != all ]; then
    case " ${targets[*]} " in *" $target "*) targets=("$target") ;; *) echo "unknown target $target (${targets[*]})" >&2; exit 64 ;; esac
fi

export OPENBLAS_NUM_THREADS=1
echo "== build (libFuzzer + AddressSanitizer, .build/fuzz)"
swift build --scratch-path .build/fuzz --product switchyard-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -3
bin="$(swift build --scratch-path .build/fuzz --show-bin-path)/switchyard-fuzz"
mkdir -p .build/fuzz-artifacts

for name in "${targets[@]}"; do
    committed="Tests/FuzzCorpus/$name"
    work=".build/fuzz-corpus/$name"
    mkdir -p "$committed" "$work"
    echo "== $name"
    log=".build/fuzz-artifacts/$name.log"
    status=0
    SWITCHYARD_FUZZ_TARGET="$name" "$bin" "$work" "$committed" "${limit[@]}" -max_len=8192 -timeout=10 -rss_limit_mb=3072 \
        -print_final_stats=1 -artifact_prefix=".build/fuzz-artifacts/$name-" >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    if [ "$status" -ne 0 ]; then
        grep -E "ERROR|Fatal|invariant|deadly|Test unit written|SUMMARY" "$log" | head -20
        echo "$name: FAILED after ${runs:-?} inputs (log: $log)"
        exit 1
    fi
    # Keep only inputs that add coverage to what is committed.
    SWITCHYARD_FUZZ_TARGET="$name" "$bin" -merge=1 -max_len=8192 "$committed" "$work" >"$log.merge" 2>&1
    echo "$name: ${runs:-?} inputs, no crash; committed corpus: $(find "$committed" -type f | wc -l) files"
done
