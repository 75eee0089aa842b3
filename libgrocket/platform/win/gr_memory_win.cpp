/* gr_memory_win.cpp - gr_memory.h on Windows: the C runtime's aligned
 * blocks, which only _aligned_free may release. */
#include "gr_memory.h"

#include <malloc.h>

void *gr_aligned_alloc(size_t align, size_t size)
{
    return _aligned_malloc(size ? size : 1, align < sizeof(void *) ? sizeof(void *) : align);
}

void gr_aligned_free(void *p) { _aligned_free(p); }
