/* gr_handoff.cpp - moving items between threads over the SPSC rings, and the
 * sleep/wake handshake that keeps a busy pipeline free of wake-up syscalls.
 *
 * The handshake is Dekker-shaped: the consumer stores sleeping=1 then looks
 * at its rings; the producer stores into a ring then looks at sleeping. With
 * a full fence on both sides at least one of them sees the other's store, so
 * either the consumer finds the item or the producer wakes it. */
#include "gr_pipeline.h"
#include "gr_async.h"
#include "gr_outbound.h"

void gr_handoff(gr_thread_ctx_t *consumer, int producer_index, void *item)
{
    gr_queue_t *q = &consumer->inbox[producer_index];
    while (!gr_queue_push(q, item)) {
        /* Full: the consumer is behind; make sure it runs, then retry. */
        gr_poll_wake(consumer->poll);
        gr_thread_yield();
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (consumer->sleeping.load(std::memory_order_relaxed))
        gr_poll_wake(consumer->poll);
}

bool gr_handoff_try(gr_thread_ctx_t *consumer, int producer_index, void *item)
{
    if (!gr_queue_push(&consumer->inbox[producer_index], item)) {
        gr_poll_wake(consumer->poll); /* make sure the consumer works on it */
        return false;
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (consumer->sleeping.load(std::memory_order_relaxed))
        gr_poll_wake(consumer->poll);
    return true;
}

int gr_before_wait(gr_thread_ctx_t *ctx, int wait_ms)
{
    ctx->sleeping.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (int i = 0; i < ctx->inbox_count; i++)
        if (!gr_queue_empty(&ctx->inbox[i]))
            return 0;
    if (ctx->in && ctx->in->close_list.load(std::memory_order_relaxed))
        return 0;
    return wait_ms;
}

/* Passes over the rings in one drain before the poll is looked at again. */
#define GR_DRAIN_PASSES 16

/* Pop what is queued on ctx's rings, one burst from each ring in turn: a
 * ring its producer keeps full (a UDP flood) then cannot starve the others
 * (a worker serves tcp_in and udp_in rings alike), and after
 * GR_DRAIN_PASSES passes the loop goes back to its poll, so writability
 * reports are not starved either. True when anything was popped. */
static bool drain(gr_thread_ctx_t *ctx, gr_item_fn on_item)
{
    void *items[64];
    bool any = false;
    for (int pass = 0; pass < GR_DRAIN_PASSES; pass++) {
        bool more = false;
        for (int i = 0; i < ctx->inbox_count; i++) {
            size_t n = gr_queue_pop_burst(&ctx->inbox[i], items, 64);
            more = more || n > 0;
            for (size_t k = 0; k < n; k++)
                on_item(ctx, i, items[k]);
        }
        if (!more)
            break;
        any = true;
    }
    return any;
}

void gr_consume_loop(gr_thread_ctx_t *ctx, gr_event_fn on_event, gr_item_fn on_item)
{
    gr_server_t *s = ctx->server;
    gr_poll_event_t evs[GR_POLL_BATCH];
    for (;;) {
        /* Once told to stop, never block: the wake-up that carried the stop
         * may have been folded into one this loop already consumed. */
        bool stopping = s->stop[ctx->group].load(std::memory_order_acquire);
        int timeout = gr_before_wait(ctx, stopping ? 0 : -1);
        if (ctx->async) /* a worker: timers, posts and completions */
            timeout = gr_async_timeout(ctx, timeout);
        int n = gr_poll_wait(ctx->poll, evs, GR_POLL_BATCH, timeout);
        gr_after_wait(ctx);
        for (int i = 0; i < n; i++)
            if (gr_out_is_udata(evs[i].udata))
                gr_out_on_event(ctx, evs[i].udata, evs[i].events); /* a module's outbound connection */
            else if (evs[i].udata)
                on_event(ctx, evs[i].udata, evs[i].events);
        bool worked = drain(ctx, on_item);
        if (ctx->async)
            gr_async_run(ctx);
        /* The producers have stopped for good before stop is set, so rings
         * found empty now stay empty. */
        if (!worked && s->stop[ctx->group].load(std::memory_order_acquire)) {
            drain(ctx, on_item);
            return;
        }
    }
}
