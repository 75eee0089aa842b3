/* gr_http_request.cpp - from a parsed request (offsets) to the module's view
 * of it: views into the received bytes where nothing needs decoding, the
 * percent-decoded path, query parameters and form fields in per-thread
 * scratch; and the packing of request descriptions for workers. */
#include <stdlib.h>
#include <string.h>

#include "gr_array.h"
#include "gr_str.h"
#include "gr_error.h"
#include "gr_http.h"

static gr_str_t span_str(const char *bytes, gr_http_span_t s)
{
    gr_str_t r = {bytes + s.off, s.len};
    return r;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode src into dst (room for len bytes); '+' is a space when
 * plus_is_space (query and form syntax). A broken escape stays as written.
 * Returns the decoded length. */
static size_t url_decode(char *dst, const char *src, size_t len, int plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = src[i];
        if (ch == '%' && i + 2 < len) {
            int hi = hex_value(src[i + 1]), lo = hex_value(src[i + 2]);
            if (hi >= 0 && lo >= 0) {
                dst[o++] = (char)(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        dst[o++] = plus_is_space && ch == '+' ? ' ' : ch;
    }
    return o;
}

static int pairs_reserve(gr_http_resp_t *r, size_t n)
{
    return gr_array_reserve(&r->pairs, &r->pairs_cap, n, 32) ? GR_OK : GR_ENOMEM;
}

static size_t count_fields(const char *s, size_t len)
{
    if (!len)
        return 0;
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '&';
    return n;
}

/* Split "a=1&b=2" into decoded pairs appended at out; returns the count.
 * The decoded bytes go to r->decoded, whose room was reserved. */
static size_t parse_fields(gr_http_resp_t *r, gr_http_pair_t *out, const char *s, size_t len)
{
    size_t n = 0, i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && s[eq] != '=')
                eq++;
            char *name = r->decoded.data + r->decoded.len;
            size_t nlen = url_decode(name, s + i, eq - i, 1);
            r->decoded.len += nlen;
            char *value = r->decoded.data + r->decoded.len;
            size_t vlen = eq < end ? url_decode(value, s + eq + 1, end - eq - 1, 1) : 0;
            r->decoded.len += vlen;
            out[n].name.ptr = name;
            out[n].name.len = nlen;
            out[n].value.ptr = value;
            out[n].value.len = vlen;
            n++;
        }
        i = end + 1;
    }
    return n;
}

gr_str_t gr_http_find(const gr_http_pair_t *pairs, size_t count, const char *name, int ignore_case)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < count; i++) {
        if (pairs[i].name.len != len)
            continue;
        if (ignore_case ? gr_strncasecmp(pairs[i].name.ptr, name, len) == 0 : memcmp(pairs[i].name.ptr, name, len) == 0)
            return pairs[i].value;
    }
    gr_str_t none = {NULL, 0};
    return none;
}

static int is_form(const gr_http_pair_t *headers, size_t count)
{
    static const char form_type[] = "application/x-www-form-urlencoded";
    gr_str_t ct = gr_http_find(headers, count, "Content-Type", 1);
    return ct.ptr && ct.len >= sizeof form_type - 1 && gr_strncasecmp(ct.ptr, form_type, sizeof form_type - 1) == 0;
}

int gr_http_request_build(gr_http_resp_t *r, gr_http_request_t *req, const char *bytes, const gr_http_msg_t *msg)
{
    /* Every member is set below (no memset: this runs per request). */
    req->size = sizeof *req;
    /* http-parser's own method list, with the lengths known up front. */
#define GR_METHOD_STR(num, name, string) {#string, sizeof #string - 1},
    static const gr_str_t methods[] = {HTTP_METHOD_MAP(GR_METHOD_STR)};
#undef GR_METHOD_STR
    if (msg->method < sizeof methods / sizeof methods[0]) {
        req->method = methods[msg->method];
    } else { /* a method newer than this list: ask the library */
        req->method.ptr = http_method_str((enum http_method)msg->method);
        req->method.len = strlen(req->method.ptr);
    }
    req->target = span_str(bytes, msg->url);
    req->version_major = msg->version_major;
    req->version_minor = msg->version_minor;
    req->keep_alive = msg->keep_alive;
    req->is_head = msg->method == HTTP_HEAD;
    if (msg->chunked) {
        req->body.ptr = msg->body_buf;
        req->body.len = msg->body_len;
    } else {
        req->body = span_str(bytes, msg->body);
    }

    /* The target splits at '?' into the path and the query string. The
     * absolute form (RFC 7230 5.3.2, "http://host/path") has its scheme and
     * authority skipped: the path is what follows. */
    const char *t = req->target.ptr;
    size_t tlen = req->target.len, q = msg->path_len;
    int path_escaped = msg->path_escaped; /* found while parsing */
    if (tlen && t[0] != '/' && t[0] != '*') {
        const char *scheme_end = (const char *)memchr(t, ':', tlen);
        if (scheme_end && (size_t)(scheme_end - t) + 3 <= tlen && scheme_end[1] == '/' && scheme_end[2] == '/') {
            const char *auth = scheme_end + 3;
            const char *slash = auth;
            while (slash < t + tlen && *slash != '/' && *slash != '?')
                slash++;
            tlen -= (size_t)(slash - t);
            t = slash;
        }
        /* One pass finds the '?' and any escape before it, after the
         * authority (which may not hold a '?'; a scheme could). */
        path_escaped = 0;
        for (q = 0; q < tlen && t[q] != '?'; q++)
            path_escaped |= t[q] == '%';
    }
    req->query_string.ptr = q < tlen ? t + q + 1 : t + tlen;
    req->query_string.len = q < tlen ? tlen - q - 1 : 0;

    /* Headers, then query parameters, then form fields, in one array. */
    size_t nq = count_fields(req->query_string.ptr, req->query_string.len);
    if (pairs_reserve(r, msg->header_count + nq) != GR_OK)
        return GR_ENOMEM;
    for (uint32_t i = 0; i < msg->header_count; i++) {
        r->pairs[i].name = span_str(bytes, msg->names[i]);
        r->pairs[i].value = span_str(bytes, msg->values[i]);
    }
    int form = req->body.len && is_form(r->pairs, msg->header_count); /* no body, no form to look for */
    size_t nf = form ? count_fields(req->body.ptr, req->body.len) : 0;
    if (nf && pairs_reserve(r, msg->header_count + nq + nf) != GR_OK)
        return GR_ENOMEM;
    /* Decoding never lengthens, so this much room means no realloc (and no
     * dangling views) while decoding. */
    r->decoded.off = r->decoded.len = 0;
    size_t decoded = (path_escaped ? q : 0) + req->query_string.len + (form ? req->body.len : 0);
    if (decoded && gr_buf_reserve(&r->decoded, decoded, 0) != GR_OK)
        return GR_ENOMEM;

    if (path_escaped) {
        char *path = r->decoded.data;
        req->path.ptr = path;
        req->path.len = url_decode(path, t, q, 0);
        r->decoded.len = req->path.len;
    } else { /* nothing to decode: a view, no copy */
        req->path.ptr = t;
        req->path.len = q;
    }
    if (req->path.len == 0) { /* "http://host" or "http://host?q": the root */
        req->path.ptr = "/";
        req->path.len = 1;
    }

    req->headers = r->pairs;
    req->header_count = msg->header_count;
    req->query = r->pairs + msg->header_count;
    req->query_count = nq ? parse_fields(r, r->pairs + msg->header_count, req->query_string.ptr, req->query_string.len) : 0;
    req->form = req->query + req->query_count;
    req->form_count = form ? parse_fields(r, (gr_http_pair_t *)req->form, req->body.ptr, req->body.len) : 0;
    return GR_OK;
}

/* Packed layout: the msg struct, the name spans, the value spans, the
 * decoded body; each part 8-aligned. */
static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

size_t gr_http_msg_packed_size(const gr_http_msg_t *msg)
{
    return align8(sizeof *msg) + align8(2 * (size_t)msg->header_count * sizeof(gr_http_span_t)) +
           align8(msg->chunked ? msg->body_len : 0);
}

void gr_http_msg_pack(const gr_http_msg_t *msg, char *dst)
{
    gr_http_msg_t *m = (gr_http_msg_t *)dst;
    *m = *msg;
    m->names = m->values = NULL;
    m->body_buf = NULL;
    m->header_cap = m->header_count;
    m->body_cap = 0;
    char *p = dst + align8(sizeof *msg);
    size_t spans = (size_t)msg->header_count * sizeof(gr_http_span_t);
    if (spans) { /* a request without headers may have no arrays yet */
        memcpy(p, msg->names, spans);
        memcpy(p + spans, msg->values, spans);
    }
    p += align8(2 * spans);
    if (msg->chunked && msg->body_len)
        memcpy(p, msg->body_buf, msg->body_len);
}

void gr_http_msg_unpack(const char *src, gr_http_msg_t *out)
{
    *out = *(const gr_http_msg_t *)src;
    const char *p = src + align8(sizeof *out);
    out->names = (gr_http_span_t *)p;
    out->values = out->names + out->header_count;
    out->body_buf = (char *)(p + align8(2 * (size_t)out->header_count * sizeof(gr_http_span_t)));
}
