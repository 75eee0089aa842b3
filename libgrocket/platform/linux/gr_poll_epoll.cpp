/* gr_poll_epoll.cpp - the Linux gr_poll backend: one epoll instance plus one
 * eventfd for cross-thread wake-ups, all owned by the gr_poll_t (no file
 * statics), so every tcp_in / tcp_out thread runs a loop of its own.
 *
 * Level-triggered (no EPOLLET), as gr_poll.h promises: a reader that stops
 * early (fairness, a full queue) is told again on the next wait, so no
 * caller has to drain to EAGAIN to stay correct. Edge-triggered would save
 * an epoll_wait return now and then but makes every missed drain a hang.
 *
 * A completion backend (gr_poll_iocp.cpp) implements the same functions:
 * "want IN" posts a zero-byte receive whose completion is the IN report,
 * "want OUT" is reported after a send completes (or at once), and
 * gr_poll_wake posts a completion packet with a NULL key, which arrives as
 * the same udata-NULL event as the eventfd here. */
#include "gr_poll.h"
#include "gr_sock_native.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <new>

#include "gr_error.h"
#include "gr_poll_retry.h"

/* Most events one wait returns; larger requests are clamped. 256 per wait
 * is plenty for one thread's share of connections and keeps the array
 * (3 KiB) allocated once, off the hot path. */
#define GR_POLL_MAX_EVENTS 256

struct gr_poll_t {
    int epfd;                        /* the epoll instance */
    int wakefd;                      /* eventfd that gr_poll_wake writes */
    std::atomic<int> wake_pending;   /* 1 from a wake until the loop consumes it */
    struct epoll_event *evs;         /* epoll_wait's output, GR_POLL_MAX_EVENTS long */
};

/* The eventfd is registered with the address of its own field as udata: no
 * user udata can equal it, and the caller never sees it. */
static void *wake_tag(gr_poll_t *p)
{
    return &p->wakefd;
}

static uint32_t to_epoll(uint32_t events)
{
    uint32_t e = 0;
    /* EPOLLRDHUP: a peer's half-close wakes the reader too, who then reads
     * the EOF. */
    if (events & GR_POLL_IN)
        e |= EPOLLIN | EPOLLRDHUP;
    if (events & GR_POLL_OUT)
        e |= EPOLLOUT;
    return e; /* EPOLLERR and EPOLLHUP are always reported */
}

static uint32_t from_epoll(uint32_t e)
{
    uint32_t events = 0;
    if (e & (EPOLLIN | EPOLLRDHUP))
        events |= GR_POLL_IN;
    if (e & EPOLLOUT)
        events |= GR_POLL_OUT;
    /* An error or hang-up is also IN: the reader's recv returns the error or
     * the EOF, so a caller that only handles IN still closes the socket. */
    if (e & (EPOLLERR | EPOLLHUP))
        events |= GR_POLL_ERR | GR_POLL_IN;
    return events;
}

int gr_poll_create(gr_poll_t **out)
{
    if (out == NULL)
        return GR_EINVAL;
    *out = NULL;
    int err;
    struct epoll_event ev = {};
    gr_poll_t *p = new (std::nothrow) gr_poll_t();
    if (p == NULL)
        return -ENOMEM;
    p->wake_pending.store(0, std::memory_order_relaxed);
    p->epfd = -1;
    p->wakefd = -1;
    p->evs = (struct epoll_event *)calloc(GR_POLL_MAX_EVENTS, sizeof(*p->evs));
    if (p->evs == NULL) {
        err = -ENOMEM;
        goto fail;
    }
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0) {
        err = -errno;
        goto fail;
    }
    p->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->wakefd < 0) {
        err = -errno;
        goto fail;
    }
    ev.events = EPOLLIN;
    ev.data.ptr = wake_tag(p);
    if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->wakefd, &ev) != 0) {
        err = -errno;
        goto fail;
    }
    *out = p;
    return 0;
fail:
    gr_poll_destroy(p);
    return err;
}

void gr_poll_destroy(gr_poll_t *p)
{
    if (p == NULL)
        return;
    if (p->wakefd >= 0)
        close(p->wakefd);
    if (p->epfd >= 0)
        close(p->epfd);
    free(p->evs);
    delete p;
}

static int ctl(gr_poll_t *p, int op, gr_socket_t s, uint32_t events, void *udata)
{
    if (p == NULL || gr_fd(s) < 0 || udata == NULL)
        return GR_EINVAL;
    struct epoll_event ev = {};
    ev.events = to_epoll(events);
    ev.data.ptr = udata;
    if (epoll_ctl(p->epfd, op, gr_fd(s), &ev) != 0)
        return -errno;
    return 0;
}

int gr_poll_add(gr_poll_t *p, gr_socket_t s, uint32_t events, void *udata)
{
    return ctl(p, EPOLL_CTL_ADD, s, events, udata);
}

int gr_poll_mod(gr_poll_t *p, gr_socket_t s, uint32_t events, void *udata)
{
    return ctl(p, EPOLL_CTL_MOD, s, events, udata);
}

int gr_poll_del(gr_poll_t *p, gr_socket_t s)
{
    if (p == NULL || gr_fd(s) < 0)
        return GR_EINVAL;
    /* Unregister before closing: epoll watches the open file, not the fd
     * number, so a closed-but-dup'ed socket would keep reporting. Kernels
     * before 2.6.9 wanted a non-NULL event even for DEL. */
    struct epoll_event ev = {};
    if (epoll_ctl(p->epfd, EPOLL_CTL_DEL, gr_fd(s), &ev) != 0)
        return -errno;
    return 0;
}

int gr_poll_wait(gr_poll_t *p, gr_poll_event_t *events, int max, int timeout_ms)
{
    if (p == NULL || events == NULL || max <= 0)
        return GR_EINVAL;
    if (max > GR_POLL_MAX_EVENTS)
        max = GR_POLL_MAX_EVENTS;
    int n = gr_poll_retry(timeout_ms, [&](int t) { return epoll_wait(p->epfd, p->evs, max, t); });
    if (n < 0)
        return n;

    int out = 0;
    for (int i = 0; i < n; i++) {
        if (p->evs[i].data.ptr == wake_tag(p)) {
            /* Reset the eventfd first, then clear the flag. In the other
             * order a wake landing in between would write the eventfd while
             * we reset it, leave the flag set with nothing in the eventfd,
             * and every later wake would be skipped. In this order a wake in
             * between sees the flag still set and skips its write, which is
             * fine: this very report covers it. The exchange (not a plain
             * store) is a read-modify-write, so it acquires that waker's
             * release and whatever it queued before waking is visible to
             * the loop once this returns. */
            uint64_t count;
            while (read(p->wakefd, &count, sizeof(count)) < 0 && errno == EINTR) {
            }
            p->wake_pending.exchange(0, std::memory_order_acq_rel);
            events[out].udata = NULL;
            events[out].events = GR_POLL_IN;
            out++;
            continue;
        }
        events[out].udata = p->evs[i].data.ptr;
        events[out].events = from_epoll(p->evs[i].events);
        out++;
    }
    return out;
}

void gr_poll_wake(gr_poll_t *p)
{
    if (p == NULL)
        return;
    /* Coalesce: only the first wake since the loop last consumed one pays
     * for the write(2); a busy producer waking a loop that is already awake
     * costs one atomic exchange. */
    if (p->wake_pending.exchange(1, std::memory_order_acq_rel) != 0)
        return;
    uint64_t one = 1;
    while (write(p->wakefd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
}

const char *gr_poll_backend_name(void)
{
    return "epoll";
}
