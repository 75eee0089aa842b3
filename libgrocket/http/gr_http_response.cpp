/* gr_http_response.cpp - answer one HTTP request: call proc_http (the body
 * goes straight into the reply buffer), then put the head in front of it
 * with Content-Length, Date (formatted once a second per thread), Server
 * and, where needed, Connection. HEAD keeps the head and drops the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gr_clock.h"
#include "gr_defer.h"
#include "gr_str.h"
#include "gr_error.h"
#include "gr_http.h"
#include "gr_pipeline.h"

gr_http_resp_t *gr_http_resp_new(void)
{
    return (gr_http_resp_t *)calloc(1, sizeof(gr_http_resp_t));
}

void gr_http_resp_free(gr_http_resp_t *r)
{
    if (!r)
        return;
    gr_buf_free(&r->headers);
    gr_buf_free(&r->decoded);
    free(r->pairs);
    free(r);
}

/* Decimal digits of v into the end of buf; returns where they start. */
static char *format_u64(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static char *put(char *p, const char *s, size_t n)
{
    if (n) /* s may be NULL then (no module header lines yet): memcpy's UB */
        memcpy(p, s, n);
    return p + n;
}

static gr_http_resp_t *active_resp(gr_conn_t *c)
{
    gr_http_resp_t *r = gr_proc_ctx(c)->proc->http_resp;
    return r && r->active ? r : NULL;
}

/* A final status: 1xx are interim answers a client reads as "another
 * response follows" (grocket sends 100 Continue itself, and switches no
 * protocols), so a module's 1xx would make it misread every byte after. */
static bool final_status(int status) { return status >= 200 && status <= 999; }
bool gr_http_status_ok(int status) { return final_status(status); }

/* RFC 7230 3.3.2-3.3.3: a 204 or 304 ends with its head; no body, no
 * Content-Length (a body would be read as the next response). */
static bool bodiless_status(int status) { return status == 204 || status == 304; }

int gr_http_set_status(gr_conn_t *c, int status)
{
    gr_http_resp_t *r = active_resp(c);
    if (!r || !final_status(status))
        return GR_EINVAL;
    r->status = status;
    return GR_OK;
}

/* RFC 7230 3.2: a field name is a token; a value holds no control
 * character but HTAB (CR and LF would break the head apart, and a name
 * with blanks or separators is read differently by different clients and
 * proxies; fuzz/fuzz_http checks every line sent). */
static bool header_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!gr_http_tchar((unsigned char)*s))
            return false;
    return true;
}

static bool header_value_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 32 && ch != '\t') || ch == 127)
            return false;
    }
    return true;
}

bool gr_http_value_ok(const char *value) { return header_value_ok(value); }

static bool is_content_type(const char *name, size_t len)
{
    return len == 12 && gr_strncasecmp(name, "Content-Type", 12) == 0;
}

int gr_http_add_header(gr_conn_t *c, const char *name, const char *value)
{
    gr_http_resp_t *r = active_resp(c);
    if (!r || !name || !value || !header_name_ok(name) || !header_value_ok(value))
        return GR_EINVAL;
    /* The framework frames the body (Content-Length): a second length or a
     * Transfer-Encoding from the module would let the client read the
     * response's end differently (found by fuzz/fuzz_http). */
    if (gr_strcasecmp(name, "Content-Length") == 0 || gr_strcasecmp(name, "Transfer-Encoding") == 0)
        return GR_EINVAL;
    size_t nl = strlen(name), vl = strlen(value);
    if (gr_buf_reserve(&r->headers, nl + vl + 4, 0) != GR_OK)
        return GR_ENOMEM;
    char *p = r->headers.data + r->headers.len;
    memcpy(p, name, nl);
    memcpy(p + nl, ": ", 2);
    memcpy(p + nl + 2, value, vl);
    memcpy(p + nl + 2 + vl, "\r\n", 2);
    r->headers.len += nl + vl + 4;
    if (is_content_type(name, nl))
        r->text_plain = 0; /* this one replaces http_reply_text's */
    return GR_OK;
}

/* Drop the Content-Type lines the module added ("Name: value\r\n" each;
 * a name holds no ':'). */
GR_COLD static void drop_content_type(gr_http_resp_t *r)
{
    size_t at = 0;
    while (at < r->headers.len) {
        char *line = r->headers.data + at;
        const char *eol = (const char *)memchr(line, '\n', r->headers.len - at);
        size_t n = (size_t)(eol - line) + 1;
        const char *colon = (const char *)memchr(line, ':', n);
        if (colon && is_content_type(line, (size_t)(colon - line))) {
            memmove(line, line + n, r->headers.len - at - n);
            r->headers.len -= n;
        } else {
            at += n;
        }
    }
}

/* The response's body becomes text and its Content-Type text/plain; the
 * status is set; the module's other header lines stay. On failure nothing
 * changes. */
int gr_http_reply_text(gr_conn_t *c, int status, const char *text)
{
    gr_http_resp_t *r = active_resp(c);
    if (!r || !final_status(status) || !text)
        return GR_EINVAL;
    size_t len = strlen(text);
    if (gr_buf_reserve(&c->out, len, 0) != GR_OK) /* may compact: out.off moves, body_at holds */
        return GR_ENOMEM;
    r->status = status;
    if (r->headers.len) /* the module added header lines: rarely */
        drop_content_type(r);
    r->text_plain = 1; /* frame() adds the constant line */
    c->out.len = c->out.off + r->body_at;
    if (len)
        memcpy(c->out.data + c->out.len, text, len);
    c->out.len += len;
    return GR_OK;
}

/* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" (RFC 9110's IMF-fixdate, in
 * English whatever the locale) into p; its length. */
static size_t http_date(char *p, size_t room, int64_t unix_sec)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    gr_utc_t t;
    gr_utc_split(unix_sec, &t);
    int n = snprintf(p, room, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n", days[t.weekday], t.day,
                     months[t.month - 1], t.year, t.hour, t.minute, t.second);
    return n > 0 && (size_t)n < room ? (size_t)n : 0;
}

/* The head's first lines: "HTTP/1.1 200 OK\r\nServer: grocket\r\nDate:
 * ...\r\n", made again only when the
 * status or the second changes (time() is a vDSO read), so that most
 * requests copy it in one piece. */
static void head_prefix(gr_http_resp_t *r)
{
    time_t now = time(NULL);
    if (r->status == r->prefix_status && (int64_t)now == r->prefix_sec)
        return;
    char digits[24];
    const char *reason = http_status_str((enum http_status)r->status);
    size_t rlen = strlen(reason);
    if (rlen > 40)
        rlen = 40;
    char *p = put(r->prefix, "HTTP/1.1 ", 9);
    char *d = format_u64(digits + sizeof digits, (uint64_t)r->status);
    p = put(p, d, (size_t)(digits + sizeof digits - d));
    *p++ = ' ';
    p = put(p, reason, rlen);
    static const char server[] = "\r\nServer: grocket\r\n";
    p = put(p, server, sizeof server - 1);
    p += http_date(p, sizeof r->prefix - (size_t)(p - r->prefix), (int64_t)now);
    r->prefix_len = (size_t)(p - r->prefix);
    r->prefix_status = r->status;
    r->prefix_sec = (int64_t)now;
    r->head_len = 0; /* made with the old prefix */
}

static const char text_plain[] = "Content-Type: text/plain; charset=utf-8\r\n";
static const char conn_close[] = "Connection: close\r\n";
static const char conn_keep[] = "Connection: keep-alive\r\n";
static const char length[] = "Content-Length: ";

/* Write the head at p (it is exactly `head` bytes, as head_size says). */
static void write_head(const gr_http_resp_t *r, char *p, size_t body_len, int bodiless, int close, int keep_alive_1_0)
{
    /* Assembled by hand: printf-style formatting would cost more than the
     * rest of the framing. */
    p = put(p, r->prefix, r->prefix_len);
    if (!bodiless) {
        char digits[24];
        char *cl = format_u64(digits + sizeof digits, (uint64_t)body_len);
        p = put(p, length, sizeof length - 1);
        while (cl < digits + sizeof digits) /* a few digits: cheaper than a call */
            *p++ = *cl++;
        p = put(p, "\r\n", 2);
    }
    if (r->headers.len) /* none added: no buffer, and memcpy from NULL is undefined */
        p = put(p, r->headers.data, r->headers.len);
    if (r->text_plain)
        p = put(p, text_plain, sizeof text_plain - 1);
    if (close)
        p = put(p, conn_close, sizeof conn_close - 1);
    else if (keep_alive_1_0)
        p = put(p, conn_keep, sizeof conn_keep - 1);
    put(p, "\r\n", 2);
}

static size_t head_size(const gr_http_resp_t *r, size_t body_len, int bodiless, int close, int keep_alive_1_0)
{
    size_t n = r->prefix_len + r->headers.len + 2;
    if (!bodiless) {
        char digits[24];
        n += sizeof length - 1 + (size_t)(digits + sizeof digits - format_u64(digits + sizeof digits, body_len)) + 2;
    }
    if (r->text_plain)
        n += sizeof text_plain - 1;
    if (close)
        n += sizeof conn_close - 1;
    else if (keep_alive_1_0)
        n += sizeof conn_keep - 1;
    return n;
}

/* Room for the head in front of the body about to be written from
 * `body_at` bytes after out.off: as large as the last head kept for reuse,
 * which most replies get again, so the body need not move (0 when there is
 * none yet or no memory). Returns the room made. */
static size_t head_room(gr_http_resp_t *r, gr_conn_t *c)
{
    size_t gap = r->head_len;
    if (gap == 0 || gr_buf_reserve(&c->out, gap, 0) != GR_OK)
        return 0;
    c->out.len += gap;
    return gap;
}

/* Put the head at `body_at` bytes after out.off, where `gap` bytes of room
 * (head_room) come before the body; move the body only when the head is
 * not exactly that long. Drop the body for HEAD, and with its length for
 * 204 and 304. On failure nothing of this reply is left in out. */
static int frame(gr_http_resp_t *r, gr_conn_t *c, size_t body_at, size_t gap, int is_head, int close,
                 int keep_alive_1_0)
{
    int bodiless = bodiless_status(r->status);
    if (bodiless) {
        c->out.len = c->out.off + body_at + gap;
        is_head = 1;
    }
    size_t body_len = c->out.len - c->out.off - body_at - gap;
    head_prefix(r);
    /* The rest of what the head depends on (the prefix covers the status). */
    uint64_t key = (uint64_t)body_len << 3 | (uint64_t)r->text_plain | (uint64_t)close << 1 | (uint64_t)keep_alive_1_0 << 2;
    int cacheable = r->headers.len == 0;
    int cached = cacheable && r->head_len && r->head_key == key;
    size_t head = cached ? r->head_len : head_size(r, body_len, bodiless, close, keep_alive_1_0);
    if (head > gap && gr_buf_reserve(&c->out, head - gap, 0) != GR_OK) {
        c->out.len = c->out.off + body_at;
        return GR_ENOMEM;
    }
    char *at = c->out.data + c->out.off + body_at;
    if (head != gap && !is_head && body_len)
        memmove(at + head, at + gap, body_len);
    if (cached) {
        memcpy(at, r->head, head);
    } else {
        write_head(r, at, body_len, bodiless, close, keep_alive_1_0);
        if (cacheable && head <= sizeof r->head) {
            memcpy(r->head, at, head);
            r->head_len = head;
            r->head_key = key;
        }
    }
    c->out.len = c->out.off + body_at + head + (is_head ? 0 : body_len);
    return GR_OK;
}

/* Ready for a new response on this thread, its body to start body_at
 * bytes after conn->out.off. */
static void resp_begin(gr_http_resp_t *r, int status, size_t body_at)
{
    r->active = 1;
    r->body_at = body_at;
    r->status = status;
    r->text_plain = 0;
    r->headers.off = r->headers.len = 0;
}

int gr_http_process(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *bytes, const gr_http_msg_t *msg)
{
    gr_http_resp_t *r = ctx->proc->http_resp;
    const gr_module_t *m = &ctx->server->module.m;
    gr_http_request_t req;
    if (msg->method == HTTP_CONNECT) { /* no tunnels here */
        gr_http_error(ctx, c, 405);
        return GR_PROC_CLOSE;
    }
    if (gr_http_request_build(r, &req, bytes, msg) != GR_OK) {
        gr_http_error(ctx, c, 500);
        return GR_PROC_CLOSE;
    }
    /* RFC 7230 5.4: an HTTP/1.1 request without a Host header, or any
     * request with more than one, is answered 400. */
    if (msg->host_count > 1 || (msg->host_count == 0 && msg->version_minor >= 1)) {
        gr_http_error(ctx, c, 400);
        return GR_PROC_CLOSE;
    }
    /* Relative to out.off: growing the buffer may compact it. */
    size_t body_at = c->out.len - c->out.off;
    size_t gap = head_room(r, c);
    resp_begin(r, 200, body_at + gap);
    int rc;
    if (m->proc_http) {
        rc = m->proc_http(c, &req);
    } else {
        gr_http_reply_text(c, 404, "Not Found\n");
        rc = GR_PROC_OK;
    }
    r->active = 0;
    /* In a graceful stop the reply tells the client not to send more. */
    int close = rc != GR_PROC_OK || !msg->keep_alive || gr_server_draining(ctx->server);
    int keep_alive_1_0 = !close && msg->version_major == 1 && msg->version_minor == 0;
    if (gr_cb.deferred) { /* answered later: framed at its turn (gr_http_complete) */
        gr_defer_http_facts(ctx->proc->deferred, close, keep_alive_1_0, req.is_head);
        return close ? GR_PROC_CLOSE : GR_PROC_OK;
    }
    if (frame(r, c, body_at, gap, req.is_head, close, keep_alive_1_0) != GR_OK)
        return GR_PROC_CLOSE;
    return close ? GR_PROC_CLOSE : GR_PROC_OK;
}

int gr_http_complete(gr_thread_ctx_t *ctx, gr_conn_t *c, const gr_reply_t *d)
{
    gr_http_resp_t *r = ctx->proc->http_resp;
    size_t body_at = c->out.len - c->out.off;
    resp_begin(r, d->status, body_at);
    r->text_plain = d->content_type == NULL;
    int close = d->http_close || (d->flags & GR_REPLY_CLOSE) || gr_server_draining(ctx->server);
    int rc = d->content_type ? gr_http_add_header(c, "Content-Type", d->content_type) : GR_OK;
    if (rc == GR_OK && d->bytes.len && (rc = gr_buf_reserve(&c->out, d->bytes.len, 0)) == GR_OK) {
        memcpy(c->out.data + c->out.len, d->bytes.data, d->bytes.len);
        c->out.len += d->bytes.len;
    }
    r->active = 0;
    if (rc != GR_OK || frame(r, c, body_at, 0, d->is_head, close, !close && d->keep_alive_1_0) != GR_OK) {
        c->out.len = c->out.off + body_at;
        gr_http_error(ctx, c, 500);
        return 1;
    }
    return close;
}

void gr_http_error(gr_thread_ctx_t *ctx, gr_conn_t *c, int status)
{
    gr_http_resp_t *r = ctx->proc->http_resp;
    size_t body_at = c->out.len - c->out.off;
    resp_begin(r, status, body_at);
    char text[64];
    snprintf(text, sizeof text, "%d %s\n", status, http_status_str((enum http_status)status));
    gr_http_reply_text(c, status, text);
    r->active = 0;
    frame(r, c, body_at, 0, 0, 1, 0);
}

void gr_http_continue(gr_conn_t *c)
{
    static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (gr_buf_reserve(&c->out, sizeof line - 1, 0) != GR_OK)
        return;
    memcpy(c->out.data + c->out.len, line, sizeof line - 1);
    c->out.len += sizeof line - 1;
}
