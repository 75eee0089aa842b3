/* gr_tcp_accept.cpp - tcp_accept threads: accept connections, let the module
 * refuse them, pin each to a tcp_in, a worker and a tcp_out thread, and hand
 * it to its tcp_in owner. */
#include <errno.h>
#include <string.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_pipeline.h"

/* Connections accepted per readiness report before polling again, so one
 * busy listener does not starve another. */
#define GR_ACCEPTS_PER_EVENT 64
/* Out of descriptors: accepting pauses this long first, doubling up to the
 * most while accept keeps failing. */
#define GR_ACCEPT_BACKOFF_FIRST_MS 10
#define GR_ACCEPT_BACKOFF_MAX_MS 1000

/* Per accept thread: the back-off state and the once-a-second log limits. */
typedef struct gr_accept_state_t {
    uint64_t rr;             /* round-robin position over the thread groups */
    int backoff_ms;          /* 0, or the pause after the last failure */
    int64_t limit_logged_ms; /* last "too many connections" line */
    int64_t error_logged_ms; /* last accept error line */
    uint64_t limit_unlogged; /* refusals since that line */
    uint64_t error_unlogged;
} gr_accept_state_t;

/* Returns false when accepting must pause (st->backoff_ms). */
static bool accept_some(gr_thread_ctx_t *ctx, gr_listener_t *l, gr_accept_state_t *st)
{
    gr_server_t *s = ctx->server;
    const gr_module_t *m = &s->module.m;
    const char *url = s->listen_info[l - s->listeners].url;
    for (int i = 0; i < GR_ACCEPTS_PER_EVENT; i++) {
        gr_addr_t peer;
        gr_socket_t fd;
        int rc = gr_tcp_accept(l->fd, &fd, &peer);
        if (rc < 0) {
            if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -ECONNABORTED || rc == -EINTR)
                return true;
            /* Out of descriptors and the like: the listener stays readable,
             * so back off instead of spinning on it. */
            GR_COUNT(ctx, accept_errors, 1);
            st->backoff_ms = st->backoff_ms ? st->backoff_ms * 2 : GR_ACCEPT_BACKOFF_FIRST_MS;
            if (st->backoff_ms > GR_ACCEPT_BACKOFF_MAX_MS)
                st->backoff_ms = GR_ACCEPT_BACKOFF_MAX_MS;
            st->error_unlogged++;
            int64_t now = gr_clock_ms();
            if (now - st->error_logged_ms >= 1000) {
                GR_ERROR("accept on %s: %s; pausing accept for %d ms (%llu failures since the last report)", url,
                         gr_strerror(rc), st->backoff_ms, (unsigned long long)st->error_unlogged);
                st->error_logged_ms = now;
                st->error_unlogged = 0;
            }
            return false;
        }
        st->backoff_ms = 0;
        int max_conns = gr_settings_live(s)->max_connections;
        if (s->conns_open.load(std::memory_order_relaxed) >= max_conns) {
            /* Accepted and closed at once: the client learns at once, and
             * the kernel's queue does not fill with connections we will
             * not serve. */
            GR_COUNT(ctx, refused_limit, 1); /* before the client can see the close */
            gr_socket_close(fd);
            st->limit_unlogged++;
            int64_t now = gr_clock_ms();
            if (now - st->limit_logged_ms >= 1000) {
                GR_WARN("%s: tcp.max_connections (%d) open; closed %llu new connections since the last report", url,
                        max_conns, (unsigned long long)st->limit_unlogged);
                st->limit_logged_ms = now;
                st->limit_unlogged = 0;
            }
            continue;
        }
        gr_conn_t *c = gr_conn_new(s, fd, &peer);
        if (!c) {
            GR_ERROR("out of memory for a new connection; closing it");
            gr_socket_close(fd);
            continue;
        }
        uint64_t k = st->rr++;
        c->in_index = (int)(k % (uint64_t)s->counts[GR_GROUP_IN]);
        c->worker_index = s->counts[GR_GROUP_WORKER] ? (int)(k % (uint64_t)s->counts[GR_GROUP_WORKER]) : 0;
        c->out_index = s->counts[GR_GROUP_OUT] ? (int)(k % (uint64_t)s->counts[GR_GROUP_OUT]) : 0;
        c->proc_ctx = s->counts[GR_GROUP_WORKER] ? &s->groups[GR_GROUP_WORKER][c->worker_index]
                                                 : &s->groups[GR_GROUP_IN][c->in_index];
        c->listen_index = (int)(l - s->listeners);
        gr_cb_t prev = gr_cb_enter(c, GR_CB_CONN);
        int refused = m->tcp_accept && m->tcp_accept(c) != 0;
        gr_cb_leave(prev);
        if (refused) {
            GR_COUNT(ctx, refused, 1);
            gr_conn_unref(c); /* not accepted: no tcp_close owed */
            continue;
        }
        c->is_http = l->is_http;
        c->accepted = 1;
        GR_COUNT(ctx, accepted, 1);
        gr_handoff(&s->groups[GR_GROUP_IN][c->in_index], ctx->index, c);
    }
    return true;
}

/* Sleep ms, in short slices so a stop is not kept waiting. */
static void pause_accepting(gr_server_t *s, int ms)
{
    for (int slept = 0; slept < ms && !s->stop[GR_GROUP_ACCEPT].load(std::memory_order_acquire); slept += 10)
        gr_sleep_ms(10);
}

void *gr_tcp_accept_main(void *arg)
{
    gr_thread_ctx_t *ctx = (gr_thread_ctx_t *)arg;
    gr_server_t *s = ctx->server;
    if (gr_thread_begin(ctx) != GR_OK)
        return NULL;
    /* Start each accept thread at a different tcp_in so several of them
     * spread connections evenly. */
    gr_accept_state_t st;
    memset(&st, 0, sizeof st);
    st.rr = (uint64_t)ctx->index;
    st.limit_logged_ms = st.error_logged_ms = gr_clock_ms() - 1000;
    /* Accept nothing until every thread started well: a connection handed
     * to a thread whose start failed would never be adopted. */
    while (!s->serving.load(std::memory_order_acquire) && !s->stop[GR_GROUP_ACCEPT].load(std::memory_order_acquire))
        gr_sleep_ms(1);
    gr_poll_event_t evs[GR_MAX_LISTEN + 1];
    while (!s->stop[GR_GROUP_ACCEPT].load(std::memory_order_acquire)) {
        int n = gr_poll_wait(ctx->poll, evs, GR_MAX_LISTEN + 1, -1);
        bool ok = true;
        for (int i = 0; i < n && ok; i++)
            if (evs[i].udata)
                ok = accept_some(ctx, (gr_listener_t *)evs[i].udata, &st);
        if (!ok)
            pause_accepting(s, st.backoff_ms);
    }
    gr_thread_end(ctx);
    return NULL;
}
