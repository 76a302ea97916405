#!/usr/bin/env python3
"""Runs lm-evaluation-harness `local-completions` (remote tokenizer: /tokenizer_info, /tokenize,
/detokenize; log-likelihoods through `echo` + `logprobs`) on the committed multiple-choice task
against a running `switchyard serve` of scripts/lm_eval_fixture/model, and checks every
per-choice log-likelihood against expected.json (lm-eval's `hf` model) within 1e-3.

Usage: python3 scripts/lm_eval_client_test.py BASE_URL MODEL_NAME
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lm_eval_tiny_mc import choice_loglikelihoods, load_expected  # noqa: E402

TOLERANCE = 1e-3


def main() -> int:
    base_url, model = sys.argv[1].rstrip("/"), sys.argv[2]
    args = (f"model={model},base_url={base_url}/v1/completions,tokenizer_backend=remote,"
            "tokenized_requests=True,num_concurrent=1,max_retries=1")
    got = choice_loglikelihoods("local-completions", args)
    expected = load_expected()["loglikelihoods"]
    assert len(got) == len(expected), f"{len(got)} documents, expected {len(expected)}"
    worst = 0.0
    for doc, (row, reference) in enumerate(zip(got, expected)):
        assert len(row) == len(reference), f"document {doc}: {len(row)} choices, expected {len(reference)}"
        for choice, (value, ref) in enumerate(zip(row, reference)):
            difference = abs(value - ref)
            worst = max(worst, difference)
            assert difference <= TOLERANCE, f"document {doc} choice {choice}: {value} vs hf {ref} (|d| = {difference:.2e})"
    print(f"lm-eval: {sum(len(r) for r in got)} choice log-likelihoods match lm-eval's hf model (max |d| = {worst:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
