/* gr_worker.cpp - worker threads: process the packages tcp_in cut, in the
 * order they were cut (a connection is pinned to one worker), and send the
 * replies directly; what the socket does not take waits for writability on
 * this thread's own poll, or at tcp_out. */
#include <stdlib.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_server.h"

static void run_job(gr_thread_ctx_t *ctx, gr_job_t *job)
{
    gr_conn_t *c = job->conn;
    gr_process_job(ctx, job);
    free(job);
    gr_conn_unref(c);
}

/* Process everything queued; true when something was. */
static bool drain_inbox(gr_thread_ctx_t *ctx)
{
    void *items[64];
    bool any = false;
    for (int i = 0; i < ctx->inbox_count; i++) {
        size_t n;
        while ((n = gr_queue_pop_burst(&ctx->inbox[i], items, 64)) > 0) {
            any = true;
            for (size_t k = 0; k < n; k++)
                run_job(ctx, (gr_job_t *)items[k]);
        }
    }
    return any;
}

void *gr_worker_main(void *arg)
{
    gr_thread_ctx_t *ctx = (gr_thread_ctx_t *)arg;
    gr_server_t *s = ctx->server;
    if (gr_thread_begin(ctx) != GR_OK)
        return NULL;
    gr_poll_event_t evs[GR_POLL_BATCH];
    for (;;) {
        int timeout = gr_before_wait(ctx, -1);
        int n = gr_poll_wait(ctx->poll, evs, GR_POLL_BATCH, timeout);
        gr_after_wait(ctx);
        for (int i = 0; i < n; i++)
            if (evs[i].udata)
                gr_reply_on_writable(ctx, (gr_conn_t *)evs[i].udata, evs[i].events);
        bool worked = drain_inbox(ctx);
        /* Producers (tcp_in) have stopped for good before stop is set, so an
         * empty inbox now stays empty. */
        if (!worked && s->stop[GR_GROUP_WORKER].load(std::memory_order_acquire)) {
            drain_inbox(ctx);
            break;
        }
    }
    gr_reply_drop_waiting(ctx);
    gr_thread_end(ctx);
    return NULL;
}
