/* gr_tcp_in.cpp - tcp_in threads: own connections, read them, cut packages
 * with the module's check, and process them inline (worker disabled) or
 * hand them to the connection's worker. The owner is also the only thread
 * that closes a connection: others ask through its close list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_server.h"

/* Reads per readiness report before going back to poll: a read that fills
 * the buffer is followed by another, so a burst is not cut into one poll
 * round trip per buffer. */
#define GR_READS_PER_EVENT 4

static void list_add(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    c->prev = NULL;
    c->next = ctx->conns;
    if (ctx->conns)
        ctx->conns->prev = c;
    ctx->conns = c;
}

static void list_del(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        ctx->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* The owner's close: stop reading, wake other threads' waits on the socket
 * (shutdown makes it writable-with-error for them), drop the owner's
 * reference. The socket itself closes with the last reference. */
static void in_close(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    GR_CHECK_OWNER(ctx, c);
    if (c->in_closed)
        return;
    c->in_closed = 1;
    c->close_requested.store(1, std::memory_order_release);
    if (ctx->proc_id >= 0)
        gr_reply_abandon(ctx, c); /* inline mode: this thread holds the replies */
    if (!c->in_eof)
        gr_poll_del(ctx->poll, c->fd);
    shutdown(c->fd, SHUT_WR);
    list_del(ctx, c);
    GR_COUNT(ctx, closed, 1);
    gr_conn_unref(c);
}

/* The peer finished sending. Replies still owed are sent, then we close. */
static void in_eof(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    gr_server_t *s = ctx->server;
    if (s->settings.worker_disabled) {
        /* Inline: each read's replies were flushed, and a connection whose
         * replies wait for writability is not read (on_readable stops). */
        in_close(ctx, c);
        return;
    }
    c->in_eof = 1;
    gr_poll_del(ctx->poll, c->fd);
    gr_job_t *job = (gr_job_t *)calloc(1, sizeof *job);
    if (!job) {
        in_close(ctx, c);
        return;
    }
    job->conn = c; /* count 0: flush, then close */
    gr_conn_ref(c);
    gr_handoff(&s->groups[GR_GROUP_WORKER][c->worker_index], ctx->index, job);
}

static int lens_push(gr_thread_ctx_t *ctx, uint32_t *n, uint32_t len)
{
    if (*n == ctx->lens_cap) {
        uint32_t cap = ctx->lens_cap ? ctx->lens_cap * 2 : 64;
        uint32_t *p = (uint32_t *)realloc(ctx->lens, cap * sizeof *p);
        if (!p)
            return GR_ENOMEM;
        ctx->lens = p;
        ctx->lens_cap = cap;
    }
    ctx->lens[(*n)++] = len;
    return GR_OK;
}

/* Give count packages starting at data to their processing thread. */
static void dispatch(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, size_t bytes, uint32_t count)
{
    gr_server_t *s = ctx->server;
    if (s->settings.worker_disabled) {
        gr_process_packages(ctx, c, data, ctx->lens, count);
        return;
    }
    /* One allocation per read, not per package: the job header, the lengths
     * and a copy of the bytes (the receive buffer is reused at once). */
    gr_job_t *job = (gr_job_t *)malloc(sizeof *job + count * sizeof(uint32_t) + bytes);
    if (!job) {
        GR_ERROR("out of memory for %u packages on fd %d; closing it", count, c->fd);
        GR_COUNT(ctx, dropped, count);
        gr_conn_close(c); /* deferred: the caller still uses c */
        return;
    }
    job->conn = c;
    job->count = count;
    job->lens = (uint32_t *)(job + 1);
    job->data = (char *)(job->lens + count);
    memcpy(job->lens, ctx->lens, count * sizeof(uint32_t));
    memcpy(job->data, data, bytes);
    gr_conn_ref(c);
    gr_handoff(&s->groups[GR_GROUP_WORKER][c->worker_index], ctx->index, job);
}

/* Cut what c->in holds into packages and dispatch them. Returns false when
 * the connection was closed (bad data). *need gets the total size the module
 * said the next package has, when it said so. */
static bool cut_packages(gr_thread_ctx_t *ctx, gr_conn_t *c, size_t *need)
{
    const gr_module_t *m = &ctx->server->module.m;
    gr_buf_t *b = &c->in;
    size_t start = b->off, pos = b->off;
    uint32_t n = 0;
    *need = 0;
    while (pos < b->len) {
        size_t avail = b->len - pos;
        long rc = m->check(c, b->data + pos, avail);
        if (rc == GR_CHECK_NEED_MORE)
            break;
        if (rc < 0) {
            GR_DEBUG("module check: bad data on fd %d; closing it", c->fd);
            GR_COUNT(ctx, bad, 1);
            in_close(ctx, c);
            return false;
        }
        if ((size_t)rc > avail) { /* a size hint: the package is rc bytes */
            *need = (size_t)rc;
            break;
        }
        if (lens_push(ctx, &n, (uint32_t)rc) != GR_OK) {
            in_close(ctx, c);
            return false;
        }
        pos += (size_t)rc;
    }
    if (n) {
        GR_COUNT(ctx, packages, n);
        dispatch(ctx, c, b->data + start, pos - start, n);
    }
    b->off = pos;
    if (b->off == b->len)
        b->off = b->len = 0;
    return !c->in_closed;
}

static void on_readable(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    const gr_settings_t *st = &ctx->server->settings;
    size_t need = 0;
    GR_CHECK_OWNER(ctx, c);
    for (int round = 0; round < GR_READS_PER_EVENT; round++) {
        gr_buf_t *b = &c->in;
        /* Grow when full, or to the size the module said the package has,
         * up to recv_buf.max: past it the package can never fit. */
        size_t have = b->len - b->off, want = 1;
        if (!b->cap)
            want = (size_t)st->recv_buf_init;
        else if (need > have)
            want = need - have;
        else if (have == b->cap)
            want = b->cap; /* full: double, but never past the max */
        if ((uint64_t)have + want > (uint64_t)st->recv_buf_max && have < (size_t)st->recv_buf_max)
            want = (size_t)st->recv_buf_max - have;
        int rc = gr_buf_reserve(b, want, (size_t)st->recv_buf_max);
        if (rc != GR_OK) {
            GR_WARN("fd %d: package larger than tcp.in.recv_buf.max (%lld bytes) or out of memory; closing it",
                    c->fd, (long long)st->recv_buf_max);
            GR_COUNT(ctx, bad, 1);
            in_close(ctx, c);
            return;
        }
        size_t room = b->cap - b->len;
        long r = gr_socket_recv(c->fd, b->data + b->len, room);
        if (r < 0) {
            if (r == -EAGAIN || r == -EWOULDBLOCK)
                return;
            GR_DEBUG("recv on fd %d: %s", c->fd, gr_strerror((int)r));
            in_close(ctx, c);
            return;
        }
        if (r == 0) {
            in_eof(ctx, c);
            return;
        }
        GR_COUNT(ctx, bytes_in, (uint64_t)r);
        b->len += (size_t)r;
        if (!cut_packages(ctx, c, &need))
            return;
        if ((size_t)r < room || gr_conn_closing(c) || (ctx->proc_id >= 0 && c->out_waiting))
            return; /* drained the socket, or (inline) replies must go out first */
    }
}

static void adopt(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    list_add(ctx, c);
    if (ctx->server->stop[GR_GROUP_IN].load(std::memory_order_acquire)) {
        c->in_eof = 1; /* never registered */
        in_close(ctx, c);
        return;
    }
    int rc = gr_poll_add(ctx->poll, c->fd, GR_POLL_IN, c);
    if (rc < 0) {
        GR_ERROR("poll: cannot add fd %d: %s", c->fd, gr_strerror(rc));
        c->in_eof = 1;
        in_close(ctx, c);
    }
}

static void drain_inbox(gr_thread_ctx_t *ctx)
{
    void *items[64];
    for (int i = 0; i < ctx->inbox_count; i++) {
        size_t n;
        while ((n = gr_queue_pop_burst(&ctx->inbox[i], items, 64)) > 0)
            for (size_t k = 0; k < n; k++)
                adopt(ctx, (gr_conn_t *)items[k]);
    }
}

static void drain_close_list(gr_thread_ctx_t *ctx)
{
    gr_conn_t *c = ctx->close_list.exchange(NULL, std::memory_order_acquire);
    while (c) {
        gr_conn_t *next = c->close_next;
        in_close(ctx, c);
        gr_conn_unref(c); /* the close list's reference */
        c = next;
    }
}

void *gr_tcp_in_main(void *arg)
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
        for (int i = 0; i < n; i++) {
            gr_conn_t *c = (gr_conn_t *)evs[i].udata;
            if (!c)
                continue; /* wake-up */
            /* out_waiting is this thread's own only when it processes inline;
             * in worker mode it belongs to the worker. */
            if (ctx->proc_id >= 0 && c->out_waiting)
                gr_reply_on_writable(ctx, c, evs[i].events); /* replies first */
            else
                on_readable(ctx, c);
        }
        drain_inbox(ctx);
        drain_close_list(ctx);
        if (s->stop[GR_GROUP_IN].load(std::memory_order_acquire) && !ctx->closed_all.load(std::memory_order_relaxed)) {
            drain_inbox(ctx); /* connections accepted before the stop */
            while (ctx->conns)
                in_close(ctx, ctx->conns);
            ctx->closed_all.store(1, std::memory_order_release);
        }
        if (s->in_exit.load(std::memory_order_acquire)) {
            drain_close_list(ctx);
            break;
        }
    }
    gr_thread_end(ctx);
    return NULL;
}
