#ifndef SWITCHYARD_CKERNELS_H
#define SWITCHYARD_CKERNELS_H

/// Hand-written kernels for the shapes OpenBLAS handles poorly: products with few activation rows.

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

/// 1 when the AVX2+FMA path is in use, 0 for the portable loop.
int sy_kernels_use_avx2(void);

/// `log Σ exp(x[i])` over `n` floats, computed stably (shifted by the maximum; an infinite or NaN
/// maximum is returned as is). AVX2 exponentials with relative error below 1e-7, summed in double.
float sy_log_sum_exp(const float *x, int n);

/// `out[i] = silu(gate[i]) * up[i]` with `silu(g) = g / (1 + e^-g)`, for `n` floats.
void sy_swiglu(const float *gate, const float *up, float *out, int n);

#endif
