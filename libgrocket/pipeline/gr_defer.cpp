/* gr_defer.cpp - replies that come later: the per-connection queue in
 * request order, completions from any thread, and letting go of handles
 * when a connection closes or the server stops (gr_defer.h). */
#include "gr_defer.h"

#include <new>
#include <stdlib.h>
#include <string.h>

#include "gr_error.h"
#include "gr_http.h"
#include "gr_log.h"
#include "gr_pipeline.h"

static void slot_free(gr_reply_t *r)
{
    gr_buf_free(&r->bytes);
    free(r->content_type);
    free(r);
}

static void late_dropped(gr_server_t *s) { s->replies_late_dropped.fetch_add(1, std::memory_order_relaxed); }

gr_reply_t *gr_defer_take(gr_conn_t *c)
{
    gr_thread_ctx_t *ctx = gr_proc_ctx(c);
    if (gr_cb.deferred || !ctx->async)
        return NULL;
    gr_reply_t *r = (gr_reply_t *)calloc(1, sizeof *r);
    if (!r)
        return NULL;
    new (&r->state) std::atomic<int>(GR_REPLY_PENDING);
    r->msg.kind = GR_MSG_REPLY;
    r->handle = 1;
    r->http = c->is_http;
    r->conn = c;
    r->owner = ctx->async;
    r->server = c->server;
    gr_conn_ref(c); /* the handle's */
    ctx->proc->deferred = r;
    gr_cb.deferred = 1;
    return r;
}

void gr_defer_http_facts(gr_reply_t *r, int close, int keep_alive_1_0, int is_head)
{
    r->http_close = close;
    r->keep_alive_1_0 = keep_alive_1_0;
    r->is_head = is_head;
}

int gr_defer_complete(gr_reply_t *r, int http, int status, const char *content_type, const void *data, size_t len,
                      int flags)
{
    if (!r || r->http != http || (len && !data))
        return GR_EINVAL;
    if (http && (!gr_http_status_ok(status) || (content_type && !gr_http_value_ok(content_type))))
        return GR_EINVAL;
    if (len) {
        if (gr_buf_reserve(&r->bytes, len, 0) != GR_OK)
            return GR_ENOMEM;
        memcpy(r->bytes.data, data, len);
        r->bytes.len = len;
    }
    if (content_type && !(r->content_type = strdup(content_type))) {
        gr_buf_free(&r->bytes);
        return GR_ENOMEM;
    }
    r->flags = flags;
    r->status = status;
    int pending = GR_REPLY_PENDING;
    if (r->state.compare_exchange_strong(pending, GR_REPLY_DONE, std::memory_order_acq_rel)) {
        /* Its processing thread closes its mailbox only once every handle
         * it gave out is settled, this one included. */
        gr_async_push(r->owner, &r->msg);
        return GR_OK;
    }
    /* Let go: the connection closed or the server stopped meanwhile. */
    late_dropped(r->server);
    slot_free(r);
    return GR_OK;
}

static void hold(gr_thread_ctx_t *ctx, gr_conn_t *c, gr_reply_t *r)
{
    r->next = NULL;
    if (c->slot_tail) {
        c->slot_tail->next = r;
    } else {
        c->slot_head = r;
        gr_conn_list_push(&ctx->async->holding, c, &gr_conn_t::hold_link);
    }
    c->slot_tail = r;
}

static void unhold(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    c->slot_head = c->slot_tail = NULL;
    gr_conn_list_unlink(&ctx->async->holding, c, &gr_conn_t::hold_link);
}

static gr_reply_t *pop(gr_conn_t *c)
{
    gr_reply_t *r = c->slot_head;
    c->slot_head = r->next;
    if (!c->slot_head)
        c->slot_tail = NULL;
    return r;
}

static void pending_gone(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    c->pending.fetch_sub(1, std::memory_order_relaxed);
    GR_GAUGE_ADD(ctx, replies_pending, -1);
}

/* A handle whose completion reached the front, or was dropped, is done
 * with: its reference goes (the caller holds one of its own on c). */
static void settle(gr_thread_ctx_t *ctx, gr_conn_t *c, gr_reply_t *r)
{
    pending_gone(ctx, c);
    slot_free(r);
    gr_conn_unref(c);
}

void gr_defer_capture(gr_thread_ctx_t *ctx, gr_conn_t *c, size_t start)
{
    size_t end = c->out.len - c->out.off;
    if (!c->slot_head || end <= start)
        return;
    gr_reply_t *r = (gr_reply_t *)calloc(1, sizeof *r);
    if (!r || gr_buf_reserve(&r->bytes, end - start, 0) != GR_OK) {
        free(r);
        GR_ERROR("out of memory queueing a reply behind a deferred one on fd %lld; closing it", gr_socket_id(c->fd));
        c->out.len = c->out.off + start;
        gr_conn_close(c);
        return;
    }
    new (&r->state) std::atomic<int>(GR_REPLY_DONE);
    memcpy(r->bytes.data, c->out.data + c->out.off + start, end - start);
    r->bytes.len = end - start;
    c->out.len = c->out.off + start;
    hold(ctx, c, r);
}

void gr_defer_after_proc(gr_thread_ctx_t *ctx, gr_conn_t *c, size_t start)
{
    gr_reply_t *r = ctx->proc->deferred;
    if (!r) {
        gr_defer_capture(ctx, c, start);
        return;
    }
    ctx->proc->deferred = NULL;
    c->out.len = c->out.off + start; /* what proc replied for this package is dropped */
    hold(ctx, c, r);
    c->pending.fetch_add(1, std::memory_order_relaxed);
    GR_GAUGE_ADD(ctx, replies_pending, 1);
    GR_COUNT(ctx, replies_deferred, 1);
}

static void abandon(gr_thread_ctx_t *ctx, gr_conn_t *c);

/* The reply of a slot at the front into conn->out. True when it closes
 * the connection. */
static bool emit(gr_thread_ctx_t *ctx, gr_conn_t *c, gr_reply_t *r)
{
    if (r->http)
        return gr_http_complete(ctx, c, r) != 0;
    size_t n = r->bytes.len;
    if (n) {
        if (gr_buf_reserve(&c->out, n, 0) != GR_OK) {
            GR_ERROR("out of memory for a deferred reply of %zu bytes on fd %lld; closing it", n, gr_socket_id(c->fd));
            gr_conn_close(c);
            return true;
        }
        memcpy(c->out.data + c->out.len, r->bytes.data, n);
        c->out.len += n;
    }
    return r->handle && (r->flags & GR_REPLY_CLOSE);
}

/* Move the done slots at the front of c's queue to conn->out, up to the
 * next pending handle, and flush. */
static void drain(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    gr_conn_ref(c); /* settling may drop every other reference */
    bool close = false;
    while (c->slot_head && (!c->slot_head->handle || c->slot_head->arrived)) {
        gr_reply_t *r = pop(c);
        close = emit(ctx, c, r);
        if (r->handle)
            settle(ctx, c, r);
        else
            slot_free(r);
        if (close)
            break;
    }
    if (close && c->close_after_flush == GR_CAF_NONE)
        c->close_after_flush = GR_CAF_ASKED;
    if (!c->slot_head)
        unhold(ctx, c);
    else if (close)
        abandon(ctx, c); /* nothing after a reply that closes is sent */
    gr_reply_flush(ctx, c);
    gr_conn_unref(c);
}

void gr_defer_arrived(gr_thread_ctx_t *ctx, gr_reply_t *r)
{
    gr_conn_t *c = r->conn;
    if (r->detached) { /* its connection let go of it on the way */
        ctx->async->detached--;
        late_dropped(ctx->server);
        slot_free(r);
        gr_conn_unref(c);
        return;
    }
    r->arrived = 1;
    if (gr_conn_closing(c))
        gr_defer_abandon(ctx, c);
    else if (c->slot_head == r)
        drain(ctx, c);
    /* else: done, it waits for the ones before it */
}

/* Drop c's queue, letting go of its pending handles. */
static void abandon(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    uint64_t let_go = 0;
    if (!c->slot_head)
        return;
    gr_conn_ref(c);
    while (c->slot_head) {
        gr_reply_t *r = pop(c);
        if (!r->handle) {
            slot_free(r);
        } else if (r->arrived) {
            late_dropped(ctx->server);
            settle(ctx, c, r);
        } else {
            int pending = GR_REPLY_PENDING;
            if (r->state.compare_exchange_strong(pending, GR_REPLY_LET_GO, std::memory_order_acq_rel)) {
                /* The module's completion frees r now: not touched again. */
                let_go++;
                pending_gone(ctx, c);
                gr_conn_unref(c);
            } else {
                /* Completed, on its way here: freed when it arrives. */
                r->detached = 1;
                ctx->async->detached++;
                pending_gone(ctx, c);
            }
        }
    }
    unhold(ctx, c);
    gr_conn_unref(c);
    /* Let go by a stop (the hard one, or a graceful one past its grace
     * period): counted apart from the closes the clients made. */
    if (let_go && ctx->server->stop[GR_GROUP_IN].load(std::memory_order_acquire))
        GR_COUNT(ctx, replies_dropped_stop, let_go);
}

void gr_defer_abandon(gr_thread_ctx_t *ctx, gr_conn_t *c) { abandon(ctx, c); }

void gr_defer_stop(gr_thread_ctx_t *ctx)
{
    while (ctx->async->holding)
        abandon(ctx, ctx->async->holding);
    uint64_t dropped = ctx->counters.replies_dropped_stop.load(std::memory_order_relaxed);
    if (dropped)
        GR_WARN("processing thread %d: %llu deferred repl%s still pending at stop; dropped", ctx->proc_id,
                (unsigned long long)dropped, dropped == 1 ? "y" : "ies");
}
