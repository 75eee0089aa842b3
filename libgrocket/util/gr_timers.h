/* gr_timers.h - one thread's timers: a binary min-heap of deadlines over a
 * table of timer records reused through a free list. Start, cancel and
 * fire are O(log n), the next deadline O(1); nothing is allocated per
 * timer once the table has grown. Single-threaded: the owning processing
 * thread alone uses it (gr_async.cpp).
 *
 * A timer's id packs its record's slot, the owner's number and the
 * record's generation (bumped whenever the record is freed), so an id kept
 * after its timer ended, or given to another thread, is refused instead of
 * cancelling a stranger. */
#ifndef GR_TIMERS_H
#define GR_TIMERS_H

#include <stddef.h>
#include <stdint.h>

#include "grocket.h" /* gr_timer_fn */

#define GR_TIMERS_MAX_SLOTS (1u << 24) /* timers one thread may hold at once */
#define GR_TIMERS_MAX_OWNER 0xffffu    /* owner numbers fit in 16 bits */

typedef struct gr_timer_rec_t {
    int64_t due;        /* deadline, ms on the caller's clock */
    uint64_t seq;       /* start order: equal deadlines run in it */
    uint64_t repeat;    /* period in ms; 0: one-shot */
    gr_timer_fn fn;
    void *arg;
    uint32_t gen;       /* generation: part of the id, bumped when freed */
    int32_t pos;        /* index in the heap; -1 when free */
    uint32_t next_free; /* free list link (slot + 1; 0 ends it) */
} gr_timer_rec_t;

typedef struct gr_timers_t {
    gr_timer_rec_t *recs;
    uint32_t rec_cap, rec_used;  /* records allocated, records ever handed out */
    uint32_t free_head;          /* first free record (slot + 1; 0: none) */
    uint32_t *heap;              /* slots, ordered by due */
    uint32_t heap_len, heap_cap;
    uint32_t owner;              /* in every id this table hands out */
    uint64_t seq;                /* timers started so far */
} gr_timers_t;

void gr_timers_init(gr_timers_t *t, uint32_t owner);
/* Frees everything; returns how many timers were still active. */
size_t gr_timers_free(gr_timers_t *t);
/* A timer due at now + delay_ms, then every repeat_ms (0: once). Its id
 * (never 0), or 0 when out of memory, past GR_TIMERS_MAX_SLOTS, or for a
 * delay or period past INT64_MAX / 4 ms. */
uint64_t gr_timers_add(gr_timers_t *t, int64_t now, uint64_t delay_ms, uint64_t repeat_ms, gr_timer_fn fn, void *arg);
/* 0, or GR_EINVAL when id is not an active timer of this table. */
int gr_timers_cancel(gr_timers_t *t, uint64_t id);
/* The earliest deadline, or INT64_MAX when no timer is active. */
static inline int64_t gr_timers_next(const gr_timers_t *t)
{
    return t->heap_len ? t->recs[t->heap[0]].due : INT64_MAX;
}
static inline size_t gr_timers_active(const gr_timers_t *t) { return t->heap_len; }
/* Run the callbacks of the timers due at now, earliest first (equal
 * deadlines in start order); each runs at most once per call (a repeating
 * one is rescheduled first, to its next period after now when it fell
 * behind), and timers started by the callbacks wait for the next call. A
 * callback may start and cancel timers, itself included. Returns how many
 * ran. */
size_t gr_timers_run(gr_timers_t *t, int64_t now);

#endif
