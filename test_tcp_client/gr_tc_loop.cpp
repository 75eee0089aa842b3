/* gr_tc_loop.cpp - the client thread: non-blocking connects, then one
 * edge-triggered loop (gr_tc_ev.h: epoll or kqueue) that keeps `depth`
 * requests in flight on each connection and checks every reply byte as it
 * arrives.
 *
 * Why edge-triggered: each socket is registered once for IN and OUT and
 * never touched again; a short read or write tells us the kernel buffer is
 * drained or full (man 7 epoll; kqueue's EV_CLEAR), and the next edge wakes
 * us. A level-triggered loop would need a change each time the send side
 * blocks and unblocks, which at depth 16 is most of the traffic. */
#include "gr_tc_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gr_tc_ev.h"
#include "gr_tc_packet.h"

/* Per-thread send scratch and receive buffer. Requests are built here from
 * (seq, offset), so a connection needs no send buffer of its own however
 * large --size and --depth are; what the kernel does not take is rebuilt
 * on the next try. */
#define GR_TC_IO_BUF (256 * 1024)
#define GR_TC_MAX_EVENTS 256
/* Longest wait: how late a deadline or a timeout is noticed on a
 * thread with no traffic. */
#define GR_TC_TICK_MS 100

enum {
    GR_TC_CONNECTING,  /* non-blocking connect in progress */
    GR_TC_RUNNING,     /* connected: sending and checking */
    GR_TC_DONE,        /* every reply arrived and matched; closed */
    GR_TC_FAILED,      /* error reported; closed */
};

typedef struct gr_tc_conn_t {
    int fd;                     /* socket, -1 once closed */
    int state;                  /* GR_TC_CONNECTING ... GR_TC_FAILED */
    uint32_t id;                /* connection id, carried in every request */
    uint32_t send_off;          /* bytes of request send_seq already sent */
    uint64_t send_seq;          /* request the next byte to send belongs to */
    uint64_t total;             /* requests to make: --count, or UINT64_MAX until
                                   the --duration deadline fixes it */
    uint64_t last_progress_ns;  /* last time bytes moved either way */
    uint64_t *stamps;           /* depth slots: send time of request s in slot s % depth */
    gr_tc_rx_t rx;              /* where the reply check stands */
} gr_tc_conn_t;

typedef struct gr_tc_loop_t {
    gr_tc_thread_t *t;          /* this thread's results */
    const gr_tc_options_t *opt; /* the settings */
    int ep;                     /* this thread's readiness set (gr_tc_ev.h) */
    int active;                 /* connections neither done nor failed */
    gr_tc_conn_t *conns;        /* nconns connections */
    uint64_t *stamps;           /* nconns * depth send times, one block */
    uint8_t *sbuf;              /* GR_TC_IO_BUF send scratch */
    uint8_t *rbuf;              /* GR_TC_IO_BUF receive buffer */
} gr_tc_loop_t;

int gr_tc_socket(int family, int type)
{
    /* socket() then fcntl(), not SOCK_NONBLOCK|SOCK_CLOEXEC, which macOS
     * lacks; a client can afford the two calls per socket. */
    int fd = socket(family, type, 0);
    if (fd < 0)
        return -1;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

uint64_t gr_tc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void gr_tc_error_line(gr_tc_thread_t *t, uint32_t id, const char *msg, const char *where)
{
    gr_tc_run_t *run = t->run;
    int line = run->error_lines.fetch_add(1, std::memory_order_relaxed);
    /* One fprintf per line: stdio locks the stream per call, so lines
     * from several threads do not interleave. */
    if (line < GR_TC_MAX_ERROR_LINES)
        fprintf(stderr, "%s %" PRIu32 " (thread %d, %s): %s%s\n", run->opt->udp ? "socket" : "conn", id,
                t->index, run->addr_text, msg, where);
    else if (line == GR_TC_MAX_ERROR_LINES)
        fprintf(stderr, "(more errors: counted, not printed)\n");
    run->errors.fetch_add(1, std::memory_order_relaxed);
}

/* Print one error line (while the budget lasts), count the error and close
 * the connection. The line names the connection and, once it ran, how far
 * it got, which is what tells a dropped reply from a dead server. */
static void gr_tc_conn_fail(gr_tc_loop_t *l, gr_tc_conn_t *c, const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char where[160] = "";
    if (c->state == GR_TC_RUNNING)
        snprintf(where, sizeof where, " [%" PRIu64 " replies matched, %" PRIu64
                 " requests sent]", c->rx.seq, c->send_seq + (c->send_off > 0));
    gr_tc_error_line(l->t, c->id, msg, where);
    l->t->errors++;
    if (c->fd >= 0)
        close(c->fd);  /* close also takes it out of the readiness set */
    c->fd = -1;
    c->state = GR_TC_FAILED;
    l->active--;
}

static void gr_tc_conn_done(gr_tc_loop_t *l, gr_tc_conn_t *c)
{
    close(c->fd);
    c->fd = -1;
    c->state = GR_TC_DONE;
    l->active--;
}

/* Start a non-blocking connect. Loopback usually answers at once (success
 * or ECONNREFUSED); otherwise the socket reports in through the set. */
static void gr_tc_conn_open(gr_tc_loop_t *l, gr_tc_conn_t *c)
{
    const gr_tc_run_t *run = l->t->run;
    c->fd = gr_tc_socket(run->addr.ss_family, SOCK_STREAM);
    if (c->fd < 0) {
        gr_tc_conn_fail(l, c, "socket: %s", strerror(errno));
        return;
    }
    /* Without NODELAY, Nagle holds back a small request while the previous
     * one is unacknowledged, and depth-1 latency becomes delayed-ACK time. */
    int one = 1;
    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        gr_tc_conn_fail(l, c, "setsockopt(TCP_NODELAY): %s", strerror(errno));
        return;
    }
    if (connect(c->fd, (const struct sockaddr *)&run->addr, run->addrlen) == 0) {
        c->state = GR_TC_RUNNING;
    } else if (errno != EINPROGRESS) {
        gr_tc_conn_fail(l, c, "connect: %s", strerror(errno));
        return;
    }
    if (gr_tc_ev_add(l->ep, c->fd, c) != 0)
        gr_tc_conn_fail(l, c, "watching the socket: %s", strerror(errno));
}

/* Open every connection and wait until each is connected or has failed. */
static void gr_tc_connect_all(gr_tc_loop_t *l)
{
    int connecting = 0;
    for (int i = 0; i < l->t->nconns; i++) {
        gr_tc_conn_open(l, &l->conns[i]);
        connecting += l->conns[i].state == GR_TC_CONNECTING;
    }
    uint64_t deadline = gr_tc_now_ns() + (uint64_t)(l->opt->timeout * 1e9);
    gr_tc_ev_t evs[GR_TC_MAX_EVENTS];
    while (connecting > 0) {
        int n = gr_tc_ev_wait(l->ep, evs, GR_TC_MAX_EVENTS, GR_TC_TICK_MS);
        for (int i = 0; i < n; i++) {
            gr_tc_conn_t *c = (gr_tc_conn_t *)evs[i].ptr;
            /* The state test also skips a socket's second report (kqueue). */
            if (c->state != GR_TC_CONNECTING || !(evs[i].events & (GR_TC_EV_OUT | GR_TC_EV_END)))
                continue;
            connecting--;
            int err = 0;
            socklen_t len = sizeof err;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
            if (err != 0)
                gr_tc_conn_fail(l, c, "connect: %s", strerror(err));
            else
                c->state = GR_TC_RUNNING;
        }
        if (connecting > 0 && gr_tc_now_ns() >= deadline) {
            for (int i = 0; i < l->t->nconns; i++)
                if (l->conns[i].state == GR_TC_CONNECTING)
                    gr_tc_conn_fail(l, &l->conns[i], "connect: no answer in %g s: %s",
                                    l->opt->timeout, strerror(ETIMEDOUT));
            connecting = 0;
        }
    }
}

/* Send as much as depth and the kernel allow. */
static void gr_tc_conn_send(gr_tc_loop_t *l, gr_tc_conn_t *c)
{
    const uint32_t size = l->opt->size;
    const uint32_t depth = l->opt->depth;
    for (;;) {
        uint64_t limit = c->rx.seq + depth;
        if (limit > c->total)
            limit = c->total;
        if (c->send_seq >= limit)
            return;
        /* All allowed requests in one send: at depth 16 that is one syscall
         * for 16 requests, as a pipelining client should do. */
        uint64_t want = (limit - c->send_seq) * size - c->send_off;
        size_t len = want > GR_TC_IO_BUF ? (size_t)GR_TC_IO_BUF : (size_t)want;
        gr_tc_packet_fill(l->sbuf, len, c->id, c->send_seq, c->send_off);
        uint64_t now = gr_tc_now_ns();
        ssize_t w = send(c->fd, l->sbuf, len, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;  /* buffer full: the writable edge brings us back */
            gr_tc_conn_fail(l, c, "send: %s", strerror(errno));
            return;
        }
        /* Latency runs from the send that carried a request's first byte. */
        uint64_t first = c->send_off == 0 ? c->send_seq : c->send_seq + 1;
        uint64_t pos = (uint64_t)c->send_off + (uint64_t)w;
        c->send_seq += pos / size;
        c->send_off = (uint32_t)(pos % size);
        uint64_t end = c->send_seq + (c->send_off > 0);
        for (uint64_t s = first; s < end; s++)
            c->stamps[s % depth] = now;
        l->t->bytes_sent += (uint64_t)w;
        if (w > 0)
            c->last_progress_ns = now;
        if ((size_t)w < len)
            return;  /* short write: the kernel buffer is full, wait for the edge */
    }
}

/* Check received bytes; time each completed reply. Returns 0 while the
 * connection goes on, -1 when it failed or finished (and is closed). */
static int gr_tc_conn_check(gr_tc_loop_t *l, gr_tc_conn_t *c, const uint8_t *p, size_t n,
                            uint64_t now)
{
    gr_tc_thread_t *t = l->t;
    const uint32_t depth = l->opt->depth;
    size_t got = n;
    while (n > 0) {
        char err[400];
        size_t used = 0;
        int r = gr_tc_rx_feed(&c->rx, p, n, &used, err, sizeof err);
        if (r == GR_TC_RX_MISMATCH) {
            gr_tc_conn_fail(l, c, "%s", err);
            return -1;
        }
        p += used;
        n -= used;
        if (r == GR_TC_RX_REPLY) {
            gr_tc_hist_record(&t->hist, now - c->stamps[(c->rx.seq - 1) % depth]);
            t->requests++;
        }
    }
    /* An echo cannot run ahead of what was sent; if it does (a duplicated
     * tail too short to show a seq), say so instead of waiting for a timeout. */
    if (c->rx.seq > c->send_seq || (c->rx.seq == c->send_seq && c->rx.off > c->send_off)) {
        gr_tc_conn_fail(l, c, "received more bytes than were sent (%zu-byte read ends at "
                        "seq %" PRIu64 " byte %" PRIu32 ")", got, c->rx.seq, c->rx.off);
        return -1;
    }
    if (c->rx.seq == c->total) {
        gr_tc_conn_done(l, c);
        return -1;
    }
    return 0;
}

/* Read until the kernel buffer is empty, then refill the pipeline. `drain`:
 * the peer hung up or errored, so read on to the EOF or error even after a
 * short read (no further edge would come to report it). */
static void gr_tc_conn_read(gr_tc_loop_t *l, gr_tc_conn_t *c, int drain)
{
    for (;;) {
        ssize_t r = recv(c->fd, l->rbuf, GR_TC_IO_BUF, 0);
        if (r > 0) {
            uint64_t now = gr_tc_now_ns();
            c->last_progress_ns = now;
            l->t->bytes_recv += (uint64_t)r;
            if (gr_tc_conn_check(l, c, l->rbuf, (size_t)r, now) != 0)
                return;
            if ((size_t)r < GR_TC_IO_BUF && !drain)
                break;  /* short read: drained (man 7 epoll; EV_CLEAR) */
            continue;
        }
        if (r == 0) {
            gr_tc_conn_fail(l, c, "server closed the connection (EOF) before the last reply"
                            " (waiting for seq %" PRIu64 ", %" PRIu32 " bytes of it in)",
                            c->rx.seq, c->rx.off);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        gr_tc_conn_fail(l, c, "recv: %s", strerror(errno));
        return;
    }
    gr_tc_conn_send(l, c);
}

/* The --duration deadline passed: finish the request being sent, if any,
 * and stop there; the connection ends when those replies are in. */
static void gr_tc_conn_stop(gr_tc_loop_t *l, gr_tc_conn_t *c)
{
    c->total = c->send_seq + (c->send_off > 0);
    if (c->rx.seq == c->total)
        gr_tc_conn_done(l, c);
}

static void gr_tc_check_timeouts(gr_tc_loop_t *l, uint64_t now)
{
    uint64_t limit = (uint64_t)(l->opt->timeout * 1e9);
    for (int i = 0; i < l->t->nconns; i++) {
        gr_tc_conn_t *c = &l->conns[i];
        if (c->state == GR_TC_RUNNING && now - c->last_progress_ns > limit)
            gr_tc_conn_fail(l, c, "no progress for %g s, waiting for seq %" PRIu64
                            " (%" PRIu32 " bytes of it in): %s",
                            l->opt->timeout, c->rx.seq, c->rx.off, strerror(ETIMEDOUT));
    }
}

static void gr_tc_run_loop(gr_tc_loop_t *l, uint64_t start_ns, uint64_t deadline_ns)
{
    for (int i = 0; i < l->t->nconns; i++) {
        gr_tc_conn_t *c = &l->conns[i];
        if (c->state != GR_TC_RUNNING)
            continue;
        c->last_progress_ns = start_ns;
        gr_tc_conn_send(l, c);
    }
    int stopping = 0;
    uint64_t next_check = start_ns + GR_TC_TICK_MS * 1000000ull;
    gr_tc_ev_t evs[GR_TC_MAX_EVENTS];
    while (l->active > 0) {
        int n = gr_tc_ev_wait(l->ep, evs, GR_TC_MAX_EVENTS, GR_TC_TICK_MS);
        if (n < 0 && errno != EINTR) {
            /* Only a bug gets here (EBADF, EINVAL): fail loudly, not forever. */
            int e = errno;
            for (int i = 0; i < l->t->nconns; i++)
                if (l->conns[i].state == GR_TC_RUNNING)
                    gr_tc_conn_fail(l, &l->conns[i], "%s: %s", gr_tc_ev_name(), strerror(e));
            break;
        }
        for (int i = 0; i < n; i++) {
            gr_tc_conn_t *c = (gr_tc_conn_t *)evs[i].ptr;
            uint32_t e = evs[i].events;
            if (c->state != GR_TC_RUNNING)
                continue;  /* closed earlier in this batch */
            if (e & (GR_TC_EV_IN | GR_TC_EV_END))
                gr_tc_conn_read(l, c, (e & GR_TC_EV_END) != 0);
            else if (e & GR_TC_EV_OUT)
                gr_tc_conn_send(l, c);
        }
        l->t->progress.store(l->t->requests, std::memory_order_relaxed);
        uint64_t now = gr_tc_now_ns();
        if (deadline_ns != 0 && !stopping && now >= deadline_ns) {
            stopping = 1;
            for (int i = 0; i < l->t->nconns; i++)
                if (l->conns[i].state == GR_TC_RUNNING)
                    gr_tc_conn_stop(l, &l->conns[i]);
        }
        if (now >= next_check) {
            next_check = now + GR_TC_TICK_MS * 1000000ull;
            gr_tc_check_timeouts(l, now);
        }
    }
}

void gr_tc_thread_run(gr_tc_thread_t *t)
{
    gr_tc_run_t *run = t->run;
    const gr_tc_options_t *opt = run->opt;
    gr_tc_loop_t loop;
    gr_tc_loop_t *l = &loop;
    memset(l, 0, sizeof *l);
    l->t = t;
    l->opt = opt;
    l->ep = gr_tc_ev_open();
    l->conns = (gr_tc_conn_t *)calloc((size_t)t->nconns, sizeof *l->conns);
    l->stamps = (uint64_t *)calloc((size_t)t->nconns * opt->depth, sizeof *l->stamps);
    l->sbuf = (uint8_t *)malloc(GR_TC_IO_BUF);
    l->rbuf = (uint8_t *)malloc(GR_TC_IO_BUF);
    int setup_ok = l->ep >= 0 && l->conns && l->stamps && l->sbuf && l->rbuf;
    if (!setup_ok) {
        fprintf(stderr, "thread %d: cannot set up: %s\n", t->index,
                l->ep < 0 ? strerror(errno) : "out of memory");
        t->errors = (uint64_t)t->nconns;
        run->errors.fetch_add(t->errors, std::memory_order_relaxed);
    } else {
        for (int i = 0; i < t->nconns; i++) {
            gr_tc_conn_t *c = &l->conns[i];
            c->fd = -1;
            c->state = GR_TC_CONNECTING;
            /* Connections are dealt round-robin: thread k has k, k+T, k+2T... */
            c->id = (uint32_t)(t->index + i * opt->threads);
            c->total = opt->count != 0 ? opt->count : UINT64_MAX;
            c->stamps = l->stamps + (size_t)i * opt->depth;
            c->rx.conn = c->id;
        }
        l->active = t->nconns;
        gr_tc_connect_all(l);
    }

    uint64_t start_ns, deadline_ns;
    bool abort_run = !gr_tc_wait_go(t, &start_ns, &deadline_ns);
    if (setup_ok && !abort_run)
        gr_tc_run_loop(l, start_ns, deadline_ns);
    t->end_ns = gr_tc_now_ns();
    t->progress.store(t->requests, std::memory_order_relaxed);

    for (int i = 0; setup_ok && i < t->nconns; i++)
        if (l->conns[i].fd >= 0)
            close(l->conns[i].fd);
    if (l->ep >= 0)
        close(l->ep);
    free(l->conns);
    free(l->stamps);
    free(l->sbuf);
    free(l->rbuf);
    gr_tc_finished(t);
}

bool gr_tc_wait_go(gr_tc_thread_t *t, uint64_t *start_ns, uint64_t *deadline_ns)
{
    gr_tc_run_t *run = t->run;
    std::unique_lock<std::mutex> lk(run->mu);
    run->ready++;
    run->connect_failed += (int)t->errors;
    run->cv.notify_all();
    run->cv.wait(lk, [run] { return run->go; });
    *start_ns = run->start_ns;
    *deadline_ns = run->deadline_ns;
    return !run->abort;
}

void gr_tc_finished(gr_tc_thread_t *t)
{
    gr_tc_run_t *run = t->run;
    std::lock_guard<std::mutex> lk(run->mu);
    run->finished++;
    run->cv.notify_all();
}
