#!/usr/bin/env python3
"""Metadata-only GGUF copies of converted fixtures with one hyperparameter made wrong, for the
tests that show a clear error naming the key (Tests/SwitchyardModelTests/GGUFFixtures/bad_config/).

Needs a gguf-py with GGUFReader.contents() (llama.cpp's own: PYTHONPATH=.../vendor/llama.cpp/gguf-py).
Run from the repository root: python3 scripts/make_gguf_bad_config_fixtures.py
A config is read from metadata and tensor names only, so the copies hold no tensors (a few KB each).
"""
import os
import gguf

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "Tests", "SwitchyardModelTests", "GGUFFixtures")
OUT = os.path.join(SRC, "bad_config")

# name: (source fixture, {key: new value or None to drop})
CASES = {
    "deepseek2_gating_3": ("deepseek_v2_lite.gguf", {"deepseek2.expert_gating_func": (gguf.GGUFValueType.UINT32, 3)}),
    "deepseek2_no_kv_lora_rank": ("deepseek_v2_lite.gguf", {"deepseek2.attention.kv_lora_rank": None}),
    "deepseek2_groups_3": ("deepseek_v3_qlora.gguf", {"deepseek2.expert_group_count": (gguf.GGUFValueType.UINT32, 3)}),
    "glm4moe_nextn_all_blocks": ("glm4_moe_groups.gguf", {"glm4moe.nextn_predict_layers": (gguf.GGUFValueType.UINT32, 4)}),
    "glm4moe_rope_linear": ("glm4_moe_groups.gguf", {"glm4moe.rope.scaling.type": (gguf.GGUFValueType.STRING, "linear"),
                                                     "glm4moe.rope.scaling.factor": (gguf.GGUFValueType.FLOAT32, 2.0)}),
    "gptoss_yarn_no_factor": ("gpt_oss_sliding_sinks.gguf", {"gpt-oss.rope.scaling.factor": None}),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (source, changes) in CASES.items():
        reader = gguf.GGUFReader(os.path.join(SRC, source))
        arch = reader.fields["general.architecture"].contents()
        writer = gguf.GGUFWriter(os.path.join(OUT, name + ".gguf"), arch)
        for key, field in reader.fields.items():
            if key.startswith("GGUF.") or key == "general.architecture" or key in changes:
                continue
            vtype = field.types[0]
            if vtype == gguf.GGUFValueType.ARRAY:
                writer.add_key_value(key, field.contents(), vtype, sub_type=field.types[1])
            else:
                writer.add_key_value(key, field.contents(), vtype)
        for key, change in changes.items():
            if change is not None:
                writer.add_key_value(key, change[1], change[0])
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        print("wrote", name)


if __name__ == "__main__":
    main()
