/* gr_poll_poll.cpp - the portable gr_poll backend on poll(2), for any
 * POSIX system (cmake -DGR_POLL_BACKEND=poll): one pollfd array per
 * gr_poll_t, indexed by a table from descriptor to slot, and a non-blocking
 * pipe for cross-thread wake-ups (write(2) is async-signal-safe).
 *
 * Level-triggered like poll(2) itself. A wait costs O(registrations): this
 * backend is the fallback and the second implementation that keeps the
 * contract of gr_poll.h honest, not the fast path. When more sockets are
 * ready than the caller takes, the next wait starts where this one stopped,
 * so no registration is starved. */
#include "gr_poll.h"
#include "gr_sock_native.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <new>

#include "gr_error.h"
#include "gr_poll_retry.h"

struct gr_poll_t {
    struct pollfd *fds;            /* [0]: the wake pipe; then one per registration */
    void **udata;                  /* udata[i] goes with fds[i] */
    int count, cap;                /* slots used / allocated (the pipe included) */
    int *slot;                     /* slot[fd]: index into fds, 0 when not registered */
    int slot_cap;                  /* entries in slot */
    int next;                      /* the registration the next wait reports first */
    int wake_rd, wake_wr;          /* the pipe's ends */
    std::atomic<int> wake_pending; /* 1 from a wake until the loop consumes it */
};

static short to_poll(uint32_t events)
{
    short e = 0;
    if (events & GR_POLL_IN) {
        e |= POLLIN;
#ifdef POLLRDHUP
        e |= POLLRDHUP; /* a peer's half-close wakes the reader too */
#endif
    }
    if (events & GR_POLL_OUT)
        e |= POLLOUT;
    return e; /* POLLERR, POLLHUP and POLLNVAL are always reported */
}

static uint32_t from_poll(short e)
{
    uint32_t events = 0;
    if (e & POLLIN)
        events |= GR_POLL_IN;
#ifdef POLLRDHUP
    if (e & POLLRDHUP)
        events |= GR_POLL_IN;
#endif
    if (e & POLLOUT)
        events |= GR_POLL_OUT;
    /* As in the epoll backend: an error or hang-up is also IN, so a caller
     * that only handles IN still reads the error or the EOF and closes. */
    if (e & (POLLERR | POLLHUP | POLLNVAL))
        events |= GR_POLL_ERR | GR_POLL_IN;
    return events;
}

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        return -errno;
    return 0;
}

int gr_poll_create(gr_poll_t **out)
{
    if (out == NULL)
        return GR_EINVAL;
    *out = NULL;
    gr_poll_t *p = new (std::nothrow) gr_poll_t();
    if (p == NULL)
        return -ENOMEM;
    p->wake_pending.store(0, std::memory_order_relaxed);
    p->wake_rd = p->wake_wr = -1;
    int fds[2], err;
    p->cap = 64;
    p->fds = (struct pollfd *)calloc((size_t)p->cap, sizeof *p->fds);
    p->udata = (void **)calloc((size_t)p->cap, sizeof *p->udata);
    if (p->fds == NULL || p->udata == NULL) {
        err = -ENOMEM;
        goto fail;
    }
    if (pipe(fds) != 0) {
        err = -errno;
        goto fail;
    }
    p->wake_rd = fds[0];
    p->wake_wr = fds[1];
    if ((err = set_flags(p->wake_rd)) != 0 || (err = set_flags(p->wake_wr)) != 0)
        goto fail;
    p->fds[0].fd = p->wake_rd;
    p->fds[0].events = POLLIN;
    p->count = 1;
    p->next = 1;
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
    if (p->wake_rd >= 0)
        close(p->wake_rd);
    if (p->wake_wr >= 0)
        close(p->wake_wr);
    free(p->fds);
    free(p->udata);
    free(p->slot);
    delete p;
}

/* The slot of s, 0 when s is not registered here. */
static int slot_of(const gr_poll_t *p, int s)
{
    return s < p->slot_cap ? p->slot[s] : 0;
}

int gr_poll_add(gr_poll_t *p, gr_socket_t sock, uint32_t events, void *udata)
{
    int s = gr_fd(sock);
    if (p == NULL || s < 0 || udata == NULL)
        return GR_EINVAL;
    if (slot_of(p, s))
        return -EEXIST;
    if (s >= p->slot_cap) {
        int cap = p->slot_cap ? p->slot_cap : 256;
        while (cap <= s)
            cap *= 2;
        int *t = (int *)realloc(p->slot, (size_t)cap * sizeof *t);
        if (t == NULL)
            return -ENOMEM;
        memset(t + p->slot_cap, 0, (size_t)(cap - p->slot_cap) * sizeof *t);
        p->slot = t;
        p->slot_cap = cap;
    }
    if (p->count == p->cap) {
        int cap = p->cap * 2;
        struct pollfd *f = (struct pollfd *)realloc(p->fds, (size_t)cap * sizeof *f);
        if (f == NULL)
            return -ENOMEM;
        p->fds = f;
        void **u = (void **)realloc(p->udata, (size_t)cap * sizeof *u);
        if (u == NULL)
            return -ENOMEM;
        p->udata = u;
        p->cap = cap;
    }
    int i = p->count++;
    p->fds[i].fd = s;
    p->fds[i].events = to_poll(events);
    p->fds[i].revents = 0;
    p->udata[i] = udata;
    p->slot[s] = i;
    return 0;
}

int gr_poll_mod(gr_poll_t *p, gr_socket_t sock, uint32_t events, void *udata)
{
    int s = gr_fd(sock);
    if (p == NULL || s < 0 || udata == NULL)
        return GR_EINVAL;
    int i = slot_of(p, s);
    if (!i)
        return -ENOENT;
    p->fds[i].events = to_poll(events);
    p->udata[i] = udata;
    return 0;
}

int gr_poll_del(gr_poll_t *p, gr_socket_t sock)
{
    int s = gr_fd(sock);
    if (p == NULL || s < 0)
        return GR_EINVAL;
    int i = slot_of(p, s);
    if (!i)
        return -ENOENT;
    /* The last registration takes the freed slot. The array is rebuilt by
     * each wait's poll(2), so nothing reported later can name s. */
    int last = --p->count;
    if (i != last) {
        p->fds[i] = p->fds[last];
        p->udata[i] = p->udata[last];
        p->slot[p->fds[i].fd] = i;
    }
    p->slot[s] = 0;
    return 0;
}

int gr_poll_wait(gr_poll_t *p, gr_poll_event_t *events, int max, int timeout_ms)
{
    if (p == NULL || events == NULL || max <= 0)
        return GR_EINVAL;
    int n = gr_poll_retry(timeout_ms, [&](int t) { return poll(p->fds, (nfds_t)p->count, t); });
    if (n < 0)
        return n;
    int out = 0;
    if (n > 0 && p->fds[0].revents) {
        /* Empty the pipe first, then clear the flag (the order of the epoll
         * backend, for the same reason: a wake in between skips its write,
         * and this report covers it). */
        char buf[64];
        for (;;) {
            ssize_t r = read(p->wake_rd, buf, sizeof buf);
            if (r > 0 || (r < 0 && errno == EINTR))
                continue;
            break; /* empty (EAGAIN) */
        }
        p->wake_pending.exchange(0, std::memory_order_acq_rel);
        events[out].udata = NULL;
        events[out].events = GR_POLL_IN;
        out++;
        n--;
    }
    int regs = p->count - 1, first = p->next - 1;
    for (int k = 0; k < regs && n > 0 && out < max; k++) {
        int i = 1 + (first + k) % regs;
        if (!p->fds[i].revents)
            continue;
        n--;
        events[out].udata = p->udata[i];
        events[out].events = from_poll(p->fds[i].revents);
        out++;
        p->next = 1 + i % regs; /* the one after the last reported */
    }
    return out;
}

void gr_poll_wake(gr_poll_t *p)
{
    if (p == NULL)
        return;
    /* Coalesce: only the first wake since the loop last consumed one pays
     * for the write(2). A full pipe (EAGAIN) already holds a wake. */
    if (p->wake_pending.exchange(1, std::memory_order_acq_rel) != 0)
        return;
    char one = 1;
    while (write(p->wake_wr, &one, 1) < 0 && errno == EINTR) {
    }
}

const char *gr_poll_backend_name(void)
{
    return "poll";
}
