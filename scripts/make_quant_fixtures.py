#!/usr/bin/env python3
"""Golden fixtures for QuantWeights' tests, made with the `gguf` package (pip install gguf numpy;
mxfp4 needs a gguf-py recent enough to have it: llama.cpp's own, PYTHONPATH=.../vendor/llama.cpp/gguf-py).

For every format, writes to Tests/SwitchyardTensorTests/QuantFixtures/:
  <fmt>.input.f32    rows x cols float32 (only for formats gguf can quantize: bf16, q8_0, q4_0, q4_1, mxfp4)
  <fmt>.quant.bin    the quantized bytes (gguf.quants.quantize of the input; for the K-quants, random
                     valid blocks: random bytes with finite half scales)
  <fmt>.dequant.f32  gguf.quants.dequantize of the quantized bytes
All little-endian, row-major, ROWS x COLS values.
"""
import os
import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import quantize, dequantize

ROWS, COLS = 4, 512
OUT = os.environ.get("QUANT_FIXTURES_OUT") or os.path.join(os.path.dirname(__file__), "..", "Tests", "SwitchyardTensorTests", "QuantFixtures")
rng = np.random.default_rng(1234)


def inputs() -> np.ndarray:
    x = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    x[0, :32] = 0.0                                   # an all-zero block
    x[0, 32:64] = np.arange(32, dtype=np.float32) - 16  # exact ties (x * id lands on .5)
    x[1, :32] *= 1e-6                                 # tiny scales (subnormal halves)
    x[1, 32:64] *= 1e4                                # large scales
    x[2, 64:96] = 3.0                                 # a constant block
    x[3] *= np.linspace(0.01, 10, COLS, dtype=np.float32)
    return x


def random_blocks(qtype: T) -> np.ndarray:
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    nblocks = ROWS * COLS // block_size
    raw = rng.integers(0, 256, size=(nblocks, type_size), dtype=np.uint8)

    def halves(n):
        return (rng.standard_normal(n) * 0.01).astype(np.float16).view(np.uint8).reshape(n, 2)

    if qtype in (T.Q4_K, T.Q5_K):
        raw[:, 0:2] = halves(nblocks)   # d
        raw[:, 2:4] = halves(nblocks)   # dmin
    elif qtype == T.Q6_K:
        raw[:, type_size - 2:] = halves(nblocks)  # d is last
    return raw.reshape(ROWS, -1)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    x = inputs()
    for name, qtype in [("bf16", T.BF16), ("q8_0", T.Q8_0), ("q4_0", T.Q4_0), ("q4_1", T.Q4_1), ("mxfp4", T.MXFP4)]:
        q = quantize(x, qtype)
        x.astype("<f4").tofile(os.path.join(OUT, f"{name}.input.f32"))
        q.tofile(os.path.join(OUT, f"{name}.quant.bin"))
        dequantize(q, qtype).astype("<f4").tofile(os.path.join(OUT, f"{name}.dequant.f32"))
    # Expand-only formats (read from GGUF, dequantized at load): bytes and their dequantization.
    for name, qtype in [("q5_0", T.Q5_0), ("q5_1", T.Q5_1)]:
        q = quantize(x, qtype)
        q.tofile(os.path.join(OUT, f"{name}.quant.bin"))
        dequantize(q, qtype).astype("<f4").tofile(os.path.join(OUT, f"{name}.dequant.f32"))
    for name, qtype in [("q4_K", T.Q4_K), ("q5_K", T.Q5_K), ("q6_K", T.Q6_K)]:
        q = random_blocks(qtype)
        q.tofile(os.path.join(OUT, f"{name}.quant.bin"))
        dequantize(q, qtype).astype("<f4").tofile(os.path.join(OUT, f"{name}.dequant.f32"))
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
