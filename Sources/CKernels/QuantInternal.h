#ifndef SWITCHYARD_QUANT_INTERNAL_H
#define SWITCHYARD_QUANT_INTERNAL_H
// ggml's block structs (ggml-common.h), for the CQuant sources only.

#include <stdint.h>
#include "SYQuant.h"

#define SYQ_QK 32
#define SYQ_QK_K 256

/// 34 bytes: x = d * qs.
typedef struct { uint16_t d; int8_t qs[SYQ_QK]; } syq_block_q8_0;
/// 18 bytes: x = d * (q - 8); qs[j] holds value j (low nibble) and value 16 + j (high).
typedef struct { uint16_t d; uint8_t qs[SYQ_QK / 2]; } syq_block_q4_0;
/// 20 bytes: x = d * q + m; nibbles as q4_0.
typedef struct { uint16_t d, m; uint8_t qs[SYQ_QK / 2]; } syq_block_q4_1;
/// 22 bytes: x = d * (q - 16), q five bits: the nibbles as q4_0, bit j of qh the fifth bit of value j.
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[SYQ_QK / 2]; } syq_block_q5_0;
/// 24 bytes: x = d * q + m, q five bits as q5_0.
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[SYQ_QK / 2]; } syq_block_q5_1;
/// 17 bytes (OCP MXFP4, gpt-oss's expert format): x = 2^(e - 128) * kv[q] with kv the E2M1 values
/// doubled (`syq_mxfp4_values`); nibbles as q4_0.
typedef struct { uint8_t e; uint8_t qs[SYQ_QK / 2]; } syq_block_mxfp4;
/// 144 bytes: 8 sub-blocks of 32, x = d * sc[s] * q - dmin * mn[s] (six-bit scales and mins packed
/// in `scales`); qs[32c + l] holds value 64c + l (low nibble) and 64c + 32 + l (high).
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[SYQ_QK_K / 2]; } syq_block_q4_K;
/// 176 bytes: q4_K plus a fifth bit: bit s of qh[l] is the top bit of value 32s + l.
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[SYQ_QK_K / 8]; uint8_t qs[SYQ_QK_K / 2]; } syq_block_q5_K;
/// 210 bytes: 16 sub-blocks of 16, x = d * scales[g] * (q - 32), q six bits (see `syq_q6`).
typedef struct { uint8_t ql[SYQ_QK_K / 2]; uint8_t qh[SYQ_QK_K / 4]; int8_t scales[SYQ_QK_K / 16]; uint16_t d; } syq_block_q6_K;

/// Round to nearest, ties to even, for |x| < 2^22 (as cvtps2dq in the default rounding mode).
static inline float syq_rne(float x) {
    volatile float big = 12582912.0f;  // 1.5 * 2^23; volatile keeps the compiler from folding it away
    float y = x + big;
    return y - big;
}

_Static_assert(sizeof(syq_block_q8_0) == 34, "q8_0 block");
_Static_assert(sizeof(syq_block_q4_0) == 18, "q4_0 block");
_Static_assert(sizeof(syq_block_q4_1) == 20, "q4_1 block");
_Static_assert(sizeof(syq_block_mxfp4) == 17, "mxfp4 block");
_Static_assert(sizeof(syq_block_q5_0) == 22, "q5_0 block");
_Static_assert(sizeof(syq_block_q5_1) == 24, "q5_1 block");
_Static_assert(sizeof(syq_block_q4_K) == 144, "q4_K block");
_Static_assert(sizeof(syq_block_q5_K) == 176, "q5_K block");
_Static_assert(sizeof(syq_block_q6_K) == 210, "q6_K block");

/// Scale and min of sub-block `s` (0..7) of a q4_K / q5_K block: bytes 0-3 hold the low six bits
/// of scales 0-3, bytes 4-7 those of mins 0-3; scales and mins 4-7 have their low four bits in
/// bytes 8-11 (scale low nibble, min high nibble) and their top two bits in the top bits of
/// bytes 0-3 (scales) and 4-7 (mins).
static inline void syq_scale_min(int s, const uint8_t *q, uint8_t *sc, uint8_t *mn) {
    if (s < 4) {
        *sc = q[s] & 63;
        *mn = q[s + 4] & 63;
    } else {
        *sc = (uint8_t)((q[s + 4] & 15) | ((q[s - 4] >> 6) << 4));
        *mn = (uint8_t)((q[s + 4] >> 4) | ((q[s] >> 6) << 4));
    }
}

/// Block `i` of a q4_K (`qh` NULL) or q5_K weight row: where its scales, low nibbles and high bits
/// are, and its f16 scale and min.
typedef struct { const uint8_t *scales, *qs, *qh; uint16_t d, dmin; } syq_kblock;

static inline syq_kblock syq_kblock_at(int fmt, const uint8_t *row, long i) {
    syq_kblock b;
    if (fmt == SY_QF_Q4_K) {
        const syq_block_q4_K *x = (const syq_block_q4_K *)row + i;
        b.scales = x->scales; b.qs = x->qs; b.qh = NULL; b.d = x->d; b.dmin = x->dmin;
    } else {
        const syq_block_q5_K *x = (const syq_block_q5_K *)row + i;
        b.scales = x->scales; b.qs = x->qs; b.qh = x->qh; b.d = x->d; b.dmin = x->dmin;
    }
    return b;
}

/// The signed six-bit value `v` (0..255) of a q6_K block: in half h = v / 128, position
/// p = v % 128, group g = p / 32, l = p % 32: low four bits from ql[64h + 32(g & 1) + l] (high
/// nibble when g >= 2), top two from bits 2g of qh[32h + l]; minus 32.
static inline int syq_q6(const syq_block_q6_K *b, int v) {
    int h = v / 128, p = v % 128, g = p / 32, l = p % 32;
    int lo = (b->ql[64 * h + 32 * (g & 1) + l] >> (4 * (g >> 1))) & 15;
    int hi = (b->qh[32 * h + l] >> (2 * g)) & 3;
    return (lo | (hi << 4)) - 32;
}

/// The FP4 (E2M1) values of the 16 nibbles, doubled so they are integers: 0, 0.5, 1, 1.5, 2, 3, 4,
/// 6 and their negatives become 0, 1, 2, 3, 4, 6, 8, 12, ...; the block scale is halved to match.
static const int8_t syq_mxfp4_values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

/// Half the E8M0 scale `2^(e - 127)`, i.e. `2^(e - 128)`, exactly (a subnormal float for e < 2).
static inline float syq_e8m0_half(uint8_t e) {
    uint32_t bits = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
    float f;
    __builtin_memcpy(&f, &bits, 4);
    return f;
}

#endif
