#ifndef SWITCHYARD_COPENBLAS_H
#define SWITCHYARD_COPENBLAS_H

/// The few OpenBLAS entry points Switchyard uses, declared here so the build does not depend on
/// where a distribution puts cblas.h (Debian: /usr/include/x86_64-linux-gnu/openblas-pthread/).
/// We link libopenblas itself (`-lopenblas`), never the generic libblas alternative.

enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };

void cblas_sgemm(enum CBLAS_ORDER Order, enum CBLAS_TRANSPOSE TransA, enum CBLAS_TRANSPOSE TransB,
                 int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc);
void cblas_sgemv(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans, int m, int n, float alpha,
                 const float *a, int lda, const float *x, int incx, float beta, float *y, int incy);

void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);

/// OpenBLAS starts its thread pool when the library loads, and each of its threads then polls for
/// work with `sched_yield` for 2^28 cycles (OPENBLAS_THREAD_TIMEOUT 28, about 80 ms) before it
/// sleeps, at start and again after every threaded call. On a 2-core machine that poll took a
/// core from model loading: 35% of `generate`'s first-token time on SmolLM2. This stops the
/// pool and sets the poll to 2^4 cycles (unless OPENBLAS_THREAD_TIMEOUT is set) for the pool that
/// `openblas_set_num_threads` or the next threaded call starts. Returns OpenBLAS's status (0).
int sy_openblas_stop_polling_threads(void);
/// The OPENBLAS_THREAD_TIMEOUT exponent OpenBLAS read (0 when unset).
int openblas_thread_timeout(void);

#endif
