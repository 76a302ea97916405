#!/usr/bin/env python3
"""Build tokenizer fixtures (Tests/SwitchyardModelTests/Fixtures/tokenizers/<name>/) with the
Hugging Face `tokenizers` package (`pip install tokenizers`). Never run by CI; output is committed.

    python3 scripts/make_tokenizer_fixtures.py [--out Tests/SwitchyardModelTests/Fixtures/tokenizers]

Each fixture directory holds a small tokenizer trained here (`tokenizer.json`, `tokenizer_config.json`)
and `cases.json`:

    {"name": "...", "tokenizers_version": "0.x",
     "cases": [{"text": "...", "ids": [..],            # encode(text, add_special_tokens=False)
                "ids_with_special": [..],              # encode(text, add_special_tokens=True)
                "decoded": "..."}]}                    # decode(ids, skip_special_tokens=False)

Cases cover ASCII, accents, CJK, emoji (incl. ZWJ sequences and flags), whitespace runs, code,
numbers and special tokens inside the text. The Swift tokenizer must produce identical ids.
"""

import argparse
import json
import os
import random
import shutil

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

CASES = [
    "Hello, world!",
    "hello world",
    " leading space and trailing space ",
    "Don't you think it's the best? We'll see, they've said I'm ready; you'd agree.",
    "Numbers: 3.14159, 42, 1234567890 and 2nd/3rd.",
    "Café naïve résumé Ñandú Ærøskøbing straße",
    "日本語のテキストです。中文文本，还有한국어 텍스트.",
    "Emoji: 👍🏽 🇺🇸 👨‍👩‍👧 ❤️ and 🤖!",
    "tabs\tand\t\tmultiple    spaces\n\nnew lines\r\nCRLF   \n  indented",
    "def f(x):\n    return x ** 2  # square\n\nprint(f(3))",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|endoftext|>",
    "special<|endoftext|>glued<|im_end|>",
    "   ",
    "\n",
    "a",
    "",
    "ÀÉÎÕÜ àéîõü ÿ ŒœŠšŽž",
    "Ελληνικά και русский текст",
    "mixed123abc___---***!!!",
    "URL: https://example.com/path?q=1&r=two#frag",
    "\u00a0non-breaking\u2003em-space\u200bzero-width",
]


def corpus():
    rng = random.Random(0)
    words = ("the quick brown fox jumps over lazy dog serving mixture experts router worker token "
             "batch cache attention layer model hello world don't it's we'll").split()
    lines = []
    for _ in range(3000):
        lines.append(" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))))
    lines += CASES * 5
    lines += ["def main():\n    print('hi')\n", "x = [1, 2, 3]\nfor i in x:\n    y += i\n",
              "Café crème brûlée", "日本語 中文 한국어", "👍 👍🏽 🎉 🚀"] * 20
    return lines


def train_bytelevel(qwen_style):
    tokenizer = Tokenizer(models.BPE())
    if qwen_style:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(corpus(), trainer)
    return tokenizer


def write(name, tokenizer, config, out):
    directory = os.path.join(out, name)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    tokenizer.save(os.path.join(directory, "tokenizer.json"))
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as handle:
        json.dump(config, handle, indent=2)
    bos = config.get("bos_token") if config.get("add_bos_token") else None
    eos = config.get("eos_token") if config.get("add_eos_token") else None
    cases = []
    for text in CASES:
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        with_special = ([tokenizer.token_to_id(bos)] if bos else []) + ids + ([tokenizer.token_to_id(eos)] if eos else [])
        decoded = tokenizer.decode(ids, skip_special_tokens=False)
        cases.append({"text": text, "ids": ids, "ids_with_special": with_special, "decoded": decoded})
    with open(os.path.join(directory, "cases.json"), "w") as handle:
        json.dump({"name": name, "tokenizers_version": tokenizers.__version__, "cases": cases}, handle,
                  ensure_ascii=False, indent=1)
    print(f"{name}: vocab {tokenizer.get_vocab_size()}, {len(cases)} cases, "
          f"{sum(len(c['ids']) for c in cases)} ids")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="Tests/SwitchyardModelTests/Fixtures/tokenizers")
    args = parser.parse_args()
    write("gpt2_bytelevel", train_bytelevel(False),
          {"bos_token": None, "eos_token": "<|endoftext|>", "add_bos_token": False, "add_eos_token": False,
           "model_max_length": 2048}, args.out)
    write("qwen_bytelevel", train_bytelevel(True),
          {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "add_bos_token": False,
           "add_eos_token": True, "model_max_length": 2048}, args.out)


if __name__ == "__main__":
    main()
