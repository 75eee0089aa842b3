/* gr_udp_out.cpp - sending reply datagrams: gr_udp_send (sendmmsg in
 * batches, failures counted and skipped), used directly by the processing
 * threads when udp.out.disabled, and the udp_out threads, which take reply
 * batches from the processing threads and, when a socket's send buffer is
 * full, keep them (in order, up to GR_UDP_PENDING_BYTES per socket) until
 * it drains, so the processing threads never wait. */
#include <errno.h>
#include <stdlib.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_udp.h"

static bool send_buffer_full(int r)
{
    return r == -EAGAIN || r == -EWOULDBLOCK || r == -ENOBUFS;
}

static void count_failed(gr_thread_ctx_t *ctx, int n, int err)
{
    GR_COUNT(ctx, udp_send_failed, (uint64_t)n);
    ctx->server->udp->last_send_error.store(err, std::memory_order_relaxed);
}

int gr_udp_send(gr_thread_ctx_t *ctx, gr_socket_t fd, const gr_dgram_t *msgs, int n, bool keep)
{
    gr_dgram_io_t *io = ctx->udp->tx;
    int i = 0;
    while (i < n) {
        int r = gr_udp_send_batch(fd, io, msgs + i, n - i);
        if (r > 0) {
            uint64_t bytes = 0;
            for (int k = i; k < i + r; k++)
                bytes += msgs[k].len;
            GR_COUNT(ctx, udp_out, (uint64_t)r);
            GR_COUNT(ctx, bytes_out, bytes);
            i += r;
        } else if (send_buffer_full(r)) {
            if (keep)
                return i;
            count_failed(ctx, n - i, r); /* no one waits for a full buffer here */
            return n;
        } else {
            /* This datagram failed (too long, no route...): skip it. */
            GR_DEBUG("udp: send of %u bytes on fd %lld: %s", msgs[i].len, gr_socket_id(fd), gr_strerror(r));
            count_failed(ctx, 1, r);
            i++;
        }
    }
    return n;
}

/* ---------------------------------------------------------------- udp_out */

static void set_registered(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock, bool on)
{
    if (on == (sock->out_registered != 0))
        return;
    int rc = on ? gr_poll_add(ctx->poll, sock->fd, GR_POLL_OUT, sock) : gr_poll_del(ctx->poll, sock->fd);
    if (rc < 0)
        GR_ERROR("udp_out: poll %s fd %lld: %s", on ? "add" : "del", gr_socket_id(sock->fd), gr_strerror(rc));
    else
        sock->out_registered = on;
}

/* Send what sock has pending, in order, until its buffer is full. */
static void send_pending(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock)
{
    while (gr_udp_batch_t *b = sock->pending_head) {
        b->next += gr_udp_send(ctx, sock->fd, b->msgs + b->next, b->count - b->next, true);
        if (b->next < b->count)
            break;
        sock->pending_head = b->next_batch;
        if (!sock->pending_head)
            sock->pending_tail = NULL;
        sock->pending_bytes -= b->bytes;
        free(b);
    }
    set_registered(ctx, sock, sock->pending_head != NULL);
}

static void drop_pending(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock)
{
    while (gr_udp_batch_t *b = sock->pending_head) {
        sock->pending_head = b->next_batch;
        GR_COUNT(ctx, udp_dropped, (uint64_t)(b->count - b->next));
        free(b);
    }
    sock->pending_tail = NULL;
    sock->pending_bytes = 0;
    set_registered(ctx, sock, false);
}

static void take_batch(gr_thread_ctx_t *ctx, int ring, void *item)
{
    gr_udp_batch_t *b = (gr_udp_batch_t *)item;
    gr_udp_sock_t *sock = b->sock;
    if (sock->pending_head && sock->pending_bytes + b->bytes > GR_UDP_PENDING_BYTES) {
        GR_COUNT(ctx, udp_dropped, (uint64_t)b->count); /* the socket is that far behind: shed load */
        free(b);
        return;
    }
    b->next_batch = NULL;
    if (sock->pending_tail)
        sock->pending_tail->next_batch = b;
    else
        sock->pending_head = b;
    sock->pending_tail = b;
    sock->pending_bytes += b->bytes;
    if (sock->pending_head == b)
        send_pending(ctx, sock); /* otherwise it waits behind the others */
}

static void on_writable(gr_thread_ctx_t *ctx, void *udata, uint32_t events)
{
    send_pending(ctx, (gr_udp_sock_t *)udata);
}

void *gr_udp_out_main(void *arg)
{
    gr_thread_ctx_t *ctx = (gr_thread_ctx_t *)arg;
    if (gr_thread_begin(ctx) != GR_OK)
        return NULL;
    gr_consume_loop(ctx, on_writable, take_batch);
    /* Stopping: one last try for what waits, then it is dropped. */
    gr_udp_state_t *u = ctx->server->udp;
    for (int i = 0; i < u->count; i++) {
        gr_udp_sock_t *sock = &u->socks[i];
        if (sock->out_index != ctx->index || !sock->pending_head)
            continue;
        send_pending(ctx, sock);
        drop_pending(ctx, sock);
    }
    gr_thread_end(ctx);
    return NULL;
}
