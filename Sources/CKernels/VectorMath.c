// Element-wise exponentials for the engine's non-matmul hot spots: the log-sum-exp of every sampled
// row (the whole vocabulary) and the SwiGLU activation of every expert row.
#include "CKernels.h"
#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#define SY_VM_X86 1
#include <immintrin.h>
#else
#define SY_VM_X86 0
#endif

#if SY_VM_X86
#define SY_AVX2 __attribute__((target("avx2,fma")))

/// e^x for 8 lanes: x = n ln2 + g with n = round(x log2 e) and |g| <= ln2 / 2, e^g by its Taylor
/// series to degree 7 (relative error below 1e-8 on that interval, under float rounding), then
/// scaled by 2^n through the exponent bits. x is clamped to [-87.3, 88.3], where e^x is a normal float.
SY_AVX2 static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // g = x - n ln2, with ln2 split in two so the product is exact enough.
    __m256 g = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    g = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), g);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, g, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, g, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, g, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, g, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, g, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, g, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, g, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

SY_AVX2 static float max_avx2(const float *x, int n) {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
        m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_max_ps(m0, m1));
    float m = lanes[0];
    for (int l = 1; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

SY_AVX2 static double sum_exp_avx2(const float *x, int n, float shift) {
    __m256 s = _mm256_set1_ps(shift), a0 = _mm256_setzero_ps(), a1 = a0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_add_ps(a0, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s)));
        a1 = _mm256_add_ps(a1, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), s)));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_add_ps(a0, a1));
    double total = 0;
    for (int l = 0; l < 8; l++) total += lanes[l];
    for (; i < n; i++) total += expf(x[i] - shift);
    return total;
}

SY_AVX2 static void swiglu_avx2(const float *gate, const float *up, float *out, int n) {
    int i = 0;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
        __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, e));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}
#endif

float sy_log_sum_exp(const float *x, int n) {
    if (n <= 0) return -INFINITY;
#if SY_VM_X86
    if (sy_kernels_use_avx2()) {
        float m = max_avx2(x, n);
        if (!isfinite(m)) return m;
        return m + (float)log(sum_exp_avx2(x, n, m));
    }
#endif
    float m = x[0];
    for (int i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
    if (!isfinite(m)) return m;
    double total = 0;
    for (int i = 0; i < n; i++) total += expf(x[i] - m);
    return m + (float)log(total);
}

void sy_swiglu(const float *gate, const float *up, float *out, int n) {
#if SY_VM_X86
    if (sy_kernels_use_avx2()) {
        swiglu_avx2(gate, up, out, n);
        return;
    }
#endif
    for (int i = 0; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}
