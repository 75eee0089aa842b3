/* gr_tc_udp.cpp - the client thread for --udp: each connection is a
 * connected UDP socket that keeps `depth` requests in flight, one datagram
 * each (sendmmsg for all a window allows), and checks every reply datagram
 * whole. A request whose reply has not come within --timeout is counted
 * lost and its place in the window freed, so loss costs time, never a hang.
 *
 * Why a window over seqs rather than a queue: replies may come in any
 * order (UDP promises none), and a request resolves either way, answered
 * or lost. The window is [low, low + depth): low is the oldest unresolved
 * request, so its send time is the earliest and the timeout scan stops at
 * the first request not yet due. */
#include "gr_tc_loop.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gr_tc_ev.h"
#include "gr_tc_mmsg.h"
#include "gr_tc_packet.h"

/* Datagrams per sendmmsg/recvmmsg call. */
#define GR_TC_UDP_BATCH 64
#define GR_TC_MAX_EVENTS 256

enum { GR_TC_UDP_RUNNING, GR_TC_UDP_DONE, GR_TC_UDP_FAILED };

/* What became of a recent request (gr_tc_usock_t.fate). */
enum { GR_TC_FATE_OPEN = 0, GR_TC_FATE_ANSWERED = 1, GR_TC_FATE_LOST = 2 };

typedef struct gr_tc_usock_t {
    int fd;
    int state;              /* GR_TC_UDP_* */
    uint32_t id;            /* connection id, carried in every request */
    uint64_t next;          /* the next seq to send */
    uint64_t low;           /* the oldest request not yet answered or lost */
    uint64_t total;         /* requests to make (UINT64_MAX until a --duration deadline) */
    uint64_t top;           /* one past the highest seq answered: an answer below it overtook none */
    uint64_t *sent_ns;      /* depth slots: send time of request s at s % depth; 0 once resolved */
    uint8_t *fate;          /* fate_len slots: GR_TC_FATE_* of request s at s % fate_len */
} gr_tc_usock_t;

typedef struct gr_tc_uloop_t {
    gr_tc_thread_t *t;
    const gr_tc_options_t *opt;
    int ep;
    int active;             /* sockets neither done nor failed */
    gr_tc_usock_t *socks;
    uint64_t *slots;        /* nconns * depth send times */
    uint8_t *fates;         /* nconns * fate_len */
    uint64_t fate_len;      /* how far back a late reply is told from a duplicate */
    uint64_t timeout_ns;
    /* Headers set up once: slot i of each batch always uses the same buffer. */
    gr_tc_mmsghdr_t smsgs[GR_TC_UDP_BATCH], rmsgs[GR_TC_UDP_BATCH];
    struct iovec siov[GR_TC_UDP_BATCH], riov[GR_TC_UDP_BATCH];
    uint8_t *sbuf;          /* GR_TC_UDP_BATCH requests */
    uint8_t *rbuf;          /* GR_TC_UDP_BATCH slots of size + 1 bytes (a longer reply shows) */
} gr_tc_uloop_t;

static void gr_tc_usock_fail(gr_tc_uloop_t *l, gr_tc_usock_t *c, const char *msg)
{
    char where[160];
    snprintf(where, sizeof where, " [%" PRIu64 " requests sent]", c->next);
    gr_tc_error_line(l->t, c->id, msg, where);
    l->t->errors++;
    close(c->fd);
    c->fd = -1;
    c->state = GR_TC_UDP_FAILED;
    l->active--;
}

/* Every request resolved and none left to send: done. */
static bool gr_tc_usock_finish(gr_tc_uloop_t *l, gr_tc_usock_t *c)
{
    if (c->low < c->total)
        return false;
    close(c->fd);
    c->fd = -1;
    c->state = GR_TC_UDP_DONE;
    l->active--;
    return true;
}

static void gr_tc_usock_open(gr_tc_uloop_t *l, gr_tc_usock_t *c)
{
    const gr_tc_run_t *run = l->t->run;
    char msg[200];
    c->fd = gr_tc_socket(run->addr.ss_family, SOCK_DGRAM);
    /* connect: only the server's datagrams are received, and a "port
     * unreachable" comes back as ECONNREFUSED instead of silence. */
    if (c->fd < 0 || connect(c->fd, (const struct sockaddr *)&run->addr, run->addrlen) != 0) {
        snprintf(msg, sizeof msg, "%s: %s", c->fd < 0 ? "socket" : "connect", strerror(errno));
        gr_tc_usock_fail(l, c, msg);
        return;
    }
    if (gr_tc_ev_add(l->ep, c->fd, c) != 0) {
        snprintf(msg, sizeof msg, "watching the socket: %s", strerror(errno));
        gr_tc_usock_fail(l, c, msg);
    }
}

/* Resolve request s: answered or lost. Moves low past resolved requests. */
static void gr_tc_resolve(gr_tc_uloop_t *l, gr_tc_usock_t *c, uint64_t s, int fate)
{
    c->sent_ns[s % l->opt->depth] = 0;
    c->fate[s % l->fate_len] = (uint8_t)fate;
    while (c->low < c->next && c->sent_ns[c->low % l->opt->depth] == 0)
        c->low++;
}

/* Send what the window allows, in batches. */
static void gr_tc_usock_send(gr_tc_uloop_t *l, gr_tc_usock_t *c)
{
    const uint32_t size = l->opt->size, depth = l->opt->depth;
    for (;;) {
        uint64_t limit = c->low + depth < c->total ? c->low + depth : c->total;
        if (c->next >= limit)
            return;
        unsigned n = limit - c->next < GR_TC_UDP_BATCH ? (unsigned)(limit - c->next) : GR_TC_UDP_BATCH;
        for (unsigned i = 0; i < n; i++)
            gr_tc_packet_fill(l->sbuf + (size_t)i * size, size, c->id, c->next + i, 0);
        uint64_t now = gr_tc_now_ns();
        int w = gr_tc_sendmmsg(c->fd, l->smsgs, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == ECONNREFUSED) {
                /* The refusal was for an earlier datagram (nothing listened
                 * then); that request will time out. This one was not sent. */
                l->t->refused += errno == ECONNREFUSED;
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
                return; /* the writable edge brings us back */
            char msg[200];
            snprintf(msg, sizeof msg, "sendmmsg: %s", strerror(errno));
            gr_tc_usock_fail(l, c, msg);
            return;
        }
        for (int i = 0; i < w; i++) {
            c->sent_ns[(c->next + (uint64_t)i) % depth] = now;
            c->fate[(c->next + (uint64_t)i) % l->fate_len] = GR_TC_FATE_OPEN;
        }
        c->next += (uint64_t)w;
        l->t->bytes_sent += (uint64_t)w * size;
        if ((unsigned)w < n)
            return;
    }
}

/* One reply datagram. false when the socket failed on it. */
static bool gr_tc_usock_reply(gr_tc_uloop_t *l, gr_tc_usock_t *c, const uint8_t *p, size_t len, uint64_t now)
{
    gr_tc_thread_t *t = l->t;
    char err[400];
    uint64_t s = 0;
    if (gr_tc_packet_check(p, len, c->id, &s, err, sizeof err) != 0) {
        gr_tc_usock_fail(l, c, err);
        return false;
    }
    if (s >= c->next) {
        snprintf(err, sizeof err, "a reply for seq %" PRIu64 ", which was never sent", s);
        gr_tc_usock_fail(l, c, err);
        return false;
    }
    uint64_t *slot = &c->sent_ns[s % l->opt->depth];
    if (s >= c->low && *slot != 0) {
        gr_tc_hist_record(&t->hist, now - *slot);
        t->requests++;
        if (s < c->top)
            t->reordered++; /* a later request's reply came first */
        else
            c->top = s + 1;
        gr_tc_resolve(l, c, s, GR_TC_FATE_ANSWERED);
        return true;
    }
    /* Already resolved: late after its loss, or a second reply. */
    if (c->next - s <= l->fate_len && c->fate[s % l->fate_len] == GR_TC_FATE_ANSWERED) {
        snprintf(err, sizeof err, "a second reply for seq %" PRIu64 " (duplicated by the server?)", s);
        gr_tc_usock_fail(l, c, err);
        return false;
    }
    t->late++;
    return true;
}

/* Read every waiting reply (edge-triggered: until the queue is empty). */
static void gr_tc_usock_read(gr_tc_uloop_t *l, gr_tc_usock_t *c)
{
    const size_t room = (size_t)l->opt->size + 1;
    for (;;) {
        int n = gr_tc_recvmmsg(c->fd, l->rmsgs, GR_TC_UDP_BATCH, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ECONNREFUSED) {
                l->t->refused++; /* an ICMP report, consumed: read on */
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            char msg[200];
            snprintf(msg, sizeof msg, "recvmmsg: %s", strerror(errno));
            gr_tc_usock_fail(l, c, msg);
            return;
        }
        uint64_t now = gr_tc_now_ns();
        for (int i = 0; i < n; i++) {
            l->t->bytes_recv += l->rmsgs[i].msg_len;
            if (!gr_tc_usock_reply(l, c, l->rbuf + (size_t)i * room, l->rmsgs[i].msg_len, now))
                return;
        }
        if (n < GR_TC_UDP_BATCH)
            break;
    }
    if (!gr_tc_usock_finish(l, c))
        gr_tc_usock_send(l, c);
}

/* Requests past their time count as lost; their places in the window go to
 * new requests. Replies already waiting in the socket are read first: after
 * this thread was not scheduled for a while they are there, unread, and
 * are not lost. */
static void gr_tc_check_lost(gr_tc_uloop_t *l, uint64_t now)
{
    for (int i = 0; i < l->t->nconns; i++) {
        gr_tc_usock_t *c = &l->socks[i];
        if (c->state != GR_TC_UDP_RUNNING)
            continue;
        if (c->low < c->next && now - c->sent_ns[c->low % l->opt->depth] >= l->timeout_ns) {
            gr_tc_usock_read(l, c);
            if (c->state != GR_TC_UDP_RUNNING)
                continue;
        }
        bool any = false;
        while (c->low < c->next) {
            uint64_t sent = c->sent_ns[c->low % l->opt->depth];
            if (now - sent < l->timeout_ns)
                break;
            l->t->lost++;
            gr_tc_resolve(l, c, c->low, GR_TC_FATE_LOST);
            any = true;
        }
        if (any && !gr_tc_usock_finish(l, c))
            gr_tc_usock_send(l, c);
    }
}

static void gr_tc_udp_loop(gr_tc_uloop_t *l, uint64_t start_ns, uint64_t deadline_ns)
{
    for (int i = 0; i < l->t->nconns; i++)
        if (l->socks[i].state == GR_TC_UDP_RUNNING)
            gr_tc_usock_send(l, &l->socks[i]);
    /* Look for lost requests four times per timeout, at most every 100 ms. */
    uint64_t tick_ns = l->timeout_ns / 4;
    if (tick_ns > 100000000ull)
        tick_ns = 100000000ull;
    if (tick_ns < 1000000ull)
        tick_ns = 1000000ull;
    int tick_ms = (int)(tick_ns / 1000000ull);
    bool stopping = false;
    uint64_t next_check = start_ns + tick_ns;
    gr_tc_ev_t evs[GR_TC_MAX_EVENTS];
    while (l->active > 0) {
        int n = gr_tc_ev_wait(l->ep, evs, GR_TC_MAX_EVENTS, tick_ms);
        if (n < 0 && errno != EINTR) {
            char msg[200];
            snprintf(msg, sizeof msg, "%s: %s", gr_tc_ev_name(), strerror(errno));
            for (int i = 0; i < l->t->nconns; i++)
                if (l->socks[i].state == GR_TC_UDP_RUNNING)
                    gr_tc_usock_fail(l, &l->socks[i], msg);
            break;
        }
        for (int i = 0; i < n; i++) {
            gr_tc_usock_t *c = (gr_tc_usock_t *)evs[i].ptr;
            if (c->state != GR_TC_UDP_RUNNING)
                continue;
            if (evs[i].events & (GR_TC_EV_IN | GR_TC_EV_END))
                gr_tc_usock_read(l, c);
            else if (evs[i].events & GR_TC_EV_OUT)
                gr_tc_usock_send(l, c);
        }
        l->t->progress.store(l->t->requests, std::memory_order_relaxed);
        uint64_t now = gr_tc_now_ns();
        if (deadline_ns != 0 && !stopping && now >= deadline_ns) {
            stopping = true; /* send nothing more; wait for the replies owed */
            for (int i = 0; i < l->t->nconns; i++) {
                gr_tc_usock_t *c = &l->socks[i];
                if (c->state == GR_TC_UDP_RUNNING) {
                    c->total = c->next;
                    gr_tc_usock_finish(l, c);
                }
            }
        }
        if (now >= next_check) {
            next_check = now + tick_ns;
            gr_tc_check_lost(l, now);
        }
    }
}

void gr_tc_udp_thread_run(gr_tc_thread_t *t)
{
    const gr_tc_options_t *opt = t->run->opt;
    gr_tc_uloop_t *l = (gr_tc_uloop_t *)calloc(1, sizeof *l);
    bool setup_ok = l != NULL;
    if (setup_ok) {
        l->t = t;
        l->opt = opt;
        l->timeout_ns = (uint64_t)(opt->timeout * 1e9);
        /* Far enough back to tell a late reply from a duplicate for any
         * reply that comes within a few windows of its request. */
        l->fate_len = (uint64_t)opt->depth * 4 < 1024 ? 1024 : (uint64_t)opt->depth * 4;
        l->ep = gr_tc_ev_open();
        l->socks = (gr_tc_usock_t *)calloc((size_t)t->nconns, sizeof *l->socks);
        l->slots = (uint64_t *)calloc((size_t)t->nconns * opt->depth, sizeof *l->slots);
        l->fates = (uint8_t *)calloc((size_t)t->nconns * l->fate_len, 1);
        l->sbuf = (uint8_t *)malloc((size_t)GR_TC_UDP_BATCH * opt->size);
        l->rbuf = (uint8_t *)malloc((size_t)GR_TC_UDP_BATCH * (opt->size + 1));
        setup_ok = l->ep >= 0 && l->socks && l->slots && l->fates && l->sbuf && l->rbuf;
        for (int i = 0; setup_ok && i < GR_TC_UDP_BATCH; i++) {
            l->siov[i].iov_base = l->sbuf + (size_t)i * opt->size;
            l->siov[i].iov_len = opt->size;
            l->smsgs[i].msg_hdr.msg_iov = &l->siov[i];
            l->smsgs[i].msg_hdr.msg_iovlen = 1;
            l->riov[i].iov_base = l->rbuf + (size_t)i * (opt->size + 1);
            l->riov[i].iov_len = opt->size + 1;
            l->rmsgs[i].msg_hdr.msg_iov = &l->riov[i];
            l->rmsgs[i].msg_hdr.msg_iovlen = 1;
        }
    }
    if (!setup_ok) {
        fprintf(stderr, "thread %d: cannot set up: %s\n", t->index,
                l && l->ep < 0 ? strerror(errno) : "out of memory");
        t->errors = (uint64_t)t->nconns;
        t->run->errors.fetch_add(t->errors, std::memory_order_relaxed);
    } else {
        l->active = t->nconns;
        for (int i = 0; i < t->nconns; i++) {
            gr_tc_usock_t *c = &l->socks[i];
            c->state = GR_TC_UDP_RUNNING;
            c->id = (uint32_t)(t->index + i * opt->threads); /* dealt round-robin, as over TCP */
            c->total = opt->count != 0 ? opt->count : UINT64_MAX;
            c->sent_ns = l->slots + (size_t)i * opt->depth;
            c->fate = l->fates + (size_t)i * l->fate_len;
            gr_tc_usock_open(l, c);
        }
    }

    uint64_t start_ns, deadline_ns;
    if (gr_tc_wait_go(t, &start_ns, &deadline_ns) && setup_ok)
        gr_tc_udp_loop(l, start_ns, deadline_ns);
    t->end_ns = gr_tc_now_ns();
    t->progress.store(t->requests, std::memory_order_relaxed);

    if (l) {
        for (int i = 0; l->socks && i < t->nconns; i++)
            if (l->socks[i].fd >= 0 && l->socks[i].state == GR_TC_UDP_RUNNING)
                close(l->socks[i].fd);
        if (l->ep >= 0)
            close(l->ep);
        free(l->socks);
        free(l->slots);
        free(l->fates);
        free(l->sbuf);
        free(l->rbuf);
        free(l);
    }
    gr_tc_finished(t);
}
