/* gr_thread_ctx.h - one pipeline thread's context (internal): the thread
 * groups, the per-thread counters, and the state of each role a thread
 * plays. See gr_pipeline.h for the path between the groups. */
#ifndef GR_THREAD_CTX_H
#define GR_THREAD_CTX_H

#include <atomic>
#include <stdint.h>

#include "compiler_switch.h"
#include "gr_conn.h"
#include "gr_poll.h"
#include "gr_queue.h"
#include "gr_stats_list.h"
#include "gr_thread.h"

#define GR_HTTP_SPARES 64 /* HTTP parsers kept per tcp_in thread for reuse */

/* UDP_OUT follows OUT so the stop sequence takes worker..udp_out in one
 * loop; UDP_IN is stopped on its own, right after accept. */
enum gr_group_t {
    GR_GROUP_ACCEPT,
    GR_GROUP_IN,
    GR_GROUP_WORKER,
    GR_GROUP_OUT,
    GR_GROUP_UDP_OUT,
    GR_GROUP_UDP_IN,
    GR_GROUP_COUNT
};

/* Per-thread counters: the fields of gr_stats_list.h's counters whose src
 * is SUM. Each is written by its own thread only (relaxed), read by anyone
 * (gr_stats.cpp); the gauges are set by their thread too. */
typedef struct gr_counters_t {
#define GR_COUNTER_FIELD(name, src, totals, kind, metric, help) GR_COUNTER_FIELD_##src(name)
#define GR_COUNTER_FIELD_SUM(name) std::atomic<uint64_t> name;
#define GR_COUNTER_FIELD_OWN(name)
    GR_GROUP_STATS(GR_COUNTER_FIELD)
    GR_SERVER_STATS(GR_COUNTER_FIELD)
#undef GR_COUNTER_FIELD
#undef GR_COUNTER_FIELD_SUM
#undef GR_COUNTER_FIELD_OWN
} gr_counters_t;

/* tcp_in's own state: the connections it owns and reads. */
typedef struct gr_in_state_t {
    /* What it does with the packages it cuts (gr_tcp_in.cpp: by the mode,
     * decided at start). */
    const struct gr_in_ops_t *ops;
    /* Connections other threads asked to close (a Treiber stack; each
     * entry holds a reference). */
    std::atomic<gr_conn_t *> close_list;
    gr_conn_t *conns;            /* open connections this thread owns */
    std::atomic<int> closed_all; /* every connection closed at stop */
    /* During a graceful stop: connections still open after its last look
     * (-1 before its first). */
    std::atomic<int> drain_left;
    /* Package lengths cut from one read (grown as needed), and for HTTP
     * the packed request descriptions of a worker job. */
    uint32_t *lens;
    uint32_t *metas;
    uint32_t lens_cap;
    gr_buf_t meta;
    int64_t now_ms;              /* the loop's clock (ms, monotonic) */
    int64_t next_sweep_ms;       /* next look for idle connections */
    /* HTTP parsers not lent to a connection (see gr_tcp_in.cpp). */
    struct gr_http_parser_t *http_spare[GR_HTTP_SPARES];
    int http_spare_count;
    /* Connections not read for now (backpressure, gr_tcp_in.cpp). */
    gr_conn_t **paused;
    int paused_count, paused_cap;
    /* Bytes are received here when a connection has no partial package
     * pending (most of the time): one large read per burst, and no
     * receive buffer held by idle connections. */
    char scratch[64 * 1024];
} gr_in_state_t;

/* The state of a thread that runs proc (a worker, or tcp_in inline). */
typedef struct gr_proc_state_t {
    gr_conn_t *waiting;          /* connections registered for writability */
    /* A reply buffer lent to the connection being processed while it has
     * none, and taken back once all is sent, so an idle connection holds
     * no reply buffer and none is allocated per request (gr_reply.cpp). */
    gr_buf_t out_spare;
    struct gr_http_resp_t *http_resp; /* the HTTP response being built */
    /* What the socket did not take: hand it to tcp_out, or wait for
     * writability here (gr_reply_init: by the mode, decided at start). */
    void (*send_rest)(struct gr_thread_ctx_t *ctx, gr_conn_t *c);
    struct gr_reply_t *deferred; /* the handle the package in proc took (reply_defer), until proc returns */
} gr_proc_state_t;

/* tcp_out's own state. */
typedef struct gr_out_state_t {
    gr_conn_t *queued;           /* connections with chunks queued */
} gr_out_state_t;

/* One pipeline thread: what every role has, and the state of each role it
 * plays (NULL for the roles it does not: an accept thread carries none of
 * tcp_in's 64 KiB scratch). */
typedef struct gr_thread_ctx_t {
    struct gr_server_t *server;
    int group;                  /* gr_group_t */
    int index;                  /* within the group */
    int proc_id;                /* module thread id when this thread runs proc, else -1 */
    gr_thread_t thread;
    gr_poll_t *poll;            /* this thread's own loop */
    gr_queue_t *inbox;          /* one ring per producer thread */
    int inbox_count;
    /* Set before this thread may block in poll, cleared after; producers
     * wake it only when set (so a busy consumer costs no syscall). */
    std::atomic<int> sleeping;
    gr_in_state_t *in;          /* tcp_in */
    gr_proc_state_t *proc;      /* threads that run proc */
    gr_out_state_t *out;        /* tcp_out */
    int init_ok;                /* module thread_init succeeded: thread_term is owed */
    /* udp_in, udp_out, and threads that process datagrams: UDP state
     * (gr_udp.h); NULL when no udp:// listen is served. */
    struct gr_udp_thread_t *udp;
    /* Threads that run proc: mailbox and timers (gr_async.h); else NULL. */
    struct gr_async_t *async;
    gr_counters_t counters;
} gr_thread_ctx_t;

/* Gauges: a thread's own count, moved by one. */
#define GR_GAUGE_ADD(ctx, field, n) \
    ((ctx)->counters.field.store((ctx)->counters.field.load(std::memory_order_relaxed) + (uint64_t)(n), \
                                 std::memory_order_relaxed))

#if GR_COUNTERS
#define GR_COUNT(ctx, field, n) ((ctx)->counters.field.store((ctx)->counters.field.load(std::memory_order_relaxed) + (n), std::memory_order_relaxed))
#else
#define GR_COUNT(ctx, field, n) ((void)0)
#endif

#endif
