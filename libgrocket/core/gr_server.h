/* gr_server.h - the server object and the pipeline threads it runs
 * (internal). One gr_thread_ctx_t per thread of each group; groups are
 * joined by SPSC rings: each consumer owns one inbound ring per producer.
 *
 *   tcp_accept[a] --conn--> tcp_in[i] --job--> worker[j] --chunk--> tcp_out[k]
 *                              |  (worker disabled: proc inline)      ^
 *                              +------------chunk---------------------+
 *
 *   udp_in[u] --udp job--> worker[j] --reply batch--> udp_out[v]   (gr_udp.h)
 *       |  (worker disabled: proc inline)                 ^
 *       +-----------------reply batch---------------------+
 */
#ifndef GR_SERVER_H
#define GR_SERVER_H

#include <atomic>
#include <stdint.h>

#include "compiler_switch.h"
#include "gr_settings.h"
#include "gr_conn.h"
#include "gr_http_parse.h"
#include "gr_module_loader.h"
#include "gr_poll.h"
#include "gr_queue.h"
#include "gr_thread.h"
#include "libgrocket.h"

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

/* The event counters, named as in gr_stats_group_t (grocket.h), which
 * documents each one. */
#define GR_COUNTER_LIST(X) \
    X(accepted) X(refused) X(refused_limit) X(accept_errors) X(closed) X(packages) X(processed) X(dropped) \
    X(bad) X(too_large) X(timeouts) X(output_limit) X(io_errors) X(read_pauses) X(bytes_in) X(bytes_out) \
    X(udp_in) X(udp_out) X(udp_bad) X(udp_truncated) X(udp_dropped) X(udp_send_failed) X(udp_kernel_drops)

/* Counters of the whole server rather than of a thread group (tcp_in keeps
 * them), named as in gr_stats_t. */
#define GR_SERVER_COUNTER_LIST(X) X(lingered) X(linger_cut) X(linger_bytes)

/* Per-thread counters: each written by its own thread only (relaxed), read
 * by anyone (gr_stats.cpp). The gauges are set by their thread too. */
typedef struct gr_counters_t {
#define GR_COUNTER_FIELD(name) std::atomic<uint64_t> name;
    GR_COUNTER_LIST(GR_COUNTER_FIELD)
    GR_SERVER_COUNTER_LIST(GR_COUNTER_FIELD)
#undef GR_COUNTER_FIELD
    std::atomic<uint64_t> lingering;        /* tcp_in: connections lingering */
    std::atomic<uint64_t> connections_open; /* tcp_in: connections it owns */
    std::atomic<uint64_t> replies_waiting;  /* connections waiting to write here */
} gr_counters_t;

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
    /* tcp_in: connections other threads asked to close (a Treiber stack;
     * each entry holds a reference). */
    std::atomic<gr_conn_t *> close_list;
    /* tcp_in: open connections this thread owns. */
    gr_conn_t *conns;
    std::atomic<int> closed_all; /* tcp_in: every connection closed at stop */
    /* tcp_in, during a graceful stop: connections still open after its
     * last look (-1 before its first). */
    std::atomic<int> drain_left;
    /* processing threads: connections registered for writability. */
    gr_conn_t *waiting;
    /* tcp_out: connections with chunks queued. */
    gr_conn_t *queued;
    /* tcp_in: package lengths cut from one read (grown as needed), and for
     * HTTP the packed request descriptions of a worker job. */
    uint32_t *lens;
    uint32_t *metas;
    uint32_t lens_cap;
    gr_buf_t meta;
    /* processing threads: a reply buffer lent to the connection being
     * processed while it has none, and taken back once all is sent, so an
     * idle connection holds no reply buffer and none is allocated per
     * request (gr_reply.cpp). */
    gr_buf_t out_spare;
    /* processing threads: the HTTP response being built, and scratch for
     * decoded request strings. */
    struct gr_http_resp_t *http_resp;
    int64_t now_ms;             /* tcp_in: the loop's clock (ms, monotonic) */
    /* tcp_in: HTTP parsers not lent to a connection (see gr_tcp_in.cpp). */
    struct gr_http_parser_t *http_spare[GR_HTTP_SPARES];
    int http_spare_count;
    /* tcp_in: bytes are received here when a connection has no partial
     * package pending (most of the time): one large read per burst, and no
     * receive buffer held by idle connections. */
    char scratch[64 * 1024];
    int64_t next_sweep_ms;      /* tcp_in: next look for idle connections */
    /* tcp_in: connections not read for now (backpressure, gr_tcp_in.cpp). */
    gr_conn_t **paused;
    int paused_count, paused_cap;
    int init_ok;                /* module thread_init succeeded: thread_term is owed */
    /* udp_in, udp_out, and threads that process datagrams: UDP state
     * (gr_udp.h); NULL when no udp:// listen is served. */
    struct gr_udp_thread_t *udp;
    gr_counters_t counters;
} gr_thread_ctx_t;

/* gr_server_request_stop -> gr_server_wait (gr_server_wait.cpp): a flag and
 * a poll to wake, both usable from a signal handler. */
typedef struct gr_stop_wait_t {
    std::atomic<int> requested;        /* a stop was asked */
    std::atomic<gr_poll_t *> poll;     /* the waiter's loop, NULL until one waits */
} gr_stop_wait_t;
void gr_stop_wait_init(gr_stop_wait_t *w);
void gr_stop_wait_close(gr_stop_wait_t *w);
/* The settings the running server reads the reloadable keys from: an
 * immutable snapshot, replaced as a whole by a reload and published with a
 * release store, read with one acquire load (gr_settings_live). Readers
 * hold no lock and never see half a reload. A replaced snapshot is kept
 * until the server is destroyed, since a thread may still be reading it. */
typedef struct gr_live_t {
    gr_settings_t settings;        /* reloadable keys: the latest values; others: as at start */
    gr_http_limits_t http_limits;  /* drawn from settings for the HTTP parser */
    struct gr_live_t *older;       /* replaced snapshots */
} gr_live_t;

typedef struct gr_listener_t {
    gr_socket_t fd;
    gr_addr_t bound;
    int is_http;      /* http:// */
    int is_udp;       /* udp://: its sockets are in server->udp, fd is unused */
} gr_listener_t;

struct gr_server_t {
    gr_settings_t settings;
    gr_config_t *config;          /* owned */
    gr_module_host_t module;
    int module_inited;            /* module init returned 0: term is owed */
    gr_listener_t listeners[GR_MAX_LISTEN];
    gr_listen_info_t listen_info[GR_MAX_LISTEN];
    std::atomic<gr_live_t *> live; /* see gr_live_t; never NULL after create */
    char *config_path;            /* the file given at create, for a reload; NULL: from a string */
    int listener_count;
    gr_server_info_t info;        /* what services->server_info returns */
    char *url_copies[GR_MAX_LISTEN];
    gr_thread_ctx_t *groups[GR_GROUP_COUNT]; /* arrays of contexts */
    int counts[GR_GROUP_COUNT];
    std::atomic<int> stop[GR_GROUP_COUNT];   /* per group: leave the loop */
    std::atomic<int> in_exit;     /* tcp_in: leave after the final close-list drain */
    std::atomic<int> started;     /* threads that finished their start-up */
    std::atomic<int> start_failed;
    std::atomic<int> serving;     /* every thread started well: accept may begin */
    int64_t started_ms;           /* gr_clock_ms() at start, for the stats' uptime */
    std::atomic<int> conns_open;  /* TCP connections accepted and not yet freed (tcp.max_connections) */
    /* A graceful stop is under way (gr_server_drain): tcp_in closes idle
     * connections, and HTTP replies say "Connection: close". */
    std::atomic<int> draining;
    int accept_stopped;           /* accept threads joined and listen sockets closed */
    int stopped;                  /* a stopped server is not started again */
    int running;
    gr_stop_wait_t stop_wait;     /* gr_server_request_stop / gr_server_wait */
    struct gr_udp_state_t *udp;   /* the sockets of udp:// listens (gr_udp.h); NULL when none */
};

/* Start-up and end of every pipeline thread: module thread_init/term for
 * processing threads, and the start-up handshake with gr_server_start. */
int gr_thread_begin(gr_thread_ctx_t *ctx);
void gr_thread_end(gr_thread_ctx_t *ctx);

/* Create a server from a configuration already in memory, which it takes
 * over (freed on failure too); module as in gr_server_create_from_string. */
int gr_server_create_with_config(struct gr_server_t **out, gr_config_t *cfg, const gr_module_t *module, int argc,
                                 char **argv, char *err, size_t errlen);

/* The validated settings as at start (grocketd reads its own keys from
 * them). Keys a reload may change are read through gr_settings_live. */
const gr_settings_t *gr_server_settings(const struct gr_server_t *s);

/* The settings as now: the reloadable keys (GR_RELOAD in gr_settings_keys.cpp)
 * with their latest values. One acquire load; read what you need from one
 * snapshot rather than calling this twice when two keys must agree. */
static inline const gr_live_t *gr_server_live(const struct gr_server_t *s)
{
    return s->live.load(std::memory_order_acquire);
}
static inline const gr_settings_t *gr_settings_live(const struct gr_server_t *s)
{
    return &gr_server_live(s)->settings;
}
/* Build the first snapshot from s->settings (create, and again at start);
 * GR_ENOMEM. Free every snapshot (destroy). */
int gr_live_init(struct gr_server_t *s);
void gr_live_free(struct gr_server_t *s);

/* Stop the accept threads and close the listen sockets; once. */
void gr_server_stop_accepting(struct gr_server_t *s);
/* Is a graceful stop under way? */
static inline bool gr_server_draining(const struct gr_server_t *s)
{
    return s->draining.load(std::memory_order_acquire) != 0;
}

/* The thread bodies (one file each). */
void *gr_tcp_accept_main(void *ctx);
void *gr_tcp_in_main(void *ctx);
void *gr_worker_main(void *ctx);
void *gr_tcp_out_main(void *ctx);
void *gr_udp_in_main(void *ctx);
void *gr_udp_out_main(void *ctx);

/* Producer side of a hand-off: push item into consumer's ring for
 * producer_index, waking the consumer if it sleeps. Waits (yielding) while
 * the ring is full. */
void gr_handoff(gr_thread_ctx_t *consumer, int producer_index, void *item);
/* The same without waiting: false (nothing pushed) when the ring is full.
 * For work that may be dropped under overload (datagrams). */
bool gr_handoff_try(gr_thread_ctx_t *consumer, int producer_index, void *item);
/* Block until gr_server_start says every thread started well, or the
 * thread's group is told to stop first (then false). */
bool gr_wait_serving(gr_thread_ctx_t *ctx);
/* Consumer side: prepare to block in poll. Returns the timeout to use: 0
 * when an inbound ring already holds work, else wait_ms. */
int gr_before_wait(gr_thread_ctx_t *ctx, int wait_ms);
static inline void gr_after_wait(gr_thread_ctx_t *ctx) { ctx->sleeping.store(0, std::memory_order_relaxed); }

/* The loop of a thread that consumes its rings and waits on its poll for
 * writability (worker, tcp_out): poll events go to on_event, ring items to
 * on_item. Returns once its group is told to stop and the rings are empty. */
typedef void (*gr_event_fn)(gr_thread_ctx_t *ctx, void *udata, uint32_t events);
/* ring: the index of the ring (= its producer) the item came from. */
typedef void (*gr_item_fn)(gr_thread_ctx_t *ctx, int ring, void *item);
void gr_consume_loop(gr_thread_ctx_t *ctx, gr_event_fn on_event, gr_item_fn on_item);

/* Processing side: send conn->out directly, or hand it to tcp_out, or wait
 * for writability on ctx's poll (gr_reply.cpp). */
void gr_reply_flush(gr_thread_ctx_t *ctx, gr_conn_t *c);
/* Writability reported for c on processing thread ctx. */
void gr_reply_on_writable(gr_thread_ctx_t *ctx, gr_conn_t *c, uint32_t events);
/* The owner closes c: forget its unsent replies and any wait (inline mode). */
void gr_reply_abandon(gr_thread_ctx_t *ctx, gr_conn_t *c);
/* Drop every connection waiting for writability (at stop). */
void gr_reply_drop_waiting(gr_thread_ctx_t *ctx);
/* Process one package (proc) or HTTP request (msg != NULL, proc_http);
 * false when it was dropped because the connection is closing or a close
 * was asked. Does not flush. */
bool gr_process_one(gr_thread_ctx_t *ctx, gr_conn_t *c, const char *data, uint32_t len, const struct gr_http_msg_t *msg);
/* A worker job: its packages, its tail (100 Continue / an HTTP error) and
 * EOF, then one flush. */
void gr_process_job(gr_thread_ctx_t *ctx, gr_job_t *job);

/* Sum every thread's counters into out (gr_stats.cpp); the services' stats. */
void gr_stats_collect(const struct gr_server_t *s, gr_stats_t *out);
/* One line of totals over all groups, for the log at stop. */
void gr_stats_log_totals(const struct gr_server_t *s);

/* The processing thread of c (worker or owner). */
gr_thread_ctx_t *gr_proc_ctx(struct gr_server_t *s, gr_conn_t *c);

/* The server running in this process (the services reach it through this). */
extern struct gr_server_t *gr_current_server;
/* Fill the services table. */
const gr_services_t *gr_services_get(void);

#define GR_POLL_BATCH 256

/* Invariant checks that cost time on the hot path (compiler_switch.h). They
 * abort with the broken invariant's text; they never just vanish in a
 * build where they are on. */
#if GR_HEAVY_ASSERT
void gr_heavy_fail(const char *what, const char *file, int line);
#define GR_HEAVY_CHECK(cond) ((cond) ? (void)0 : gr_heavy_fail(#cond, __FILE__, __LINE__))
#else
#define GR_HEAVY_CHECK(cond) ((void)0)
#endif
/* ctx is the thread that may touch c's receive side / replies / chunks. */
#define GR_CHECK_OWNER(ctx, c) GR_HEAVY_CHECK((ctx)->group == GR_GROUP_IN && (c)->in_index == (ctx)->index)
#define GR_CHECK_PROCESSOR(ctx, c) GR_HEAVY_CHECK(gr_proc_ctx((ctx)->server, (c)) == (ctx))
#define GR_CHECK_SENDER(ctx, c) GR_HEAVY_CHECK((ctx)->group == GR_GROUP_OUT && (c)->out_index == (ctx)->index)

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
