#!/usr/bin/env python3
"""Computes the reference log-likelihoods of scripts/lm_eval_fixture/ with lm-evaluation-harness's
`hf` model (transformers, float32, CPU) on the committed checkpoint, and writes expected.json.

Never run by `make test` (it needs torch and transformers); rerun it by hand after changing the
fixture, then commit expected.json:

    pip install "lm_eval[hf]==0.4.13" torch transformers
    python3 scripts/make_lm_eval_reference.py

The checkpoint (scripts/lm_eval_fixture/model) was written by
`switchyard init-model --family mixtral --preset tiny --dtype bf16 --seed 11`, which also writes its
byte-level BPE tokenizer. `make test` runs scripts/lm_eval_client_test.py, which runs the same task
with `local-completions` against `switchyard serve` on that checkpoint and compares within 1e-3.
"""
import json
import sys

import lm_eval
import torch
import transformers

sys.path.insert(0, __import__("os").path.dirname(__file__))
from lm_eval_tiny_mc import EXPECTED, MODEL_DIR, choice_loglikelihoods  # noqa: E402


def main():
    torch.set_num_threads(2)
    # No BOS: lm-eval's remote tokenizer (what local-completions uses) encodes without special tokens.
    values = choice_loglikelihoods("hf", f"pretrained={MODEL_DIR},dtype=float32,device=cpu,add_bos_token=False")
    document = {
        "task": "switchyard_tiny_mc",
        "model": "lm-eval hf, float32, cpu, add_bos_token=False",
        "lm_eval_version": getattr(lm_eval, "__version__", "unknown"),
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "loglikelihoods": values,
    }
    with open(EXPECTED, "w") as file:
        json.dump(document, file, indent=1)
        file.write("\n")
    print(f"wrote {EXPECTED}: {sum(len(v) for v in values)} choices over {len(values)} documents")


if __name__ == "__main__":
    main()
