#!/usr/bin/env python3
"""Check that transformers loads checkpoints written by `switchyard init-model` with no missing,
unexpected or mismatched keys, and print the next-token entropy of a few prompts.

    python3 scripts/verify_init_model.py DIR [DIR ...]
"""
import math
import sys

import torch
from transformers import AutoModelForCausalLM


def main():
    torch.set_num_threads(2)
    for directory in sys.argv[1:]:
        model, info = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32, output_loading_info=True)
        problems = {key: value for key, value in info.items() if value}
        if problems:
            sys.exit(f"{directory}: loading problems: {problems}")
        vocab = model.config.vocab_size
        generator = torch.Generator().manual_seed(0)
        entropies = []
        with torch.no_grad():
            for length in (1, 8, 32):
                ids = torch.randint(0, vocab, (1, length), generator=generator)
                logprobs = torch.log_softmax(model(ids).logits[0, -1].double(), -1)
                entropies.append(float(-(logprobs.exp() * logprobs).sum()))
        params = sum(p.numel() for p in model.parameters())
        print(f"{directory}: {model.config.model_type} loaded cleanly, {params} parameters, next-token entropy "
              + ", ".join(f"{e:.2f}" for e in entropies) + f" nats (uniform {math.log(vocab):.2f})")


if __name__ == "__main__":
    main()
