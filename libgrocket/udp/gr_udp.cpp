/* gr_udp.cpp - the UDP side of the server object: binding the sockets of
 * udp:// listens, the per-thread UDP state, and the drop log. */
#include "gr_array.h"
#include "gr_udp.h"

#include <errno.h>
#include <new>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_error.h"
#include "gr_log.h"

static gr_udp_state_t *state_of(gr_server_t *s)
{
    if (s->udp)
        return s->udp;
    gr_udp_state_t *st = (gr_udp_state_t *)calloc(1, sizeof *st);
    if (!st)
        return NULL;
    new (&st->log_next_ms) std::atomic<int64_t>(0);
    for (int k = 0; k < GR_UDP_DROP_KINDS; k++)
        new (&st->logged[k]) std::atomic<uint64_t>(0);
    new (&st->last_send_error) std::atomic<int>(0);
    s->udp = st;
    return st;
}

/* Say what buffers the kernel gave, and warn when less than was asked:
 * without CAP_NET_ADMIN, net.core.rmem_max / wmem_max cap them. The kernel
 * reports twice the usable size (it counts its bookkeeping). */
static void log_buffers(const gr_settings_t *st, gr_socket_t fd, const char *url)
{
    int rcv = 0, snd = 0;
    if (gr_socket_buf_sizes(fd, &rcv, &snd) != 0)
        return;
    GR_INFO("%s: receive buffer %d bytes, send buffer %d bytes (as the kernel counts them)", url, rcv, snd);
    if (st->udp_recv_buf > 0 && rcv / 2 < st->udp_recv_buf)
        GR_WARN("%s: udp.recv_buf = %d, the kernel gave %d (raise net.core.rmem_max, or run with CAP_NET_ADMIN)",
                url, st->udp_recv_buf, rcv / 2);
    if (st->udp_send_buf > 0 && snd / 2 < st->udp_send_buf)
        GR_WARN("%s: udp.send_buf = %d, the kernel gave %d (raise net.core.wmem_max, or run with CAP_NET_ADMIN)",
                url, st->udp_send_buf, snd / 2);
}

int gr_udp_listen(gr_server_t *s, int i, const gr_addr_t *addr, char *err, size_t errlen)
{
    const gr_settings_t *st = &s->settings;
    const gr_listen_t *l = &st->listens[i];
    int n = st->udp_in_threads;
    gr_udp_state_t *u = state_of(s);
    if (!u || !gr_array_reserve(&u->socks, &u->cap, (size_t)u->count + n, (size_t)4 * n)) {
        snprintf(err, errlen, "out of memory binding %s", l->url);
        return GR_ENOMEM;
    }
    /* The first socket fixes the port (port 0: the kernel's choice); the
     * others join it. */
    gr_addr_t want = *addr;
    for (int k = 0; k < n; k++) {
        gr_addr_t bound;
        gr_socket_t fd;
        int rc = gr_udp_bind(&want, n > 1, st->udp_recv_buf, st->udp_send_buf, &bound, &fd);
        if (rc < 0) {
            snprintf(err, errlen, "cannot bind %s: %s", l->url, gr_strerror(rc));
            return rc;
        }
        gr_udp_sock_t *sock = &u->socks[u->count];
        memset(sock, 0, sizeof *sock);
        sock->fd = fd;
        sock->listen = i;
        sock->in_index = k;
        sock->out_index = u->count % st->udp_out_threads;
        u->count++;
        if (k == 0) {
            want = bound;
            s->listeners[i].bound = bound;
            log_buffers(st, fd, l->url);
        }
    }
    return GR_OK;
}

void gr_udp_unblock_all(gr_server_t *s)
{
    for (int i = 0; s->udp && i < s->udp->count; i++)
        gr_udp_unblock(s->udp->socks[i].fd);
}

void gr_udp_close(gr_server_t *s)
{
    gr_udp_state_t *u = s->udp;
    if (!u)
        return;
    for (int i = 0; i < u->count; i++)
        gr_socket_close(u->socks[i].fd);
    free(u->socks);
    free(u);
    s->udp = NULL;
}

/* A handle for the module: never a real connection (no socket, never
 * accepted, so freeing it calls no tcp_close). */
static gr_conn_t *handle_new(gr_server_t *s)
{
    gr_conn_t *h = gr_conn_new(s, GR_INVALID_SOCKET, NULL);
    if (h)
        h->is_udp = 1;
    return h;
}

int gr_udp_ctx_init(gr_thread_ctx_t *ctx)
{
    gr_server_t *s = ctx->server;
    const gr_settings_t *st = &s->settings;
    bool in = ctx->group == GR_GROUP_UDP_IN, out = ctx->group == GR_GROUP_UDP_OUT;
    bool proc = ctx->group == GR_GROUP_WORKER || (in && ctx->proc_id >= 0); /* udp_in processing inline */
    if (!s->udp || !(in || out || proc))
        return GR_OK;
    gr_udp_thread_t *u = (gr_udp_thread_t *)calloc(1, sizeof *u);
    if (!u)
        return GR_ENOMEM;
    ctx->udp = u;
    int batch = st->udp_in_batch;
    /* sendmmsg takes at most this many per call; more are sent in turns. */
    if (!(u->tx = gr_dgram_io_new(batch > 64 ? batch : 64)))
        return GR_ENOMEM;
    if ((in || proc) && !(u->handle = handle_new(s)))
        return GR_ENOMEM;
    if (!in)
        return GR_OK;
    size_t room = (size_t)st->udp_datagram_max;
    /* Slots a cache line apart from a multiple of 4 KiB, so the first bytes
     * of every datagram do not all land in the same cache set. */
    size_t stride = ((room + 63) & ~(size_t)63) + 64;
    u->rx_io = gr_dgram_io_new(batch);
    u->rx = (gr_dgram_t *)calloc((size_t)batch, sizeof *u->rx);
    u->rx_mem = (char *)malloc(stride * (size_t)batch);
    u->cut = (int32_t *)calloc((size_t)batch, sizeof *u->cut);
    u->dest = (int *)calloc((size_t)batch, sizeof *u->dest);
    if (!u->rx_io || !u->rx || !u->rx_mem || !u->cut || !u->dest)
        return GR_ENOMEM;
    for (int i = 0; i < batch; i++)
        u->rx[i].data = u->rx_mem + (size_t)i * stride;
    int workers = s->counts[GR_GROUP_WORKER];
    if (workers) {
        u->jobs = (gr_udp_job_t **)calloc((size_t)workers, sizeof *u->jobs);
        u->job_dgrams = (uint32_t *)calloc((size_t)workers, sizeof *u->job_dgrams);
        u->job_pkgs = (uint32_t *)calloc((size_t)workers, sizeof *u->job_pkgs);
        u->job_bytes = (size_t *)calloc((size_t)workers, sizeof *u->job_bytes);
        u->touched = (int *)calloc((size_t)workers, sizeof *u->touched);
        if (!u->jobs || !u->job_dgrams || !u->job_pkgs || !u->job_bytes || !u->touched)
            return GR_ENOMEM;
    }
    return GR_OK;
}

void gr_udp_ctx_free(gr_thread_ctx_t *ctx)
{
    gr_udp_thread_t *u = ctx->udp;
    if (!u)
        return;
    if (u->handle)
        gr_conn_unref(u->handle);
    free(u->replies);
    free(u->reply_off);
    gr_dgram_io_free(u->tx);
    gr_dgram_io_free(u->rx_io);
    free(u->rx);
    free(u->rx_mem);
    free(u->lens);
    free(u->cut);
    free(u->dest);
    free(u->jobs);
    free(u->job_dgrams);
    free(u->job_pkgs);
    free(u->job_bytes);
    free(u->touched);
    free(u);
    ctx->udp = NULL;
}

/* The server's drop totals, one per GR_UDP_DROP_* kind. */
static void drop_totals(gr_server_t *s, uint64_t t[GR_UDP_DROP_KINDS])
{
    memset(t, 0, GR_UDP_DROP_KINDS * sizeof t[0]);
    for (int g = 0; g < GR_GROUP_COUNT; g++)
        for (int i = 0; s->groups[g] && i < s->counts[g]; i++) {
            const gr_counters_t *c = &s->groups[g][i].counters;
            t[GR_UDP_DROP_OVERLOAD] += c->udp_dropped.load(std::memory_order_relaxed);
            t[GR_UDP_DROP_BAD] += c->udp_bad.load(std::memory_order_relaxed);
            t[GR_UDP_DROP_TRUNCATED] += c->udp_truncated.load(std::memory_order_relaxed);
            t[GR_UDP_DROP_KERNEL] += c->udp_kernel_drops.load(std::memory_order_relaxed);
            t[GR_UDP_DROP_SEND] += c->udp_send_failed.load(std::memory_order_relaxed);
        }
}

void gr_udp_log_drops(gr_server_t *s, int64_t now)
{
    gr_udp_state_t *u = s->udp;
    int64_t next = u->log_next_ms.load(std::memory_order_relaxed);
    if (now < next || !u->log_next_ms.compare_exchange_strong(next, now + 1000, std::memory_order_relaxed))
        return;
    uint64_t t[GR_UDP_DROP_KINDS], d[GR_UDP_DROP_KINDS];
    drop_totals(s, t);
    bool any = false;
    for (int k = 0; k < GR_UDP_DROP_KINDS; k++) {
        d[k] = t[k] - u->logged[k].load(std::memory_order_relaxed);
        u->logged[k].store(t[k], std::memory_order_relaxed);
        any = any || d[k];
    }
    if (!any)
        return;
    static const char *const what[GR_UDP_DROP_KINDS] = {
        "under overload (a full queue)",
        "bad (empty, refused by check, or ending inside a package)",
        "longer than udp.in.datagram_max",
        "by the kernel (receive buffer full: see udp.recv_buf)",
        "replies not sent",
    };
    char line[1024];
    size_t len = 0;
    for (int k = 0; k < GR_UDP_DROP_KINDS; k++)
        if (d[k] && len < sizeof line)
            len += (size_t)snprintf(line + len, sizeof line - len, "%s%llu %s", len ? ", " : "",
                                    (unsigned long long)d[k], what[k]);
    int e = u->last_send_error.load(std::memory_order_relaxed);
    if (d[GR_UDP_DROP_SEND] && e && len < sizeof line)
        snprintf(line + len, sizeof line - len, " (last error: %s)", gr_strerror(e));
    GR_WARN("udp: datagrams dropped since the last report: %s", line);
}
