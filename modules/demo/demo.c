/* demo.c - the demo module grocketd loads by default.
 *  - TCP (tcp:// listens): an echo; whatever arrives is one package and is
 *    sent straight back.
 *  - HTTP (http:// listens): any path answers "Hello, World!"; the path
 *    /debug/request reports the request as parsed (method, path, query,
 *    headers, form fields, body length), so tests can see the parsing, and
 *    /debug/stats the server's counters as JSON (services->stats). */
#include <stdio.h>
#include <string.h>

#include "grocket.h"

static const gr_services_t *gr;

static int demo_init(const gr_services_t *services)
{
    gr = services;
    return 0;
}

static long demo_check(gr_conn_t *conn, const char *data, size_t len)
{
    return (long)len; /* everything received so far is one package */
}

static int demo_proc(gr_conn_t *conn, const char *package, size_t len)
{
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

/* One group of the stats as a JSON object. */
static void report_group(gr_conn_t *conn, const char *name, const gr_stats_group_t *g, int last)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf,
                     "  \"%s\": {\"threads\": %llu, \"connections_open\": %llu, \"replies_waiting\": %llu, "
                     "\"accepted\": %llu, \"refused\": %llu, \"refused_limit\": %llu, \"accept_errors\": %llu, "
                     "\"closed\": %llu, \"packages\": %llu, \"processed\": %llu, \"dropped\": %llu, "
                     "\"bad\": %llu, \"too_large\": %llu, \"timeouts\": %llu, \"output_limit\": %llu, "
                     "\"io_errors\": %llu, \"read_pauses\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu}%s\n",
                     name, (unsigned long long)g->threads, (unsigned long long)g->connections_open,
                     (unsigned long long)g->replies_waiting, (unsigned long long)g->accepted,
                     (unsigned long long)g->refused, (unsigned long long)g->refused_limit,
                     (unsigned long long)g->accept_errors, (unsigned long long)g->closed,
                     (unsigned long long)g->packages, (unsigned long long)g->processed,
                     (unsigned long long)g->dropped, (unsigned long long)g->bad, (unsigned long long)g->too_large,
                     (unsigned long long)g->timeouts, (unsigned long long)g->output_limit,
                     (unsigned long long)g->io_errors, (unsigned long long)g->read_pauses,
                     (unsigned long long)g->bytes_in, (unsigned long long)g->bytes_out, last ? "" : ",");
    gr->reply(conn, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void report_stats(gr_conn_t *conn)
{
    gr_stats_t st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    if (gr->stats(&st) != 0) {
        gr->http_reply_text(conn, 500, "stats unavailable\n");
        return;
    }
    char head[64];
    int n = snprintf(head, sizeof head, "{\n  \"uptime_ms\": %llu,\n", (unsigned long long)st.uptime_ms);
    gr->http_add_header(conn, "Content-Type", "application/json");
    gr->reply(conn, head, (size_t)n);
    report_group(conn, "tcp_accept", &st.tcp_accept, 0);
    report_group(conn, "tcp_in", &st.tcp_in, 0);
    report_group(conn, "worker", &st.worker, 0);
    report_group(conn, "tcp_out", &st.tcp_out, 1);
    gr->reply(conn, "}\n", 2);
}

static int path_is(const gr_http_request_t *req, const char *path)
{
    size_t n = strlen(path);
    return req->path.len == n && memcmp(req->path.ptr, path, n) == 0;
}

static int demo_proc_http(gr_conn_t *conn, const gr_http_request_t *req)
{
    if (path_is(req, "/debug/request"))
        report_request(conn, req);
    else if (path_is(req, "/debug/stats"))
        report_stats(conn);
    else
        gr->http_reply_text(conn, 200, "Hello, World!");
    return GR_PROC_OK;
}

GR_MODULE_EXPORT const gr_module_t *gr_module_entry(void)
{
    static const gr_module_t module = {
        GR_MODULE_HEADER("demo"),
        .init = demo_init,
        .check = demo_check,
        .proc = demo_proc,
        .proc_http = demo_proc_http,
    };
    return &module;
}
