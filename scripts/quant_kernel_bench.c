// Times the block-format products (Sources/CKernels/QuantGEMM.c) alone on the bench preset's
// expert shapes, one thread: C[m, n] = A[m, k] · Wᵀ for each format, m = 1, 16 (an expert's share of a batch of 64) and 64. Timed in
// thread CPU time, so a shared, overloaded machine slows the figures less than wall time would.
// QBENCH_M=1,2,3,4 picks other row counts; SWITCHYARD_KERNEL_ISA=avx2 (or portable) a lower path.
// build: clang -O2 -ISources/CKernels/include -ISources/CKernels scripts/quant_kernel_bench.c \
//           Sources/CKernels/QuantFormats.c Sources/CKernels/QuantGEMM.c -lm -o /tmp/qbench
#include "SYQuant.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(void) {
    const int formats[] = {SY_QF_F32, SY_QF_BF16, SY_QF_Q8_0, SY_QF_Q4_0, SY_QF_Q4_K, SY_QF_Q6_K};
    const char *names[] = {"f32", "bf16", "q8_0", "q4_0", "q4_K", "q6_K"};
    const long n = 4096, k = 1024;  // one expert's gate+up: [2I, H]
    const int copies = getenv("QBENCH_COPIES") ? atoi(getenv("QBENCH_COPIES")) : 16;  // weights rotate past the caches (16 x 16 MB of f32)
    float *x = malloc(sizeof(float) * n * k);
    srand(1);
    for (long i = 0; i < n * k; i++) x[i] = (float)rand() / RAND_MAX - 0.5f;
    float *a = malloc(sizeof(float) * 64 * k), *c = malloc(sizeof(float) * 64 * n);
    for (long i = 0; i < 64 * k; i++) a[i] = (float)rand() / RAND_MAX - 0.5f;
    printf("isa %s; n %ld k %ld, one thread\n", sy_qf_isa_name(), n, k);
    printf("format  m   GFLOP/s  weight GB/s\n");
    for (int f = 0; f < 6; f++) {
        size_t rb = sy_qf_row_bytes(formats[f], k);
        unsigned char *w[64];
        for (int cpy = 0; cpy < copies; cpy++) {
            w[cpy] = aligned_alloc(64, (rb * n + 63) / 64 * 64);
            for (long r = 0; r < n; r++) sy_qf_quantize_row(formats[f], x + r * k, w[cpy] + r * rb, k);
        }
        void *scratch = aligned_alloc(64, (sy_qf_scratch_bytes(formats[f], 64, k) + 127) / 64 * 64);
        // Activation row counts: QBENCH_M (e.g. "1,2,3,4"; each 1..64), else 1, 16 and 64.
        int ms[16] = {1, 16, 64}, nm = 3;
        if (getenv("QBENCH_M")) {
            nm = 0;
            for (char *p = getenv("QBENCH_M"); *p && nm < 16; p++) {
                int v = (int)strtol(p, &p, 10);
                if (v >= 1 && v <= 64) ms[nm++] = v;
                if (!*p) break;
            }
        }
        for (int mi = 0; mi < nm; mi++) {
            int m = ms[mi];
            int iters = m <= 4 ? 64 : 16;
            double best = 1e9;
            for (int rep = 0; rep < 3; rep++) {
                double t0 = now();
                for (int it = 0; it < iters; it++) {
                    sy_qf_prepare(formats[f], m, k, a, k, scratch);
                    sy_qf_gemm(formats[f], m, n, k, a, k, scratch, w[it % copies], c, n, 0, 0, n);
                }
                double t = (now() - t0) / iters;
                if (t < best) best = t;
            }
            printf("%-6s %2d %9.1f %12.1f\n", names[f], m, 2.0 * m * n * k / best / 1e9, (double)rb * n / best / 1e9);
        }
        for (int cpy = 0; cpy < copies; cpy++) free(w[cpy]);
        free(scratch);
    }
    return 0;
}
