/* gr_conn.cpp - connection life: buffers, references, the close request. */
#include "gr_conn.h"

#include <new>
#include <stdlib.h>
#include <string.h>

#include "gr_array.h"
#include "gr_error.h"
#include "gr_log.h"
#include "gr_pipeline.h"

void gr_buf_compact(gr_buf_t *b)
{
    if (b->off == 0)
        return;
    size_t n = b->len - b->off;
    if (n)
        memmove(b->data, b->data + b->off, n);
    b->off = 0;
    b->len = n;
}

int gr_buf_grow(gr_buf_t *b, size_t n, size_t max)
{
    gr_buf_compact(b);
    if (b->cap - b->len >= n)
        return GR_OK;
    size_t need = b->len + n;
    if (max && need > max)
        return GR_EFULL;
    size_t cap = gr_array_cap(b->cap, need, 256);
    if (max && cap > max)
        cap = max;
    if (!gr_array_resize(&b->data, cap))
        return GR_ENOMEM;
    b->cap = cap;
    return GR_OK;
}

void gr_buf_free(gr_buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

gr_conn_t *gr_conn_new(gr_server_t *s, gr_socket_t fd, const gr_addr_t *peer)
{
    gr_conn_t *c = (gr_conn_t *)calloc(1, sizeof *c);
    if (!c)
        return NULL;
    new (&c->refs) std::atomic<int>(1);
    new (&c->close_requested) std::atomic<int>(0);
    new (&c->chunks_done) std::atomic<uint64_t>(0);
    new (&c->held) std::atomic<int64_t>(0);
    new (&c->send_blocked_ms) std::atomic<int64_t>(0);
    new (&c->pending) std::atomic<int>(0);
    new (&c->module_paused) std::atomic<int>(0);
    new (&c->holds) std::atomic<int>(0);
    if (gr_socket_valid(fd)) /* a connection, not a UDP handle: tcp.max_connections */
        s->conns_open.fetch_add(1, std::memory_order_relaxed);
    c->fd = fd;
    c->server = s;
    if (peer)
        c->peer = *peer;
    return c;
}

void gr_conn_unref(gr_conn_t *c)
{
    /* acq_rel: every write another thread made to c before its unref is
     * visible to the thread that frees it. */
    int before = c->refs.fetch_sub(1, std::memory_order_acq_rel);
    GR_HEAVY_CHECK(before >= 1);
    if (before != 1)
        return;
    GR_HEAVY_CHECK(c->slot_head == NULL); /* every queued handle holds a reference */
    const gr_module_t *m = &c->server->module.m;
    if (c->accepted && m->tcp_close) {
        gr_cb_t prev = gr_cb_enter(c, GR_CB_CONN);
        m->tcp_close(c);
        gr_cb_leave(prev);
    }
    if (gr_socket_valid(c->fd)) {
        gr_socket_close(c->fd);
        c->server->conns_open.fetch_sub(1, std::memory_order_relaxed);
    }
    if (c->http) {
        gr_http_parser_free(c->http);
        free(c->http);
    }
    gr_buf_free(&c->in);
    gr_buf_free(&c->out);
    free(c);
}

static void request_close(gr_conn_t *c, gr_close_how_t how)
{
    int none = GR_CLOSE_NONE;
    if (!c->close_requested.compare_exchange_strong(none, how, std::memory_order_acq_rel))
        return; /* someone asked already; the owner knows */
    /* The close list holds a reference so c outlives its place on it. */
    gr_conn_ref(c);
    gr_thread_ctx_t *owner = &c->server->groups[GR_GROUP_IN][c->in_index];
    gr_conn_t *head = owner->in->close_list.load(std::memory_order_relaxed);
    do {
        c->close_next = head;
    } while (!owner->in->close_list.compare_exchange_weak(head, c, std::memory_order_release,
                                                      std::memory_order_relaxed));
    gr_poll_wake(owner->poll);
}

void gr_conn_close(gr_conn_t *c) { request_close(c, GR_CLOSE_NOW); }
void gr_conn_close_lingering(gr_conn_t *c) { request_close(c, GR_CLOSE_LINGER); }
