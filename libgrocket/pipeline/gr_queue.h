/* gr_queue.h - single-producer single-consumer lock-free ring of pointers.
 *
 * N producer threads and M consumer threads are joined by N x M of these.
 * Each index has exactly one writer: the producer fills a slot, then
 * publishes tail with a release store; the consumer reads tail with an
 * acquire load, takes the slot, then publishes head with a release store.
 * Counters run free (wrap at 2^64) and the capacity is a power of two, so
 * "used = tail - head" and "slot = index & mask". head and tail live on
 * separate 128-byte spans (adjacent cache lines interfere through the
 * prefetcher), and each side keeps a cached copy of the other side's index
 * that it refreshes only when the ring looks full (producer) or empty
 * (consumer), so a busy ring costs no cache-line transfer per item.
 *
 * Inline because it is the hot path of every cross-thread hand-off. */
#ifndef GR_QUEUE_H
#define GR_QUEUE_H

#include <atomic>
#include <stddef.h>
#include <stdint.h>

#define GR_CACHE_SPAN 128

typedef struct gr_queue_t {
    /* consumer side */
    alignas(GR_CACHE_SPAN) std::atomic<uint64_t> head; /* next slot to pop; written by the consumer */
    uint64_t tail_cache;                                /* consumer's last view of tail */
    /* producer side */
    alignas(GR_CACHE_SPAN) std::atomic<uint64_t> tail; /* next slot to fill; written by the producer */
    uint64_t head_cache;                                /* producer's last view of head */
    /* read-only after init */
    alignas(GR_CACHE_SPAN) void **slots;
    uint64_t mask; /* capacity - 1 */
} gr_queue_t;

/* Allocate a ring for at least capacity items (rounded up to a power of
 * two, minimum 2). 0, GR_EINVAL or GR_ENOMEM. */
int gr_queue_init(gr_queue_t *q, size_t capacity);
void gr_queue_destroy(gr_queue_t *q);

static inline size_t gr_queue_capacity(const gr_queue_t *q) { return (size_t)q->mask + 1; }

/* Producer only. item must not be NULL. Returns false when full. */
static inline bool gr_queue_push(gr_queue_t *q, void *item)
{
    uint64_t t = q->tail.load(std::memory_order_relaxed);
    if (t - q->head_cache > q->mask) {
        q->head_cache = q->head.load(std::memory_order_acquire);
        if (t - q->head_cache > q->mask)
            return false;
    }
    q->slots[t & q->mask] = item;
    q->tail.store(t + 1, std::memory_order_release);
    return true;
}

/* Consumer only. Returns NULL when empty. */
static inline void *gr_queue_pop(gr_queue_t *q)
{
    uint64_t h = q->head.load(std::memory_order_relaxed);
    if (h == q->tail_cache) {
        q->tail_cache = q->tail.load(std::memory_order_acquire);
        if (h == q->tail_cache)
            return NULL;
    }
    void *item = q->slots[h & q->mask];
    q->head.store(h + 1, std::memory_order_release);
    return item;
}

/* Consumer only: pop up to max items into out with one head update.
 * Returns how many were popped. */
static inline size_t gr_queue_pop_burst(gr_queue_t *q, void **out, size_t max)
{
    uint64_t h = q->head.load(std::memory_order_relaxed);
    uint64_t avail = q->tail_cache - h;
    if (avail < max) {
        q->tail_cache = q->tail.load(std::memory_order_acquire);
        avail = q->tail_cache - h;
    }
    size_t n = avail < max ? (size_t)avail : max;
    for (size_t i = 0; i < n; i++)
        out[i] = q->slots[(h + i) & q->mask];
    if (n)
        q->head.store(h + n, std::memory_order_release);
    return n;
}

/* Either side: true when the ring held no item at the moment of the call
 * (a snapshot, exact only for the consumer). */
static inline bool gr_queue_empty(gr_queue_t *q)
{
    return q->head.load(std::memory_order_acquire) == q->tail.load(std::memory_order_acquire);
}

#endif
