/* gr_memory_posix.cpp - gr_memory.h on POSIX systems. */
#include "gr_memory.h"

#include <stdlib.h>

void *gr_aligned_alloc(size_t align, size_t size)
{
    void *p = NULL;
    /* posix_memalign takes any size, where aligned_alloc wants a multiple
     * of the alignment. */
    return posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size) == 0 ? p : NULL;
}

void gr_aligned_free(void *p) { free(p); }
