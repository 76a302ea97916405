#!/usr/bin/env bash
# Fuzzes one target (or all) with libFuzzer and keeps its corpus under Tests/FuzzCorpus/<target>/.
# Usage: scripts/fuzz.sh TARGET|all SECONDS        run each for SECONDS
#        scripts/fuzz.sh TARGET|all --runs N       run each for N inputs
# Targets (Fuzz/SwitchyardFuzz/FuzzTargets.swift): wire, control, request, tokenizer, chat-template.
#
# Builds Fuzz/Driver in its own build directory (.build/fuzz), in release (-O: overflow and
# precondition checks stay, unlike -Ounchecked; the targets' invariants are fatalError, never assert;
# FUZZ_CONFIG=debug builds debug instead), with AddressSanitizer and the coverage
# instrumentation `-sanitize=fuzzer` would add, linked with libFuzzer's driver minus its `main`
# (SwiftPM supplies the executable's entry point, which then calls LLVMFuzzerRunDriver). Starts from the committed corpus, fuzzes into .build/fuzz-corpus/<target>,
# then replaces the committed corpus by the smallest set of old and new inputs that covers what
# they all cover (`-merge=1 -set_cover_merge=1`), at most its 60 largest inputs, plus the inputs
# named regression-* (one that once failed, committed with its fix), which stay whatever the merge keeps. A crash, leak, timeout or broken invariant stops the run: the input is written to
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

config="${FUZZ_CONFIG:-release}"
case "$config" in release|debug) ;; *) echo "FUZZ_CONFIG must be release or debug" >&2; exit 64 ;; esac

export OPENBLAS_NUM_THREADS=1
# One-time set-up the leak check misreads (see the file); per-input leaks still stop the run.
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
mkdir -p .build/fuzz-artifacts
echo "== build ($config, libFuzzer + AddressSanitizer, .build/fuzz)"
libfuzzer="$(ls "$(dirname "$(readlink -f "$(command -v swiftc)")")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)"
[ -n "$libfuzzer" ] || { echo "fuzz: libclang_rt.fuzzer_no_main not found next to swiftc" >&2; exit 1; }
swift build -c "$config" --scratch-path .build/fuzz --product switchyard-fuzz -Xswiftc -DFUZZING -Xswiftc -sanitize=address \
    -Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table \
    -Xlinker "$libfuzzer" -Xlinker -lstdc++ >.build/fuzz-build.log 2>&1 \
    || { grep -E "error" .build/fuzz-build.log | head; exit 1; }
bin="$(swift build -c "$config" --scratch-path .build/fuzz --show-bin-path)/switchyard-fuzz"

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
    # The committed corpus becomes the smallest set of inputs (old and new) covering what all cover.
    rm -rf "$committed.merged" && mkdir -p "$committed.merged"
    SWITCHYARD_FUZZ_TARGET="$name" "$bin" -merge=1 -set_cover_merge=1 -max_len=8192 "$committed.merged" "$committed" "$work" \
        >"$log.merge" 2>&1 || { tail -5 "$log.merge"; echo "$name: merge failed"; exit 1; }
    # Committed: at most 60 inputs per target, the largest of that set (the fuller scenarios), plus
    # the regression-* inputs (each one that once failed, added with its fix), kept as they are.
    find "$committed.merged" -type f -printf '%s %p\n' | sort -rn | tail -n +61 | cut -d' ' -f2- | xargs -r rm -f
    find "$committed" -maxdepth 1 -type f -name 'regression-*' -exec mv -t "$committed.merged" {} +
    rm -rf "$committed" && mv "$committed.merged" "$committed"
    echo "$name: ${runs:-?} inputs, no crash; committed corpus: $(find "$committed" -type f | wc -l) files"
done
