/* gr_timers.cpp - the timer heap (gr_timers.h). */
#include "gr_timers.h"

#include <string.h>

#include "gr_array.h"
#include "gr_error.h"

#define SLOT_BITS 24
#define OWNER_BITS 16
#define GEN_MASK ((1u << (64 - SLOT_BITS - OWNER_BITS)) - 1) /* 24 bits */

void gr_timers_init(gr_timers_t *t, uint32_t owner)
{
    memset(t, 0, sizeof *t);
    t->owner = owner & GR_TIMERS_MAX_OWNER;
}

size_t gr_timers_free(gr_timers_t *t)
{
    size_t active = t->heap_len;
    free(t->recs);
    free(t->heap);
    uint32_t owner = t->owner;
    gr_timers_init(t, owner);
    return active;
}

static uint64_t make_id(const gr_timers_t *t, uint32_t slot)
{
    return (uint64_t)t->recs[slot].gen << (SLOT_BITS + OWNER_BITS) | (uint64_t)t->owner << SLOT_BITS | slot;
}

static bool before(const gr_timers_t *t, uint32_t a, uint32_t b)
{
    const gr_timer_rec_t *x = &t->recs[a], *y = &t->recs[b];
    return x->due < y->due || (x->due == y->due && x->seq < y->seq);
}

static void place(gr_timers_t *t, uint32_t i, uint32_t slot)
{
    t->heap[i] = slot;
    t->recs[slot].pos = (int32_t)i;
}

static void sift_up(gr_timers_t *t, uint32_t i)
{
    uint32_t slot = t->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!before(t, slot, t->heap[parent]))
            break;
        place(t, i, t->heap[parent]);
        i = parent;
    }
    place(t, i, slot);
}

static void sift_down(gr_timers_t *t, uint32_t i)
{
    uint32_t slot = t->heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= t->heap_len)
            break;
        if (child + 1 < t->heap_len && before(t, t->heap[child + 1], t->heap[child]))
            child++;
        if (!before(t, t->heap[child], slot))
            break;
        place(t, i, t->heap[child]);
        i = child;
    }
    place(t, i, slot);
}

/* Take the record out of the heap (it stays allocated). */
static void heap_remove(gr_timers_t *t, uint32_t slot)
{
    uint32_t i = (uint32_t)t->recs[slot].pos;
    uint32_t last = t->heap[--t->heap_len];
    t->recs[slot].pos = -1;
    if (i == t->heap_len)
        return;
    place(t, i, last);
    if (i > 0 && before(t, last, t->heap[(i - 1) / 2]))
        sift_up(t, i);
    else
        sift_down(t, i);
}

static void rec_release(gr_timers_t *t, uint32_t slot)
{
    gr_timer_rec_t *r = &t->recs[slot];
    r->gen = (r->gen + 1) & GEN_MASK;
    if (r->gen == 0)
        r->gen = 1; /* ids are never 0 */
    r->pos = -1;
    r->fn = NULL;
    r->next_free = t->free_head;
    t->free_head = slot + 1;
}

uint64_t gr_timers_add(gr_timers_t *t, int64_t now, uint64_t delay_ms, uint64_t repeat_ms, gr_timer_fn fn, void *arg)
{
    /* Bounded so that a deadline plus a period never overflows. */
    if (!fn || delay_ms > (uint64_t)INT64_MAX / 4 || repeat_ms > (uint64_t)INT64_MAX / 4)
        return 0;
    uint32_t slot;
    if (t->free_head) {
        slot = t->free_head - 1;
    } else {
        if (t->rec_used >= GR_TIMERS_MAX_SLOTS || !gr_array_reserve(&t->recs, &t->rec_cap, (size_t)t->rec_used + 1, 64))
            return 0;
        slot = t->rec_used;
        t->recs[slot].gen = 1;
    }
    if (!gr_array_reserve(&t->heap, &t->heap_cap, (size_t)t->heap_len + 1, 64))
        return 0; /* nothing taken yet */
    if (t->free_head)
        t->free_head = t->recs[slot].next_free;
    else
        t->rec_used++;
    gr_timer_rec_t *r = &t->recs[slot];
    r->due = now + (int64_t)delay_ms;
    r->seq = t->seq++;
    r->repeat = repeat_ms;
    r->fn = fn;
    r->arg = arg;
    t->heap[t->heap_len] = slot;
    r->pos = (int32_t)t->heap_len++;
    sift_up(t, (uint32_t)r->pos);
    return make_id(t, slot);
}

int gr_timers_cancel(gr_timers_t *t, uint64_t id)
{
    uint32_t slot = (uint32_t)(id & (GR_TIMERS_MAX_SLOTS - 1));
    uint32_t owner = (uint32_t)(id >> SLOT_BITS) & GR_TIMERS_MAX_OWNER;
    uint32_t gen = (uint32_t)(id >> (SLOT_BITS + OWNER_BITS));
    if (owner != t->owner || slot >= t->rec_used || t->recs[slot].gen != gen || t->recs[slot].pos < 0)
        return GR_EINVAL;
    heap_remove(t, slot);
    rec_release(t, slot);
    return GR_OK;
}

size_t gr_timers_run(gr_timers_t *t, int64_t now)
{
    size_t ran = 0;
    /* A timer a callback starts with no delay is due now too: it comes
     * after every older one due (it is later in the start order), and the
     * loop stops at it, so such a callback cannot keep this call going. */
    uint64_t started_before = t->seq;
    while (t->heap_len) {
        uint32_t slot = t->heap[0];
        gr_timer_rec_t *r = &t->recs[slot];
        if (r->due > now || r->seq >= started_before)
            break;
        gr_timer_fn fn = r->fn;
        void *arg = r->arg;
        uint64_t id = make_id(t, slot);
        if (r->repeat) {
            /* Rescheduled before the call, so the callback may cancel it. */
            int64_t next = r->due + (int64_t)r->repeat;
            r->due = next > now ? next : now + (int64_t)r->repeat;
            sift_down(t, 0);
        } else {
            heap_remove(t, slot);
            rec_release(t, slot); /* a one-shot is over once it runs */
        }
        fn(id, arg); /* may grow t->recs: r is not used after this */
        ran++;
    }
    return ran;
}
