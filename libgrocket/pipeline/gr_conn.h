/* gr_conn.h - one TCP connection and the messages that carry it between
 * threads.
 *
 * Ownership (docs/architecture.md, "Closing a connection"):
 *  - The owner is tcp_in[in_index]: it alone reads the socket, registers it
 *    for input, and answers close requests.
 *  - The processing thread (worker[worker_index], or the owner when the
 *    worker is disabled) alone touches `out`, the replies not yet sent.
 *  - tcp_out[out_index] alone touches the chunk list handed to it.
 *  - Every other hold on the connection is a reference: a job in flight to
 *    a worker, a registration for writability, a chunk at tcp_out, a place
 *    on the owner's close list. The socket is closed and the memory freed by
 *    whichever thread drops the last reference, after module tcp_close. */
#ifndef GR_CONN_H
#define GR_CONN_H

#include <atomic>
#include <stddef.h>
#include <stdint.h>

#include "grocket.h"
#include "gr_error.h"
#include "gr_clock.h"
#include "gr_socket.h"

struct gr_server_t;
struct gr_chunk_t;
struct gr_http_parser_t;

/* A growable byte buffer: data[off, len) holds the bytes not yet consumed. */
typedef struct gr_buf_t {
    char *data;
    size_t off;  /* consumed prefix */
    size_t len;  /* end of valid bytes */
    size_t cap;  /* allocated size */
} gr_buf_t;

/* Make room for at least n more bytes after len, growing up to max (0: no
 * limit). Compacts first. 0, or GR_ENOMEM / GR_EFULL. */
int gr_buf_grow(gr_buf_t *b, size_t n, size_t max);
/* The same; inline because the room is almost always there already (it
 * runs several times per HTTP request). */
static inline int gr_buf_reserve(gr_buf_t *b, size_t n, size_t max)
{
    return b->cap - b->len >= n ? GR_OK : gr_buf_grow(b, n, max);
}
/* Move data[off, len) to the front. */
void gr_buf_compact(gr_buf_t *b);
void gr_buf_free(gr_buf_t *b);

/* conn->close_after_flush: close once the replies are out. */
typedef enum gr_close_after_t {
    GR_CAF_NONE = 0,   /* keep the connection */
    GR_CAF_ASKED = 1,  /* the module (or the peer's EOF) asked: close after the flush */
    GR_CAF_DONE = 2    /* the close was dispatched */
} gr_close_after_t;

/* conn->close_requested: why the owner is asked to close. */
typedef enum gr_close_how_t {
    GR_CLOSE_NONE = 0,
    GR_CLOSE_NOW = 1,      /* an error, a timeout, a stop: drop what is unsent and close */
    GR_CLOSE_LINGER = 2    /* everything owed went out: close lingering (gr_tcp_in.cpp) */
} gr_close_how_t;

/* A connection's place in one of the lists a thread keeps of them (the
 * owner's open connections, a processing thread's writers, tcp_out's
 * queue): one link per list, so a connection can be on all three, and one
 * pair of list operations for them all (gr_conn_list_push/unlink). */
typedef struct gr_conn_link_t {
    struct gr_conn_t *prev, *next;
} gr_conn_link_t;

struct gr_conn_t {
    gr_socket_t fd;
    std::atomic<int> refs;             /* see the ownership rules above */
    std::atomic<int> close_requested;  /* gr_close_how_t, set once; then nothing more is read, processed or sent */
    struct gr_server_t *server;
    gr_addr_t peer;
    void *user;                        /* the module's pointer (services conn_get/set_user) */
    int accepted;                      /* module tcp_accept said yes: tcp_close is owed */
    int is_http;                       /* from an http:// listen: HTTP framing, proc_http */
    int is_udp;                        /* not a connection: a processing thread's UDP handle (gr_udp.h) */
    int in_index, worker_index, out_index; /* the threads this connection is pinned to */
    /* The thread that runs proc for it, decided at accept by the pipeline
     * mode: worker[worker_index], or the owner tcp_in[in_index]. */
    struct gr_thread_ctx_t *proc_ctx;

    /* Owner (tcp_in) only. */
    gr_buf_t in;                       /* received bytes not yet cut into packages */
    int in_adopted;                    /* taken from the owner's inbox: on its list */
    int in_closed;                     /* closed by the owner: removed from its poll */
    int in_eof;                        /* the peer finished sending: no longer read */
    int in_stopped;                    /* nothing more is cut (HTTP error, or a close was asked) */
    struct gr_http_parser_t *http;     /* HTTP request parsing state (is_http only) */
    int64_t last_active_ms;            /* last read (HTTP keep-alive timeout) */
    int64_t req_start_ms;              /* first byte of a request not yet complete; 0: none */
    int read_paused;                   /* not read: `held` reached tcp.out.pause_bytes */
    int lingering;                     /* closed, write side shut down: input read and discarded
                                        * until the peer closes or a lingering bound passes */
    int64_t linger_start_ms;           /* when the lingering began (tcp.lingering_time) */
    gr_conn_link_t in_link;            /* the owner's list of open connections */

    /* Close list of the owner: pushed by any thread, drained by the owner. */
    struct gr_conn_t *close_next;

    /* Processing thread only. */
    gr_buf_t out;                      /* replies not yet sent */
    int out_waiting;                   /* registered for writability by the processing thread */
    size_t out_counted;                /* bytes at the front of out already counted in `held` */
    int close_after_flush;             /* gr_close_after_t */
    uint64_t chunks_handed;            /* chunks handed to tcp_out */
    gr_conn_link_t wait_link;          /* the processing thread's list of connections waiting to write */
    /* Deferred replies (gr_defer.h): what waits behind the first pending
     * handle, in request order; on the processing thread's `holding` list
     * while not empty. */
    struct gr_reply_t *slot_head, *slot_tail;
    gr_conn_link_t hold_link;

    /* tcp_out only. */
    struct gr_chunk_t *chunk_head, *chunk_tail; /* chunks waiting to be sent, in order */
    int out_registered;                /* registered for writability on tcp_out's poll */
    gr_conn_link_t out_link;           /* tcp_out's list of connections with chunks */

    /* Written by tcp_out, read by the processing thread. Direct sends are
     * allowed only while chunks_done == chunks_handed, so bytes never
     * overtake bytes handed earlier. */
    std::atomic<uint64_t> chunks_done;

    /* Bytes the server holds for this connection: packages handed to a
     * worker and not processed yet, plus replies that did not go out with
     * the first send (waiting for writability or at tcp_out). Replies sent
     * at once are never counted, so the common path costs no atomic. The
     * owner pauses reading past tcp.out.pause_bytes; the processing thread
     * closes the connection past tcp.out.close_bytes (gr_reply.cpp). */
    std::atomic<int64_t> held;

    /* gr_clock_ms() when the replies last stopped going out, or last moved
     * while still blocked; 0 while nothing waits for the socket. Written by
     * whichever thread is sending (gr_conn_send_progress), read by the
     * owner's once-a-second sweep for tcp.out.send_timeout. */
    std::atomic<int64_t> send_blocked_ms;

    /* Sending at any time (gr_conn_io.h). */
    int listen_index;                  /* the [listen] entry it came in on (accept) */
    std::atomic<int> module_paused;    /* the module stopped its reading (conn_pause): the owner pauses */
    std::atomic<int> holds;            /* the module's holds (conn_hold), among refs: they owe the client nothing */
    int shut_after_flush;              /* processing thread: 1, shut the write side once all owed is sent; 2, done */
    int eof_seen;                      /* processing thread: the module was told of the peer's EOF (tcp_eof) */

    /* Deferred reply handles not yet settled: written by the processing
     * thread, read by the owner, which stops reading past
     * tcp.max_pending_replies (gr_tcp_in.cpp). */
    std::atomic<int> pending;
};

/* Intrusive doubly linked lists of connections; link names which of
 * gr_conn_t's links the list uses. */
static inline void gr_conn_list_push(gr_conn_t **head, gr_conn_t *c, gr_conn_link_t gr_conn_t::*link)
{
    (c->*link).prev = NULL;
    (c->*link).next = *head;
    if (*head)
        ((*head)->*link).prev = c;
    *head = c;
}

static inline void gr_conn_list_unlink(gr_conn_t **head, gr_conn_t *c, gr_conn_link_t gr_conn_t::*link)
{
    gr_conn_link_t *l = &(c->*link);
    if (l->prev)
        (l->prev->*link).next = l->next;
    else
        *head = l->next;
    if (l->next)
        (l->next->*link).prev = l->prev;
    l->prev = l->next = NULL;
}

/* After a send attempt on c: `blocked`, bytes still wait for the socket;
 * `moved`, some went out. The clock restarts whenever bytes move (like
 * nginx's send_timeout, between two writes): a client that keeps reading
 * makes room for the next send and does not time out. A send that empties
 * the queue costs one load. */
static inline void gr_conn_send_progress(gr_conn_t *c, bool blocked, bool moved)
{
    if (!blocked) {
        if (c->send_blocked_ms.load(std::memory_order_relaxed) != 0)
            c->send_blocked_ms.store(0, std::memory_order_relaxed);
    } else if (moved || c->send_blocked_ms.load(std::memory_order_relaxed) == 0) {
        c->send_blocked_ms.store(gr_clock_ms(), std::memory_order_relaxed);
    }
}

#define GR_JOB_EOF_TELL 2

/* A batch of packages cut from one read, copied for a worker. */
typedef struct gr_job_t {
    gr_conn_t *conn;      /* holds one reference */
    uint32_t count;       /* packages */
    int eof;              /* the peer finished sending: flush, then close */
    int tail_status;      /* after the packages: 100 = answer 100 Continue;
                             4xx = answer that error, then close; 0 = nothing */
    /* eof: 1, flush then close; GR_JOB_EOF_TELL, tell the module (tcp_eof) */
    uint32_t *lens;       /* count lengths, packages lie back to back in data */
    uint32_t *metas;      /* HTTP: count offsets into meta of each packed request description */
    char *meta;
    char *data;
} gr_job_t;

/* Reply bytes handed from a processing thread to tcp_out. */
typedef struct gr_chunk_t {
    gr_conn_t *conn;      /* holds one reference */
    gr_buf_t buf;         /* the bytes, data[off, len) still to send */
    int close_after;      /* close the connection once this chunk is sent */
    int shut_after;       /* shut its write side once this chunk is sent (conn_shutdown) */
    struct gr_chunk_t *next;
} gr_chunk_t;

/* The module callback running on this thread and the connection it runs
 * for. The services that take a gr_conn_t refuse any other connection (a
 * module's own thread, or a pointer kept after the callback returned: the
 * connection may be freed by then); replies only inside proc/proc_http. */
enum gr_cb_kind_t {
    GR_CB_NONE = 0,
    GR_CB_CONN = 1, /* check, tcp_accept, tcp_close: the user pointer, the peer */
    GR_CB_PROC = 2  /* proc, proc_http: replies too */
};
typedef struct gr_cb_t {
    gr_conn_t *conn;
    int kind;
    int deferred; /* GR_CB_PROC: the package's reply was deferred (reply_defer): no reply now */
} gr_cb_t;
extern thread_local gr_cb_t gr_cb;
/* Around a module callback: returns what to restore after it. */
static inline gr_cb_t gr_cb_enter(gr_conn_t *c, int kind)
{
    gr_cb_t prev = gr_cb;
    gr_cb.conn = c;
    gr_cb.kind = kind;
    gr_cb.deferred = 0;
    return prev;
}
static inline void gr_cb_leave(gr_cb_t prev) { gr_cb = prev; }

/* New connection with one reference (the owner's). NULL when out of memory. */
gr_conn_t *gr_conn_new(struct gr_server_t *s, gr_socket_t fd, const gr_addr_t *peer);
static inline void gr_conn_ref(gr_conn_t *c) { c->refs.fetch_add(1, std::memory_order_relaxed); }
/* Does the server still owe c something: a job at a worker, replies
 * waiting to be sent (each such hold is a reference)? The owner's own
 * reference and the module's holds (conn_hold) are not such. */
static inline bool gr_conn_owed(const gr_conn_t *c)
{
    return c->refs.load(std::memory_order_acquire) - c->holds.load(std::memory_order_acquire) > 1;
}
/* Drop one reference; the last one calls tcp_close, closes the socket and
 * frees the connection. */
void gr_conn_unref(gr_conn_t *c);
/* Ask the owner to close c; from any thread, any number of times (the
 * first call decides how). gr_conn_close drops whatever is unsent;
 * gr_conn_close_lingering is for a close once every reply owed has gone to
 * the socket: the owner shuts the write side and reads and discards until
 * the peer closes, so the peer's late bytes cannot make the kernel reset
 * the connection and throw away replies it has not delivered yet. */
void gr_conn_close(gr_conn_t *c);
void gr_conn_close_lingering(gr_conn_t *c);
static inline bool gr_conn_closing(const gr_conn_t *c)
{
    return c->close_requested.load(std::memory_order_acquire) != 0;
}

#endif
