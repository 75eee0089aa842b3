/* gr_reply.cpp - the processing side of a connection: run proc over cut
 * packages, then get the replies out. Replies are sent directly from the
 * processing thread; only what the socket does not take waits, either for
 * writability on this thread's own poll (tcp_out disabled) or at tcp_out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gr_defer.h"
#include "gr_error.h"
#include "gr_http.h"
#include "gr_log.h"
#include "gr_conn_io.h"
#include "gr_pipeline.h"

/* Bytes at the front of c->out left it (sent or dropped): those counted in
 * c->held stop counting. */
static void held_gone(gr_conn_t *c, size_t n)
{
    if (n > c->out_counted)
        n = c->out_counted;
    if (n) {
        c->held.fetch_sub((int64_t)n, std::memory_order_relaxed);
        c->out_counted -= n;
    }
}

static void discard_out(gr_conn_t *c)
{
    held_gone(c, c->out.len - c->out.off);
    c->out.off = c->out.len = 0;
}

/* Everything unsent in c->out is held from now on (it did not go out with
 * the first send). Past tcp.out.close_bytes the connection is closed:
 * false then. */
static bool held_count_rest(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    size_t rest = c->out.len - c->out.off;
    if (rest <= c->out_counted)
        return true;
    int64_t add = (int64_t)(rest - c->out_counted);
    int64_t now = c->held.fetch_add(add, std::memory_order_relaxed) + add;
    c->out_counted = rest;
    int64_t limit = gr_settings_live(ctx->server)->out_close_bytes;
    if (now <= limit)
        return true;
    GR_COUNT(ctx, output_limit, 1);
    GR_DEBUG("fd %lld: %lld bytes held past tcp.out.close_bytes (%lld); closing it", gr_socket_id(c->fd), (long long)now,
             (long long)limit);
    discard_out(c);
    gr_conn_close(c);
    return false;
}

/* The thread's spare reply buffer goes to a connection that has none when
 * processing starts, and comes back when everything was sent. */
static void lend_out(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    if (c->out.cap == 0 && ctx->proc->out_spare.cap) {
        c->out = ctx->proc->out_spare;
        memset(&ctx->proc->out_spare, 0, sizeof ctx->proc->out_spare);
    }
}

static void take_back_out(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    if (c->out.len != c->out.off || c->out.cap == 0)
        return;
    if (ctx->proc->out_spare.cap == 0) {
        ctx->proc->out_spare = c->out;
        ctx->proc->out_spare.off = ctx->proc->out_spare.len = 0;
    } else {
        gr_buf_free(&c->out);
    }
    memset(&c->out, 0, sizeof c->out);
}

static void list_unlink(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    gr_conn_list_unlink(&ctx->proc->waiting, c, &gr_conn_t::wait_link);
}

static void stop_waiting(gr_thread_ctx_t *ctx, gr_conn_t *c);

/* Inline, the owner's registration for input serves the wait for output;
 * a connection not read now (its peer's EOF came, or reading is paused)
 * has none, which only a deferred reply can meet. */
static bool in_registered(const gr_conn_t *c) { return !c->in_eof && !c->read_paused; }

static void wait_writable(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    c->out_waiting = 1;
    GR_GAUGE_ADD(ctx, replies_waiting, 1);
    gr_conn_list_push(&ctx->proc->waiting, c, &gr_conn_t::wait_link);
    int rc;
    if (ctx->group == GR_GROUP_IN) {
        /* The owner processes inline: it stops reading until the replies are
         * out, so a client that does not read cannot make us buffer. */
        rc = in_registered(c) ? gr_poll_mod(ctx->poll, c->fd, GR_POLL_OUT, c)
                              : gr_poll_add(ctx->poll, c->fd, GR_POLL_OUT, c);
    } else {
        gr_conn_ref(c); /* the registration holds a reference */
        rc = gr_poll_add(ctx->poll, c->fd, GR_POLL_OUT, c);
    }
    if (rc < 0) {
        GR_ERROR("poll: cannot wait for writability of fd %lld: %s", gr_socket_id(c->fd), gr_strerror(rc));
        gr_conn_close(c);
        discard_out(c);
        stop_waiting(ctx, c); /* undo, so nothing holds c until shutdown */
    }
}

static void stop_waiting(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    if (!c->out_waiting)
        return;
    c->out_waiting = 0;
    GR_GAUGE_ADD(ctx, replies_waiting, -1);
    list_unlink(ctx, c);
    if (ctx->group == GR_GROUP_IN) {
        if (!c->in_closed && in_registered(c))
            gr_poll_mod(ctx->poll, c->fd, GR_POLL_IN, c);
        else if (!c->in_closed)
            gr_poll_del(ctx->poll, c->fd);
    } else {
        gr_poll_del(ctx->poll, c->fd);
        gr_conn_unref(c);
    }
}

/* A close asked waits for the replies owed: those deferred too. */
static bool close_due(const gr_conn_t *c) { return c->close_after_flush == GR_CAF_ASKED && !gr_defer_holding(c); }

/* A write shutdown asked (conn_shutdown) waits for the replies owed too. */
static bool shut_due(const gr_conn_t *c) { return c->shut_after_flush == 1 && !gr_defer_holding(c); }

/* Every reply owed is with the socket now: close, lingering; or shut the
 * write side. */
static void dispatch_close(gr_conn_t *c)
{
    if (shut_due(c)) {
        c->shut_after_flush = 2;
        gr_socket_shutdown_write(c->fd);
    }
    if (close_due(c)) {
        c->close_after_flush = GR_CAF_DONE;
        gr_conn_close_lingering(c);
    }
}

/* Hand everything not yet sent to tcp_out, as one chunk. */
static void hand_to_tcp_out(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    gr_server_t *s = ctx->server;
    if (c->out.len == c->out.off && !close_due(c) && !shut_due(c))
        return;
    gr_chunk_t *ch = (gr_chunk_t *)calloc(1, sizeof *ch);
    if (!ch) {
        GR_ERROR("out of memory handing %zu bytes to tcp_out; closing fd %lld", c->out.len - c->out.off, gr_socket_id(c->fd));
        discard_out(c);
        gr_conn_close(c);
        return;
    }
    ch->conn = c;
    ch->buf = c->out; /* the buffer moves with the chunk; no copy */
    memset(&c->out, 0, sizeof c->out);
    c->out_counted = 0; /* its bytes stay held until tcp_out sends them */
    if (shut_due(c)) {
        ch->shut_after = 1;
        c->shut_after_flush = 2;
    }
    if (close_due(c)) {
        ch->close_after = 1;
        c->close_after_flush = GR_CAF_DONE;
    }
    gr_conn_ref(c);
    c->chunks_handed++;
    gr_handoff(&s->groups[GR_GROUP_OUT][c->out_index], ctx->index, ch);
}

/* One send; false when the connection failed (and was asked to close). */
static bool send_some(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    size_t n = c->out.len - c->out.off;
    if (!n)
        return true;
    long r = gr_socket_send(c->fd, c->out.data + c->out.off, n);
    if (r < 0) {
        if (r == -EAGAIN || r == -EWOULDBLOCK) {
            gr_conn_send_progress(c, true, false);
            return true;
        }
        GR_DEBUG("send on fd %lld: %s", gr_socket_id(c->fd), gr_strerror((int)r));
        GR_COUNT(ctx, io_errors, 1);
        discard_out(c);
        gr_conn_close(c);
        return false;
    }
    GR_COUNT(ctx, bytes_out, (uint64_t)r);
    held_gone(c, (size_t)r);
    c->out.off += (size_t)r;
    bool blocked = c->out.off != c->out.len;
    gr_conn_send_progress(c, blocked, true);
    if (!blocked)
        discard_out(c);
    return true;
}

void gr_reply_flush(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    GR_CHECK_PROCESSOR(ctx, c);
    if (gr_conn_closing(c)) {
        discard_out(c); /* closing: nothing more is sent */
        take_back_out(ctx, c);
        gr_defer_abandon(ctx, c);
        return;
    }
    if (c->out_waiting) {
        held_count_rest(ctx, c); /* bytes wait their turn behind the ones already waiting */
        return;
    }
    /* (Never true without tcp_out: nothing is ever handed there.) */
    if (c->chunks_handed != c->chunks_done.load(std::memory_order_acquire)) {
        if (held_count_rest(ctx, c))
            hand_to_tcp_out(ctx, c); /* earlier bytes are still at tcp_out: keep the order */
        return;
    }
    if (!send_some(ctx, c))
        return;
    if (c->out.len != c->out.off) {
        if (!held_count_rest(ctx, c))
            return;
        ctx->proc->send_rest(ctx, c);
        return;
    }
    take_back_out(ctx, c);
    dispatch_close(c);
}

void gr_reply_init(gr_thread_ctx_t *ctx)
{
    ctx->proc->send_rest = ctx->server->counts[GR_GROUP_OUT] ? hand_to_tcp_out : wait_writable;
}

void gr_reply_on_writable(gr_thread_ctx_t *ctx, gr_conn_t *c, uint32_t events)
{
    GR_CHECK_PROCESSOR(ctx, c);
    if (gr_conn_closing(c)) {
        discard_out(c);
        stop_waiting(ctx, c);
        return;
    }
    if (!send_some(ctx, c)) {
        stop_waiting(ctx, c);
        return;
    }
    if (c->out.len == c->out.off) {
        /* Close first: stop_waiting may drop this thread's last reference,
         * and the owner may free c the moment it does. */
        take_back_out(ctx, c);
        dispatch_close(c);
        stop_waiting(ctx, c);
    }
}

void gr_reply_abandon(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    gr_defer_abandon(ctx, c);
    discard_out(c);
    stop_waiting(ctx, c);
}

void gr_reply_drop_waiting(gr_thread_ctx_t *ctx)
{
    while (ctx->proc->waiting) {
        gr_conn_t *c = ctx->proc->waiting;
        discard_out(c);
        stop_waiting(ctx, c);
    }
}

bool gr_process_one(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, uint32_t len, const gr_http_msg_t *msg)
{
    GR_CHECK_PROCESSOR(ctx, c);
    if (gr_conn_closing(c) || c->close_after_flush != GR_CAF_NONE) {
        GR_COUNT(ctx, dropped, 1);
        return false;
    }
    lend_out(ctx, c);
    size_t start = c->out.len - c->out.off; /* where this package's reply begins */
    gr_cb_t prev = gr_cb_enter(c, GR_CB_PROC);
    int rc = msg ? gr_http_process(ctx, c, data, msg) : ctx->server->module.m.proc(c, data, len);
    gr_cb_leave(prev);
    if (ctx->proc->deferred || gr_defer_holding(c))
        gr_defer_after_proc(ctx, c, start);
    GR_COUNT(ctx, processed, 1);
#if GR_REQUEST_DEBUG_LOG
    GR_DEBUG("fd %lld: package of %u bytes processed on %s %d: returned %d", gr_socket_id(c->fd), len,
             ctx->group == GR_GROUP_IN ? "tcp_in" : "worker", ctx->index, rc);
#endif
    if (rc != GR_PROC_OK)
        c->close_after_flush = GR_CAF_ASKED;
    return true;
}

void gr_process_job(gr_thread_ctx_t *ctx, gr_job_t *job)
{
    gr_conn_t *c = job->conn;
    const char *data = job->data;
    for (uint32_t i = 0; i < job->count; i++) {
        gr_http_msg_t msg;
        if (job->metas)
            gr_http_msg_unpack(job->meta + job->metas[i], &msg);
        gr_process_one(ctx, c, data, job->lens[i], job->metas ? &msg : NULL);
        data += job->lens[i];
    }
    if (data != job->data) /* tcp_in counted the packages as held (gr_tcp_in.cpp) */
        c->held.fetch_sub((int64_t)(data - job->data), std::memory_order_relaxed);
    size_t tail_at = c->out.len - c->out.off;
    if (job->tail_status == 100 && !gr_conn_closing(c) && c->close_after_flush == GR_CAF_NONE)
        gr_http_continue(c);
    else if (job->tail_status >= 400 && !gr_conn_closing(c) && c->close_after_flush == GR_CAF_NONE) {
        gr_http_error(ctx, c, job->tail_status);
        c->close_after_flush = GR_CAF_ASKED;
    }
    gr_defer_capture(ctx, c, tail_at); /* behind the deferred replies, if any */
    if (job->eof == GR_JOB_EOF_TELL) {
        gr_conn_eof(ctx, c); /* the module's tcp_eof; it flushes */
        return;
    }
    if (job->eof && c->close_after_flush == GR_CAF_NONE)
        c->close_after_flush = GR_CAF_ASKED; /* the peer finished: flush, then close */
    gr_reply_flush(ctx, c);
}
