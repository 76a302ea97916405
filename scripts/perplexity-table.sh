#!/usr/bin/env bash
# The perplexity table of the README ("Upcycling: a dense model into an MoE"): SmolLM2-135M-Instruct dense (its
# Q4_1 GGUF dequantized to f32) and the MoEs `switchyard upcycle` makes of it (copy E=8 K=2; split
# E=8 with K=8, 4, 2), each scored by `switchyard perplexity` on scripts/perplexity-text.txt (English
# written for this project) with the dense model as the baseline on the same tokens (mean KL, top-1
# agreement). Prints every command it runs, then the table in Markdown.
# Usage: scripts/perplexity-table.sh [PATH/TO/switchyard]   (default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-$(swift build -c release --show-bin-path)/switchyard}"
models="${MODELS_DIR:-models}"
text=scripts/perplexity-text.txt
gguf_line="$(MODELS_DIR="$models" scripts/fetch-smollm2.sh | tail -1)"
[ "${gguf_line#gguf: }" != "$gguf_line" ] || { echo "perplexity-table: SmolLM2 could not be fetched: $gguf_line" >&2; exit 1; }
gguf="${gguf_line#gguf: }"
work="$models/perplexity-table"
mkdir -p "$work"

show() { echo "+ $*" >&2; "$@"; }

# name, then the upcycle flags (none for the dense model)
variants=(
    "dense|"
    "copy-e8-k2|--mode copy --experts 8 --top-k 2"
    "split-e8-k8|--mode split --experts 8 --top-k 8"
    "split-e8-k4|--mode split --experts 8 --top-k 4"
    "split-e8-k2|--mode split --experts 8 --top-k 2"
)
rows=()
for variant in "${variants[@]}"; do
    name="${variant%%|*}"
    flags="${variant#*|}"
    if [ -z "$flags" ]; then
        model="$gguf"
        dtype=(--dtype f32)
        baseline=()
    else
        model="$work/$name"
        # shellcheck disable=SC2086
        show "$bin" upcycle --model "$gguf" --out "$model" $flags --seed 1 --overwrite >"$work/$name.upcycle.log"
        dtype=()
        baseline=(--baseline-model "$gguf" --baseline f32)
    fi
    json="$(show "$bin" perplexity --model "$model" "${dtype[@]}" --text "$text" --context 512 "${baseline[@]}" --json)"
    echo "$json" >"$work/$name.json"
    rows+=("$(python3 -c '
import json, sys
r = json.loads(sys.argv[2])
against = ("%.2e | %.2f%%" % (r["mean_kl"], 100 * r["top1_agreement"])) if "mean_kl" in r else "(baseline) | (baseline)"
print("| %s | %d | %.3f | %s |" % (sys.argv[1], r["tokens"], r["perplexity"], against))' "$name" "$json")")
done

echo
echo "| model | tokens scored | perplexity | mean KL vs dense (nats) | top-1 agreement with dense |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
