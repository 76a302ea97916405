#include "COpenBLAS.h"

#include <stdlib.h>

// Two entry points libopenblas exports without declaring them in cblas.h (Debian's 0.3.21 and
// every release since 0.3.7 export both): `openblas_read_env` reads the OPENBLAS_* variables
// again, `blas_thread_shutdown_` stops the thread pool (the next threaded call or
// `openblas_set_num_threads` starts it again).
void openblas_read_env(void);
int blas_thread_shutdown_(void);

int sy_openblas_stop_polling_threads(void) {
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);  // a value the user set wins
    openblas_read_env();
    return blas_thread_shutdown_();
}
