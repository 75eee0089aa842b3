/* gr_async.h - what every processing thread (a thread that runs proc: a
 * worker, or tcp_in / udp_in processing inline) has for asynchronous
 * modules (internal): a mailbox other threads post to (tasks, completed
 * replies), and its timers. The thread's own loop serves both between its
 * reads: gr_async_timeout shortens its poll wait to the next deadline,
 * gr_async_run takes the mailbox and runs the timers that are due. */
#ifndef GR_ASYNC_H
#define GR_ASYNC_H

#include <atomic>
#include <stdint.h>

#include "grocket.h"
#include "gr_timers.h"

struct gr_server_t;
struct gr_thread_ctx_t;
struct gr_conn_t;

/* What a mailbox carries: the first member of a task or of a reply handle. */
enum gr_msg_kind_t { GR_MSG_TASK = 1, GR_MSG_REPLY = 2 };
typedef struct gr_msg_t {
    struct gr_msg_t *next;
    int kind;
} gr_msg_t;

typedef struct gr_async_t {
    /* A lock-free list (Treiber stack) pushed by any thread and taken whole
     * by the owner, who runs it oldest first. The push that finds it empty
     * wakes the owner's poll: one wake-up per batch. Closed at stop. */
    std::atomic<gr_msg_t *> mailbox;
    struct gr_thread_ctx_t *ctx;  /* the owner */
    gr_timers_t timers;           /* owner only */
    /* Owner only (gr_defer.cpp): connections with deferred replies queued,
     * and completions still on their way for connections let go. */
    struct gr_conn_t *holding;
    int detached;
} gr_async_t;

/* The processing thread's own state on that thread; NULL on any other. */
extern thread_local gr_async_t *gr_async_self;

/* At start: one gr_async_t per processing thread (s->async, indexed by
 * the module's thread id), each tied to its context. Freed by the server's
 * destroy, after the module's term, so a late post finds a closed mailbox
 * rather than freed memory. */
int gr_async_create(struct gr_server_t *s);
void gr_async_free(struct gr_server_t *s);

/* Push m to a's mailbox, from any thread; false when it is closed. */
bool gr_async_push(gr_async_t *a, gr_msg_t *m);
/* post: fn(arg) on processing thread id. 0, GR_EINVAL or GR_ENOMEM. */
int gr_async_post(struct gr_server_t *s, int id, gr_task_fn fn, void *arg);

/* The owner's loop: its poll wait (ms, -1 for none) shortened to the next
 * timer and to 0 while the mailbox holds something. */
int gr_async_timeout(struct gr_thread_ctx_t *ctx, int wait_ms);
/* The owner's loop, after its poll wait: the mailbox, then the timers due. */
void gr_async_run(struct gr_thread_ctx_t *ctx);
/* The owner, leaving its loop: let go of deferred replies still pending,
 * run the tasks posted so far, close the mailbox, cancel the timers; each
 * counted and logged. */
void gr_async_stop(struct gr_thread_ctx_t *ctx);
/* At the server's stop, its threads joined: close the mailboxes of threads
 * that never ran their loop (a start that failed); tasks in them are
 * dropped unrun. */
void gr_async_close_all(struct gr_server_t *s);

#endif
