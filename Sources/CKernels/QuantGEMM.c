// C = A · Wᵀ on block-format weights: activation quantization, portable and AVX2 kernels, and the
// run-time choice between them. See SYQuant.h.
//
// How every output is computed (the same on every path, whatever m or the thread split):
//
// * q8_0 / q4_0 / q4_1 / mxfp4 (blocks of 32): the activations are quantized to int8 per block of 32
//   (scale amax / 127 kept as a float, values rounded to nearest even). For each block b the
//   integer dot product of weight and activation values is exact; then, in float,
//   `acc[b % 4] += (dw_b * da_b) * isum_b` (q4_1 also `acc[b % 4] += mw_b * (da_b * asum_b)`), and
//   the result is `(acc[0] + acc[2]) + (acc[1] + acc[3])`. mxfp4's integer weights are its doubled
//   E2M1 values (|w| <= 12) and `dw` is the halved E8M0 scale, so its products are exact too. The AVX2 kernel keeps acc as one
//   4-lane vector, one lane per block of a group of 4, so it rounds exactly as the portable loop.
// * q4_K / q5_K / q6_K: activations become q8_K (int8 per 256, float scale as ggml's
//   quantize_row_q8_K_ref, sums per 16 and per 32). Per superblock the integer sums (values
//   times six-bit scales, and mins times activation sums) are exact, then in float
//   `acc += (d * da) * isum` and `acc -= (dmin * da) * msum`.
// * f32 / bf16: eight partial sums, lane l taking k = l mod 8, combined as
//   `((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))`; the AVX2 path uses fused multiply-adds
//   and the portable one separate multiply and add, so these two formats differ across paths in
//   rounding only. bf16 on the avx512 path rounds the activations to bf16 and sums 16 lanes, lane
//   l taking k = 2l, 2l + 1 (mod 32), with `vdpbf16ps`, folded in halves down to the 8-lane sum.
// * avx512 runs the 32-block kernels of QuantGEMM32.h with `vpdpbusd` for avx2's
//   `maddubs` + `madd`: the same exact integer sums, so the same bits.
//
// Integer products never saturate `maddubs`: weights are unsigned (at most 63) against int8
// activations in [-127, 127], or for q8_0 |w| against sign-adjusted activations (127 * 127 * 2).
#include "SYQuant.h"
#include "QuantInternal.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>
#define SYQ_X86 1
#define SYQ_AVX2 __attribute__((target("avx2,fma,f16c")))
#define SYQ_AVX2_INLINE __attribute__((target("avx2,fma,f16c"), always_inline)) static inline
/// Unrolls the loop that follows completely (its indices become constants: shuffle masks, offsets).
#define SYQ_UNROLL _Pragma("clang loop unroll(full)")
/// The avx512 path: AVX-512 F/BW/VL with VNNI (`vpdpbusd`) and BF16 (`vdpbf16ps`), as Zen 4/5 and
/// Intel since Cooper Lake / Sapphire Rapids have them.
#define SYQ_AVX512_FEATURES "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,avx512bf16"
#define SYQ_AVX512 __attribute__((target(SYQ_AVX512_FEATURES)))
#define SYQ_AVX512_INLINE __attribute__((target(SYQ_AVX512_FEATURES), always_inline)) static inline
#else
#define SYQ_X86 0
#endif

// MARK: - Run-time path choice

static int g_isa = -1;

int sy_qf_isa_supported(void) {
#if SYQ_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c")) {
        return SY_ISA_AVX512;
    }
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

int sy_qf_bf16_dot(void) {
    static int enabled = -1;
    if (enabled < 0) {
        const char *env = getenv("SWITCHYARD_BF16_DOT");
        enabled = !(env && strcmp(env, "0") == 0);
    }
    return enabled && sy_qf_isa() >= SY_ISA_AVX512;
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
static inline int is_32_format(int f) {
    return f == SY_QF_Q8_0 || f == SY_QF_Q4_0 || f == SY_QF_Q4_1 || f == SY_QF_MXFP4;
}
/// bf16 activations on the avx512 path: each row rounded to bf16 and zero-padded to a multiple of 32.
static inline long bf16_stride(long k) { return (k + 31) & ~31L; }

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
    if (format == SY_QF_BF16 && sy_qf_bf16_dot()) return round64((size_t)(m * bf16_stride(k)) * 2);
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
/// One activation row to bf16 (round to nearest even, as `vcvtne2ps2bf16` does), zero-padded to
/// `bf16_stride(k)` values.
SYQ_AVX512 static void bf16_row_avx512(const float *x, long k, uint16_t *dst) {
    const long kp = bf16_stride(k);
    for (long i = 0; i < kp; i += 32) {
        const long left = k - i;
        const __mmask16 lo = left >= 16 ? 0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
        const __mmask16 hi = left >= 32 ? 0xFFFF : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
        __m512 a = _mm512_maskz_loadu_ps(lo, x + i), b = _mm512_maskz_loadu_ps(hi, x + i + 16);
        _mm512_storeu_si512((void *)(dst + i), (__m512i)_mm512_cvtne2ps_pbh(b, a));
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
#if SYQ_X86
    else if (format == SY_QF_BF16 && sy_qf_bf16_dot()) {
        for (long r = 0; r < m; r++) bf16_row_avx512(a + r * lda, k, (uint16_t *)scratch + r * bf16_stride(k));
    }
#endif
    (void)isa;
}

// MARK: - Output

/// How far ahead of the weight row being multiplied the x86 K-quant kernels (q4_K, q5_K, q6_K) ask
/// for weights (`prefetch_ahead`): their rows take long enough to compute that the hardware
/// prefetchers alone fall behind. Two cores each multiplying one activation row by weights larger
/// than the caches ([4096, 1024] and [1024, 2048], Zen 4 EPYC) read q4_K at 28-30 → 32-33 GB/s with
/// it, q5_K 27-30 → 34, q6_K 33 → 39 ([4096, 1024]) and 33 → 32 ([1024, 2048]); 2 KB and 8 KB ahead
/// did no better than 4 KB. `perf` batch-1 decode of the bench q4_K_M GGUF: 1.05x over 8 alternated
/// rounds, batch 64 1.03x. The 32-weight block formats (q8_0: 0.89-0.97x in the same engine runs)
/// and bf16 (as fast without) do without.
#define SYQ_PREFETCH_BYTES 4096

#if SYQ_X86
/// Asks the cache for the `rowBytes` that start `SYQ_PREFETCH_BYTES` past `row`, when they are still
/// before `end` (the end of the rows this call multiplies): a hint, which changes no result.
static inline void prefetch_ahead(const uint8_t *row, size_t rowBytes, const uint8_t *end) {
    if ((size_t)(end - row) < SYQ_PREFETCH_BYTES + rowBytes) return;  // (no pointer past `end` is formed)
    const uint8_t *ahead = row + SYQ_PREFETCH_BYTES;
    for (size_t offset = 0; offset < rowBytes; offset += 64) _mm_prefetch((const char *)(ahead + offset), _MM_HINT_T0);
}
#endif

static inline void store_out(float *c, float v, float beta) {
    if (beta == 0.0f) {
        *c = v;
    } else {
        float scaled = beta * *c;
        *c = v + scaled;
    }
}

// MARK: - Portable kernels

/// `grouped`: the first rows interleaved by eight, 0 for a plain weight (see `SY_QF_ROWS8`).
static void gemm32_portable(int fmt, long m, long k, act32 s, const uint8_t *w, size_t rowBytes, long grouped, float *c,
                            long ldc, float beta, long j0, long j1) {
    const long nb = k / SYQ_QK;
    for (long j = j0; j < j1; j++) {
        const uint8_t *row = w + (size_t)j * rowBytes;
        long bstride = 1;
        if (j < grouped) {
            row = w + (size_t)(j & ~7L) * rowBytes + (size_t)(j & 7) * (size_t)sy_qf_block_bytes(fmt);
            bstride = 8;
        }
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
                    const syq_block_q8_0 *x = (const syq_block_q8_0 *)row + b * bstride;
                    for (int l = 0; l < SYQ_QK; l++) isum += x->qs[l] * a[l];
                    dw = sy_f16_to_f32(x->d);
                } else if (fmt == SY_QF_Q4_0) {
                    const syq_block_q4_0 *x = (const syq_block_q4_0 *)row + b * bstride;
                    for (int l = 0; l < 16; l++) isum += (x->qs[l] & 15) * a[l] + (x->qs[l] >> 4) * a[l + 16];
                    isum -= 8 * asum[b];
                    dw = sy_f16_to_f32(x->d);
                } else if (fmt == SY_QF_MXFP4) {
                    const syq_block_mxfp4 *x = (const syq_block_mxfp4 *)row + b * bstride;
                    for (int l = 0; l < 16; l++) {
                        isum += syq_mxfp4_values[x->qs[l] & 15] * a[l] + syq_mxfp4_values[x->qs[l] >> 4] * a[l + 16];
                    }
                    dw = syq_e8m0_half(x->e);
                } else {
                    const syq_block_q4_1 *x = (const syq_block_q4_1 *)row + b * bstride;
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

static void gemmK_portable(int fmt, long m, long n, long k, actK s, const uint8_t *w, size_t rowBytes, int rows8,
                           float *c, long ldc, float beta, long j0, long j1) {
    const long nbk = k / SYQ_QK_K;
    const int kformat = rows8 ? fmt | SY_QF_ROWS8 : fmt;
    for (long j = j0; j < j1; j++) {
        const uint8_t *row = sy_qf_block_address(kformat, w, n, k, j, 0);
        const long bstride = rows8 && j < (n & ~7L) ? 8 : 1;  // blocks between a row's superblocks
        for (long r = 0; r < m; r++) {
            float acc = 0.0f;
            for (long i = 0; i < nbk; i++) {
                const int8_t *a = s.qs + r * k + i * SYQ_QK_K;
                const int16_t *b16 = s.bs16 + r * (k / 16) + 16 * i, *b32 = s.bs32 + r * (k / 32) + 8 * i;
                const float da = s.d[r * nbk + i];
                int isum = 0, msum = 0;
                float d, dmin = 0;
                if (fmt == SY_QF_Q6_K) {
                    const syq_block_q6_K *x = (const syq_block_q6_K *)row + i * bstride;
                    for (int g = 0; g < 16; g++) {
                        int t = 0;
                        for (int l = 0; l < 16; l++) t += (syq_q6(x, 16 * g + l) + 32) * a[16 * g + l];
                        isum += x->scales[g] * (t - 32 * b16[g]);
                    }
                    d = sy_f16_to_f32(x->d);
                } else {
                    const syq_kblock blk = syq_kblock_at(fmt, row, i * bstride);
                    const uint8_t *scales = blk.scales, *qs = blk.qs, *qh = blk.qh;
                    const uint16_t dh = blk.d, dminh = blk.dmin;
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

/// Where value 0 of row `j` of an f32 / bf16 weight is: in its group's first unit when the row is
/// interleaved by eight (`inter`: bf16 rows before the weight's last whole group, units of 32 values,
/// see `SY_QF_ROWS8`), else at the row's plain place.
static inline const uint8_t *wf_row(int fmt, const uint8_t *w, size_t rowBytes, int inter, long j) {
    const size_t eb = fmt == SY_QF_BF16 ? 2 : 4;
    if (inter) return w + (size_t)(j & ~7L) * rowBytes + (size_t)(j & 7) * 32 * eb;
    return w + (size_t)j * rowBytes;
}

/// Bytes from a row's value 0 to its value `i`: inside a unit the row's values follow each other,
/// and an interleaved row's next unit is eight units on.
static inline size_t wf_offset(int fmt, int inter, long i) {
    const size_t eb = fmt == SY_QF_BF16 ? 2 : 4;
    return inter ? ((size_t)(i >> 5) * 8 * 32 + (size_t)(i & 31)) * eb : (size_t)i * eb;
}

static void gemmF_portable(int fmt, long m, long k, const float *a, long lda, const uint8_t *w, size_t rowBytes, long grouped,
                           float *c, long ldc, float beta, long j0, long j1) {
    for (long j = j0; j < j1; j++) {
        const int inter = j < grouped;
        const uint8_t *row = wf_row(fmt, w, rowBytes, inter, j);
        for (long r = 0; r < m; r++) {
            const float *x = a + r * lda;
            float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (long i = 0; i < k; i++) {
                float p = x[i] * load_wf(fmt, row + wf_offset(fmt, inter, i), 0);
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

/// AVX2: `maddubs` sums pairs into int16 (never saturating here, see the top), `madd` pairs of those.
#define SYQ_K_INLINE SYQ_AVX2_INLINE
#define SYQ_K_FUNCTION SYQ_AVX2
#define SYQ_K_NAME(x) x##_avx2
#define SYQ_K_DOT_U8S8(u, s) _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)), _mm256_set1_epi16(1))
#define SYQ_K_ROWS 8
#define SYQ_K_ZMM 0
#include "QuantGEMM32.h"
#include "QuantGEMMK.h"
#undef SYQ_K_ROWS
#undef SYQ_K_ZMM
#undef SYQ_K_INLINE
#undef SYQ_K_FUNCTION
#undef SYQ_K_NAME
#undef SYQ_K_DOT_U8S8

/// AVX-512 VNNI (its 256-bit form): one `vpdpbusd` sums four products straight into int32.
#define SYQ_K_INLINE SYQ_AVX512_INLINE
#define SYQ_K_FUNCTION SYQ_AVX512
#define SYQ_K_NAME(x) x##_avx512
#define SYQ_K_DOT_U8S8(u, s) _mm256_dpbusd_epi32(_mm256_setzero_si256(), (u), (s))
#define SYQ_K_ROWS 8
#define SYQ_K_ZMM 1
#include "QuantGEMM32.h"
#include "QuantGEMMK.h"
#undef SYQ_K_ROWS
#undef SYQ_K_ZMM
#undef SYQ_K_INLINE
#undef SYQ_K_FUNCTION
#undef SYQ_K_NAME
#undef SYQ_K_DOT_U8S8


/// Eight weights as floats from `p` (a row's value `i`, see `wf_offset`); past `k` zero. Eight values
/// at a multiple of 8 never cross an interleaved unit.
SYQ_AVX2_INLINE __m256 load_w8(int fmt, const uint8_t *p, long i, long k) {
    if (i + 8 <= k) {
        if (fmt == SY_QF_BF16) {
            __m128i h = _mm_loadu_si128((const __m128i *)p);
            return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
        }
        return _mm256_loadu_ps((const float *)p);
    }
    float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long l = i; l < k; l++) t[l - i] = load_wf(fmt, p, l - i);
    return _mm256_loadu_ps(t);
}

SYQ_AVX2_INLINE __m256 load_a8(const float *a, long i, long k) {
    if (i + 8 <= k) return _mm256_loadu_ps(a + i);
    float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long l = i; l < k; l++) t[l - i] = a[l];
    return _mm256_loadu_ps(t);
}

/// Eight whole weights as floats from `p` (bf16 widened, or f32).
SYQ_AVX2_INLINE __m256 load_w8_full(int fmt, const uint8_t *p) {
    if (fmt == SY_QF_BF16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
    return _mm256_loadu_ps((const float *)p);
}

/// One step of `tileF`: values `i ..< i + 8`, the weights `offset` bytes into each row.
SYQ_AVX2_INLINE void tileF_step(int fmt, int R, int C, const uint8_t *const *rows, size_t offset, const float *const *ar, long i,
                                 __m256 acc[4][2]) {
    __m256 wv[2];
    for (int q = 0; q < C; q++) wv[q] = load_w8_full(fmt, rows[q] + offset);
    for (int r = 0; r < R; r++) {
        const __m256 av = _mm256_loadu_ps(ar[r] + i);
        for (int q = 0; q < C; q++) acc[r][q] = _mm256_fmadd_ps(av, wv[q], acc[r][q]);
    }
}

/// R (1-4) activation rows x C (1-2) weight rows; one 8-lane accumulator per output, fused
/// multiply-adds in k order. `inter` (a constant at each call, so each form compiles to its own
/// loop): rows `j ..< j + C` are all in interleaved groups (1) or all plain (0); see `wf_row`. An
/// interleaved row goes unit by unit (32 values, four steps at fixed offsets, then eight units on),
/// a plain one step by step; a last partial step (plain rows only) reads zeros past `k`.
SYQ_AVX2_INLINE void tileF(int fmt, int R, int C, long k, const float *a, long lda, long r0, const uint8_t *w,
                            size_t rowBytes, int inter, long j, float *c, long ldc, float beta) {
    __m256 acc[4][2];
    const uint8_t *rows[2];
    const float *ar[4];
    const size_t eb = fmt == SY_QF_BF16 ? 2 : 4;
    for (int q = 0; q < C; q++) rows[q] = wf_row(fmt, w, rowBytes, inter, j + q);
    for (int r = 0; r < R; r++) {
        ar[r] = a + (r0 + r) * lda;
        for (int q = 0; q < C; q++) acc[r][q] = _mm256_setzero_ps();
    }
    long i = 0;
    if (inter) {
        for (; i + 32 <= k; i += 32) {
            const size_t unit = (size_t)(i >> 5) * 8 * 32 * eb;
            SYQ_UNROLL for (int t = 0; t < 4; t++) tileF_step(fmt, R, C, rows, unit + (size_t)(8 * t) * eb, ar, i + 8 * t, acc);
        }
    } else {
        for (; i + 16 <= k; i += 16) {
            tileF_step(fmt, R, C, rows, (size_t)i * eb, ar, i, acc);
            tileF_step(fmt, R, C, rows, (size_t)(i + 8) * eb, ar, i + 8, acc);
        }
        if (i + 8 <= k) {
            tileF_step(fmt, R, C, rows, (size_t)i * eb, ar, i, acc);
            i += 8;
        }
    }
    if (i < k) {
        __m256 wv[2];
        const size_t offset = wf_offset(fmt, inter, i);
        for (int q = 0; q < C; q++) wv[q] = load_w8(fmt, rows[q] + offset, i, k);
        for (int r = 0; r < R; r++) {
            const __m256 av = load_a8(ar[r], i, k);
            for (int q = 0; q < C; q++) acc[r][q] = _mm256_fmadd_ps(av, wv[q], acc[r][q]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int q = 0; q < C; q++) store_out(c + (r0 + r) * ldc + j + q, hsum8_ps(acc[r][q]), beta);
}

/// Decode's product on a bf16 weight interleaved by eight (`SY_QF_ROWS8`): activation row `a`
/// against the group of eight rows at `group`, `c[0..7]` written. Per unit of 32 values the eight
/// rows' 64 bytes follow each other, so the rows are read as one stream with eight independent
/// sums; each row's sum is `tileF(1, 1, ...)`'s (one 8-lane accumulator, fused multiply-adds in k
/// order), bit for bit. A row at a time is one chain of dependent multiply-adds, which on a Zen 3
/// EPYC (AVX2 only) read 10-11 GB/s per core against 14-17 this way (`scripts/block-kernel-bench.sh`,
/// bench shapes past the caches; two cores 21 against 28-30, the memory's limit).
SYQ_AVX2_INLINE void rows8F(long k, const float *a, const uint8_t *group, float *c, float beta) {
    __m256 acc[8];
    for (int q = 0; q < 8; q++) acc[q] = _mm256_setzero_ps();
    for (long i = 0; i < k; i += 32) {
        const uint8_t *unit = group + (size_t)(i >> 5) * 8 * 64;
        const __m256 a0 = _mm256_loadu_ps(a + i), a1 = _mm256_loadu_ps(a + i + 8), a2 = _mm256_loadu_ps(a + i + 16),
                     a3 = _mm256_loadu_ps(a + i + 24);
        for (int q = 0; q < 8; q++) {
            const uint8_t *p = unit + q * 64;
            acc[q] = _mm256_fmadd_ps(a0, load_w8(SY_QF_BF16, p, 0, 8), acc[q]);
            acc[q] = _mm256_fmadd_ps(a1, load_w8(SY_QF_BF16, p + 16, 0, 8), acc[q]);
            acc[q] = _mm256_fmadd_ps(a2, load_w8(SY_QF_BF16, p + 32, 0, 8), acc[q]);
            acc[q] = _mm256_fmadd_ps(a3, load_w8(SY_QF_BF16, p + 48, 0, 8), acc[q]);
        }
    }
    for (int q = 0; q < 8; q++) store_out(c + q, hsum8_ps(acc[q]), beta);
}

/// Two or three activation rows (`R`) against half `half` of a bf16 group interleaved by eight (its
/// rows 4 half ..< 4 half + 4): per unit, the four rows' 256 bytes follow each other, each weight
/// vector is converted once for the `R` rows, and the 4 R sums are independent. Each output's sum is
/// `tileF`'s (one 8-lane accumulator, fused multiply-adds in k order), bit for bit. Each unit asks
/// for the same four rows' bytes `SYQ_PREFETCH_BYTES` on (while before `end`): a half-group pass is
/// a pattern the hardware prefetchers do not follow. bf16 [4096, 1024] past the caches, one core,
/// Zen 3 (`scripts/block-kernel-bench/stream.c`): m = 2 read 11.6-13.5 GB/s, m = 3 10-11, against
/// 9-9.4 and 7.5-8 for `tileF(R, 1, ...)` row by row on the same layout and 10-11, 9.5-9.9 for plain
/// rows; asking for the whole next group at once instead made it slower (8-8.5, 7.1-7.2).
SYQ_AVX2_INLINE void rows4F(int R, long k, const float *a, long lda, const uint8_t *group, int half, float *c, long ldc,
                            float beta, const uint8_t *end) {
    __m256 acc[3][4];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < 4; q++) acc[r][q] = _mm256_setzero_ps();
    for (long i = 0; i < k; i += 32) {
        const uint8_t *unit = group + (size_t)(i >> 5) * 8 * 64 + (size_t)half * 4 * 64;
        if ((size_t)(end - unit) >= SYQ_PREFETCH_BYTES + 4 * 64) {  // (no pointer past `end` is formed)
            for (int q = 0; q < 4; q++) _mm_prefetch((const char *)(unit + SYQ_PREFETCH_BYTES + q * 64), _MM_HINT_T0);
        }
        for (int t = 0; t < 4; t++) {
            __m256 av[3];
            for (int r = 0; r < R; r++) av[r] = _mm256_loadu_ps(a + r * lda + i + 8 * t);
            for (int q = 0; q < 4; q++) {
                const __m256 wv = load_w8(SY_QF_BF16, unit + q * 64 + 16 * t, 0, 8);
                for (int r = 0; r < R; r++) acc[r][q] = _mm256_fmadd_ps(av[r], wv, acc[r][q]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int q = 0; q < 4; q++) store_out(c + r * ldc + 4 * half + q, hsum8_ps(acc[r][q]), beta);
}

/// Asks the cache for the bytes of rows `j ..< j + count` of the next group of an interleaved weight
/// (rows `j + 8 ...`'s plain-layout place, part of that group's stream), when before `end`. A product
/// of two or more activation rows reads a row's units 512 bytes apart, a pattern the hardware
/// prefetchers do not follow: bf16 [4096, 1024] at 16 rows read 0.72 GB/s without this against
/// 1.30 for plain rows (`scripts/block-kernel-bench/stream.c`, Zen 3, one core).
SYQ_AVX2_INLINE void prefetch_next_group(const uint8_t *w, size_t rowBytes, long j, int count, const uint8_t *end) {
    const uint8_t *from = w + (size_t)(j + 8) * rowBytes, *to = from + (size_t)count * rowBytes;
    if (to > end) return;
    for (const uint8_t *p = from; p < to; p += 64) _mm_prefetch((const char *)p, _MM_HINT_T0);
}

/// `tileF` on rows `jj ..< jj + C` with `inter` as a constant: all interleaved, all plain, or (a
/// range that crosses the end of the groups) row by row.
#define SYQ_TILEF_AT(F, R, C, r0, jj)                                                                      \
    do {                                                                                                  \
        if ((jj) + (C) <= grouped) tileF(F, R, C, k, a, lda, r0, w, rowBytes, 1, jj, c, ldc, beta);       \
        else if ((jj) >= grouped) tileF(F, R, C, k, a, lda, r0, w, rowBytes, 0, jj, c, ldc, beta);        \
        else                                                                                              \
            for (long q_ = (jj); q_ < (jj) + (C); q_++) {                                                 \
                if (q_ < grouped) tileF(F, R, 1, k, a, lda, r0, w, rowBytes, 1, q_, c, ldc, beta);        \
                else tileF(F, R, 1, k, a, lda, r0, w, rowBytes, 0, q_, c, ldc, beta);                     \
            }                                                                                             \
    } while (0)

/// `grouped`: the first rows interleaved by eight (bf16 only; see `wf_row`), 0 for a plain weight.
#define SYQ_TILEF(F, NAME)                                                                                \
    SYQ_AVX2 static void NAME(long m, long k, const float *a, long lda, const uint8_t *w, size_t rowBytes,  \
                              long grouped, float *c, long ldc, float beta, long j0, long j1) {           \
        if (m == 1) { /* decode: row after row, one sequential stream (see `rowBF1`), or eight */        \
            for (long j = j0; j < j1; j++) { /* interleaved rows at once (see `rows8F`) */                \
                if (j < grouped && (j & 7) == 0 && j + 8 <= j1) {                                         \
                    rows8F(k, a, w + (size_t)j * rowBytes, c + j, beta);                                  \
                    j += 7;                                                                               \
                } else {                                                                                  \
                    SYQ_TILEF_AT(F, 1, 1, 0, j);                                                             \
                }                                                                                         \
            }                                                                                             \
            return;                                                                                       \
        }                                                                                                 \
        const uint8_t *groupsEnd = w + (size_t)grouped * rowBytes;                                        \
        if (m <= 3) { /* two or three decode rows: one weight row at a time as well, against each */      \
            for (long j = j0; j < j1; j++) {                                                              \
                if (F == SY_QF_BF16 && j < grouped && (j & 7) == 0 && j + 8 <= j1) { /* see `rows4F` */  \
                    rows4F((int)m, k, a, lda, w + (size_t)j * rowBytes, 0, c + j, ldc, beta, groupsEnd);  \
                    rows4F((int)m, k, a, lda, w + (size_t)j * rowBytes, 1, c + j, ldc, beta, groupsEnd);  \
                    j += 7;                                                                               \
                    continue;                                                                             \
                }                                                                                         \
                if (j < grouped) prefetch_next_group(w, rowBytes, j, 1, groupsEnd);                       \
                if (m == 3) SYQ_TILEF_AT(F, 3, 1, 0, j);                                                     \
                else SYQ_TILEF_AT(F, 2, 1, 0, j);                                                            \
            }                                                                                             \
            return;                                                                                       \
        }                                                                                                 \
        long j = j0;                                                                                      \
        for (; j < j1; j += 2) {                                                                          \
            const int C = j + 2 <= j1 ? 2 : 1;                                                            \
            if (j < grouped) prefetch_next_group(w, rowBytes, j, C, groupsEnd);                           \
            long r0 = 0;                                                                                  \
            if (C == 2) {                                                                                 \
                for (; r0 + 4 <= m; r0 += 4) SYQ_TILEF_AT(F, 4, 2, r0, j);                                    \
                for (; r0 < m; r0++) SYQ_TILEF_AT(F, 1, 2, r0, j);                                            \
            } else {                                                                                      \
                for (; r0 + 4 <= m; r0 += 4) SYQ_TILEF_AT(F, 4, 1, r0, j);                                    \
                for (; r0 < m; r0++) SYQ_TILEF_AT(F, 1, 1, r0, j);                                            \
            }                                                                                             \
        }                                                                                                 \
    }

SYQ_TILEF(SY_QF_BF16, gemm_bf16_avx2)
SYQ_TILEF(SY_QF_F32, gemm_f32_avx2)

/// ((l0 + l8) + (l4 + l12) + ...): the 16 lanes folded in halves down to `hsum8_ps`.
SYQ_AVX512_INLINE float hsum16_ps(__m512 v) {
    return hsum8_ps(_mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
}

/// `hsum16_ps` of four vectors at once, the same additions in the same order (so each sum is bit for
/// bit `hsum16_ps`'s): 512 → 256 (l + l8), 256 → 128 (l + l4) for two and then four vectors per
/// register, then (l0 + l2) + (l1 + l3) inside each 128-bit lane. Lane q of the result is vector q's sum.
SYQ_AVX512_INLINE __m128 hsum16x4_ps(__m512 a, __m512 b, __m512 c, __m512 d) {
    const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
    const __m512 t = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
    const __m512 u = _mm512_add_ps(t, _mm512_permute_ps(t, 0x4E));  // (l0 + l2), (l1 + l3) per 128 bits
    const __m512 v = _mm512_add_ps(u, _mm512_permute_ps(u, 0xB1));  // lane 0 of each 128 bits: the sum
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 8, 4, 0), v));
}

/// bf16 on the avx512 path: `R` activation rows (bf16, from `bf16_row_avx512`) x `C` weight rows,
/// one 16-lane accumulator per output; each `vdpbf16ps` adds 32 products (lane l takes k = 2l and
/// 2l + 1 of each 32) in k order. The weight's last partial chunk is a masked load.
SYQ_AVX512_INLINE void tileBF(int R, int C, long k, const uint16_t *a, long r0, const uint8_t *w, size_t rowBytes,
                              int inter, long j, float *c, long ldc, float beta) {
    const long kp = bf16_stride(k);
    __m512 acc[4][8];
    const uint8_t *rows[8];  // (`inter` as in `tileF`: a constant at each call)
    for (int q = 0; q < C; q++) rows[q] = wf_row(SY_QF_BF16, w, rowBytes, inter, j + q);
    for (int r = 0; r < R; r++)
        for (int q = 0; q < C; q++) acc[r][q] = _mm512_setzero_ps();
    for (long i = 0; i < kp; i += 32) {
        const __mmask32 mask = k - i >= 32 ? 0xFFFFFFFFu : (__mmask32)((1u << (k - i)) - 1);
        __m512i wv[8];
        for (int q = 0; q < C; q++)
            wv[q] = _mm512_maskz_loadu_epi16(mask, rows[q] + wf_offset(SY_QF_BF16, inter, i));
        for (int r = 0; r < R; r++) {
            __m512i av = _mm512_loadu_si512((const void *)(a + (r0 + r) * kp + i));
            for (int q = 0; q < C; q++) acc[r][q] = _mm512_dpbf16_ps(acc[r][q], (__m512bh)av, (__m512bh)wv[q]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *out = c + (r0 + r) * ldc + j;
        if (C == 4) {
            const __m128 sums = hsum16x4_ps(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
            if (beta == 0.0f) {
                _mm_storeu_ps(out, sums);
            } else {
                float v[4];
                _mm_storeu_ps(v, sums);
                for (int q = 0; q < 4; q++) store_out(out + q, v[q], beta);
            }
        } else {
            for (int q = 0; q < C; q++) store_out(out + q, hsum16_ps(acc[r][q]), beta);
        }
    }
}

/// Decode's product of one activation row with weight row `j`: the same sum in the same order as
/// `tileBF(1, 1, ...)` (one accumulator, 32 values a step), with the steps inside `k` unmasked.
/// Decode calls it row after row, which reads the weights as one sequential stream that the
/// hardware prefetchers follow across pages; several rows at once (decode's tile of 16 until
/// 2026-12-06) are as many streams a row apart. On a Zen 5 EPYC one core read bf16 weights at
/// 31-33 GB/s row by row against 18-22 GB/s sixteen rows at a time and 11-15 GB/s two at a time
/// (and two cores 62 against 32 GB/s), for [4096, 1024] and [1024, 2048] weights larger than the
/// caches. Two to four activation rows take one weight row at a time too (`tileBF(m, 1, ...)`): on
/// [4096, 1024] one core read 14 → 25 GB/s at m = 2, 12 → 22 at m = 3, 11 → 16 at m = 4. The avx2
/// path does the same for m = 2 and 3 (f32 9 → 13-20, bf16 11 → 11-14 GB/s), not for 4 (f32 slower).
SYQ_AVX512_INLINE void rowBF1(long k, const uint16_t *a, const uint8_t *w, size_t rowBytes, long j, float *c, float beta) {
    // (plain rows only: a weight interleaved by eight takes `rows8BF`)
    const long kp = bf16_stride(k);
    const uint16_t *row = (const uint16_t *)(w + (size_t)j * rowBytes);
    __m512 acc = _mm512_setzero_ps();
    const long full = k & ~31L;
    long i = 0;
    for (; i < full; i += 32) {
        const __m512i av = _mm512_loadu_si512((const void *)(a + i));
        acc = _mm512_dpbf16_ps(acc, (__m512bh)av, (__m512bh)_mm512_loadu_si512((const void *)(row + i)));
    }
    if (i < kp) {
        const __mmask32 mask = (__mmask32)((1u << (k - i)) - 1);
        const __m512i av = _mm512_loadu_si512((const void *)(a + i));
        acc = _mm512_dpbf16_ps(acc, (__m512bh)av, (__m512bh)_mm512_maskz_loadu_epi16(mask, row + i));
    }
    store_out(c + j, hsum16_ps(acc), beta);
}

/// `rowBF1` for the eight rows of an interleaved group (`SY_QF_ROWS8`, `k` a multiple of 32): per
/// unit of 32 values the eight rows' cache lines follow each other; each row's sum is `rowBF1`'s.
SYQ_AVX512_INLINE void rows8BF(long k, const uint16_t *a, const uint8_t *group, float *c, float beta) {
    __m512 acc[8];
    for (int q = 0; q < 8; q++) acc[q] = _mm512_setzero_ps();
    for (long i = 0; i < k; i += 32) {
        const uint8_t *unit = group + (size_t)(i >> 5) * 8 * 64;
        const __m512i av = _mm512_loadu_si512((const void *)(a + i));
        for (int q = 0; q < 8; q++) acc[q] = _mm512_dpbf16_ps(acc[q], (__m512bh)av, (__m512bh)_mm512_loadu_si512((const void *)(unit + q * 64)));
    }
    const __m128 lo = hsum16x4_ps(acc[0], acc[1], acc[2], acc[3]), hi = hsum16x4_ps(acc[4], acc[5], acc[6], acc[7]);
    __m256 sums = _mm256_set_m128(hi, lo);
    if (beta != 0.0f) sums = _mm256_add_ps(sums, _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(c)));
    _mm256_storeu_ps(c, sums);
}

/// `tileBF` on rows `jj ..< jj + C` with `inter` as a constant (see `SYQ_TILEF_AT`).
#define SYQ_TILEBF_AT(R, C, r0, jj, ldc_)                                                                 \
    do {                                                                                                  \
        if ((jj) + (C) <= grouped) tileBF(R, C, k, a, r0, w, rowBytes, 1, jj, c, ldc_, beta);             \
        else if ((jj) >= grouped) tileBF(R, C, k, a, r0, w, rowBytes, 0, jj, c, ldc_, beta);              \
        else                                                                                              \
            for (long q_ = (jj); q_ < (jj) + (C); q_++) {                                                 \
                if (q_ < grouped) tileBF(R, 1, k, a, r0, w, rowBytes, 1, q_, c, ldc_, beta);              \
                else tileBF(R, 1, k, a, r0, w, rowBytes, 0, q_, c, ldc_, beta);                           \
            }                                                                                             \
    } while (0)

/// `grouped`: the first rows interleaved by eight (see `wf_row`), 0 for a plain weight.
SYQ_AVX512 static void gemm_bf16_avx512(long m, long k, const uint16_t *a, const uint8_t *w, size_t rowBytes, long grouped,
                                        float *c, long ldc, float beta, long j0, long j1) {
    const uint8_t *groupsEnd = w + (size_t)grouped * rowBytes;
    long j = j0;
    if (m == 1) {  // decode: row after row, one sequential stream (see `rowBF1`), or a group at once
        for (; j < j1; j++) {
            if (j < grouped && (j & 7) == 0 && j + 8 <= j1) {
                rows8BF(k, a, w + (size_t)j * rowBytes, c + j, beta);
                j += 7;
            } else if (j < grouped) {
                tileBF(1, 1, k, a, 0, w, rowBytes, 1, j, c, 1, beta);
            } else {
                rowBF1(k, a, w, rowBytes, j, c, beta);
            }
        }
        return;
    }
    if (m <= 4) {  // two to four decode rows: also one weight row at a time (one stream), against each
        for (; j < j1; j++) {
            if (j < grouped) prefetch_next_group(w, rowBytes, j, 1, groupsEnd);
            if (m == 4) SYQ_TILEBF_AT(4, 1, 0, j, ldc);
            else if (m == 3) SYQ_TILEBF_AT(3, 1, 0, j, ldc);
            else SYQ_TILEBF_AT(2, 1, 0, j, ldc);
        }
        return;
    }
    for (; j < j1; j += 4) {
        long r0 = 0;
        // Rows left over after the 4-row tiles go in one 3-, 2- or 1-row pass over the weights (an
        // expert of a MoE layer often gets a handful of rows): each output's sum is the same.
        if (j + 4 <= j1) {
            if (j < grouped) prefetch_next_group(w, rowBytes, j, 4, groupsEnd);
            for (; r0 + 4 <= m; r0 += 4) SYQ_TILEBF_AT(4, 4, r0, j, ldc);
            if (m - r0 == 3) SYQ_TILEBF_AT(3, 4, r0, j, ldc);
            else if (m - r0 == 2) SYQ_TILEBF_AT(2, 4, r0, j, ldc);
            else if (m - r0 == 1) SYQ_TILEBF_AT(1, 4, r0, j, ldc);
        } else {
            for (long q = j; q < j1; q++) {
                for (r0 = 0; r0 + 4 <= m; r0 += 4) SYQ_TILEBF_AT(4, 1, r0, q, ldc);
                if (m - r0 == 3) SYQ_TILEBF_AT(3, 1, r0, q, ldc);
                else if (m - r0 == 2) SYQ_TILEBF_AT(2, 1, r0, q, ldc);
                else if (m - r0 == 1) SYQ_TILEBF_AT(1, 1, r0, q, ldc);
            }
        }
    }
}
#undef SYQ_TILEBF_AT

#endif

// MARK: - Dispatch

void sy_qf_gemm(int format, long m, long n, long k, const float *a, long lda, const void *scratch, const void *w,
                float *c, long ldc, float beta, long j0, long j1) {
    if (m <= 0 || j0 >= j1) return;
    const int rows8 = (format & SY_QF_ROWS8) && sy_qf_rows8_fits(format & ~SY_QF_ROWS8, n, k);
    format &= ~SY_QF_ROWS8;
    const long grouped = rows8 ? (n & ~7L) : 0;
    const size_t rowBytes = sy_qf_row_bytes(format, k);
    const uint8_t *wb = w;
    const int isa = sy_qf_isa();
    if (is_32_format(format)) {
        act32 s = act32_layout((void *)scratch, m, k);
#if SYQ_X86
        if (isa >= SY_ISA_AVX512) {
            if (format == SY_QF_Q8_0) gemm_q8_0_avx512(m, k, s, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            else if (format == SY_QF_Q4_0) gemm_q4_0_avx512(m, k, s, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            else if (format == SY_QF_MXFP4) gemm_mxfp4_avx512(m, k, s, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            else gemm_q4_1_avx512(m, k, s, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            return;
        }
        if (isa >= SY_ISA_AVX2) {
            if (format == SY_QF_Q8_0) gemm_q8_0_avx2(m, k, s, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            else if (format == SY_QF_Q4_0) gemm_q4_0_avx2(m, k, s, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            else if (format == SY_QF_MXFP4) gemm_mxfp4_avx2(m, k, s, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            else gemm_q4_1_avx2(m, k, s, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            return;
        }
#endif
        gemm32_portable(format, m, k, s, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
    } else if (is_k_format(format)) {
        actK s = actK_layout((void *)scratch, m, k);
#if SYQ_X86
        if (isa >= SY_ISA_AVX512) {
            if (format == SY_QF_Q4_K) gemm_q4_K_avx512(m, n, k, s, wb, rowBytes, rows8, c, ldc, beta, j0, j1);
            else if (format == SY_QF_Q5_K) gemm_q5_K_avx512(m, n, k, s, wb, rowBytes, rows8, c, ldc, beta, j0, j1);
            else gemm_q6_K_avx512(m, n, k, s, wb, rowBytes, rows8, c, ldc, beta, j0, j1);
            return;
        }
        if (isa >= SY_ISA_AVX2) {
            if (format == SY_QF_Q4_K) gemm_q4_K_avx2(m, n, k, s, wb, rowBytes, rows8, c, ldc, beta, j0, j1);
            else if (format == SY_QF_Q5_K) gemm_q5_K_avx2(m, n, k, s, wb, rowBytes, rows8, c, ldc, beta, j0, j1);
            else gemm_q6_K_avx2(m, n, k, s, wb, rowBytes, rows8, c, ldc, beta, j0, j1);
            return;
        }
#endif
        gemmK_portable(format, m, n, k, s, wb, rowBytes, rows8, c, ldc, beta, j0, j1);
    } else if (format == SY_QF_F32 || format == SY_QF_BF16) {
#if SYQ_X86
        if (format == SY_QF_BF16 && sy_qf_bf16_dot()) {
            gemm_bf16_avx512(m, k, scratch, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            return;
        }
        if (isa >= SY_ISA_AVX2) {
            if (format == SY_QF_BF16) gemm_bf16_avx2(m, k, a, lda, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            else gemm_f32_avx2(m, k, a, lda, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
            return;
        }
#endif
        gemmF_portable(format, m, k, a, lda, wb, rowBytes, grouped, c, ldc, beta, j0, j1);
    }
    (void)isa;
}
