/* gr_worker.cpp - worker threads: process the packages tcp_in cut, in the
 * order they were cut (a connection is pinned to one worker), and send the
 * replies directly; what the socket does not take waits for writability on
 * this thread's own poll, or at tcp_out. Datagrams from udp_in threads come
 * on rings of their own (one sender's always to the same worker) and are
 * processed by gr_udp_proc.cpp. */
#include <stdlib.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_pipeline.h"
#include "gr_udp.h"

static void run_job(gr_thread_ctx_t *ctx, int ring, void *item)
{
    /* Rings [0, tcp_in) come from tcp_in threads, the rest from udp_in. */
    if (ring >= ctx->server->counts[GR_GROUP_IN]) {
        gr_udp_run_job(ctx, (gr_udp_job_t *)item);
        return;
    }
    gr_job_t *job = (gr_job_t *)item;
    gr_conn_t *c = job->conn;
    gr_process_job(ctx, job);
    free(job);
    gr_conn_unref(c);
}

static void on_writable(gr_thread_ctx_t *ctx, void *udata, uint32_t events)
{
    gr_reply_on_writable(ctx, (gr_conn_t *)udata, events);
}

void *gr_worker_main(void *arg)
{
    gr_thread_ctx_t *ctx = (gr_thread_ctx_t *)arg;
    if (gr_thread_begin(ctx) != GR_OK)
        return NULL;
    gr_consume_loop(ctx, on_writable, run_job);
    gr_reply_drop_waiting(ctx);
    gr_thread_end(ctx);
    return NULL;
}
