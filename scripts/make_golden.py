#!/usr/bin/env python3
"""Build the golden fixtures of Tests/SwitchyardModelTests/Fixtures/ with transformers itself.

Needs torch, transformers and safetensors (`pip install torch transformers safetensors`, CPU is
enough). Never run by CI: its output is committed. Run from the repository root:

    python3 scripts/make_golden.py [--out Tests/SwitchyardModelTests/Fixtures] [--only NAME ...]

For each fixture it builds a small random model with transformers (seeded), rescales the weights
the way `switchyard init-model` does (embeddings std 1, projections std 1/sqrt(fan_in), norms
~1, router gates std 3/sqrt(hidden), lm_head std 2.5/sqrt(hidden)) so routing is decisive and the
next-token distribution is peaked, saves it with `save_pretrained` (Hub per-expert layout), reloads
the saved files in float64 (eager attention, eager experts: the grouped-matmul expert path refuses
float64) and records what the model computes.

Each fixture directory holds config.json, generation_config.json, the safetensors file(s) and
`expected.json`:

    {
      "name": "mixtral_basic",              # directory name
      "family": "mixtral",                  # model_type
      "dtype": "F32",                       # storage dtype of the tensors (F32 or BF16)
      "features": ["..."],                  # what the fixture exercises
      "vocab_size": 256,
      "transformers_version": "5.x", "torch_version": "2.x",
      "prompts": [
        {
          "token_ids": [..],                # the prompt, 1 to 40 tokens
          "last_logprobs": [..],            # log_softmax of the logits at the last prompt position,
                                            # all vocab_size values (natural log, float64 reference)
          "greedy_token_ids": [..],         # 12 greedy tokens after the prompt (EOS does not stop it)
          "greedy_margins": [..],           # per step: top-1 minus top-2 raw logit
          "greedy_logprobs": [..]           # per step: log-probability of the chosen token
        }
      ]
    }

Tests compare logprobs within 1e-3 absolute, and greedy tokens wherever the margin is >= 1e-3.
"""

import argparse
import json
import math
import os
import shutil
import sys

import torch
import transformers
from transformers import (AutoModelForCausalLM, DeepseekV2Config, DeepseekV3Config, Glm4MoeConfig, GptOssConfig, LlamaConfig,
                          MixtralConfig, OlmoeConfig, Qwen2MoeConfig, Qwen3MoeConfig)
from transformers.integrations.mxfp4 import FP4_VALUES

PROMPT_LENGTHS = [1, 2, 5, 13, 27, 40]
GREEDY_STEPS = 12


def rescale(model, seed, embed_std=1.0):
    """Re-draw every parameter with init-model's scales (deterministic from the seed); `embed_std`
    lowers the embeddings of a tied model so its next-token distribution is not one-hot."""
    generator = torch.Generator().manual_seed(seed)
    hidden = model.config.hidden_size
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            shape = parameter.shape
            noise = torch.randn(shape, generator=generator, dtype=torch.float32)
            if name.endswith("embed_tokens.weight"):
                value = noise * embed_std
            elif name == "lm_head.weight":
                value = noise * (2.5 / math.sqrt(hidden))
            elif name.endswith("norm.weight"):
                value = 1 + 0.1 * noise
            elif name.endswith(".bias") or name.endswith("_proj_bias"):
                value = 0.1 * noise
            elif name.endswith("self_attn.sinks"):
                value = noise
            elif name.endswith("mlp.router.weight"):
                value = noise * (3 / math.sqrt(hidden))
            elif model.config.model_type == "gpt_oss" and (name.endswith("experts.gate_up_proj")
                                                            or name.endswith("experts.down_proj")):
                value = noise / math.sqrt(shape[1])  # gpt_oss stores [E, in, out]
            elif name.endswith("shared_expert_gate.weight"):
                value = noise / math.sqrt(hidden)
            elif name.endswith(".gate.weight"):
                value = noise * (3 / math.sqrt(hidden))
            else:
                value = noise / math.sqrt(shape[-1])
            parameter.copy_(value.to(parameter.dtype))
        # Buffers that are weights: the sigmoid routers' score-correction bias (zeros at init).
        for name, buffer in sorted(model.named_buffers()):
            if name.endswith("e_score_correction_bias"):
                buffer.copy_(0.3 * torch.randn(buffer.shape, generator=generator, dtype=torch.float32))


def common(**overrides):
    base = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, vocab_size=256, max_position_embeddings=512, bos_token_id=1,
                eos_token_id=2, tie_word_embeddings=False)
    base.update(overrides)
    return base


FIXTURES = {
    "mixtral_basic": dict(
        config=lambda: MixtralConfig(**common(), num_local_experts=4, num_experts_per_tok=2),
        features=["gqa", "renormalised top-2"], seed=1),
    "mixtral_bf16_sliding": dict(
        config=lambda: MixtralConfig(**common(hidden_size=48, num_attention_heads=6, num_key_value_heads=2,
                                              rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
                                     num_local_experts=4, num_experts_per_tok=2, sliding_window=8),
        features=["bf16 storage", "sliding_window 8 < prompt lengths", "rope_theta 1e4"], dtype=torch.bfloat16, seed=2),
    "qwen2_moe_sharded": dict(
        config=lambda: Qwen2MoeConfig(**common(), num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                                      shared_expert_intermediate_size=48, norm_topk_prob=False),
        features=["shared expert with sigmoid gate", "qkv bias", "sharded with index", "no renormalisation"],
        shard="60KB", seed=3),
    "qwen2_moe_sparse_step": dict(
        config=lambda: Qwen2MoeConfig(**common(num_hidden_layers=4), num_experts=4, num_experts_per_tok=2,
                                      moe_intermediate_size=32, shared_expert_intermediate_size=48,
                                      decoder_sparse_step=2, mlp_only_layers=[3], norm_topk_prob=True),
        features=["decoder_sparse_step 2", "mlp_only_layers [3]: only layer 1 sparse", "dense MLPs", "renormalised"],
        seed=4),
    "qwen3_moe_tied": dict(
        config=lambda: Qwen3MoeConfig(**common(tie_word_embeddings=True), head_dim=16, num_experts=4,
                                      num_experts_per_tok=2, moe_intermediate_size=32, norm_topk_prob=True),
        features=["tied embeddings", "head_dim 16 != hidden/heads", "per-head q/k RMSNorm"], seed=5),
    "olmoe_clip": dict(
        config=lambda: OlmoeConfig(**common(), num_experts=4, num_experts_per_tok=2, clip_qkv=1.5),
        features=["full q/k RMSNorm", "clip_qkv 1.5", "no renormalisation"], seed=6),
    "llama_untied_bias": dict(
        config=lambda: LlamaConfig(**common(), attention_bias=True, rope_theta=10000.0),
        features=["dense: the MLP is expert 0 of every layer", "gqa", "untied lm_head", "q/k/v/o bias"], seed=7),
    "llama_tied_llama3_rope": dict(
        config=lambda: LlamaConfig(**common(tie_word_embeddings=True, num_key_value_heads=1), head_dim=16,
                                   rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                                    "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                    "original_max_position_embeddings": 16}),
        features=["dense", "tied embeddings", "multi-query (1 KV head)", "head_dim 16 != hidden/heads",
                  "llama3 RoPE scaling (original 16 positions, so prompts cross all three bands)",
                  "embeddings std 0.3 (tied head not one-hot)"], seed=8, embed_std=0.3),
    "glm4_moe_groups": dict(
        config=lambda: Glm4MoeConfig(**common(num_hidden_layers=3), head_dim=16, n_routed_experts=8,
                                     num_experts_per_tok=3, moe_intermediate_size=24, n_shared_experts=2,
                                     n_group=4, topk_group=2, routed_scaling_factor=2.5, first_k_dense_replace=1,
                                     norm_topk_prob=True, use_qk_norm=True, attention_bias=True,
                                     rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                                      "partial_rotary_factor": 0.5}),
        features=["sigmoid routing with e_score_correction_bias", "n_group 4 / topk_group 2", "top-3 renormalised",
                  "routed_scaling_factor 2.5", "2 shared experts (one FFN of 2x moe size)", "first_k_dense_replace 1",
                  "partial_rotary_factor 0.5 of head_dim 16", "per-head q/k RMSNorm", "q/k/v bias"], seed=7),
    "glm4_moe_bf16": dict(
        config=lambda: Glm4MoeConfig(**common(num_hidden_layers=3, hidden_size=48, num_attention_heads=6),
                                     n_routed_experts=6, num_experts_per_tok=2, moe_intermediate_size=32,
                                     n_shared_experts=1, n_group=1, topk_group=1, routed_scaling_factor=1.8,
                                     first_k_dense_replace=2, norm_topk_prob=False, use_qk_norm=False,
                                     attention_bias=False),
        features=["bf16 storage", "sigmoid routing, one group, no renormalisation", "routed_scaling_factor 1.8",
                  "first_k_dense_replace 2", "default partial_rotary_factor 0.5 of head_dim 8"],
        dtype=torch.bfloat16, seed=8),
    "deepseek_v3_qlora": dict(
        config=lambda: DeepseekV3Config(**common(num_hidden_layers=3, num_key_value_heads=4), q_lora_rank=24, kv_lora_rank=16,
                                        qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=12, n_routed_experts=8,
                                        num_experts_per_tok=3, moe_intermediate_size=24, n_shared_experts=1,
                                        n_group=4, topk_group=2, routed_scaling_factor=2.5, first_k_dense_replace=1,
                                        norm_topk_prob=True, rope_interleave=True),
        features=["MLA with q LoRA (q_a_proj, q_a_layernorm, q_b_proj)", "kv_lora_rank 16 latent + rope 8",
                  "interleaved RoPE", "v_head_dim 12 != qk head 16", "sigmoid noaux_tc routing, n_group 4 / topk_group 2",
                  "routed_scaling_factor 2.5", "shared expert", "first_k_dense_replace 1"], seed=9),
    "deepseek_v3_bf16_plain_q": dict(
        config=lambda: DeepseekV3Config(**common(num_hidden_layers=2, hidden_size=48, num_attention_heads=6,
                                                   num_key_value_heads=6),
                                        q_lora_rank=None, kv_lora_rank=24, qk_nope_head_dim=8, qk_rope_head_dim=4,
                                        v_head_dim=8, n_routed_experts=6, num_experts_per_tok=2,
                                        moe_intermediate_size=32, n_shared_experts=2, n_group=2, topk_group=1,
                                        routed_scaling_factor=1.5, first_k_dense_replace=0, norm_topk_prob=False,
                                        rope_interleave=False, attention_bias=True),
        features=["bf16 storage", "MLA without q LoRA (q_proj)", "rotate_half RoPE (rope_interleave false)",
                  "attention biases (q_a/kv_a/o)", "n_group 2 / topk_group 1", "no renormalisation",
                  "2 shared experts", "no dense layers"], dtype=torch.bfloat16, seed=10),
    "deepseek_v2_lite": dict(
        config=lambda: DeepseekV2Config(**common(num_hidden_layers=3, num_key_value_heads=4), q_lora_rank=None, kv_lora_rank=16,
                                        qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=8, n_routed_experts=8,
                                        num_experts_per_tok=2, moe_intermediate_size=24, n_shared_experts=2,
                                        first_k_dense_replace=1, topk_method="greedy", routed_scaling_factor=1.0),
        features=["MLA without q LoRA (V2-Lite shape)", "complex (interleaved) RoPE", "softmax greedy top-2",
                  "no renormalisation", "2 shared experts", "first_k_dense_replace 1"], seed=11),
    "deepseek_v2_groups": dict(
        config=lambda: DeepseekV2Config(**common(num_hidden_layers=2, num_key_value_heads=4), q_lora_rank=20, kv_lora_rank=16,
                                        qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=8, n_routed_experts=8,
                                        num_experts_per_tok=3, moe_intermediate_size=24, n_shared_experts=1,
                                        first_k_dense_replace=0, topk_method="group_limited_greedy", n_group=4,
                                        topk_group=2, routed_scaling_factor=1.5),
        features=["MLA with q LoRA", "softmax group_limited_greedy (groups by max), n_group 4 / topk_group 2",
                  "routed_scaling_factor 1.5"], seed=12),
    "deepseek_v3_yarn": dict(
        config=lambda: DeepseekV3Config(**common(num_hidden_layers=2, num_key_value_heads=4), q_lora_rank=16,
                                        kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=8,
                                        n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=24,
                                        n_shared_experts=1, n_group=1, topk_group=1, routed_scaling_factor=2.5,
                                        first_k_dense_replace=1, norm_topk_prob=True,
                                        rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0,
                                                         "original_max_position_embeddings": 64, "mscale": 0.8,
                                                         "mscale_all_dim": 1.0, "beta_fast": 32, "beta_slow": 1}),
        features=["YaRN RoPE (factor 8, original 64 positions)", "attention_factor mscale(0.8)/mscale(1.0) on cos/sin",
                  "softmax scale times mscale(factor, mscale_all_dim)^2", "MLA with q LoRA"], seed=13),
    "gpt_oss_sliding_sinks": dict(
        config=lambda: GptOssConfig(**common(num_hidden_layers=4, num_key_value_heads=2, intermediate_size=32), head_dim=8,
                                    num_local_experts=4, num_experts_per_tok=2, sliding_window=6,
                                    swiglu_limit=1.5,
                                    rope_parameters={"rope_type": "yarn", "rope_theta": 150000.0, "factor": 32.0,
                                                     "beta_fast": 32.0, "beta_slow": 1.0, "truncate": False,
                                                     "original_max_position_embeddings": 16}),
        features=["attention sinks", "sliding_window 6 < prompt lengths on layers 0 and 2 (default layer_types)",
                  "q/k/v/o biases", "YaRN factor 32 over 16 original positions, truncate false",
                  "router with bias, softmax over the top-2 logits", "expert biases",
                  "clamped SwiGLU (alpha 1.702, limit 1.5 so the clamp bites)", "fused interleaved gate_up_proj"],
        seed=14),
    "gpt_oss_mxfp4": dict(
        config=lambda: GptOssConfig(**common(num_hidden_layers=3, hidden_size=64, num_attention_heads=4,
                                             num_key_value_heads=1, intermediate_size=64), head_dim=16,
                                    num_local_experts=6, num_experts_per_tok=3, sliding_window=5,
                                    layer_types=["full_attention", "sliding_attention", "sliding_attention"]),
        features=["MXFP4 experts (gate_up_proj/down_proj _blocks + _scales), dequantized by transformers",
                  "bf16 storage of the rest", "layer_types full, sliding, sliding; sliding_window 5",
                  "default YaRN (factor 32 over 4096)", "default clamped SwiGLU (limit 7)", "top-3 of 6",
                  "multi-query (1 KV head)"],
        dtype=torch.bfloat16, mxfp4=True, seed=15),
}


def quantize_mxfp4(weight):
    """`weight` [..., rows, cols] (cols a multiple of 32) as MXFP4 blocks [..., rows, cols/32, 16] and
    E8M0 scales [..., rows, cols/32]: per block of 32 the smallest power of two that brings the
    largest magnitude within FP4's 6, each value rounded to the nearest FP4 value, two per byte with
    the low nibble first (the layout transformers' `_convert_moe_packed_tensors` reads)."""
    *prefix, rows, cols = weight.shape
    blocks = weight.to(torch.float64).reshape(*prefix, rows, cols // 32, 32)
    amax = blocks.abs().amax(dim=-1, keepdim=True).clamp(min=2.0 ** -120)
    exponent = torch.ceil(torch.log2(amax / 6.0))
    scaled = blocks / torch.pow(2.0, exponent)
    lut = torch.tensor(FP4_VALUES, dtype=torch.float64)
    codes = (scaled.unsqueeze(-1) - lut).abs().argmin(dim=-1).to(torch.uint8)
    packed = codes[..., 0::2] | (codes[..., 1::2] << 4)
    scales = (exponent.squeeze(-1) + 127).to(torch.uint8)
    return packed.contiguous(), scales.contiguous()


def write_mxfp4(directory):
    """Replaces the saved experts' `gate_up_proj` / `down_proj` by MXFP4 `_blocks` + `_scales` in
    the checkpoint layout real gpt-oss files use ([E, out, in]) and declares the quantization."""
    from safetensors.torch import load_file, save_file
    path = os.path.join(directory, "model.safetensors")
    tensors = load_file(path)
    for name in sorted(tensors):
        if name.endswith("experts.gate_up_proj") or name.endswith("experts.down_proj"):
            weight = tensors.pop(name).transpose(-1, -2)  # [E, in, out] -> [E, out, in]
            tensors[name + "_blocks"], tensors[name + "_scales"] = quantize_mxfp4(weight)
    save_file(tensors, path, metadata={"format": "pt"})
    config_path = os.path.join(directory, "config.json")
    with open(config_path) as handle:
        config = json.load(handle)
    config["quantization_config"] = {
        "quant_method": "mxfp4",
        "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"],
    }
    with open(config_path, "w") as handle:
        json.dump(config, handle, indent=2)


def log_softmax(logits):
    return torch.log_softmax(logits.to(torch.float64), dim=-1)


def run(model, tokens):
    with torch.no_grad():
        return model(torch.tensor([tokens])).logits[0, -1].to(torch.float64)


def build(name, spec, out_dir):
    directory = os.path.join(out_dir, name)
    shutil.rmtree(directory, ignore_errors=True)
    torch.manual_seed(spec["seed"])
    config = spec["config"]()
    model = AutoModelForCausalLM.from_config(config)
    rescale(model, spec["seed"], spec.get("embed_std", 1.0))
    dtype = spec.get("dtype", torch.float32)
    model = model.to(dtype)
    model.save_pretrained(directory, max_shard_size=spec.get("shard", "50GB"))
    if spec.get("mxfp4"):
        write_mxfp4(directory)

    reference, info = AutoModelForCausalLM.from_pretrained(
        directory, dtype=torch.float64, attn_implementation="eager", experts_implementation="eager",
        output_loading_info=True)
    problems = {key: value for key, value in info.items() if value and key != "conversion_errors"}
    if info.get("conversion_errors"):
        sys.exit(f"{name}: transformers reloaded with conversion errors: {info['conversion_errors']}")
    if problems:
        sys.exit(f"{name}: transformers reloaded with problems: {problems}")
    reference.eval()

    generator = torch.Generator().manual_seed(1000 + spec["seed"])
    vocab = config.vocab_size
    prompts = []
    for length in PROMPT_LENGTHS:
        tokens = torch.randint(0, vocab, (length,), generator=generator).tolist()
        last = log_softmax(run(reference, tokens))
        sequence = list(tokens)
        greedy, margins, logprobs = [], [], []
        for _ in range(GREEDY_STEPS):
            logits = run(reference, sequence)
            top = torch.topk(logits, 2)
            token = int(top.indices[0])
            greedy.append(token)
            margins.append(round(float(top.values[0] - top.values[1]), 7))
            logprobs.append(round(float(log_softmax(logits)[token]), 7))
            sequence.append(token)
        prompts.append({
            "token_ids": tokens,
            "last_logprobs": [round(float(x), 7) for x in last],
            "greedy_token_ids": greedy,
            "greedy_margins": margins,
            "greedy_logprobs": logprobs,
        })
        entropy = float(-(last.exp() * last).sum())
        print(f"{name}: prompt {length:2d}: entropy {entropy:.2f} nats (uniform {math.log(vocab):.2f}), "
              f"min greedy margin {min(margins):.4f}")

    expected = {
        "name": name,
        "family": config.model_type,
        "dtype": {torch.float32: "F32", torch.bfloat16: "BF16"}[dtype],
        "features": spec["features"],
        "vocab_size": vocab,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "prompts": prompts,
    }
    with open(os.path.join(directory, "expected.json"), "w") as handle:
        json.dump(expected, handle, separators=(",", ":"))
        handle.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="Tests/SwitchyardModelTests/Fixtures")
    parser.add_argument("--only", nargs="*", default=None, help="fixture names to (re)build")
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for name, spec in FIXTURES.items():
        if args.only and name not in args.only:
            continue
        build(name, spec, args.out)
    total = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(args.out) for f in files)
    print(f"fixtures: {total / 1e6:.2f} MB in {args.out}")


if __name__ == "__main__":
    main()
