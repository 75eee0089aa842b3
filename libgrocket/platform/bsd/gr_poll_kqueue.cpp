/* gr_poll_kqueue.cpp - the gr_poll backend of FreeBSD and macOS: one kqueue
 * per gr_poll_t, an EVFILT_READ and/or EVFILT_WRITE knote per registered
 * socket, and a non-blocking pipe for wake-ups. On Linux it builds against
 * the tests' kqueue shim (tests/kqueue_shim, kqueue over epoll; cmake
 * -DGR_POLL_BACKEND=kqueue), which is how its logic is tested here: it has
 * never run on a BSD or macOS kernel (docs/architecture.md, "Platforms").
 *
 * Level-triggered (no EV_CLEAR), as gr_poll.h promises and kqueue's
 * default is: a knote still true is reported again by the next kevent().
 *
 * Merging (gr_poll.h point 2). kqueue reports a socket's read and write
 * readiness as two kevents. Each wait stamps the registrations it reports
 * with its number, so the second kevent of a socket ORs its bits into the
 * event the first one made, and the caller sees one event per registration
 * with IN and OUT merged. Up to twice the caller's max kevents are asked
 * for, so a socket's two halves usually come in the same call; a kevent of
 * a registration that finds no room left is simply not taken: the knote is
 * level-triggered, and the kernel reports it again next time.
 *
 * Changes (add, mod, del) are one kevent() change list each, every entry
 * with EV_RECEIPT: each change then gets its own result (0 or an errno)
 * and kevent() applies them all and drains no pending event. mod deletes
 * the filters no longer wanted and re-adds the wanted ones, which also
 * replaces their udata. Whether a socket is registered at all is this
 * poll's table (gr_poll.h point 6: EEXIST, ENOENT): kqueue cannot say
 * "already added" (EV_ADD of a present knote modifies it). A delete that
 * the kernel answers ENOENT means the socket was closed before its del,
 * which already removed its knotes; the table entry goes anyway.
 *
 * EOF. kqueue flags a read filter EV_EOF when the peer shut down its
 * sending side, with the socket's error (if any) in fflags; a write filter
 * EV_EOF when this side can send no more (a write shutdown, a reset). Read
 * EOF is IN, plus ERR when fflags holds an error; write EOF is OUT|ERR
 * (plus IN when fflags holds an error), so an OUT waiter learns that the
 * connection is closing (point 4) and an error always comes with IN.
 *
 * Wake-ups (point 7) go through a pipe, not EVFILT_USER/NOTE_TRIGGER:
 * gr_poll_wake must be async-signal-safe, and write(2) is on the POSIX
 * list of async-signal-safe functions while kevent(2) is on no system's.
 * The pipe is paid for once per sleep: wakes are coalesced by a flag, as in
 * the other backends. */
#include "gr_poll.h"
#include "gr_sock_native.h"

#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <new>

#include "gr_error.h"
#include "gr_poll_retry.h"

/* Most events one wait returns; larger requests are clamped. Twice as many
 * kevents are fetched (a socket can give two). */
#define GR_POLL_MAX_EVENTS 256
#define GR_POLL_MAX_KEVENTS (2 * GR_POLL_MAX_EVENTS)

/* One socket registered in this poll, found by descriptor. */
typedef struct gr_kq_reg_t {
    void *udata;       /* as registered; also each knote's udata */
    uint32_t events;   /* GR_POLL_IN / GR_POLL_OUT asked for */
    uint32_t used;     /* 1 while registered (events may be 0) */
    uint32_t wait_no;  /* the wait that last reported it */
    int slot;          /* ...and its index in that wait's output */
} gr_kq_reg_t;

struct gr_poll_t {
    int kq;                        /* the kqueue */
    int wake_rd, wake_wr;          /* the wake pipe's ends; wake_rd is in the kqueue */
    std::atomic<int> wake_pending; /* 1 from a wake until the loop consumes it */
    gr_kq_reg_t *regs;             /* by descriptor */
    int regs_cap;                  /* entries in regs */
    uint32_t wait_no;              /* waits so far (the merge stamp) */
    struct kevent *kevs;           /* kevent()'s output, GR_POLL_MAX_KEVENTS long */
};

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        return -errno;
    return 0;
}

/* Apply n changes, each with EV_RECEIPT; res[i] gets change i's result (0
 * or an errno). 0, or -errno when kevent() itself failed. */
static int apply(gr_poll_t *p, struct kevent *ch, int n, int *res)
{
    struct kevent out[2];
    for (int i = 0; i < n; i++)
        ch[i].flags |= EV_RECEIPT;
    struct timespec zero = {0, 0};
    int got;
    do
        got = kevent(p->kq, ch, n, out, n, &zero);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return -errno;
    for (int i = 0; i < n; i++)
        res[i] = 0;
    /* Receipts come in the order of the changes; match them by filter all
     * the same, the man page promises one per change, not their order. */
    for (int k = 0; k < got; k++)
        for (int i = 0; i < n; i++)
            if (out[k].filter == ch[i].filter && (out[k].flags & EV_ERROR))
                res[i] = (int)out[k].data;
    return 0;
}

int gr_poll_create(gr_poll_t **out)
{
    if (out == NULL)
        return GR_EINVAL;
    *out = NULL;
    int fds[2], err, res[1] = {0};
    struct kevent ch[1];
    gr_poll_t *p = new (std::nothrow) gr_poll_t();
    if (p == NULL)
        return -ENOMEM;
    p->wake_pending.store(0, std::memory_order_relaxed);
    p->kq = p->wake_rd = p->wake_wr = -1;
    p->kevs = (struct kevent *)calloc(GR_POLL_MAX_KEVENTS, sizeof *p->kevs);
    if (p->kevs == NULL) {
        err = -ENOMEM;
        goto fail;
    }
    /* A fork does not inherit a kqueue, but an exec in this process would
     * keep it open: close-on-exec, as the epoll backend's EPOLL_CLOEXEC. */
    p->kq = kqueue();
    if (p->kq < 0 || fcntl(p->kq, F_SETFD, FD_CLOEXEC) != 0) {
        err = -errno;
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
    /* The pipe's udata is NULL: no registration can have it (gr_poll_add
     * refuses NULL), and it is what a wake reports. */
    EV_SET(&ch[0], p->wake_rd, EVFILT_READ, EV_ADD, 0, 0, NULL);
    if ((err = apply(p, ch, 1, res)) != 0 || (err = -res[0]) != 0)
        goto fail;
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
    if (p->kq >= 0)
        close(p->kq);
    if (p->wake_rd >= 0)
        close(p->wake_rd);
    if (p->wake_wr >= 0)
        close(p->wake_wr);
    free(p->kevs);
    free(p->regs);
    delete p;
}

/* The registration of s, NULL when s is not registered here. */
static gr_kq_reg_t *reg_of(gr_poll_t *p, int s)
{
    return s < p->regs_cap && p->regs[s].used ? &p->regs[s] : NULL;
}

/* Room in the table for descriptor s; 0 or -ENOMEM. */
static int reg_room(gr_poll_t *p, int s)
{
    if (s < p->regs_cap)
        return 0;
    int cap = p->regs_cap ? p->regs_cap : 256;
    while (cap <= s)
        cap *= 2;
    gr_kq_reg_t *t = (gr_kq_reg_t *)realloc(p->regs, (size_t)cap * sizeof *t);
    if (t == NULL)
        return -ENOMEM;
    memset(t + p->regs_cap, 0, (size_t)(cap - p->regs_cap) * sizeof *t);
    p->regs = t;
    p->regs_cap = cap;
    return 0;
}

/* The change list that takes s from events `had` to `want` with udata:
 * deletes for the filters no longer wanted, adds for the wanted ones (an
 * add of a present knote replaces its udata). Returns the count. */
static int changes(struct kevent *ch, int s, uint32_t had, uint32_t want, void *udata)
{
    int n = 0;
    if (want & GR_POLL_IN)
        EV_SET(&ch[n++], s, EVFILT_READ, EV_ADD, 0, 0, udata);
    else if (had & GR_POLL_IN)
        EV_SET(&ch[n++], s, EVFILT_READ, EV_DELETE, 0, 0, NULL);
    if (want & GR_POLL_OUT)
        EV_SET(&ch[n++], s, EVFILT_WRITE, EV_ADD, 0, 0, udata);
    else if (had & GR_POLL_OUT)
        EV_SET(&ch[n++], s, EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
    return n;
}

/* The events s has in the kernel after a change list with results res:
 * an add that failed did not happen, a delete that failed with ENOENT
 * had nothing left to delete. */
static uint32_t events_after(const struct kevent *ch, int n, const int *res, uint32_t had)
{
    uint32_t now = had;
    for (int i = 0; i < n; i++) {
        uint32_t bit = ch[i].filter == EVFILT_READ ? GR_POLL_IN : GR_POLL_OUT;
        if (ch[i].flags & EV_ADD) {
            if (res[i] == 0)
                now |= bit;
        } else if (res[i] == 0 || res[i] == ENOENT) {
            now &= ~bit;
        }
    }
    return now;
}

static int first_error(const struct kevent *ch, int n, const int *res)
{
    for (int i = 0; i < n; i++)
        if (res[i] != 0 && !((ch[i].flags & EV_DELETE) && res[i] == ENOENT))
            return -res[i];
    return 0;
}

int gr_poll_add(gr_poll_t *p, gr_socket_t sock, uint32_t events, void *udata)
{
    int s = gr_fd(sock);
    if (p == NULL || s < 0 || udata == NULL)
        return GR_EINVAL;
    if (reg_of(p, s))
        return -EEXIST;
    int rc = reg_room(p, s);
    if (rc != 0)
        return rc;
    struct kevent ch[2];
    int res[2];
    int n = changes(ch, s, 0, events, udata);
    if (n > 0 && (rc = apply(p, ch, n, res)) != 0)
        return rc;
    if (n > 0 && (rc = first_error(ch, n, res)) != 0) {
        /* Take back the half that went in (a bad descriptor fails both). */
        uint32_t in = events_after(ch, n, res, 0);
        int m = changes(ch, s, in, 0, NULL);
        if (m > 0)
            apply(p, ch, m, res);
        return rc;
    }
    gr_kq_reg_t *r = &p->regs[s];
    r->udata = udata;
    r->events = events & (GR_POLL_IN | GR_POLL_OUT);
    r->used = 1;
    r->wait_no = 0;
    return 0;
}

int gr_poll_mod(gr_poll_t *p, gr_socket_t sock, uint32_t events, void *udata)
{
    int s = gr_fd(sock);
    if (p == NULL || s < 0 || udata == NULL)
        return GR_EINVAL;
    gr_kq_reg_t *r = reg_of(p, s);
    if (r == NULL)
        return -ENOENT;
    struct kevent ch[2];
    int res[2], rc;
    int n = changes(ch, s, r->events, events, udata);
    if (n > 0 && (rc = apply(p, ch, n, res)) != 0)
        return rc;
    r->udata = udata;
    if (n == 0)
        return 0;
    r->events = events_after(ch, n, res, r->events);
    return first_error(ch, n, res);
}

int gr_poll_del(gr_poll_t *p, gr_socket_t sock)
{
    int s = gr_fd(sock);
    if (p == NULL || s < 0)
        return GR_EINVAL;
    gr_kq_reg_t *r = reg_of(p, s);
    if (r == NULL)
        return -ENOENT;
    struct kevent ch[2];
    int res[2], rc = 0;
    int n = changes(ch, s, r->events, 0, NULL);
    if (n > 0 && (rc = apply(p, ch, n, res)) == 0)
        rc = first_error(ch, n, res);
    /* Gone from the table whatever the kernel said: a knote that could not
     * be deleted belongs to a closed descriptor (point 5 wants del first;
     * the close took the knotes with it). Once gone from the kernel, no
     * later kevent() returns them: no event after del. */
    memset(r, 0, sizeof *r);
    return rc;
}

/* A kevent's bits (see the EOF note at the top). */
static uint32_t from_kevent(const struct kevent *k)
{
    int eof = (k->flags & EV_EOF) != 0;
    int error = eof && k->fflags != 0;
    if (k->filter == EVFILT_READ)
        return GR_POLL_IN | (error ? GR_POLL_ERR : 0);
    return GR_POLL_OUT | (eof ? GR_POLL_ERR : 0) | (error ? GR_POLL_IN : 0);
}

/* Empty the wake pipe, then clear the flag: in this order a wake that lands
 * in between finds the flag still set and skips its write, and this report
 * covers it (the reasoning of the epoll backend). */
static void consume_wake(gr_poll_t *p)
{
    char buf[64];
    for (;;) {
        ssize_t r = read(p->wake_rd, buf, sizeof buf);
        if (r > 0 || (r < 0 && errno == EINTR))
            continue;
        break; /* empty (EAGAIN) */
    }
    p->wake_pending.exchange(0, std::memory_order_acq_rel);
}

int gr_poll_wait(gr_poll_t *p, gr_poll_event_t *events, int max, int timeout_ms)
{
    if (p == NULL || events == NULL || max <= 0)
        return GR_EINVAL;
    if (max > GR_POLL_MAX_EVENTS)
        max = GR_POLL_MAX_EVENTS;
    int n = gr_poll_retry(timeout_ms, [&](int t) {
        struct timespec ts = {t / 1000, (long)(t % 1000) * 1000000L};
        return kevent(p->kq, NULL, 0, p->kevs, 2 * max, t < 0 ? NULL : &ts);
    });
    if (n < 0)
        return n;
    if (++p->wait_no == 0)
        p->wait_no = 1; /* 0 is "never reported" */
    int out = 0, woke = 0;
    for (int i = 0; i < n; i++) {
        const struct kevent *k = &p->kevs[i];
        if (k->flags & EV_ERROR)
            continue; /* no changes were passed: none to report */
        if (k->udata == NULL) {
            /* The wake pipe: taken only with room to report it, else it
             * stays readable for the next wait, so no wake is lost. */
            if (!woke && out < max) {
                consume_wake(p);
                events[out].udata = NULL;
                events[out].events = GR_POLL_IN;
                out++;
                woke = 1;
            }
            continue;
        }
        gr_kq_reg_t *r = reg_of(p, (int)k->ident);
        if (r == NULL)
            continue; /* cannot happen: del removed its knotes */
        if (r->wait_no == p->wait_no) {
            events[r->slot].events |= from_kevent(k); /* the socket's other half */
            continue;
        }
        if (out == max)
            continue; /* level-triggered: reported again next time */
        r->wait_no = p->wait_no;
        r->slot = out;
        events[out].udata = k->udata;
        events[out].events = from_kevent(k);
        out++;
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
    return "kqueue";
}
