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

#endif
