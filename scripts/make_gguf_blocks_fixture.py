#!/usr/bin/env python3
"""Write blocks_moe.gguf: a small Mixtral-style `llama` GGUF whose weights use every block format the
engine keeps as it is (q8_0, q4_0, q4_1, q4_K, q5_K, q6_K, bf16), and blocks_moe.json, its references.

Needs `pip install gguf numpy`. Run from the repository root:

    python3 scripts/make_gguf_blocks_fixture.py

Hidden and expert sizes are 256 so the K-quants (blocks of 256) fit. q8_0/q4_0/q4_1/bf16 tensors are
quantized from random weights with the `gguf` package; the package cannot quantize K-quants, so those
are random valid blocks (random bytes, small finite half scales), as in make_quant_fixtures.py. Q/K
tensors are written as llama.cpp's converter writes them: rows permuted per head for its interleaved
RoPE (rows are whole blocks, so the permutation moves blocks). Experts are stacked `[E, out, in]`.

blocks_moe.json holds, per Hugging Face weight name: the format, the GGUF tensor and its first row there
(an expert's rows start at `e * out`), for Q/K the GGUF row holding each Hugging Face row, and the float64 product `W · x` of the weight dequantized by the `gguf`
package (in Hugging Face row order) with the vector `x` it also holds. Deterministic (fixed seed).
"""
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SwitchyardModelTests", "GGUFFixtures")
HIDDEN, HEADS, KV_HEADS, FF, EXPERTS, USED, LAYERS, VOCAB = 256, 4, 2, 256, 4, 2, 2, 32
HEAD_DIM = HIDDEN // HEADS
rng = np.random.default_rng(2026)

# (layer 0, layer 1) formats of each projection (mixed within one product, except layer 1's gate and
# up, one format: both ways of stacking); the embedding (tied head) is q8_0.
FORMATS = {
    "attn_q": (Q.Q4_K, Q.Q5_K), "attn_k": (Q.Q6_K, Q.Q4_K), "attn_v": (Q.Q8_0, Q.Q4_1),
    "attn_output": (Q.Q4_0, Q.BF16), "ffn_gate_exps": (Q.Q4_1, Q.Q8_0), "ffn_up_exps": (Q.Q4_K, Q.Q8_0),
    "ffn_down_exps": (Q.Q6_K, Q.Q6_K),
}
# Scale of the random half scales of K-quant blocks: weights of about 1/sqrt(256) in magnitude.
K_SCALE = {Q.Q4_K: 2e-4, Q.Q5_K: 1e-4, Q.Q6_K: 6e-5}


def permute(rows, heads):
    """convert_hf_to_gguf.py's LlamaModel.permute: HF row i*half+j of each head goes to row 2j+i."""
    return rows.reshape(heads, 2, rows.shape[0] // heads // 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def blocks(rows, cols, qtype):
    """`rows` rows of `cols` values in `qtype`, as bytes (one row of blocks per array row)."""
    if qtype in K_SCALE:
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        n = rows * cols // block
        raw = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
        halves = lambda: (rng.standard_normal(n) * K_SCALE[qtype]).astype(np.float16).view(np.uint8).reshape(n, 2)
        if qtype == Q.Q6_K:
            raw[:, size - 2:] = halves()
        else:
            raw[:, 0:2] = halves()
            raw[:, 2:4] = halves()
        return raw.reshape(rows, -1)
    weights = (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)
    return gguf.quants.quantize(weights, qtype)


def main():
    path = os.path.join(OUT, "blocks_moe.gguf")
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("blocks-moe")
    writer.add_context_length(128)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FF)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_key_length(HEAD_DIM)
    writer.add_value_length(HEAD_DIM)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(VOCAB)
    writer.add_expert_count(EXPERTS)
    writer.add_expert_used_count(USED)

    x = rng.standard_normal(HIDDEN)
    expected = {"x": x.tolist(), "weights": {}}

    def add_blocks(name, data, qtype):
        writer.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)

    def reference(hf, gguf_name, hf_blocks, qtype, gguf_row_of_hf_row=None, first_row=0):
        weight = gguf.quants.dequantize(hf_blocks, qtype).astype(np.float64)
        entry = {"format": qtype.name, "gguf": gguf_name, "first_row": first_row, "rows": weight.shape[0],
                 "product": (weight @ x).tolist()}
        if gguf_row_of_hf_row is not None:
            entry["gguf_row_of_hf_row"] = gguf_row_of_hf_row
        expected["weights"][hf] = entry

    def add_f32(name, array):
        writer.add_tensor(name, np.ascontiguousarray(array, dtype=np.float32))

    embed = blocks(VOCAB, HIDDEN, Q.Q8_0)
    add_blocks("token_embd.weight", embed, Q.Q8_0)
    reference("model.embed_tokens.weight", "token_embd.weight", embed, Q.Q8_0)
    for layer in range(LAYERS):
        b, p = f"blk.{layer}.", f"model.layers.{layer}."
        add_f32(b + "attn_norm.weight", 1 + 0.1 * rng.standard_normal(HIDDEN))
        for gg, hf, rows, heads in (("attn_q", "q_proj", HIDDEN, HEADS), ("attn_k", "k_proj", KV_HEADS * HEAD_DIM, KV_HEADS),
                                    ("attn_v", "v_proj", KV_HEADS * HEAD_DIM, None), ("attn_output", "o_proj", HIDDEN, None)):
            qtype = FORMATS[gg][layer]
            hf_blocks = blocks(rows, HIDDEN, qtype)
            order = None
            stored = hf_blocks
            if heads:
                stored = permute(hf_blocks, heads)
                # GGUF row g holds HF row permute(arange)[g]; invert to the GGUF row of each HF row.
                hf_of_gguf = permute(np.arange(rows).reshape(-1, 1), heads).reshape(-1)
                order = np.argsort(hf_of_gguf).tolist()
            add_blocks(b + gg + ".weight", np.ascontiguousarray(stored), qtype)
            reference(p + f"self_attn.{hf}.weight", b + gg + ".weight", hf_blocks, qtype, order)
        add_f32(b + "ffn_norm.weight", 1 + 0.1 * rng.standard_normal(HIDDEN))
        add_f32(b + "ffn_gate_inp.weight", rng.standard_normal((EXPERTS, HIDDEN)) / np.sqrt(HIDDEN))
        for gg, hf, rows, cols in (("ffn_gate_exps", "w1", FF, HIDDEN), ("ffn_up_exps", "w3", FF, HIDDEN),
                                   ("ffn_down_exps", "w2", HIDDEN, FF)):
            qtype = FORMATS[gg][layer]
            per_expert = [blocks(rows, cols, qtype) for _ in range(EXPERTS)]
            add_blocks(b + gg + ".weight", np.stack(per_expert), qtype)
            for e, expert_blocks in enumerate(per_expert):
                reference(p + f"block_sparse_moe.experts.{e}.{hf}.weight", b + gg + ".weight", expert_blocks, qtype,
                          first_row=e * rows)
    add_f32("output_norm.weight", 1 + 0.1 * rng.standard_normal(HIDDEN))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with open(os.path.join(OUT, "blocks_moe.json"), "w") as f:
        json.dump(expected, f)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path) / 1e3:.1f} kB")


if __name__ == "__main__":
    main()
