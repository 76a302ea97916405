#!/usr/bin/env python3
"""Fixtures for `switchyard upcycle` (Tests/SwitchyardToolsTests/UpcycleFixtures).

Two steps, because the upcycled checkpoints are written by the Swift binary:

1. `make`: a tiny dense LlamaForCausalLM (GQA, untied head, weights scaled so outputs are peaked)
   saved as f32 safetensors in UpcycleFixtures/dense, and its reference outputs in float64
   (dense/expected.json: per prompt the last-position log-softmax and a 12-token greedy
   continuation with margins and log-probs, the format of the golden fixtures).
2. `verify DIR --name NAME`: loads an upcycled checkpoint with transformers
   (AutoModelForCausalLM), checks it is a MixtralForCausalLM, compares its log-probs at every
   position of every prompt with the dense model's (float32 and float64) and its greedy tokens,
   counts the experts the router picks per layer, and records the FNV-1a 64 hash of its
   safetensors so the Swift test knows it writes exactly the bytes transformers verified.
   Writes UpcycleFixtures/NAME.json (with the upcycled model's own float64 reference outputs, for
   the engine to be compared against transformers on it).

Usage:
    python3 scripts/make_upcycle_fixtures.py make
    swift run switchyard upcycle --model Tests/SwitchyardToolsTests/UpcycleFixtures/dense --out /tmp/up-copy \
        --experts 4 --top-k 2 --mode copy --seed 7
    python3 scripts/make_upcycle_fixtures.py verify /tmp/up-copy --name copy_e4_k2
    (split_e4_k4: --mode split --top-k 4; split_e4_k2: --mode split --top-k 2)
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SwitchyardToolsTests", "UpcycleFixtures")
PROMPTS = [[1, 17, 42, 99, 5, 63, 120, 8], [3, 3, 77, 12, 100, 31], [64, 2, 90, 45, 45, 7, 19, 111, 6, 50]]
GREEDY_STEPS = 12


def fnv1a64(paths):
    h = 0xCBF29CE484222325
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        for start in range(0, len(data), 1 << 20):
            for byte in data[start:start + (1 << 20)]:
                h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def reference(model, prompts):
    """Per prompt: last-position log-softmax, greedy continuation, margins, log-probs (model's dtype)."""
    out = []
    for ids in prompts:
        with torch.no_grad():
            seq = list(ids)
            logits = model(torch.tensor([seq])).logits[0, -1]
            last = torch.log_softmax(logits.double(), -1)
            tokens, margins, lps = [], [], []
            for _ in range(GREEDY_STEPS):
                top = torch.topk(logits.double(), 2)
                token = int(top.indices[0])
                tokens.append(token)
                margins.append(float(top.values[0] - top.values[1]))
                lps.append(float(torch.log_softmax(logits.double(), -1)[token]))
                seq.append(token)
                logits = model(torch.tensor([seq])).logits[0, -1]
        out.append({"token_ids": ids, "last_logprobs": [float(x) for x in last], "greedy_token_ids": tokens,
                    "greedy_margins": margins, "greedy_logprobs": lps})
    return out


def all_logprobs(model, prompts):
    with torch.no_grad():
        return [torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), -1) for ids in prompts]


def make(_args):
    torch.manual_seed(20261204)
    config = LlamaConfig(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=64,
                         rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False, bos_token_id=1,
                         eos_token_id=2, hidden_act="silu")
    model = LlamaForCausalLM(config).to(torch.float64)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif "embed_tokens" in name:
                p.copy_(torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) / p.shape[-1] ** 0.5 * (2.5 if "lm_head" in name else 1))
    dense_dir = os.path.join(ROOT, "dense")
    model.to(torch.float32).save_pretrained(dense_dir, safe_serialization=True)
    model = LlamaForCausalLM.from_pretrained(dense_dir, dtype=torch.float64).eval()
    expected = {"name": "dense", "family": "llama", "dtype": "F32", "features": ["gqa", "untied"],
                "vocab_size": config.vocab_size, "prompts": reference(model, PROMPTS),
                "transformers_version": transformers.__version__, "torch_version": torch.__version__}
    with open(os.path.join(dense_dir, "expected.json"), "w") as f:
        json.dump(expected, f)
    print("wrote", dense_dir)


def verify(args):
    dense_dir = os.path.join(ROOT, "dense")
    result = {"name": args.name, "transformers_version": transformers.__version__, "torch_version": torch.__version__}
    files = sorted(glob.glob(os.path.join(args.dir, "*.safetensors")))
    result["safetensors_fnv1a64"] = f"{fnv1a64(files):016x}"
    result["files"] = [os.path.basename(p) for p in files]
    config = json.load(open(os.path.join(args.dir, "config.json")))
    result["config"] = {k: config.get(k) for k in ["model_type", "num_local_experts", "num_experts_per_tok", "intermediate_size"]}
    for dtype, label in [(torch.float32, "f32"), (torch.float64, "f64")]:
        dense = LlamaForCausalLM.from_pretrained(dense_dir, dtype=dtype, attn_implementation="eager").eval()
        moe = AutoModelForCausalLM.from_pretrained(args.dir, dtype=dtype, attn_implementation="eager",
                                                   experts_implementation="eager").eval()
        result["architecture"] = type(moe).__name__
        worst = 0.0
        for a, b in zip(all_logprobs(dense, PROMPTS), all_logprobs(moe, PROMPTS)):
            worst = max(worst, float((a - b).abs().max()))
        result[f"max_abs_logprob_diff_vs_dense_{label}"] = worst
        if label == "f32":
            counts = {}
            hooks = []
            for i, layer in enumerate(moe.model.layers):
                def hook(_module, _inputs, output, i=i):
                    indices = output[2]
                    c = counts.setdefault(i, [0] * config["num_local_experts"])
                    for e in indices.flatten().tolist():
                        c[e] += 1
                hooks.append(layer.mlp.gate.register_forward_hook(hook))
            with torch.no_grad():
                for ids in PROMPTS:
                    moe(torch.tensor([ids]))
            for h in hooks:
                h.remove()
            result["expert_counts_per_layer"] = [counts[i] for i in sorted(counts)]
            gen_dense = [reference(dense, [ids])[0]["greedy_token_ids"] for ids in PROMPTS]
            gen_moe = [reference(moe, [ids])[0]["greedy_token_ids"] for ids in PROMPTS]
            result["greedy_equal_to_dense_f32"] = gen_dense == gen_moe
        else:
            result["prompts"] = reference(moe, PROMPTS)
    with open(os.path.join(ROOT, f"{args.name}.json"), "w") as f:
        json.dump(result, f)
    brief = {k: v for k, v in result.items() if k not in ("prompts",)}
    print(json.dumps(brief, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("make")
    v = sub.add_parser("verify")
    v.add_argument("dir")
    v.add_argument("--name", required=True)
    args = parser.parse_args()
    {"make": make, "verify": verify}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
