#!/usr/bin/env python3
"""Write spm_llama.gguf: a `llama` GGUF whose tokenizer is SentencePiece (`tokenizer.ggml.model`
"llama"), and spm_llama.json: the ids transformers gives for the fixture texts when it loads that GGUF.

Needs `pip install gguf sentencepiece transformers`. Run from the repository root:

    python3 scripts/make_gguf_spm_fixture.py

A SentencePiece BPE model with byte fallback is trained here on make_tokenizer_fixtures.py's corpus,
then written the way llama.cpp's converter writes a SentencePiece vocabulary (`_create_vocab_sentencepiece`):
every piece with its score and type (normal 1, unknown 2, control 3, user-defined 4, unused 5,
byte 6), BOS/EOS/UNK ids, add_bos_token. The file holds no weights, only what a tokenizer reads.
The references are transformers' (`AutoTokenizer.from_pretrained(dir, gguf_file=...)`), which
rebuilds the tokenizer as a BPE with merges ranked by the pieces' scores; sentencepiece's own ids
are stored too, for information.
"""
import json
import os
import sys
import tempfile

import gguf
import sentencepiece as spm
import transformers
from transformers import AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tokenizer_fixtures import CASES, corpus  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SwitchyardModelTests", "GGUFFixtures")
USER_DEFINED = ["<|im_start|>", "<|im_end|>"]


def train(directory):
    text = os.path.join(directory, "corpus.txt")
    with open(text, "w") as f:
        f.write("\n".join(corpus()) + "\n")
    prefix = os.path.join(directory, "spm")
    spm.SentencePieceTrainer.train(
        input=text, model_prefix=prefix, model_type="bpe", vocab_size=600, byte_fallback=True,
        character_coverage=0.9995, user_defined_symbols=USER_DEFINED, split_digits=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def token_type(sp, i):
    if sp.is_unknown(i):
        return gguf.TokenType.UNKNOWN
    if sp.is_control(i):
        return gguf.TokenType.CONTROL
    if sp.is_byte(i):
        return gguf.TokenType.BYTE
    if sp.is_unused(i):
        return gguf.TokenType.UNUSED
    if sp.id_to_piece(i) in USER_DEFINED:
        return gguf.TokenType.USER_DEFINED
    return gguf.TokenType.NORMAL


def main():
    with tempfile.TemporaryDirectory() as directory:
        sp = train(directory)
        n = sp.get_piece_size()
        path = os.path.join(OUT, "spm_llama.gguf")
        writer = gguf.GGUFWriter(path, "llama")
        writer.add_name("spm-llama")
        writer.add_tokenizer_model("llama")
        writer.add_tokenizer_pre("default")
        writer.add_token_list([sp.id_to_piece(i) for i in range(n)])
        writer.add_token_scores([sp.get_score(i) for i in range(n)])
        writer.add_token_types([token_type(sp, i) for i in range(n)])
        writer.add_bos_token_id(sp.bos_id())
        writer.add_eos_token_id(sp.eos_id())
        writer.add_unk_token_id(sp.unk_id())
        writer.add_add_bos_token(True)
        writer.add_add_eos_token(False)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()

        tokenizer = AutoTokenizer.from_pretrained(OUT, gguf_file="spm_llama.gguf")
        cases = []
        for text in CASES:
            ids = tokenizer.encode(text, add_special_tokens=False)
            cases.append({"text": text, "ids": ids,
                          "ids_with_special": tokenizer.encode(text, add_special_tokens=True),
                          "decoded": tokenizer.decode(ids, skip_special_tokens=False),
                          "sentencepiece_ids": sp.encode(text)})
        with open(os.path.join(OUT, "spm_llama.json"), "w") as f:
            json.dump({"transformers_version": transformers.__version__, "cases": cases}, f, ensure_ascii=False, indent=1)
            f.write("\n")
        agree = sum(c["ids"] == c["sentencepiece_ids"] for c in cases)
        print(f"{path}: {os.path.getsize(path)} bytes; transformers and sentencepiece agree on {agree}/{len(cases)} texts")


if __name__ == "__main__":
    main()
