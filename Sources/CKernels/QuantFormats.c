// Block layouts, conversions, and row quantizers / dequantizers. See SYQuant.h.
#include "SYQuant.h"
#include "QuantInternal.h"
#include <float.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

int sy_qf_block_size(int format) {
    switch (format) {
    case SY_QF_F32: case SY_QF_BF16: return 1;
    case SY_QF_Q8_0: case SY_QF_Q4_0: case SY_QF_Q4_1: case SY_QF_MXFP4: return SYQ_QK;
    case SY_QF_Q4_K: case SY_QF_Q5_K: case SY_QF_Q6_K: return SYQ_QK_K;
    default: return 0;
    }
}

int sy_qf_block_bytes(int format) {
    switch (format) {
    case SY_QF_F32: return 4;
    case SY_QF_BF16: return 2;
    case SY_QF_Q8_0: return (int)sizeof(syq_block_q8_0);
    case SY_QF_Q4_0: return (int)sizeof(syq_block_q4_0);
    case SY_QF_Q4_1: return (int)sizeof(syq_block_q4_1);
    case SY_QF_MXFP4: return (int)sizeof(syq_block_mxfp4);
    case SY_QF_Q4_K: return (int)sizeof(syq_block_q4_K);
    case SY_QF_Q5_K: return (int)sizeof(syq_block_q5_K);
    case SY_QF_Q6_K: return (int)sizeof(syq_block_q6_K);
    default: return 0;
    }
}

size_t sy_qf_row_bytes(int format, long k) {
    int bs = sy_qf_block_size(format);
    return bs ? (size_t)(k / bs) * (size_t)sy_qf_block_bytes(format) : 0;
}

static inline float absf(float x) { return x < 0 ? -x : x; }

/// C's roundf (halves away from zero) for |x| < 2^23, without libm.
static inline float round_away(float x) {
    int i = (int)x;                  // toward zero
    float frac = x - (float)i;       // exact
    if (frac >= 0.5f) i++;
    else if (frac <= -0.5f) i--;
    return (float)i;
}

static inline uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float float_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

float sy_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 0) {
        float v = (float)mantissa * 0x1p-24f;  // exact: at most 10 significant bits
        return sign ? -v : v;
    }
    if (exponent == 31) return float_of(sign | 0x7f800000u | (mantissa << 13));
    return float_of(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t sy_f32_to_f16(float f) {
    uint32_t u = bits_of(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00 | (uint16_t)((a >> 13) & 0x3ff);  // NaN stays NaN (quiet)
    if (a >= 0x47800000u) return sign | 0x7c00;                                  // >= 65536: infinity
    if (a >= 0x38800000u) {                                                      // a normal half
        uint32_t r = a - 0x38000000u;  // exponent rebiased from 127 to 15
        uint32_t half = r >> 13, rest = r & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half++;  // a carry may reach infinity
        return sign | (uint16_t)half;
    }
    if (a <= 0x33000000u) return sign;  // at most 2^-25: rounds to zero (2^-25 is a tie to even 0)
    // A subnormal half: the value in units of 2^-24, rounded to nearest even.
    uint32_t e = a >> 23, mant = (a & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - e;  // 14 ... 24
    uint32_t q = mant >> shift, rest = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (q & 1))) q++;
    return sign | (uint16_t)q;
}

float sy_bf16_to_f32(uint16_t h) { return float_of((uint32_t)h << 16); }

uint16_t sy_f32_to_bf16(float f) {
    uint32_t u = bits_of(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

// MARK: - 32-value blocks (bit-exact with ggml's quantize_row_*_ref)

static void quantize_q8_0(const float *x, syq_block_q8_0 *y, long nb) {
    for (long i = 0; i < nb; i++, x += SYQ_QK) {
        float amax = 0.0f;
        for (int j = 0; j < SYQ_QK; j++) if (absf(x[j]) > amax) amax = absf(x[j]);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = sy_f32_to_f16(d);
        for (int j = 0; j < SYQ_QK; j++) y[i].qs[j] = (int8_t)round_away(x[j] * id);
    }
}

static void quantize_q4_0(const float *x, syq_block_q4_0 *y, long nb) {
    for (long i = 0; i < nb; i++, x += SYQ_QK) {
        float amax = 0.0f, max = 0.0f;  // the value of largest magnitude, the first one on ties
        for (int j = 0; j < SYQ_QK; j++) {
            if (amax < absf(x[j])) { amax = absf(x[j]); max = x[j]; }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = sy_f32_to_f16(d);
        for (int j = 0; j < SYQ_QK / 2; j++) {
            const float x0 = x[j] * id, x1 = x[SYQ_QK / 2 + j] * id;
            int q0 = (int8_t)(x0 + 8.5f), q1 = (int8_t)(x1 + 8.5f);
            if (q0 > 15) q0 = 15;
            if (q1 > 15) q1 = 15;
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

static void quantize_q4_1(const float *x, syq_block_q4_1 *y, long nb) {
    for (long i = 0; i < nb; i++, x += SYQ_QK) {
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < SYQ_QK; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = sy_f32_to_f16(d);
        y[i].m = sy_f32_to_f16(min);
        for (int j = 0; j < SYQ_QK / 2; j++) {
            const float x0 = (x[j] - min) * id, x1 = (x[SYQ_QK / 2 + j] - min) * id;
            int q0 = (int8_t)(x0 + 0.5f), q1 = (int8_t)(x1 + 0.5f);
            if (q0 > 15) q0 = 15;
            if (q1 > 15) q1 = 15;
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

// MARK: - K-quants (a plain min/max search, not ggml's make_qkx2 / make_qkx3)

/// Nearest integer, ties to even, for |x| < 2^22 (larger values are clamped by the callers).
static inline int nearest(float x) {
    if (x > 4194304.0f) return 4194304;
    if (x < -4194304.0f) return -4194304;
    return (int)syq_rne(x);
}
static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/// Packs 8 six-bit scales and mins as ggml's q4_K / q5_K do (see `syq_scale_min`).
static void pack_scales_k4(const uint8_t *sc, const uint8_t *mn, uint8_t *q) {
    for (int j = 0; j < 4; j++) {
        q[j] = (uint8_t)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        q[j + 4] = (uint8_t)((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
        q[j + 8] = (uint8_t)((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
    }
}

/// Scales and quantized values of a 256-value superblock as 8 sub-blocks of 32 with `levels`
/// levels each (16 for q4_K, 32 for q5_K): `x ≈ d * sc[s] * q - dmin * mn[s]`.
static void quantize_k_asym(const float *x, int levels, uint16_t *dOut, uint16_t *dminOut, uint8_t *sc,
                            uint8_t *mn, uint8_t *q) {
    float scale[8], offset[8], maxScale = 0.0f, maxOffset = 0.0f;
    for (int s = 0; s < 8; s++) {
        float lo = 0.0f, hi = 0.0f;  // the range always includes 0, so the offset is never negative
        for (int l = 0; l < 32; l++) {
            float v = x[32 * s + l];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        scale[s] = (hi - lo) / (float)(levels - 1);
        offset[s] = -lo;
        if (scale[s] > maxScale) maxScale = scale[s];
        if (offset[s] > maxOffset) maxOffset = offset[s];
    }
    float d = maxScale / 63.0f, dmin = maxOffset / 63.0f;
    *dOut = sy_f32_to_f16(d);
    *dminOut = sy_f32_to_f16(dmin);
    d = sy_f16_to_f32(*dOut);
    dmin = sy_f16_to_f32(*dminOut);
    for (int s = 0; s < 8; s++) {
        sc[s] = (uint8_t)(d > 0.0f ? clampi(nearest(scale[s] / d), 0, 63) : 0);
        mn[s] = (uint8_t)(dmin > 0.0f ? clampi(nearest(offset[s] / dmin), 0, 63) : 0);
        const float ds = d * (float)sc[s], ms = dmin * (float)mn[s];
        for (int l = 0; l < 32; l++) {
            q[32 * s + l] = (uint8_t)(ds > 0.0f ? clampi(nearest((x[32 * s + l] + ms) / ds), 0, levels - 1) : 0);
        }
    }
}

static void quantize_q4_K(const float *x, syq_block_q4_K *y, long nb) {
    for (long i = 0; i < nb; i++, x += SYQ_QK_K) {
        uint8_t sc[8], mn[8], q[SYQ_QK_K];
        quantize_k_asym(x, 16, &y[i].d, &y[i].dmin, sc, mn, q);
        pack_scales_k4(sc, mn, y[i].scales);
        for (int c = 0; c < 4; c++) {  // 64 values: sub-block 2c in the low nibbles, 2c+1 in the high
            for (int l = 0; l < 32; l++) y[i].qs[32 * c + l] = (uint8_t)(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
        }
    }
}

static void quantize_q5_K(const float *x, syq_block_q5_K *y, long nb) {
    for (long i = 0; i < nb; i++, x += SYQ_QK_K) {
        uint8_t sc[8], mn[8], q[SYQ_QK_K];
        quantize_k_asym(x, 32, &y[i].d, &y[i].dmin, sc, mn, q);
        pack_scales_k4(sc, mn, y[i].scales);
        memset(y[i].qh, 0, sizeof y[i].qh);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                uint8_t lo = q[64 * c + l], hi = q[64 * c + 32 + l];
                y[i].qs[32 * c + l] = (uint8_t)((lo & 15) | ((hi & 15) << 4));
                y[i].qh[l] |= (uint8_t)(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
        }
    }
}

static void quantize_q6_K(const float *x, syq_block_q6_K *y, long nb) {
    for (long i = 0; i < nb; i++, x += SYQ_QK_K) {
        float scale[16], maxScale = 0.0f, maxAbs = 0.0f;
        for (int g = 0; g < 16; g++) {  // the value of largest magnitude maps to -32
            float amax = 0.0f, max = 0.0f;
            for (int l = 0; l < 16; l++) {
                float v = x[16 * g + l];
                if (amax < absf(v)) { amax = absf(v); max = v; }
            }
            scale[g] = max / -32.0f;
            if (absf(scale[g]) > maxAbs) { maxAbs = absf(scale[g]); maxScale = scale[g]; }
        }
        float d = maxScale / -128.0f;  // the largest scale maps to -128
        y[i].d = sy_f32_to_f16(d);
        d = sy_f16_to_f32(y[i].d);
        uint8_t q[SYQ_QK_K];
        for (int g = 0; g < 16; g++) {
            int s = d != 0.0f ? clampi(nearest(scale[g] / d), -128, 127) : 0;
            y[i].scales[g] = (int8_t)s;
            const float ds = d * (float)s;
            for (int l = 0; l < 16; l++) {
                int v = ds != 0.0f ? clampi(nearest(x[16 * g + l] / ds), -32, 31) : 0;
                q[16 * g + l] = (uint8_t)(v + 32);
            }
        }
        // Per half of 128: ql[64h + l] holds values l (low nibble) and 64 + l (high) for l < 64;
        // qh[32h + l] holds the top two bits of values l, 32 + l, 64 + l, 96 + l.
        for (int h = 0; h < 2; h++) {
            const uint8_t *v = q + 128 * h;
            for (int l = 0; l < 64; l++) y[i].ql[64 * h + l] = (uint8_t)((v[l] & 15) | ((v[64 + l] & 15) << 4));
            for (int l = 0; l < 32; l++) {
                y[i].qh[32 * h + l] = (uint8_t)((v[l] >> 4) | ((v[32 + l] >> 4) << 2) | ((v[64 + l] >> 4) << 4) |
                                                ((v[96 + l] >> 4) << 6));
            }
        }
    }
}

/// MXFP4 as ggml's quantize_row_mxfp4_ref: the shared exponent puts the block's largest magnitude
/// in [4, 8) times the halved scale (floor(log2 amax) - 2), each value the nearest of the 16
/// (first wins a tie).
static void quantize_mxfp4(const float *x, syq_block_mxfp4 *y, long nb) {
    for (long i = 0; i < nb; i++, x += SYQ_QK) {
        float amax = 0.0f;
        for (int j = 0; j < SYQ_QK; j++) if (absf(x[j]) > amax) amax = absf(x[j]);
        int exponent = 0;
        if (amax > 0.0f) {
            // floor(log2(amax)) from the float's bits (amax normal or subnormal).
            uint32_t u = bits_of(amax);
            int e = (int)((u >> 23) & 255);
            int log2floor = e ? e - 127 : (31 - __builtin_clz(u & 0x7fffff)) - 149;
            exponent = log2floor - 2 + 127;
            if (exponent < 0) exponent = 0;
            if (exponent > 255) exponent = 255;
        }
        const float d = syq_e8m0_half((uint8_t)exponent);
        y[i].e = (uint8_t)exponent;
        for (int j = 0; j < SYQ_QK / 2; j++) {
            int q[2];
            for (int h = 0; h < 2; h++) {
                const float v = x[j + 16 * h];
                int best = 0;
                float bestErr = absf((float)syq_mxfp4_values[0] * d - v);
                for (int c = 1; c < 16; c++) {
                    float err = absf((float)syq_mxfp4_values[c] * d - v);
                    if (err < bestErr) { best = c; bestErr = err; }
                }
                q[h] = best;
            }
            y[i].qs[j] = (uint8_t)(q[0] | (q[1] << 4));
        }
    }
}

void sy_qf_quantize_row(int format, const float *x, void *dst, long k) {
    int bs = sy_qf_block_size(format);
    if (bs == 0) return;
    long nb = k / bs;
    switch (format) {
    case SY_QF_F32: memcpy(dst, x, (size_t)k * 4); break;
    case SY_QF_BF16: for (long i = 0; i < k; i++) ((uint16_t *)dst)[i] = sy_f32_to_bf16(x[i]); break;
    case SY_QF_Q8_0: quantize_q8_0(x, dst, nb); break;
    case SY_QF_Q4_0: quantize_q4_0(x, dst, nb); break;
    case SY_QF_Q4_1: quantize_q4_1(x, dst, nb); break;
    case SY_QF_MXFP4: quantize_mxfp4(x, dst, nb); break;
    case SY_QF_Q4_K: quantize_q4_K(x, dst, nb); break;
    case SY_QF_Q5_K: quantize_q5_K(x, dst, nb); break;
    case SY_QF_Q6_K: quantize_q6_K(x, dst, nb); break;
    }
}

// MARK: - Dequantization

void sy_qf_dequantize_row(int format, const void *src, float *y, long k) {
    int bs = sy_qf_block_size(format);
    if (bs == 0) return;
    long nb = k / bs;
    switch (format) {
    case SY_QF_F32: memcpy(y, src, (size_t)k * 4); break;
    case SY_QF_BF16: for (long i = 0; i < k; i++) y[i] = sy_bf16_to_f32(((const uint16_t *)src)[i]); break;
    case SY_QF_Q8_0: {
        const syq_block_q8_0 *b = src;
        for (long i = 0; i < nb; i++, y += SYQ_QK) {
            const float d = sy_f16_to_f32(b[i].d);
            for (int j = 0; j < SYQ_QK; j++) y[j] = (float)b[i].qs[j] * d;
        }
        break;
    }
    case SY_QF_Q4_0: {
        const syq_block_q4_0 *b = src;
        for (long i = 0; i < nb; i++, y += SYQ_QK) {
            const float d = sy_f16_to_f32(b[i].d);
            for (int j = 0; j < SYQ_QK / 2; j++) {
                y[j] = (float)((b[i].qs[j] & 15) - 8) * d;
                y[j + SYQ_QK / 2] = (float)((b[i].qs[j] >> 4) - 8) * d;
            }
        }
        break;
    }
    case SY_QF_Q4_1: {
        const syq_block_q4_1 *b = src;
        for (long i = 0; i < nb; i++, y += SYQ_QK) {
            const float d = sy_f16_to_f32(b[i].d), m = sy_f16_to_f32(b[i].m);
            for (int j = 0; j < SYQ_QK / 2; j++) {
                float p0 = (float)(b[i].qs[j] & 15) * d, p1 = (float)(b[i].qs[j] >> 4) * d;
                y[j] = p0 + m;
                y[j + SYQ_QK / 2] = p1 + m;
            }
        }
        break;
    }
    case SY_QF_MXFP4: {
        const syq_block_mxfp4 *b = src;
        for (long i = 0; i < nb; i++, y += SYQ_QK) {
            const float d = syq_e8m0_half(b[i].e);
            for (int j = 0; j < SYQ_QK / 2; j++) {
                y[j] = (float)syq_mxfp4_values[b[i].qs[j] & 15] * d;
                y[j + SYQ_QK / 2] = (float)syq_mxfp4_values[b[i].qs[j] >> 4] * d;
            }
        }
        break;
    }
    case SY_QF_Q4_K: case SY_QF_Q5_K: {
        for (long i = 0; i < nb; i++, y += SYQ_QK_K) {
            const uint8_t *scales, *qs, *qh = NULL;
            uint16_t dh, dminh;
            if (format == SY_QF_Q4_K) {
                const syq_block_q4_K *b = (const syq_block_q4_K *)src + i;
                scales = b->scales; qs = b->qs; dh = b->d; dminh = b->dmin;
            } else {
                const syq_block_q5_K *b = (const syq_block_q5_K *)src + i;
                scales = b->scales; qs = b->qs; qh = b->qh; dh = b->d; dminh = b->dmin;
            }
            const float d = sy_f16_to_f32(dh), dmin = sy_f16_to_f32(dminh);
            for (int s = 0; s < 8; s++) {
                uint8_t sc, mn;
                syq_scale_min(s, scales, &sc, &mn);
                const float ds = d * (float)sc, ms = dmin * (float)mn;
                for (int l = 0; l < 32; l++) {
                    int q = (qs[32 * (s / 2) + l] >> (4 * (s & 1))) & 15;
                    if (qh) q |= ((qh[l] >> s) & 1) << 4;
                    float p = ds * (float)q;
                    y[32 * s + l] = p - ms;
                }
            }
        }
        break;
    }
    case SY_QF_Q6_K: {
        const syq_block_q6_K *b = src;
        for (long i = 0; i < nb; i++, y += SYQ_QK_K) {
            const float d = sy_f16_to_f32(b[i].d);
            for (int v = 0; v < SYQ_QK_K; v++) {
                y[v] = d * (float)b[i].scales[v / 16] * (float)syq_q6(&b[i], v);
            }
        }
        break;
    }
    }
}

// MARK: - Expand-only formats

int sy_qf_expand_block_size(int format) { return format == SY_QF_Q5_0 || format == SY_QF_Q5_1 ? SYQ_QK : 0; }

int sy_qf_expand_block_bytes(int format) {
    switch (format) {
    case SY_QF_Q5_0: return (int)sizeof(syq_block_q5_0);
    case SY_QF_Q5_1: return (int)sizeof(syq_block_q5_1);
    default: return 0;
    }
}

int sy_qf_expand_row(int format, const void *src, float *y, long k) {
    if (sy_qf_expand_block_size(format) == 0) return 0;
    const long nb = k / SYQ_QK;
    for (long i = 0; i < nb; i++, y += SYQ_QK) {
        const uint8_t *qh, *qs;
        float d, m = 0;
        if (format == SY_QF_Q5_0) {
            const syq_block_q5_0 *b = (const syq_block_q5_0 *)src + i;
            qh = b->qh; qs = b->qs; d = sy_f16_to_f32(b->d);
        } else {
            const syq_block_q5_1 *b = (const syq_block_q5_1 *)src + i;
            qh = b->qh; qs = b->qs; d = sy_f16_to_f32(b->d); m = sy_f16_to_f32(b->m);
        }
        const uint32_t high = (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
        for (int j = 0; j < SYQ_QK / 2; j++) {
            const int q0 = (qs[j] & 15) | (int)((high >> j) & 1) << 4;
            const int q1 = (qs[j] >> 4) | (int)((high >> (j + 16)) & 1) << 4;
            if (format == SY_QF_Q5_0) {
                y[j] = (float)(q0 - 16) * d;
                y[j + SYQ_QK / 2] = (float)(q1 - 16) * d;
            } else {
                float p0 = (float)q0 * d, p1 = (float)q1 * d;
                y[j] = p0 + m;
                y[j + SYQ_QK / 2] = p1 + m;
            }
        }
    }
    return 1;
}

void sy_qf_q5_0_to_q8_0_row(const void *src, void *dst, long k) {
    const long nb = k / SYQ_QK;
    for (long i = 0; i < nb; i++) {
        const syq_block_q5_0 *b = (const syq_block_q5_0 *)src + i;
        syq_block_q8_0 *out = (syq_block_q8_0 *)dst + i;
        const uint32_t high = (uint32_t)b->qh[0] | (uint32_t)b->qh[1] << 8 | (uint32_t)b->qh[2] << 16 | (uint32_t)b->qh[3] << 24;
        out->d = b->d;
        for (int j = 0; j < SYQ_QK / 2; j++) {
            out->qs[j] = (int8_t)(((b->qs[j] & 15) | (int)((high >> j) & 1) << 4) - 16);
            out->qs[j + SYQ_QK / 2] = (int8_t)(((b->qs[j] >> 4) | (int)((high >> (j + 16)) & 1) << 4) - 16);
        }
    }
}

// MARK: - Rows interleaved by eight

int sy_qf_rows8_unit(int format) {
    if (format == SY_QF_Q4_K || format == SY_QF_Q5_K || format == SY_QF_Q6_K) return SYQ_QK_K;
    const int blocks32 = format == SY_QF_Q8_0 || format == SY_QF_Q4_0 || format == SY_QF_Q4_1 || format == SY_QF_MXFP4;
    return format == SY_QF_BF16 || blocks32 ? 32 : 0;
}

int sy_qf_has_rows8(int format) { return sy_qf_rows8_unit(format) != 0; }

int sy_qf_rows8_fits(int format, long n, long k) {
    const int unit = sy_qf_rows8_unit(format);
    return unit != 0 && n >= 8 && k > 0 && k % unit == 0;
}

void sy_qf_rows8_convert(int format, long n, long k, void *w, int to_plain) {
    if (!sy_qf_rows8_fits(format, n, k)) return;
    const int unit = sy_qf_rows8_unit(format);
    const long nu = k / unit;
    const size_t ub = sy_qf_row_bytes(format, unit), rowBytes = (size_t)nu * ub, group = 8 * rowBytes;
    uint8_t *scratch = malloc(group);
    if (!scratch) abort();  // a few KB at load
    for (long g = 0; g < n / 8; g++) {
        uint8_t *base = (uint8_t *)w + (size_t)g * group;
        memcpy(scratch, base, group);
        for (int q = 0; q < 8; q++) {
            for (long i = 0; i < nu; i++) {
                const size_t plain = (size_t)q * rowBytes + (size_t)i * ub, interleaved = ((size_t)i * 8 + (size_t)q) * ub;
                if (to_plain) memcpy(base + plain, scratch + interleaved, ub);
                else memcpy(base + interleaved, scratch + plain, ub);
            }
        }
    }
    free(scratch);
}

const void *sy_qf_block_address(int kformat, const void *w, long n, long k, long j, long i) {
    const int format = kformat & ~SY_QF_ROWS8;
    const size_t bb = (size_t)sy_qf_block_bytes(format), rowBytes = sy_qf_row_bytes(format, k);
    if ((kformat & SY_QF_ROWS8) && sy_qf_rows8_fits(format, n, k) && j < (n & ~7L)) {
        const long unit = sy_qf_rows8_unit(format), value = i * sy_qf_block_size(format);
        const size_t ub = sy_qf_row_bytes(format, unit);
        return (const uint8_t *)w + (size_t)(j & ~7L) * rowBytes + ((size_t)(value / unit) * 8 + (size_t)(j & 7)) * ub +
               (size_t)((value % unit) / sy_qf_block_size(format)) * bb;
    }
    return (const uint8_t *)w + (size_t)j * rowBytes + (size_t)i * bb;
}
