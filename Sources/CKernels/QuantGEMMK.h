// The K-quant kernels (q4_K, q5_K, q6_K) for one x86 instruction set: included by QuantGEMM.c once
// per path, with no include guard, after QuantGEMM32.h and with the same macros (see there), plus
//   SYQ_K_ROWS   activation rows a tile takes against one weight row (8): each superblock of a
//                weight row is unpacked once per tile (avx2 at 64 rows: q4_K 51 -> 57 GMAC/s, q6_K
//                49 -> 53 against four rows, one core, Zen 3)
//   SYQ_K_ZMM    1 where a superblock is multiplied 64 weights a step in zmm registers (avx512),
//                0 for 32 a step in ymm (avx2)
// Gives gemm_q4_K, gemm_q5_K and gemm_q6_K with the path's suffix. A row's output is the same
// whatever tile it is in (its sums are its own), so the paths agree bit for bit.

#if SYQ_K_ZMM
/// The eight int32 lanes of each half of `v` added: the 256-bit form's lanes (exact integers).
SYQ_K_INLINE __m256i SYQ_K_NAME(fold512)(__m512i v) {
    return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

/// `vpermw` indices: int16 lanes 0-15 take scale `first`, lanes 16-31 scale `first + 1` (a q4_K/q5_K
/// step covers two sub-blocks of 32).
SYQ_K_INLINE __m512i SYQ_K_NAME(pair_index)(int first) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16((short)first)), _mm256_set1_epi16((short)(first + 1)), 1);
}

/// `vpermw` indices: each 128-bit lane j (8 int16 = 16 weights) takes scale `first + j` (q6_K's
/// sub-blocks of 16).
SYQ_K_INLINE __m512i SYQ_K_NAME(scale_index)(int first) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(_mm_set1_epi16((short)(first + 1)), _mm_set1_epi16((short)first))),
                              _mm256_set_m128i(_mm_set1_epi16((short)(first + 3)), _mm_set1_epi16((short)(first + 2))), 1);
}
#endif

/// `syq_scale_min` for the eight sub-blocks of a q4_K / q5_K block at once, on the three 32-bit
/// words of `scales`: byte s of `*sc8` is scale s, of `*mn8` min s.
SYQ_K_INLINE void SYQ_K_NAME(scales_mins8)(const uint8_t *scales, uint64_t *sc8, uint64_t *mn8) {
    uint32_t u0, u1, u2;
    memcpy(&u0, scales, 4); memcpy(&u1, scales + 4, 4); memcpy(&u2, scales + 8, 4);
    *sc8 = (uint64_t)(u0 & 0x3f3f3f3fu) | (uint64_t)((u2 & 0x0f0f0f0fu) | ((u0 >> 2) & 0x30303030u)) << 32;
    *mn8 = (uint64_t)(u1 & 0x3f3f3f3fu) | (uint64_t)(((u2 >> 4) & 0x0f0f0f0fu) | ((u1 >> 2) & 0x30303030u)) << 32;
}

#if SYQ_K_ZMM
/// The six-bit values of half `h` of a q6_K block as two zmm of 64: `z[0]` values 128h .. 128h+63,
/// `z[1]` the next 64 (unsigned, 0..63; `superblock_rows` subtracts the 32).
SYQ_K_INLINE void SYQ_K_NAME(q6_half512)(const syq_block_q6_K *x, int h, __m512i *z) {
    const __m512i low4 = _mm512_set1_epi8(15), three = _mm512_set1_epi8(3);
    const __m512i ql = _mm512_loadu_si512((const void *)(x->ql + 64 * h));
    const __m256i qhv = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * h));
    const __m512i qh = _mm512_inserti64x4(_mm512_castsi256_si512(qhv), _mm256_srli_epi16(qhv, 2), 1);
    z[0] = _mm512_or_si512(_mm512_and_si512(ql, low4), _mm512_slli_epi16(_mm512_and_si512(qh, three), 4));
    z[1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                           _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(qh, 4), three), 4));
}
#else
/// The six-bit values of half `h` of a q6_K block as four ymm of 32 (values 128h + 32g ..).
SYQ_K_INLINE void SYQ_K_NAME(q6_half256)(const syq_block_q6_K *x, int h, __m256i *q) {
    const __m256i low = _mm256_set1_epi8(15), three = _mm256_set1_epi8(3);
    const __m256i qla = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h));
    const __m256i qlb = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h + 32));
    const __m256i qhv = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * h));
    q[0] = _mm256_or_si256(_mm256_and_si256(qla, low), _mm256_slli_epi16(_mm256_and_si256(qhv, three), 4));
    q[1] = _mm256_or_si256(_mm256_and_si256(qlb, low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qhv, 2), three), 4));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qla, 4), low),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qhv, 4), three), 4));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qlb, 4), low),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qhv, 6), three), 4));
}
#endif

/// One superblock of a K-quant weight row for `R` activation rows: adds to acc[r]. The row's
/// superblocks are `bstride` blocks apart (1 in a plain weight, 8 in one interleaved by eight).
SYQ_K_INLINE void SYQ_K_NAME(superblock_rows)(int fmt, int R, const uint8_t *row, long bstride, long i, actK s, long k, long r0, float *acc) {
    const __m256i low = _mm256_set1_epi8(15);
    __m256i sumi[SYQ_K_ROWS];
    for (int r = 0; r < R; r++) sumi[r] = _mm256_setzero_si256();
    float d, dmin = 0;
    __m128i mins = _mm_setzero_si128();
    const long nbk = s.nbk;
#if SYQ_K_ZMM
    // AVX-512: 64 weights a step in one zmm against the 64 activations that follow each other in
    // memory; `maddubs` then `vpdpwssd` multiplies each pair sum by its sub-block scale and adds it,
    // so a step is one load and two instructions per row. The int32 totals are the same exact
    // integers as the 256-bit form's, so the float steps below (shared) round identically.
    if (fmt == SY_QF_Q6_K) {
        const syq_block_q6_K *x = (const syq_block_q6_K *)row + i * bstride;
        // Scales as int16; step p of half h takes scales 8h+4p .. 8h+4p+3, one per 16 bytes.
        const __m512i sc16 = _mm512_castsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales)));
        __m512i acc512[SYQ_K_ROWS];
        for (int r = 0; r < R; r++) acc512[r] = _mm512_setzero_si512();
        for (int h = 0; h < 2; h++) {
            __m512i z[2];
            SYQ_K_NAME(q6_half512)(x, h, z);
            const __m512i z0 = z[0], z1 = z[1];
            const __m512i s0 = _mm512_permutexvar_epi16(SYQ_K_NAME(scale_index)(8 * h), sc16);
            const __m512i s1 = _mm512_permutexvar_epi16(SYQ_K_NAME(scale_index)(8 * h + 4), sc16);
            for (int r = 0; r < R; r++) {
                const int8_t *a = s.qs + (r0 + r) * k + i * SYQ_QK_K + 128 * h;
                acc512[r] = _mm512_dpwssd_epi32(acc512[r], _mm512_maddubs_epi16(z0, _mm512_loadu_si512((const void *)a)), s0);
                acc512[r] = _mm512_dpwssd_epi32(acc512[r], _mm512_maddubs_epi16(z1, _mm512_loadu_si512((const void *)(a + 64))), s1);
            }
        }
        const __m256i sc16y = _mm512_castsi512_si256(sc16);
        for (int r = 0; r < R; r++) {
            const int16_t *b16 = s.bs16 + (r0 + r) * (k / 16) + 16 * i;
            __m256i corr = _mm256_madd_epi16(sc16y, _mm256_loadu_si256((const __m256i *)b16));
            sumi[r] = _mm256_sub_epi32(SYQ_K_NAME(fold512)(acc512[r]), _mm256_slli_epi32(corr, 5));
        }
        d = _cvtsh_ss(x->d);
    } else {
        const syq_kblock blk = syq_kblock_at(fmt, row, i * bstride);
        const uint8_t *scales = blk.scales, *qs = blk.qs, *qhp = blk.qh;
        const uint16_t dh = blk.d, dminh = blk.dmin;
        uint64_t sc8, mn8;
        SYQ_K_NAME(scales_mins8)(scales, &sc8, &mn8);
        mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mn8));
        const __m512i sc16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc8)));
        const __m512i low4 = _mm512_set1_epi8(15), one = _mm512_set1_epi8(1);
        __m512i qh = _mm512_setzero_si512();
        if (fmt == SY_QF_Q5_K) {
            const __m256i qhv = _mm256_loadu_si256((const __m256i *)qhp);
            qh = _mm512_inserti64x4(_mm512_castsi256_si512(qhv), _mm256_srli_epi16(qhv, 1), 1);
        }
        __m512i acc512[SYQ_K_ROWS];
        for (int r = 0; r < R; r++) acc512[r] = _mm512_setzero_si512();
        for (int c = 0; c < 4; c++) {
            // Step c: the 32 low nibbles (values 64c .. 64c+31) then the 32 high ones (64c+32 ..).
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m512i q = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(raw), _mm256_srli_epi16(raw, 4), 1), low4);
            if (fmt == SY_QF_Q5_K) {
                q = _mm512_or_si512(q, _mm512_slli_epi16(_mm512_and_si512(qh, one), 4));
                qh = _mm512_srli_epi16(qh, 2);
            }
            const __m512i scl = _mm512_permutexvar_epi16(SYQ_K_NAME(pair_index)(2 * c), sc16);
            for (int r = 0; r < R; r++) {
                const int8_t *a = s.qs + (r0 + r) * k + i * SYQ_QK_K + 64 * c;
                acc512[r] = _mm512_dpwssd_epi32(acc512[r], _mm512_maddubs_epi16(q, _mm512_loadu_si512((const void *)a)), scl);
            }
        }
        for (int r = 0; r < R; r++) sumi[r] = SYQ_K_NAME(fold512)(acc512[r]);
        d = _cvtsh_ss(dh);
        dmin = _cvtsh_ss(dminh);
    }
#else
    if (fmt == SY_QF_Q6_K) {
        const syq_block_q6_K *x = (const syq_block_q6_K *)row + i * bstride;
        // Scales as int16, 0-7 (then 8-15) in both 128-bit lanes; group g of a half takes scale 2g in
        // the low lane and 2g + 1 in the high one by a byte shuffle (as `rows8_q6_K`).
        const __m256i sc16all = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
        const __m256i halves[2] = {_mm256_permute2x128_si256(sc16all, sc16all, 0x00), _mm256_permute2x128_si256(sc16all, sc16all, 0x11)};
        SYQ_UNROLL for (int h = 0; h < 2; h++) {
            __m256i q[4], sc[4];
            SYQ_K_NAME(q6_half256)(x, h, q);
            for (int g = 0; g < 4; g++) {
                sc[g] = _mm256_shuffle_epi8(halves[h], _mm256_set_m128i(_mm_set1_epi16((short)(0x0302 + 0x0404 * g)),
                                                                        _mm_set1_epi16((short)(0x0100 + 0x0404 * g))));
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
        const syq_kblock blk = syq_kblock_at(fmt, row, i * bstride);
        const uint8_t *scales = blk.scales, *qs = blk.qs, *qhp = blk.qh;
        const uint16_t dh = blk.d, dminh = blk.dmin;
        uint64_t sc8, mn8;
        SYQ_K_NAME(scales_mins8)(scales, &sc8, &mn8);
        mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mn8));
        // The eight scales as int16 in both 128-bit lanes; each step's two broadcast by a byte shuffle.
        const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc8)));
        __m256i qh = fmt == SY_QF_Q5_K ? _mm256_loadu_si256((const __m256i *)qhp) : _mm256_setzero_si256();
        const __m256i one = _mm256_set1_epi8(1);
        SYQ_UNROLL for (int c = 0; c < 4; c++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m256i qlo = _mm256_and_si256(raw, low), qhi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
            if (fmt == SY_QF_Q5_K) {
                qlo = _mm256_or_si256(qlo, _mm256_slli_epi16(_mm256_and_si256(qh, one), 4));
                qhi = _mm256_or_si256(qhi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), one), 4));
                qh = _mm256_srli_epi16(qh, 2);
            }
            const __m256i slo = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16((short)(0x0100 + 0x0404 * c)));
            const __m256i shi = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16((short)(0x0302 + 0x0404 * c)));
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
#endif
#if SYQ_K_ROWS == 8
    if (R == 8) {  // the eight rows' sums reduced and scaled side by side (the same operations per row)
        const __m256i h01 = _mm256_hadd_epi32(sumi[0], sumi[1]), h23 = _mm256_hadd_epi32(sumi[2], sumi[3]);
        const __m256i h45 = _mm256_hadd_epi32(sumi[4], sumi[5]), h67 = _mm256_hadd_epi32(sumi[6], sumi[7]);
        const __m256i lo = _mm256_hadd_epi32(h01, h23), hi = _mm256_hadd_epi32(h45, h67);
        const __m256i isum = _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), _mm256_permute2x128_si256(lo, hi, 0x31));
        const float *dp = s.d + r0 * nbk + i;
        const __m256 da = _mm256_setr_ps(dp[0], dp[nbk], dp[2 * nbk], dp[3 * nbk], dp[4 * nbk], dp[5 * nbk], dp[6 * nbk], dp[7 * nbk]);
        __m256 a = _mm256_loadu_ps(acc);
        a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(d), da), _mm256_cvtepi32_ps(isum)));
        if (fmt != SY_QF_Q6_K) {
            const __m256i mins2 = _mm256_set_m128i(mins, mins);
            const int16_t *b = s.bs32 + r0 * (k / 32) + 8 * i;
            const long stride = k / 32;
            __m256i m[4];
            for (int q = 0; q < 4; q++) {
                __m256i rows = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(b + (2 * q + 1) * stride)),
                                                _mm_loadu_si128((const __m128i *)(b + 2 * q * stride)));
                m[q] = _mm256_madd_epi16(mins2, rows);  // [row 2q: 4 pair sums | row 2q+1: 4 pair sums]
            }
            // Two rounds of pairwise sums give the totals as [r0 r2 r4 r6 | r1 r3 r5 r7]; then rows in order.
            const __m256i x = _mm256_hadd_epi32(_mm256_hadd_epi32(m[0], m[1]), _mm256_hadd_epi32(m[2], m[3]));
            const __m256i msum = _mm256_permutevar8x32_epi32(x, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            a = _mm256_sub_ps(a, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(dmin), da), _mm256_cvtepi32_ps(msum)));
        }
        _mm256_storeu_ps(acc, a);
        return;
    }
#endif
#if !SYQ_K_ZMM
    if (R == 4) {  // the four rows' sums reduced and scaled side by side (the same operations per row)
        const __m128i isum = reduce4(sumi[0], sumi[1], sumi[2], sumi[3]);
        const float *dp = s.d + r0 * nbk + i;
        const __m128 da = _mm_setr_ps(dp[0], dp[nbk], dp[2 * nbk], dp[3 * nbk]);
        __m128 a = _mm_loadu_ps(acc);
        a = _mm_add_ps(a, _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(d), da), _mm_cvtepi32_ps(isum)));
        if (fmt != SY_QF_Q6_K) {
            const int16_t *b = s.bs32 + r0 * (k / 32) + 8 * i;
            const long stride = k / 32;
            __m128i m[4];
            for (int q = 0; q < 4; q++) m[q] = _mm_madd_epi16(mins, _mm_loadu_si128((const __m128i *)(b + q * stride)));
            const __m128i msum = _mm_hadd_epi32(_mm_hadd_epi32(m[0], m[1]), _mm_hadd_epi32(m[2], m[3]));
            a = _mm_sub_ps(a, _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(dmin), da), _mm_cvtepi32_ps(msum)));
        }
        _mm_storeu_ps(acc, a);
        return;
    }
#endif
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

SYQ_K_INLINE void SYQ_K_NAME(tileK)(int fmt, int R, long k, const uint8_t *row, long bstride, actK s, long r0, float *out) {
    float acc[SYQ_K_ROWS] = {0};
    for (long i = 0; i < s.nbk; i++) SYQ_K_NAME(superblock_rows)(fmt, R, row, bstride, i, s, k, r0, acc);
    for (int r = 0; r < R; r++) out[r] = acc[r];
}

/// Decode's product on a q4_K or q5_K weight interleaved by eight: activation row 0 against the
/// group of eight weight rows at `group`, `c[0..7]` written (`store_out` with `beta`). Per superblock
/// the 256 activations stay in registers while the eight rows' blocks, side by side in memory, are
/// read one after the other; each row's integer sums are the exact integers `superblock_rows`
/// computes, and the float steps run in the same order on eight lanes at once (one lane per row),
/// so each output is bit for bit the one the row-by-row kernels give. No software prefetch: the
/// groups are one sequential stream, and prefetching 2, 4 or 8 KB ahead made it 7-25% slower (q4_K).
/// q5_K takes the 256-bit body on both paths (its fifth bits as `superblock_rows` adds them).
SYQ_K_INLINE void SYQ_K_NAME(rows8_q45_K)(int fmt, long k, actK s, const uint8_t *group, float *c, float beta) {
    const long nbk = k / SYQ_QK_K;
    const size_t blockBytes = fmt == SY_QF_Q4_K ? sizeof(syq_block_q4_K) : sizeof(syq_block_q5_K);
    __m256 acc = _mm256_setzero_ps();
#if SYQ_K_ZMM
    const __m512i low4 = _mm512_set1_epi8(15);
    const __m512i idx0 = SYQ_K_NAME(pair_index)(0), idx1 = SYQ_K_NAME(pair_index)(2), idx2 = SYQ_K_NAME(pair_index)(4),
                  idx3 = SYQ_K_NAME(pair_index)(6);
    const int zmm = fmt == SY_QF_Q4_K;
#else
    const int zmm = 0;
#endif
    const __m256i low = _mm256_set1_epi8(15), one = _mm256_set1_epi8(1);
    for (long i = 0; i < nbk; i++) {
        const uint8_t *blocks = group + (size_t)i * 8 * blockBytes;
        const int8_t *a = s.qs + i * SYQ_QK_K;
#if SYQ_K_ZMM
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        if (zmm) {
            a0 = _mm512_loadu_si512((const void *)a); a1 = _mm512_loadu_si512((const void *)(a + 64));
            a2 = _mm512_loadu_si512((const void *)(a + 128)); a3 = _mm512_loadu_si512((const void *)(a + 192));
        }
#endif
        __m256i av[8];
        if (!zmm)
            for (int t = 0; t < 8; t++) av[t] = _mm256_loadu_si256((const __m256i *)(a + 32 * t));
        __m256i sumi[8];
        __m128i mins[8];
        uint16_t dh[8], dminh[8];
        for (int q = 0; q < 8; q++) {
            const syq_kblock x = syq_kblock_at(fmt, blocks, q);
            uint64_t sc8, mn8;
            SYQ_K_NAME(scales_mins8)(x.scales, &sc8, &mn8);
            mins[q] = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mn8));
            dh[q] = x.d;
            dminh[q] = x.dmin;
#if SYQ_K_ZMM
            if (zmm) {
                const __m512i sc16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc8)));
                const __m256i r0 = _mm256_loadu_si256((const __m256i *)x.qs), r1 = _mm256_loadu_si256((const __m256i *)(x.qs + 32)),
                              r2 = _mm256_loadu_si256((const __m256i *)(x.qs + 64)), r3 = _mm256_loadu_si256((const __m256i *)(x.qs + 96));
                const __m512i q0 = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(r0), _mm256_srli_epi16(r0, 4), 1), low4);
                const __m512i q1 = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(r1), _mm256_srli_epi16(r1, 4), 1), low4);
                const __m512i q2 = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(r2), _mm256_srli_epi16(r2, 4), 1), low4);
                const __m512i q3 = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(r3), _mm256_srli_epi16(r3, 4), 1), low4);
                __m512i t = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_maddubs_epi16(q0, a0), _mm512_permutexvar_epi16(idx0, sc16));
                t = _mm512_dpwssd_epi32(t, _mm512_maddubs_epi16(q1, a1), _mm512_permutexvar_epi16(idx1, sc16));
                t = _mm512_dpwssd_epi32(t, _mm512_maddubs_epi16(q2, a2), _mm512_permutexvar_epi16(idx2, sc16));
                t = _mm512_dpwssd_epi32(t, _mm512_maddubs_epi16(q3, a3), _mm512_permutexvar_epi16(idx3, sc16));
                sumi[q] = SYQ_K_NAME(fold512)(t);
                continue;
            }
#endif
            // The eight scales as int16 in both 128-bit lanes; each step's two broadcast by a byte shuffle.
            const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc8)));
            __m256i qh = fmt == SY_QF_Q5_K ? _mm256_loadu_si256((const __m256i *)x.qh) : _mm256_setzero_si256();
            __m256i t = _mm256_setzero_si256();
            SYQ_UNROLL for (int c4 = 0; c4 < 4; c4++) {
                const __m256i raw = _mm256_loadu_si256((const __m256i *)(x.qs + 32 * c4));
                __m256i qlo = _mm256_and_si256(raw, low), qhi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
                if (fmt == SY_QF_Q5_K) {
                    qlo = _mm256_or_si256(qlo, _mm256_slli_epi16(_mm256_and_si256(qh, one), 4));
                    qhi = _mm256_or_si256(qhi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), one), 4));
                    qh = _mm256_srli_epi16(qh, 2);
                }
                const __m256i slo = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16((short)(0x0100 + 0x0404 * c4)));
                const __m256i shi = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16((short)(0x0302 + 0x0404 * c4)));
                t = _mm256_add_epi32(t, _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(qlo, av[2 * c4]), slo),
                                                         _mm256_madd_epi16(_mm256_maddubs_epi16(qhi, av[2 * c4 + 1]), shi)));
            }
            sumi[q] = t;
        }
        // The eight rows' totals side by side, then `acc += (d * da) * isum; acc -= (dmin * da) * msum`.
        const __m256i h01 = _mm256_hadd_epi32(sumi[0], sumi[1]), h23 = _mm256_hadd_epi32(sumi[2], sumi[3]);
        const __m256i h45 = _mm256_hadd_epi32(sumi[4], sumi[5]), h67 = _mm256_hadd_epi32(sumi[6], sumi[7]);
        const __m256i lo = _mm256_hadd_epi32(h01, h23), hi = _mm256_hadd_epi32(h45, h67);
        const __m256i isum = _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), _mm256_permute2x128_si256(lo, hi, 0x31));
        const __m256 da = _mm256_set1_ps(s.d[i]);
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)dh));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)dminh));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(d, da), _mm256_cvtepi32_ps(isum)));
        const __m128i b = _mm_loadu_si128((const __m128i *)(s.bs32 + 8 * i));
        const __m256i bb = _mm256_set_m128i(b, b);
        __m256i m[4];
        for (int p = 0; p < 4; p++) m[p] = _mm256_madd_epi16(_mm256_set_m128i(mins[2 * p + 1], mins[2 * p]), bb);
        // [row 2p: 4 pair sums | row 2p+1: 4 pair sums]; two rounds of pairwise sums, then rows in order.
        const __m256i x = _mm256_hadd_epi32(_mm256_hadd_epi32(m[0], m[1]), _mm256_hadd_epi32(m[2], m[3]));
        const __m256i msum = _mm256_permutevar8x32_epi32(x, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        acc = _mm256_sub_ps(acc, _mm256_mul_ps(_mm256_mul_ps(dmin, da), _mm256_cvtepi32_ps(msum)));
    }
    if (beta == 0.0f) _mm256_storeu_ps(c, acc);
    else _mm256_storeu_ps(c, _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(c))));
}

/// `rows8_q45_K` for q6_K: per row the integer sum `superblock_rows` computes (six-bit values times
/// their scales, less 32 times the scaled sums of 16 activations), then `acc += (d * da) * isum`
/// on eight lanes.
SYQ_K_INLINE void SYQ_K_NAME(rows8_q6_K)(long k, actK s, const uint8_t *group, float *c, float beta) {
    const long nbk = k / SYQ_QK_K;
    __m256 acc = _mm256_setzero_ps();
#if SYQ_K_ZMM
    const __m512i idx0 = SYQ_K_NAME(scale_index)(0), idx1 = SYQ_K_NAME(scale_index)(4), idx2 = SYQ_K_NAME(scale_index)(8),
                  idx3 = SYQ_K_NAME(scale_index)(12);
#endif
    for (long i = 0; i < nbk; i++) {
        const syq_block_q6_K *blocks = (const syq_block_q6_K *)group + i * 8;
        const int8_t *a = s.qs + i * SYQ_QK_K;
        const __m256i b16 = _mm256_loadu_si256((const __m256i *)(s.bs16 + 16 * i));
#if SYQ_K_ZMM
        const __m512i av[4] = {_mm512_loadu_si512((const void *)a), _mm512_loadu_si512((const void *)(a + 64)),
                               _mm512_loadu_si512((const void *)(a + 128)), _mm512_loadu_si512((const void *)(a + 192))};
#else
        __m256i av[8];
        for (int t = 0; t < 8; t++) av[t] = _mm256_loadu_si256((const __m256i *)(a + 32 * t));
#endif
        __m256i sumi[8];
        uint16_t dh[8];
        for (int q = 0; q < 8; q++) {
            const syq_block_q6_K *x = blocks + q;
            const __m256i sc16y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
            dh[q] = x->d;
#if SYQ_K_ZMM
            const __m512i sc16 = _mm512_castsi256_si512(sc16y);
            __m512i t = _mm512_setzero_si512();
            for (int h = 0; h < 2; h++) {
                __m512i z[2];
                SYQ_K_NAME(q6_half512)(x, h, z);
                t = _mm512_dpwssd_epi32(t, _mm512_maddubs_epi16(z[0], av[2 * h]), _mm512_permutexvar_epi16(h ? idx2 : idx0, sc16));
                t = _mm512_dpwssd_epi32(t, _mm512_maddubs_epi16(z[1], av[2 * h + 1]), _mm512_permutexvar_epi16(h ? idx3 : idx1, sc16));
            }
            const __m256i total = SYQ_K_NAME(fold512)(t);
#else
            // Scales 0-7 (then 8-15) as int16 in both 128-bit lanes; group g of a half takes scale 2g
            // in the low lane and 2g + 1 in the high one, broadcast by a byte shuffle.
            const __m256i halves[2] = {_mm256_permute2x128_si256(sc16y, sc16y, 0x00), _mm256_permute2x128_si256(sc16y, sc16y, 0x11)};
            __m256i total = _mm256_setzero_si256();
            SYQ_UNROLL for (int h = 0; h < 2; h++) {
                __m256i z[4];
                SYQ_K_NAME(q6_half256)(x, h, z);
                for (int g = 0; g < 4; g++) {
                    const __m256i sc = _mm256_shuffle_epi8(halves[h], _mm256_set_m128i(_mm_set1_epi16((short)(0x0302 + 0x0404 * g)),
                                                                                       _mm_set1_epi16((short)(0x0100 + 0x0404 * g))));
                    total = _mm256_add_epi32(total, _mm256_madd_epi16(_mm256_maddubs_epi16(z[g], av[4 * h + g]), sc));
                }
            }
#endif
            sumi[q] = _mm256_sub_epi32(total, _mm256_slli_epi32(_mm256_madd_epi16(sc16y, b16), 5));
        }
        const __m256i h01 = _mm256_hadd_epi32(sumi[0], sumi[1]), h23 = _mm256_hadd_epi32(sumi[2], sumi[3]);
        const __m256i h45 = _mm256_hadd_epi32(sumi[4], sumi[5]), h67 = _mm256_hadd_epi32(sumi[6], sumi[7]);
        const __m256i lo = _mm256_hadd_epi32(h01, h23), hi = _mm256_hadd_epi32(h45, h67);
        const __m256i isum = _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), _mm256_permute2x128_si256(lo, hi, 0x31));
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)dh));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(d, _mm256_set1_ps(s.d[i])), _mm256_cvtepi32_ps(isum)));
    }
    if (beta == 0.0f) _mm256_storeu_ps(c, acc);
    else _mm256_storeu_ps(c, _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(c))));
}

/// A weight row's first superblock and the blocks between its superblocks: a plain row, or one of
/// `grouped` rows interleaved by eight (`SY_QF_ROWS8`), whose superblocks are eight blocks apart.
SYQ_K_INLINE const uint8_t *SYQ_K_NAME(k_row)(const uint8_t *w, size_t rowBytes, size_t blockBytes, long grouped, long j, long *bstride) {
    if (j < grouped) {
        *bstride = 8;
        return w + (size_t)(j & ~7L) * rowBytes + (size_t)(j & 7) * blockBytes;
    }
    *bstride = 1;
    return w + (size_t)j * rowBytes;
}

/// Activation rows `r0 ..< r0 + R` against weight rows `b0 ..< b1` (one tile per weight row).
/// `first`: the block's first pass, which asks for the weights ahead (later passes find them in L2).
SYQ_K_INLINE void SYQ_K_NAME(k_pass)(int F, int R, long k, actK s, const uint8_t *w, size_t rowBytes, long grouped,
                                      long r0, long b0, long b1, long end, int first, float *c, long ldc, float beta) {
    const size_t blockBytes = (size_t)sy_qf_block_bytes(F);
    float out[SYQ_K_ROWS];
    for (long j = b0; j < b1; j++) {
        long bstride;
        const uint8_t *row = SYQ_K_NAME(k_row)(w, rowBytes, blockBytes, grouped, j, &bstride);
        if (first) prefetch_ahead(w + (size_t)j * rowBytes, rowBytes, w + (size_t)end * rowBytes);
        SYQ_K_NAME(tileK)(F, R, k, row, bstride, s, r0, out);
        for (int r = 0; r < R; r++) store_out(c + (r0 + r) * ldc + j, out[r], beta);
    }
}

/// Weight bytes a block of rows takes in `SYQ_K_NAME(gemmK)`: every activation tile passes over the
/// block while it stays in L2 (512 KB a core on Zen 3 / 4; 1-2 MB on Intel), so each weight byte comes
/// from memory once and the tile's activations (8 rows of k int8) stay in L1 across the block. One
/// weight row against all activation rows in turn instead read m x k bytes from L2 or L3 per weight
/// row: q4_K [2048, 1024] at 512 rows 36 GMAC/s against 43 at 64 rows, one core.
#define SYQ_K_BLOCK_BYTES (192 * 1024)

/// Rows `j0 ..< j1` of a K-quant product, in blocks of weight rows (see `SYQ_K_BLOCK_BYTES`).
/// `rows8`: the weight's `n` rows are interleaved by eight (see `SY_QF_ROWS8`); decode takes whole
/// groups with `rows8_q45_K` / `rows8_q6_K`, every other product reads a row's superblocks eight blocks
/// apart, row after row. A block's first pass asks, per row, for the bytes `SYQ_PREFETCH_BYTES` past
/// its plain-layout place, so the next rows arrive a row's worth at a time: asking for a whole group
/// at once made two to eight activation rows 1.3x slower (q4_K, weights past the caches; a group sweep
/// superblock by superblock was slower too), this is within 1-3% of the plain layout from 2 to 64 rows
/// (`scripts/block-kernel-bench.sh`'s harness).
SYQ_K_INLINE void SYQ_K_NAME(gemmK)(int F, long m, long n, long k, actK s, const uint8_t *w, size_t rowBytes, int rows8,
                                     float *c, long ldc, float beta, long j0, long j1) {
    const long grouped = rows8 ? (n & ~7L) : 0;
    if (m == 1) {
        for (long j = j0; j < j1; j++) {
            if (j < grouped && (j & 7) == 0 && j + 8 <= j1) {
                const uint8_t *group = w + (size_t)j * rowBytes;
                if (F != SY_QF_Q6_K) SYQ_K_NAME(rows8_q45_K)(F, k, s, group, c + j, beta);
                else SYQ_K_NAME(rows8_q6_K)(k, s, group, c + j, beta);
                j += 7;
                continue;
            }
            SYQ_K_NAME(k_pass)(F, 1, k, s, w, rowBytes, grouped, 0, j, j + 1, j1, 1, c, ldc, beta);
        }
        return;
    }
    long rowsPerBlock = ((long)(SYQ_K_BLOCK_BYTES / rowBytes)) & ~7L;
    if (rowsPerBlock < 8) rowsPerBlock = 8;
    for (long b0 = j0; b0 < j1;) {
        const long b1 = b0 + rowsPerBlock < j1 ? b0 + rowsPerBlock : j1;
        long r0 = 0;
        for (; r0 + SYQ_K_ROWS <= m; r0 += SYQ_K_ROWS)
            SYQ_K_NAME(k_pass)(F, SYQ_K_ROWS, k, s, w, rowBytes, grouped, r0, b0, b1, j1, r0 == 0, c, ldc, beta);
        if (SYQ_K_ROWS > 4 && r0 + 4 <= m) {
            SYQ_K_NAME(k_pass)(F, 4, k, s, w, rowBytes, grouped, r0, b0, b1, j1, r0 == 0, c, ldc, beta);
            r0 += 4;
        }
        const int rest = (int)(m - r0);
        if (rest == 1) SYQ_K_NAME(k_pass)(F, 1, k, s, w, rowBytes, grouped, r0, b0, b1, j1, r0 == 0, c, ldc, beta);
        else if (rest == 2) SYQ_K_NAME(k_pass)(F, 2, k, s, w, rowBytes, grouped, r0, b0, b1, j1, r0 == 0, c, ldc, beta);
        else if (rest == 3) SYQ_K_NAME(k_pass)(F, 3, k, s, w, rowBytes, grouped, r0, b0, b1, j1, r0 == 0, c, ldc, beta);
        b0 = b1;
    }
}

#define SYQ_K_TILEK(F, NAME)                                                                                    \
    SYQ_K_FUNCTION static void NAME(long m, long n, long k, actK s, const uint8_t *w, size_t rowBytes, int rows8, \
                                    float *c, long ldc, float beta, long j0, long j1) {                         \
        SYQ_K_NAME(gemmK)(F, m, n, k, s, w, rowBytes, rows8, c, ldc, beta, j0, j1);                              \
    }

SYQ_K_TILEK(SY_QF_Q4_K, SYQ_K_NAME(gemm_q4_K))
SYQ_K_TILEK(SY_QF_Q5_K, SYQ_K_NAME(gemm_q5_K))
SYQ_K_TILEK(SY_QF_Q6_K, SYQ_K_NAME(gemm_q6_K))

#undef SYQ_K_TILEK
