/* gr_server.h - the server object (internal): its settings, module,
 * listeners, thread groups (one gr_thread_ctx_t per thread,
 * gr_thread_ctx.h) and lifecycle. The data path between the groups is in
 * gr_pipeline.h. */
#ifndef GR_SERVER_H
#define GR_SERVER_H

#include <atomic>
#include <stdint.h>

#include "gr_config.h"
#include "gr_settings.h"
#include "gr_http_parse.h"
#include "gr_module_loader.h"
#include "gr_thread_ctx.h"
#include "libgrocket.h"

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
    /* Processing threads' mailboxes and timers, by thread id (gr_async.h);
     * kept until destroy, past the module's term. */
    struct gr_async_t *async;
    int async_count;
    /* Completions of deferred replies dropped: their connection had gone,
     * or the server had let go of them (gr_defer.cpp). */
    std::atomic<uint64_t> replies_late_dropped;
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

/* Sum every thread's counters into out (gr_stats.cpp); the services' stats. */
void gr_stats_collect(const struct gr_server_t *s, gr_stats_t *out);
/* One line of totals over all groups, for the log at stop. */
void gr_stats_log_totals(const struct gr_server_t *s);

/* The server running in this process (the services reach it through this). */
extern struct gr_server_t *gr_current_server;
/* Fill the services table. */
const gr_services_t *gr_services_get(void);

#endif
