// Block-format GEMV reading speed: `m` activation rows against `n` weight rows of `k` values in one
// format, one thread, through the kernels the engine uses (`sy_qf_prepare` + `sy_qf_gemm`, path chosen
// at run time as in the engine). The weights rotate through copies larger than the caches (or stay
// in one cache-sized copy with HOT=1); with ROWS8=1 a q4_K / q5_K / q6_K / q8_0 / bf16 weight is repacked with its rows
// interleaved by eight (`SY_QF_ROWS8`, as the engine holds them). Prints the best of 5 timings of `reps` products: microseconds,
// weight GB/s and ns per 256 weights. Built and run by scripts/block-kernel-bench.sh.
#include "SYQuant.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: stream FORMAT_CODE N K M [REPS]\n");
        return 2;
    }
    const int format = atoi(argv[1]);
    const long n = atol(argv[2]), k = atol(argv[3]), m = atol(argv[4]);
    const int reps = argc > 5 ? atoi(argv[5]) : 400;
    const size_t rowBytes = sy_qf_row_bytes(format, k), matrix = rowBytes * (size_t)n;
    if (rowBytes == 0 || n <= 0 || m <= 0) {
        fprintf(stderr, "stream: format %d cannot hold rows of %ld values\n", format, k);
        return 2;
    }
    const int copies = getenv("HOT") ? 1 : (int)(96e6 / matrix) + 1;
    uint8_t *w = aligned_alloc(64, (matrix * copies + 63) / 64 * 64);
    // 16 different quantized rows, repeated: real blocks (no NaN scales), and the timing does not
    // depend on the values.
    float *row = malloc(sizeof(float) * k);
    uint8_t *distinct = malloc(rowBytes * 16);
    for (int d = 0; d < 16; d++) {
        for (long i = 0; i < k; i++) row[i] = (float)(((i + 1) * (d + 3) * 7919) % 1000) / 1000.0f - 0.5f;
        sy_qf_quantize_row(format, row, distinct + d * rowBytes, k);
    }
    for (size_t r = 0; r < (size_t)n * copies; r++) memcpy(w + r * rowBytes, distinct + (r % 16) * rowBytes, rowBytes);
    int kernelFormat = format;
    if (getenv("ROWS8") && strcmp(getenv("ROWS8"), "1") == 0) {
        if (!sy_qf_rows8_fits(format, n, k)) {
            fprintf(stderr, "stream: format %d has no interleaved layout for these shapes\n", format);
            return 2;
        }
        for (int copy = 0; copy < copies; copy++) sy_qf_rows8_convert(format, n, k, w + (size_t)copy * matrix, 0);
        kernelFormat = format | SY_QF_ROWS8;
    }
    float *a = malloc(sizeof(float) * m * k), *c = malloc(sizeof(float) * m * n);
    for (long i = 0; i < m * k; i++) a[i] = (float)((i * 104729) % 2000) / 1000.0f - 1.0f;
    void *scratch = aligned_alloc(64, (sy_qf_scratch_bytes(format, m, k) + 63) / 64 * 64 + 64);
    sy_qf_prepare(format, m, k, a, k, scratch);
    double best = 1e30;
    for (int trial = 0; trial < 5; trial++) {
        const double t0 = now();
        for (int r = 0; r < reps; r++)
            sy_qf_gemm(kernelFormat, m, n, k, a, k, scratch, w + (size_t)(r % copies) * matrix, c, n, 0.0f, 0, n);
        const double t = (now() - t0) / reps;
        if (t < best) best = t;
    }
    printf("%.1f us %.2f GB/s %.2f ns/256 weights (check %g)\n", best * 1e6, matrix / best / 1e9,
           best * 1e9 / ((double)n * k / 256), (double)c[0] + c[n - 1]);
    return 0;
}
