#!/usr/bin/env python3
"""Python half of scripts/bench-tokenizer.sh (needs `pip install tokenizers`).

    python3 scripts/bench_tokenizer.py prepare WORKDIR [--megabytes 4]
        writes WORKDIR/corpus.txt (generated, varied text) and trains two tokenizers on it with
        `tokenizers`: WORKDIR/bytelevel (GPT-2 style, 8k vocab) and WORKDIR/sentencepiece
        (Llama style: byte fallback, Prepend/Replace normalizer, 8k vocab)
    python3 scripts/bench_tokenizer.py measure TOKENIZER_DIR CORPUS [--seconds 2]
        prints {"mb_per_s", "tokens", "ids_hash"} for encoding every line of CORPUS, one thread

Encoding is line by line (`encode_batch` on one rayon thread), the same unit of work
`switchyard tokenize --bench` times; `ids_hash` (FNV-1a over the ids) shows both produced the same ids.
"""
import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORDS = ("the of and to in is was that for it with as his on be at by had not are but from or have an they which "
         "one you were her all she there would their we him been has when who will more no if out so said what up its "
         "about into than them can only other new some could time these two may then do first any my now such like our "
         "over man me even most made after also did many before must through back years where much your way well down "
         "should because each just those people how too little state good very make world still own see men work long "
         "get here between both life being under never day same another know while last might us great old year off "
         "router worker expert token batch cache attention serving latency throughput mixture gating").split()
EXTRA = ["café", "naïve", "résumé", "straße", "Ærøskøbing", "日本語", "中文", "한국어", "русский", "Ελληνικά", "👍", "🚀",
         "👨‍👩‍👧", "2024", "3.14159", "x_1", "foo()", "a[i]", "{}", "->", "==", "#include", "http://example.com/a?b=c"]


def generate(megabytes, seed=1):
    rng = random.Random(seed)
    lines, size = [], 0
    while size < megabytes * 1_000_000:
        kind = rng.random()
        if kind < 0.8:
            words = [rng.choice(WORDS) if rng.random() > 0.08 else rng.choice(EXTRA) for _ in range(rng.randint(4, 30))]
            words[0] = words[0].capitalize()
            line = " ".join(words) + rng.choice([".", ".", "!", "?", ",", ":"])
        elif kind < 0.9:
            line = " " * rng.choice([0, 4, 8]) + f"def f_{rng.randint(0, 99)}(x, y):  return x * {rng.randint(0, 9999)} + y"
        else:
            line = "\t".join(rng.choice(EXTRA + WORDS) for _ in range(rng.randint(2, 6))) + "  "
        lines.append(line)
        size += len(line.encode()) + 1
    return "\n".join(lines) + "\n"


def prepare(workdir, megabytes):
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    os.makedirs(workdir, exist_ok=True)
    corpus = generate(megabytes)
    with open(os.path.join(workdir, "corpus.txt"), "w") as handle:
        handle.write(corpus)
    lines = corpus.split("\n")

    byte_level = Tokenizer(models.BPE())
    byte_level.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    byte_level.decoder = decoders.ByteLevel()
    byte_level.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=8000, special_tokens=["<|endoftext|>"],
                                   initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    save(byte_level, os.path.join(workdir, "bytelevel"), {"eos_token": "<|endoftext|>"})

    trainer = Tokenizer(models.BPE(unk_token="<unk>"))
    trainer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    trainer.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=8000, special_tokens=["<unk>", "<s>", "</s>"],
                                limit_alphabet=200, show_progress=False))
    trained = json.loads(trainer.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for byte in range(256):
        vocab[f"<0x{byte:02X}>"] = len(vocab)
    for token, _ in sorted(trained["vocab"].items(), key=lambda item: item[1]):
        vocab.setdefault(token, len(vocab))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    llama = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    llama.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in ["<unk>", "<s>", "</s>"]])
    llama.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    llama.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                       decoders.Strip(content=" ", left=1, right=0)])
    llama.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    save(llama, os.path.join(workdir, "sentencepiece"), {"add_bos_token": True, "bos_token": "<s>", "eos_token": "</s>"})


def save(tokenizer, directory, config):
    os.makedirs(directory, exist_ok=True)
    tokenizer.save(os.path.join(directory, "tokenizer.json"))
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as handle:
        json.dump(config, handle)


def fnv(ids_per_line):
    value = 0xCBF29CE484222325
    for ids in ids_per_line:
        for token in ids:
            for shift in (0, 8, 16, 24):
                value ^= (token >> shift) & 0xFF
                value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def measure(directory, corpus_path, seconds):
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
    with open(corpus_path) as handle:
        lines = handle.read().split("\n")
    size = sum(len(line.encode()) for line in lines)
    first = tokenizer.encode_batch(lines, add_special_tokens=False)  # warms the word cache, as in Swift
    passes, start = 0, time.perf_counter()
    while True:
        tokenizer.encode_batch(lines, add_special_tokens=False)
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    ids = [encoding.ids for encoding in first]
    print(json.dumps({"mb_per_s": size * passes / 1e6 / elapsed, "tokens": sum(len(i) for i in ids),
                      "ids_hash": fnv(ids), "bytes": size}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("workdir")
    p.add_argument("--megabytes", type=float, default=4)
    m = sub.add_parser("measure")
    m.add_argument("directory")
    m.add_argument("corpus")
    m.add_argument("--seconds", type=float, default=2)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.workdir, args.megabytes)
    else:
        measure(args.directory, args.corpus, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
