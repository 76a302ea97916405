// glibc malloc settings for long-running daemons. See CKernels.h.
#include "CKernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int sy_malloc_keep_freed_memory(void) {
#if defined(__GLIBC__)
    // Payloads of 100 KB - 30 MB are allocated and freed for every layer of every step (rows packed
    // for a worker, libzmq's receive buffers, replies). By default glibc maps those above 128 KB
    // with mmap and returns freed heap tops over 128 KB to the kernel (madvise in thread arenas),
    // so every step faulted its buffers in again and the kernel zeroed the pages: 3-5% of a
    // loopback cluster's CPU. Kept in the heap instead, a freed buffer is reused as it is.
    int ok = mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ok &= mallopt(M_TRIM_THRESHOLD, 256 << 20);
    return ok ? 1 : 0;
#else
    return 0;
#endif
}
