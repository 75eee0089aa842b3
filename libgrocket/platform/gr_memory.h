/* gr_memory.h - memory the C library alone cannot give everywhere:
 * aligned blocks (C11 aligned_alloc has no Windows counterpart that
 * free() may release). posix/gr_memory_posix.cpp. */
#ifndef GR_MEMORY_H
#define GR_MEMORY_H

#include <stddef.h>

/* size bytes aligned to align (a power of two); NULL when out of memory.
 * Release with gr_aligned_free, never free. */
void *gr_aligned_alloc(size_t align, size_t size);
void gr_aligned_free(void *p);

#endif
