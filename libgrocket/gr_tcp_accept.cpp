/* gr_tcp_accept.cpp - tcp_accept threads: accept connections, let the module
 * refuse them, pin each to a tcp_in, a worker and a tcp_out thread, and hand
 * it to its tcp_in owner. */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_server.h"

/* Connections accepted per readiness report before polling again, so one
 * busy listener does not starve another. */
#define GR_ACCEPTS_PER_EVENT 64

static void accept_some(gr_thread_ctx_t *ctx, gr_listener_t *l, uint64_t *rr)
{
    gr_server_t *s = ctx->server;
    const gr_module_t *m = &s->module.m;
    for (int i = 0; i < GR_ACCEPTS_PER_EVENT; i++) {
        gr_addr_t peer;
        gr_socket_t fd = gr_tcp_accept(l->fd, &peer);
        if (fd < 0) {
            if (fd == -EAGAIN || fd == -EWOULDBLOCK || fd == -ECONNABORTED || fd == -EINTR)
                return;
            /* Out of descriptors and the like: the listener stays readable,
             * so back off instead of spinning on it. */
            GR_ERROR("accept on %s: %s; pausing accept for 100 ms", s->listen_info[l - s->listeners].url,
                     gr_strerror(fd));
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            return;
        }
        gr_conn_t *c = gr_conn_new(s, fd, &peer);
        if (!c) {
            GR_ERROR("out of memory for a new connection; closing it");
            gr_socket_close(fd);
            continue;
        }
        uint64_t k = (*rr)++;
        c->in_index = (int)(k % (uint64_t)s->counts[GR_GROUP_IN]);
        c->worker_index = s->counts[GR_GROUP_WORKER] ? (int)(k % (uint64_t)s->counts[GR_GROUP_WORKER]) : 0;
        c->out_index = s->counts[GR_GROUP_OUT] ? (int)(k % (uint64_t)s->counts[GR_GROUP_OUT]) : 0;
        if (m->tcp_accept && m->tcp_accept(c) != 0) {
            GR_COUNT(ctx, refused, 1);
            gr_conn_unref(c); /* not accepted: no tcp_close owed */
            continue;
        }
        c->is_http = l->is_http;
        c->accepted = 1;
        GR_COUNT(ctx, accepted, 1);
        gr_handoff(&s->groups[GR_GROUP_IN][c->in_index], ctx->index, c);
    }
}

void *gr_tcp_accept_main(void *arg)
{
    gr_thread_ctx_t *ctx = (gr_thread_ctx_t *)arg;
    gr_server_t *s = ctx->server;
    if (gr_thread_begin(ctx) != GR_OK)
        return NULL;
    /* Start each accept thread at a different tcp_in so several of them
     * spread connections evenly. */
    uint64_t rr = (uint64_t)ctx->index;
    /* Accept nothing until every thread started well: a connection handed
     * to a thread whose start failed would never be adopted. */
    while (!s->serving.load(std::memory_order_acquire) && !s->stop[GR_GROUP_ACCEPT].load(std::memory_order_acquire)) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    gr_poll_event_t evs[GR_MAX_LISTEN + 1];
    while (!s->stop[GR_GROUP_ACCEPT].load(std::memory_order_acquire)) {
        int n = gr_poll_wait(ctx->poll, evs, GR_MAX_LISTEN + 1, -1);
        for (int i = 0; i < n; i++)
            if (evs[i].udata)
                accept_some(ctx, (gr_listener_t *)evs[i].udata, &rr);
    }
    gr_thread_end(ctx);
    return NULL;
}
