#!/usr/bin/env python3
"""Run llama.cpp's convert_hf_to_gguf.py on a checkpoint whose BPE tokenizer it does not know.

Usage: python3 scripts/peer_convert.py CONVERTER [converter arguments...]
e.g.   python3 scripts/peer_convert.py .../vendor/llama.cpp/convert_hf_to_gguf.py \\
           --outtype q8_0 --outfile bench-q8_0.gguf models/bench

The converter names a BPE tokenizer's pre-tokenizer by hashing how it splits a test text and
refuses any hash outside its list ("BPE pre-tokenizer was not recognized"). `switchyard init-model`
trains its own byte-level BPE, so its hash is in no list. When the tokenizer.json's pre-tokenizer is
a plain ByteLevel with the GPT-2 regex (what init-model writes), that split is exactly llama.cpp's
"gpt-2" pre-tokenizer, so this wrapper answers "gpt-2" instead of failing; any other unknown
tokenizer still fails as before. Everything else is the converter unchanged (and its bundled
gguf-py, not the installed `gguf` package, which may be older than the converter).
"""
import json
import os
import runpy
import sys


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    converter = os.path.abspath(sys.argv[1])
    root = os.path.dirname(converter)
    sys.path.insert(0, root)
    sys.path.insert(1, os.path.join(root, "gguf-py"))
    sys.argv = [converter] + sys.argv[2:]

    from conversion.base import TextModel  # the converter's own package, shared with runpy below

    original = TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self, tokenizer):
        try:
            return original(self, tokenizer)
        except NotImplementedError:
            path = os.path.join(self.dir_model, "tokenizer.json")
            pre = json.load(open(path, encoding="utf-8")).get("pre_tokenizer") or {}
            if pre.get("type") == "ByteLevel" and pre.get("use_regex", True):
                print(f"peer_convert: {path}: unknown BPE hash, ByteLevel pre-tokenizer with the GPT-2 "
                      "regex: using llama.cpp's 'gpt-2'", file=sys.stderr)
                return "gpt-2"
            raise

    TextModel.get_vocab_base_pre = get_vocab_base_pre
    runpy.run_path(converter, run_name="__main__")


if __name__ == "__main__":
    main()
