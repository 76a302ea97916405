// f32 <-> bfloat16 conversions of the rows that travel between the router and its workers: the
// router narrows the rows it dispatches and widens-and-adds the replies, a worker widens what it
// receives and narrows its reply in place. All four run on the critical path of every layer, so
// they are vector loops, not one call per element. Integer rounding keeps AVX2 and the portable
// loop bit-identical.
#include "CKernels.h"
#include <string.h>

// The wire's byte order is little-endian and these loops copy values as they lie in memory.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "WireConvert.c assumes a little-endian host"
#endif

#if defined(__x86_64__) || defined(__i386__)
#define SY_WC_X86 1
#include <immintrin.h>
#else
#define SY_WC_X86 0
#endif

static inline uint16_t f32_bits_to_bf16(uint32_t bits) {
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x0040u);  // NaN: keep it quiet
    return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

static inline float load_bf16(const unsigned char *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// Scalar loops from element `i` on; also the tails of the vector loops.
static void f32_to_bf16_from(const unsigned char *src, unsigned char *dst, size_t i, size_t n) {
    for (; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, src + 4 * i, 4);
        uint16_t h = f32_bits_to_bf16(bits);
        memcpy(dst + 2 * i, &h, 2);
    }
}

static void bf16_to_f32_from(const unsigned char *src, float *dst, size_t i, size_t n) {
    for (; i < n; i++) dst[i] = load_bf16(src + 2 * i);
}

static void bf16_accumulate_from(const unsigned char *src, float *dst, size_t i, size_t n) {
    for (; i < n; i++) dst[i] += load_bf16(src + 2 * i);
}

static void f32_accumulate_from(const unsigned char *src, float *dst, size_t i, size_t n) {
    for (; i < n; i++) {
        float f;
        memcpy(&f, src + 4 * i, 4);
        dst[i] += f;
    }
}

#if SY_WC_X86
#define SY_WC_AVX2 __attribute__((target("avx2")))

/// Eight f32 bit patterns to eight bf16 patterns in the low 16 bits of each lane.
SY_WC_AVX2 static inline __m256i round8(__m256i bits) {
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(bits, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    __m256i magnitude = _mm256_and_si256(bits, _mm256_set1_epi32(0x7FFFFFFF));
    __m256i nan = _mm256_cmpgt_epi32(magnitude, _mm256_set1_epi32(0x7F800000));  // signed compare: magnitude < 2^31
    __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x0040));
    return _mm256_blendv_epi8(rounded, quiet, nan);
}

SY_WC_AVX2 static void f32_to_bf16_avx2(const unsigned char *src, unsigned char *dst, size_t n) {
    size_t i = 0;
    // In place, chunk j reads bytes 32j ..< 32j + 32 and then writes 16j ..< 16j + 16: never a
    // byte that a later chunk still has to read.
    for (; i + 8 <= n; i += 8) {
        __m256i r = round8(_mm256_loadu_si256((const __m256i *)(src + 4 * i)));
        __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        _mm_storeu_si128((__m128i *)(dst + 2 * i), packed);
    }
    f32_to_bf16_from(src, dst, i, n);
}

SY_WC_AVX2 static inline __m256 widen8(const unsigned char *p) {
    __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
}

SY_WC_AVX2 static void bf16_to_f32_avx2(const unsigned char *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, widen8(src + 2 * i));
    bf16_to_f32_from(src, dst, i, n);
}

SY_WC_AVX2 static void bf16_accumulate_avx2(const unsigned char *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_add_ps(_mm256_loadu_ps(dst + i), widen8(src + 2 * i)));
    bf16_accumulate_from(src, dst, i, n);
}

SY_WC_AVX2 static void f32_accumulate_avx2(const unsigned char *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps((const float *)(const void *)(src + 4 * i));
        _mm256_storeu_ps(dst + i, _mm256_add_ps(_mm256_loadu_ps(dst + i), x));
    }
    f32_accumulate_from(src, dst, i, n);
}
#endif

void sy_f32_to_bf16_rows(const void *src, void *dst, size_t n) {
#if SY_WC_X86
    if (sy_kernels_use_avx2()) { f32_to_bf16_avx2(src, dst, n); return; }
#endif
    f32_to_bf16_from(src, dst, 0, n);
}

void sy_bf16_to_f32_rows(const void *src, float *dst, size_t n) {
#if SY_WC_X86
    if (sy_kernels_use_avx2()) { bf16_to_f32_avx2(src, dst, n); return; }
#endif
    bf16_to_f32_from(src, dst, 0, n);
}

void sy_bf16_add_rows(const void *src, float *dst, size_t n) {
#if SY_WC_X86
    if (sy_kernels_use_avx2()) { bf16_accumulate_avx2(src, dst, n); return; }
#endif
    bf16_accumulate_from(src, dst, 0, n);
}

void sy_f32_add_rows(const void *src, float *dst, size_t n) {
#if SY_WC_X86
    if (sy_kernels_use_avx2()) { f32_accumulate_avx2(src, dst, n); return; }
#endif
    f32_accumulate_from(src, dst, 0, n);
}
