#!/usr/bin/env bash
# Encode throughput of the Swift tokenizer against the Hugging Face `tokenizers` package on the
# same generated text (a few MB, line by line, one thread each), in the same run. Trains a GPT-2
# style byte-level BPE and a Llama-style SentencePiece BPE (byte fallback) on the text first, and
# checks that both implementations produce the same ids (count and FNV hash).
#   scripts/bench-tokenizer.sh [MEGABYTES] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
megabytes="${1:-4}"
seconds="${2:-3}"
python3 -c "import tokenizers" 2>/dev/null || python3 -m pip install -q tokenizers
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
swift build -c release --product switchyard >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
bin="$(swift build -c release --show-bin-path)/switchyard"
python3 scripts/bench_tokenizer.py prepare "$work" --megabytes "$megabytes"

printf "%-14s %12s %12s %8s  %s\n" tokenizer "swift MB/s" "python MB/s" ratio "same ids"
for kind in bytelevel sentencepiece; do
    swift_json="$("$bin" tokenize --model "$work/$kind" --bench "$work/corpus.txt" --seconds "$seconds" --json)"
    python_json="$(RAYON_NUM_THREADS=1 python3 scripts/bench_tokenizer.py measure "$work/$kind" "$work/corpus.txt" --seconds "$seconds")"
    python3 - "$kind" "$swift_json" "$python_json" <<'PY'
import json, sys
kind, swift, python = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
same = swift["tokens"] == python["tokens"] and swift["ids_hash"] == python["ids_hash"]
print(f"{kind:<14} {swift['mb_per_s']:12.2f} {python['mb_per_s']:12.2f} {swift['mb_per_s'] / python['mb_per_s']:7.2f}x  "
      f"{'yes' if same else 'NO'} ({swift['tokens']} tokens, {swift['bytes'] / 1e6:.1f} MB)")
if not same:
    sys.exit(f"bench-tokenizer: {kind}: the Swift ids differ from tokenizers' ({swift} vs {python})")
PY
done
