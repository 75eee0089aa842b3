/* gr_conn_io.cpp - a module's own use of an inbound connection (gr_conn_io.h). */
#include "gr_conn_io.h"

#include <string.h>

#include "gr_async.h"
#include "gr_defer.h"
#include "gr_error.h"
#include "gr_log.h"
#include "gr_pipeline.h"

/* Set while the module's tcp_eof runs: there conn_send is allowed for the
 * connection it runs for (elsewhere inside its callbacks it is not: a
 * reply belongs in proc's reply). */
static thread_local gr_conn_t *eof_conn;

void gr_conn_eof(gr_thread_ctx_t *ctx, gr_conn_t *c)
{
    GR_CHECK_PROCESSOR(ctx, c);
    if (gr_conn_closing(c)) {
        gr_reply_flush(ctx, c); /* drops what is owed, lets go of deferred replies */
        return;
    }
    c->eof_seen = 1;
    gr_cb_t prev = gr_cb_enter(c, GR_CB_CONN);
    gr_conn_t *prev_eof = eof_conn;
    eof_conn = c;
    ctx->server->module.m.tcp_eof(c);
    eof_conn = prev_eof;
    gr_cb_leave(prev);
    if (c->shut_after_flush && c->close_after_flush == GR_CAF_NONE)
        c->close_after_flush = GR_CAF_ASKED; /* both sides finished */
    gr_reply_flush(ctx, c);
}

void gr_conn_closing_tell(gr_conn_t *c)
{
    const gr_module_t *m = &c->server->module.m;
    if (!c->accepted || !m->tcp_closing)
        return;
    gr_cb_t prev = gr_cb_enter(c, GR_CB_CONN);
    m->tcp_closing(c);
    gr_cb_leave(prev);
}

/* Is this c's processing thread, outside a callback that replies for c
 * another way? */
static bool proc_here(gr_conn_t *c, const char *service)
{
    if (!c || c->is_udp) {
        GR_ERROR("module called %s for a datagram's handle; refused", service);
        return false;
    }
    if (!gr_async_self || gr_async_self->ctx != gr_proc_ctx(c)) {
        GR_ERROR("module called %s off the connection's processing thread; refused (post to conn_thread first)",
                 service);
        return false;
    }
    if (gr_cb.conn == c && eof_conn != c) {
        GR_ERROR("module called %s inside a callback for the same connection; refused (reply there)", service);
        return false;
    }
    return true;
}

int gr_conn_hold(gr_conn_t *c)
{
    if (!c || gr_cb.conn != c || c->is_udp) {
        GR_ERROR("module called conn_hold outside a callback for that connection; refused");
        return GR_EINVAL;
    }
    c->holds.fetch_add(1, std::memory_order_relaxed);
    gr_conn_ref(c);
    return GR_OK;
}

void gr_conn_release(gr_conn_t *c)
{
    if (!c)
        return;
    c->holds.fetch_sub(1, std::memory_order_release);
    gr_conn_unref(c); /* the last one runs tcp_close, here */
}

int gr_conn_thread(gr_conn_t *c)
{
    if (!c || c->is_udp || !gr_proc_ctx(c))
        return -1;
    return gr_proc_ctx(c)->proc_id;
}

int gr_conn_send(gr_conn_t *c, const void *data, size_t len)
{
    if (!proc_here(c, "conn_send"))
        return GR_EINVAL;
    if (gr_conn_closing(c) || c->shut_after_flush || c->close_after_flush != GR_CAF_NONE)
        return GR_EINVAL; /* closing, or its write side is (being) shut */
    if (len == 0)
        return GR_OK;
    size_t start = c->out.len - c->out.off;
    if (gr_buf_reserve(&c->out, len, 0) != GR_OK)
        return GR_ENOMEM;
    memcpy(c->out.data + c->out.len, data, len);
    c->out.len += len;
    gr_thread_ctx_t *ctx = gr_async_self->ctx;
    GR_COUNT(ctx, conn_sends, 1);
    gr_defer_capture(ctx, c, start); /* after the replies still owed */
    gr_reply_flush(ctx, c);
    return GR_OK;
}

int gr_conn_shutdown(gr_conn_t *c)
{
    if (!proc_here(c, "conn_shutdown"))
        return GR_EINVAL;
    if (gr_conn_closing(c))
        return GR_EINVAL;
    if (!c->shut_after_flush)
        c->shut_after_flush = 1;
    if (c->eof_seen && c->close_after_flush == GR_CAF_NONE)
        c->close_after_flush = GR_CAF_ASKED; /* the client finished too: close once all is out */
    if (eof_conn != c) /* inside tcp_eof the flush follows */
        gr_reply_flush(gr_async_self->ctx, c);
    return GR_OK;
}

void gr_conn_close_svc(gr_conn_t *c)
{
    if (c && !c->is_udp)
        gr_conn_close(c);
}

size_t gr_conn_queued(gr_conn_t *c)
{
    if (!c || c->is_udp)
        return 0;
    int64_t held = c->held.load(std::memory_order_relaxed);
    size_t out = c->out.len - c->out.off;
    size_t uncounted = out > c->out_counted ? out - c->out_counted : 0;
    return (size_t)(held > 0 ? held : 0) + uncounted;
}

int gr_conn_pause(gr_conn_t *c, int paused)
{
    if (!c || c->is_udp)
        return GR_EINVAL;
    c->module_paused.store(paused != 0, std::memory_order_relaxed);
    return GR_OK;
}

const char *gr_conn_listen(gr_conn_t *c)
{
    if (!c || c->is_udp)
        return NULL;
    return gr_server_settings(c->server)->listens[c->listen_index].name;
}
