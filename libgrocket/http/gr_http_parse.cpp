/* gr_http_parse.cpp - HTTP/1.x request framing on http-parser 2.9 (see
 * gr_http_parse.h). The callbacks record offsets, enforce the limits and
 * refuse ambiguous framing; the parser is paused at the end of the head and
 * at the end of each request, because only http_parser_execute's return
 * value tells exactly where those ends lie.
 *
 * Debian builds http-parser non-strict: it takes any byte after a CR as the
 * LF in some places (end of head, chunk lines), any "H..." as "HTTP/",
 * blanks around header names ("Content-Length : 5" still sets the length)
 * and HTTP/0.9. A front proxy may read such bytes differently, which is how
 * requests get smuggled, so we refuse all of them with 400. */
#include "gr_array.h"
#include "gr_http_parse.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* http-parser's own head limit is process-wide and fires as
 * HPE_HEADER_OVERFLOW (mapped to 431 anyway). Set far above any sane
 * max_header_size so that ours, per server, is the one that applies. */
static const uint32_t GR_HTTP_PARSER_HEAD_MAX = 1u << 20;
static const uint32_t GR_HTTP_FIRST_HEADERS = 16;  /* first names/values size */
static const size_t GR_HTTP_FIRST_BODY = 4096;     /* first body_buf size */

static gr_http_parser_t *gr_hp(http_parser *p) { return (gr_http_parser_t *)p->data; }

/* Decide the answer and stop http_parser_execute (a non-zero callback
 * return makes it fail with HPE_CB_*). The first decision wins. */
static int gr_fail(gr_http_parser_t *hp, int status)
{
    if (hp->error_status == 0)
        hp->error_status = status;
    return -1;
}

static uint32_t gr_off(const gr_http_parser_t *hp, const char *at) { return (uint32_t)(at - hp->base); }

/* Grow s by a piece at off. Pieces of one field arrive contiguous, even
 * across feed calls; a gap means obsolete line folding (a value continued
 * on the next line), which RFC 7230 lets a server refuse, and we do: it
 * is a classic smuggling vector. */
static int gr_span_extend(gr_http_span_t *s, uint32_t off, size_t len)
{
    if (off != s->off + s->len)
        return -1;
    s->len += (uint32_t)len;
    return 0;
}

/* ASCII case-insensitive equality of s[0..n) and a lower-case literal
 * (no locale: header names are ASCII tokens). */
static int gr_ieq(const char *s, size_t n, const char *lit)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (lit[i] == '\0' || c != lit[i])
            return 0;
    }
    return lit[i] == '\0';
}

static inline uint32_t gr_load32(const char *s)
{
    uint32_t v;
    memcpy(&v, s, sizeof v); /* unaligned load */
    return v;
}

static inline uint64_t gr_load64(const char *s)
{
    uint64_t v;
    memcpy(&v, s, sizeof v);
    return v;
}

/* A header name of n >= 4 bytes (a token, so never a control character)
 * equals a lower-case literal of n letters and '-', ignoring case: OR-ing
 * in 0x20 lower-cases a letter, and turns no token character into a letter
 * or '-' (only CR would become '-'). A word at a time, the last word
 * overlapping the one before: n is a constant where this is inlined. */
static inline int gr_name_is(const char *s, const char *lit, size_t n)
{
    if (n < 8)
        return (gr_load32(s) | 0x20202020u) == gr_load32(lit) &&
               (gr_load32(s + n - 4) | 0x20202020u) == gr_load32(lit + n - 4);
    for (size_t i = 0; i + 8 < n; i += 8)
        if ((gr_load64(s + i) | 0x2020202020202020ull) != gr_load64(lit + i))
            return 0;
    return (gr_load64(s + n - 8) | 0x2020202020202020ull) == gr_load64(lit + n - 8);
}

/* Strict decimal: at least one digit, nothing else, no overflow. */
static int gr_parse_decimal(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* A CR not followed by LF in s[0..n). */
static int gr_bare_cr(const char *s, size_t n)
{
    const char *end = s + n;
    for (const char *p = s; (p = (const char *)memchr(p, '\r', (size_t)(end - p))) != NULL; p += 2)
        if (p + 1 == end || p[1] != '\n')
            return 1;
    return 0;
}

/* A LF not preceded by CR in s[0..n). */
static int gr_bare_lf(const char *s, size_t n)
{
    const char *end = s + n;
    for (const char *p = s; (p = (const char *)memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        if (p == s || p[-1] != '\r')
            return 1;
    return 0;
}

/* Chunked: the framing bytes [frame_end, end) between two chunks' data,
 * or after the last (size line, extensions, trailers). Every line of it
 * must end in CRLF: http-parser skips a bare LF inside a chunk extension
 * ("3;a\nb\r\n"), where a reader that ends lines at LF sees other chunk
 * boundaries (found by fuzz/fuzz_http). */
static int gr_chunk_gap(const gr_http_parser_t *hp, uint32_t end)
{
    const char *g = hp->base + hp->frame_end;
    uint32_t n = end - hp->frame_end;
    if (n > hp->limits->max_header_size)
        return 431; /* endless extensions or trailers: http-parser has no bound */
    int after_data = hp->frame_end != hp->msg.head_len;
    if (after_data && (n < 2 || g[0] != '\r' || g[1] != '\n'))
        return 400; /* chunk data must end with CRLF; non-strict takes any 2 bytes */
    /* The size line: hex digits, then an extension, a blank or its end.
     * http-parser reads every byte >= 0x80 as the digit 0 (its hex table
     * covers ASCII only): "\xff5" would be 5 bytes here and nothing, or
     * something else, to a proxy in front (found by fuzz/fuzz_http). */
    const char *d = g + (after_data ? 2 : 0), *end_g = g + n, *digits = d;
    while (d < end_g && ((*d >= '0' && *d <= '9') || ((*d | 0x20) >= 'a' && (*d | 0x20) <= 'f')))
        d++;
    if (d == digits || d == end_g || (*d != ';' && *d != ' ' && *d != '\r'))
        return 400;
    return gr_bare_cr(g, n) || gr_bare_lf(g, n) ? 400 : 0;
}

static int gr_grow_headers(gr_http_parser_t *hp)
{
    gr_http_msg_t *m = &hp->msg;
    if (m->header_cap > UINT32_MAX / 2)
        return -1;
    return gr_array_reserve2(&m->names, &m->values, &m->header_cap, (size_t)m->header_cap + 1, GR_HTTP_FIRST_HEADERS)
               ? 0
               : -1;
}

/* A Transfer-Encoding list "c1, c2, ..., chunked": well-formed codings
 * before a final chunked. RFC 7230 3.3.1: such a request has a length we
 * could find but a coding we do not decode, 501; a list that does not end
 * in chunked leaves the length unknown (3.3.3), and a malformed one is
 * malformed: 400. */
static bool gr_codings_then_chunked(const char *s, size_t n)
{
    size_t tokens = 0, i = 0;
    bool last_chunked = false;
    while (i <= n) {
        size_t b = i;
        while (i < n && s[i] != ',')
            i++;
        size_t e = i++;
        while (b < e && (s[b] == ' ' || s[b] == '\t'))
            b++;
        while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
            e--;
        if (b == e)
            return false;
        for (size_t k = b; k < e; k++)
            if (!gr_http_tchar((unsigned char)s[k]))
                return false;
        if (last_chunked)
            return false; /* chunked twice, or not last */
        last_chunked = gr_ieq(s + b, e - b, "chunked");
        tokens++;
    }
    return tokens > 1 && last_chunked;
}

/* The value of a framing or Expect header is complete: judge it. */
static int gr_special_value_done(gr_http_parser_t *hp, const char *s, uint32_t len)
{
    int status = 0;
    if (hp->cur_kind == GR_HDR_CL && gr_parse_decimal(s, len, &hp->cl_value) != 0)
        status = 400;
    else if (hp->cur_kind == GR_HDR_TE && !gr_ieq(s, len, "chunked")) { /* the only coding we decode */
        /* The 501 waits for the end of the head (gr_head_done): a byte
         * http-parser refuses later in it, or a head too large, must win
         * however the bytes were split into reads. */
        if (gr_codings_then_chunked(s, len))
            hp->te_not_decoded = 1;
        else
            status = 400;
    }
    else if (hp->cur_kind == GR_HDR_EXPECT && gr_ieq(s, len, "100-continue"))
        hp->msg.expect_continue = 1; /* kept only for HTTP/1.1, at the end of the head */
    hp->cur_kind = GR_HDR_OTHER;
    return status ? gr_fail(hp, status) : 0;
}

/* The value of the last header is complete: trim it and judge it. */
static inline int gr_value_done(gr_http_parser_t *hp)
{
    gr_http_span_t *v = &hp->msg.values[hp->msg.header_count - 1];
    const char *s = hp->base + v->off;
    uint32_t len = v->len;
    /* http-parser skips leading blanks but keeps trailing ones. */
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    v->len = len;
    return hp->cur_kind == GR_HDR_OTHER ? 0 : gr_special_value_done(hp, s, len);
}

/* Between a name's ':' and the first byte of its value: blanks only, and
 * for an empty value the line's end (CRLF or LF). Non-strict http-parser
 * takes any byte after a CR here as the LF, and a blank after the line's
 * end as a folded value ("A:\r\n b"): both refused. */
static inline bool gr_value_lead_ok(const char *s, const char *at, size_t len)
{
    if (at == s + 1 && *s == ' ') /* "Name: value", the usual */
        return true;
    if (len == 0 && at[-1] == '\n')
        at -= at - 1 > s && at[-2] == '\r' ? 2 : 1;
    for (; s < at; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

static int gr_on_url(http_parser *p, const char *at, size_t len)
{
    gr_http_parser_t *hp = gr_hp(p);
    if (hp->msg.url.len == 0) { /* the first piece is never empty */
        hp->msg.url.off = gr_off(hp, at);
        hp->msg.url.len = (uint32_t)len;
        return 0;
    }
    return gr_span_extend(&hp->msg.url, gr_off(hp, at), len) == 0 ? 0 : gr_fail(hp, 400);
}

static int gr_on_header_field(http_parser *p, const char *at, size_t len)
{
    gr_http_parser_t *hp = gr_hp(p);
    gr_http_msg_t *m = &hp->msg;
    if (m->headers_done)
        return 0; /* trailers: ignored; their size is bounded through frame_end */
    if (m->header_count > 0 && !hp->in_value)
        return gr_span_extend(&m->names[m->header_count - 1], gr_off(hp, at), len) == 0 ? 0 : gr_fail(hp, 400);
    /* A new header starts: the previous value is complete. */
    if (m->header_count > 0 && gr_value_done(hp) != 0)
        return -1;
    /* A name starts a line. Non-strict http-parser takes any byte after
     * the CR that ends an empty value as its LF ("A:\rXB: c" is A and B). */
    if (at[-1] != '\n')
        return gr_fail(hp, 400);
    if (m->header_count >= hp->limits->max_headers)
        return gr_fail(hp, 431);
    if (m->header_count == m->header_cap && gr_grow_headers(hp) != 0)
        return gr_fail(hp, 500);
    m->names[m->header_count].off = gr_off(hp, at);
    m->names[m->header_count].len = (uint32_t)len;
    m->header_count++;
    hp->in_value = 0;
    return 0;
}

static int gr_on_header_value(http_parser *p, const char *at, size_t len)
{
    gr_http_parser_t *hp = gr_hp(p);
    gr_http_msg_t *m = &hp->msg;
    if (m->headers_done)
        return 0;
    if (m->header_count == 0)
        return gr_fail(hp, 400); /* http-parser never does this; do not index -1 */
    gr_http_span_t *v = &m->values[m->header_count - 1];
    if (hp->in_value)
        return gr_span_extend(v, gr_off(hp, at), len) == 0 ? 0 : gr_fail(hp, 400);
    /* The name is complete now, however many pieces it came in. */
    const gr_http_span_t *n = &m->names[m->header_count - 1];
    const char *name = hp->base + n->off;
    if (!gr_value_lead_ok(name + n->len + 1, at, len))
        return gr_fail(hp, 400);
    /* The few names that matter, told apart by length first: one compare
     * per header instead of one per name we look for. */
    uint8_t kind = GR_HDR_OTHER;
    int known = 0;
    switch (n->len) {
    case 4:
        known = gr_name_is(name, "host", 4);
        if (known && m->host_count < 2)
            m->host_count++;
        break;
    case 6:
        known = gr_name_is(name, "expect", 6);
        kind = known ? GR_HDR_EXPECT : GR_HDR_OTHER;
        break;
    case 14:
        known = gr_name_is(name, "content-length", 14);
        kind = known ? GR_HDR_CL : GR_HDR_OTHER;
        break;
    case 17:
        known = gr_name_is(name, "transfer-encoding", 17);
        kind = known ? GR_HDR_TE : GR_HDR_OTHER;
        break;
    }
    /* RFC 7230 3.2.4: no blanks in or around a name. Non-strict
     * http-parser lets only the space through (a tab is an error there);
     * a name just matched has none. Names are short: a loop costs less
     * than a memchr call. */
    for (uint32_t i = 0; !known && i < n->len; i++)
        if (name[i] == ' ')
            return gr_fail(hp, 400);
    /* No smuggling: one framing header, once. A repeated Content-Length is
     * refused even with the same value (simplest, and http-parser 2.9.4
     * refuses it anyway); so is a repeated Transfer-Encoding. */
    if (kind == GR_HDR_CL || kind == GR_HDR_TE) {
        if (hp->seen_cl || hp->seen_te)
            return gr_fail(hp, 400);
        if (kind == GR_HDR_CL)
            hp->seen_cl = 1;
        else
            hp->seen_te = 1;
    }
    hp->cur_kind = kind;
    v->off = gr_off(hp, at);
    v->len = (uint32_t)len;
    hp->in_value = 1;
    return 0;
}

static int gr_on_headers_complete(http_parser *p)
{
    gr_http_parser_t *hp = gr_hp(p);
    gr_http_msg_t *m = &hp->msg;
    if (m->header_count > 0 && hp->in_value && gr_value_done(hp) != 0)
        return -1;
    m->headers_done = 1;
    m->method = (uint8_t)p->method;
    m->version_major = (uint8_t)p->http_major;
    m->version_minor = (uint8_t)p->http_minor;
    m->chunked = (p->flags & F_CHUNKED) ? 1 : 0;
    /* We and http-parser must agree on the framing; never guess a length.
     * (Should not trigger after the checks above: belt and braces.) */
    if (hp->seen_te != m->chunked || hp->seen_cl != ((p->flags & F_CONTENTLENGTH) != 0) ||
        (hp->seen_cl && hp->cl_value != p->content_length))
        return gr_fail(hp, 400);
    if (!(p->http_major == 1 && p->http_minor >= 1))
        m->expect_continue = 0;
    /* A request with a body: stop on the head's last byte so feed learns
     * head_len exactly (p->nread is already reset here) and checks the
     * limits before the body comes. Without a body the request ends with its
     * head, and feed checks the head at that stop instead: one pause less
     * per request on the common path. */
    if (m->chunked || hp->seen_cl)
        http_parser_pause(p, 1);
    return 0;
}

static int gr_on_chunk_header(http_parser *p)
{
    gr_http_parser_t *hp = gr_hp(p);
    /* p->content_length is this chunk's size: refuse before its bytes come. */
    if (p->content_length > hp->limits->max_body_size - hp->msg.body_len)
        return gr_fail(hp, 413);
    return 0;
}

static int gr_on_body(http_parser *p, const char *at, size_t len)
{
    gr_http_parser_t *hp = gr_hp(p);
    gr_http_msg_t *m = &hp->msg;
    uint32_t off = gr_off(hp, at);
    if (!m->chunked) {
        if (m->body.len == 0) {
            m->body.off = off;
            m->body.len = (uint32_t)len;
        } else if (gr_span_extend(&m->body, off, len) != 0) {
            return gr_fail(hp, 400);
        }
        m->body_len = m->body.len;
        return 0;
    }
    int status = off != hp->frame_end ? gr_chunk_gap(hp, off) : 0; /* a new chunk */
    if (status != 0)
        return gr_fail(hp, status);
    if (len > hp->limits->max_body_size - m->body_len)
        return gr_fail(hp, 413);
    size_t need = m->body_len + len;
    if (!gr_array_reserve(&m->body_buf, &m->body_cap, need, GR_HTTP_FIRST_BODY))
        return gr_fail(hp, 500);
    memcpy(m->body_buf + m->body_len, at, len);
    m->body_len = need;
    hp->frame_end = off + (uint32_t)len;
    return 0;
}

static int gr_on_message_complete(http_parser *p)
{
    gr_http_parser_t *hp = gr_hp(p);
    hp->msg.keep_alive = (uint8_t)http_should_keep_alive(p);
    hp->complete = 1;
    /* Stop right after this request: pipelined bytes belong to the next. */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings gr_settings = {
    NULL,                   /* on_message_begin: init/next cleared the message already */
    gr_on_url,              /* on_url */
    NULL,                   /* on_status: responses only */
    gr_on_header_field,     /* on_header_field */
    gr_on_header_value,     /* on_header_value */
    gr_on_headers_complete, /* on_headers_complete */
    gr_on_body,             /* on_body */
    gr_on_message_complete, /* on_message_complete */
    gr_on_chunk_header,     /* on_chunk_header */
    NULL,                   /* on_chunk_complete */
};

/* Everything but the allocations (and limits) back to "no request yet":
 * the per-request parts only, as this runs once per request. */
static void gr_clear_request(gr_http_parser_t *hp)
{
    memset(&hp->msg, 0, offsetof(gr_http_msg_t, header_cap));
    memset(&hp->fed, 0, sizeof *hp - offsetof(gr_http_parser_t, fed));
}

static void gr_reset(gr_http_parser_t *hp)
{
    gr_clear_request(hp);
    /* Also clears a pause; http_parser_pause(p, 0) would assert on a
     * parser left in an error state. */
    http_parser_init(&hp->p, HTTP_REQUEST);
    hp->p.data = hp;
}

void gr_http_parser_init(gr_http_parser_t *hp)
{
    /* A thread-safe once: every thread passes here before it parses. */
    static const int head_max_set = (http_parser_set_max_header_size(GR_HTTP_PARSER_HEAD_MAX), 1);
    (void)head_max_set;
    memset(hp, 0, sizeof(*hp));
    gr_reset(hp);
}

void gr_http_parser_free(gr_http_parser_t *hp)
{
    free(hp->msg.names);
    free(hp->msg.values);
    free(hp->msg.body_buf);
    memset(&hp->msg, 0, sizeof(hp->msg));
}

void gr_http_parser_next(gr_http_parser_t *hp)
{
    /* After a complete keep-alive request http-parser is at the start of
     * the next one by itself (it clears its flags and length on the next
     * request's first byte): only the pause is lifted. After an error, a
     * request cut short or a last request, it starts over. */
    if (hp->complete && hp->msg.keep_alive && HTTP_PARSER_ERRNO(&hp->p) == HPE_PAUSED) {
        gr_clear_request(hp);
        http_parser_pause(&hp->p, 0);
        return;
    }
    gr_reset(hp);
}

int gr_http_parser_wants_continue(const gr_http_parser_t *hp)
{
    const gr_http_msg_t *m = &hp->msg;
    return m->headers_done && m->expect_continue && !hp->continue_sent && m->total_len == 0;
}

/* A head past max_header_size: 414 when no header line starts within it
 * (the request line is what is too long), else 431. One rule whether the
 * head has ended or not, so that how the bytes were split into reads does
 * not change the answer. */
static int gr_head_too_large(const gr_http_parser_t *hp)
{
    const gr_http_msg_t *m = &hp->msg;
    return m->header_count == 0 || m->names[0].off > hp->limits->max_header_size ? 414 : 431;
}

/* The head ended at head_len: check what only its end can tell. */
static inline int gr_head_done(gr_http_parser_t *hp, uint32_t head_len)
{
    const gr_http_msg_t *m = &hp->msg;
    hp->msg.head_len = head_len;
    hp->frame_end = head_len;
    uint32_t v = m->url.off + m->url.len;
    if (head_len > hp->limits->max_header_size)
        return gr_head_too_large(hp);
    /* The request line must say exactly " HTTP/1.x" after the target, and
     * one space before it. Non-strict http-parser also takes more spaces
     * there, and a tab or form feed inside the target, where a reader that
     * splits the line on whitespace (RFC 7230 3.5) sees another target. */
    const char *h = hp->base;
    if (head_len - v < 6 || memcmp(h + v, " HTTP/", 6) != 0 || m->version_major == 0 || h[m->url.off - 2] == ' ')
        return 400;
    /* The same pass finds where the query starts and whether the path
     * holds an escape, so that the request view need not look again. */
    uint32_t q = m->url.off;
    uint8_t escaped = 0;
    for (; q < v && h[q] != '?'; q++) {
        unsigned char ch = (unsigned char)h[q];
        if (ch > '?') /* letters and most of a path: none of the four below */
            continue;
        if (ch == '\t' || ch == '\f')
            return 400;
        escaped |= ch == '%';
    }
    for (uint32_t i = q; i < v; i++)
        if (h[i] == '\t' || h[i] == '\f')
            return 400;
    hp->msg.path_len = q - m->url.off;
    hp->msg.path_escaped = escaped;
    /* A bare CR: http-parser reads the byte after a CR as LF without
     * looking where a head ends, after an empty value, and in the empty
     * lines it skips before a request; the callbacks check the middle of
     * the head (a name starts a line, gr_value_lead_ok), this the rest.
     * Everywhere else it wants a real LF after a CR. The head ends with
     * an empty line: "\n\n" or "\n\r\n". */
    if (h[head_len - 1] != '\n' || (h[head_len - 2] != '\n' && (h[head_len - 2] != '\r' || h[head_len - 3] != '\n')))
        return 400;
    if ((h[0] == '\r' || h[0] == '\n') && gr_bare_cr(h, m->url.off))
        return 400;
    if (m->version_major != 1)
        return 505; /* RFC 7231 6.6.6 */
    if (hp->te_not_decoded)
        return 501; /* RFC 7230 3.3.1 (http-parser takes it as chunked) */
    /* Refuse a large body before it arrives; spans must also fit 32 bits. */
    if (hp->seen_cl && (hp->cl_value > hp->limits->max_body_size || hp->cl_value > UINT32_MAX - head_len))
        return 413;
    return 0;
}

/* http-parser knows a fixed list of methods. RFC 7231 4.1: a well-formed
 * request with a method the server does not know is answered 501 (505 for
 * another HTTP major version); anything else is 400, or 414 when the
 * request line does not end within max_header_size. Decided on the first
 * max_header_size + 1 bytes only, so that every way of splitting the bytes
 * into reads gets the same answer: 0 (wait) while fewer have come and the
 * line is not complete. */
static long gr_method_error(const char *data, size_t len, uint32_t max)
{
    size_t n = len < (size_t)max + 1 ? len : (size_t)max + 1, i = 0;
    while (i < n && (data[i] == '\r' || data[i] == '\n')) /* empty lines before a request */
        i++;
    if (i == n)
        return n == len && len <= max ? 0 : -414; /* nothing but empty lines up to the limit */
    if (gr_bare_cr(data, i))
        return -400;
    size_t start = i;
    while (i < n && gr_http_tchar((unsigned char)data[i]))
        i++;
    if (i < n && (data[i] != ' ' || i == start))
        return -400; /* no token, then a space: not a method */
    const char *lf = i < n ? (const char *)memchr(data + i, '\n', n - i) : NULL;
    if (lf == NULL)
        return n == len && len <= max ? 0 : -414;
    /* The rest of the line: SP target SP "HTTP/" DIGIT "." DIGIT [CR] LF. */
    const char *p = data + i + 1, *end = lf > p && lf[-1] == '\r' ? lf - 1 : lf, *target = p;
    while (p < end && (unsigned char)*p > ' ' && *p != 0x7f)
        p++;
    static const char version[] = " HTTP/";
    bool ok = p > target && end - p == 9 && memcmp(p, version, 6) == 0 && p[6] >= '1' && p[6] <= '9' &&
              p[7] == '.' && p[8] >= '0' && p[8] <= '9';
    return !ok ? -400 : p[6] == '1' ? -501 : -505; /* "PRI * HTTP/2.0": the version decides */
}

long gr_http_parser_feed(gr_http_parser_t *hp, const char *data, size_t len, const gr_http_limits_t *limits)
{
    if (hp->msg.total_len != 0)
        return (long)hp->msg.total_len; /* complete already: wait for next() */
    if (len > UINT32_MAX)
        len = UINT32_MAX; /* offsets are 32-bit; the 413 below ends such a request */
    hp->base = data;
    hp->limits = limits;
    while (hp->fed < len) {
        size_t n = http_parser_execute(&hp->p, &gr_settings, data + hp->fed, len - hp->fed);
        hp->fed += (uint32_t)n;
        if (hp->error_status != 0)
            return -(long)hp->error_status;
        enum http_errno e = HTTP_PARSER_ERRNO(&hp->p);
        if (e == HPE_HEADER_OVERFLOW)
            return -431;
        if (e != HPE_PAUSED) {
            if (e == HPE_INVALID_METHOD)
                return gr_method_error(data, len, limits->max_header_size); /* 501, 400, 414 or 0: wait */
            if (e != HPE_OK)
                return -400; /* includes CL+TE, repeated or bad CL, bad TE */
            break;
        }
        if (!hp->complete) {
            /* Paused on the head's last byte, which is still to be parsed:
             * it counts in the head but not in fed. */
            int status = gr_head_done(hp, hp->fed + 1);
            if (status != 0)
                return -status;
            http_parser_pause(&hp->p, 0);
            continue;
        }
        /* Paused after the request's last byte. */
        int status = hp->msg.head_len == 0 ? gr_head_done(hp, hp->fed) : hp->msg.chunked ? gr_chunk_gap(hp, hp->fed) : 0;
        if (status != 0)
            return -status;
        hp->msg.total_len = hp->fed;
        return (long)hp->fed;
    }
    if (!hp->msg.headers_done && len > limits->max_header_size) /* do not wait for the end */
        return -gr_head_too_large(hp);
    if (hp->msg.chunked && hp->fed - hp->frame_end > limits->max_header_size)
        return -431;
    if (hp->fed == UINT32_MAX)
        return -413;
    return 0;
}
