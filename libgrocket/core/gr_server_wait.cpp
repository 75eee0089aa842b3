/* gr_server_wait.cpp - "serve until told to stop" for embedders:
 * gr_server_request_stop may be called from any thread or from a signal
 * handler; gr_server_wait blocks until then and does the stop itself, on the
 * embedder's thread, where joining threads and calling the module's term is
 * allowed (neither may happen inside a signal handler).
 *
 * Lost wake-ups: the waiter publishes its poll, then looks at the flag; the
 * requester sets the flag, then looks for a poll to wake. Both use
 * sequentially consistent operations, so at least one sees the other's
 * store: either the waiter finds the flag and does not block, or the
 * requester finds the poll and wakes it. gr_poll_wake is an atomic exchange
 * and one write(2), both async-signal-safe. */
#include <new>

#include "gr_error.h"
#include "gr_server.h"

void gr_stop_wait_init(gr_stop_wait_t *w)
{
    new (&w->requested) std::atomic<int>(0);
    new (&w->poll) std::atomic<gr_poll_t *>(nullptr);
}

void gr_stop_wait_close(gr_stop_wait_t *w)
{
    gr_poll_t *p = w->poll.exchange(nullptr);
    if (p)
        gr_poll_destroy(p);
}

void gr_server_request_stop(gr_server_t *s)
{
    if (!s)
        return;
    s->stop_wait.requested.store(1);
    gr_poll_t *p = s->stop_wait.poll.load();
    if (p)
        gr_poll_wake(p);
}

int gr_server_wait(gr_server_t *s)
{
    if (!s)
        return GR_EINVAL;
    if (!s->running)
        return s->stopped ? GR_OK : GR_EINVAL; /* stopped already, or never started */
    gr_stop_wait_t *w = &s->stop_wait;
    if (!w->poll.load()) {
        gr_poll_t *p = NULL;
        int rc = gr_poll_create(&p);
        if (rc < 0)
            return rc;
        w->poll.store(p);
    }
    gr_poll_event_t ev[4];
    while (!w->requested.load()) {
        if (gr_poll_wait(w->poll.load(), ev, 4, -1) < 0)
            gr_sleep_ms(10); /* should not happen; keep the promise by looking again soon */
    }
    gr_server_stop(s);
    return GR_OK;
}
