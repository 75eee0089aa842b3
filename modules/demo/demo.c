/* demo.c - the demo module grocketd loads by default.
 *  - TCP (tcp:// listens): an echo; whatever arrives is one package and is
 *    sent straight back.
 *  - HTTP (http:// listens): any path answers "Hello, World!"; the path
 *    /debug/request reports the request as parsed (method, path, query,
 *    headers, form fields, body length), so tests can see the parsing, and
 *    /debug/stats the server's counters as JSON, and /metrics the same
 *    for Prometheus (services->reply_stats renders both).
 *  - Asynchronous answers (ABI 1.7): GET /delay?ms=N (0..10000) answers
 *    "delayed N ms" after N ms from a timer on the processing thread, GET
 *    /later?ms=N "later N ms" from a thread of the module's own; neither
 *    holds a grocket thread while it waits.
 *  - A relay (ABI 1.7, demo_relay.c): with [demo] relay.upstream set, each
 *    connection to the [listen] entry named "relay" is relayed, byte for
 *    byte both ways, to a connection of its own to that upstream.
 *  - [demo] (declared below, so grocketd checks it): greeting, the text
 *    of the HTTP answer; debug = false turns the /debug/ paths off,
 *    metrics = false /metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grocket.h"
#include "demo_relay.h"
#include "demo_thread.h"

static const gr_services_t *gr;
static const char *greeting; /* [demo] greeting */
static int debug_paths;      /* [demo] debug */
static int metrics_path;     /* [demo] metrics */

/* The keys of [demo]: grocketd refuses a file with another key there or a
 * bad value, naming file, line and key. */
static const gr_config_key_t demo_keys[] = {
    {.section = "demo", .name = "greeting", .type = GR_CONFIG_STRING, .def = "Hello, World!", .max = 1024,
     .help = "the text every HTTP path but /debug/ and /metrics answers"},
    {.section = "demo", .name = "debug", .type = GR_CONFIG_BOOL, .def = "true",
     .help = "serve /debug/request and /debug/stats"},
    {.section = "demo", .name = "metrics", .type = GR_CONFIG_BOOL, .def = "true",
     .help = "serve /metrics: the counters in Prometheus's text format"},
    {.section = "demo", .name = "relay.upstream", .type = GR_CONFIG_STRING, .def = "", .max = 255,
     .help = "HOST:PORT the [listen] entry named relay relays to (empty: no relay)"},
    {.section = "demo", .name = "relay.connect_timeout_ms", .type = GR_CONFIG_INT, .def = "3000", .min = 1,
     .max = 600000, .help = "how long the relay waits for its upstream to accept, in ms"},
    {.name = NULL},
};

static int demo_init(const gr_services_t *services)
{
    gr = services;
    greeting = gr->config_str("demo", "greeting", "Hello, World!");
    debug_paths = gr->config_bool("demo", "debug", 1);
    metrics_path = gr->config_bool("demo", "metrics", 1);
    demo_relay_init(gr, gr->config_str("demo", "relay.upstream", ""),
                    (unsigned)gr->config_int("demo", "relay.connect_timeout_ms", 3000));
    return 0;
}

static long demo_check(gr_conn_t *conn, const char *data, size_t len)
{
    return (long)len; /* everything received so far is one package */
}

static int demo_accept(gr_conn_t *conn) { return demo_relay_accept(conn) < 0 ? -1 : 0; }

/* The client finished sending: the echo closes once its replies are out;
 * the relay forwards the end of stream. */
static void demo_eof(gr_conn_t *conn)
{
    if (demo_relay_owns(conn))
        demo_relay_eof(conn);
    else
        gr->conn_shutdown(conn);
}

static void demo_closing(gr_conn_t *conn)
{
    if (demo_relay_owns(conn) && gr->conn_get_user(conn))
        demo_relay_closing(conn);
}

static int demo_proc(gr_conn_t *conn, const char *package, size_t len)
{
    if (demo_relay_owns(conn))
        return demo_relay_proc(conn, package, len);
    return gr->reply(conn, package, len) == 0 ? GR_PROC_OK : GR_PROC_CLOSE;
}

/* One "label: name=value" line per pair. */
static void report_pairs(gr_conn_t *conn, const char *label, const gr_http_pair_t *p, size_t n)
{
    char line[512];
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(line, sizeof line, "%s: %.*s=%.*s\n", label, (int)p[i].name.len, p[i].name.ptr,
                           (int)p[i].value.len, p[i].value.ptr);
        gr->reply(conn, line, len < (int)sizeof line ? (size_t)len : sizeof line - 1);
    }
}

static void report_request(gr_conn_t *conn, const gr_http_request_t *req)
{
    char line[512];
    int len = snprintf(line, sizeof line, "method: %.*s\npath: %.*s\nquery_string: %.*s\nversion: %d.%d\n"
                       "keep_alive: %d\nbody_length: %zu\n",
                       (int)req->method.len, req->method.ptr, (int)req->path.len, req->path.ptr,
                       (int)req->query_string.len, req->query_string.ptr, req->version_major, req->version_minor,
                       req->keep_alive, req->body.len);
    gr->http_add_header(conn, "Content-Type", "text/plain; charset=utf-8");
    gr->reply(conn, line, len < (int)sizeof line ? (size_t)len : sizeof line - 1);
    report_pairs(conn, "query", req->query, req->query_count);
    report_pairs(conn, "header", req->headers, req->header_count);
    report_pairs(conn, "form", req->form, req->form_count);
}

/* The server's counters, rendered by the framework (reply_stats). */
static void report_stats(gr_conn_t *conn, int format, const char *content_type)
{
    gr->http_add_header(conn, "Content-Type", content_type);
    if (gr->reply_stats(conn, format) != 0)
        gr->http_reply_text(conn, 500, "stats unavailable\n");
}

static int path_is(const gr_http_request_t *req, const char *path)
{
    size_t n = strlen(path);
    return req->path.len == n && memcmp(req->path.ptr, path, n) == 0;
}

/* ---- Asynchronous answers ---- */

/* Threads /later started and not yet done; term waits for them, since no
 * handle may be completed after term returns. */
static volatile int later_running;

typedef struct demo_later_t {
    gr_reply_t *reply;
    unsigned ms;
    const char *what; /* "delayed" (a timer) or "later" (a thread of ours) */
} demo_later_t;

static void later_complete(demo_later_t *l)
{
    char body[64];
    int n = snprintf(body, sizeof body, "%s %u ms", l->what, l->ms);
    gr->http_complete(l->reply, 200, NULL, body, (size_t)n, 0);
    free(l);
}

static void delay_fired(uint64_t timer, void *arg)
{
    (void)timer;
    later_complete((demo_later_t *)arg);
}

static void later_thread(void *arg)
{
    demo_later_t *l = (demo_later_t *)arg;
    demo_sleep_ms(l->ms);
    later_complete(l);
    __atomic_sub_fetch(&later_running, 1, __ATOMIC_RELEASE);
}

/* ms=N with 0 <= N <= 10000, digits only; -1 otherwise. */
static long query_ms(const gr_http_request_t *req)
{
    gr_str_t v = gr->http_query(req, "ms");
    if (!v.ptr || v.len == 0 || v.len > 5)
        return -1;
    long ms = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9')
            return -1;
        ms = ms * 10 + (v.ptr[i] - '0');
    }
    return ms <= 10000 ? ms : -1;
}

/* /delay (timer) or /later (thread). */
static void answer_later(gr_conn_t *conn, const gr_http_request_t *req, int from_thread)
{
    long ms = query_ms(req);
    if (ms < 0) {
        gr->http_reply_text(conn, 400, "ms: a whole number of milliseconds, 0 to 10000\n");
        return;
    }
    demo_later_t *l = (demo_later_t *)malloc(sizeof *l);
    if (!l || !(l->reply = gr->reply_defer(conn))) {
        free(l);
        gr->http_reply_text(conn, 503, "cannot answer later now\n");
        return;
    }
    l->ms = (unsigned)ms;
    l->what = from_thread ? "later" : "delayed";
    if (!from_thread) {
        if (gr->timer_start((uint64_t)ms, 0, delay_fired, l) == 0)
            later_complete(l); /* no timer: answer at once rather than never */
        return;
    }
    __atomic_add_fetch(&later_running, 1, __ATOMIC_ACQ_REL);
    if (demo_thread_start(later_thread, l) != 0) {
        __atomic_sub_fetch(&later_running, 1, __ATOMIC_RELEASE);
        gr->http_complete(l->reply, 503, NULL, "no thread\n", 10, 0);
        free(l);
    }
}

static void demo_term(void)
{
    while (__atomic_load_n(&later_running, __ATOMIC_ACQUIRE) > 0)
        demo_sleep_ms(1);
}

static int demo_proc_http(gr_conn_t *conn, const gr_http_request_t *req)
{
    if (path_is(req, "/delay"))
        answer_later(conn, req, 0);
    else if (path_is(req, "/later"))
        answer_later(conn, req, 1);
    else if (debug_paths && path_is(req, "/debug/request"))
        report_request(conn, req);
    else if (debug_paths && path_is(req, "/debug/stats"))
        report_stats(conn, GR_STATS_JSON, "application/json");
    else if (metrics_path && path_is(req, "/metrics"))
        report_stats(conn, GR_STATS_PROMETHEUS, GR_STATS_PROMETHEUS_CONTENT_TYPE);
    else
        gr->http_reply_text(conn, 200, greeting);
    return GR_PROC_OK;
}

GR_MODULE_EXPORT const gr_module_t *gr_module_entry(void)
{
    static const gr_module_t module = {
        GR_MODULE_HEADER("demo"),
        .init = demo_init,
        .tcp_accept = demo_accept,
        .term = demo_term,
        .check = demo_check,
        .proc = demo_proc,
        .proc_http = demo_proc_http,
        GR_MODULE_MIN_ABI(7), /* proc_http and http_* (1.2), reply_defer, timers, reply_stats (1.7) */
        .version = "1.0.0",
        .config_keys = demo_keys,
        .tcp_eof = demo_eof,
        .tcp_closing = demo_closing,
    };
    return &module;
}
