// Memory for weights kept in compact formats. See SYQuant.h.
#define _GNU_SOURCE
#include "SYQuant.h"
#include <stdlib.h>
#include <sys/mman.h>

#define SY_HUGE_PAGE ((size_t)2 << 20)

int sy_weight_uses_huge_pages(size_t bytes) {
    size_t rounded = (bytes + SY_HUGE_PAGE - 1) & ~(SY_HUGE_PAGE - 1);
    return bytes >= SY_HUGE_PAGE && (rounded - bytes) * 8 <= bytes;
}

void *sy_weight_alloc(size_t bytes) {
    void *p = NULL;
    if (bytes < 64) bytes = 64;
    size_t rounded = (bytes + SY_HUGE_PAGE - 1) & ~(SY_HUGE_PAGE - 1);
    if (sy_weight_uses_huge_pages(bytes)) {
        // Whole 2 MiB pages, and the kernel asked to back them with huge pages (transparent huge
        // pages in "madvise" mode): one fault and one TLB entry per 2 MiB instead of per 4 KiB,
        // both when the weight is written at load and when decode streams it. Only when rounding
        // up to whole huge pages wastes at most an eighth: a huge page is resident as a whole.
        if (posix_memalign(&p, SY_HUGE_PAGE, rounded) != 0) return NULL;
#ifdef MADV_HUGEPAGE
        madvise(p, rounded, MADV_HUGEPAGE);
#endif
        return p;
    }
    if (posix_memalign(&p, 64, bytes) != 0) return NULL;
    return p;
}

void sy_weight_free(void *p) { free(p); }
