/* gr_udp_in.cpp - udp_in threads: read their sockets in batches
 * (recvmmsg; waiting in the receive itself when a thread has one socket,
 * else on its poll), cut every datagram into packages with the module's check,
 * and process them inline (worker disabled) or hand them to the workers,
 * one job per worker per batch, the worker chosen by the sender's address.
 * Once a second they sample the kernel's drop counts and let the drop log
 * speak. Nothing here waits for another thread: a full ring drops the job. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gr_array.h"
#include "gr_async.h"
#include "gr_error.h"
#include "gr_log.h"
#include "gr_udp.h"

/* Batches read from one socket per readiness report before polling again,
 * so one busy socket does not starve another. */
#define GR_UDP_READS_PER_EVENT 4

/* Room for n more package lengths in u->lens; false when out of memory. */
static bool lens_room(gr_udp_thread_t *u, uint32_t used, uint32_t n)
{
    return gr_array_reserve(&u->lens, &u->lens_cap, (size_t)used + n, 256);
}

/* Cut datagram d into packages with the module's check, appending their
 * lengths to u->lens at *used. The package count, or -1 when the datagram
 * is dropped: a datagram carries whole packages, and one that is empty,
 * truncated, refused by check or ends inside a package is never answered. */
static int32_t cut(gr_thread_ctx_t *ctx, const gr_dgram_t *d, uint32_t *used)
{
    gr_udp_thread_t *u = ctx->udp;
    if (d->trunc) {
        GR_COUNT(ctx, udp_truncated, 1);
        return -1;
    }
    long (*check)(gr_conn_t *, const char *, size_t) = ctx->server->module.m.check;
    gr_conn_t *h = u->handle;
    h->peer = d->addr;
    uint32_t start = *used, n = start;
    size_t pos = 0;
    while (pos < d->len) {
        size_t avail = d->len - pos;
        gr_cb_t prev = gr_cb_enter(h, GR_CB_CONN);
        long rc = check(h, d->data + pos, avail);
        gr_cb_leave(prev);
        if (rc <= 0 || (size_t)rc > avail)
            break; /* refused, or the datagram ends inside the package */
        if (!lens_room(u, n, 1)) {
            GR_COUNT(ctx, udp_dropped, 1);
            return -1;
        }
        u->lens[n++] = (uint32_t)rc;
        pos += (size_t)rc;
    }
    if (pos < d->len || d->len == 0) {
        GR_COUNT(ctx, udp_bad, 1);
        return -1;
    }
    *used = n;
    GR_COUNT(ctx, packages, n - start);
    return (int32_t)(n - start);
}

/* Worker disabled: each datagram's packages processed here, in order. */
static void process_inline(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock, int n)
{
    gr_udp_thread_t *u = ctx->udp;
    for (int i = 0; i < n; i++) {
        uint32_t used = 0;
        int32_t k = cut(ctx, &u->rx[i], &used);
        if (k >= 0)
            gr_udp_proc_dgram(ctx, &u->rx[i].addr, u->rx[i].data, u->lens, (uint32_t)k);
    }
    gr_udp_flush(ctx, sock);
}

/* A job with room for what u->job_* counted for worker w. */
static gr_udp_job_t *job_new(gr_udp_thread_t *u, gr_udp_sock_t *sock, int w)
{
    size_t dg = u->job_dgrams[w] * sizeof(gr_udp_dgram_t), lens = u->job_pkgs[w] * sizeof(uint32_t);
    gr_udp_job_t *job = (gr_udp_job_t *)malloc(sizeof *job + dg + lens + u->job_bytes[w]);
    if (!job)
        return NULL;
    job->sock = sock;
    job->count = 0;
    job->packages = 0;
    job->dgrams = (gr_udp_dgram_t *)(job + 1);
    job->lens = (uint32_t *)((char *)job->dgrams + dg);
    job->data = (char *)job->lens + lens;
    return job;
}

/* Append datagram d (k packages, lengths at lens) to job; data goes right
 * after the bytes of the datagrams already in it. */
static void job_add(gr_udp_job_t *job, const gr_dgram_t *d, const uint32_t *lens, int32_t k, size_t *filled)
{
    gr_udp_dgram_t *jd = &job->dgrams[job->count++];
    jd->peer = d->addr;
    jd->packages = (uint32_t)k;
    memcpy(job->lens + job->packages, lens, (size_t)k * sizeof *lens);
    job->packages += (uint32_t)k;
    memcpy(job->data + *filled, d->data, d->len);
    *filled += d->len;
}

/* Worker enabled: one job per worker that gets any of the n datagrams
 * (copied: the receive buffers are reused at once), handed over without
 * waiting. A full ring or no memory drops the job, counted. */
static void dispatch(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock, int n)
{
    gr_server_t *s = ctx->server;
    gr_udp_thread_t *u = ctx->udp;
    int workers = s->counts[GR_GROUP_WORKER], touched = 0;
    uint32_t used = 0;
    for (int i = 0; i < n; i++) {
        int32_t k = u->cut[i] = cut(ctx, &u->rx[i], &used);
        if (k < 0)
            continue;
        int w = u->dest[i] = gr_udp_worker_of(&u->rx[i].addr, workers);
        if (!u->job_dgrams[w])
            u->touched[touched++] = w;
        u->job_dgrams[w]++;
        u->job_pkgs[w] += (uint32_t)k;
        u->job_bytes[w] += u->rx[i].len;
    }
    for (int t = 0; t < touched; t++) {
        int w = u->touched[t];
        u->jobs[w] = job_new(u, sock, w);
        u->job_bytes[w] = 0; /* from here: bytes filled in */
    }
    const uint32_t *lens = u->lens;
    for (int i = 0; i < n; i++) {
        int32_t k = u->cut[i];
        if (k < 0)
            continue;
        int w = u->dest[i];
        if (u->jobs[w])
            job_add(u->jobs[w], &u->rx[i], lens, k, &u->job_bytes[w]);
        lens += k;
    }
    for (int t = 0; t < touched; t++) {
        int w = u->touched[t];
        gr_udp_job_t *job = u->jobs[w];
        /* udp_in rings follow the tcp_in rings at a worker. */
        if (!job || !gr_handoff_try(&s->groups[GR_GROUP_WORKER][w], s->counts[GR_GROUP_IN] + ctx->index, job)) {
            GR_COUNT(ctx, udp_dropped, u->job_dgrams[w]);
            GR_COUNT(ctx, dropped, u->job_pkgs[w]);
            free(job);
        }
        u->jobs[w] = NULL;
        u->job_dgrams[w] = u->job_pkgs[w] = 0;
        u->job_bytes[w] = 0;
    }
}

/* What a receive call returned: n datagrams in u->rx, processed or handed
 * over; nothing (the socket is drained, shut down, or timed out); or an
 * error, logged once a second at most. */
static void take(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock, int n)
{
    gr_udp_thread_t *u = ctx->udp;
    if (n <= 0) {
        if (n < 0 && n != -EAGAIN && n != -EWOULDBLOCK) {
            int64_t now = gr_clock_ms();
            if (now >= u->recv_error_log_ms) {
                GR_ERROR("udp_in: receive on fd %lld: %s", gr_socket_id(sock->fd), gr_strerror(n));
                u->recv_error_log_ms = now + 1000;
            }
        }
        return;
    }
    uint64_t bytes = 0;
    for (int i = 0; i < n; i++)
        bytes += u->rx[i].len;
    GR_COUNT(ctx, udp_in, (uint64_t)n);
    GR_COUNT(ctx, bytes_in, bytes);
    ctx->udp->deliver(ctx, sock, n);
}

static void on_readable(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock)
{
    int batch = ctx->server->settings.udp_in_batch;
    for (int round = 0; round < GR_UDP_READS_PER_EVENT; round++) {
        int n = gr_udp_recv_bound(sock->fd, ctx->udp->rx_io, 0);
        take(ctx, sock, n);
        if (n < batch)
            return; /* the socket is drained */
    }
}

/* Once a second: the kernel's drop counts of this thread's sockets, and
 * the server's drop log. */
static void tick(gr_thread_ctx_t *ctx, int64_t now)
{
    gr_udp_state_t *st = ctx->server->udp;
    long long drops = 0;
    for (int i = 0; i < st->count; i++) {
        if (st->socks[i].in_index != ctx->index)
            continue;
        long long d = gr_udp_kernel_drops(st->socks[i].fd);
        if (d > 0)
            drops += d;
    }
    ctx->counters.udp_kernel_drops.store((uint64_t)drops, std::memory_order_relaxed);
    gr_udp_log_drops(ctx->server, now);
    ctx->udp->next_tick_ms = now + 1000;
}

void *gr_udp_in_main(void *arg)
{
    gr_thread_ctx_t *ctx = (gr_thread_ctx_t *)arg;
    gr_server_t *s = ctx->server;
    if (gr_thread_begin(ctx) != GR_OK)
        return NULL;
    gr_udp_state_t *st = s->udp;
    ctx->udp->deliver = ctx->proc_id >= 0 ? process_inline : dispatch; /* the mode, once */
    uint32_t room = (uint32_t)s->settings.udp_datagram_max;
    for (int i = 0; i < s->settings.udp_in_batch; i++)
        ctx->udp->rx[i].len = room;
    gr_dgram_io_bind_recv(ctx->udp->rx_io, ctx->udp->rx, s->settings.udp_in_batch); /* fixed slots */
    /* Read nothing until every thread started well: a job handed to a
     * worker whose start failed would never be taken. */
    bool serving = gr_wait_serving(ctx);
    gr_udp_sock_t *one = NULL; /* this thread's socket, when it has only one */
    int mine = 0;
    for (int i = 0; i < st->count; i++)
        if (st->socks[i].in_index == ctx->index) {
            one = &st->socks[i];
            mine++;
        }
    /* A thread that runs proc for a module of ABI 1.7 or later serves its
     * mailbox and timers (gr_async.h) between receives, so it waits in its
     * poll, which a post wakes, rather than in the receive. */
    bool serves_async = ctx->async && GR_ABI_VERSION_MINOR(s->module.m.abi_version) >= 7;
    if (mine != 1 || serves_async || gr_udp_set_wait(one->fd, 1000) != 0)
        one = NULL;
    for (int i = 0; serving && !one && i < st->count; i++) {
        if (st->socks[i].in_index != ctx->index)
            continue;
        int rc = gr_poll_add(ctx->poll, st->socks[i].fd, GR_POLL_IN, &st->socks[i]);
        if (rc < 0)
            GR_ERROR("udp_in: cannot poll fd %lld: %s", gr_socket_id(st->socks[i].fd), gr_strerror(rc));
    }
    gr_poll_event_t evs[GR_POLL_BATCH];
    while (serving && !s->stop[GR_GROUP_UDP_IN].load(std::memory_order_acquire)) {
        if (one) {
            /* One socket (one udp:// listen, the common case): wait in the
             * receive itself, as the simplest echo loop would, and save the
             * epoll_wait per batch. Woken at least once a second by the
             * socket's time-out, and at stop by gr_udp_unblock. */
            take(ctx, one, gr_udp_recv_bound(one->fd, ctx->udp->rx_io, 1));
        } else {
            /* A second at most, for the drop log. */
            int n = gr_poll_wait(ctx->poll, evs, GR_POLL_BATCH, ctx->async ? gr_async_timeout(ctx, 1000) : 1000);
            for (int i = 0; i < n; i++)
                if (evs[i].udata)
                    on_readable(ctx, (gr_udp_sock_t *)evs[i].udata);
            if (ctx->async)
                gr_async_run(ctx);
        }
        int64_t now = gr_clock_ms();
        if (now >= ctx->udp->next_tick_ms)
            tick(ctx, now);
    }
    if (serving)
        tick(ctx, gr_clock_ms()); /* the final kernel drop counts, for the totals */
    gr_thread_end(ctx);
    return NULL;
}
