/* gr_queue.cpp - allocation and release of the SPSC ring (gr_queue.h); the
 * push/pop hot path is inline in the header. */
#include "gr_queue.h"
#include "gr_error.h"

#include <stdlib.h>

/* Largest ring we agree to build: 2^30 slots (8 GiB of pointers on 64-bit).
 * Anything bigger is a configuration mistake, not a queue. */
static const size_t GR_QUEUE_MAX_CAPACITY =
    ((size_t)1 << 30) < (SIZE_MAX / sizeof(void *) / 2) ? ((size_t)1 << 30)
                                                         : (SIZE_MAX / sizeof(void *) / 2);

/* Put every field in the "no ring" state: what a zeroed struct holds. */
static void gr_queue_clear(gr_queue_t *q)
{
    q->head.store(0, std::memory_order_relaxed);
    q->tail_cache = 0;
    q->tail.store(0, std::memory_order_relaxed);
    q->head_cache = 0;
    q->slots = NULL;
    q->mask = 0;
}

int gr_queue_init(gr_queue_t *q, size_t capacity)
{
    if (q == NULL)
        return GR_EINVAL;
    gr_queue_clear(q);
    if (capacity == 0 || capacity > GR_QUEUE_MAX_CAPACITY)
        return GR_EINVAL;

    size_t cap = 2;
    while (cap < capacity) /* terminates: capacity <= 2^30 */
        cap <<= 1;

    void **slots = (void **)malloc(cap * sizeof(void *));
    if (slots == NULL)
        return GR_ENOMEM;

    q->slots = slots;
    q->mask = (uint64_t)cap - 1;
    /* The ring is published to the other thread by whatever hands q over
     * (thread start, a mutex, another queue), which orders these stores. */
    return GR_OK;
}

void gr_queue_destroy(gr_queue_t *q)
{
    if (q == NULL)
        return;
    free(q->slots); /* free(NULL) is a no-op: zeroed struct, second call */
    gr_queue_clear(q);
}
