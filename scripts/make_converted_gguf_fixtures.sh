#!/usr/bin/env bash
# Regenerates the GGUF fixtures that llama.cpp's own converter (and llama-quantize) make from golden checkpoints
# (Tests/SwitchyardModelTests/GGUFFixtures/{deepseek_v2_lite,deepseek_v2_groups,deepseek_v3_qlora,
# glm4_moe_groups,glm4_moe_bf16,gpt_oss_sliding_sinks,gpt_oss_mxfp4}.gguf), through
# scripts/convert_fixture_gguf.py. Needs the peer's sources (scripts/setup-peer.sh) and the
# converter's Python packages (torch, numpy, safetensors, transformers).
#
# Usage: scripts/make_converted_gguf_fixtures.sh [CONVERTER]
#   CONVERTER defaults to $PEER_CONVERTER, else the convert_hf_to_gguf.py of the build that
#   scripts/setup-peer.sh made.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
converter=${1:-${PEER_CONVERTER:-}}
if [ -z "$converter" ]; then
    build=$(dirname "$("$root/scripts/setup-peer.sh")")
    converter="$(dirname "$build")/src/llama_cpp_python-${build##*/build-}/vendor/llama.cpp/convert_hf_to_gguf.py"
fi
[ -f "$converter" ] || { echo "make_converted_gguf_fixtures: no convert_hf_to_gguf.py at '$converter'" >&2; exit 2; }
fixtures=$root/Tests/SwitchyardModelTests/Fixtures
out=$root/Tests/SwitchyardModelTests/GGUFFixtures
# fixture and --outtype (bf16 checkpoints stay bf16; the MXFP4 experts are repacked as they are)
for pair in deepseek_v2_lite:f32 deepseek_v2_groups:f32 deepseek_v3_qlora:f32 glm4_moe_groups:f32 \
            glm4_moe_bf16:bf16 gpt_oss_sliding_sinks:f32 gpt_oss_mxfp4:bf16; do
    name=${pair%%:*} type=${pair##*:}
    python3 "$root/scripts/convert_fixture_gguf.py" "$converter" "$fixtures/$name" "$out/$name.gguf" --outtype "$type" \
        > "${TMPDIR:-/tmp}/convert-$name.log" 2>&1 || { cat "${TMPDIR:-/tmp}/convert-$name.log" >&2; exit 1; }
    echo "wrote $out/$name.gguf"
done
# llama-quantize's Q4_K_M of one of them: narrow rows fall back to q5_0, q8_0 and f16.
quantize="${PEER_BIN:-$(dirname "$("$root/scripts/setup-peer.sh")")/bin}/llama-quantize"
"$quantize" "$out/deepseek_v3_qlora.gguf" "$out/deepseek_v3_qlora_q4_K_M.gguf" Q4_K_M > "${TMPDIR:-/tmp}/quantize.log" 2>&1 \
    || { cat "${TMPDIR:-/tmp}/quantize.log" >&2; exit 1; }
echo "wrote $out/deepseek_v3_qlora_q4_K_M.gguf"
