/* gr_defer.h - replies that come later (internal; grocket.h reply_defer,
 * reply_complete, http_complete).
 *
 * A connection whose proc took a handle queues, on its processing thread,
 * what comes after it: the handle itself, then the replies of later
 * packages (bytes made already) and further handles, in request order
 * (conn->slot_head..slot_tail). While the queue is not empty every byte a
 * processing step writes to conn->out is moved to its tail, so conn->out
 * holds only what goes before the first pending handle. A completion, from
 * any thread, marks its handle done and sends it to the processing
 * thread's mailbox (gr_async.h); there the queue's front is moved to
 * conn->out up to the next handle still pending, and flushed.
 *
 * A handle holds a reference to its connection until it is settled (its
 * completion reached the front, or was dropped) or let go (the connection
 * closed or the server stopped while it was pending: its state becomes
 * LET_GO with one atomic exchange, and the module's completion then frees
 * it and counts it as dropped). */
#ifndef GR_DEFER_H
#define GR_DEFER_H

#include <atomic>

#include "gr_async.h"
#include "gr_conn.h"

struct gr_thread_ctx_t;

enum gr_reply_state_t {
    GR_REPLY_PENDING = 0, /* the module holds it */
    GR_REPLY_DONE = 1,    /* completed: on its way to, or at, the processing thread */
    GR_REPLY_LET_GO = 2   /* the server let go of it: its completion frees it */
};

struct gr_reply_t {
    gr_msg_t msg;                /* first: the mailbox link */
    std::atomic<int> state;      /* gr_reply_state_t (handles) */
    struct gr_reply_t *next;     /* the connection's queue (processing thread) */
    gr_conn_t *conn;             /* handles: referenced until settled or let go */
    gr_async_t *owner;           /* handles: the processing thread's mailbox */
    struct gr_server_t *server;  /* for the late-drop count */
    int handle;                  /* 1: a module's handle; 0: bytes made already */
    int http;                    /* taken in proc_http: an HTTP response, framed at its turn */
    int arrived;                 /* handles: the completion reached the processing thread */
    int detached;                /* handles: let go while its completion was on its way */
    /* The completion (written by the completing thread before DONE). */
    int flags;                   /* GR_REPLY_CLOSE */
    int status;                  /* http */
    char *content_type;          /* http; NULL: text/plain */
    gr_buf_t bytes;              /* the reply, or the HTTP body */
    /* HTTP, from the request (processing thread, at defer time). */
    int http_close;              /* the response closes: no keep-alive, proc said close, or draining */
    int keep_alive_1_0;          /* an HTTP/1.0 keep-alive request: say so */
    int is_head;                 /* HEAD: the head only */
};

/* reply_defer, on the processing thread inside proc/proc_http for c: a
 * new pending handle (queued when proc returns); NULL when out of memory
 * or taken already for this package. */
gr_reply_t *gr_defer_take(gr_conn_t *c);
/* HTTP facts of the handle just taken (gr_http_process). */
void gr_defer_http_facts(gr_reply_t *r, int close, int keep_alive_1_0, int is_head);
/* reply_complete / http_complete, from any thread. 0, or GR_EINVAL /
 * GR_ENOMEM (the handle is still owed a completion then). */
int gr_defer_complete(gr_reply_t *r, int http, int status, const char *content_type, const void *data, size_t len,
                      int flags);

/* After one package's proc: start (bytes into conn->out, relative to
 * out.off) is where its reply began. A handle taken is queued (what proc
 * replied for the package is dropped); else, while the queue is not empty,
 * the reply moves to its tail. */
void gr_defer_after_proc(struct gr_thread_ctx_t *ctx, gr_conn_t *c, size_t start);
/* Bytes written to conn->out from start on by a step that is not proc (an
 * HTTP error, 100 Continue) go behind the queue, if there is one. */
void gr_defer_capture(struct gr_thread_ctx_t *ctx, gr_conn_t *c, size_t start);
/* The processing thread takes a completed handle from its mailbox. */
void gr_defer_arrived(struct gr_thread_ctx_t *ctx, gr_reply_t *r);
/* c is closing (or its reply closed it): drop its queue, letting go of
 * pending handles. */
void gr_defer_abandon(struct gr_thread_ctx_t *ctx, gr_conn_t *c);
/* The processing thread stops: abandon every queue it holds, counted. */
void gr_defer_stop(struct gr_thread_ctx_t *ctx);

/* Does c wait for a deferred reply? (Its processing thread, or its owner
 * when that is the same thread.) */
static inline bool gr_defer_holding(const gr_conn_t *c) { return c->slot_head != NULL; }

#endif
