/* gr_http_parse.h - HTTP/1.x request framing on http-parser: the glue that
 * cuts complete requests out of a connection's byte stream, incrementally
 * across reads, and describes each one by offsets into its own bytes (so the
 * description survives the receive buffer growing, being compacted, or the
 * request being copied for a worker).
 *
 * Limits are enforced here and reported as the HTTP status to answer before
 * closing: 400 malformed (including both Content-Length and
 * Transfer-Encoding, or conflicting Content-Lengths: no request smuggling),
 * 413 body too large, 414 request line too long, 431 header section too
 * large, 501 unknown method, 505 HTTP version other than 1.x. */
#ifndef GR_HTTP_PARSE_H
#define GR_HTTP_PARSE_H

#include <http_parser.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A piece of the request: off bytes from the request's first byte. */
typedef struct gr_http_span_t {
    uint32_t off;
    uint32_t len;
} gr_http_span_t;

typedef struct gr_http_limits_t {
    uint32_t max_header_size; /* request line + headers + blank line; past it: 431 */
    uint32_t max_headers;     /* header lines; past it: 431 */
    uint64_t max_body_size;   /* decoded body bytes; past it (or a Content-Length over it): 413 */
} gr_http_limits_t;

/* One request, complete or in progress. Everything before header_cap is
 * cleared for each request; the allocations after it are kept. */
typedef struct gr_http_msg_t {
    uint8_t method;          /* enum http_method */
    uint8_t version_major;
    uint8_t version_minor;
    uint8_t keep_alive;      /* http_should_keep_alive() at completion */
    uint8_t expect_continue; /* "Expect: 100-continue" on an HTTP/1.1 request */
    uint8_t chunked;         /* the body came chunked: decoded bytes are in body_buf */
    uint8_t headers_done;    /* the head is complete */
    uint8_t host_count;      /* Host headers seen (counting stops at 2) */
    uint8_t path_escaped;    /* a '%' before path_len */
    gr_http_span_t url;      /* the request-target as sent */
    uint32_t path_len;       /* bytes of url before its first '?' (all when none) */
    uint32_t header_count;
    gr_http_span_t body;     /* not chunked: the body within the request bytes */
    size_t body_len;         /* decoded body length (either case) */
    uint32_t head_len;       /* bytes up to and including the blank line */
    uint32_t total_len;      /* bytes of the whole request, once complete */
    uint32_t header_cap;     /* allocated entries in names/values */
    gr_http_span_t *names;   /* header names as sent (case preserved) */
    gr_http_span_t *values;  /* header values, surrounding blanks trimmed by http-parser */
    char *body_buf;          /* chunked: the decoded body */
    size_t body_cap;
} gr_http_msg_t;

/* The headers whose values the glue judges (gr_http_parser_t.cur_kind). */
enum { GR_HDR_OTHER, GR_HDR_CL, GR_HDR_TE, GR_HDR_EXPECT };

/* Per-connection parse state while requests arrive. Everything from fed on
 * is per request and cleared between requests. */
typedef struct gr_http_parser_t {
    http_parser p;           /* http-parser's own state */
    const gr_http_limits_t *limits;
    const char *base;        /* first byte of the request during a feed call */
    gr_http_msg_t msg;       /* the request being received */
    uint32_t fed;            /* bytes of this request already given to http-parser */
    uint8_t continue_sent;   /* 100 Continue already answered for this request */
    /* internal bookkeeping for the callbacks (which span grows, duplicate
     * Content-Length / Transfer-Encoding detection, errors) */
    uint8_t in_value;        /* last header callback was a value */
    uint8_t cur_kind;        /* the header being read: GR_HDR_OTHER, _CL, _TE, _EXPECT */
    uint8_t seen_cl;         /* Content-Length headers seen */
    uint8_t seen_te;         /* Transfer-Encoding headers seen */
    uint8_t complete;        /* on_message_complete ran: the pause is the request's end */
    uint8_t te_not_decoded;  /* Transfer-Encoding "x, chunked": 501 at the end of the head (gr_head_done) */
    uint64_t cl_value;       /* the first Content-Length value */
    uint32_t frame_end;      /* chunked: end of the head or of the last chunk
                              * data; the framing after it (chunk-size line,
                              * extensions, trailers) may not exceed
                              * max_header_size, which http-parser leaves unbounded */
    int error_status;        /* status decided by a callback (413, 431, 400) */
} gr_http_parser_t;

/* RFC 7230 3.2.6: a token character (methods, header names, codings). */
static inline bool gr_http_tchar(unsigned char ch)
{
    static const char other[] = "!#$%&'*+-.^_`|~";
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || (ch && strchr(other, ch));
}

/* Ready for the first request of a connection. */
void gr_http_parser_init(gr_http_parser_t *hp);
/* Free what init and feed allocated. */
void gr_http_parser_free(gr_http_parser_t *hp);

/* data: the current request's first byte; len: every byte available from
 * there, including the ones fed before (only bytes past hp->fed are parsed).
 * Returns N > 0 when the first N bytes are one complete request (hp->msg
 * describes it until gr_http_parser_next), 0 when more bytes are needed, or
 * -STATUS (-400; -413 body too large; -414 request line too long; -431
 * header section too large; -501 a method http-parser does not know; -505
 * an HTTP major version other than 1; -500 when memory runs out) for a
 * request that must be answered with that status and the connection
 * closed. Bytes after a complete request are not consumed: they belong to
 * the next one. */
long gr_http_parser_feed(gr_http_parser_t *hp, const char *data, size_t len, const gr_http_limits_t *limits);

/* True when the head of a request with Expect: 100-continue is complete,
 * its body is not, and 100 Continue was not answered yet. The caller sends
 * it and sets hp->continue_sent. */
int gr_http_parser_wants_continue(const gr_http_parser_t *hp);

/* Forget the request just completed and get ready for the next one on the
 * same connection; keeps the allocations. */
void gr_http_parser_next(gr_http_parser_t *hp);

#endif
