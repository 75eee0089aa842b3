/* gr_async.cpp - processing threads' mailboxes and timers (gr_async.h). */
#include "gr_async.h"

#include <new>
#include <stdlib.h>

#include "gr_defer.h"
#include "gr_error.h"
#include "gr_log.h"
#include "gr_outbound.h"
#include "gr_pipeline.h"

thread_local gr_async_t *gr_async_self;

/* The mailbox of a thread that left its loop: pushes are refused. */
static gr_msg_t mailbox_closed_mark;
#define GR_MAILBOX_CLOSED (&mailbox_closed_mark)

typedef struct gr_task_t {
    gr_msg_t msg;
    gr_task_fn fn;
    void *arg;
} gr_task_t;

int gr_async_create(gr_server_t *s)
{
    int n = s->info.proc_threads;
    if (n <= 0)
        return GR_OK;
    s->async = (gr_async_t *)calloc((size_t)n, sizeof *s->async);
    if (!s->async)
        return GR_ENOMEM;
    s->async_count = n;
    for (int g = 0; g < GR_GROUP_COUNT; g++)
        for (int i = 0; i < s->counts[g]; i++) {
            gr_thread_ctx_t *ctx = &s->groups[g][i];
            if (ctx->proc_id < 0 || ctx->proc_id >= n)
                continue;
            gr_async_t *a = &s->async[ctx->proc_id];
            new (&a->mailbox) std::atomic<gr_msg_t *>(nullptr);
            a->ctx = ctx;
            gr_timers_init(&a->timers, (uint32_t)ctx->proc_id);
            ctx->async = a;
        }
    return GR_OK;
}

void gr_async_free(gr_server_t *s)
{
    for (int i = 0; i < s->async_count; i++)
        gr_timers_free(&s->async[i].timers); /* emptied at stop; a start that failed may leave some */
    free(s->async);
    s->async = NULL;
    s->async_count = 0;
}

bool gr_async_push(gr_async_t *a, gr_msg_t *m)
{
    gr_msg_t *head = a->mailbox.load(std::memory_order_acquire);
    do {
        if (head == GR_MAILBOX_CLOSED)
            return false;
        m->next = head;
    } while (!a->mailbox.compare_exchange_weak(head, m, std::memory_order_release, std::memory_order_acquire));
    /* The first message of a batch wakes the owner; its own pushes need
     * not, since its loop looks at the mailbox before it waits. */
    if (head == NULL && gr_async_self != a)
        gr_poll_wake(a->ctx->poll);
    return true;
}

int gr_async_post(gr_server_t *s, int id, gr_task_fn fn, void *arg)
{
    if (!s || !fn || id < 0 || id >= s->async_count || !s->async[id].ctx)
        return GR_EINVAL;
    gr_task_t *t = (gr_task_t *)malloc(sizeof *t);
    if (!t)
        return GR_ENOMEM;
    t->msg.kind = GR_MSG_TASK;
    t->fn = fn;
    t->arg = arg;
    if (!gr_async_push(&s->async[id], &t->msg)) {
        free(t);
        return GR_EINVAL;
    }
    return GR_OK;
}

int gr_async_timeout(gr_thread_ctx_t *ctx, int wait_ms)
{
    gr_async_t *a = ctx->async;
    if (a->mailbox.load(std::memory_order_relaxed) != NULL)
        return 0;
    int64_t next = gr_timers_next(&a->timers);
    if (next == INT64_MAX)
        return wait_ms;
    int64_t d = next - gr_clock_fine_ms();
    if (d <= 0)
        return 0;
    if (wait_ms >= 0 && d > wait_ms)
        return wait_ms;
    return d > 1000000 ? 1000000 : (int)d;
}

/* The messages taken at once, oldest first (the list is newest first). */
static gr_msg_t *take(gr_async_t *a, gr_msg_t *replace)
{
    gr_msg_t *m = a->mailbox.exchange(replace, std::memory_order_acquire), *old = NULL;
    if (m == GR_MAILBOX_CLOSED)
        return NULL;
    while (m) {
        gr_msg_t *next = m->next;
        m->next = old;
        old = m;
        m = next;
    }
    return old;
}

static void deliver(gr_thread_ctx_t *ctx, gr_msg_t *m)
{
    while (m) {
        gr_msg_t *next = m->next;
        if (m->kind == GR_MSG_TASK) {
            gr_task_t *t = (gr_task_t *)m;
            gr_task_fn fn = t->fn;
            void *arg = t->arg;
            free(t);
            GR_COUNT(ctx, posts, 1);
            fn(arg);
        } else {
            gr_defer_arrived(ctx, (gr_reply_t *)m);
        }
        m = next;
    }
}

void gr_async_run(gr_thread_ctx_t *ctx)
{
    gr_async_t *a = ctx->async;
    gr_out_reap(); /* after the batch of events that may name them */
    if (a->mailbox.load(std::memory_order_relaxed) != NULL)
        deliver(ctx, take(a, NULL));
    int64_t next = gr_timers_next(&a->timers);
    if (next != INT64_MAX) {
        int64_t now = gr_clock_fine_ms();
        if (next <= now) {
            size_t ran = gr_timers_run(&a->timers, now); /* not inside GR_COUNT: it may compile to nothing */
            GR_COUNT(ctx, timers_fired, ran);
            ctx->counters.timers_active.store(gr_timers_active(&a->timers), std::memory_order_relaxed);
        }
    }
}

void gr_async_stop(gr_thread_ctx_t *ctx)
{
    gr_async_t *a = ctx->async;
    if (!a)
        return;
    gr_out_stop(ctx); /* outbound connections: their modules are told, which may settle replies */
    /* Deferred replies first: a completion already on its way must arrive
     * before the mailbox closes (it holds its connection). */
    gr_defer_stop(ctx);
    while (a->detached > 0) {
        gr_msg_t *m = take(a, NULL);
        if (m)
            deliver(ctx, m);
        else
            gr_thread_yield();
    }
    /* Tasks posted so far still run (they may own what their argument
     * points to); from here on post is refused. A task that posts again
     * to this thread is refused too. */
    deliver(ctx, take(a, GR_MAILBOX_CLOSED));
    size_t cancelled = gr_timers_free(&a->timers);
    ctx->counters.timers_active.store(0, std::memory_order_relaxed);
    GR_COUNT(ctx, timers_cancelled_stop, cancelled);
    if (cancelled)
        GR_INFO("processing thread %d: %zu timer(s) still active at stop, cancelled", ctx->proc_id, cancelled);
    gr_out_reap();
}

void gr_async_close_all(gr_server_t *s)
{
    for (int i = 0; i < s->async_count; i++) {
        gr_msg_t *m = take(&s->async[i], GR_MAILBOX_CLOSED);
        while (m) { /* tasks only: a reply handle needs a thread that ran */
            gr_msg_t *next = m->next;
            free(m);
            m = next;
        }
    }
}
