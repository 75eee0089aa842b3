/* gr_kqueue_shim.cpp - A SHIM FOR TESTS, NOT A KQUEUE: kqueue(2) and
 * kevent(2) on Linux, over epoll and one eventfd, so that grocket's kqueue
 * backend is built and its whole test suite runs on a machine with no BSD
 * (cmake -DGR_POLL_BACKEND=kqueue; scripts/test.sh config `kqueue`). Never
 * installed. The rules it follows are FreeBSD's kqueue(2) man page; its own
 * tests (tests/unit/test_kqueue_shim.cpp) check them one by one.
 *
 * How it works. A kqueue is an epoll instance (its descriptor is the kq)
 * plus, in user space, the knotes: one per (descriptor, filter) and one per
 * EVFILT_USER ident, each with its udata, flags and enabled state. Every
 * watched descriptor is in the epoll set once, edge-triggered, for IN, OUT
 * and RDHUP whatever its knotes want; an edge only *activates* the knotes it
 * concerns (puts them on the active list). kevent() then evaluates each
 * active knote against the descriptor's real state (poll(2) with no wait,
 * FIONREAD, TCP_INFO) and reports it as its own kevent, so a socket ready
 * both ways gives one EVFILT_READ and one EVFILT_WRITE entry, as a real
 * kqueue does, and the backend has to merge them. After the report, a
 * level-triggered knote goes back on the active list and is evaluated
 * again on the next call (as FreeBSD's kqueue_scan re-checks f_event), an
 * EV_CLEAR one waits for the next edge, an EV_ONESHOT one is deleted. A
 * knote that is added or enabled is activated at once, which covers a
 * descriptor that was ready before it was watched (no edge will come).
 *
 * Why edge-triggered epoll under level-triggered knotes: with level epoll,
 * an EV_CLEAR knote on unread data would make epoll_wait return at once
 * for ever while kevent() has nothing to report (a spin), and a new arrival
 * could not be told from old data. Edges tell "something changed"; the
 * evaluation tells what is true now.
 *
 * EVFILT_USER: NOTE_TRIGGER activates the knote and writes one eventfd that
 * the whole process shares, registered edge-triggered in every kq that has
 * a user knote, so a kevent() waiting in another thread wakes. It is never
 * read (reading it from one kq could hide the edge from another); its
 * counter would need 2^64 triggers to fill. A trigger wakes every kq with
 * user knotes; they find nothing and wait again.
 *
 * Limits, from what Linux does not offer a shim:
 *  - The kernel deletes a descriptor's knotes at its last close; the shim
 *    cannot see close(2). It notices when the descriptor reads as closed
 *    (POLLNVAL, EBADF) and at the next EV_ADD of that number (the file's
 *    device and inode changed), and forgets the old knotes then. A knote
 *    active when its descriptor was closed may report once for a new file
 *    that reuses the number. Callers that delete before close (grocket
 *    does: gr_poll.h point 5) never see this.
 *  - The state of a kq closed with close(2) stays allocated until
 *    kqueue() returns the same number again (the kernel reusing it proves
 *    the old one is gone), and closing a kq while another thread waits in
 *    it is undefined here.
 *  - fflags of an EV_EOF event is EIO when the socket has an error, not the
 *    error: Linux's SO_ERROR clears the error it reads, which would take it
 *    from the recv or send that must see it. A listening socket's read data
 *    is 1, not the backlog's length. A write filter's data is the send
 *    buffer's free space as SO_SNDBUF minus SIOCOUTQ (Linux doubles
 *    SO_SNDBUF), 0 for what is not a socket.
 *  - A TCP socket's write side counts as shut (EV_EOF) in the states after
 *    a FIN was sent or the connection died, read from TCP_INFO; Linux's
 *    poll(2) reports such a socket writable without saying more. */
#include <sys/event.h> /* the shim's own, tests/kqueue_shim/include */

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h> /* SIOCOUTQ */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <new>

/* One registered event. */
typedef struct shim_knote_t {
    struct kevent kev;      /* ident, filter, udata, and the flags kept from EV_ADD */
    unsigned int sfflags;   /* EVFILT_USER: the user's flags (low 24 bits) */
    int64_t sdata;          /* EVFILT_USER: data as last given */
    int enabled;            /* EV_ENABLE / EV_DISABLE */
    int triggered;          /* EVFILT_USER: NOTE_TRIGGER seen, not yet cleared */
    int queued;             /* on the active list */
    unsigned seen;          /* the scan that last reported it */
    struct shim_knote_t *prev, *next; /* the active list */
    struct shim_knote_t *user_next;   /* the kq's EVFILT_USER knotes */
} shim_knote_t;

enum { SHIM_FD_OTHER, SHIM_FD_SOCKET, SHIM_FD_TCP };

/* What a kq knows of one descriptor number. */
typedef struct shim_fd_t {
    shim_knote_t *rd, *wr; /* EVFILT_READ, EVFILT_WRITE; NULL when absent */
    dev_t dev;             /* the file when its first knote came: a change */
    ino_t ino;             /*   means the number was closed and reused */
    int kind;              /* SHIM_FD_* */
    int in_epoll;          /* registered in the kq's epoll set */
} shim_fd_t;

typedef struct shim_kq_t {
    int ep;                  /* the epoll instance; its descriptor is the kq */
    pthread_mutex_t lock;    /* everything below */
    shim_fd_t *fds;          /* by descriptor number */
    int nfds;                /* entries in fds */
    shim_knote_t *users;     /* EVFILT_USER knotes */
    int user_efd_added;      /* the shared eventfd is in this epoll set */
    unsigned scans;          /* scans so far: marks what one scan reported */
    shim_knote_t active;     /* the active list's sentinel */
} shim_kq_t;

/* epoll data of the shared eventfd; descriptors use their number. */
#define SHIM_USER_TAG UINT64_MAX

/* kq state by descriptor number: 256 chunks of 4096, allocated on demand
 * and never freed, so a lookup is two loads without a lock. */
#define SHIM_CHUNK_BITS 12
#define SHIM_CHUNKS 256
static std::atomic<std::atomic<shim_kq_t *> *> g_chunks[SHIM_CHUNKS];
static pthread_mutex_t g_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static std::atomic<int> g_user_efd{-1}; /* shared by every kq; made with the first user knote */

static shim_kq_t *registry_get(int fd)
{
    if (fd < 0 || (fd >> SHIM_CHUNK_BITS) >= SHIM_CHUNKS)
        return NULL;
    std::atomic<shim_kq_t *> *chunk = g_chunks[fd >> SHIM_CHUNK_BITS].load(std::memory_order_acquire);
    return chunk ? chunk[fd & ((1 << SHIM_CHUNK_BITS) - 1)].load(std::memory_order_acquire) : NULL;
}

static void free_kq(shim_kq_t *q);

/* Record q under its descriptor; state left there by a kq that was closed
 * is freed (the kernel handed the number out again, so it is closed). */
static int registry_set(int fd, shim_kq_t *q)
{
    if ((fd >> SHIM_CHUNK_BITS) >= SHIM_CHUNKS)
        return EMFILE;
    pthread_mutex_lock(&g_registry_lock);
    std::atomic<shim_kq_t *> *chunk = g_chunks[fd >> SHIM_CHUNK_BITS].load(std::memory_order_relaxed);
    if (chunk == NULL) {
        chunk = new (std::nothrow) std::atomic<shim_kq_t *>[1 << SHIM_CHUNK_BITS];
        if (chunk == NULL) {
            pthread_mutex_unlock(&g_registry_lock);
            return ENOMEM;
        }
        for (int i = 0; i < (1 << SHIM_CHUNK_BITS); i++)
            chunk[i].store(NULL, std::memory_order_relaxed);
        g_chunks[fd >> SHIM_CHUNK_BITS].store(chunk, std::memory_order_release);
    }
    shim_kq_t *old = chunk[fd & ((1 << SHIM_CHUNK_BITS) - 1)].exchange(q, std::memory_order_acq_rel);
    pthread_mutex_unlock(&g_registry_lock);
    free_kq(old);
    return 0;
}

static int user_efd(void)
{
    int fd = g_user_efd.load(std::memory_order_acquire);
    if (fd >= 0)
        return fd;
    pthread_mutex_lock(&g_registry_lock);
    fd = g_user_efd.load(std::memory_order_relaxed);
    if (fd < 0) {
        fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd >= 0)
            g_user_efd.store(fd, std::memory_order_release);
    }
    pthread_mutex_unlock(&g_registry_lock);
    return fd;
}

/* ---- the active list ---- */

static void enqueue(shim_kq_t *q, shim_knote_t *kn)
{
    if (kn->queued || !kn->enabled)
        return;
    kn->prev = q->active.prev;
    kn->next = &q->active;
    q->active.prev->next = kn;
    q->active.prev = kn;
    kn->queued = 1;
}

static void dequeue(shim_knote_t *kn)
{
    if (!kn->queued)
        return;
    kn->prev->next = kn->next;
    kn->next->prev = kn->prev;
    kn->prev = kn->next = NULL;
    kn->queued = 0;
}

/* ---- descriptors ---- */

/* The entry for fd, grown into when grow is set; NULL when absent (or out
 * of memory while growing). */
static shim_fd_t *fd_entry(shim_kq_t *q, int fd, int grow)
{
    if (fd < q->nfds)
        return &q->fds[fd];
    if (!grow)
        return NULL;
    int n = q->nfds ? q->nfds : 64;
    while (n <= fd)
        n *= 2;
    shim_fd_t *t = (shim_fd_t *)realloc(q->fds, (size_t)n * sizeof *t);
    if (t == NULL)
        return NULL;
    memset(t + q->nfds, 0, (size_t)(n - q->nfds) * sizeof *t);
    q->fds = t;
    q->nfds = n;
    return &q->fds[fd];
}

static int fd_kind(int fd)
{
    int type, proto;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
        return SHIM_FD_OTHER;
    len = sizeof proto;
    if (type == SOCK_STREAM && getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 && proto == IPPROTO_TCP)
        return SHIM_FD_TCP;
    return SHIM_FD_SOCKET;
}

static void drop_knote(shim_knote_t **slot)
{
    dequeue(*slot);
    free(*slot);
    *slot = NULL;
}

/* Delete a knote of f; the descriptor leaves the epoll set with its last. */
static void drop_fd_knote(shim_kq_t *q, int fd, shim_fd_t *f, shim_knote_t **slot)
{
    drop_knote(slot);
    if (f->rd == NULL && f->wr == NULL && f->in_epoll) {
        struct epoll_event ev = {};
        epoll_ctl(q->ep, EPOLL_CTL_DEL, fd, &ev);
        f->in_epoll = 0;
    }
}

/* The descriptor was closed (and maybe reused): what the kernel would have
 * deleted at the close. epoll already forgot the closed file. */
static void forget_fd(shim_kq_t *q, int fd)
{
    shim_fd_t *f = fd_entry(q, fd, 0);
    if (f == NULL)
        return;
    if (f->rd)
        drop_knote(&f->rd);
    if (f->wr)
        drop_knote(&f->wr);
    f->in_epoll = 0;
}

/* A new knote from a change: the action flags are not kept (FreeBSD's
 * kqueue_register does the same), EV_DISABLE leaves it disabled. */
static shim_knote_t *new_knote(const struct kevent *kev)
{
    shim_knote_t *kn = (shim_knote_t *)calloc(1, sizeof *kn);
    if (kn == NULL)
        return NULL;
    kn->kev = *kev;
    kn->kev.flags &= (unsigned short)~(EV_ADD | EV_DELETE | EV_ENABLE | EV_DISABLE);
    kn->kev.fflags = 0;
    kn->kev.data = 0;
    kn->enabled = !(kev->flags & EV_DISABLE);
    return kn;
}

/* EV_ENABLE / EV_DISABLE and udata, for a knote that already existed:
 * every change but a delete replaces udata, as FreeBSD's does. */
static void touch_knote(shim_knote_t *kn, const struct kevent *kev)
{
    if (kev->flags & EV_ENABLE)
        kn->enabled = 1;
    else if (kev->flags & EV_DISABLE) {
        kn->enabled = 0;
        dequeue(kn);
    }
    kn->kev.udata = kev->udata;
}

static int change_fd(shim_kq_t *q, const struct kevent *kev)
{
    if (kev->ident > INT32_MAX)
        return EBADF;
    int fd = (int)kev->ident;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        forget_fd(q, fd); /* closed: its knotes went with it */
        return EBADF;
    }
    shim_fd_t *f = fd_entry(q, fd, kev->flags & EV_ADD);
    if (f == NULL)
        return (kev->flags & EV_ADD) ? ENOMEM : ENOENT;
    if ((f->rd || f->wr) && (f->dev != st.st_dev || f->ino != st.st_ino))
        forget_fd(q, fd); /* the number now names another file */
    shim_knote_t **slot = kev->filter == EVFILT_READ ? &f->rd : &f->wr;
    int created = 0;
    if (*slot == NULL) {
        if (!(kev->flags & EV_ADD))
            return ENOENT;
        if (f->rd == NULL && f->wr == NULL) {
            f->dev = st.st_dev;
            f->ino = st.st_ino;
            f->kind = fd_kind(fd);
        }
        if (!f->in_epoll) {
            struct epoll_event ev = {};
            ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT | EPOLLET;
            ev.data.u64 = (uint64_t)fd;
            if (epoll_ctl(q->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
                return errno == EEXIST ? EEXIST : errno;
            f->in_epoll = 1;
        }
        if ((*slot = new_knote(kev)) == NULL) {
            int err = ENOMEM;
            if (f->rd == NULL && f->wr == NULL) {
                struct epoll_event ev = {};
                epoll_ctl(q->ep, EPOLL_CTL_DEL, fd, &ev);
                f->in_epoll = 0;
            }
            return err;
        }
        created = 1;
    }
    if (kev->flags & EV_DELETE) {
        drop_fd_knote(q, fd, f, slot);
        return 0;
    }
    if (!created)
        touch_knote(*slot, kev);
    enqueue(q, *slot); /* evaluated at the next scan: it may be ready already */
    return 0;
}

/* EVFILT_USER: fflags control (NOTE_FF*) and NOTE_TRIGGER. *woke is set
 * when a knote became triggered, so waiting threads must be woken. */
static int change_user(shim_kq_t *q, const struct kevent *kev, int *woke)
{
    shim_knote_t **link = &q->users;
    while (*link && (*link)->kev.ident != kev->ident)
        link = &(*link)->user_next;
    shim_knote_t *kn = *link;
    if (kn == NULL) {
        if (!(kev->flags & EV_ADD))
            return ENOENT;
        if (!q->user_efd_added) {
            int efd = user_efd();
            if (efd < 0)
                return errno;
            struct epoll_event ev = {};
            ev.events = EPOLLIN | EPOLLET;
            ev.data.u64 = SHIM_USER_TAG;
            if (epoll_ctl(q->ep, EPOLL_CTL_ADD, efd, &ev) != 0)
                return errno;
            q->user_efd_added = 1;
        }
        if ((kn = new_knote(kev)) == NULL)
            return ENOMEM;
        kn->sfflags = kev->fflags & NOTE_FFLAGSMASK;
        kn->sdata = kev->data;
        kn->triggered = (kev->fflags & NOTE_TRIGGER) != 0;
        kn->user_next = q->users;
        q->users = kn;
        link = &q->users;
    } else {
        if (kev->flags & EV_DELETE) {
            *link = kn->user_next;
            dequeue(kn);
            free(kn);
            return 0;
        }
        touch_knote(kn, kev);
        unsigned int ff = kev->fflags & NOTE_FFLAGSMASK;
        switch (kev->fflags & NOTE_FFCTRLMASK) {
        case NOTE_FFAND: kn->sfflags &= ff; break;
        case NOTE_FFOR: kn->sfflags |= ff; break;
        case NOTE_FFCOPY: kn->sfflags = ff; break;
        default: break; /* NOTE_FFNOP */
        }
        kn->sdata = kev->data;
        if (kev->fflags & NOTE_TRIGGER)
            kn->triggered = 1;
    }
    if (kev->flags & EV_DELETE) { /* EV_ADD|EV_DELETE of a new one */
        *link = kn->user_next;
        free(kn);
        return 0;
    }
    if (kn->triggered && kn->enabled) {
        enqueue(q, kn);
        *woke = 1;
    }
    return 0;
}

/* ---- evaluation: is an active knote's condition true now? ---- */

/* TCP states in which nothing more can be sent: a FIN went out, or the
 * connection is gone. */
static int tcp_send_shut(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return 0;
    switch (ti.tcpi_state) {
    case TCP_FIN_WAIT1:
    case TCP_FIN_WAIT2:
    case TCP_TIME_WAIT:
    case TCP_CLOSE:
    case TCP_LAST_ACK:
    case TCP_CLOSING:
        return 1;
    default:
        return 0;
    }
}

/* 1 and *out filled when kn reports now, 0 when its condition is false, -1
 * when its descriptor is closed (its knotes are gone: kn is freed). */
static int evaluate(shim_kq_t *q, shim_knote_t *kn, struct kevent *out)
{
    *out = kn->kev;
    if (kn->kev.filter == EVFILT_USER) {
        if (!kn->triggered)
            return 0;
        out->fflags = kn->sfflags;
        out->data = kn->sdata;
        return 1;
    }
    int fd = (int)kn->kev.ident;
    int rd = kn->kev.filter == EVFILT_READ;
    struct pollfd p = {fd, (short)(rd ? POLLIN | POLLRDHUP : POLLOUT), 0};
    int r;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0 || (p.revents & POLLNVAL)) {
        forget_fd(q, fd);
        return -1;
    }
    short e = p.revents;
    const shim_fd_t *f = &q->fds[fd];
    if (rd) {
        if (!(e & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)))
            return 0;
        int avail = 0;
        out->data = ioctl(fd, FIONREAD, &avail) == 0 ? avail : 1; /* a listener: 1 */
        if (e & (POLLRDHUP | POLLHUP)) {
            out->flags |= EV_EOF;
            if (e & POLLERR)
                out->fflags = EIO;
        }
        return 1;
    }
    if (!(e & (POLLOUT | POLLHUP | POLLERR)))
        return 0;
    /* A socket's error alone (a UDP ICMP report) is not an end; a pipe's
     * POLLERR is its reader gone, which is. */
    int eof = (e & POLLHUP) || (f->kind == SHIM_FD_OTHER && (e & POLLERR)) ||
              (f->kind == SHIM_FD_TCP && tcp_send_shut(fd));
    if (eof) {
        out->flags |= EV_EOF;
        if (e & POLLERR)
            out->fflags = EIO;
    }
    if (f->kind != SHIM_FD_OTHER) {
        int sndbuf = 0, queued = 0;
        socklen_t len = sizeof sndbuf;
        if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == 0 && ioctl(fd, SIOCOUTQ, &queued) == 0)
            out->data = sndbuf > queued ? sndbuf - queued : 0;
    }
    return 1;
}

/* Report up to max active knotes, each at most once per call: one put back
 * at the tail carries this scan's mark, and meeting it again ends the scan
 * (a knote freed on the way, its descriptor closed, cannot end it). */
static int scan(shim_kq_t *q, struct kevent *out, int max)
{
    int n = 0;
    unsigned mark = ++q->scans;
    while (n < max && q->active.next != &q->active) {
        shim_knote_t *kn = q->active.next;
        if (kn->seen == mark)
            break; /* round the list once */
        dequeue(kn);
        if (evaluate(q, kn, &out[n]) <= 0)
            continue; /* false now (it waits for an edge), or gone */
        n++;
        if (kn->kev.flags & EV_ONESHOT) {
            struct kevent del = kn->kev;
            del.flags = EV_DELETE;
            int ignored = 0;
            if (kn->kev.filter == EVFILT_USER)
                change_user(q, &del, &ignored);
            else
                change_fd(q, &del);
        } else if (kn->kev.flags & EV_CLEAR) {
            kn->triggered = 0; /* user; a descriptor's waits for its next edge */
        } else {
            kn->seen = mark;
            enqueue(q, kn); /* level: looked at again next time */
        }
    }
    return n;
}

/* Activate the knotes that epoll's edges concern. */
static void activate(shim_kq_t *q, const struct epoll_event *evs, int n)
{
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 == SHIM_USER_TAG)
            continue; /* the trigger queued its knote already */
        shim_fd_t *f = fd_entry(q, (int)evs[i].data.u64, 0);
        if (f == NULL)
            continue;
        uint32_t e = evs[i].events;
        if (f->rd && (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
            enqueue(q, f->rd);
        if (f->wr && (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
            enqueue(q, f->wr);
    }
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int wait_events(shim_kq_t *q, struct kevent *out, int max, const struct timespec *timeout)
{
    long long deadline = 0;
    if (timeout) {
        if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L) {
            errno = EINVAL;
            return -1;
        }
        deadline = now_ns() + (long long)timeout->tv_sec * 1000000000LL + timeout->tv_nsec;
    }
    struct epoll_event evs[64];
    int ms = 0; /* the first look takes the edges already queued, without waiting */
    for (;;) {
        int k = epoll_wait(q->ep, evs, 64, ms);
        if (k < 0)
            return -1; /* EINTR included: kevent() is not restarted after a signal */
        pthread_mutex_lock(&q->lock);
        activate(q, evs, k);
        int n = scan(q, out, max);
        pthread_mutex_unlock(&q->lock);
        if (n > 0)
            return n;
        if (timeout == NULL) {
            ms = -1;
            continue;
        }
        long long left = deadline - now_ns();
        if (left <= 0)
            return 0;
        ms = (int)((left + 999999) / 1000000);
    }
}

/* ---- the interface ---- */

static void free_kq(shim_kq_t *q)
{
    if (q == NULL)
        return;
    for (int fd = 0; fd < q->nfds; fd++) {
        free(q->fds[fd].rd);
        free(q->fds[fd].wr);
    }
    for (shim_knote_t *kn = q->users, *next; kn; kn = next) {
        next = kn->user_next;
        free(kn);
    }
    free(q->fds);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

extern "C" int kqueue(void)
{
    shim_kq_t *q = (shim_kq_t *)calloc(1, sizeof *q);
    if (q == NULL) {
        errno = ENOMEM;
        return -1;
    }
    pthread_mutex_init(&q->lock, NULL);
    q->active.prev = q->active.next = &q->active;
    q->ep = epoll_create1(EPOLL_CLOEXEC);
    int err = q->ep < 0 ? errno : registry_set(q->ep, q);
    if (err != 0) {
        if (q->ep >= 0)
            close(q->ep);
        q->ep = -1;
        free_kq(q);
        errno = err;
        return -1;
    }
    return q->ep;
}

extern "C" int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist, int nevents,
                      const struct timespec *timeout)
{
    shim_kq_t *q = registry_get(kq);
    if (q == NULL) {
        errno = EBADF;
        return -1;
    }
    if (nchanges < 0 || nevents < 0 || (nchanges > 0 && changelist == NULL) || (nevents > 0 && eventlist == NULL)) {
        errno = EINVAL;
        return -1;
    }
    /* Changes in order. A failed change, and every change marked
     * EV_RECEIPT, takes an EV_ERROR entry (data: the errno, or 0) while the
     * event list has room; a failure without room ends the call with -1.
     * Once entries were written, kevent() returns them without collecting
     * events (so EV_RECEIPT changes drain nothing). */
    int nout = 0, woke = 0;
    pthread_mutex_lock(&q->lock);
    for (int i = 0; i < nchanges; i++) {
        struct kevent kev = changelist[i];
        if (kev.filter == 0)
            continue;
        kev.flags &= (unsigned short)~(EV_ERROR | EV_EOF);
        int err;
        if (kev.filter == EVFILT_READ || kev.filter == EVFILT_WRITE)
            err = change_fd(q, &kev);
        else if (kev.filter == EVFILT_USER)
            err = change_user(q, &kev, &woke);
        else
            err = EINVAL;
        if (err == 0 && !(kev.flags & EV_RECEIPT))
            continue;
        if (nout == nevents) {
            if (err == 0)
                continue; /* a receipt with no room: the change still holds */
            pthread_mutex_unlock(&q->lock);
            if (woke)
                eventfd_write(g_user_efd.load(std::memory_order_acquire), 1);
            errno = err;
            return -1;
        }
        kev.flags = EV_ERROR;
        kev.data = err;
        eventlist[nout++] = kev;
    }
    pthread_mutex_unlock(&q->lock);
    if (woke)
        eventfd_write(g_user_efd.load(std::memory_order_acquire), 1);
    if (nout > 0 || nevents == 0)
        return nout;
    return wait_events(q, eventlist, nevents, timeout);
}
