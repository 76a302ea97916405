#!/usr/bin/env python3
"""Generate the small GGUF fixtures used by Tests/SwitchyardModelTests (GGUF).

Requires `pip install gguf numpy`. Writes into Tests/SwitchyardModelTests (GGUF)/Fixtures:

* tiny_moe.gguf        -- v3, "llama" arch Mixtral-style MoE, alignment 64, every
                          metadata value type (incl. nested arrays), f32/f16/bf16/
                          q8_0/q4_0 tensors and a stacked q8_0 expert tensor.
* split/tiny-0000{1,2}-of-00002.gguf -- the same kind of model split over 2 files.
* expected.json        -- values the Swift tests compare against, plus the byte
                          offsets of header fields, keys and tensor infos (used to
                          build corrupted copies in the tests).

The output is deterministic (fixed RNG seed).
"""
import json
import os
import struct
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q, GGUFValueType as V

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "SwitchyardModelTests" / "GGUFFixtures"
ALIGN = 64
rng = np.random.default_rng(1234)

N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_EXP, N_EXP_USED, N_LAYER = 64, 4, 2, 96, 4, 2, 1
HEAD_DIM = N_EMBD // N_HEAD
TOKENS = ["<unk>", "<s>", "</s>", "a", "b", "c", "ab", "bc", "abc", "<|im_start|>"]
SCORES = [0.0, 0.0, 0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, 0.0]
TOKEN_TYPES = [2, 3, 3, 1, 1, 1, 1, 1, 1, 4]
MERGES = ["a b", "b c", "ab c"]
CHAT_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['content'] }}{% endfor %}"


def tokenizer_kv(w: gguf.GGUFWriter) -> None:
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(TOKENS)
    w.add_token_scores(SCORES)
    w.add_token_types(TOKEN_TYPES)
    w.add_token_merges(MERGES)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_pad_token_id(2)
    w.add_add_bos_token(False)
    w.add_add_eos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)
    w.add_string("tokenizer.chat_template.tool_use", "TOOLS {{ tools }}")


def hparams_kv(w: gguf.GGUFWriter) -> None:
    w.add_context_length(256)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_rope_dimension_count(HEAD_DIM)
    w.add_expert_count(N_EXP)
    w.add_expert_used_count(N_EXP_USED)
    w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
    w.add_rope_scaling_factor(2.0)


def all_types_kv(w: gguf.GGUFWriter) -> dict:
    w.add_key_value("test.u8", 200, V.UINT8)
    w.add_key_value("test.i8", -100, V.INT8)
    w.add_key_value("test.u16", 60000, V.UINT16)
    w.add_key_value("test.i16", -30000, V.INT16)
    w.add_key_value("test.u32", 4000000000, V.UINT32)
    w.add_key_value("test.i32", -2000000000, V.INT32)
    w.add_key_value("test.f32", 1.5, V.FLOAT32)
    w.add_key_value("test.bool", True, V.BOOL)
    w.add_key_value("test.string", "héllo wörld", V.STRING)
    w.add_key_value("test.u64", 18000000000000000000, V.UINT64)
    w.add_key_value("test.i64", -9000000000000000000, V.INT64)
    w.add_key_value("test.f64", 2.25, V.FLOAT64)
    w.add_key_value("test.arr_i32", [1, -2, 3], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("test.arr_str", ["x", "yy", ""], V.ARRAY, sub_type=V.STRING)
    w.add_key_value("test.arr_nested", [[1, 2], [3], [4, 5, 6]], V.ARRAY)
    w.add_key_value("test.arr_nested_str", [["p"], ["q", "r"]], V.ARRAY)
    return {
        "test.u8": 200, "test.i8": -100, "test.u16": 60000, "test.i16": -30000,
        "test.u32": 4000000000, "test.i32": -2000000000, "test.f32": 1.5,
        "test.bool": True, "test.string": "héllo wörld",
        "test.u64": "18000000000000000000", "test.i64": -9000000000000000000,
        "test.f64": 2.25, "test.arr_i32": [1, -2, 3], "test.arr_str": ["x", "yy", ""],
        "test.arr_nested": [[1, 2], [3], [4, 5, 6]],
        "test.arr_nested_str": [["p"], ["q", "r"]],
    }


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def model_tensors():
    """(name, float32 source array (numpy/HF order), ggml type)."""
    t = [
        ("token_embd.weight", f32(len(TOKENS), N_EMBD), Q.F32),
        ("blk.0.attn_norm.weight", f32(N_EMBD), Q.F32),
        ("blk.0.attn_q.weight", f32(N_EMBD, N_EMBD), Q.F16),
        ("blk.0.attn_k.weight", f32(N_HEAD_KV * HEAD_DIM, N_EMBD), Q.BF16),
        ("blk.0.attn_v.weight", f32(N_HEAD_KV * HEAD_DIM, N_EMBD), Q.Q8_0),
        ("blk.0.attn_output.weight", f32(N_EMBD, N_EMBD), Q.Q4_0),
        ("blk.0.ffn_norm.weight", f32(N_EMBD), Q.F32),
        ("blk.0.ffn_gate_inp.weight", f32(N_EXP, N_EMBD), Q.F32),
        ("blk.0.ffn_gate_exps.weight", f32(N_EXP, N_FF, N_EMBD), Q.Q8_0),
        ("blk.0.ffn_up_exps.weight", f32(N_EXP, N_FF, N_EMBD), Q.Q4_0),
        ("blk.0.ffn_down_exps.weight", f32(N_EXP, N_EMBD, N_FF), Q.F16),
        ("output_norm.weight", f32(N_EMBD), Q.F32),
    ]
    return t


def encode(arr: np.ndarray, qtype):
    if qtype == Q.F32:
        return arr
    if qtype == Q.F16:
        return arr.astype(np.float16)
    return gguf.quants.quantize(arr, qtype)


def add_tensors(w, tensors, expected):
    for name, arr, qtype in tensors:
        data = encode(arr, qtype)
        if qtype in (Q.F32, Q.F16):
            w.add_tensor(name, data)
        else:
            w.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)
        raw = data.tobytes()
        expected[name] = {
            "type": int(qtype),
            "dims": list(reversed(arr.shape)),
            "nbytes": len(raw),
            "first_bytes_hex": raw[:16].hex(),
            "last_bytes_hex": raw[-16:].hex(),
            # decoded first/last values (what a dequantizer should produce)
            "first_values": [float(x) for x in gguf.quants.dequantize(data, qtype).reshape(-1)[:4]]
            if qtype not in (Q.F32, Q.F16) else [float(x) for x in data.reshape(-1)[:4]],
        }


def walk_offsets(path: Path) -> dict:
    """Byte offsets of header fields, keys (and their value) and tensor infos."""
    b = path.read_bytes()
    pos = 0

    def u32():
        nonlocal pos
        v = struct.unpack_from("<I", b, pos)[0]; pos += 4; return v

    def u64():
        nonlocal pos
        v = struct.unpack_from("<Q", b, pos)[0]; pos += 8; return v

    def string():
        nonlocal pos
        n = u64(); s = b[pos:pos + n].decode(); pos += n; return s

    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def value(t):
        nonlocal pos
        if t in sizes:
            pos += sizes[t]
        elif t == 8:
            string()
        elif t == 9:
            et = u32(); n = u64()
            for _ in range(n):
                value(et)
        else:
            raise ValueError(t)

    pos = 8
    n_tensors = u64(); n_kv = u64()
    kvs = {}
    for _ in range(n_kv):
        start = pos
        key = string()
        type_off = pos
        t = u32()
        value_off = pos
        value(t)
        kvs[key] = {"offset": start, "type_offset": type_off, "value_offset": value_off, "type": t}
    tis = {}
    for _ in range(n_tensors):
        start = pos
        name = string()
        ndim_off = pos
        nd = u32()
        dims_off = pos
        dims = [u64() for _ in range(nd)]
        type_off = pos
        t = u32()
        off_off = pos
        off = u64()
        tis[name] = {"offset": start, "n_dims_offset": ndim_off, "dims_offset": dims_off,
                     "type_offset": type_off, "data_offset_offset": off_off, "data_offset": off}
    header_end = pos
    return {"version_offset": 4, "tensor_count_offset": 8, "kv_count_offset": 16,
            "first_kv_offset": 24, "kv": kvs, "tensor_info": tis, "header_end": header_end,
            "file_size": len(b)}


def write_model(path: Path, tensors, split_max_tensors=0, extra=None):
    w = gguf.GGUFWriter(str(path), "llama", split_max_tensors=split_max_tensors)
    w.add_name("tiny-moe")
    w.add_custom_alignment(ALIGN)
    hparams_kv(w)
    tokenizer_kv(w)
    if extra:
        extra(w)
    expected_t = {}
    add_tensors(w, tensors, expected_t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return expected_t


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "split").mkdir(exist_ok=True)
    expected = {}

    holder = {}
    tensors = model_tensors()
    main_path = OUT / "tiny_moe.gguf"
    t_expected = write_model(main_path, tensors, extra=lambda w: holder.update(kv=all_types_kv(w)))
    expected["tiny_moe"] = {
        "version": 3, "alignment": ALIGN, "architecture": "llama",
        "tensor_count": len(tensors), "tensors": t_expected, "tensor_order": [t[0] for t in tensors],
        "kv": holder["kv"], "layout": walk_offsets(main_path),
        "hparams": {"n_embd": N_EMBD, "n_head": N_HEAD, "n_head_kv": N_HEAD_KV, "n_ff": N_FF,
                    "n_expert": N_EXP, "n_expert_used": N_EXP_USED, "n_layer": N_LAYER,
                    "context_length": 256, "vocab": len(TOKENS)},
        "tokenizer": {"tokens": TOKENS, "scores": SCORES, "token_type": TOKEN_TYPES, "merges": MERGES,
                      "chat_template": CHAT_TEMPLATE},
    }

    split_base = OUT / "split" / "tiny.gguf"
    split_tensors = model_tensors()
    st = write_model(split_base, split_tensors, split_max_tensors=7)
    files = sorted(p.name for p in (OUT / "split").glob("*.gguf"))
    expected["split"] = {"files": files, "tensor_count": len(split_tensors), "tensors": st,
                         "tensor_order": [t[0] for t in split_tensors]}

    # convert_hf_to_gguf.py LlamaModel.permute, applied to a column of HF row ids:
    # expected[g] = HF row stored at GGUF row g.
    def permute(w, n_head, n_head_kv):
        if n_head_kv is not None and n_head != n_head_kv:
            n_head = n_head_kv
        return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
                .swapaxes(1, 2).reshape(w.shape))
    rows_q = np.arange(N_HEAD * HEAD_DIM).reshape(-1, 1)
    rows_k = np.arange(N_HEAD_KV * HEAD_DIM).reshape(-1, 1)
    expected["llama_permute"] = {
        "n_head": N_HEAD, "n_head_kv": N_HEAD_KV, "head_dim": HEAD_DIM,
        "q_gguf_to_hf": [int(x) for x in permute(rows_q, N_HEAD, N_HEAD).reshape(-1)],
        "k_gguf_to_hf": [int(x) for x in permute(rows_k, N_HEAD, N_HEAD_KV).reshape(-1)],
    }

    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
    total = sum(p.stat().st_size for p in OUT.rglob("*.gguf"))
    print(f"wrote fixtures to {OUT} ({total} bytes of gguf)")


if __name__ == "__main__":
    main()
