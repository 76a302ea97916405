#!/usr/bin/env bash
# Builds the llama.cpp "peer" reference tools (llama-server, llama-bench, llama-cli, ...)
# from the llama.cpp copy vendored in the llama-cpp-python sdist on PyPI (the only
# registry reachable here besides Debian apt).
#
# Usage:
#   scripts/setup-peer.sh                 # cache in /work/peer
#   PEER_DIR=/some/dir scripts/setup-peer.sh
#   LLAMA_CPP_PYTHON_VERSION=0.3.36 JOBS=2 scripts/setup-peer.sh
#
# Idempotent: re-running reuses the downloaded sdist, the extracted tree and the
# CMake build dir (an up-to-date build is a no-op). The last line printed is the
# directory holding the built binaries.
#
# Layout under $PEER_DIR:
#   sdist/llama_cpp_python-<ver>.tar.gz   downloaded sdist
#   src/llama_cpp_python-<ver>/           extracted sdist (vendor/llama.cpp inside)
#   build-<ver>/bin/                      built tools
#   bin -> build-<ver>/bin                convenience symlink
set -euo pipefail

VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
PEER_DIR="${PEER_DIR:-/work/peer}"
JOBS="${JOBS:-2}"
PYTHON="${PYTHON:-python3}"
TARGETS=(llama-server llama-bench llama-batched-bench llama-quantize llama-cli
         llama-simple llama-perplexity llama-tokenize)

log() { echo "setup-peer: $*" >&2; }

mkdir -p "$PEER_DIR/sdist" "$PEER_DIR/src"

# --- tools -----------------------------------------------------------------
if ! command -v cmake >/dev/null 2>&1; then
    log "installing cmake via apt"
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq cmake >/dev/null
fi
if ! "$PYTHON" -c 'import scikit_build_core' >/dev/null 2>&1; then
    log "installing scikit-build-core"
    "$PYTHON" -m pip install -q scikit-build-core
fi

# --- sdist -----------------------------------------------------------------
sdist=$(ls "$PEER_DIR"/sdist/llama_cpp_python-"$VERSION".tar.gz 2>/dev/null | head -1 || true)
if [ -z "$sdist" ]; then
    log "downloading llama-cpp-python==$VERSION sdist"
    # pip download of an sdist runs the build backend's metadata hook; with
    # --no-build-isolation that needs scikit-build-core (installed above). If pip
    # still fails after having saved the tarball, we carry on with the tarball.
    "$PYTHON" -m pip download --no-deps --no-binary :all: --no-build-isolation \
        "llama-cpp-python==$VERSION" -d "$PEER_DIR/sdist" >&2 || \
        log "pip download returned non-zero; checking for the tarball anyway"
    sdist=$(ls "$PEER_DIR"/sdist/llama_cpp_python-"$VERSION".tar.gz 2>/dev/null | head -1 || true)
    if [ -z "$sdist" ]; then
        log "no sdist for llama-cpp-python==$VERSION in $PEER_DIR/sdist (offline?)"
        exit 3
    fi
fi
log "sdist: $sdist ($(du -h "$sdist" | cut -f1))"

src="$PEER_DIR/src/llama_cpp_python-$VERSION"
if [ ! -f "$src/vendor/llama.cpp/CMakeLists.txt" ]; then
    log "extracting into $PEER_DIR/src"
    rm -rf "$src"
    tar -xzf "$sdist" -C "$PEER_DIR/src"
fi
llama_src="$src/vendor/llama.cpp"
[ -f "$llama_src/CMakeLists.txt" ] || { log "no vendor/llama.cpp in $sdist"; exit 1; }

# --- build -----------------------------------------------------------------
build="$PEER_DIR/build-$VERSION"
if [ ! -f "$build/CMakeCache.txt" ]; then
    log "configuring $build"
    cmake -S "$llama_src" -B "$build" -DCMAKE_BUILD_TYPE=Release \
        -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF >&2
fi
# Only ask for targets this llama.cpp version defines.
available=$(cmake --build "$build" --target help 2>/dev/null | sed -n 's/^\.\.\. \([^ ]*\).*/\1/p')
want=()
for t in "${TARGETS[@]}"; do
    if grep -qx "$t" <<<"$available"; then want+=("$t"); else log "target $t not defined, skipping"; fi
done
((${#want[@]})) || { log "none of the wanted targets exist"; exit 1; }
log "building ${want[*]} with -j$JOBS"
cmake --build "$build" --config Release -j"$JOBS" --target "${want[@]}" >&2

ln -sfn "build-$VERSION/bin" "$PEER_DIR/bin"
log "built: $(cd "$build/bin" && ls | tr '\n' ' ')"
log "converter: $src/vendor/llama.cpp/convert_hf_to_gguf.py"
echo "$build/bin"
