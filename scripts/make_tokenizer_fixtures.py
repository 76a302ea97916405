#!/usr/bin/env python3
"""Build tokenizer fixtures (Tests/SwitchyardModelTests/Fixtures/tokenizers/<name>/) with the
Hugging Face `tokenizers` package (`pip install tokenizers`). Never run by CI; output is committed.

    python3 scripts/make_tokenizer_fixtures.py [--out Tests/SwitchyardModelTests/Fixtures/tokenizers]

Byte-level BPE fixtures (GPT-2, Qwen2 style) and SentencePiece-style BPE fixtures built the way
transformers converts Llama/Mistral tokenizers (vocab <unk>, <s>, </s>, <0x00>..<0xFF>, then the
trained pieces; byte_fallback; the legacy Prepend/Replace normalizer or the Metaspace
pre-tokenizer; the Replace/ByteFallback/Fuse/Strip or Metaspace decoder; TemplateProcessing).

Each fixture directory holds a small tokenizer trained here (`tokenizer.json`, `tokenizer_config.json`)
and `cases.json`:

    {"name": "...", "tokenizers_version": "0.x",
     "cases": [{"text": "...", "ids": [..],            # encode(text, add_special_tokens=False)
                "ids_with_special": [..],              # encode(text, add_special_tokens=True)
                "decoded": "...",                      # decode(ids, skip_special_tokens=False)
                "decoded_skipping_special": "..."}]}   # decode(ids, skip_special_tokens=True)

Cases cover ASCII, accents, CJK, emoji (incl. ZWJ sequences and flags), whitespace runs, code,
numbers and special tokens inside the text. The Swift tokenizer must produce identical ids.
"""

import argparse
import json
import os
import random
import shutil

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

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
    "<s>begins with bos and ends with eos</s>",
    "text <s> in the </s>middle",
    "  two leading spaces, two trailing  ",
    "trailing newline\n",
    " \t\n mixed whitespace \n\t ",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o combining marks, e\u0301 vs \u00e9, \r\n CRLF",
    "rare: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ∮ E⋅da = Q, 🧑🏿‍🚀, ꙮ",
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


SP_SPECIALS = ["<unk>", "<s>", "</s>"]


def train_sentencepiece(variant):
    """A SentencePiece-style BPE laid out as transformers' LlamaConverter writes one.

    variant "llama": legacy normalizer Sequence[Prepend, Replace], no pre-tokenizer, decoder
    Sequence[Replace, ByteFallback, Fuse, Strip], "<s> $A" template, merges as "a b" strings.
    variant "mistral": Metaspace pre-tokenizer (prepend_scheme first, no split) with the
    Replace/ByteFallback/Fuse/Strip decoder as Mistral v0.3 has them, "<s> $A </s>" template,
    merges as [a, b] arrays.
    variant "metaspace_always": Metaspace (prepend_scheme always, split), ignore_merges, no
    byte_fallback (unknown characters become <unk>, fused), no template."""
    trainer_tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    trainer_tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SP_SPECIALS, limit_alphabet=90, show_progress=False)
    trainer_tokenizer.train_from_iterator(corpus(), trainer)
    trained = json.loads(trainer_tokenizer.to_str())["model"]
    byte_fallback = variant != "metaspace_always"
    vocab = {token: index for index, token in enumerate(SP_SPECIALS)}
    if byte_fallback:
        for byte in range(256):
            vocab[f"<0x{byte:02X}>"] = len(vocab)
    for token, _ in sorted(trained["vocab"].items(), key=lambda item: item[1]):
        if token not in vocab:
            vocab[token] = len(vocab)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True,
                                     byte_fallback=byte_fallback, ignore_merges=variant == "metaspace_always"))
    tokenizer.add_special_tokens([AddedToken(token, normalized=False, special=True) for token in SP_SPECIALS + SPECIALS])
    if variant == "llama":
        tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                               decoders.Strip(content=" ", left=1, right=0)])
        tokenizer.post_processor = processors.TemplateProcessing(single="<s>:0 $A:0", pair="<s>:0 $A:0 <s>:1 $B:1",
                                                                 special_tokens=[("<s>", 1)])
    elif variant == "mistral":
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
        tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                               decoders.Strip(content=" ", left=1, right=0)])
        tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
        tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    return tokenizer


def with_string_merges(directory):
    """Rewrites the merges of a saved tokenizer.json in the older "a b" string form."""
    path = os.path.join(directory, "tokenizer.json")
    with open(path) as handle:
        data = json.load(handle)
    data["model"]["merges"] = [" ".join(pair) if isinstance(pair, list) else pair for pair in data["model"]["merges"]]
    with open(path, "w") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
    return Tokenizer.from_file(path)


def write(name, tokenizer, config, out, string_merges=False, template_adds_specials=False):
    directory = os.path.join(out, name)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    tokenizer.save(os.path.join(directory, "tokenizer.json"))
    if string_merges:
        tokenizer = with_string_merges(directory)
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as handle:
        json.dump(config, handle, indent=2)
    def content(token):
        return token["content"] if isinstance(token, dict) else token
    bos = content(config.get("bos_token")) if config.get("add_bos_token") else None
    eos = content(config.get("eos_token")) if config.get("add_eos_token") else None
    cases = []
    for text in CASES:
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        with_special = ([tokenizer.token_to_id(bos)] if bos else []) + ids + ([tokenizer.token_to_id(eos)] if eos else [])
        if template_adds_specials:
            # tokenizer_config.json and the post-processor must agree, as in real checkpoints.
            assert with_special == tokenizer.encode(text, add_special_tokens=True).ids, (name, text)
        decoded = tokenizer.decode(ids, skip_special_tokens=False)
        skipping = tokenizer.decode(ids, skip_special_tokens=True)
        cases.append({"text": text, "ids": ids, "ids_with_special": with_special, "decoded": decoded,
                      "decoded_skipping_special": skipping})
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
    bos_object = {"__type": "AddedToken", "content": "<s>", "lstrip": False, "normalized": False, "rstrip": False,
                  "single_word": False}
    write("llama_sentencepiece", train_sentencepiece("llama"),
          {"add_bos_token": True, "add_eos_token": False, "bos_token": bos_object, "eos_token": "</s>",
           "unk_token": "<unk>", "legacy": True, "model_max_length": 2048}, args.out,
          string_merges=True, template_adds_specials=True)
    write("mistral_metaspace", train_sentencepiece("mistral"),
          {"add_bos_token": True, "add_eos_token": True, "bos_token": "<s>", "eos_token": "</s>",
           "unk_token": "<unk>", "legacy": False, "model_max_length": 2048}, args.out, template_adds_specials=True)
    write("metaspace_always", train_sentencepiece("metaspace_always"),
          {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "model_max_length": 2048}, args.out,
          template_adds_specials=True)


if __name__ == "__main__":
    main()
