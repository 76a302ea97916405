// C = A · Wᵀ on weights packed into column panels. See CKernels.h.
#include "CKernels.h"
#include "SYQuant.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define SY_X86 1
#else
#define SY_X86 0
#endif

#define NR SY_PANEL_WIDTH
/// Rows of A per micro-kernel call: 6 rows x 2 vectors = 12 accumulators, plus 2 weight vectors
/// and a broadcast, in the 16 AVX2 registers.
#define MR 6
/// Depth of one pass: a 16 KiB slice of a panel, which stays in L1 while every row group uses it.
#define KC 256
/// Rows of A per block; the partial sums of a block (MC x 16 floats) live on the stack.
#define MC 96

static inline long packed_offset(int row, int col, int k) {
    return ((long)(row / NR) * k + col) * NR + row % NR;
}

void sy_pack_rows(int k, const float *src, long ld, int count, float *packed, int first) {
    for (int r = 0; r < count; r++) {
        const float *row = src + (long)r * ld;
        int j = first + r;
        float *dst = packed + packed_offset(j, 0, k);
        for (int col = 0; col < k; col++) dst[(long)col * NR] = row[col];
    }
}

float sy_packed_element(int k, const float *packed, int row, int col) {
    return packed[packed_offset(row, col, k)];
}

/// Writes rows of a block's partial sums `t` (stride NR) to C: `C = t + beta * C`, first `cols` columns.
static void write_block(const float *t, int rows, int cols, float *c, int ldc, float beta) {
    for (int y = 0; y < rows; y++) {
        float *out = c + (long)y * ldc;
        const float *in = t + y * NR;
        if (beta == 0.0f) {
            for (int x = 0; x < cols; x++) out[x] = in[x];
        } else {
            // Two statements, so the compiler does not fuse them into an FMA: the few-rows paths
            // round the same way.
            for (int x = 0; x < cols; x++) {
                float scaled = beta * out[x];
                out[x] = in[x] + scaled;
            }
        }
    }
}

/// Splits `rows` into groups of at most MR, as even as possible (8 rows: 4 + 4, not 6 + 2), so no
/// group is left with too few accumulators to keep the FMA units busy. Returns the group count.
static int row_groups(int rows, int *sizes) {
    int groups = (rows + MR - 1) / MR;
    for (int g = 0; g < groups; g++) sizes[g] = rows / groups + (g < rows % groups ? 1 : 0);
    return groups;
}

/// The portable path: the same loops and the same order of additions per output, in scalar code.
static void packed_portable(int m, int n, int k, const float *a, int lda, const float *w, float *c, int ldc,
                            float beta, int p0, int p1) {
    float t[MC * NR];
    for (int r0 = 0; r0 < m; r0 += MC) {
        int mc = m - r0 < MC ? m - r0 : MC;
        for (int p = p0; p < p1; p++) {
            const float *panel = w + (long)p * k * NR;
            for (int i = 0; i < mc * NR; i++) t[i] = 0.0f;
            for (int y = 0; y < mc; y++) {
                const float *x = a + (long)(r0 + y) * lda;
                float *acc = t + y * NR;
                for (int kk = 0; kk < k; kk++)
                    for (int col = 0; col < NR; col++) acc[col] += x[kk] * panel[(long)kk * NR + col];
            }
            int cols = n - p * NR < NR ? n - p * NR : NR;
            write_block(t, mc, cols, c + (long)r0 * ldc + p * NR, ldc, beta);
        }
    }
}

#if SY_X86
#define SY_AVX2 __attribute__((target("avx2,fma")))

/// R rows of A against one panel slice of depth kc: `t[y][0..16] (+)= Σ a[y][kk] * w[kk][0..16]`,
/// one accumulator per output summed in k order. While it runs it prefetches `prefetch_lines`
/// cache lines from `prefetch` (part of the next slice), so the next slice's memory latency
/// overlaps this slice's arithmetic.
#define SY_MICRO(R)                                                                                  \
    SY_AVX2 static void micro_##R(int kc, const float *a, int lda, const float *w, float *t, int first, \
                                  const float *prefetch, int prefetch_lines) {                      \
        __m256 lo[R], hi[R];                                                                         \
        for (int y = 0; y < R; y++) {                                                                \
            lo[y] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(t + y * NR);                       \
            hi[y] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(t + y * NR + 8);                   \
        }                                                                                            \
        for (int kk = 0; kk < kc; kk++) {                                                            \
            if (kk < prefetch_lines) _mm_prefetch((const char *)(prefetch + (long)kk * NR), _MM_HINT_T0); \
            __m256 w0 = _mm256_load_ps(w + (long)kk * NR);                                           \
            __m256 w1 = _mm256_load_ps(w + (long)kk * NR + 8);                                       \
            for (int y = 0; y < R; y++) {                                                            \
                __m256 v = _mm256_broadcast_ss(a + (long)y * lda + kk);                              \
                lo[y] = _mm256_fmadd_ps(v, w0, lo[y]);                                               \
                hi[y] = _mm256_fmadd_ps(v, w1, hi[y]);                                               \
            }                                                                                        \
        }                                                                                            \
        for (int y = 0; y < R; y++) {                                                                \
            _mm256_storeu_ps(t + y * NR, lo[y]);                                                     \
            _mm256_storeu_ps(t + y * NR + 8, hi[y]);                                                 \
        }                                                                                            \
    }

SY_MICRO(1)
SY_MICRO(2)
SY_MICRO(3)
SY_MICRO(4)
SY_MICRO(5)
SY_MICRO(6)

typedef void (*micro_fn)(int, const float *, int, const float *, float *, int, const float *, int);
static const micro_fn micro[MR + 1] = {0, micro_1, micro_2, micro_3, micro_4, micro_5, micro_6};

/// Blocks of up to MC rows; for each panel, slices of depth KC; for each slice, every row group.
/// The slice (16 KiB) is read from memory once per block and from L1 by the other row groups.
SY_AVX2 static void packed_avx2(int m, int n, int k, const float *a, int lda, const float *w, float *c, int ldc,
                                float beta, int p0, int p1) {
    float t[MC * NR] __attribute__((aligned(32)));
    int sizes[(MC + MR - 1) / MR];
    for (int r0 = 0; r0 < m; r0 += MC) {
        int mc = m - r0 < MC ? m - r0 : MC;
        int groups = row_groups(mc, sizes);
        for (int p = p0; p < p1; p++) {
            const float *panel = w + (long)p * k * NR;
            for (int kb = 0; kb < k; kb += KC) {
                int kc = k - kb < KC ? k - kb : KC;
                // Panels are contiguous, so what follows this slice is the next slice or panel.
                // Each row group prefetches its share of it; past the end a prefetch is a no-op.
                const float *next = panel + (long)(kb + kc) * NR;
                int share = (KC + groups - 1) / groups;
                for (int g = 0, r = 0; g < groups; r += sizes[g], g++) {
                    micro[sizes[g]](kc, a + (long)(r0 + r) * lda + kb, lda, panel + (long)kb * NR, t + r * NR,
                                    kb == 0, next + (long)g * share * NR, share);
                }
            }
            int cols = n - p * NR < NR ? n - p * NR : NR;
            write_block(t, mc, cols, c + (long)r0 * ldc + p * NR, ldc, beta);
        }
    }
}

/// R rows of A (R = 1, 2 or 3) against P full panels at a time, over all of k: 2 R P independent
/// accumulators (8 or 12) where the general path would have only 2 R, and P weight streams. The
/// same chain of additions per output as `packed_avx2` (so a row's result does not depend on m);
/// leftover and partial panels go through `packed_avx2`.
#define SY_FEW(R, P)                                                                                    \
    SY_AVX2 static void few_rows_##R(int n, int k, const float *a, int lda, const float *w, float *c, int ldc, \
                                     float beta, int p0, int p1) {                                      \
        int p = p0;                                                                                     \
        for (; p + P <= p1 && (p + P) * NR <= n; p += P) {                                              \
            __m256 acc[R][P][2];                                                                        \
            for (int y = 0; y < R; y++)                                                                 \
                for (int q = 0; q < P; q++) acc[y][q][0] = acc[y][q][1] = _mm256_setzero_ps();          \
            const float *panels = w + (long)p * k * NR;                                                 \
            for (int kk = 0; kk < k; kk++) {                                                            \
                __m256 lo[P], hi[P];                                                                    \
                for (int q = 0; q < P; q++) {                                                           \
                    lo[q] = _mm256_load_ps(panels + ((long)q * k + kk) * NR);                           \
                    hi[q] = _mm256_load_ps(panels + ((long)q * k + kk) * NR + 8);                       \
                }                                                                                       \
                for (int y = 0; y < R; y++) {                                                           \
                    __m256 v = _mm256_broadcast_ss(a + (long)y * lda + kk);                             \
                    for (int q = 0; q < P; q++) {                                                       \
                        acc[y][q][0] = _mm256_fmadd_ps(v, lo[q], acc[y][q][0]);                         \
                        acc[y][q][1] = _mm256_fmadd_ps(v, hi[q], acc[y][q][1]);                         \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
            for (int y = 0; y < R; y++) {                                                               \
                for (int q = 0; q < P; q++) {                                                           \
                    float *out = c + (long)y * ldc + (p + q) * NR;                                      \
                    for (int h = 0; h < 2; h++) {                                                       \
                        __m256 sum = acc[y][q][h];                                                      \
                        if (beta != 0.0f)                                                               \
                            sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(out + 8 * h))); \
                        _mm256_storeu_ps(out + 8 * h, sum);                                             \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        if (p < p1) packed_avx2(R, n, k, a, lda, w, c, ldc, beta, p, p1);                               \
    }

SY_FEW(1, 4)
SY_FEW(2, 2)
SY_FEW(3, 2)

// MARK: - AVX-512
//
// A panel is 16 floats wide: one zmm register. The kernels below keep, for every output, the one
// chain of fused multiply-adds in k order that the AVX2 kernels compute (depth slices store and
// reload the partial sums exactly; C = sum + beta * C in two rounded steps), so the two paths give
// the same bits and a row's result still does not depend on m or the thread count.
// What AVX-512 changes is how many outputs one instruction advances (16 against 8) and how many
// accumulators fit in registers (32 against 16): each broadcast of A feeds two panels.
#define SY_AVX512F __attribute__((target("avx2,fma,avx512f")))

/// R rows of A against P adjacent panels (P = 1 or 2) over one depth slice: an accumulator per
/// row and panel; panel q's partial sums live at `t + q * MC * NR` (row stride NR). Prefetches
/// `prefetch_lines` lines of each panel's next slice, as `micro_R` does for its one panel.
#define SY_MICRO512(R, P)                                                                              \
    SY_AVX512F static void micro512_##R##_##P(int kc, const float *a, int lda, const float *w, long panel_stride, \
                                              float *t, int first, const float *prefetch, int prefetch_lines) { \
        __m512 acc[P][R];                                                                              \
        for (int q = 0; q < P; q++)                                                                    \
            for (int y = 0; y < R; y++)                                                                \
                acc[q][y] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(t + (q * MC + y) * NR);      \
        for (int kk = 0; kk < kc; kk++) {                                                              \
            if (kk < prefetch_lines)                                                                   \
                for (int q = 0; q < P; q++)                                                            \
                    _mm_prefetch((const char *)(prefetch + q * panel_stride + (long)kk * NR), _MM_HINT_T0); \
            __m512 wv[P];                                                                              \
            for (int q = 0; q < P; q++) wv[q] = _mm512_loadu_ps(w + q * panel_stride + (long)kk * NR); \
            for (int y = 0; y < R; y++) {                                                              \
                __m512 v = _mm512_set1_ps(a[(long)y * lda + kk]);                                      \
                for (int q = 0; q < P; q++) acc[q][y] = _mm512_fmadd_ps(v, wv[q], acc[q][y]);          \
            }                                                                                          \
        }                                                                                              \
        for (int q = 0; q < P; q++)                                                                    \
            for (int y = 0; y < R; y++) _mm512_storeu_ps(t + (q * MC + y) * NR, acc[q][y]);            \
    }

SY_MICRO512(1, 1) SY_MICRO512(2, 1) SY_MICRO512(3, 1) SY_MICRO512(4, 1) SY_MICRO512(5, 1) SY_MICRO512(6, 1)
SY_MICRO512(1, 2) SY_MICRO512(2, 2) SY_MICRO512(3, 2) SY_MICRO512(4, 2) SY_MICRO512(5, 2) SY_MICRO512(6, 2)

typedef void (*micro512_fn)(int, const float *, int, const float *, long, float *, int, const float *, int);
static const micro512_fn micro512[2][MR + 1] = {
    {0, micro512_1_1, micro512_2_1, micro512_3_1, micro512_4_1, micro512_5_1, micro512_6_1},
    {0, micro512_1_2, micro512_2_2, micro512_3_2, micro512_4_2, micro512_5_2, micro512_6_2},
};

/// `packed_avx2`'s blocking with two panels per pass: 6 rows x 2 panels = 12 accumulators, two
/// weight loads and six broadcasts per step of k for 12 fused multiply-adds of 16 lanes.
SY_AVX512F static void packed_avx512(int m, int n, int k, const float *a, int lda, const float *w, float *c, int ldc,
                                     float beta, int p0, int p1) {
    float t[2 * MC * NR] __attribute__((aligned(64)));
    int sizes[(MC + MR - 1) / MR];
    long stride = (long)k * NR;
    for (int r0 = 0; r0 < m; r0 += MC) {
        int mc = m - r0 < MC ? m - r0 : MC;
        int groups = row_groups(mc, sizes);
        for (int p = p0; p < p1; p += 2) {
            int panels = p1 - p >= 2 ? 2 : 1;
            const float *panel = w + (long)p * stride;
            for (int kb = 0; kb < k; kb += KC) {
                int kc = k - kb < KC ? k - kb : KC;
                const float *next = panel + (long)(kb + kc) * NR;
                int share = (KC + groups - 1) / groups;
                for (int g = 0, r = 0; g < groups; r += sizes[g], g++) {
                    micro512[panels - 1][sizes[g]](kc, a + (long)(r0 + r) * lda + kb, lda, panel + (long)kb * NR, stride,
                                                   t + r * NR, kb == 0, next + (long)g * share * NR, share);
                }
            }
            for (int q = 0; q < panels; q++) {
                int cols = n - (p + q) * NR < NR ? n - (p + q) * NR : NR;
                write_block(t + q * MC * NR, mc, cols, c + (long)r0 * ldc + (p + q) * NR, ldc, beta);
            }
        }
    }
}

/// `few_rows_R` with a zmm per row and panel: R rows (1-3) against P full panels over all of k.
#define SY_FEW512(R, P)                                                                                 \
    SY_AVX512F static void few512_##R(int n, int k, const float *a, int lda, const float *w, float *c, int ldc, \
                                      float beta, int p0, int p1) {                                    \
        int p = p0;                                                                                     \
        for (; p + P <= p1 && (p + P) * NR <= n; p += P) {                                              \
            __m512 acc[R][P];                                                                           \
            for (int y = 0; y < R; y++)                                                                 \
                for (int q = 0; q < P; q++) acc[y][q] = _mm512_setzero_ps();                            \
            const float *panels = w + (long)p * k * NR;                                                 \
            for (int kk = 0; kk < k; kk++) {                                                            \
                __m512 wv[P];                                                                           \
                for (int q = 0; q < P; q++) wv[q] = _mm512_loadu_ps(panels + ((long)q * k + kk) * NR);  \
                for (int y = 0; y < R; y++) {                                                           \
                    __m512 v = _mm512_set1_ps(a[(long)y * lda + kk]);                                   \
                    for (int q = 0; q < P; q++) acc[y][q] = _mm512_fmadd_ps(v, wv[q], acc[y][q]);       \
                }                                                                                       \
            }                                                                                           \
            for (int y = 0; y < R; y++) {                                                               \
                for (int q = 0; q < P; q++) {                                                           \
                    float *out = c + (long)y * ldc + (p + q) * NR;                                      \
                    __m512 sum = acc[y][q];                                                             \
                    if (beta != 0.0f)                                                                   \
                        sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_set1_ps(beta), _mm512_loadu_ps(out))); \
                    _mm512_storeu_ps(out, sum);                                                         \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        if (p < p1) packed_avx512(R, n, k, a, lda, w, c, ldc, beta, p, p1);                             \
    }

SY_FEW512(1, 8)
SY_FEW512(2, 4)
SY_FEW512(3, 4)

/// The 1-3-row kernels of each SIMD path, by row count.
typedef void (*few_fn)(int, int, const float *, int, const float *, float *, int, float, int, int);
static const few_fn few_avx2[4] = {0, few_rows_1, few_rows_2, few_rows_3};
static const few_fn few512[4] = {0, few512_1, few512_2, few512_3};
#endif

void sy_sgemm_packed(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc,
                     float beta, int p0, int p1) {
    if (m <= 0 || p1 <= p0) return;
#if SY_X86
    int isa = sy_qf_isa();
    if (isa >= SY_ISA_AVX2) {
        int wide = isa >= SY_ISA_AVX512;
        if (m <= 3) (wide ? few512 : few_avx2)[m](n, k, a, lda, packed, c, ldc, beta, p0, p1);
        else (wide ? packed_avx512 : packed_avx2)(m, n, k, a, lda, packed, c, ldc, beta, p0, p1);
        return;
    }
#endif
    packed_portable(m, n, k, a, lda, packed, c, ldc, beta, p0, p1);
}
