/* grocket.h - the module ABI: the only header a grocket module needs.
 *
 * Pure C99, usable from C and C++. A module is a shared object that exports
 * one function, gr_module_entry(), returning a description of itself
 * (gr_module_t). It links against nothing: everything it needs from the
 * framework is reached through the services table (gr_services_t) handed to
 * its init callback.
 *
 * Compatibility rules (see docs/module-guide.md):
 *  - GR_ABI_VERSION is MAJOR.MINOR packed as (MAJOR << 16) | MINOR.
 *  - The framework loads a module whose major equals its own and whose minor
 *    is not newer than its own, or is newer but states in min_abi_minor
 *    (ABI 1.6) a minimum the framework meets; anything else is refused at
 *    load time with a message naming both versions.
 *  - gr_module_t and gr_services_t only grow: new members are appended, each
 *    struct carries its size, and a field past the size the other side
 *    reported is treated as absent. A module built against an older header
 *    keeps working without a rebuild.
 */
#ifndef GROCKET_H
#define GROCKET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GR_ABI_MAJOR 1
#define GR_ABI_MINOR 7
#define GR_ABI_VERSION ((GR_ABI_MAJOR << 16) | GR_ABI_MINOR)
#define GR_ABI_VERSION_MAJOR(v) ((int)((uint32_t)(v) >> 16))
#define GR_ABI_VERSION_MINOR(v) ((int)((uint32_t)(v) & 0xffffu))

#if defined(_WIN32)
#define GR_MODULE_EXPORT __declspec(dllexport)
#else
#define GR_MODULE_EXPORT __attribute__((visibility("default")))
#endif

/* printf-style format checking: fmt is the 1-based index of the format
 * argument, first that of the first variadic one. On mingw, against the
 * printf flavour its stdio uses (__MINGW_PRINTF_FORMAT, from <stdint.h>'s
 * _mingw.h), else GCC's gnu_printf; plain printf there would be the MS
 * flavour. */
#if defined(__MINGW32__) && defined(__MINGW_PRINTF_FORMAT)
#define GR_PRINTF_FORMAT(fmt, first) __attribute__((format(__MINGW_PRINTF_FORMAT, fmt, first)))
#elif defined(__MINGW32__) && !defined(__clang__)
#define GR_PRINTF_FORMAT(fmt, first) __attribute__((format(gnu_printf, fmt, first)))
#elif defined(__GNUC__)
#define GR_PRINTF_FORMAT(fmt, first) __attribute__((format(printf, fmt, first)))
#else
#define GR_PRINTF_FORMAT(fmt, first)
#endif

/* The name of the one symbol a module exports. */
#define GR_MODULE_ENTRY_SYMBOL "gr_module_entry"

/* One client connection (TCP), or for a datagram from a udp:// listen a
 * handle standing for its sender (ABI 1.3; conn_transport tells which).
 * Opaque: use the services to work with it. */
typedef struct gr_conn_t gr_conn_t;

/* Return values of gr_services_t.conn_transport (ABI 1.3). */
#define GR_TRANSPORT_TCP 0   /* a connection from a tcp:// or http:// listen */
#define GR_TRANSPORT_UDP 1   /* a datagram from a udp:// listen */

/* A reply owed to one package and answered later (ABI 1.7): see
 * gr_services_t.reply_defer. Opaque; valid from reply_defer until it is
 * completed, exactly once. */
typedef struct gr_reply_t gr_reply_t;

/* Flags of reply_complete and http_complete (ABI 1.7). */
#define GR_REPLY_CLOSE 1   /* close the connection once this reply has gone out */

/* A callback run on a processing thread by post (ABI 1.7). */
typedef void (*gr_task_fn)(void *arg);
/* A timer's callback (ABI 1.7): timer is the id timer_start returned, so a
 * repeating timer can cancel itself. */
typedef void (*gr_timer_fn)(uint64_t timer, void *arg);

/* An outbound TCP connection a module opened (ABI 1.7, out_open). Opaque;
 * valid from out_open until its on_close (or its failed on_connect)
 * returns, or until the module's out_close. */
typedef struct gr_out_t gr_out_t;

/* What an outbound connection calls, all on the processing thread that
 * opened it; arg is out_open's. Copied at out_open. */
typedef struct gr_out_handler_t {
    uint32_t size; /* sizeof(gr_out_handler_t) of the module */
    /* The connection's framing, as gr_module_t.check (N > 0: the first N
     * bytes are one package; GR_CHECK_NEED_MORE; < 0: bad data, the
     * connection is closed with the text "bad data"). NULL: every read is
     * one package (a byte stream). */
    long (*check)(gr_out_t *out, void *arg, const char *data, size_t len);
    /* Connected (error 0, text NULL), or not (error < 0, text says why:
     * "connection refused", "timed out", "cannot resolve ..."). After a
     * failure the handle is gone once this returns. */
    void (*on_connect)(gr_out_t *out, void *arg, int error, const char *text);
    /* One package received (valid during the call). */
    void (*on_package)(gr_out_t *out, void *arg, const char *data, size_t len);
    /* The peer finished sending (end of stream): nothing more is read; the
     * module may still send, then out_shutdown or out_close. NULL: the
     * connection is closed at the peer's end of stream. */
    void (*on_eof)(gr_out_t *out, void *arg);
    /* The connection is gone (not called after the module's own out_close):
     * error < 0 with its text ("connection reset by peer", "bad data"), or
     * 0 ("closed") when both sides finished (the peer's end of stream and
     * the module's out_shutdown, its bytes sent). The handle is gone once
     * this returns. */
    void (*on_close)(gr_out_t *out, void *arg, int error, const char *text);
} gr_out_handler_t;

/* A reconnect delay with exponential backoff (ABI 1.7): base_ms doubled per
 * failed attempt (attempt counts from 0), capped at max_ms. A module that
 * reconnects arms a timer_start with it from on_connect/on_close. */
static inline uint64_t gr_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms)
{
    uint64_t d = base_ms;
    while (attempt-- > 0 && d < max_ms)
        d = d > max_ms / 2 ? max_ms : d * 2;
    return d < max_ms ? d : max_ms;
}

/* Log levels for gr_services_t.log. */
enum gr_log_level_t {
    GR_LOG_DEBUG = 0,
    GR_LOG_INFO = 1,
    GR_LOG_WARN = 2,
    GR_LOG_ERROR = 3
};

/* Return values of gr_module_t.proc. */
enum gr_proc_result_t {
    GR_PROC_OK = 0,    /* keep the connection */
    GR_PROC_CLOSE = 1  /* send what was replied so far, then close */
};

/* Return values of gr_module_t.check below zero. */
#define GR_CHECK_NEED_MORE 0   /* no complete package yet */
/* Bad data (any value < 0). The packages cut before it, from the same read
 * too, are still processed and answered, in order, with the worker or
 * without; nothing from the bad byte on is processed; once the replies owed
 * are sent the connection closes. */
#define GR_CHECK_BAD (-1)

/* One listening address, as configured in [listen]. */
typedef struct gr_listen_info_t {
    const char *url;   /* as written, e.g. "tcp://0.0.0.0:8000" */
    int is_udp;        /* 0 for tcp:// */
    int port;          /* the bound port (the real one when 0 was asked) */
} gr_listen_info_t;

/* A view of bytes owned by the framework: not NUL-terminated, valid during
 * the callback it was given to. ptr is NULL for "absent". */
typedef struct gr_str_t {
    const char *ptr;
    size_t len;
} gr_str_t;

typedef struct gr_http_pair_t {
    gr_str_t name;
    gr_str_t value;
} gr_http_pair_t;

/* One HTTP request, handed to proc_http (ABI 1.2). Every string is a view
 * into the received bytes where no decoding was needed. */
typedef struct gr_http_request_t {
    uint32_t size;              /* sizeof(gr_http_request_t) of the framework */
    gr_str_t method;            /* "GET", "POST", ... */
    gr_str_t target;            /* the request-target as sent: "/a%20b?x=1" */
    gr_str_t path;              /* the path, percent-decoded: "/a b" */
    gr_str_t query_string;      /* after '?', as sent (empty when none) */
    int version_major;          /* 1 */
    int version_minor;          /* 0 or 1 */
    int keep_alive;             /* the connection stays open after the reply */
    const gr_http_pair_t *headers; /* as received; look up with services->http_header */
    size_t header_count;
    const gr_http_pair_t *query;   /* decoded query parameters, in order */
    size_t query_count;
    const gr_http_pair_t *form;    /* decoded application/x-www-form-urlencoded body fields */
    size_t form_count;
    gr_str_t body;              /* the body, de-chunked (empty when none) */
    int is_head;                /* HEAD: the framework sends the headers only */
} gr_http_request_t;

/* What the framework tells a module about the running server (ABI 1.1). */
typedef struct gr_server_info_t {
    uint32_t size;                    /* sizeof(gr_server_info_t) of the framework */
    int argc;                         /* the process's arguments (grocketd's) */
    char **argv;
    int listen_count;                 /* entries in listens */
    const gr_listen_info_t *listens;
    int tcp_accept_threads;           /* configured thread counts */
    int tcp_in_threads;
    int tcp_out_threads;              /* 0 when tcp_out is disabled */
    int worker_threads;               /* 0 when the worker is disabled */
    /* ---- ABI 1.3 ---- */
    int udp_in_threads;               /* 0 when no udp:// listen is configured */
    int udp_out_threads;              /* 0 when udp_out is disabled or there is no udp:// listen */
    int proc_threads;                 /* threads that run proc: thread_init ids are 0..proc_threads-1 */
} gr_server_info_t;

/* Counters of one thread group, summed over its threads (ABI 1.4). Each
 * is kept per thread without a lock and read without stopping anything, so
 * a snapshot's numbers may be a few events apart. A counter that does not
 * apply to a group stays 0. */
typedef struct gr_stats_group_t {
    uint64_t threads;          /* threads in the group (0: group not running) */
    uint64_t connections_open; /* tcp_in: connections open now */
    uint64_t replies_waiting;  /* connections whose replies wait for the socket now */
    uint64_t accepted;         /* tcp_accept: connections accepted */
    uint64_t refused;          /* tcp_accept: connections the module's tcp_accept refused */
    uint64_t refused_limit;    /* tcp_accept: closed at once, tcp.max_connections open */
    uint64_t accept_errors;    /* tcp_accept: accept() failures (EMFILE, ENFILE, ...) */
    uint64_t closed;           /* tcp_in: connections closed */
    uint64_t packages;         /* tcp_in: packages (requests) cut from the streams */
    uint64_t processed;        /* proc / proc_http calls (tcp_in inline, or worker) */
    uint64_t dropped;          /* packages not processed: their connection was closing */
    uint64_t bad;              /* bad data: check said GR_CHECK_BAD, or an HTTP 4xx */
    uint64_t too_large;        /* a package past tcp.in.recv_buf.max */
    uint64_t timeouts;         /* connections closed idle, or sending a head too slowly */
    uint64_t output_limit;     /* connections closed past tcp.out.close_bytes */
    uint64_t io_errors;        /* receive / send failures (resets and the like) */
    uint64_t read_pauses;      /* reads paused at tcp.out.pause_bytes (backpressure) */
    uint64_t bytes_in;         /* bytes received */
    uint64_t bytes_out;        /* bytes sent */
    /* UDP (udp:// listens; a datagram's packages also count in packages,
     * processed and dropped, its bytes in bytes_in and bytes_out). */
    uint64_t udp_in;           /* datagrams received */
    uint64_t udp_out;          /* reply datagrams sent */
    uint64_t udp_bad;          /* dropped: empty, refused by check, or ending inside a package */
    uint64_t udp_truncated;    /* dropped: longer than udp.in.datagram_max */
    uint64_t udp_dropped;      /* dropped under overload: a worker's or udp_out's ring was full */
    uint64_t udp_send_failed;  /* replies the kernel did not take */
    uint64_t udp_kernel_drops; /* dropped by the kernel on a full receive buffer (udp.recv_buf) */
} gr_stats_group_t;

/* A snapshot of the running server's counters (ABI 1.4; the lingering
 * counters at the end, 1.5). Frozen: counters added later are read by
 * name only, with services->stat and stat_list. */
typedef struct gr_stats_t {
    uint32_t size;             /* set by the caller: sizeof(gr_stats_t) */
    uint64_t uptime_ms;        /* since the server started */
    gr_stats_group_t tcp_accept;
    gr_stats_group_t tcp_in;
    gr_stats_group_t worker;
    gr_stats_group_t tcp_out;
    gr_stats_group_t udp_in;   /* udp:// receiving threads */
    gr_stats_group_t udp_out;  /* udp:// sending threads (0 threads when udp.out.disabled) */
    /* ---- ABI 1.5 ---- */
    /* Lingering closes (tcp_in; tcp.lingering_time): a connection the
     * server closes after answering has its write side shut down and its
     * input read and discarded until the client closes. */
    uint64_t lingering;        /* connections lingering now */
    uint64_t lingered;         /* lingering closes begun */
    uint64_t linger_cut;       /* ended by tcp.lingering_time, tcp.lingering_timeout or a stop, not by the client */
    uint64_t linger_bytes;     /* bytes read and discarded while lingering */
} gr_stats_t;

/* One counter, read by name (ABI 1.6). Frozen: modules pass arrays of it. */
typedef struct gr_stat_t {
    const char *group;  /* "tcp_accept", "tcp_in", "worker", "tcp_out", "udp_in",
                           "udp_out"; NULL for the server-wide ones */
    const char *name;   /* a member of gr_stats_group_t, or (group NULL) of
                           gr_stats_t after the groups, or a counter added later */
    uint64_t value;
} gr_stat_t;

/* Formats of gr_services_t.stats_render and reply_stats (ABI 1.7). */
#define GR_STATS_JSON 0       /* {"uptime_ms": N, ..., "tcp_in": {"packages": N, ...}, ...} */
#define GR_STATS_PROMETHEUS 1 /* Prometheus's text exposition format 0.0.4 */
/* The Content-Type an HTTP answer in GR_STATS_PROMETHEUS carries. */
#define GR_STATS_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Services the framework offers a module. Append-only: never reorder. */
typedef struct gr_services_t {
    uint32_t size;        /* sizeof(gr_services_t) as the framework built it */
    uint32_t abi_version; /* the framework's GR_ABI_VERSION */

    /* ---- ABI 1.0 ---- */

    /* Configuration look-up by [section] and key; def when absent. A value
     * that does not parse as the asked type also yields def. Strings stay
     * valid until the module's term returns. A module that declares its
     * keys (gr_module_t.config_keys, ABI 1.6) gets a declared key's
     * default when the file leaves it out, and def with an error logged
     * once for a key it did not declare. */
    int64_t (*config_int)(const char *section, const char *key, int64_t def);
    const char *(*config_str)(const char *section, const char *key, const char *def);
    int (*config_bool)(const char *section, const char *key, int def);

    /* printf-style logging into grocketd's log, at one of gr_log_level_t. */
    void (*log)(int level, const char *fmt, ...) GR_PRINTF_FORMAT(2, 3);

    /* Append len bytes to the reply of the package being processed; only
     * valid inside proc. Returns 0, or a negative value when out of memory. */
    int (*reply)(gr_conn_t *conn, const void *data, size_t len);

    /* The per-connection user pointer, NULL until set. */
    void *(*conn_get_user)(gr_conn_t *conn);
    void (*conn_set_user)(gr_conn_t *conn, void *user);

    /* ---- ABI 1.1 ---- */

    /* Reserve len bytes at the end of the reply and return them for the
     * module to fill (no copy); NULL when out of memory. Only inside proc.
     * Valid until the next reply, reply_alloc or http_reply_text. */
    void *(*reply_alloc)(gr_conn_t *conn, size_t len);

    /* The running server: listen ports, thread counts, argv. */
    const gr_server_info_t *(*server_info)(void);

    /* ---- ABI 1.2 ---- */

    /* The client's address as "1.2.3.4:5678" or "[::1]:5678" into buf;
     * returns buf. */
    const char *(*conn_peer)(gr_conn_t *conn, char *buf, size_t len);

    /* Look-ups in the request being processed: a header (case-insensitive
     * name), a decoded query parameter, a decoded form field. The first
     * match; .ptr NULL when absent. */
    gr_str_t (*http_header)(const gr_http_request_t *req, const char *name);
    gr_str_t (*http_query)(const gr_http_request_t *req, const char *name);
    gr_str_t (*http_form)(const gr_http_request_t *req, const char *name);

    /* The response to the request being processed (only inside proc_http):
     * the status (200 unless set), extra header lines, and the body written
     * with reply / reply_alloc. The framework adds Content-Length, Date,
     * Server and, where needed, Connection. 0, or negative on bad input. */
    int (*http_set_status)(gr_conn_t *conn, int status);
    int (*http_add_header)(gr_conn_t *conn, const char *name, const char *value);
    /* The common case in one call: sets the status, replaces the body
     * written so far (reply, reply_alloc) with text, and replaces any
     * Content-Type added before with "text/plain; charset=utf-8"; other
     * header lines stay. A reply after it appends to text; a Content-Type
     * added after it replaces the text/plain one. */
    int (*http_reply_text)(gr_conn_t *conn, int status, const char *text);
    /* ---- ABI 1.3 ---- */

    /* GR_TRANSPORT_TCP or GR_TRANSPORT_UDP: how the package being checked or
     * processed came. For UDP, conn stands for the datagram's sender only
     * while check/proc runs: conn_peer gives the sender, reply/reply_alloc
     * build the one datagram sent back, conn_get_user is NULL and
     * conn_set_user does nothing, and tcp_accept/tcp_close are never called. */
    int (*conn_transport)(gr_conn_t *conn);
    /* ---- ABI 1.4 ---- */
    /* Fill out (out->size set by the caller; members past it are left
     * alone) with the server's counters. 0, or negative on bad input.
     * Callable from any callback and any thread. */
    int (*stats)(gr_stats_t *out);
    /* ---- ABI 1.6 ---- */
    /* Counters by name, so new ones need no new struct: group and name as
     * in gr_stat_t (group NULL for a server-wide counter).
     * stat reads one into *value: 0, or negative (and 0 in *value) when
     * this grocket has no such counter. stat_list fills out with the first
     * cap of every counter this grocket has and returns how many it has
     * (call again with more room when that is more than cap). Callable from
     * any callback and any thread. */
    int (*stat)(const char *group, const char *name, uint64_t *value);
    size_t (*stat_list)(gr_stat_t *out, size_t cap);
    /* ---- ABI 1.7: asynchronous modules (docs/module-guide.md, chapter
     * "Asynchronous modules"). "Processing thread": a thread that runs
     * proc (thread ids 0..proc_threads-1, as thread_init's). ---- */

    /* Inside proc/proc_http: the package being processed is answered later
     * through the handle returned; proc then returns without replying
     * (reply, reply_alloc and the http_* response calls are refused for
     * this package from here on; what it replied before is dropped). The
     * replies of the connection's later packages wait behind it: replies
     * leave in request order. proc's return value still counts
     * (GR_PROC_CLOSE: no package after this one is processed, and the
     * connection closes once this reply is out). NULL when refused: outside
     * proc, over UDP (a datagram's replies leave with it), or out of memory.
     * At most tcp.max_pending_replies handles per connection hold its
     * reading (not its processing) until some are completed. */
    gr_reply_t *(*reply_defer)(gr_conn_t *conn);
    /* From any thread, exactly once per handle: the reply's bytes (copied;
     * len 0 for none) and flags (GR_REPLY_CLOSE). The handle is invalid
     * afterwards. When the connection has gone meanwhile, the completion
     * is accepted and dropped (counted: replies_late_dropped). 0, or
     * negative on bad input or out of memory (the handle is still owed a
     * completion then). */
    int (*reply_complete)(gr_reply_t *r, const void *data, size_t len, int flags);
    /* The same for a handle taken in proc_http: an HTTP response with this
     * status, body and Content-Type (NULL: "text/plain; charset=utf-8");
     * the framework adds Content-Length, Date, Server and Connection as for
     * a response made inside proc_http, and drops the body of a HEAD. */
    int (*http_complete)(gr_reply_t *r, int status, const char *content_type, const void *body, size_t len,
                         int flags);
    /* The processing thread id of the calling thread, or -1 on any other
     * thread (the module's own, an accept thread...). */
    int (*thread_self)(void);
    /* From any thread: run fn(arg) soon on processing thread thread_id,
     * waking it. Posts to one thread from one thread run in order. 0, or
     * negative: no such thread, out of memory, or the server is stopping
     * (the thread has left its loop; fn will not run). */
    int (*post)(int thread_id, gr_task_fn fn, void *arg);
    /* On a processing thread only (in a callback, a posted task or a
     * timer): fn(id, arg) runs on this thread after delay_ms, then every
     * repeat_ms when that is not 0, until cancelled (about a millisecond's
     * resolution, never early). Returns the timer's id, or 0 when refused
     * (not a processing thread, out of memory). Timers still active at stop
     * are cancelled without running (counted: timers_cancelled_stop). */
    uint64_t (*timer_start)(uint64_t delay_ms, uint64_t repeat_ms, gr_timer_fn fn, void *arg);
    /* On the thread that started it: the timer will not run (again); also
     * from inside its own callback. 0, or negative when it is not active
     * (a one-shot that already ran, cancelled before, or another thread's). */
    int (*timer_cancel)(uint64_t timer);

    /* ---- ABI 1.7: counters as text ---- */
    /* Every counter stat_list lists, as text in format (GR_STATS_JSON or
     * GR_STATS_PROMETHEUS). stats_render writes it into buf as snprintf
     * does: at most cap bytes with a closing NUL, and returns the length
     * the whole text needs without the NUL, so a result >= cap means it
     * was cut (counters move between calls: ask with some room to spare);
     * negative on a bad format, buf NULL with cap > 0, or no memory.
     * Callable from any callback and any thread. reply_stats appends the
     * whole text to the reply instead (where reply may be called); 0 or
     * negative. */
    int (*stats_render)(int format, char *buf, size_t cap);
    int (*reply_stats)(gr_conn_t *conn, int format);

    /* ---- ABI 1.7: connections of the module's own, and sending at any
     * time (docs/module-guide.md, "Outbound connections"). ---- */

    /* On a processing thread: open a TCP connection to host_port ("1.2.3.4:80",
     * "[::1]:80" or "name:80"; a name is resolved off the processing
     * threads). It lives on this thread: its callbacks run here, and
     * out_send/out_shutdown/out_close are called here only (another thread
     * posts to it first). connect_timeout_ms 0: 10 s. NULL when refused (not
     * a processing thread, bad address text, out of memory, stopping);
     * otherwise on_connect always follows. */
    gr_out_t *(*out_open)(const char *host_port, const gr_out_handler_t *handler, void *arg,
                          uint32_t connect_timeout_ms);
    /* Queue len bytes (copied) to send, in order; allowed before on_connect
     * (they go once connected). 0, or negative (closed, shut down, out of
     * memory). */
    int (*out_send)(gr_out_t *out, const void *data, size_t len);
    /* Bytes queued and not yet taken by the socket (for backpressure). */
    size_t (*out_queued)(gr_out_t *out);
    /* Shut down the write side once the queued bytes are sent. */
    int (*out_shutdown)(gr_out_t *out);
    /* Stop (paused 1) or resume (0) reading from the connection. */
    int (*out_pause)(gr_out_t *out, int paused);
    /* Close now, dropping unsent bytes; no callback follows. Also from
     * inside the connection's own callbacks. */
    void (*out_close)(gr_out_t *out);

    /* Keep an inbound connection usable outside its callbacks: inside a
     * callback for it (tcp_accept included), take a hold; until
     * conn_release (any thread), the conn_* services below may be called
     * for it on its processing thread (conn_thread), also after it closed
     * (they refuse then), and tcp_close waits for the release. Module
     * tcp_closing says when it closes. 0, or negative. */
    int (*conn_hold)(gr_conn_t *conn);
    void (*conn_release)(gr_conn_t *conn);
    /* The processing thread id that runs proc for conn (for post). */
    int (*conn_thread)(gr_conn_t *conn);
    /* On conn's processing thread, in a callback for it or while held:
     * send bytes that answer no request, after the replies already owed
     * (deferred ones included), in order. 0, or negative (closing, shut
     * down, UDP, out of memory). */
    int (*conn_send)(gr_conn_t *conn, const void *data, size_t len);
    /* The same place: shut down the write side once everything owed is
     * sent (reading goes on; when the client has finished sending too, the
     * connection closes). */
    int (*conn_shutdown)(gr_conn_t *conn);
    /* From any thread while held (or in a callback for it): close now,
     * dropping what is unsent. */
    void (*conn_close)(gr_conn_t *conn);
    /* Bytes the server holds for conn and has not sent (backpressure), on
     * its processing thread. */
    size_t (*conn_queued)(gr_conn_t *conn);
    /* Stop (1) or resume (0) reading from conn, from its processing thread
     * (while held, or in a callback). Resumed within about 10 ms. */
    int (*conn_pause)(gr_conn_t *conn, int paused);
    /* The [listen] entry conn came in on: its key ("0", "relay"). NULL for
     * a datagram's handle. Inside a callback for conn, or while held. */
    const char *(*conn_listen)(gr_conn_t *conn);
} gr_services_t;

/* Types of a key a module declares (gr_config_key_t.type, ABI 1.6). */
#define GR_CONFIG_INT 1    /* decimal integer, optional sign: min..max */
#define GR_CONFIG_BOOL 2   /* true/false, yes/no, on/off, 1/0, any case */
#define GR_CONFIG_STRING 3 /* one line of text: min..max characters (max 0: no limit) */
#define GR_CONFIG_SIZE 4   /* bytes: digits, optionally k, m or g (x 1024, 1024^2, 1024^3): min..max */

/* One configuration key a module declares (gr_module_t.config_keys, ABI
 * 1.6). When a module declares keys, the framework checks its sections
 * at start, at grocketd -t and at a reload: a section or key it does not
 * declare, or a value of the wrong type or range, is an error naming
 * file, line and key; and config_int/str/bool of an undeclared key log an
 * error once and return their def. A table ends with name == NULL. */
typedef struct gr_config_key_t {
    const char *section; /* the module's [section]; never "server" or "listen" */
    const char *name;    /* the key; NULL ends the table */
    int type;            /* GR_CONFIG_* */
    const char *def;     /* default, written as in the file; NULL: none (config_* return their def) */
    int64_t min;         /* INT, SIZE: least value; STRING: least length */
    int64_t max;         /* INT, SIZE: greatest value (min == max == 0: any); STRING: most characters (0: any) */
    const char *help;    /* one line for people (grocketd -t prints it); may be NULL */
    void *reserved[2];   /* NULL: room for later members without a new table type */
} gr_config_key_t;

/* A module describes itself with this struct. Append-only: never reorder.
 * Every callback may be NULL except check and proc. */
typedef struct gr_module_t {
    uint32_t abi_version;  /* GR_ABI_VERSION the module was built with */
    uint32_t size;         /* sizeof(gr_module_t) the module was built with */
    const char *name;      /* for logs */

    /* ---- ABI 1.0 ---- */

    /* Once per process, before any connection. Non-zero refuses start-up. */
    int (*init)(const gr_services_t *services);
    /* Once per process, after every thread has stopped. */
    void (*term)(void);

    /* A new connection. Return 0 to accept it, non-zero to refuse it. */
    int (*tcp_accept)(gr_conn_t *conn);
    /* A connection is gone; called once, after its last proc returned. */
    void (*tcp_close)(gr_conn_t *conn);

    /* Framing: data holds len received bytes not yet cut into packages.
     * Return N > 0 when the first N bytes are one package,
     * GR_CHECK_NEED_MORE when more bytes are needed, GR_CHECK_BAD for bad
     * data. Runs on the connection's receiving thread. Over UDP (ABI 1.3)
     * a datagram must hold whole packages: one that check refuses, or that
     * ends inside a package, is dropped unanswered. */
    long (*check)(gr_conn_t *conn, const char *data, size_t len);

    /* Process one package; reply through services->reply. Packages of one
     * connection are processed in order, one at a time. Over UDP the
     * replies to one datagram's packages leave as one datagram, and
     * GR_PROC_CLOSE skips the rest of that datagram's packages. */
    int (*proc)(gr_conn_t *conn, const char *package, size_t len);

    /* ---- ABI 1.1 ---- */

    /* Once on every thread that runs proc, before its first proc, and once
     * when that thread stops. thread_id counts from 0 within those threads.
     * Non-zero from thread_init refuses start-up. */
    int (*thread_init)(int thread_id);
    void (*thread_term)(int thread_id);

    /* ---- ABI 1.2 ---- */

    /* Answer one HTTP request from an http:// listener; same threads and
     * ordering as proc. Return GR_PROC_OK, or GR_PROC_CLOSE to close after
     * this reply. NULL: every request is answered 404. */
    int (*proc_http)(gr_conn_t *conn, const gr_http_request_t *req);

    /* ---- ABI 1.6 ---- */

    /* The oldest ABI minor this module works with (0: not stated). A
     * framework of an older minor than abi_version's loads it when its own
     * minor is at least this one, and ignores the members it does not
     * know; so a module rebuilt against a newer header still loads where
     * it did. State it with GR_MODULE_MIN_ABI. */
    uint32_t min_abi_minor;
    /* The module's own version, for logs ("1.2.3"); NULL: none. */
    const char *version;
    /* The module's configuration keys (see gr_config_key_t); NULL: it
     * declares none and its sections are not checked. */
    const gr_config_key_t *config_keys; /* NULL-terminated by name == NULL */
    /* ---- ABI 1.7 ---- */
    /* A tcp:// client finished sending (end of stream): called on the
     * connection's processing thread after its last package's proc. With
     * it, the connection stays open: the module sends what it still owes
     * (conn_send) and ends with conn_shutdown (then it closes) or
     * conn_close. NULL: the connection closes once the replies owed are
     * sent, as before. */
    void (*tcp_eof)(gr_conn_t *conn);
    /* The connection is closing (reset, timeout, stop, or a close asked):
     * called once on its owner (tcp_in) thread, before tcp_close, which
     * waits for any hold (conn_hold) to be released. */
    void (*tcp_closing)(gr_conn_t *conn);
} gr_module_t;

/* The one function a module exports (GR_MODULE_ENTRY_SYMBOL). */
typedef const gr_module_t *(*gr_module_entry_fn)(void);

/* Fills the first three members of gr_module_t in a designated initializer:
 *   static const gr_module_t m = { GR_MODULE_HEADER("echo"), ... }; */
#define GR_MODULE_HEADER(module_name) \
    GR_ABI_VERSION, (uint32_t)sizeof(gr_module_t), (module_name)

/* States min_abi_minor in a designated initializer (C; in C++ assign
 * m.min_abi_minor). The highest minor whose members the module uses
 * without checking a size first; one this header does not know fails to
 * compile:
 *   static const gr_module_t m = { GR_MODULE_HEADER("echo"), ...,
 *                                  GR_MODULE_MIN_ABI(2), .version = "1.0" }; */
#define GR_MODULE_MIN_ABI(minor) \
    .min_abi_minor = (uint32_t)(minor) + 0 * sizeof(char[(minor) <= GR_ABI_MINOR ? 1 : -1])

#ifdef __cplusplus
}
#endif

#endif /* GROCKET_H */
