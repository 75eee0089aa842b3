/* gr_http.h - HTTP on the processing side: a parsed request (gr_http_msg_t)
 * becomes the module's gr_http_request_t, proc_http answers it, and the
 * response is framed into the connection's reply buffer. Also the packing
 * of request descriptions into worker jobs. */
#ifndef GR_HTTP_H
#define GR_HTTP_H

#include "gr_conn.h"
#include "gr_http_parse.h"

struct gr_thread_ctx_t;

/* Per processing thread: the response being built and the scratch space
 * for decoded request strings (reused, so no allocation per request). */
typedef struct gr_http_resp_t {
    int active;             /* inside proc_http: the response services work */
    int status;             /* 200 unless the module sets it */
    size_t body_at;         /* where this response's body starts, from conn->out.off */
    gr_buf_t headers;       /* the module's extra header lines, "Name: value\r\n" each */
    gr_buf_t decoded;       /* decoded path, query and form strings */
    gr_http_pair_t *pairs;  /* headers, query parameters and form fields */
    size_t pairs_cap;
    int text_plain;         /* http_reply_text set text/plain (no Content-Type line in headers) */
    int prefix_status;      /* the status `prefix` was made for */
    int64_t prefix_sec;     /* the second `prefix` was made for */
    char prefix[192];       /* status line, Server and Date lines */
    size_t prefix_len;
    /* The last whole head without module header lines, sent again as it
     * is while its prefix, body length and flags stay the same (most
     * responses of a busy server are alike). head_len 0: none. */
    char head[320];
    size_t head_len;
    uint64_t head_key;      /* body length << 3 | Connection line | Content-Type line */
} gr_http_resp_t;

gr_http_resp_t *gr_http_resp_new(void);
void gr_http_resp_free(gr_http_resp_t *r);

/* Answer one complete request (bytes: its first byte). Returns GR_PROC_OK,
 * or GR_PROC_CLOSE when the connection must close after the reply (the
 * module asked, or the request was not keep-alive). */
int gr_http_process(struct gr_thread_ctx_t *ctx, gr_conn_t *c, const char *bytes, const gr_http_msg_t *msg);
/* Answer status (4xx) with a short text body and "Connection: close". */
void gr_http_error(struct gr_thread_ctx_t *ctx, gr_conn_t *c, int status);
/* Answer "100 Continue". */
void gr_http_continue(gr_conn_t *c);
/* A deferred response at its turn (gr_defer.cpp): status, Content-Type and
 * body from the completion, the head as gr_http_process writes it. Returns
 * non-zero when the connection closes after it. */
int gr_http_complete(struct gr_thread_ctx_t *ctx, gr_conn_t *c, const struct gr_reply_t *r);
/* Checks of a completion's input, on the module's thread: a final status
 * (200..999), a header value without control characters. */
bool gr_http_status_ok(int status);
bool gr_http_value_ok(const char *value);

/* Fill req from msg (views into bytes; decoded strings in r's scratch).
 * 0, or GR_ENOMEM. */
int gr_http_request_build(gr_http_resp_t *r, gr_http_request_t *req, const char *bytes, const gr_http_msg_t *msg);

/* A request description travels to a worker as one position-independent
 * block: the msg, its spans, and its decoded body when it came chunked. */
size_t gr_http_msg_packed_size(const gr_http_msg_t *msg);
void gr_http_msg_pack(const gr_http_msg_t *msg, char *dst);
/* A view of a packed block (pointers into src). */
void gr_http_msg_unpack(const char *src, gr_http_msg_t *out);

/* The services' entry points (gr_services.cpp puts them in the table). */
gr_str_t gr_http_find(const gr_http_pair_t *pairs, size_t count, const char *name, int ignore_case);
int gr_http_set_status(gr_conn_t *c, int status);
int gr_http_add_header(gr_conn_t *c, const char *name, const char *value);
int gr_http_reply_text(gr_conn_t *c, int status, const char *text);

#endif
