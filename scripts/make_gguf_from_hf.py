#!/usr/bin/env python3
"""Write a GGUF copy of a small Hugging Face golden fixture, laid out as llama.cpp's converter lays it out.

Needs `pip install gguf numpy safetensors`. Run from the repository root:

    python3 scripts/make_gguf_from_hf.py Tests/SwitchyardModelTests/Fixtures/llama_untied_bias \\
        Tests/SwitchyardModelTests/GGUFFixtures/llama_untied_bias.gguf [--type f32|q8_0]

Supported: `llama` (dense) and `mixtral` (written as llama.cpp does: architecture `llama` with
`llama.expert_count`, experts stacked into `blk.N.ffn_{gate,up,down}_exps` `[E, out, in]`, router
`ffn_gate_inp`). The layout follows llama.cpp's documented GGUF conventions (names `token_embd`,
`blk.N.attn_q`, `ffn_norm`, ...; ggml dims are the reverse of the numpy shape), and the q/k rows
(weights and biases) are permuted per head the way the converter permutes them for llama's
interleaved RoPE, so the Swift reader's un-permutation is exercised. No tokenizer is written
(`llama.vocab_size` instead): tests drive the model with token ids.
"""
import argparse
import json
import os

import numpy as np
import gguf
from safetensors.numpy import load_file


def permute(weights, heads):
    """HF row i*half+j of each head goes to row 2j+i (rotate-half order to interleaved pairs)."""
    rows = weights.shape[0]
    shaped = weights.reshape(heads, 2, rows // heads // 2, *weights.shape[1:])
    return shaped.swapaxes(1, 2).reshape(weights.shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--type", choices=["f32", "q8_0"], default="f32",
                        help="storage of 2-D weights (norms and biases stay f32)")
    args = parser.parse_args()

    config = json.load(open(os.path.join(args.source, "config.json")))
    family = config["model_type"]
    if family not in ("llama", "mixtral"):
        raise SystemExit(f"{family}: only llama and mixtral are written")
    tensors = {}
    for name in sorted(os.listdir(args.source)):
        if name.endswith(".safetensors"):
            tensors.update({k: v.astype(np.float32) for k, v in load_file(os.path.join(args.source, name)).items()})

    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads") or heads
    head_dim = config.get("head_dim") or hidden // heads
    layers = config["num_hidden_layers"]
    rope = config.get("rope_parameters") or {}
    if rope.get("rope_type", "default") != "default":
        raise SystemExit("only default RoPE is written")
    experts = config.get("num_local_experts", 0) if family == "mixtral" else 0

    writer = gguf.GGUFWriter(args.out, "llama")
    writer.add_name(os.path.basename(args.source.rstrip("/")))
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(hidden)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(float(rope.get("rope_theta", config.get("rope_theta", 10000.0))))
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_vocab_size(config["vocab_size"])
    if experts:
        writer.add_expert_count(experts)
        writer.add_expert_used_count(config["num_experts_per_tok"])
    writer.add_file_type(gguf.LlamaFileType.ALL_F32 if args.type == "f32" else gguf.LlamaFileType.MOSTLY_Q8_0)

    def add(name, array):
        array = np.ascontiguousarray(array, dtype=np.float32)
        if args.type == "q8_0" and array.ndim >= 2 and array.shape[-1] % 32 == 0:
            data = gguf.quants.quantize(array, gguf.GGMLQuantizationType.Q8_0)
            writer.add_tensor(name, data, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(name, array)

    add("token_embd.weight", tensors["model.embed_tokens.weight"])
    for layer in range(layers):
        p = f"model.layers.{layer}."
        b = f"blk.{layer}."
        add(b + "attn_norm.weight", tensors[p + "input_layernorm.weight"])
        for hf, gg, permute_heads in (("q_proj", "attn_q", heads), ("k_proj", "attn_k", kv_heads),
                                      ("v_proj", "attn_v", None), ("o_proj", "attn_output", None)):
            for suffix in ("weight", "bias"):
                key = p + f"self_attn.{hf}.{suffix}"
                if key in tensors:
                    value = tensors[key]
                    add(b + f"{gg}.{suffix}", permute(value, permute_heads) if permute_heads else value)
        add(b + "ffn_norm.weight", tensors[p + "post_attention_layernorm.weight"])
        if experts:
            moe = p + "block_sparse_moe."
            add(b + "ffn_gate_inp.weight", tensors[moe + "gate.weight"])
            for hf, gg in (("w1", "ffn_gate_exps"), ("w3", "ffn_up_exps"), ("w2", "ffn_down_exps")):
                add(b + gg + ".weight", np.stack([tensors[moe + f"experts.{e}.{hf}.weight"] for e in range(experts)]))
        else:
            for proj in ("gate", "up", "down"):
                add(b + f"ffn_{proj}.weight", tensors[p + f"mlp.{proj}_proj.weight"])
    add("output_norm.weight", tensors["model.norm.weight"])
    if "lm_head.weight" in tensors and not config.get("tie_word_embeddings", False):
        add("output.weight", tensors["lm_head.weight"])

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"{args.out}: {os.path.getsize(args.out) / 1e3:.1f} kB")


if __name__ == "__main__":
    main()
