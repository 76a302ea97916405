// The 32-block kernels (q8_0, q4_0, q4_1, mxfp4) for one x86 instruction set: included by QuantGEMM.c
// once per path, with no include guard. The includer defines
//   SYQ_K_INLINE         attributes of the inlined helpers (their target features)
//   SYQ_K_FUNCTION       attributes of the kernels themselves
//   SYQ_K_NAME(x)        x with the path's suffix (x_avx2, x_avx512)
//   SYQ_K_DOT_U8S8(u, s) eight int32 lanes, lane l = sum of the four products u[4l+i] * s[4l+i]
//                        (unsigned bytes by signed bytes, exact)
// and gets gemm_q8_0, gemm_q4_0, gemm_q4_1 and gemm_mxfp4 with that suffix. Every path sums the same exact
// integers and rounds the same float operations in the same order, so they agree bit for bit.

/// Loads four blocks of a weight row (see `wgroup`); blocks past `count` are zero. The row's blocks
/// are `bstride` blocks apart (1, or 8 in a weight interleaved by eight: `SY_QF_ROWS8`).
SYQ_K_INLINE wgroup SYQ_K_NAME(load_group)(int fmt, const uint8_t *row, long bstride, long b0, int count) {
    wgroup g;
    uint16_t dh[4] = {0, 0, 0, 0}, mh[4] = {0, 0, 0, 0};
    float de[4] = {0, 0, 0, 0};
    const __m256i low = _mm256_set1_epi8(15);
    for (int i = 0; i < 4; i++) {
        if (i >= count) {
            g.q[i] = _mm256_setzero_si256();
            g.aq[i] = g.q[i];
            continue;
        }
        if (fmt == SY_QF_Q8_0) {
            const syq_block_q8_0 *x = (const syq_block_q8_0 *)row + (b0 + i) * bstride;
            g.q[i] = _mm256_loadu_si256((const __m256i *)x->qs);
            g.aq[i] = _mm256_sign_epi8(g.q[i], g.q[i]);
            dh[i] = x->d;
        } else if (fmt == SY_QF_MXFP4) {
            // Nibbles to their signed doubled E2M1 values by table lookup; then as q8_0 (sign trick).
            const syq_block_mxfp4 *x = (const syq_block_mxfp4 *)row + (b0 + i) * bstride;
            const __m128i table = _mm_loadu_si128((const __m128i *)syq_mxfp4_values);
            __m128i raw = _mm_loadu_si128((const __m128i *)x->qs);
            __m128i lo = _mm_shuffle_epi8(table, _mm_and_si128(raw, _mm256_castsi256_si128(low)));
            __m128i hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(raw, 4), _mm256_castsi256_si128(low)));
            g.q[i] = _mm256_set_m128i(hi, lo);
            g.aq[i] = _mm256_sign_epi8(g.q[i], g.q[i]);
            de[i] = syq_e8m0_half(x->e);
        } else {
            const uint8_t *qs;
            if (fmt == SY_QF_Q4_0) {
                const syq_block_q4_0 *x = (const syq_block_q4_0 *)row + (b0 + i) * bstride;
                qs = x->qs; dh[i] = x->d;
            } else {
                const syq_block_q4_1 *x = (const syq_block_q4_1 *)row + (b0 + i) * bstride;
                qs = x->qs; dh[i] = x->d; mh[i] = x->m;
            }
            __m128i raw = _mm_loadu_si128((const __m128i *)qs);
            g.q[i] = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low);
            g.aq[i] = g.q[i];
        }
    }
    g.d = fmt == SY_QF_MXFP4 ? _mm_loadu_ps(de)
                             : _mm_cvtph_ps(_mm_setr_epi16((short)dh[0], (short)dh[1], (short)dh[2], (short)dh[3], 0, 0, 0, 0));
    g.m = _mm_cvtph_ps(_mm_setr_epi16((short)mh[0], (short)mh[1], (short)mh[2], (short)mh[3], 0, 0, 0, 0));
    return g;
}

/// One group of 4 blocks for `R` activation rows against one weight row.
SYQ_K_INLINE void SYQ_K_NAME(group_rows)(int fmt, int R, const wgroup *g, act32 s, long r0, long b0, __m128 *acc) {
    for (int r = 0; r < R; r++) {
        const long row = r0 + r;
        const int8_t *a = s.qs + (row * s.nb4 + b0) * SYQ_QK;
        __m256i v[4];
        for (int i = 0; i < 4; i++) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(a + SYQ_QK * i));
            v[i] = fmt == SY_QF_Q8_0 || fmt == SY_QF_MXFP4 ? SYQ_K_DOT_U8S8(g->aq[i], _mm256_sign_epi8(x, g->q[i]))
                                     : SYQ_K_DOT_U8S8(g->q[i], x);
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

SYQ_K_INLINE void SYQ_K_NAME(tile32)(int fmt, int R, long nb, const uint8_t *row, long bstride, act32 s, long r0, float *out) {
    __m128 acc[4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
    long b0 = 0;
    for (; b0 + 4 <= nb; b0 += 4) {
        wgroup g = SYQ_K_NAME(load_group)(fmt, row, bstride, b0, 4);
        SYQ_K_NAME(group_rows)(fmt, R, &g, s, r0, b0, acc);
    }
    if (b0 < nb) {
        wgroup g = SYQ_K_NAME(load_group)(fmt, row, bstride, b0, (int)(nb - b0));
        SYQ_K_NAME(group_rows)(fmt, R, &g, s, r0, b0, acc);
    }
    for (int r = 0; r < R; r++) out[r] = hsum4_ps(acc[r]);
}

/// The end of a group kernel (`rows8_q8_0`, `rows8_q4`): adds `tile32`'s padding blocks ((0 * 0) * 0,
/// as there) to `R` rows of per-position accumulators (eight lanes, one per weight row), sums them as
/// `tile32` does ((acc0 + acc2) + (acc1 + acc3)) and stores row r's eight outputs at `c + r * ldc`.
SYQ_K_INLINE void SYQ_K_NAME(rows8_store)(int R, long nb, __m256 acc[][4], float *c, long ldc, float beta) {
    for (long b = nb; b & 3; b++)
        for (int r = 0; r < R; r++) acc[r][b & 3] = _mm256_add_ps(acc[r][b & 3], _mm256_setzero_ps());
    for (int r = 0; r < R; r++) {
        float *out = c + r * ldc;
        __m256 sums = _mm256_add_ps(_mm256_add_ps(acc[r][0], acc[r][2]), _mm256_add_ps(acc[r][1], acc[r][3]));
        if (beta != 0.0f) sums = _mm256_add_ps(sums, _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(out)));
        _mm256_storeu_ps(out, sums);
    }
}

/// Decode's product on a q8_0 weight interleaved by eight (`SY_QF_ROWS8`):
/// `R` (1 to 4) activation rows from `r0` against the group of eight rows at `group`, row r's
/// outputs at `c + r * ldc`, eight of them. Per block the eight rows' blocks, side by side, are read
/// in order once for the `R` activation rows; each row's integer sums are `group_rows`'s exact
/// integers, and the float steps run in the same order on eight lanes (lane q: weight row q), one
/// accumulator per block position mod 4 as `tile32`'s four lanes (whose last group adds the zero
/// products of its padding blocks: so does this), so each output is bit for bit the row kernel's.
/// Against the row kernel on the same layout (a row's blocks 272 bytes apart), bench
/// [4096, 1024] past the caches, one core, Zen 3: m = 1 read 14-15 GB/s against 12-14 for plain rows.
SYQ_K_INLINE void SYQ_K_NAME(rows8_q8_0)(int R, long nb, act32 s, long r0, const uint8_t *group, float *c, long ldc, float beta) {
    __m256 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int p = 0; p < 4; p++) acc[r][p] = _mm256_setzero_ps();
    for (long b = 0; b < nb; b++) {
        const syq_block_q8_0 *blocks = (const syq_block_q8_0 *)group + b * 8;
        uint16_t dh[8];
        for (int q = 0; q < 8; q++) dh[q] = blocks[q].d;
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)dh));
        for (int r = 0; r < R; r++) {
            const long row = r0 + r;
            const __m256i a = _mm256_loadu_si256((const __m256i *)(s.qs + (row * s.nb4 + b) * SYQ_QK));
            __m256i v[8];
            for (int q = 0; q < 8; q++) {
                const __m256i wq = _mm256_loadu_si256((const __m256i *)blocks[q].qs);
                v[q] = SYQ_K_DOT_U8S8(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(a, wq));
            }
            // The eight rows' totals side by side (lane q: row q), as in `rows8_q45_K`.
            const __m256i h01 = _mm256_hadd_epi32(v[0], v[1]), h23 = _mm256_hadd_epi32(v[2], v[3]);
            const __m256i h45 = _mm256_hadd_epi32(v[4], v[5]), h67 = _mm256_hadd_epi32(v[6], v[7]);
            const __m256i lo = _mm256_hadd_epi32(h01, h23), hi = _mm256_hadd_epi32(h45, h67);
            const __m256i isum = _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), _mm256_permute2x128_si256(lo, hi, 0x31));
            const __m256 sc = _mm256_mul_ps(dw, _mm256_set1_ps(s.d[row * s.nb4 + b]));
            acc[r][b & 3] = _mm256_add_ps(acc[r][b & 3], _mm256_mul_ps(sc, _mm256_cvtepi32_ps(isum)));
        }
    }
    SYQ_K_NAME(rows8_store)(R, nb, acc, c, ldc, beta);
}

/// Bytes of one block of a 32-block format, and where its 16 value bytes start (q4_0, q4_1, mxfp4):
/// `sy_qf_block_bytes` as a compile-time constant at each use (`F` is one), so the group kernel's
/// per-block offsets fold into its loads rather than waiting on a call into another file.
#define SYQ_BLOCK32_BYTES(fmt) ((fmt) == SY_QF_Q8_0 ? sizeof(syq_block_q8_0) : (fmt) == SY_QF_Q4_0 ? sizeof(syq_block_q4_0) \
                                : (fmt) == SY_QF_Q4_1 ? sizeof(syq_block_q4_1) : sizeof(syq_block_mxfp4))
#define SYQ_NIBBLES_AT(fmt) ((fmt) == SY_QF_Q4_0 ? offsetof(syq_block_q4_0, qs) : (fmt) == SY_QF_Q4_1 ? offsetof(syq_block_q4_1, qs) \
                             : offsetof(syq_block_mxfp4, qs))

/// The product on a q4_0, q4_1 or mxfp4 weight interleaved by eight (`SY_QF_ROWS8`, a unit is one
/// block): `R` (1 to 4) activation rows from `r0` against the group of eight rows at `group`, row r's
/// eight outputs at `c + r * ldc`. Per block the eight rows' value bytes are transposed in registers
/// so that 32-bit lane q holds four bytes of row q; each activation's four matching bytes are
/// broadcast, so the products of all eight rows build up side by side, with no horizontal sums: the
/// `maddubs` pair sums of a block (at most 2 * 15 * 127 each, eight to a lane: below 32767) add up in
/// int16, one `madd` makes them the row's exact block sum. mxfp4's values v (-12..12) are taken as
/// v + 12 (unsigned, so no sign trick) and 12 times the activations' block sum taken off: pair sums
/// up to 2 * 24 * 127, so two int16 sums of four. From there the float steps are
/// `tile32`'s on eight lanes (lane q: row q; one accumulator per block position mod 4, its padding
/// blocks' zeros added as there), so each output is bit for bit the row kernel's.
SYQ_K_INLINE void SYQ_K_NAME(rows8_q4)(int fmt, int R, long nb, act32 s, long r0, const uint8_t *group, float *c, long ldc, float beta) {
    const size_t bb = SYQ_BLOCK32_BYTES(fmt), at = SYQ_NIBBLES_AT(fmt);
    const __m256i low = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
    // mxfp4's doubled E2M1 values plus 12 (0..24), nibble by nibble.
    const __m256i table = _mm256_setr_epi8(12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0,
                                           12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0);
    __m256 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int p = 0; p < 4; p++) acc[r][p] = _mm256_setzero_ps();
    for (long b = 0; b < nb; b++) {
        const uint8_t *unit = group + (size_t)b * 8 * bb;
        __m256i z[4];
        for (int q = 0; q < 4; q++)
            z[q] = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(unit + (q + 4) * bb + at)), _mm_loadu_si128((const __m128i *)(unit + q * bb + at)));
        // y[c], lane q: row q's value bytes 4c .. 4c + 3 (low nibbles: values 4c.., high: 16 + 4c..).
        const __m256i t0 = _mm256_unpacklo_epi32(z[0], z[1]), t1 = _mm256_unpackhi_epi32(z[0], z[1]);
        const __m256i t2 = _mm256_unpacklo_epi32(z[2], z[3]), t3 = _mm256_unpackhi_epi32(z[2], z[3]);
        const __m256i y[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2), _mm256_unpacklo_epi64(t1, t3),
                              _mm256_unpackhi_epi64(t1, t3)};
        __m256i lo[4], hi[4];  // unsigned values: q4_0 / q4_1 nibbles, mxfp4 v + 12
        for (int q = 0; q < 4; q++) {
            lo[q] = _mm256_and_si256(y[q], low);
            hi[q] = _mm256_and_si256(_mm256_srli_epi16(y[q], 4), low);
            if (fmt == SY_QF_MXFP4) {
                lo[q] = _mm256_shuffle_epi8(table, lo[q]);
                hi[q] = _mm256_shuffle_epi8(table, hi[q]);
            }
        }
        uint16_t dh[8], mh[8];
        float de[8];
        for (int q = 0; q < 8; q++) {
            const uint8_t *x = unit + q * bb;
            if (fmt == SY_QF_MXFP4) de[q] = syq_e8m0_half(x[0]);
            else memcpy(&dh[q], x, 2);
            if (fmt == SY_QF_Q4_1) memcpy(&mh[q], x + 2, 2);
        }
        const __m256 dw = fmt == SY_QF_MXFP4 ? _mm256_loadu_ps(de) : _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)dh));
        const __m256 mw = fmt == SY_QF_Q4_1 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)mh)) : _mm256_setzero_ps();
        for (int r = 0; r < R; r++) {
            const long row = r0 + r;
            const int8_t *a = s.qs + (row * s.nb4 + b) * SYQ_QK;
            __m256i p16[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};  // vectors 0-1, 2-3
            for (int q = 0; q < 4; q++) {
                int32_t al, ah;
                memcpy(&al, a + 4 * q, 4);
                memcpy(&ah, a + 16 + 4 * q, 4);
                p16[q >> 1] = _mm256_add_epi16(p16[q >> 1], _mm256_maddubs_epi16(lo[q], _mm256_set1_epi32(al)));
                p16[q >> 1] = _mm256_add_epi16(p16[q >> 1], _mm256_maddubs_epi16(hi[q], _mm256_set1_epi32(ah)));
            }
            __m256i isum;
            if (fmt == SY_QF_MXFP4) {
                isum = _mm256_add_epi32(_mm256_madd_epi16(p16[0], ones), _mm256_madd_epi16(p16[1], ones));
                isum = _mm256_sub_epi32(isum, _mm256_set1_epi32(s.sum[row * s.nb4 + b] * 12));
            } else {
                isum = _mm256_madd_epi16(_mm256_add_epi16(p16[0], p16[1]), ones);
            }
            if (fmt == SY_QF_Q4_0) isum = _mm256_sub_epi32(isum, _mm256_set1_epi32(s.sum[row * s.nb4 + b] << 3));
            const __m256 sc = _mm256_mul_ps(dw, _mm256_set1_ps(s.d[row * s.nb4 + b]));
            acc[r][b & 3] = _mm256_add_ps(acc[r][b & 3], _mm256_mul_ps(sc, _mm256_cvtepi32_ps(isum)));
            if (fmt == SY_QF_Q4_1) acc[r][b & 3] = _mm256_add_ps(acc[r][b & 3], _mm256_mul_ps(mw, _mm256_set1_ps(s.sa[row * s.nb4 + b])));
        }
    }
    SYQ_K_NAME(rows8_store)(R, nb, acc, c, ldc, beta);
}

/// `grouped`: the first rows interleaved by eight, 0 for a plain weight; a product takes their whole
/// groups with `rows8_q8_0` or `rows8_q4` (1 to 4 activation rows a pass), the rows outside
/// whole groups read a row's blocks eight apart.
#define SYQ_K_TILE32(F, NAME)                                                                                   \
    SYQ_K_FUNCTION static void NAME(long m, long k, act32 s, const uint8_t *w, size_t rowBytes, long grouped,     \
                              float *c, long ldc, float beta, long j0, long j1) {                               \
        const long nb = k / SYQ_QK;                                                                             \
        float out[4];                                                                                           \
        for (long j = j0; j < j1; j++) {                                                                        \
            const uint8_t *row = w + (size_t)j * rowBytes;                                                      \
            long bstride = 1;                                                                                   \
            if (j < grouped) {                                                                                  \
                if ((j & 7) == 0 && j + 8 <= j1) {                                                              \
                    long g0 = 0;                                                                                \
                    if (F == SY_QF_Q8_0) {                                                                      \
                        for (; g0 + 4 <= m; g0 += 4) SYQ_K_NAME(rows8_q8_0)(4, nb, s, g0, row, c + g0 * ldc + j, ldc, beta); \
                        if (m - g0 == 3) SYQ_K_NAME(rows8_q8_0)(3, nb, s, g0, row, c + g0 * ldc + j, ldc, beta); \
                        else if (m - g0 == 2) SYQ_K_NAME(rows8_q8_0)(2, nb, s, g0, row, c + g0 * ldc + j, ldc, beta); \
                        else if (m - g0 == 1) SYQ_K_NAME(rows8_q8_0)(1, nb, s, g0, row, c + g0 * ldc + j, ldc, beta); \
                    } else {                                                                                    \
                        for (; g0 + 4 <= m; g0 += 4) SYQ_K_NAME(rows8_q4)(F, 4, nb, s, g0, row, c + g0 * ldc + j, ldc, beta); \
                        if (m - g0 == 3) SYQ_K_NAME(rows8_q4)(F, 3, nb, s, g0, row, c + g0 * ldc + j, ldc, beta);  \
                        else if (m - g0 == 2) SYQ_K_NAME(rows8_q4)(F, 2, nb, s, g0, row, c + g0 * ldc + j, ldc, beta); \
                        else if (m - g0 == 1) SYQ_K_NAME(rows8_q4)(F, 1, nb, s, g0, row, c + g0 * ldc + j, ldc, beta); \
                    }                                                                                           \
                    j += 7;                                                                                     \
                    continue;                                                                                   \
                }                                                                                               \
                row = w + (size_t)(j & ~7L) * rowBytes + (size_t)(j & 7) * SYQ_BLOCK32_BYTES(F);                \
                bstride = 8;                                                                                    \
                /* a row's blocks eight blocks apart: ask for its plain-layout place ahead, as the K-quants do */ \
                prefetch_ahead(w + (size_t)j * rowBytes, rowBytes, w + (size_t)j1 * rowBytes);                  \
            }                                                                                                   \
            long r0 = 0;                                                                                        \
            for (; r0 + 4 <= m; r0 += 4) {                                                                      \
                SYQ_K_NAME(tile32)(F, 4, nb, row, bstride, s, r0, out);                                         \
                for (int r = 0; r < 4; r++) store_out(c + (r0 + r) * ldc + j, out[r], beta);                    \
            }                                                                                                   \
            int rest = (int)(m - r0);                                                                           \
            if (rest == 1) SYQ_K_NAME(tile32)(F, 1, nb, row, bstride, s, r0, out);                              \
            else if (rest == 2) SYQ_K_NAME(tile32)(F, 2, nb, row, bstride, s, r0, out);                         \
            else if (rest == 3) SYQ_K_NAME(tile32)(F, 3, nb, row, bstride, s, r0, out);                         \
            for (int r = 0; r < rest; r++) store_out(c + (r0 + r) * ldc + j, out[r], beta);                     \
        }                                                                                                       \
    }

SYQ_K_TILE32(SY_QF_Q8_0, SYQ_K_NAME(gemm_q8_0))
SYQ_K_TILE32(SY_QF_Q4_0, SYQ_K_NAME(gemm_q4_0))
SYQ_K_TILE32(SY_QF_Q4_1, SYQ_K_NAME(gemm_q4_1))
SYQ_K_TILE32(SY_QF_MXFP4, SYQ_K_NAME(gemm_mxfp4))

#undef SYQ_K_TILE32
#undef SYQ_BLOCK32_BYTES
#undef SYQ_NIBBLES_AT
