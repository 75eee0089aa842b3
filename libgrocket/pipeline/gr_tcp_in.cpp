/* gr_tcp_in.cpp - tcp_in threads: own connections, read them, cut packages
 * with the module's check, and process them inline (worker disabled) or
 * hand them to the connection's worker. The owner is also the only thread
 * that closes a connection: others ask through its close list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gr_array.h"
#include "gr_async.h"
#include "gr_defer.h"
#include "gr_error.h"
#include "gr_http.h"
#include "gr_log.h"
#include "gr_conn_io.h"
#include "gr_outbound.h"
#include "gr_pipeline.h"

/* Reads per readiness report before going back to poll: a read that fills
 * the buffer is followed by another, so a burst is not cut into one poll
 * round trip per buffer. */
#define GR_READS_PER_EVENT 4

static void list_add(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    GR_GAUGE_ADD(ctx, connections_open, 1);
    gr_conn_list_push(&ctx->in->conns, c, &gr_conn_t::in_link);
}

static void list_del(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    gr_conn_list_unlink(&ctx->in->conns, c, &gr_conn_t::in_link);
    GR_GAUGE_ADD(ctx, connections_open, -1);
}

/* What tcp_in does with the packages it cuts, chosen once at start by the
 * pipeline mode (gr_tcp_in_init) instead of tested per package. */
typedef struct gr_in_ops_t {
    /* One package cut: process it here, or add it to the worker's job
     * (*n counts them). false: out of memory. */
    bool (*take)(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, uint32_t len, const gr_http_msg_t *msg,
                 uint32_t *n);
    /* After one read's packages: the tail (100 Continue, an HTTP error),
     * bad data's close, then the flush, or the job to the worker. */
    void (*finish)(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, size_t cut_end, uint32_t n, int tail,
                   int close_after);
    void (*eof)(gr_thread_ctx_t *ctx, gr_conn_t *c);       /* the peer finished sending */
    void (*end_input)(gr_thread_ctx_t *ctx, gr_conn_t *c); /* nothing more is read: flush, then close */
    bool pauses; /* backpressure applies (not inline without tcp_out, see pause_if_full) */
} gr_in_ops_t;

/* Backpressure: a connection the server holds tcp.out.pause_bytes for
 * (packages at its worker, replies its client does not read) is taken off
 * the poll, so neither its bytes nor its hang-up wake this thread, until
 * the held bytes fall below half the limit (checked every
 * GR_PAUSE_CHECK_MS). Inline processing without tcp_out needs none of
 * this: there the owner stops reading while replies wait anyway. */
#define GR_PAUSE_CHECK_MS 10

/* Too much owed to c: bytes held (where backpressure applies), or
 * deferred replies pending past tcp.max_pending_replies (any mode: a module
 * that answers later does not stop the reading by itself). */
static bool owed_too_much(gr_thread_ctx_t *ctx, gr_conn_t *c, int64_t held_limit)
{
    const gr_settings_t *st = gr_settings_live(ctx->server);
    return (ctx->in->ops->pauses && c->held.load(std::memory_order_relaxed) > held_limit) ||
           c->pending.load(std::memory_order_relaxed) >= st->max_pending_replies ||
           c->module_paused.load(std::memory_order_relaxed);
}

static bool pause_if_full(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    if (!owed_too_much(ctx, c, gr_settings_live(ctx->server)->out_pause_bytes - 1))
        return false;
    if (!gr_array_reserve(&ctx->in->paused, &ctx->in->paused_cap, (size_t)ctx->in->paused_count + 1, 16))
        return false; /* keep reading rather than fail the connection */
    gr_poll_del(ctx->poll, c->fd);
    c->read_paused = 1;
    ctx->in->paused[ctx->in->paused_count++] = c;
    GR_COUNT(ctx, read_pauses, 1);
    GR_DEBUG("fd %lld: %lld bytes held; not reading it for now", gr_socket_id(c->fd),
             (long long)c->held.load(std::memory_order_relaxed));
    return true;
}

static void unpause(gr_thread_ctx_t *ctx, int i)
{
    ctx->in->paused[i]->read_paused = 0;
    ctx->in->paused[i] = ctx->in->paused[--ctx->in->paused_count];
}

static bool in_close(gr_thread_ctx_t *ctx, gr_conn_t *c, gr_close_how_t how);

static void resume_paused(gr_thread_ctx_t *ctx)
{
    int64_t low = gr_settings_live(ctx->server)->out_pause_bytes / 2;
    for (int i = 0; i < ctx->in->paused_count;) {
        gr_conn_t *c = ctx->in->paused[i];
        /* Inline, a connection waiting to write is on the poll for that:
         * read again once its replies are out (gr_reply.cpp). */
        if (owed_too_much(ctx, c, low) || (ctx->proc_id >= 0 && c->out_waiting)) {
            i++;
            continue;
        }
        unpause(ctx, i); /* moves the last entry to i */
        int rc = gr_poll_add(ctx->poll, c->fd, GR_POLL_IN, c); /* level-triggered: waiting bytes report */
        if (rc < 0) {
            GR_ERROR("poll: cannot add fd %lld again: %s", gr_socket_id(c->fd), gr_strerror(rc));
            c->in_eof = 1; /* not registered */
            in_close(ctx, c, GR_CLOSE_NOW);
        }
    }
}

static void http_parser_release(gr_thread_ctx_t *ctx, gr_conn_t *c);

/* The owner lets go: the socket itself closes with the last reference. */
static void in_release(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    list_del(ctx, c);
    GR_COUNT(ctx, closed, 1);
    gr_conn_unref(c);
}

/* The end of a lingering close: by the peer (its EOF or reset), or `cut`
 * by a bound or a stop. What the peer sent meanwhile is read first, so the
 * close sends a FIN rather than a reset whenever the peer has paused. */
static void linger_end(gr_thread_ctx_t *ctx, gr_conn_t *c, bool cut)
{
    c->lingering = 0;
    GR_GAUGE_ADD(ctx, lingering, -1);
    if (cut) {
        GR_COUNT(ctx, linger_cut, 1);
        long r;
        for (int i = 0; i < GR_READS_PER_EVENT && (r = gr_socket_recv(c->fd, ctx->in->scratch, sizeof ctx->in->scratch)) > 0;
             i++) {
            GR_COUNT(ctx, bytes_in, (uint64_t)r);
            GR_COUNT(ctx, linger_bytes, (uint64_t)r);
        }
    }
    gr_poll_del(ctx->poll, c->fd);
    in_release(ctx, c);
}

/* The owner's close. Either way it stops reading for the module, forgets
 * unsent replies it holds (inline mode), and shuts down the write side:
 * the peer gets end of stream after what was sent, and a worker or tcp_out
 * that waits to write finds the socket writable-with-error and lets go.
 * GR_CLOSE_NOW then drops the owner's reference. GR_CLOSE_LINGER, asked
 * once every reply owed went to the socket, keeps the connection and reads
 * and discards its input until the peer closes or a bound passes
 * (linger_read, sweep_idle, drain_step): a socket closed with unread
 * input, or reached by input after its close, is reset by the kernel, and
 * a reset throws away the replies the peer has not read yet. True when c
 * lingers; false when the owner let go (c may be freed). */
static bool in_close(gr_thread_ctx_t *ctx, gr_conn_t *c, gr_close_how_t how)
{
    GR_CHECK_OWNER(ctx, c);
    if (c->in_closed) {
        if (!c->lingering || how != GR_CLOSE_NOW)
            return c->lingering != 0;
        linger_end(ctx, c, true);
        return false;
    }
    c->in_closed = 1;
    int none = GR_CLOSE_NONE;
    c->close_requested.compare_exchange_strong(none, how, std::memory_order_acq_rel);
    gr_conn_closing_tell(c); /* the module's tcp_closing */
    /* On this poll: for input, or (inline) for output, also after the
     * peer's EOF or a pause when a deferred reply came since. */
    bool waiting_out = ctx->proc_id >= 0 && c->out_waiting;
    bool registered = waiting_out || (!c->in_eof && !c->read_paused);
    if (ctx->proc_id >= 0)
        gr_reply_abandon(ctx, c); /* inline mode: this thread holds the replies */
    http_parser_release(ctx, c);
    if (c->read_paused) {
        for (int i = 0; i < ctx->in->paused_count; i++)
            if (ctx->in->paused[i] == c) {
                unpause(ctx, i);
                break;
            }
    }
    gr_socket_shutdown_write(c->fd);
    gr_buf_free(&c->in); /* nothing more is cut */
    if (how == GR_CLOSE_LINGER && !c->in_eof && gr_settings_live(ctx->server)->lingering_time > 0 &&
        !ctx->server->stop[GR_GROUP_IN].load(std::memory_order_acquire)) {
        /* A close after the replies finds the registration for input:
         * inline, the wait for writability ended with the last reply. */
        int rc = !registered ? gr_poll_add(ctx->poll, c->fd, GR_POLL_IN, c)
                 : waiting_out ? gr_poll_mod(ctx->poll, c->fd, GR_POLL_IN, c) : 0;
        if (rc == 0) {
            c->lingering = 1;
            c->linger_start_ms = c->last_active_ms = ctx->in->now_ms;
            GR_GAUGE_ADD(ctx, lingering, 1);
            GR_COUNT(ctx, lingered, 1);
            GR_DEBUG("fd %lld: closing: replies sent, write side shut down; discarding input until the client closes",
                     gr_socket_id(c->fd));
            return true;
        }
        GR_DEBUG("poll: cannot watch fd %lld for lingering: %s; closing it now", gr_socket_id(c->fd), gr_strerror(rc));
        registered = true; /* whatever the failed call left, remove it */
    }
    if (registered)
        gr_poll_del(ctx->poll, c->fd);
    in_release(ctx, c);
    return false;
}

/* Input of a lingering connection: read and discarded. Its EOF or an
 * error ends the lingering. */
static void linger_read(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    for (int round = 0; round < GR_READS_PER_EVENT; round++) {
        long r = gr_socket_recv(c->fd, ctx->in->scratch, sizeof ctx->in->scratch);
        if (r == -EAGAIN || r == -EWOULDBLOCK)
            return;
        if (r <= 0) {
            linger_end(ctx, c, false);
            return;
        }
        GR_COUNT(ctx, bytes_in, (uint64_t)r);
        GR_COUNT(ctx, linger_bytes, (uint64_t)r);
        c->last_active_ms = ctx->in->now_ms;
        if ((size_t)r < sizeof ctx->in->scratch)
            return;
    }
}

/* A job for c's worker: the packages collected in ctx->in->lens (and, for
 * HTTP, their packed descriptions in ctx->in->meta) lying back to back from
 * data, then the tail and EOF marks. One allocation per read, not per
 * package: the receive buffer is reused at once, so the bytes are copied. */
static void send_job(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, size_t bytes, uint32_t count,
                     int tail_status, int eof)
{
    gr_server_t *s = ctx->server;
    size_t metas = c->is_http ? count * sizeof(uint32_t) : 0;
    size_t meta = c->is_http ? ctx->in->meta.len : 0;
    gr_job_t *job = (gr_job_t *)malloc(sizeof *job + count * sizeof(uint32_t) + metas + meta + bytes + 8);
    if (!job) {
        GR_ERROR("out of memory for %u packages on fd %lld; closing it", count, gr_socket_id(c->fd));
        GR_COUNT(ctx, dropped, count);
        gr_conn_close(c); /* deferred: the caller still uses c */
        return;
    }
    job->conn = c;
    job->count = count;
    job->eof = eof;
    job->tail_status = tail_status;
    job->lens = (uint32_t *)(job + 1);
    job->metas = c->is_http ? job->lens + count : NULL;
    /* Packed descriptions hold 8-byte fields: keep them aligned. */
    uintptr_t m = (uintptr_t)(job->lens + count) + metas;
    job->meta = (char *)((m + 7) & ~(uintptr_t)7);
    job->data = job->meta + meta;
    if (count) { /* an EOF or tail-only job has no packages (and NULL arrays) */
        memcpy(job->lens, ctx->in->lens, count * sizeof(uint32_t));
        if (c->is_http) {
            memcpy(job->metas, ctx->in->metas, metas);
            memcpy(job->meta, ctx->in->meta.data, meta);
        }
        memcpy(job->data, data, bytes);
        /* Held until processed: the worker takes them off (gr_reply.cpp). */
        c->held.fetch_add((int64_t)bytes, std::memory_order_relaxed);
    }
    gr_conn_ref(c);
    gr_handoff(&s->groups[GR_GROUP_WORKER][c->worker_index], ctx->index, job);
}

/* The peer finished sending. Replies still owed are sent, then we close. */
static void eof_then_close(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    c->in_eof = 1;
    gr_poll_del(ctx->poll, c->fd);
    ctx->in->ops->end_input(ctx, c);
}

/* The peer finished sending and the module has tcp_eof: it is told on
 * the processing thread, after the packages before the EOF, and the
 * connection stays open until it says (conn_shutdown, conn_close). */
static void eof_tell(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    c->in_eof = 1;
    gr_poll_del(ctx->poll, c->fd);
    if (ctx->proc_id >= 0)
        gr_conn_eof(ctx, c);
    else
        send_job(ctx, c, NULL, 0, 0, 0, GR_JOB_EOF_TELL);
}

/* Inline without tcp_out: each read's replies were flushed, and a
 * connection whose replies wait for writability is not read (on_readable
 * stops), so nothing is owed at EOF, unless a reply was deferred: then the
 * replies still owed go out first, as with tcp_out. */
static void eof_close_now(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    if (gr_defer_holding(c))
        eof_then_close(ctx, c);
    else
        in_close(ctx, c, GR_CLOSE_NOW);
}

/* No more input: the replies still owed go out, then the connection
 * closes. Inline, replies may still wait (at tcp_out, or for writability);
 * the close goes after them. With workers the job says so. */
static void end_input_inline(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    if (c->close_after_flush == GR_CAF_NONE)
        c->close_after_flush = GR_CAF_ASKED;
    gr_reply_flush(ctx, c);
}
static void end_input_worker(gr_thread_ctx_t *ctx, gr_conn_t *c) { send_job(ctx, c, NULL, 0, 0, 0, 1); }

/* Remember one package for a worker job: its length and, for HTTP, its
 * packed description. */
static int job_add(gr_thread_ctx_t *ctx, uint32_t *n, uint32_t len, const gr_http_msg_t *msg)
{
    if (!gr_array_reserve2(&ctx->in->lens, &ctx->in->metas, &ctx->in->lens_cap, (size_t)*n + 1, 64))
        return GR_ENOMEM;
    if (msg) {
        size_t size = gr_http_msg_packed_size(msg);
        if (gr_buf_reserve(&ctx->in->meta, size, 0) != GR_OK)
            return GR_ENOMEM;
        ctx->in->metas[*n] = (uint32_t)ctx->in->meta.len;
        gr_http_msg_pack(msg, ctx->in->meta.data + ctx->in->meta.len);
        ctx->in->meta.len += size;
    }
    ctx->in->lens[(*n)++] = len;
    return GR_OK;
}

/* A connection holds an HTTP parser only while a request is partly
 * received; between requests the parser goes back to the thread's spares,
 * so an idle keep-alive connection costs no parser memory and a busy one
 * no allocation per request. */
static void http_parser_release(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    if (!c->http)
        return;
    if (ctx->in->http_spare_count < GR_HTTP_SPARES) {
        gr_http_parser_next(c->http); /* ready for its next request */
        ctx->in->http_spare[ctx->in->http_spare_count++] = c->http;
    } else {
        gr_http_parser_free(c->http);
        free(c->http);
    }
    c->http = NULL;
}

/* Frame the next package: the module's check, or the HTTP parser. */
static long cut_one(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, size_t avail)
{
    if (!c->is_http) {
        gr_cb_t prev = gr_cb_enter(c, GR_CB_CONN);
        long rc = ctx->server->module.m.check(c, data, avail);
        gr_cb_leave(prev);
        return rc;
    }
    if (!c->http) {
        if (ctx->in->http_spare_count) {
            c->http = ctx->in->http_spare[--ctx->in->http_spare_count];
        } else {
            c->http = (gr_http_parser_t *)calloc(1, sizeof *c->http);
            if (!c->http)
                return -500;
            gr_http_parser_init(c->http);
        }
    }
    return gr_http_parser_feed(c->http, data, avail, &gr_server_live(ctx->server)->http_limits);
}

static bool take_inline(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, uint32_t len, const gr_http_msg_t *msg,
                        uint32_t *n)
{
    gr_process_one(ctx, c, data, len, msg);
    (*n)++;
    if (c->close_after_flush != GR_CAF_NONE)
        c->in_stopped = 1; /* proc asked to close: nothing after it is cut */
    return true;
}

static bool take_worker(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, uint32_t len, const gr_http_msg_t *msg,
                        uint32_t *n)
{
    return job_add(ctx, n, len, msg) == GR_OK;
}

static void finish_inline(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, size_t cut_end, uint32_t n, int tail,
                          int close_after)
{
    size_t tail_at = c->out.len - c->out.off;
    if (tail == 100)
        gr_http_continue(c);
    else if (tail && c->close_after_flush == GR_CAF_NONE) {
        gr_http_error(ctx, c, tail);
        c->close_after_flush = GR_CAF_ASKED;
    }
    gr_defer_capture(ctx, c, tail_at); /* behind the deferred replies, if any */
    if (close_after && c->close_after_flush == GR_CAF_NONE)
        c->close_after_flush = GR_CAF_ASKED;
    gr_reply_flush(ctx, c);
}

static void finish_worker(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, size_t cut_end, uint32_t n, int tail,
                          int close_after)
{
    send_job(ctx, c, data, cut_end, n, tail, close_after); /* close_after: flush, then close */
}

static const gr_in_ops_t in_inline_direct = {take_inline, finish_inline, eof_close_now, end_input_inline, false};
static const gr_in_ops_t in_inline_tcp_out = {take_inline, finish_inline, eof_then_close, end_input_inline, true};
static const gr_in_ops_t in_worker = {take_worker, finish_worker, eof_then_close, end_input_worker, true};

void gr_tcp_in_init(gr_thread_ctx_t *ctx)
{
    const gr_server_t *s = ctx->server;
    ctx->in->ops = s->counts[GR_GROUP_WORKER] ? &in_worker : s->counts[GR_GROUP_OUT] ? &in_inline_tcp_out : &in_inline_direct;
}

/* A package that cannot be received: nothing more is cut from c (its
 * bytes so far are dropped); the replies to the packages before it still
 * go out, then the connection closes (lingering), as for bad data. */
static void too_large(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    GR_WARN("fd %lld: package larger than tcp.in.recv_buf.max (%lld bytes) or out of memory; closing it", gr_socket_id(c->fd),
            (long long)gr_settings_live(ctx->server)->recv_buf_max);
    GR_COUNT(ctx, too_large, 1);
    c->in_stopped = 1;
    gr_buf_free(&c->in);
    ctx->in->ops->end_input(ctx, c);
}

/* What cut_packages leaves behind. */
enum gr_cut_result_t {
    GR_CUT_MORE,    /* reading may go on */
    GR_CUT_STOP,    /* nothing more will be cut from this connection */
    GR_CUT_CLOSED   /* closed here: c may be freed already, do not touch it */
};

/* Cut data[0, len) into packages; process them inline or send them to the
 * worker. *consumed gets the bytes cut (or dropped); the rest is the start
 * of a package still incomplete. *need gets the total size the module said
 * the next package has, when it said so. */
static gr_cut_result_t cut_packages(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, size_t len, size_t *consumed,
                         size_t *need)
{
    const gr_in_ops_t *ops = ctx->in->ops;
    /* Read once per call, not per package. */
    int64_t package_max = gr_settings_live(ctx->server)->recv_buf_max;
    bool draining = gr_server_draining(ctx->server);
    size_t pos = 0;
    uint32_t n = 0;
    int tail = 0, close_after = 0; /* close_after: bad data or too large: flush, then close */
    *need = 0;
    *consumed = 0;
    ctx->in->meta.len = 0;
    while (pos < len && !c->in_stopped) {
        size_t avail = len - pos;
        long rc = cut_one(ctx, c, data + pos, avail);
        if (rc == 0) {
            if (c->is_http && gr_http_parser_wants_continue(c->http)) {
                tail = 100;
                c->http->continue_sent = 1;
            }
            break;
        }
        if (rc < 0) {
            GR_COUNT(ctx, bad, 1);
            if (!c->is_http) {
                /* The packages before it are still answered, then the
                 * connection closes. */
                GR_DEBUG("module check: bad data on fd %lld; closing it", gr_socket_id(c->fd));
                c->in_stopped = 1;
                close_after = 1;
                break;
            }
            /* Answered after the replies owed, then closed; nothing more is
             * cut from this connection. */
            GR_DEBUG("fd %lld: bad HTTP request: answering %ld", gr_socket_id(c->fd), -rc);
            tail = (int)-rc;
            c->in_stopped = 1;
            break;
        }
        /* The module's own protocol: a package (or a size hint) past
         * tcp.in.recv_buf.max is refused however the bytes arrived, not only
         * when they had to be gathered (HTTP has its own 413/431 limits). */
        if (!c->is_http && rc > package_max) {
            /* Replies to the packages before it still go out, then the
             * connection closes (like a peer's EOF). */
            GR_WARN("fd %lld: package of %ld bytes, past tcp.in.recv_buf.max (%lld); closing it", gr_socket_id(c->fd), rc,
                    (long long)package_max);
            GR_COUNT(ctx, too_large, 1);
            c->in_stopped = 1;
            close_after = 1;
            break;
        }
        if ((size_t)rc > avail) { /* a size hint: the package is rc bytes */
            *need = (size_t)rc;
            break;
        }
        const gr_http_msg_t *msg = c->is_http ? &c->http->msg : NULL;
        GR_COUNT(ctx, packages, 1);
        if (!ops->take(ctx, c, data + pos, (uint32_t)rc, msg, &n)) {
            in_close(ctx, c, GR_CLOSE_NOW);
            return GR_CUT_CLOSED;
        }
        /* The reply closes (also in a graceful stop, where it says
         * Connection: close): later requests are not served. */
        if (msg && (!msg->keep_alive || draining))
            c->in_stopped = 1;
        if (c->is_http)
            gr_http_parser_next(c->http);
        pos += (size_t)rc;
    }
    size_t cut_end = pos;
    if (c->in_stopped)
        pos = len; /* nothing more will be cut: drop the rest */
    if (c->is_http) {
        /* Time the head of a request begun and not complete (slow senders). */
        if (pos == len) {
            c->req_start_ms = 0;
            http_parser_release(ctx, c);
        } else if (n || !c->req_start_ms) {
            c->req_start_ms = ctx->in->now_ms;
        }
    }
    if (n || tail || close_after)
        ops->finish(ctx, c, data, cut_end, n, tail, close_after);
    *consumed = pos;
    return c->in_stopped ? GR_CUT_STOP : GR_CUT_MORE;
}


/* Room to receive into. A connection with nothing pending receives into the
 * thread's scratch buffer, so a burst is taken in one large read while an
 * idle connection holds no buffer; one with a partial package pending grows
 * its own buffer (when full, or to the size the module announced), up to
 * recv_buf.max: past it the package can never fit. NULL when it cannot. */
static char *recv_room(gr_thread_ctx_t *ctx, gr_conn_t *c, size_t need, size_t *room)
{
    const gr_settings_t *st = gr_settings_live(ctx->server);
    gr_buf_t *b = &c->in;
    size_t have = b->len - b->off;
    if (have == 0 && need == 0) {
        b->off = b->len = 0;
        *room = sizeof ctx->in->scratch;
        return ctx->in->scratch;
    }
    size_t want = 1;
    if (need > have)
        want = need - have;
    else if (have == b->cap)
        want = b->cap; /* full: double, but never past the max */
    if ((uint64_t)have + want > (uint64_t)st->recv_buf_max && have < (size_t)st->recv_buf_max)
        want = (size_t)st->recv_buf_max - have;
    if (gr_buf_reserve(b, want, (size_t)st->recv_buf_max) != GR_OK)
        return NULL;
    *room = b->cap - b->len;
    return b->data + b->len;
}

static void on_readable(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    const gr_settings_t *st = gr_settings_live(ctx->server);
    size_t need = 0;
    GR_CHECK_OWNER(ctx, c);
    for (int round = 0; round < GR_READS_PER_EVENT; round++) {
        if (pause_if_full(ctx, c))
            return;
        gr_buf_t *b = &c->in;
        size_t room;
        char *dst = recv_room(ctx, c, need, &room);
        if (!dst) {
            too_large(ctx, c);
            return;
        }
        long r = gr_socket_recv(c->fd, dst, room);
        if (r < 0) {
            if (r == -EAGAIN || r == -EWOULDBLOCK)
                return;
            GR_DEBUG("recv on fd %lld: %s", gr_socket_id(c->fd), gr_strerror((int)r));
            GR_COUNT(ctx, io_errors, 1);
            in_close(ctx, c, GR_CLOSE_NOW);
            return;
        }
        if (r == 0) {
            if (ctx->server->module.m.tcp_eof && !c->is_http)
                eof_tell(ctx, c); /* the module ends the connection itself */
            else
                ctx->in->ops->eof(ctx, c);
            return;
        }
        GR_COUNT(ctx, bytes_in, (uint64_t)r);
        c->last_active_ms = ctx->in->now_ms;
        bool scratch = dst == ctx->in->scratch;
        if (!scratch)
            b->len += (size_t)r;
        const char *data = scratch ? dst : b->data + b->off;
        size_t len = scratch ? (size_t)r : b->len - b->off, consumed;
        gr_cut_result_t cut = cut_packages(ctx, c, data, len, &consumed, &need);
        if (cut == GR_CUT_CLOSED)
            return;
        if (scratch) {
            /* Keep the incomplete rest in the connection's own buffer. */
            size_t rest = len - consumed;
            if (rest) {
                if (gr_buf_reserve(b, rest > (size_t)st->recv_buf_init ? rest : (size_t)st->recv_buf_init,
                                   (size_t)st->recv_buf_max) != GR_OK) {
                    too_large(ctx, c);
                    return;
                }
                memcpy(b->data, data + consumed, rest);
                b->len = rest;
            }
        } else {
            b->off += consumed;
            if (b->off == b->len)
                b->off = b->len = 0;
        }
        if (cut == GR_CUT_STOP || (size_t)r < room || gr_conn_closing(c) || (ctx->proc_id >= 0 && c->out_waiting))
            return; /* drained the socket, or (inline) replies must go out first */
    }
}

static void adopt(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    list_add(ctx, c);
    c->in_adopted = 1;
    c->last_active_ms = ctx->in->now_ms;
    /* Asked to close before it got here (a module acting on it from
     * tcp_accept's posts): drain_close_list left that to us. */
    if (ctx->server->stop[GR_GROUP_IN].load(std::memory_order_acquire) || gr_conn_closing(c)) {
        c->in_eof = 1; /* never registered */
        in_close(ctx, c, GR_CLOSE_NOW);
        return;
    }
    int rc = gr_poll_add(ctx->poll, c->fd, GR_POLL_IN, c);
    if (rc < 0) {
        GR_ERROR("poll: cannot add fd %lld: %s", gr_socket_id(c->fd), gr_strerror(rc));
        c->in_eof = 1;
        in_close(ctx, c, GR_CLOSE_NOW);
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
    gr_conn_t *c = ctx->in->close_list.exchange(NULL, std::memory_order_acquire);
    while (c) {
        gr_conn_t *next = c->close_next;
        /* Not adopted yet (still in the inbox): adopt closes it. */
        if (c->in_adopted)
            in_close(ctx, c, (gr_close_how_t)c->close_requested.load(std::memory_order_acquire));
        gr_conn_unref(c); /* the close list's reference */
        c = next;
    }
}

/* Once a second: close connections idle past their timeout (HTTP:
 * http.keepalive_timeout; tcp://: tcp.idle_timeout, 0 = never), or whose
 * request head is taking longer than http.header_timeout. */
static void sweep_idle(gr_thread_ctx_t *ctx)
{
    const gr_settings_t *st = gr_settings_live(ctx->server);
    int64_t keepalive = (int64_t)st->http_keepalive_timeout * 1000, header = (int64_t)st->http_header_timeout * 1000;
    int64_t tcp_idle = (int64_t)st->tcp_idle_timeout * 1000, send = (int64_t)st->send_timeout * 1000;
    int64_t linger_time = (int64_t)st->lingering_time * 1000, linger_quiet = (int64_t)st->lingering_timeout * 1000;
    for (gr_conn_t *c = ctx->in->conns, *next; c; c = next) {
        next = c->in_link.next;
        if (c->lingering) {
            if (ctx->in->now_ms - c->linger_start_ms > linger_time || ctx->in->now_ms - c->last_active_ms > linger_quiet) {
                GR_DEBUG("fd %lld: lingering past tcp.lingering_%s; closing it", gr_socket_id(c->fd),
                         ctx->in->now_ms - c->last_active_ms > linger_quiet ? "timeout (silent)" : "time");
                linger_end(ctx, c, true);
            }
            continue;
        }
        /* Replies that could not go out for tcp.out.send_timeout: the
         * client reads nothing (a slow reader moves the clock on). One
         * closing already (its replies dropped) is not a timeout. */
        int64_t blocked = c->send_blocked_ms.load(std::memory_order_relaxed);
        if (send && blocked && ctx->in->now_ms - blocked > send && !gr_conn_closing(c)) {
            GR_DEBUG("fd %lld: replies not read for %d s; closing it", gr_socket_id(c->fd), st->send_timeout);
            GR_COUNT(ctx, timeouts, 1);
            in_close(ctx, c, GR_CLOSE_NOW);
            continue;
        }
        if (!c->is_http && tcp_idle == 0)
            continue;
        /* Not idle while the server still owes it something: packages at a
         * worker or replies waiting to be sent (every such hold is a
         * reference; inline, the wait is this thread's own flag; a paused
         * connection is owed its held bytes). A reader slower than the
         * kernel's buffers can hide is not cut off (only one that reads
         * nothing, above), and no idle timer runs until the server is
         * ready to read again. */
        if (gr_conn_owed(c) || (ctx->proc_id >= 0 && c->out_waiting) || c->read_paused) {
            c->last_active_ms = ctx->in->now_ms;
            if (c->req_start_ms)
                c->req_start_ms = ctx->in->now_ms;
            continue;
        }
        bool slow_head = c->is_http && c->req_start_ms && !(c->http && c->http->msg.headers_done) &&
                         ctx->in->now_ms - c->req_start_ms > header;
        if (slow_head || ctx->in->now_ms - c->last_active_ms > (c->is_http ? keepalive : tcp_idle)) {
            GR_DEBUG("fd %lld: %s; closing it", gr_socket_id(c->fd), slow_head ? "request head too slow" : "idle");
            GR_COUNT(ctx, timeouts, 1);
            in_close(ctx, c, GR_CLOSE_NOW);
        }
    }
}

/* Graceful stop: is c idle, so that closing it loses nothing? Nothing
 * owed to it (no job at a worker, no reply waiting to be sent: every such
 * hold is a reference; inline, the wait is this thread's own flag), no
 * package partly received, and no bytes waiting in the socket (a request
 * that already arrived is served). */
static bool drain_idle(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    if (gr_conn_owed(c) || (ctx->proc_id >= 0 && c->out_waiting))
        return false;
    if (c->in.len != c->in.off)
        return false;
    if (c->in_eof || c->in_stopped)
        return true; /* nothing more will be read from it */
    return gr_socket_peek(c->fd) <= 0; /* 0: the peer closed; < 0: nothing there (or an error) */
}

/* Graceful stop: close the idle connections, keep the busy ones, and say
 * how many are left. Runs every pass of the loop while draining (the loop
 * wakes every 10 ms then), so a connection is closed soon after its last
 * reply went out; an HTTP one is usually closed by that reply already
 * (Connection: close). Closes linger like any other, and a lingering
 * connection is left until the peer closes or has acknowledged every byte
 * sent to it (where the system tells: then a reset can no longer cut a
 * reply short), or the grace period ends. */
static void drain_step(gr_thread_ctx_t *ctx)
{
    drain_inbox(ctx); /* connections accepted before accept stopped */
    int left = 0;
    for (gr_conn_t *c = ctx->in->conns, *next; c; c = next) {
        next = c->in_link.next;
        if (!c->lingering) {
            if (!drain_idle(ctx, c)) {
                left++;
                continue;
            }
            GR_DEBUG("fd %lld: idle at a graceful stop; closing it", gr_socket_id(c->fd));
            if (!in_close(ctx, c, GR_CLOSE_LINGER))
                continue;
        }
        if (gr_socket_unacked(c->fd) == 0)
            linger_end(ctx, c, true);
        else
            left++;
    }
    ctx->in->drain_left.store(left, std::memory_order_release);
}

void *gr_tcp_in_main(void *arg)
{
    gr_thread_ctx_t *ctx = (gr_thread_ctx_t *)arg;
    gr_server_t *s = ctx->server;
    if (gr_thread_begin(ctx) != GR_OK)
        return NULL;
    gr_poll_event_t evs[GR_POLL_BATCH];
    ctx->in->now_ms = gr_clock_ms();
    ctx->in->next_sweep_ms = ctx->in->now_ms + 1000;
    for (;;) {
        /* Wake at least once a second while connections are open, for the
         * timeouts; every GR_PAUSE_CHECK_MS while reads are paused or in a
         * graceful stop (to close connections as they become idle). */
        int timeout = gr_before_wait(ctx, ctx->in->paused_count || (gr_server_draining(s) && ctx->in->conns) ? GR_PAUSE_CHECK_MS
                                          : ctx->in->conns ? 1000 : -1);
        if (ctx->async)
            timeout = gr_async_timeout(ctx, timeout); /* timers, posts and completions (inline) */
        int n = gr_poll_wait(ctx->poll, evs, GR_POLL_BATCH, timeout);
        gr_after_wait(ctx);
        ctx->in->now_ms = gr_clock_ms();
        for (int i = 0; i < n; i++) {
            gr_conn_t *c = (gr_conn_t *)evs[i].udata;
            if (!c)
                continue; /* wake-up */
            if (gr_out_is_udata(c)) { /* a module's outbound connection (inline) */
                gr_out_on_event(ctx, c, evs[i].events);
                continue;
            }
            /* out_waiting is this thread's own only when it processes inline;
             * in worker mode it belongs to the worker. */
            if (ctx->proc_id >= 0 && c->out_waiting)
                gr_reply_on_writable(ctx, c, evs[i].events); /* replies first */
            else if (c->lingering)
                linger_read(ctx, c);
            else
                on_readable(ctx, c);
        }
        drain_inbox(ctx);
        drain_close_list(ctx);
        if (ctx->async)
            gr_async_run(ctx);
        if (ctx->in->paused_count)
            resume_paused(ctx);
        /* After the events: a connection closed here is not in the batch. */
        /* A little early rather than a whole second late: the coarse clock
         * may read a few ms behind the poll's time-out. */
        if (ctx->in->now_ms + 20 >= ctx->in->next_sweep_ms) {
            sweep_idle(ctx);
            ctx->in->next_sweep_ms = ctx->in->now_ms + 1000;
        }
        if (gr_server_draining(s)) /* looked at after the wait: the drain's wake-up may be this one */
            drain_step(ctx);
        if (s->stop[GR_GROUP_IN].load(std::memory_order_acquire) && !ctx->in->closed_all.load(std::memory_order_relaxed)) {
            drain_inbox(ctx); /* connections accepted before the stop */
            while (ctx->in->conns)
                in_close(ctx, ctx->in->conns, GR_CLOSE_NOW);
            ctx->in->closed_all.store(1, std::memory_order_release);
        }
        if (s->in_exit.load(std::memory_order_acquire)) {
            drain_close_list(ctx);
            break;
        }
    }
    gr_thread_end(ctx);
    return NULL;
}
