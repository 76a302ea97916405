// C = A · Wᵀ on block-format weights: activation quantization, portable and AVX2 kernels, and the
// run-time choice between them. See SYQuant.h.
//
// How every output is computed (the same on every path, whatever m or the thread split):
//
// * q8_0 / q4_0 / q4_1 (blocks of 32): the activations are quantized to int8 per block of 32
//   (scale amax / 127 kept as a float, values rounded to nearest even). For each block b the
//   integer dot product of weight and activation values is exact; then, in float,
//   `acc[b % 4] += (dw_b * da_b) * isum_b` (q4_1 also `acc[b % 4] += mw_b * (da_b * asum_b)`), and
//   the result is `(acc[0] + acc[2]) + (acc[1] + acc[3])`. The AVX2 kernel keeps acc as one
//   4-lane vector, one lane per block of a group of 4, so it rounds exactly as the portable loop.
// * q4_K / q5_K / q6_K: activations become q8_K (int8 per 256, float scale as ggml's
//   quantize_row_q8_K_ref, sums per 16 and per 32). Per superblock the integer sums (values
//   times six-bit scales, and mins times activation sums) are exact, then in float
//   `acc += (d * da) * isum` and `acc -= (dmin * da) * msum`.
// * f32 / bf16: eight partial sums, lane l taking k = l mod 8, combined as
//   `((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))`; the AVX2 path uses fused multiply-adds
//   and the portable one separate multiply and add, so these two formats differ across paths in
//   rounding only.
//
// Integer products never saturate `maddubs`: weights are unsigned (at most 63) against int8
// activations in [-127, 127], or for q8_0 |w| against sign-adjusted activations (127 * 127 * 2).
#include "SYQuant.h"
#include "QuantInternal.h"
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>
#define SYQ_X86 1
#define SYQ_AVX2 __attribute__((target("avx2,fma,f16c")))
#define SYQ_AVX2_INLINE __attribute__((target("avx2,fma,f16c"), always_inline)) static inline
#else
#define SYQ_X86 0
#endif

// MARK: - Run-time path choice

static int g_isa = -1;

int sy_qf_isa_supported(void) {
#if SYQ_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
        return SY_ISA_AVX2;
    }
#endif
    return SY_ISA_PORTABLE;
}

int sy_qf_set_isa(int isa) {
    int best = sy_qf_isa_supported();
    if (isa < SY_ISA_PORTABLE) isa = SY_ISA_PORTABLE;
    if (isa > best) isa = best;
    __atomic_store_n(&g_isa, isa, __ATOMIC_RELAXED);
    return isa;
}

int sy_qf_isa(void) {
    int isa = __atomic_load_n(&g_isa, __ATOMIC_RELAXED);
    if (isa >= 0) return isa;
    isa = sy_qf_isa_supported();
    const char *env = getenv("SWITCHYARD_KERNEL_ISA");
    if (env) {
        if (strcmp(env, "portable") == 0) isa = SY_ISA_PORTABLE;
        else if (strcmp(env, "avx2") == 0 && isa > SY_ISA_AVX2) isa = SY_ISA_AVX2;
        // "avx512" (or anything else) asks for nothing lower than the best available.
    }
    return sy_qf_set_isa(isa);
}

const char *sy_qf_isa_name(void) {
    switch (sy_qf_isa()) {
    case SY_ISA_AVX2: return "avx2";
    case SY_ISA_AVX512: return "avx512";
    default: return "portable";
    }
}

// MARK: - Activation scratch

static inline size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }
static inline int is_k_format(int f) { return f == SY_QF_Q4_K || f == SY_QF_Q5_K || f == SY_QF_Q6_K; }
static inline int is_32_format(int f) { return f == SY_QF_Q8_0 || f == SY_QF_Q4_0 || f == SY_QF_Q4_1; }

/// q8 activations for the 32-blocks: per row `nb4` (blocks rounded up to 4) blocks, the padding zero.
typedef struct {
    long nb4;
    int8_t *qs;    // m x nb4*32
    float *d;      // m x nb4: scale
    int32_t *sum;  // m x nb4: sum of the block's int8 values
    float *sa;     // m x nb4: d * sum
} act32;

static act32 act32_layout(void *scratch, long m, long k) {
    act32 s;
    s.nb4 = ((k / SYQ_QK) + 3) & ~3L;
    uint8_t *p = scratch;
    s.qs = (int8_t *)p; p += round64((size_t)(m * s.nb4 * SYQ_QK));
    s.d = (float *)p; p += round64((size_t)(m * s.nb4) * 4);
    s.sum = (int32_t *)p; p += round64((size_t)(m * s.nb4) * 4);
    s.sa = (float *)p;
    return s;
}

/// q8_K activations for the K-quants.
typedef struct {
    long nbk;
    int8_t *qs;      // m x k
    float *d;        // m x nbk
    int16_t *bs16;   // m x k/16: sums of 16 values
    int16_t *bs32;   // m x k/32: sums of 32 values
} actK;

static actK actK_layout(void *scratch, long m, long k) {
    actK s;
    s.nbk = k / SYQ_QK_K;
    uint8_t *p = scratch;
    s.qs = (int8_t *)p; p += round64((size_t)(m * k));
    s.d = (float *)p; p += round64((size_t)(m * s.nbk) * 4);
    s.bs16 = (int16_t *)p; p += round64((size_t)(m * (k / 16)) * 2);
    s.bs32 = (int16_t *)p;
    return s;
}

size_t sy_qf_scratch_bytes(int format, long m, long k) {
    if (is_32_format(format)) {
        long nb4 = ((k / SYQ_QK) + 3) & ~3L;
        return round64((size_t)(m * nb4 * SYQ_QK)) + 3 * round64((size_t)(m * nb4) * 4);
    }
    if (is_k_format(format)) {
        return round64((size_t)(m * k)) + round64((size_t)(m * (k / SYQ_QK_K)) * 4) + round64((size_t)(m * (k / 16)) * 2) +
               round64((size_t)(m * (k / 32)) * 2);
    }
    return 0;
}


static void q8_32_row_portable(const float *x, long nb, long nb4, int8_t *qs, float *d, int32_t *sum, float *sa) {
    for (long b = 0; b < nb; b++, x += SYQ_QK) {
        float amax = 0.0f;
        for (int j = 0; j < SYQ_QK; j++) {
            float v = x[j] < 0 ? -x[j] : x[j];
            if (v > amax) amax = v;
        }
        const float dd = amax / 127.0f;
        const float id = dd != 0.0f ? 1.0f / dd : 0.0f;
        int s = 0;
        for (int j = 0; j < SYQ_QK; j++) {
            int q = (int)syq_rne(x[j] * id);
            qs[b * SYQ_QK + j] = (int8_t)q;
            s += q;
        }
        d[b] = dd;
        sum[b] = s;
        sa[b] = dd * (float)s;
    }
    for (long b = nb; b < nb4; b++) {
        memset(qs + b * SYQ_QK, 0, SYQ_QK);
        d[b] = 0; sum[b] = 0; sa[b] = 0;
    }
}

/// q8_K as ggml's quantize_row_q8_K_ref (its nearest_int rounds to nearest even too).
static void q8_K_row_portable(const float *x, long nbk, int8_t *qs, float *d, int16_t *bs16, int16_t *bs32) {
    for (long i = 0; i < nbk; i++, x += SYQ_QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < SYQ_QK_K; j++) {
            float v = x[j] < 0 ? -x[j] : x[j];
            if (v > amax) { amax = v; max = x[j]; }
        }
        int8_t *q = qs + i * SYQ_QK_K;
        if (amax == 0.0f) {
            d[i] = 0.0f;
            memset(q, 0, SYQ_QK_K);
        } else {
            const float iscale = -127.0f / max;
            for (int j = 0; j < SYQ_QK_K; j++) {
                int v = (int)syq_rne(iscale * x[j]);
                q[j] = (int8_t)(v > 127 ? 127 : v);
            }
            d[i] = 1.0f / iscale;
        }
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int l = 0; l < 16; l++) s += q[16 * g + l];
            bs16[16 * i + g] = (int16_t)s;
        }
        for (int g = 0; g < 8; g++) bs32[8 * i + g] = (int16_t)(bs16[16 * i + 2 * g] + bs16[16 * i + 2 * g + 1]);
    }
}

#if SYQ_X86
SYQ_AVX2 static void q8_32_row_avx2(const float *x, long nb, long nb4, int8_t *qs, float *d, int32_t *sum, float *sa) {
    const __m256 signMask = _mm256_set1_ps(-0.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (long b = 0; b < nb; b++, x += SYQ_QK) {
        __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16),
               v3 = _mm256_loadu_ps(x + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(signMask, v0), _mm256_andnot_ps(signMask, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(signMask, v2), _mm256_andnot_ps(signMask, v3)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        const float amax = _mm_cvtss_f32(h);
        const float dd = amax / 127.0f;
        const float id = dd != 0.0f ? 1.0f / dd : 0.0f;
        const __m256 vid = _mm256_set1_ps(id);
        __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, vid)), q1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, vid)),
                q2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, vid)), q3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, vid));
        __m256i s = _mm256_add_epi32(_mm256_add_epi32(q0, q1), _mm256_add_epi32(q2, q3));
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
        s4 = _mm_hadd_epi32(s4, s4);
        s4 = _mm_hadd_epi32(s4, s4);
        __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
        _mm256_storeu_si256((__m256i *)(qs + b * SYQ_QK), _mm256_permutevar8x32_epi32(packed, order));
        const int total = _mm_cvtsi128_si32(s4);
        d[b] = dd;
        sum[b] = total;
        sa[b] = dd * (float)total;
    }
    for (long b = nb; b < nb4; b++) {
        memset(qs + b * SYQ_QK, 0, SYQ_QK);
        d[b] = 0; sum[b] = 0; sa[b] = 0;
    }
}

/// The portable q8_K loop compiled for AVX2 (the compiler vectorizes the scaling; same IEEE
/// operations, so the same bytes).
SYQ_AVX2 static void q8_K_row_avx2(const float *x, long nbk, int8_t *qs, float *d, int16_t *bs16, int16_t *bs32) {
    const __m256 signMask = _mm256_set1_ps(-0.0f);
    for (long i = 0; i < nbk; i++, x += SYQ_QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int j = 0; j < SYQ_QK_K; j += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(signMask, _mm256_loadu_ps(x + j)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        const float amax = _mm_cvtss_f32(h);
        int8_t *q = qs + i * SYQ_QK_K;
        if (amax == 0.0f) {
            d[i] = 0.0f;
            memset(q, 0, SYQ_QK_K);
        } else {
            float max = 0.0f;  // the first value of largest magnitude, with its sign
            for (int j = 0; j < SYQ_QK_K; j++) {
                if (x[j] == amax || x[j] == -amax) { max = x[j]; break; }
            }
            const float iscale = -127.0f / max;
            const __m256 vs = _mm256_set1_ps(iscale);
            const __m256i top = _mm256_set1_epi32(127);
            const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
            for (int j = 0; j < SYQ_QK_K; j += 32) {
                __m256i q0 = _mm256_min_epi32(top, _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + j))));
                __m256i q1 = _mm256_min_epi32(top, _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + j + 8))));
                __m256i q2 = _mm256_min_epi32(top, _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + j + 16))));
                __m256i q3 = _mm256_min_epi32(top, _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + j + 24))));
                __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
                _mm256_storeu_si256((__m256i *)(q + j), _mm256_permutevar8x32_epi32(packed, order));
            }
            d[i] = 1.0f / iscale;
        }
        const __m256i ones = _mm256_set1_epi16(1);
        for (int g = 0; g < 16; g += 2) {
            // Sums of 16: widen to int16 and add pairs.
            __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + 16 * g)));
            __m256i w2 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + 16 * g + 16)));
            __m256i p = _mm256_hadd_epi32(_mm256_madd_epi16(w, ones), _mm256_madd_epi16(w2, ones));
            // p: [w0+w1, w2+w3, v0+v1, v2+v3 | w4+w5, w6+w7, v4+v5, v6+v7] (pairs of int32 sums)
            __m128i t = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
            t = _mm_hadd_epi32(t, t);  // [w total, v total, ...]
            bs16[16 * i + g] = (int16_t)_mm_cvtsi128_si32(t);
            bs16[16 * i + g + 1] = (int16_t)_mm_extract_epi32(t, 1);
        }
        for (int g = 0; g < 8; g++) bs32[8 * i + g] = (int16_t)(bs16[16 * i + 2 * g] + bs16[16 * i + 2 * g + 1]);
    }
}
#endif

void sy_qf_prepare(int format, long m, long k, const float *a, long lda, void *scratch) {
    int isa = sy_qf_isa();
    if (is_32_format(format)) {
        act32 s = act32_layout(scratch, m, k);
        long nb = k / SYQ_QK;
        for (long r = 0; r < m; r++) {
            int8_t *qs = s.qs + r * s.nb4 * SYQ_QK;
            float *d = s.d + r * s.nb4, *sa = s.sa + r * s.nb4;
            int32_t *sum = s.sum + r * s.nb4;
#if SYQ_X86
            if (isa >= SY_ISA_AVX2) { q8_32_row_avx2(a + r * lda, nb, s.nb4, qs, d, sum, sa); continue; }
#endif
            q8_32_row_portable(a + r * lda, nb, s.nb4, qs, d, sum, sa);
        }
    } else if (is_k_format(format)) {
        actK s = actK_layout(scratch, m, k);
        for (long r = 0; r < m; r++) {
            int8_t *qs = s.qs + r * k;
            float *d = s.d + r * s.nbk;
            int16_t *b16 = s.bs16 + r * (k / 16), *b32 = s.bs32 + r * (k / 32);
#if SYQ_X86
            if (isa >= SY_ISA_AVX2) { q8_K_row_avx2(a + r * lda, s.nbk, qs, d, b16, b32); continue; }
#endif
            q8_K_row_portable(a + r * lda, s.nbk, qs, d, b16, b32);
        }
    }
    (void)isa;
}

// MARK: - Output

static inline void store_out(float *c, float v, float beta) {
    if (beta == 0.0f) {
        *c = v;
    } else {
        float scaled = beta * *c;
        *c = v + scaled;
    }
}

// MARK: - Portable kernels

static void gemm32_portable(int fmt, long m, long k, act32 s, const uint8_t *w, size_t rowBytes, float *c, long ldc,
                            float beta, long j0, long j1) {
    const long nb = k / SYQ_QK;
    for (long j = j0; j < j1; j++) {
        const uint8_t *row = w + (size_t)j * rowBytes;
        for (long r = 0; r < m; r++) {
            const int8_t *aq = s.qs + r * s.nb4 * SYQ_QK;
            const float *ad = s.d + r * s.nb4, *asa = s.sa + r * s.nb4;
            const int32_t *asum = s.sum + r * s.nb4;
            float acc[4] = {0, 0, 0, 0};
            for (long b = 0; b < nb; b++) {
                const int8_t *a = aq + b * SYQ_QK;
                int isum = 0;
                float dw, mw = 0;
                if (fmt == SY_QF_Q8_0) {
                    const syq_block_q8_0 *x = (const syq_block_q8_0 *)row + b;
                    for (int l = 0; l < SYQ_QK; l++) isum += x->qs[l] * a[l];
                    dw = sy_f16_to_f32(x->d);
                } else if (fmt == SY_QF_Q4_0) {
                    const syq_block_q4_0 *x = (const syq_block_q4_0 *)row + b;
                    for (int l = 0; l < 16; l++) isum += (x->qs[l] & 15) * a[l] + (x->qs[l] >> 4) * a[l + 16];
                    isum -= 8 * asum[b];
                    dw = sy_f16_to_f32(x->d);
                } else {
                    const syq_block_q4_1 *x = (const syq_block_q4_1 *)row + b;
                    for (int l = 0; l < 16; l++) isum += (x->qs[l] & 15) * a[l] + (x->qs[l] >> 4) * a[l + 16];
                    dw = sy_f16_to_f32(x->d);
                    mw = sy_f16_to_f32(x->m);
                }
                float sc = dw * ad[b];
                float t = sc * (float)isum;
                acc[b & 3] = acc[b & 3] + t;
                if (fmt == SY_QF_Q4_1) {
                    float u = mw * asa[b];
                    acc[b & 3] = acc[b & 3] + u;
                }
            }
            float lo = acc[0] + acc[2], hi = acc[1] + acc[3];
            store_out(c + r * ldc + j, lo + hi, beta);
        }
    }
}

static void gemmK_portable(int fmt, long m, long k, actK s, const uint8_t *w, size_t rowBytes, float *c, long ldc,
                           float beta, long j0, long j1) {
    const long nbk = k / SYQ_QK_K;
    for (long j = j0; j < j1; j++) {
        const uint8_t *row = w + (size_t)j * rowBytes;
        for (long r = 0; r < m; r++) {
            float acc = 0.0f;
            for (long i = 0; i < nbk; i++) {
                const int8_t *a = s.qs + r * k + i * SYQ_QK_K;
                const int16_t *b16 = s.bs16 + r * (k / 16) + 16 * i, *b32 = s.bs32 + r * (k / 32) + 8 * i;
                const float da = s.d[r * nbk + i];
                int isum = 0, msum = 0;
                float d, dmin = 0;
                if (fmt == SY_QF_Q6_K) {
                    const syq_block_q6_K *x = (const syq_block_q6_K *)row + i;
                    for (int g = 0; g < 16; g++) {
                        int t = 0;
                        for (int l = 0; l < 16; l++) t += (syq_q6(x, 16 * g + l) + 32) * a[16 * g + l];
                        isum += x->scales[g] * (t - 32 * b16[g]);
                    }
                    d = sy_f16_to_f32(x->d);
                } else {
                    const uint8_t *scales, *qs, *qh = NULL;
                    uint16_t dh, dminh;
                    if (fmt == SY_QF_Q4_K) {
                        const syq_block_q4_K *x = (const syq_block_q4_K *)row + i;
                        scales = x->scales; qs = x->qs; dh = x->d; dminh = x->dmin;
                    } else {
                        const syq_block_q5_K *x = (const syq_block_q5_K *)row + i;
                        scales = x->scales; qs = x->qs; qh = x->qh; dh = x->d; dminh = x->dmin;
                    }
                    for (int sb = 0; sb < 8; sb++) {
                        uint8_t sc, mn;
                        syq_scale_min(sb, scales, &sc, &mn);
                        int t = 0;
                        for (int l = 0; l < 32; l++) {
                            int q = (qs[32 * (sb / 2) + l] >> (4 * (sb & 1))) & 15;
                            if (qh) q |= ((qh[l] >> sb) & 1) << 4;
                            t += q * a[32 * sb + l];
                        }
                        isum += sc * t;
                        msum += mn * b32[sb];
                    }
                    d = sy_f16_to_f32(dh);
                    dmin = sy_f16_to_f32(dminh);
                }
                float s1 = d * da;
                float t1 = s1 * (float)isum;
                acc = acc + t1;
                if (fmt != SY_QF_Q6_K) {
                    float s2 = dmin * da;
                    float t2 = s2 * (float)msum;
                    acc = acc - t2;
                }
            }
            store_out(c + r * ldc + j, acc, beta);
        }
    }
}

static inline float load_wf(int fmt, const void *row, long i) {
    return fmt == SY_QF_BF16 ? sy_bf16_to_f32(((const uint16_t *)row)[i]) : ((const float *)row)[i];
}

static void gemmF_portable(int fmt, long m, long k, const float *a, long lda, const uint8_t *w, size_t rowBytes,
                           float *c, long ldc, float beta, long j0, long j1) {
    for (long j = j0; j < j1; j++) {
        const uint8_t *row = w + (size_t)j * rowBytes;
        for (long r = 0; r < m; r++) {
            const float *x = a + r * lda;
            float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (long i = 0; i < k; i++) {
                float p = x[i] * load_wf(fmt, row, i);
                acc[i & 7] = acc[i & 7] + p;
            }
            float s04 = acc[0] + acc[4], s15 = acc[1] + acc[5], s26 = acc[2] + acc[6], s37 = acc[3] + acc[7];
            float e = s04 + s26, o = s15 + s37;
            store_out(c + r * ldc + j, e + o, beta);
        }
    }
}

// MARK: - AVX2 kernels

#if SYQ_X86

/// Per-block totals of four vectors of 8 int32: lane i = sum of v_i.
SYQ_AVX2_INLINE __m128i reduce4(__m256i v0, __m256i v1, __m256i v2, __m256i v3) {
    __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(v0, v1), _mm256_hadd_epi32(v2, v3));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

SYQ_AVX2_INLINE int hsum_i32(__m256i v) {
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return _mm_cvtsi128_si32(t);
}

/// (l0 + l2) + (l1 + l3).
SYQ_AVX2_INLINE float hsum4_ps(__m128 v) {
    __m128 t = _mm_add_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

/// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
SYQ_AVX2_INLINE float hsum8_ps(__m256 v) {
    return hsum4_ps(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
}

/// Four blocks of a 32-block weight row: values (q8_0 signed, q4 unsigned 0..15), |values| for
/// q8_0, scales and q4_1 mins. Blocks past `count` are zero.
typedef struct { __m256i q[4], aq[4]; __m128 d, m; } wgroup;

SYQ_AVX2_INLINE wgroup load_group(int fmt, const uint8_t *row, long b0, int count) {
    wgroup g;
    uint16_t dh[4] = {0, 0, 0, 0}, mh[4] = {0, 0, 0, 0};
    const __m256i low = _mm256_set1_epi8(15);
    for (int i = 0; i < 4; i++) {
        if (i >= count) {
            g.q[i] = _mm256_setzero_si256();
            g.aq[i] = g.q[i];
            continue;
        }
        if (fmt == SY_QF_Q8_0) {
            const syq_block_q8_0 *x = (const syq_block_q8_0 *)row + b0 + i;
            g.q[i] = _mm256_loadu_si256((const __m256i *)x->qs);
            g.aq[i] = _mm256_sign_epi8(g.q[i], g.q[i]);
            dh[i] = x->d;
        } else {
            const uint8_t *qs;
            if (fmt == SY_QF_Q4_0) {
                const syq_block_q4_0 *x = (const syq_block_q4_0 *)row + b0 + i;
                qs = x->qs; dh[i] = x->d;
            } else {
                const syq_block_q4_1 *x = (const syq_block_q4_1 *)row + b0 + i;
                qs = x->qs; dh[i] = x->d; mh[i] = x->m;
            }
            __m128i raw = _mm_loadu_si128((const __m128i *)qs);
            g.q[i] = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low);
            g.aq[i] = g.q[i];
        }
    }
    g.d = _mm_cvtph_ps(_mm_setr_epi16((short)dh[0], (short)dh[1], (short)dh[2], (short)dh[3], 0, 0, 0, 0));
    g.m = _mm_cvtph_ps(_mm_setr_epi16((short)mh[0], (short)mh[1], (short)mh[2], (short)mh[3], 0, 0, 0, 0));
    return g;
}

/// One group of 4 blocks for `R` activation rows against one weight row.
SYQ_AVX2_INLINE void group_rows(int fmt, int R, const wgroup *g, act32 s, long r0, long b0, __m128 *acc) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < R; r++) {
        const long row = r0 + r;
        const int8_t *a = s.qs + (row * s.nb4 + b0) * SYQ_QK;
        __m256i v[4];
        for (int i = 0; i < 4; i++) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(a + SYQ_QK * i));
            __m256i p = fmt == SY_QF_Q8_0 ? _mm256_maddubs_epi16(g->aq[i], _mm256_sign_epi8(x, g->q[i]))
                                          : _mm256_maddubs_epi16(g->q[i], x);
            v[i] = _mm256_madd_epi16(p, ones);
        }
        __m128i is = reduce4(v[0], v[1], v[2], v[3]);
        if (fmt == SY_QF_Q4_0) {
            is = _mm_sub_epi32(is, _mm_slli_epi32(_mm_loadu_si128((const __m128i *)(s.sum + row * s.nb4 + b0)), 3));
        }
        __m128 sc = _mm_mul_ps(g->d, _mm_loadu_ps(s.d + row * s.nb4 + b0));
        acc[r] = _mm_add_ps(acc[r], _mm_mul_ps(sc, _mm_cvtepi32_ps(is)));
        if (fmt == SY_QF_Q4_1) acc[r] = _mm_add_ps(acc[r], _mm_mul_ps(g->m, _mm_loadu_ps(s.sa + row * s.nb4 + b0)));
    }
}

SYQ_AVX2_INLINE void tile32(int fmt, int R, long nb, const uint8_t *row, act32 s, long r0, float *out) {
    __m128 acc[4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
    long b0 = 0;
    for (; b0 + 4 <= nb; b0 += 4) {
        wgroup g = load_group(fmt, row, b0, 4);
        group_rows(fmt, R, &g, s, r0, b0, acc);
    }
    if (b0 < nb) {
        wgroup g = load_group(fmt, row, b0, (int)(nb - b0));
        group_rows(fmt, R, &g, s, r0, b0, acc);
    }
    for (int r = 0; r < R; r++) out[r] = hsum4_ps(acc[r]);
}

#define SYQ_TILE32(F, NAME)                                                                               \
    SYQ_AVX2 static void NAME(long m, long k, act32 s, const uint8_t *w, size_t rowBytes, float *c, long ldc, \
                              float beta, long j0, long j1) {                                             \
        const long nb = k / SYQ_QK;                                                                       \
        float out[4];                                                                                     \
        for (long j = j0; j < j1; j++) {                                                                  \
            const uint8_t *row = w + (size_t)j * rowBytes;                                                \
            long r0 = 0;                                                                                  \
            for (; r0 + 4 <= m; r0 += 4) {                                                                \
                tile32(F, 4, nb, row, s, r0, out);                                                        \
                for (int r = 0; r < 4; r++) store_out(c + (r0 + r) * ldc + j, out[r], beta);              \
            }                                                                                             \
            int rest = (int)(m - r0);                                                                     \
            if (rest == 1) tile32(F, 1, nb, row, s, r0, out);                                             \
            else if (rest == 2) tile32(F, 2, nb, row, s, r0, out);                                        \
            else if (rest == 3) tile32(F, 3, nb, row, s, r0, out);                                        \
            for (int r = 0; r < rest; r++) store_out(c + (r0 + r) * ldc + j, out[r], beta);               \
        }                                                                                                 \
    }

SYQ_TILE32(SY_QF_Q8_0, gemm_q8_0_avx2)
SYQ_TILE32(SY_QF_Q4_0, gemm_q4_0_avx2)
SYQ_TILE32(SY_QF_Q4_1, gemm_q4_1_avx2)

/// One superblock of a K-quant weight row for `R` activation rows: adds to acc[r].
SYQ_AVX2_INLINE void superblock_rows(int fmt, int R, const uint8_t *row, long i, actK s, long k, long r0, float *acc) {
    const __m256i low = _mm256_set1_epi8(15);
    __m256i sumi[4];
    for (int r = 0; r < R; r++) sumi[r] = _mm256_setzero_si256();
    float d, dmin = 0;
    __m128i mins = _mm_setzero_si128();
    const long nbk = s.nbk;
    if (fmt == SY_QF_Q6_K) {
        const syq_block_q6_K *x = (const syq_block_q6_K *)row + i;
        const __m256i three = _mm256_set1_epi8(3);
        for (int h = 0; h < 2; h++) {
            __m256i qla = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h));
            __m256i qlb = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h + 32));
            __m256i qhv = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * h));
            __m256i q[4], sc[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(qla, low), _mm256_slli_epi16(_mm256_and_si256(qhv, three), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(qlb, low),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qhv, 2), three), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qla, 4), low),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qhv, 4), three), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qlb, 4), low),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qhv, 6), three), 4));
            for (int g = 0; g < 4; g++) {
                const int8_t *scl = x->scales + 8 * h + 2 * g;
                sc[g] = _mm256_set_m128i(_mm_set1_epi16(scl[1]), _mm_set1_epi16(scl[0]));
            }
            for (int r = 0; r < R; r++) {
                const int8_t *a = s.qs + (r0 + r) * k + i * SYQ_QK_K + 128 * h;
                for (int g = 0; g < 4; g++) {
                    __m256i av = _mm256_loadu_si256((const __m256i *)(a + 32 * g));
                    sumi[r] = _mm256_add_epi32(sumi[r], _mm256_madd_epi16(_mm256_maddubs_epi16(q[g], av), sc[g]));
                }
            }
        }
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
        for (int r = 0; r < R; r++) {
            const int16_t *b16 = s.bs16 + (r0 + r) * (k / 16) + 16 * i;
            __m256i corr = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *)b16));
            sumi[r] = _mm256_sub_epi32(sumi[r], _mm256_slli_epi32(corr, 5));
        }
        d = _cvtsh_ss(x->d);
    } else {
        const uint8_t *scales, *qs, *qhp = NULL;
        uint16_t dh, dminh;
        if (fmt == SY_QF_Q4_K) {
            const syq_block_q4_K *x = (const syq_block_q4_K *)row + i;
            scales = x->scales; qs = x->qs; dh = x->d; dminh = x->dmin;
        } else {
            const syq_block_q5_K *x = (const syq_block_q5_K *)row + i;
            scales = x->scales; qs = x->qs; qhp = x->qh; dh = x->d; dminh = x->dmin;
        }
        uint8_t sc[8], mn[8];
        for (int sb = 0; sb < 8; sb++) syq_scale_min(sb, scales, &sc[sb], &mn[sb]);
        mins = _mm_setr_epi16(mn[0], mn[1], mn[2], mn[3], mn[4], mn[5], mn[6], mn[7]);
        __m256i qh = fmt == SY_QF_Q5_K ? _mm256_loadu_si256((const __m256i *)qhp) : _mm256_setzero_si256();
        const __m256i one = _mm256_set1_epi8(1);
        for (int c = 0; c < 4; c++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m256i qlo = _mm256_and_si256(raw, low), qhi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
            if (fmt == SY_QF_Q5_K) {
                qlo = _mm256_or_si256(qlo, _mm256_slli_epi16(_mm256_and_si256(qh, one), 4));
                qhi = _mm256_or_si256(qhi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), one), 4));
                qh = _mm256_srli_epi16(qh, 2);
            }
            const __m256i slo = _mm256_set1_epi16(sc[2 * c]), shi = _mm256_set1_epi16(sc[2 * c + 1]);
            for (int r = 0; r < R; r++) {
                const int8_t *a = s.qs + (r0 + r) * k + i * SYQ_QK_K + 64 * c;
                __m256i plo = _mm256_madd_epi16(_mm256_maddubs_epi16(qlo, _mm256_loadu_si256((const __m256i *)a)), slo);
                __m256i phi =
                    _mm256_madd_epi16(_mm256_maddubs_epi16(qhi, _mm256_loadu_si256((const __m256i *)(a + 32))), shi);
                sumi[r] = _mm256_add_epi32(sumi[r], _mm256_add_epi32(plo, phi));
            }
        }
        d = _cvtsh_ss(dh);
        dmin = _cvtsh_ss(dminh);
    }
    for (int r = 0; r < R; r++) {
        const float da = s.d[(r0 + r) * nbk + i];
        const int isum = hsum_i32(sumi[r]);
        float s1 = d * da;
        float t1 = s1 * (float)isum;
        acc[r] = acc[r] + t1;
        if (fmt != SY_QF_Q6_K) {
            __m128i p = _mm_madd_epi16(mins, _mm_loadu_si128((const __m128i *)(s.bs32 + (r0 + r) * (k / 32) + 8 * i)));
            p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 0x4e));
            p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 0xb1));
            const int msum = _mm_cvtsi128_si32(p);
            float s2 = dmin * da;
            float t2 = s2 * (float)msum;
            acc[r] = acc[r] - t2;
        }
    }
}

SYQ_AVX2_INLINE void tileK(int fmt, int R, long k, const uint8_t *row, actK s, long r0, float *out) {
    float acc[4] = {0, 0, 0, 0};
    for (long i = 0; i < s.nbk; i++) superblock_rows(fmt, R, row, i, s, k, r0, acc);
    for (int r = 0; r < R; r++) out[r] = acc[r];
}

#define SYQ_TILEK(F, NAME)                                                                                \
    SYQ_AVX2 static void NAME(long m, long k, actK s, const uint8_t *w, size_t rowBytes, float *c, long ldc,  \
                              float beta, long j0, long j1) {                                             \
        float out[4];                                                                                     \
        for (long j = j0; j < j1; j++) {                                                                  \
            const uint8_t *row = w + (size_t)j * rowBytes;                                                \
            long r0 = 0;                                                                                  \
            for (; r0 + 4 <= m; r0 += 4) {                                                                \
                tileK(F, 4, k, row, s, r0, out);                                                          \
                for (int r = 0; r < 4; r++) store_out(c + (r0 + r) * ldc + j, out[r], beta);              \
            }                                                                                             \
            int rest = (int)(m - r0);                                                                     \
            if (rest == 1) tileK(F, 1, k, row, s, r0, out);                                               \
            else if (rest == 2) tileK(F, 2, k, row, s, r0, out);                                          \
            else if (rest == 3) tileK(F, 3, k, row, s, r0, out);                                          \
            for (int r = 0; r < rest; r++) store_out(c + (r0 + r) * ldc + j, out[r], beta);               \
        }                                                                                                 \
    }

SYQ_TILEK(SY_QF_Q4_K, gemm_q4_K_avx2)
SYQ_TILEK(SY_QF_Q5_K, gemm_q5_K_avx2)
SYQ_TILEK(SY_QF_Q6_K, gemm_q6_K_avx2)

/// Eight weights from k index `i` of a row as floats; past `k` zero.
SYQ_AVX2_INLINE __m256 load_w8(int fmt, const uint8_t *row, long i, long k) {
    if (i + 8 <= k) {
        if (fmt == SY_QF_BF16) {
            __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)row + i));
            return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
        }
        return _mm256_loadu_ps((const float *)row + i);
    }
    float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long l = i; l < k; l++) t[l - i] = load_wf(fmt, row, l);
    return _mm256_loadu_ps(t);
}

SYQ_AVX2_INLINE __m256 load_a8(const float *a, long i, long k) {
    if (i + 8 <= k) return _mm256_loadu_ps(a + i);
    float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long l = i; l < k; l++) t[l - i] = a[l];
    return _mm256_loadu_ps(t);
}

/// R activation rows x C weight rows; one 8-lane accumulator per output, fused multiply-adds in k order.
SYQ_AVX2_INLINE void tileF(int fmt, int R, int C, long k, const float *a, long lda, long r0, const uint8_t *w,
                            size_t rowBytes, long j, float *c, long ldc, float beta) {
    __m256 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < C; q++) acc[r][q] = _mm256_setzero_ps();
    for (long i = 0; i < k; i += 8) {
        __m256 wv[4];
        for (int q = 0; q < C; q++) wv[q] = load_w8(fmt, w + (size_t)(j + q) * rowBytes, i, k);
        for (int r = 0; r < R; r++) {
            __m256 av = load_a8(a + (r0 + r) * lda, i, k);
            for (int q = 0; q < C; q++) acc[r][q] = _mm256_fmadd_ps(av, wv[q], acc[r][q]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int q = 0; q < C; q++) store_out(c + (r0 + r) * ldc + j + q, hsum8_ps(acc[r][q]), beta);
}

#define SYQ_TILEF(F, NAME)                                                                                \
    SYQ_AVX2 static void NAME(long m, long k, const float *a, long lda, const uint8_t *w, size_t rowBytes,  \
                              float *c, long ldc, float beta, long j0, long j1) {                         \
        if (m == 1) { /* decode: four weight rows at a time for more independent accumulators */          \
            long j = j0;                                                                                  \
            for (; j + 4 <= j1; j += 4) tileF(F, 1, 4, k, a, lda, 0, w, rowBytes, j, c, ldc, beta);       \
            for (; j < j1; j++) tileF(F, 1, 1, k, a, lda, 0, w, rowBytes, j, c, ldc, beta);               \
            return;                                                                                       \
        }                                                                                                 \
        long j = j0;                                                                                      \
        for (; j < j1; j += 2) {                                                                          \
            const int C = j + 2 <= j1 ? 2 : 1;                                                            \
            long r0 = 0;                                                                                  \
            if (C == 2) {                                                                                 \
                for (; r0 + 4 <= m; r0 += 4) tileF(F, 4, 2, k, a, lda, r0, w, rowBytes, j, c, ldc, beta);  \
                for (; r0 < m; r0++) tileF(F, 1, 2, k, a, lda, r0, w, rowBytes, j, c, ldc, beta);          \
            } else {                                                                                      \
                for (; r0 + 4 <= m; r0 += 4) tileF(F, 4, 1, k, a, lda, r0, w, rowBytes, j, c, ldc, beta);  \
                for (; r0 < m; r0++) tileF(F, 1, 1, k, a, lda, r0, w, rowBytes, j, c, ldc, beta);          \
            }                                                                                             \
        }                                                                                                 \
    }

SYQ_TILEF(SY_QF_BF16, gemm_bf16_avx2)
SYQ_TILEF(SY_QF_F32, gemm_f32_avx2)

#endif

// MARK: - Dispatch

void sy_qf_gemm(int format, long m, long n, long k, const float *a, long lda, const void *scratch, const void *w,
                float *c, long ldc, float beta, long j0, long j1) {
    (void)n;
    if (m <= 0 || j0 >= j1) return;
    const size_t rowBytes = sy_qf_row_bytes(format, k);
    const uint8_t *wb = w;
    const int isa = sy_qf_isa();
    if (is_32_format(format)) {
        act32 s = act32_layout((void *)scratch, m, k);
#if SYQ_X86
        if (isa >= SY_ISA_AVX2) {
            if (format == SY_QF_Q8_0) gemm_q8_0_avx2(m, k, s, wb, rowBytes, c, ldc, beta, j0, j1);
            else if (format == SY_QF_Q4_0) gemm_q4_0_avx2(m, k, s, wb, rowBytes, c, ldc, beta, j0, j1);
            else gemm_q4_1_avx2(m, k, s, wb, rowBytes, c, ldc, beta, j0, j1);
            return;
        }
#endif
        gemm32_portable(format, m, k, s, wb, rowBytes, c, ldc, beta, j0, j1);
    } else if (is_k_format(format)) {
        actK s = actK_layout((void *)scratch, m, k);
#if SYQ_X86
        if (isa >= SY_ISA_AVX2) {
            if (format == SY_QF_Q4_K) gemm_q4_K_avx2(m, k, s, wb, rowBytes, c, ldc, beta, j0, j1);
            else if (format == SY_QF_Q5_K) gemm_q5_K_avx2(m, k, s, wb, rowBytes, c, ldc, beta, j0, j1);
            else gemm_q6_K_avx2(m, k, s, wb, rowBytes, c, ldc, beta, j0, j1);
            return;
        }
#endif
        gemmK_portable(format, m, k, s, wb, rowBytes, c, ldc, beta, j0, j1);
    } else if (format == SY_QF_F32 || format == SY_QF_BF16) {
#if SYQ_X86
        if (isa >= SY_ISA_AVX2) {
            if (format == SY_QF_BF16) gemm_bf16_avx2(m, k, a, lda, wb, rowBytes, c, ldc, beta, j0, j1);
            else gemm_f32_avx2(m, k, a, lda, wb, rowBytes, c, ldc, beta, j0, j1);
            return;
        }
#endif
        gemmF_portable(format, m, k, a, lda, wb, rowBytes, c, ldc, beta, j0, j1);
    }
    (void)isa;
}
