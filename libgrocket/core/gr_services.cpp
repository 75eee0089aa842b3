/* gr_services.cpp - the services table handed to modules. Append-only, like
 * grocket.h: a module built against an older header sees a prefix of it. */
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "gr_async.h"
#include "gr_clock.h"
#include "gr_conn_io.h"
#include "gr_defer.h"
#include "gr_outbound.h"
#include "gr_error.h"
#include "gr_http.h"
#include "gr_log.h"
#include "gr_module_config.h"
#include "gr_server.h"
#include "gr_stats.h"

/* The running server's configuration and module; NULL outside one (the
 * look-ups then give def). */
static const gr_config_t *config(void)
{
    return gr_current_server ? gr_current_server->config : NULL;
}

static const gr_module_t *module(void)
{
    return gr_current_server ? &gr_current_server->module.m : NULL;
}

static int64_t svc_config_int(const char *section, const char *key, int64_t def)
{
    return gr_module_config_int(config(), module(), section, key, def);
}

static const char *svc_config_str(const char *section, const char *key, const char *def)
{
    return gr_module_config_str(config(), module(), section, key, def);
}

static int svc_config_bool(const char *section, const char *key, int def)
{
    return gr_module_config_bool(config(), module(), section, key, def);
}

static void svc_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gr_logv(level, fmt, ap);
    va_end(ap);
}

thread_local gr_cb_t gr_cb;

/* May the module use c here? Only inside a callback that runs for c on
 * this thread (GR_CB_PROC for replies): anything else is a module bug, a
 * race with c's threads and, once the client is gone, a use after free. */
static bool cb_allows(gr_conn_t *c, int kind, const char *service)
{
    if (c && gr_cb.conn == c && gr_cb.kind >= kind && !(kind == GR_CB_PROC && gr_cb.deferred))
        return true;
    if (c && gr_cb.conn == c && gr_cb.kind >= kind) {
        GR_ERROR("module called %s for a package whose reply it deferred (reply_defer); refused: complete the handle",
                 service);
        return false;
    }
    GR_ERROR("module called %s outside %s for that connection (from a thread of its own, or after the callback "
             "returned); refused",
             service, kind == GR_CB_PROC ? "proc/proc_http" : "a callback");
    return false;
}

static void *reply_room(gr_conn_t *c, size_t len)
{
    /* At least one byte, so even an empty reservation has an address. */
    if (gr_buf_reserve(&c->out, len ? len : 1, 0) != GR_OK)
        return NULL;
    void *p = c->out.data + c->out.len;
    c->out.len += len;
    return p;
}

static void *svc_reply_alloc(gr_conn_t *c, size_t len)
{
    return cb_allows(c, GR_CB_PROC, "reply_alloc") ? reply_room(c, len) : NULL;
}

static int svc_reply(gr_conn_t *c, const void *data, size_t len)
{
    if (!cb_allows(c, GR_CB_PROC, "reply"))
        return GR_EINVAL;
    if (len == 0)
        return GR_OK;
    void *p = reply_room(c, len);
    if (!p)
        return GR_ENOMEM;
    memcpy(p, data, len);
    return GR_OK;
}

static void *svc_conn_get_user(gr_conn_t *c) { return cb_allows(c, GR_CB_CONN, "conn_get_user") ? c->user : NULL; }
/* A UDP handle stands for a different sender at every datagram: it keeps
 * no user pointer (conn_get_user stays NULL). */
static void svc_conn_set_user(gr_conn_t *c, void *user)
{
    if (cb_allows(c, GR_CB_CONN, "conn_set_user") && !c->is_udp)
        c->user = user;
}

static int svc_conn_transport(gr_conn_t *c)
{
    if (!cb_allows(c, GR_CB_CONN, "conn_transport"))
        return GR_EINVAL;
    return c->is_udp ? GR_TRANSPORT_UDP : GR_TRANSPORT_TCP;
}

static const gr_server_info_t *svc_server_info(void)
{
    return gr_current_server ? &gr_current_server->info : NULL;
}

static const char *svc_conn_peer(gr_conn_t *c, char *buf, size_t len)
{
    if (!cb_allows(c, GR_CB_CONN, "conn_peer")) {
        if (buf && len)
            buf[0] = '\0';
        return buf;
    }
    return gr_addr_format(&c->peer, buf, len);
}

/* The HTTP response calls: the same functions the framework uses itself,
 * behind the module's check. */
static int svc_http_set_status(gr_conn_t *c, int status)
{
    return cb_allows(c, GR_CB_PROC, "http_set_status") ? gr_http_set_status(c, status) : GR_EINVAL;
}

static int svc_http_add_header(gr_conn_t *c, const char *name, const char *value)
{
    return cb_allows(c, GR_CB_PROC, "http_add_header") ? gr_http_add_header(c, name, value) : GR_EINVAL;
}

static int svc_http_reply_text(gr_conn_t *c, int status, const char *text)
{
    return cb_allows(c, GR_CB_PROC, "http_reply_text") ? gr_http_reply_text(c, status, text) : GR_EINVAL;
}

static gr_str_t svc_http_header(const gr_http_request_t *req, const char *name)
{
    return gr_http_find(req->headers, req->header_count, name, 1);
}

static gr_str_t svc_http_query(const gr_http_request_t *req, const char *name)
{
    return gr_http_find(req->query, req->query_count, name, 0);
}

static gr_str_t svc_http_form(const gr_http_request_t *req, const char *name)
{
    return gr_http_find(req->form, req->form_count, name, 0);
}

/* The caller's struct may be older (smaller) or newer than ours: fill what
 * both know, through a full-size copy. */
static int svc_stats(gr_stats_t *out)
{
    if (!out || out->size < offsetof(gr_stats_t, tcp_accept))
        return GR_EINVAL;
    if (!gr_current_server)
        return GR_EINVAL;
    gr_stats_t full;
    memset(&full, 0, sizeof full);
    gr_stats_collect(gr_current_server, &full);
    uint32_t size = out->size < sizeof full ? out->size : (uint32_t)sizeof full;
    full.size = out->size;
    memcpy(out, &full, size);
    return GR_OK;
}

static int svc_stat(const char *group, const char *name, uint64_t *value)
{
    if (!value)
        return GR_EINVAL;
    if (!gr_current_server) {
        *value = 0;
        return GR_EINVAL;
    }
    return gr_stats_read(gr_current_server, group, name, value);
}

static size_t svc_stat_list(gr_stat_t *out, size_t cap)
{
    if (!gr_current_server)
        return 0;
    return gr_stats_list(gr_current_server, out, out ? cap : 0);
}

/* ---- ABI 1.7: asynchronous modules (gr_async.h, gr_defer.h) ---- */

static gr_reply_t *svc_reply_defer(gr_conn_t *c)
{
    if (!cb_allows(c, GR_CB_PROC, "reply_defer"))
        return NULL;
    if (c->is_udp) {
        GR_ERROR("module called reply_defer for a datagram; refused: a datagram's replies leave with it");
        return NULL;
    }
    gr_reply_t *r = gr_defer_take(c);
    if (!r)
        GR_ERROR("reply_defer: out of memory");
    return r;
}

static int svc_reply_complete(gr_reply_t *r, const void *data, size_t len, int flags)
{
    return gr_defer_complete(r, 0, 0, NULL, data, len, flags);
}

static int svc_http_complete(gr_reply_t *r, int status, const char *content_type, const void *body, size_t len,
                             int flags)
{
    return gr_defer_complete(r, 1, status, content_type, body, len, flags);
}

static int svc_thread_self(void) { return gr_async_self ? gr_async_self->ctx->proc_id : -1; }

static int svc_post(int thread_id, gr_task_fn fn, void *arg)
{
    return gr_async_post(gr_current_server, thread_id, fn, arg);
}

static uint64_t svc_timer_start(uint64_t delay_ms, uint64_t repeat_ms, gr_timer_fn fn, void *arg)
{
    gr_async_t *a = gr_async_self;
    if (!a) {
        GR_ERROR("module called timer_start outside a processing thread; refused (post to one first)");
        return 0;
    }
    /* The clock reads whole milliseconds, truncated: counting from the
     * next one, a timer never runs before delay_ms has passed. */
    uint64_t id = gr_timers_add(&a->timers, gr_clock_fine_ms() + 1, delay_ms, repeat_ms, fn, arg);
    if (id)
        GR_GAUGE_ADD(a->ctx, timers_active, 1);
    return id;
}

static int svc_timer_cancel(uint64_t timer)
{
    gr_async_t *a = gr_async_self;
    if (!a || gr_timers_cancel(&a->timers, timer) != GR_OK)
        return GR_EINVAL;
    GR_GAUGE_ADD(a->ctx, timers_active, -1);
    return GR_OK;
}

/* ---- ABI 1.7: counters as text ---- */

static int svc_stats_render(int format, char *buf, size_t cap)
{
    if (!gr_current_server)
        return GR_EINVAL;
    return gr_stats_render(gr_current_server, format, buf, cap);
}

/* Rendered straight into the reply: room reserved, then given back past
 * the text's end; reserved again, larger, when the text outgrew it. */
static int svc_reply_stats(gr_conn_t *c, int format)
{
    if (!cb_allows(c, GR_CB_PROC, "reply_stats"))
        return GR_EINVAL;
    if (!gr_current_server)
        return GR_EINVAL;
    size_t room = 16384; /* the Prometheus text of a server today is about 10 KiB */
    for (;;) {
        char *p = (char *)reply_room(c, room);
        if (!p)
            return GR_ENOMEM;
        int n = gr_stats_render(gr_current_server, format, p, room);
        c->out.len -= room;
        if (n < 0)
            return n;
        if ((size_t)n < room) {
            c->out.len += (size_t)n;
            return GR_OK;
        }
        room = (size_t)n + 1024; /* counters may have grown meanwhile */
    }
}

static const gr_services_t services = {
    .size = sizeof(gr_services_t),
    .abi_version = GR_ABI_VERSION,
    .config_int = svc_config_int,
    .config_str = svc_config_str,
    .config_bool = svc_config_bool,
    .log = svc_log,
    .reply = svc_reply,
    .conn_get_user = svc_conn_get_user,
    .conn_set_user = svc_conn_set_user,
    .reply_alloc = svc_reply_alloc,
    .server_info = svc_server_info,
    .conn_peer = svc_conn_peer,
    .http_header = svc_http_header,
    .http_query = svc_http_query,
    .http_form = svc_http_form,
    .http_set_status = svc_http_set_status,
    .http_add_header = svc_http_add_header,
    .http_reply_text = svc_http_reply_text,
    .conn_transport = svc_conn_transport,
    .stats = svc_stats,
    .stat = svc_stat,
    .stat_list = svc_stat_list,
    .reply_defer = svc_reply_defer,
    .reply_complete = svc_reply_complete,
    .http_complete = svc_http_complete,
    .thread_self = svc_thread_self,
    .post = svc_post,
    .timer_start = svc_timer_start,
    .timer_cancel = svc_timer_cancel,
    .stats_render = svc_stats_render,
    .reply_stats = svc_reply_stats,
    .out_open = gr_out_open,
    .out_send = gr_out_send,
    .out_queued = gr_out_queued,
    .out_shutdown = gr_out_shutdown,
    .out_pause = gr_out_pause,
    .out_close = gr_out_close,
    .conn_hold = gr_conn_hold,
    .conn_release = gr_conn_release,
    .conn_thread = gr_conn_thread,
    .conn_send = gr_conn_send,
    .conn_shutdown = gr_conn_shutdown,
    .conn_close = gr_conn_close_svc,
    .conn_queued = gr_conn_queued,
    .conn_pause = gr_conn_pause,
    .conn_listen = gr_conn_listen,
};

const gr_services_t *gr_services_get(void)
{
    return &services;
}
