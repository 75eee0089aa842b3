/* gr_tc_loop.h - one client thread: its connections, its event loop and
 * its results, plus the run state all threads share with main().
 *
 * Each thread owns its connections outright (no locks on the request path);
 * the only shared things are the start barrier, a few counters read by the
 * progress printer, and the error-line budget. */
#ifndef GR_TC_LOOP_H
#define GR_TC_LOOP_H

#include <stdint.h>
#include <sys/socket.h>

/* macOS has no MSG_NOSIGNAL; main() ignores SIGPIPE, which covers it. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "gr_tc_hist.h"
#include "gr_tc_options.h"

/* Error lines printed in full; later ones are only counted, so a server that
 * dies under 10k connections does not bury the summary. */
#define GR_TC_MAX_ERROR_LINES 20

typedef struct gr_tc_run_t {
    const gr_tc_options_t *opt;      /* the settings */
    struct sockaddr_storage addr;    /* server address, resolved once by main() */
    socklen_t addrlen;               /* length of addr */
    char addr_text[300];             /* "127.0.0.1:8000" or "[::1]:8000", for messages */

    /* Start barrier: every thread connects all its connections first, so
     * the timed part measures requests only and all threads start together. */
    std::mutex mu;                   /* guards the fields up to `abort` */
    std::condition_variable cv;      /* signalled on every change of them */
    int ready;                       /* threads done connecting */
    int finished;                    /* threads done running */
    int connect_failed;              /* connections that could not be set up */
    bool go;                         /* main() released the threads */
    bool abort;                      /* with go: a connect failed, do not run */
    uint64_t start_ns;               /* monotonic start, set before go */
    uint64_t deadline_ns;            /* --duration: stop issuing requests then; else 0 */

    std::atomic<uint64_t> errors;    /* failed connections, over all threads */
    std::atomic<int> error_lines;    /* error lines printed so far */
} gr_tc_run_t;

typedef struct gr_tc_thread_t {
    gr_tc_run_t *run;                /* shared run state */
    int index;                       /* thread number, 0-based */
    int nconns;                      /* connections this thread runs */

    /* Replies checked so far, published once per loop turn for the progress
     * line; on its own cache line so that publishing it does not slow the
     * neighbouring thread's loop. */
    alignas(64) std::atomic<uint64_t> progress;

    alignas(64) uint64_t requests;   /* replies that arrived and matched */
    uint64_t bytes_sent;             /* request bytes handed to the kernel */
    uint64_t bytes_recv;             /* reply bytes received */
    uint64_t errors;                 /* connections of this thread that failed */
    uint64_t lost;                   /* --udp: requests without a reply within --timeout */
    uint64_t late;                   /* --udp: replies that came after their request was counted lost */
    uint64_t reordered;              /* --udp: replies that overtook an earlier request's */
    uint64_t refused;                /* --udp: "port unreachable" reports (nothing listening) */
    uint64_t end_ns;                 /* monotonic time its last connection ended */
    gr_tc_hist_t hist;               /* send -> reply latency, nanoseconds */
} gr_tc_thread_t;

/* Monotonic clock in nanoseconds. */
uint64_t gr_tc_now_ns(void);
/* A non-blocking, close-on-exec socket; -1 and errno on failure. */
int gr_tc_socket(int family, int type);

/* Thread body: connect, wait for the start, run every connection to its end
 * (done or failed), then report through the struct and run->finished. */
void gr_tc_thread_run(gr_tc_thread_t *t);
/* The same over UDP (gr_tc_udp.cpp): each connection is a connected UDP
 * socket, each request one datagram. */
void gr_tc_udp_thread_run(gr_tc_thread_t *t);

/* Shared by both loops. The start barrier: count this thread ready (its
 * t->errors so far are set-up failures), wait for main()'s go; false when
 * the run is aborted. */
bool gr_tc_wait_go(gr_tc_thread_t *t, uint64_t *start_ns, uint64_t *deadline_ns);
/* Count this thread finished. */
void gr_tc_finished(gr_tc_thread_t *t);
/* Print "conn|socket ID (thread T, ADDR): MSG WHERE" while the error-line
 * budget lasts, and count the error run-wide. */
void gr_tc_error_line(gr_tc_thread_t *t, uint32_t id, const char *msg, const char *where);

#endif /* GR_TC_LOOP_H */
