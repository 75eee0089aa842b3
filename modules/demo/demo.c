/* demo.c - the demo module grocketd loads by default.
 *  - TCP (tcp:// listens): an echo; whatever arrives is one package and is
 *    sent straight back.
 *  - HTTP (http:// listens): any path answers "Hello, World!"; the path
 *    /debug/request reports the request as parsed (method, path, query,
 *    headers, form fields, body length), so tests can see the parsing. */
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

static int demo_proc_http(gr_conn_t *conn, const gr_http_request_t *req)
{
    static const char debug_path[] = "/debug/request";
    if (req->path.len == sizeof debug_path - 1 && memcmp(req->path.ptr, debug_path, req->path.len) == 0)
        report_request(conn, req);
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
