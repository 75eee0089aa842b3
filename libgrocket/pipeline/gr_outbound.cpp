/* gr_outbound.cpp - connections a module opens (gr_outbound.h). */
#include "gr_outbound.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_async.h"
#include "gr_error.h"
#include "gr_log.h"
#include "gr_pipeline.h"

#define GR_OUT_TIMEOUT_DEFAULT_MS 10000
#define GR_OUT_READ_BYTES 65536   /* one read's room */
#define GR_OUT_READS_PER_EVENT 4

enum gr_outbound_state_t {
    GR_OUT_STARTING,   /* opened: the connect starts from the mailbox */
    GR_OUT_RESOLVING,  /* a name look-up runs on its own thread */
    GR_OUT_CONNECTING, /* waiting for writability */
    GR_OUT_OPEN,
    GR_OUT_DEAD        /* closed; freed once no callback and no look-up holds it */
};

struct gr_out_t {
    struct gr_out_t *prev, *next; /* the owning thread's list */
    gr_thread_ctx_t *ctx;
    gr_out_handler_t h;
    void *arg;
    gr_socket_t fd;
    int state;
    uint32_t events;      /* registered on ctx->poll (0: not registered) */
    int in_eof;           /* the peer finished sending */
    int paused;           /* the module paused reading */
    int shut_asked, shut_done;
    int in_cb;            /* callbacks running for it (the module may close it in one) */
    int resolving;        /* a look-up thread holds it */
    int joined;           /* that thread was joined (at stop) */
    int later_posted;     /* an end found inside a module's call waits in the mailbox (end_later) */
    int later_err;        /* its error; 0: both sides finished */
    int buried;           /* on the `dead` list */
    uint32_t timeout_ms;
    uint64_t timer;       /* connect timeout; 0: none */
    gr_buf_t in, out;
    gr_thread_t resolver;
    int resolve_rc;
    gr_addr_t addr;
    char host_port[256];
};

/* The outbound connections of this processing thread, and those closed
 * and not yet freed: an event for one may still wait in the batch its
 * loop is going through (gr_poll.h point 5), so the memory goes at the
 * next gr_out_reap, after that batch. */
static thread_local gr_out_t *outs, *dead;

static void *udata_of(gr_out_t *o) { return (void *)((uintptr_t)o | 1u); }

static void list_del(gr_out_t *o)
{
    if (o->prev)
        o->prev->next = o->next;
    else
        outs = o->next;
    if (o->next)
        o->next->prev = o->prev;
    o->prev = o->next = NULL;
}

static void maybe_free(gr_out_t *o)
{
    if (o->state != GR_OUT_DEAD || o->in_cb || o->resolving || o->later_posted || o->buried)
        return;
    o->buried = 1;
    gr_buf_free(&o->in);
    gr_buf_free(&o->out);
    o->next = dead;
    dead = o;
}

void gr_out_reap(void)
{
    while (dead) {
        gr_out_t *o = dead;
        dead = o->next;
        free(o);
    }
}

/* Register for what the connection waits for now: input unless finished
 * or paused, output while connecting or bytes wait. */
static int update_poll(gr_out_t *o)
{
    uint32_t want = 0;
    if (o->state == GR_OUT_CONNECTING)
        want = GR_POLL_OUT;
    else if (o->state == GR_OUT_OPEN)
        want = (!o->in_eof && !o->paused ? GR_POLL_IN : 0) |
               (o->out.len != o->out.off || (o->shut_asked && !o->shut_done) ? GR_POLL_OUT : 0);
    if (want == o->events)
        return 0;
    int rc;
    if (!want)
        rc = gr_poll_del(o->ctx->poll, o->fd);
    else if (!o->events)
        rc = gr_poll_add(o->ctx->poll, o->fd, want, udata_of(o));
    else
        rc = gr_poll_mod(o->ctx->poll, o->fd, want, udata_of(o));
    if (rc == 0)
        o->events = want;
    return rc;
}

/* The socket, the timer, the list: everything but the memory. */
static void teardown(gr_out_t *o)
{
    gr_async_t *a = o->ctx->async;
    if (o->timer) {
        if (gr_timers_cancel(&a->timers, o->timer) == GR_OK)
            GR_GAUGE_ADD(o->ctx, timers_active, -1);
        o->timer = 0;
    }
    if (gr_socket_valid(o->fd)) {
        if (o->events)
            gr_poll_del(o->ctx->poll, o->fd);
        o->events = 0;
        gr_socket_close(o->fd);
        o->fd = gr_socket_invalid();
    }
    if (o->state == GR_OUT_OPEN)
        GR_GAUGE_ADD(o->ctx, outbound_open, -1);
    o->state = GR_OUT_DEAD;
    list_del(o);
}

/* The connection ends by itself: the module is told why (before it
 * connected: on_connect; after: on_close). */
static void finish(gr_out_t *o, int err, const char *text)
{
    if (o->state == GR_OUT_DEAD)
        return;
    bool connected = o->state == GR_OUT_OPEN;
    if (!connected)
        GR_COUNT(o->ctx, outbound_connect_failures, 1);
    else
        GR_COUNT(o->ctx, outbound_closed, 1);
    GR_DEBUG("outbound %s: %s%s", o->host_port, connected ? "" : "connect failed: ", text);
    teardown(o);
    o->in_cb++;
    if (connected) {
        if (o->h.on_close)
            o->h.on_close(o, o->arg, err, text);
    } else if (o->h.on_connect) {
        o->h.on_connect(o, o->arg, err ? err : GR_EINVAL, text);
    }
    o->in_cb--;
    maybe_free(o);
}

static void finish_errno(gr_out_t *o, int err)
{
    char text[160];
    snprintf(text, sizeof text, "%s", gr_strerror(err));
    finish(o, err, text);
}

static void on_connect_timeout(uint64_t timer, void *arg)
{
    (void)timer;
    gr_out_t *o = (gr_out_t *)arg;
    o->timer = 0; /* a one-shot that ran */
    char text[96];
    snprintf(text, sizeof text, "connect timed out after %u ms", o->timeout_ms);
    finish(o, -ETIMEDOUT, text);
}

static void connected(gr_out_t *o)
{
    if (o->timer) {
        if (gr_timers_cancel(&o->ctx->async->timers, o->timer) == GR_OK)
            GR_GAUGE_ADD(o->ctx, timers_active, -1);
        o->timer = 0;
    }
    o->state = GR_OUT_OPEN;
    GR_GAUGE_ADD(o->ctx, outbound_open, 1);
    GR_COUNT(o->ctx, outbound_connects, 1);
    int rc = update_poll(o);
    if (rc < 0) {
        finish_errno(o, rc);
        return;
    }
    o->in_cb++;
    if (o->h.on_connect)
        o->h.on_connect(o, o->arg, 0, NULL);
    o->in_cb--;
    maybe_free(o);
}

/* The address is known: connect. */
static void connect_addr(gr_out_t *o)
{
    int rc = gr_tcp_connect_start(&o->addr, &o->fd);
    if (rc < 0) {
        finish_errno(o, rc);
        return;
    }
    if (rc == 0) {
        connected(o);
        return;
    }
    o->state = GR_OUT_CONNECTING;
    rc = update_poll(o);
    if (rc < 0) {
        finish_errno(o, rc);
        return;
    }
    o->timer = gr_timers_add(&o->ctx->async->timers, gr_clock_fine_ms() + 1, o->timeout_ms, 0, on_connect_timeout, o);
    if (!o->timer) {
        finish_errno(o, GR_ENOMEM);
        return;
    }
    GR_GAUGE_ADD(o->ctx, timers_active, 1);
}

/* The look-up's result, back on the owning thread. */
static void resolved(void *arg)
{
    gr_out_t *o = (gr_out_t *)arg;
    if (!o->joined)
        gr_thread_join(&o->resolver);
    o->resolving = 0;
    if (o->state == GR_OUT_DEAD) {
        maybe_free(o);
        return;
    }
    if (o->resolve_rc != 0) {
        char text[300];
        snprintf(text, sizeof text, "cannot resolve %s", o->host_port);
        finish(o, GR_EINVAL, text);
        return;
    }
    connect_addr(o);
}

/* The look-up thread: the system resolver may block for seconds. */
static void *resolve_main(void *arg)
{
    gr_out_t *o = (gr_out_t *)arg;
    o->resolve_rc = gr_addr_parse(&o->addr, o->host_port);
    /* The owner's mailbox is open until it has joined this thread
     * (gr_out_stop): the post cannot be refused. */
    gr_async_post(o->ctx->server, o->ctx->proc_id, resolved, o);
    return NULL;
}

/* HOST is an address literal (resolving it never blocks)? */
static bool numeric_host(const char *hp)
{
    if (hp[0] == '[')
        return true;
    const char *colon = strrchr(hp, ':');
    for (const char *p = hp; p < colon; p++)
        if ((*p < '0' || *p > '9') && *p != '.')
            return false;
    return colon != NULL && colon != hp;
}

/* From the mailbox: out_open's callbacks never run inside out_open. */
static void start(void *arg)
{
    gr_out_t *o = (gr_out_t *)arg;
    if (o->state == GR_OUT_DEAD) {
        maybe_free(o);
        return;
    }
    if (numeric_host(o->host_port)) {
        if (gr_addr_parse(&o->addr, o->host_port) != GR_OK) {
            char text[300];
            snprintf(text, sizeof text, "bad address %s", o->host_port);
            finish(o, GR_EINVAL, text);
            return;
        }
        connect_addr(o);
        return;
    }
    o->state = GR_OUT_RESOLVING;
    o->resolving = 1;
    int rc = gr_thread_start(&o->resolver, resolve_main, o, -1, "gr_resolve", 0);
    if (rc < 0) {
        o->resolving = 0;
        finish_errno(o, rc);
    }
}

gr_out_t *gr_out_open(const char *host_port, const gr_out_handler_t *h, void *arg, uint32_t timeout_ms)
{
    gr_async_t *a = gr_async_self;
    if (!a) {
        GR_ERROR("module called out_open outside a processing thread; refused (post to one first)");
        return NULL;
    }
    if (a->ctx->group == GR_GROUP_UDP_IN) {
        /* That loop may wait in a receive rather than its poll. */
        GR_ERROR("module called out_open on a udp_in thread; refused (post to a thread that serves TCP first)");
        return NULL;
    }
    if (!host_port || !h || h->size < offsetof(gr_out_handler_t, on_package) || strlen(host_port) >= 256 ||
        !strchr(host_port, ':'))
        return NULL;
    gr_out_t *o = (gr_out_t *)calloc(1, sizeof *o);
    if (!o)
        return NULL;
    memcpy(&o->h, h, h->size < sizeof o->h ? h->size : sizeof o->h);
    o->h.size = sizeof o->h;
    o->arg = arg;
    o->ctx = a->ctx;
    o->fd = gr_socket_invalid();
    o->timeout_ms = timeout_ms ? timeout_ms : GR_OUT_TIMEOUT_DEFAULT_MS;
    snprintf(o->host_port, sizeof o->host_port, "%s", host_port);
    if (gr_async_post(o->ctx->server, o->ctx->proc_id, start, o) != GR_OK) {
        free(o);
        return NULL;
    }
    o->next = outs;
    if (outs)
        outs->prev = o;
    outs = o;
    return o;
}

/* May the caller use o here? Only on its own thread. */
static bool owner_here(gr_out_t *o, const char *service)
{
    if (o && gr_async_self && gr_async_self->ctx == o->ctx)
        return true;
    GR_ERROR("module called %s off the outbound connection's thread; refused (post to it first)", service);
    return false;
}

static void end_task(void *arg)
{
    gr_out_t *o = (gr_out_t *)arg;
    o->later_posted = 0;
    if (o->state == GR_OUT_DEAD)
        maybe_free(o);
    else if (o->later_err)
        finish_errno(o, o->later_err);
    else
        finish(o, 0, "closed");
}

/* The end of the connection found inside one of the module's own calls
 * (out_send, out_shutdown): told from the mailbox, so the module's
 * callbacks never run inside its calls. */
static void end_later(gr_out_t *o, int err)
{
    if (o->later_posted)
        return;
    o->later_err = err;
    if (gr_async_post(o->ctx->server, o->ctx->proc_id, end_task, o) == GR_OK)
        o->later_posted = 1;
    else if (err) /* out of memory: told at once rather than never */
        finish_errno(o, err);
    else
        finish(o, 0, "closed");
}

static void end(gr_out_t *o, int err, bool direct)
{
    if (!direct)
        end_later(o, err);
    else if (err)
        finish_errno(o, err);
    else
        finish(o, 0, "closed");
}

/* Send what is queued; then a shutdown asked, and a close when both
 * sides are done. False when the connection ended (or, !direct, ends
 * soon). direct: from the poll, where the module may be called. */
static bool flush(gr_out_t *o, bool direct)
{
    while (o->out.len != o->out.off) {
        long r = gr_socket_send(o->fd, o->out.data + o->out.off, o->out.len - o->out.off);
        if (r == -EAGAIN || r == -EWOULDBLOCK)
            break;
        if (r < 0) {
            end(o, (int)r, direct);
            return false;
        }
        GR_COUNT(o->ctx, outbound_bytes_out, (uint64_t)r);
        o->out.off += (size_t)r;
    }
    if (o->out.len == o->out.off) {
        o->out.off = o->out.len = 0;
        if (o->shut_asked && !o->shut_done) {
            gr_socket_shutdown_write(o->fd);
            o->shut_done = 1;
        }
    }
    if (o->shut_done && o->in_eof) {
        end(o, 0, direct);
        return false;
    }
    int rc = update_poll(o);
    if (rc < 0) {
        end(o, rc, direct);
        return false;
    }
    return true;
}

int gr_out_send(gr_out_t *o, const void *data, size_t len)
{
    if (!owner_here(o, "out_send"))
        return GR_EINVAL;
    if (o->state == GR_OUT_DEAD || o->shut_asked)
        return GR_EINVAL;
    if (len == 0)
        return GR_OK;
    if (gr_buf_reserve(&o->out, len, 0) != GR_OK)
        return GR_ENOMEM;
    memcpy(o->out.data + o->out.len, data, len);
    o->out.len += len;
    /* Try at once when nothing waits before it; else the poll says when. */
    if (o->state == GR_OUT_OPEN && o->out.len - o->out.off == len && !o->later_posted)
        flush(o, false);
    return GR_OK;
}

size_t gr_out_queued(gr_out_t *o)
{
    if (!owner_here(o, "out_queued") || o->state == GR_OUT_DEAD)
        return 0;
    return o->out.len - o->out.off;
}

int gr_out_shutdown(gr_out_t *o)
{
    if (!owner_here(o, "out_shutdown") || o->state == GR_OUT_DEAD)
        return GR_EINVAL;
    if (o->shut_asked)
        return GR_OK;
    o->shut_asked = 1;
    if (o->state == GR_OUT_OPEN && !o->later_posted)
        flush(o, false);
    return GR_OK;
}

int gr_out_pause(gr_out_t *o, int paused)
{
    if (!owner_here(o, "out_pause") || o->state == GR_OUT_DEAD)
        return GR_EINVAL;
    o->paused = paused != 0;
    return o->state == GR_OUT_OPEN ? update_poll(o) : GR_OK;
}

void gr_out_close(gr_out_t *o)
{
    if (!owner_here(o, "out_close") || o->state == GR_OUT_DEAD)
        return;
    GR_COUNT(o->ctx, outbound_closed, 1);
    teardown(o);
    maybe_free(o);
}

/* Cut and hand over the packages in o->in; false when the connection
 * ended (or the module closed it) meanwhile. */
static bool deliver(gr_out_t *o)
{
    bool alive = true;
    o->in_cb++;
    while (o->in.off < o->in.len && o->state == GR_OUT_OPEN) {
        const char *data = o->in.data + o->in.off;
        size_t avail = o->in.len - o->in.off;
        long n = o->h.check ? o->h.check(o, o->arg, data, avail) : (long)avail;
        if (o->state != GR_OUT_OPEN)
            break;
        if (n == GR_CHECK_NEED_MORE || (n > 0 && (size_t)n > avail))
            break;
        if (n < 0) {
            o->in_cb--;
            finish(o, GR_EINVAL, "bad data");
            return false;
        }
        o->in.off += (size_t)n;
        if (o->h.on_package)
            o->h.on_package(o, o->arg, data, (size_t)n);
    }
    o->in_cb--;
    if (o->state != GR_OUT_OPEN) {
        alive = false;
        maybe_free(o);
    } else if (o->in.off == o->in.len) {
        o->in.off = o->in.len = 0;
    }
    return alive;
}

static void on_readable(gr_out_t *o)
{
    for (int round = 0; round < GR_OUT_READS_PER_EVENT && !o->paused; round++) {
        if (gr_buf_reserve(&o->in, GR_OUT_READ_BYTES, 0) != GR_OK) {
            finish_errno(o, GR_ENOMEM);
            return;
        }
        size_t room = o->in.cap - o->in.len;
        long r = gr_socket_recv(o->fd, o->in.data + o->in.len, room);
        if (r == -EAGAIN || r == -EWOULDBLOCK)
            return;
        if (r < 0) {
            finish_errno(o, (int)r);
            return;
        }
        if (r == 0) {
            o->in_eof = 1;
            if (o->in.len != o->in.off) {
                finish(o, -ECONNRESET, "end of stream inside a package");
                return;
            }
            if (!o->h.on_eof) {
                finish(o, 0, "closed by the peer");
                return;
            }
            o->in_cb++;
            o->h.on_eof(o, o->arg);
            o->in_cb--;
            if (o->state == GR_OUT_DEAD)
                maybe_free(o);
            else
                flush(o, true); /* a shutdown asked in on_eof, or both sides done now */
            return;
        }
        GR_COUNT(o->ctx, outbound_bytes_in, (uint64_t)r);
        o->in.len += (size_t)r;
        if (!deliver(o))
            return;
        if ((size_t)r < room)
            return;
    }
}

void gr_out_on_event(gr_thread_ctx_t *ctx, void *udata, uint32_t events)
{
    (void)ctx;
    gr_out_t *o = (gr_out_t *)((uintptr_t)udata & ~(uintptr_t)1);
    if (o->state == GR_OUT_CONNECTING) {
        int err = gr_socket_error(o->fd);
        if (err == 0 && (events & GR_POLL_ERR))
            err = -ECONNREFUSED; /* an error reported without its code */
        if (err != 0)
            finish_errno(o, err);
        else
            connected(o);
        return;
    }
    if (o->state != GR_OUT_OPEN)
        return;
    if (o->later_posted)
        return; /* ending: the mailbox tells the module */
    if (events & GR_POLL_OUT) {
        if (!flush(o, true))
            return;
    }
    if ((events & (GR_POLL_IN | GR_POLL_ERR)) && !o->in_eof && !o->paused)
        on_readable(o);
}

void gr_out_stop(gr_thread_ctx_t *ctx)
{
    (void)ctx;
    while (outs) {
        gr_out_t *o = outs;
        if (o->resolving) {
            /* Wait for the look-up; its posted result then frees o. */
            gr_thread_join(&o->resolver);
            o->joined = 1;
        }
        finish(o, -ECANCELED, "server stopping");
    }
}
