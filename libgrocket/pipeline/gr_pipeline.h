/* gr_pipeline.h - the TCP data path between the thread groups (internal):
 *
 *   tcp_accept[a] --conn--> tcp_in[i] --job--> worker[j] --chunk--> tcp_out[k]
 *                              |  (worker disabled: proc inline)      ^
 *                              +------------chunk---------------------+
 *
 *   udp_in[u] --udp job--> worker[j] --reply batch--> udp_out[v]   (gr_udp.h)
 *       |  (worker disabled: proc inline)                 ^
 *       +-----------------reply batch---------------------+
 *
 * Groups are joined by SPSC rings: each consumer owns one inbound ring per
 * producer (gr_handoff.cpp). */
#ifndef GR_PIPELINE_H
#define GR_PIPELINE_H

#include "gr_server.h"
#include "gr_thread_ctx.h"

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

/* At start, for a processing thread: how its replies go out (by the mode). */
void gr_reply_init(gr_thread_ctx_t *ctx);
/* At start, for a tcp_in thread: what it does with packages (by the mode). */
void gr_tcp_in_init(gr_thread_ctx_t *ctx);
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

/* The processing thread of c (worker or owner, decided at accept). */
static inline gr_thread_ctx_t *gr_proc_ctx(gr_conn_t *c) { return c->proc_ctx; }

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
#define GR_CHECK_PROCESSOR(ctx, c) GR_HEAVY_CHECK(gr_proc_ctx(c) == (ctx))
#define GR_CHECK_SENDER(ctx, c) GR_HEAVY_CHECK((ctx)->group == GR_GROUP_OUT && (c)->out_index == (ctx)->index)

#endif
