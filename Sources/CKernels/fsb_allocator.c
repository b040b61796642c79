// Allocator policy: keep freed memory in the heap for reuse (see fsb_retain_freed_memory).
#include "fsb_kernels.h"

#include <stdlib.h>  // defines __GLIBC__ on glibc systems

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int fsb_retain_freed_memory(void) {
#if defined(__GLIBC__)
    const int one_gib = 1 << 30;
    return mallopt(M_MMAP_THRESHOLD, one_gib) == 1 && mallopt(M_TRIM_THRESHOLD, one_gib) == 1;
#else
    return 0;
#endif
}
