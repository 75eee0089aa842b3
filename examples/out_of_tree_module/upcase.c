/* upcase.c - a grocket module built outside the grocket tree, against the
 * installed package (see CMakeLists.txt beside it).
 *
 * TCP (tcp:// listens): a line protocol; each line comes back upper-cased.
 * HTTP (http:// listens): the query parameter "text", upper-cased.
 * [upcase] prefix (a string, default empty) is put in front of each reply. */
#include <ctype.h>
#include <string.h>

#include "grocket.h"

static const gr_services_t *gr;
static const char *prefix;
static size_t prefix_len;

static int up_init(const gr_services_t *services)
{
    gr = services;
    prefix = gr->config_str("upcase", "prefix", "");
    prefix_len = strlen(prefix);
    return 0;
}

/* Append prefix and the upper-cased bytes to the reply. */
static int reply_upper(gr_conn_t *conn, const char *s, size_t len)
{
    char *out = gr->reply_alloc(conn, prefix_len + len);
    if (!out)
        return GR_PROC_CLOSE;
    memcpy(out, prefix, prefix_len);
    for (size_t i = 0; i < len; i++)
        out[prefix_len + i] = (char)toupper((unsigned char)s[i]);
    return GR_PROC_OK;
}

static long up_check(gr_conn_t *conn, const char *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    return nl ? (long)(nl - data + 1) : GR_CHECK_NEED_MORE;
}

static int up_proc(gr_conn_t *conn, const char *line, size_t len)
{
    return reply_upper(conn, line, len);
}

static int up_http(gr_conn_t *conn, const gr_http_request_t *req)
{
    gr_str_t text = gr->http_query(req, "text");
    gr->http_add_header(conn, "Content-Type", "text/plain; charset=utf-8");
    return reply_upper(conn, text.ptr ? text.ptr : "", text.len);
}

GR_MODULE_EXPORT const gr_module_t *gr_module_entry(void)
{
    static const gr_module_t module = {
        GR_MODULE_HEADER("upcase"),
        .init = up_init,
        .check = up_check,
        .proc = up_proc,
        .proc_http = up_http,
    };
    return &module;
}
