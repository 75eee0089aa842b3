/* gr_tcp_out.cpp - tcp_out threads: send reply chunks the processing threads
 * could not send at once, waiting for writability on this thread's own poll
 * so that a slow reader never holds up receiving or processing. Chunks of
 * one connection are sent in the order they were handed over. */
#include <errno.h>
#include <stdlib.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_pipeline.h"

static void chunk_done(gr_chunk_t *ch)
{
    gr_conn_t *c = ch->conn;
    /* release: the processing thread may send directly once it sees every
     * chunk it handed over done. */
    c->chunks_done.fetch_add(1, std::memory_order_release);
    gr_buf_free(&ch->buf);
    free(ch);
    gr_conn_unref(c);
}

/* false when the registration failed (the connection is then closing). */
static bool set_registered(gr_thread_ctx_t *ctx, gr_conn_t *c, bool on)
{
    if (on == (c->out_registered != 0))
        return true;
    if (on) {
        int rc = gr_poll_add(ctx->poll, c->fd, GR_POLL_OUT, c);
        if (rc < 0) {
            GR_ERROR("tcp_out: poll add fd %lld: %s", gr_socket_id(c->fd), gr_strerror(rc));
            gr_conn_close(c);
            return false;
        }
        c->out_registered = 1;
        GR_GAUGE_ADD(ctx, replies_waiting, 1);
        gr_conn_list_push(&ctx->out->queued, c, &gr_conn_t::out_link);
    } else {
        gr_poll_del(ctx->poll, c->fd);
        c->out_registered = 0;
        GR_GAUGE_ADD(ctx, replies_waiting, -1);
        gr_conn_list_unlink(&ctx->out->queued, c, &gr_conn_t::out_link);
    }
    return true;
}

static void drop_all(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    set_registered(ctx, c, false);
    while (c->chunk_head) {
        gr_chunk_t *ch = c->chunk_head;
        c->chunk_head = ch->next;
        if (!c->chunk_head)
            c->chunk_tail = NULL;
        chunk_done(ch);
    }
}

/* Send queued chunks until the socket is full or none is left. */
static void try_send(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    GR_CHECK_SENDER(ctx, c);
    gr_conn_ref(c); /* completing the last chunk must not free c under us */
    bool moved = false; /* bytes went out in this call, maybe a whole chunk before the one that blocks */
    while (c->chunk_head) {
        if (gr_conn_closing(c)) {
            drop_all(ctx, c);
            break;
        }
        gr_chunk_t *ch = c->chunk_head;
        size_t n = ch->buf.len - ch->buf.off;
        if (n) {
            long r = gr_socket_send(c->fd, ch->buf.data + ch->buf.off, n);
            if (r < 0 && r != -EAGAIN && r != -EWOULDBLOCK) {
                GR_DEBUG("tcp_out: send on fd %lld: %s", gr_socket_id(c->fd), gr_strerror((int)r));
                GR_COUNT(ctx, io_errors, 1);
                gr_conn_close(c);
                drop_all(ctx, c);
                break;
            }
            if (r > 0) /* a chunk's bytes were all counted as held (gr_reply.cpp) */
                c->held.fetch_sub(r, std::memory_order_relaxed);
            moved = moved || r > 0;
            if (r < 0 || (size_t)r < n) {
                gr_conn_send_progress(c, true, moved);
                if (r > 0) {
                    ch->buf.off += (size_t)r;
                    GR_COUNT(ctx, bytes_out, (uint64_t)r);
                }
                if (!set_registered(ctx, c, true))
                    drop_all(ctx, c);
                break;
            }
            GR_COUNT(ctx, bytes_out, (uint64_t)r);
        }
        c->chunk_head = ch->next;
        if (!c->chunk_head)
            c->chunk_tail = NULL;
        if (ch->shut_after)
            gr_socket_shutdown_write(c->fd); /* conn_shutdown: everything owed is with the socket */
        if (ch->close_after)
            gr_conn_close_lingering(c); /* the last reply owed is with the socket */
        chunk_done(ch);
    }
    if (!c->chunk_head) {
        gr_conn_send_progress(c, false, false);
        set_registered(ctx, c, false);
    }
    gr_conn_unref(c);
}

static void take_chunk(gr_thread_ctx_t *ctx, int ring, void *item)
{
    gr_chunk_t *ch = (gr_chunk_t *)item;
    gr_conn_t *c = ch->conn;
    ch->next = NULL;
    bool was_empty = c->chunk_head == NULL;
    if (c->chunk_tail)
        c->chunk_tail->next = ch;
    else
        c->chunk_head = ch;
    c->chunk_tail = ch;
    if (was_empty)
        try_send(ctx, c); /* otherwise it waits behind the others */
}

static void on_writable(gr_thread_ctx_t *ctx, void *udata, uint32_t events)
{
    try_send(ctx, (gr_conn_t *)udata);
}

void *gr_tcp_out_main(void *arg)
{
    gr_thread_ctx_t *ctx = (gr_thread_ctx_t *)arg;
    if (gr_thread_begin(ctx) != GR_OK)
        return NULL;
    gr_consume_loop(ctx, on_writable, take_chunk);
    while (ctx->out->queued)
        drop_all(ctx, ctx->out->queued);
    gr_thread_end(ctx);
    return NULL;
}
