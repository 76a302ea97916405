#ifndef SWITCHYARD_CKERNELS_H
#define SWITCHYARD_CKERNELS_H

#include "SYQuant.h"

/// Hand-written kernels for the shapes OpenBLAS handles poorly: products with few activation rows.

/// A spin-wait hint to the CPU (`pause` on x86, `yield` on ARM): lets the sibling hyperthread run
/// and saves power while a thread polls a flag another core will set.
static inline void sy_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Tunes glibc's malloc for a daemon that allocates and frees the same large buffers every step:
/// blocks up to 32 MiB come from the heap rather than fresh mappings, and freed heap memory up to
/// 256 MiB stays in the process for reuse instead of going back to the kernel (which zeroes it on
/// the next fault). Returns 1 when applied, 0 when the C library is not glibc.
int sy_malloc_keep_freed_memory(void);

/// `C[r, j] = sum_k A[r, k] * B[j, k] + beta * C[r, j]` for rows `r < m` and columns
/// `j0 <= j < j1`, all row-major with leading dimensions in floats (`C = A · Bᵀ`, the weight `B`
/// stored `[n, k]` as PyTorch's Linear does).
///
/// Unlike gemm, nothing is packed: each weight row is read from memory once and dotted with every
/// row of `A` (which stays in cache), so for few rows the product runs at memory bandwidth, and each
/// output depends only on its own row of `A` (results do not change with `m`). Uses AVX2+FMA when
/// the CPU has them, a portable loop otherwise. Callers split `[0, n)` across threads.
void sy_sgemm_nt_columns(int m, int k, const float *a, int lda, const float *b, int ldb,
                         float *c, int ldc, float beta, int j0, int j1);

/// Output rows (weight rows) per panel of a packed weight.
#define SY_PANEL_WIDTH 16

/// The packed layout of a weight `W[n, k]` (nn.Linear's `[out, in]`): `ceil(n / 16)` panels, each
/// `k x 16` floats, k-major: `W[j, col]` is at `((j / 16) * k + col) * 16 + j % 16`. Rows past `n`
/// in the last panel are zero. One step over k reads 16 consecutive floats of a panel, which a
/// micro-kernel multiplies by one broadcast element of each of up to 6 rows of A.

/// Writes `count` rows of a row-major source (leading dimension `ld` floats, `k` columns) into a
/// packed weight of `k` columns as its rows `first ..< first + count`.
void sy_pack_rows(int k, const float *src, long ld, int count, float *packed, int first);

/// Reads `W[row, col]` of a packed weight of `k` columns.
float sy_packed_element(int k, const float *packed, int row, int col);

/// `C[r, j] = sum_k A[r, k] * W[j, k] + beta * C[r, j]` for rows `r < m` and the columns of panels
/// `p0 <= p < p1` (columns `16 p0 ..< min(16 p1, n)`), `W` packed as above, `A` and `C` row-major.
/// Each output is one accumulator summed in k order whatever `m` is, so a row's result does not
/// depend on the other rows in the batch. Callers split the panels across threads.
void sy_sgemm_packed(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc,
                     float beta, int p0, int p1);

/// 1 when the AVX2+FMA path is in use, 0 for the portable loop.
int sy_kernels_use_avx2(void);

/// `log Σ exp(x[i])` over `n` floats, computed stably (shifted by the maximum; an infinite or NaN
/// maximum is returned as is). AVX2 exponentials with relative error below 1e-7, summed in double.
float sy_log_sum_exp(const float *x, int n);

/// `out[i] = silu(gate[i]) * up[i]` with `silu(g) = g / (1 + e^-g)`, for `n` floats.
void sy_swiglu(const float *gate, const float *up, float *out, int n);

// Conversions of wire rows between f32 and bfloat16 (WireConvert.c). Every pointer may be
// unaligned (received frames); bf16 values are little-endian 16-bit patterns. Every path (AVX2
// and the portable loop) gives the same bits: rounding is integer arithmetic, not `vcvtneps2bf16`
// (which flushes subnormal inputs to zero).

/// `dst[i] = bf16(src[i])`, rounded to nearest even; a NaN stays a (quiet) NaN. `dst` may be
/// `src` itself (in-place narrowing: element `i` moves to bytes `2i ..< 2i + 2`, which the loop has
/// read before it writes them); other overlaps are not allowed.
void sy_f32_to_bf16_rows(const void *src, void *dst, size_t n);

/// `dst[i] = f32(src[i])` for `n` bf16 values (exact).
void sy_bf16_to_f32_rows(const void *src, float *dst, size_t n);

/// `dst[i] += f32(src[i])` for `n` bf16 values.
void sy_bf16_add_rows(const void *src, float *dst, size_t n);

/// `dst[i] += src[i]` for `n` f32 values at a possibly unaligned `src`.
void sy_f32_add_rows(const void *src, float *dst, size_t n);

#endif
