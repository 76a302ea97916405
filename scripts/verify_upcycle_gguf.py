#!/usr/bin/env python3
"""Checks an upcycled GGUF model against transformers' own loading of the GGUF.

    python3 scripts/verify_upcycle_gguf.py --gguf SmolLM2-135M-Instruct.Q4_1.gguf --upcycled DIR [--greedy 16]

transformers dequantizes the GGUF to float32 (the dense reference); the upcycled directory is
loaded with AutoModelForCausalLM / AutoTokenizer. Prints one JSON object: the class loaded, token
ids of fixture texts and of the rendered chat template (equal or not), max |Δ log-prob| over every
position of the chat prompt, and both greedy continuations.
"""
import argparse
import json
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

TEXTS = ["The quick brown fox jumps over the lazy dog.", "In 2024, 3.14159 * 42 = 131.94678 and 1,000,000 > 999999.",
         "def add(a, b):\n    return a + b\n", "Café naïve résumé — 日本語, русский. 🍕🚀", "   three  spaces\n\n\nend",
         "<|im_start|>user\nhi<|im_end|>"]
MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gguf", required=True)
    p.add_argument("--upcycled", required=True)
    p.add_argument("--greedy", type=int, default=16)
    a = p.parse_args()
    d, f = os.path.dirname(os.path.abspath(a.gguf)), os.path.basename(a.gguf)
    ref_tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    tok = AutoTokenizer.from_pretrained(a.upcycled)
    out = {"tokenizer_class": type(tok).__name__}
    out["texts_equal"] = [ref_tok(t, add_special_tokens=False)["input_ids"] == tok(t, add_special_tokens=False)["input_ids"] for t in TEXTS]
    ref_chat = ref_tok.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)
    chat = tok.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)
    out["chat_template_equal"] = ref_chat == chat
    ids = tok(chat, add_special_tokens=False)["input_ids"]
    out["chat_ids_equal"] = ids == ref_tok(ref_chat, add_special_tokens=False)["input_ids"]
    dense = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    moe = AutoModelForCausalLM.from_pretrained(a.upcycled, dtype=torch.float32).eval()
    out["class"] = type(moe).__name__
    x = torch.tensor([ids])
    with torch.no_grad():
        ld = torch.log_softmax(dense(x).logits[0].double(), -1)
        lm = torch.log_softmax(moe(x).logits[0].double(), -1)
    out["max_abs_logprob_diff_all_positions"] = float((ld - lm).abs().max())
    out["positions"] = len(ids)
    with torch.no_grad():
        gd = dense.generate(x, max_new_tokens=a.greedy, do_sample=False)[0, len(ids):].tolist()
        gm = moe.generate(x, max_new_tokens=a.greedy, do_sample=False)[0, len(ids):].tolist()
    out["greedy_dense"] = tok.decode(gd)
    out["greedy_upcycled"] = tok.decode(gm)
    out["greedy_equal"] = gd == gm
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
