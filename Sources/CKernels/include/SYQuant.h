#ifndef SWITCHYARD_SYQUANT_H
#define SWITCHYARD_SYQUANT_H

/// Compact weight formats (bf16 and ggml's block formats) and `C = A · Wᵀ` on them.
///
/// Block layouts are byte-for-byte those of ggml (`ggml-common.h`); a row of a weight is
/// `k / block_size` consecutive blocks and rows follow each other, so a GGUF tensor's bytes are a
/// weight as is. Formats are named by their ggml type id.

#include <stddef.h>
#include <stdint.h>

#define SY_QF_F32 0
#define SY_QF_Q4_0 2
#define SY_QF_Q4_1 3
#define SY_QF_Q8_0 8
#define SY_QF_Q4_K 12
#define SY_QF_Q5_K 13
#define SY_QF_Q6_K 14
#define SY_QF_BF16 30
#define SY_QF_MXFP4 39
/// Read from GGUF files and expanded (no quantizer, no product): llama-quantize's fallback for rows
/// that are not whole K-quant superblocks (DeepSeek's `attn_k_b` in a Q4_K_M file is q5_0).
#define SY_QF_Q5_0 6
#define SY_QF_Q5_1 7

/// Values per block (1 for f32 / bf16, 32 for q8_0 / q4_0 / q4_1 / mxfp4, 256 for the K-quants); 0 for an
/// unknown format.
int sy_qf_block_size(int format);
/// Bytes per block; 0 for an unknown format.
int sy_qf_block_bytes(int format);
/// Bytes of one row of `k` values (`k` a multiple of the block size).
size_t sy_qf_row_bytes(int format, long k);

/// Storage for a weight of `bytes` bytes, 64-byte aligned; from 2 MiB on, when rounding up wastes at
/// most an eighth, whole 2 MiB-aligned pages advised as huge pages (fewer page faults at load, fewer
/// TLB misses when decode streams it). NULL
/// when memory is exhausted. Release with `sy_weight_free`.
void *sy_weight_alloc(size_t bytes);
/// Whether `sy_weight_alloc(bytes)` puts the weight in huge pages (2 MiB and more, rounding up
/// wasting at most an eighth).
int sy_weight_uses_huge_pages(size_t bytes);
void sy_weight_free(void *p);

/// IEEE half <-> float, round to nearest even (as F16C's `vcvtps2ph` with mode 0).
float sy_f16_to_f32(uint16_t h);
uint16_t sy_f32_to_f16(float f);
/// bfloat16 <-> float: round to nearest even; every NaN becomes 0x7FC0 (as torch).
float sy_bf16_to_f32(uint16_t h);
uint16_t sy_f32_to_bf16(float f);

/// Quantizes `k` floats into one row of blocks. q8_0, q4_0 and q4_1 are bit-exact with ggml's
/// `quantize_row_*_ref`; q4_K / q5_K / q6_K use a simpler min/max search than ggml's
/// make_qkx2/qkx3 (valid blocks, not the same bytes).
void sy_qf_quantize_row(int format, const float *x, void *dst, long k);
/// Expands one row of `k` values to floats, exactly (as ggml's `dequantize_row_*`).
void sy_qf_dequantize_row(int format, const void *src, float *y, long k);
/// q5_0 / q5_1 (`SY_QF_Q5_0`, `SY_QF_Q5_1`): values per block, bytes per block, and one row of `k`
/// values expanded exactly; 0 (and nothing written) for another format.
int sy_qf_expand_block_size(int format);
int sy_qf_expand_block_bytes(int format);
int sy_qf_expand_row(int format, const void *src, float *y, long k);
/// One q5_0 row of `k` values as q8_0 blocks, exactly: the same half scale, int8 values q - 16.
void sy_qf_q5_0_to_q8_0_row(const void *src, void *dst, long k);

/// Rows interleaved by eight (every format but f32): in each group of eight consecutive rows, unit `i` of
/// rows 0..7 sit side by side (row `8g + q`'s unit `i` is unit `(g * nu + i) * 8 + q` of the weight,
/// `nu = k / sy_qf_rows8_unit(format)`); a unit is a superblock of 256 values for q4_K, q5_K and q6_K, 32
/// values for bf16 (64 bytes, a cache line) and the 32-value block formats (one block: q8_0, q4_0, q4_1, mxfp4). Rows after the last whole group stay plain. The same
/// bytes as the plain layout, each group in the same place, so a weight converts in place group by
/// group. Decode's product (one activation row) then takes eight weight rows per pass from one
/// sequential stream, eight independent sums (llama.cpp repacks q4_K alike, `q4_K_8x8`); every other
/// product reads a row's units eight units apart. A kernel format `format | SY_QF_ROWS8` names a
/// weight in this layout for `sy_qf_gemm`; results are bit for bit those of the plain layout.
#define SY_QF_ROWS8 0x100
/// Whether `format` has the interleaved layout (every format but f32).
int sy_qf_has_rows8(int format);
/// Values per interleaved unit of `format` (256 for q4_K / q5_K / q6_K, 32 for bf16 and the 32-value blocks), 0 without the layout.
int sy_qf_rows8_unit(int format);
/// Whether a weight of `n` rows of `k` values of `format` can take the layout: the format has it, at
/// least one whole group of eight rows, and `k` a whole number of units.
int sy_qf_rows8_fits(int format, long n, long k);
/// Rewrites a weight of `n` rows of `k` values of `format` (where `sy_qf_rows8_fits`) in place
/// from plain rows to rows interleaved by eight, or back when `to_plain` is 1.
void sy_qf_rows8_convert(int format, long n, long k, void *w, int to_plain);
/// Where block `i` of row `j` is, in a weight of `n` rows of `k` values in kernel format `kformat`
/// (a format, or a format with `SY_QF_ROWS8`). In the interleaved layout the blocks of one unit
/// (`sy_qf_rows8_unit` values) follow each other; the next unit of the row is 8 units on.
const void *sy_qf_block_address(int kformat, const void *w, long n, long k, long j, long i);

/// Kernel paths. avx2 needs AVX2, FMA and F16C. avx512 needs AVX-512 F/BW/VL with VNNI and BF16
/// (Zen 4/5, Intel Cooper Lake and Sapphire Rapids on): the 32-block formats sum with `vpdpbusd`
/// (the same exact integers, so the same bits as avx2), the K-quants in 8-row tiles (same bits),
/// bf16 with `vdpbf16ps` on activations rounded to bf16 only when `sy_qf_bf16_dot` says so; f32 runs avx2's.
#define SY_ISA_PORTABLE 0
#define SY_ISA_AVX2 1
#define SY_ISA_AVX512 2

/// 1 when bf16 products use `vdpbf16ps` (the avx512 path, unless `SWITCHYARD_BF16_DOT=0`, read
/// once): the activations are then rounded to bf16, as llama.cpp rounds them for its bf16 weights.
/// With `SWITCHYARD_BF16_DOT=0` (or below avx512) bf16 runs avx2's kernel on f32 activations.
int sy_qf_bf16_dot(void);
/// The path in use: the best the CPU has, lowered by `SWITCHYARD_KERNEL_ISA=portable|avx2|avx512`
/// (read on first use) or `sy_qf_set_isa`.
int sy_qf_isa(void);
/// "portable", "avx2" (or "avx512").
const char *sy_qf_isa_name(void);
/// The best path this CPU and build support.
int sy_qf_isa_supported(void);
/// Forces a path no higher than the CPU supports (a higher request is lowered); returns the path
/// now in use. Not for use while a product runs.
int sy_qf_set_isa(int isa);

/// Bytes of scratch `sy_qf_prepare` needs for `m` activation rows of `k` values on the path in use
/// (0 for f32, and for bf16 below avx512).
size_t sy_qf_scratch_bytes(int format, long m, long k);
/// Quantizes the activations `A[m, k]` (row-major, leading dimension `lda` floats) into `scratch`
/// (64-byte aligned, `sy_qf_scratch_bytes` long): q8 blocks of 32 with a float scale (for
/// q8_0 / q4_0 / q4_1), q8_K blocks of 256 (for the K-quants), bf16 rows padded to 32 values (for
/// bf16 on the avx512 path); nothing for f32, nor bf16 on the other paths. Call once
/// per product, before the (threaded) `sy_qf_gemm` calls. Every path quantizes identically.
void sy_qf_prepare(int format, long m, long k, const float *a, long lda, void *scratch);
/// `C[r, j] = sum_i A[r, i] * W[j, i] + beta * C[r, j]` for `r < m` and `j0 <= j < j1`. `w` is
/// `n` rows of `k` values in `format` (with `SY_QF_ROWS8`: interleaved by eight, see there); `scratch` is what `sy_qf_prepare` wrote for the same
/// `m, k, a` (f32/bf16 read `a` directly). Each output is computed by the same operations
/// whatever `m`, `j0`, `j1` are, so a row's result does not depend on its batch or the thread
/// split. For the block formats every path gives bit-identical results; for f32 and bf16 they
/// differ in rounding only (fused multiply-adds on avx2, bf16 activations on avx512).
void sy_qf_gemm(int format, long m, long n, long k, const float *a, long lda, const void *scratch,
                const void *w, float *c, long ldc, float beta, long j0, long j1);

#endif
