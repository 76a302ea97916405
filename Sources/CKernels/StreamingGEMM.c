// C = A · Bᵀ for few rows of A without packing B. See CKernels.h.
#include "CKernels.h"
#include "SYQuant.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define SY_X86 1
#else
#define SY_X86 0
#endif

static inline void store(float *p, float value, float beta) {
    *p = beta == 0.0f ? value : value + beta * *p;
}

/// The portable path: one dot product per output, four partial sums for some instruction overlap.
static void columns_portable(int m, int k, const float *a, int lda, const float *b, int ldb,
                             float *c, int ldc, float beta, int j0, int j1) {
    for (int j = j0; j < j1; j++) {
        const float *w = b + (long)j * ldb;
        for (int r = 0; r < m; r++) {
            const float *x = a + (long)r * lda;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 4 <= k; i += 4) {
                s0 += w[i] * x[i];
                s1 += w[i + 1] * x[i + 1];
                s2 += w[i + 2] * x[i + 2];
                s3 += w[i + 3] * x[i + 3];
            }
            for (; i < k; i++) s0 += w[i] * x[i];
            store(c + (long)r * ldc + j, (s0 + s1) + (s2 + s3), beta);
        }
    }
}

#if SY_X86
#define SY_AVX2 __attribute__((target("avx2,fma")))

SY_AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// A tile of JB weight rows (columns of C) by RB rows of A: JB*RB accumulators of 8 lanes, so each
/// step over k loads JB + RB vectors for JB*RB FMAs. The tail of k (k % 8) is added in scalar.
/// Always inlined with constant JB and RB, so the loops unroll and the accumulators live in registers.
#define SY_TILE(JB, RB)                                                                       \
    SY_AVX2 static void tile_##JB##x##RB(int k, const float *a, int lda, const float *b, int ldb, \
                                          float *c, int ldc, float beta) {                     \
        __m256 acc[JB][RB];                                                                    \
        for (int x = 0; x < JB; x++)                                                           \
            for (int y = 0; y < RB; y++) acc[x][y] = _mm256_setzero_ps();                      \
        int i = 0;                                                                             \
        for (; i + 8 <= k; i += 8) {                                                           \
            __m256 w[JB];                                                                      \
            for (int x = 0; x < JB; x++) w[x] = _mm256_loadu_ps(b + (long)x * ldb + i);        \
            for (int y = 0; y < RB; y++) {                                                     \
                __m256 v = _mm256_loadu_ps(a + (long)y * lda + i);                             \
                for (int x = 0; x < JB; x++) acc[x][y] = _mm256_fmadd_ps(w[x], v, acc[x][y]);  \
            }                                                                                  \
        }                                                                                      \
        for (int x = 0; x < JB; x++) {                                                         \
            for (int y = 0; y < RB; y++) {                                                     \
                float s = hsum(acc[x][y]);                                                     \
                const float *w = b + (long)x * ldb;                                            \
                const float *v = a + (long)y * lda;                                            \
                for (int t = i; t < k; t++) s += w[t] * v[t];                                  \
                store(c + (long)y * ldc + x, s, beta);                                         \
            }                                                                                  \
        }                                                                                      \
    }

SY_TILE(3, 4)
SY_TILE(3, 3)
SY_TILE(3, 2)
SY_TILE(3, 1)
SY_TILE(1, 4)
SY_TILE(1, 3)
SY_TILE(1, 2)
SY_TILE(1, 1)

typedef void (*tile_fn)(int, const float *, int, const float *, int, float *, int, float);

/// For each group of three weight rows (12 KiB at k = 1024, kept in L1), every group of up to four
/// rows of A in turn: the weight is read from memory once, A is re-read from L1/L2.
SY_AVX2 static void columns_avx2(int m, int k, const float *a, int lda, const float *b, int ldb,
                                 float *c, int ldc, float beta, int j0, int j1) {
    static const tile_fn wide[5] = {0, tile_3x1, tile_3x2, tile_3x3, tile_3x4};
    static const tile_fn narrow[5] = {0, tile_1x1, tile_1x2, tile_1x3, tile_1x4};
    int j = j0;
    for (; j + 3 <= j1; j += 3) {
        for (int r = 0; r < m; r += 4) {
            int rows = m - r < 4 ? m - r : 4;
            wide[rows](k, a + (long)r * lda, lda, b + (long)j * ldb, ldb, c + (long)r * ldc + j, ldc, beta);
        }
    }
    for (; j < j1; j++) {
        for (int r = 0; r < m; r += 4) {
            int rows = m - r < 4 ? m - r : 4;
            narrow[rows](k, a + (long)r * lda, lda, b + (long)j * ldb, ldb, c + (long)r * ldc + j, ldc, beta);
        }
    }
}

static int detect_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

int sy_kernels_use_avx2(void) {
#if SY_X86
    static int cached = -1;
    if (cached < 0) cached = detect_avx2();
    // The process-wide path (`SWITCHYARD_KERNEL_ISA`, `KernelPath.force`) applies here too, so
    // forcing `portable` runs every f32 kernel's portable loop.
    return cached && sy_qf_isa() >= SY_ISA_AVX2;
#else
    return 0;
#endif
}

void sy_sgemm_nt_columns(int m, int k, const float *a, int lda, const float *b, int ldb,
                         float *c, int ldc, float beta, int j0, int j1) {
    if (m <= 0 || j1 <= j0) return;
#if SY_X86
    if (sy_kernels_use_avx2()) {
        columns_avx2(m, k, a, lda, b, ldb, c, ldc, beta, j0, j1);
        return;
    }
#endif
    columns_portable(m, k, a, lda, b, ldb, c, ldc, beta, j0, j1);
}
