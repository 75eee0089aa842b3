/* gr_udp_proc.cpp - processing datagrams, on a udp_in thread (worker
 * disabled) or a worker: each package through the module's proc with the
 * thread's UDP handle, the replies to one datagram gathered into one reply
 * datagram, and a batch's replies sent together (or handed to udp_out). */
#include <stdlib.h>
#include <string.h>

#include "gr_array.h"
#include "gr_error.h"
#include "gr_log.h"
#include "gr_udp.h"

/* Room for one more reply datagram; false when out of memory. */
static bool reply_room(gr_udp_thread_t *u)
{
    return gr_array_reserve2(&u->replies, &u->reply_off, &u->reply_cap, (size_t)u->reply_count + 1, 64);
}

void gr_udp_proc_dgram(gr_thread_ctx_t *ctx, const gr_addr_t *peer, const char *data, const uint32_t *lens,
                       uint32_t count)
{
    gr_udp_thread_t *u = ctx->udp;
    gr_conn_t *h = u->handle;
    int (*proc)(gr_conn_t *, const char *, size_t) = ctx->server->module.m.proc;
    size_t start = h->out.len;
    h->peer = *peer;
    gr_cb_t prev = gr_cb_enter(h, GR_CB_PROC);
    for (uint32_t k = 0; k < count; k++) {
        int rc = proc(h, data, lens[k]);
        GR_COUNT(ctx, processed, 1);
        data += lens[k];
        if (rc != GR_PROC_OK) {
            /* No connection to close: the rest of this datagram is skipped. */
            GR_COUNT(ctx, dropped, count - k - 1);
            break;
        }
    }
    gr_cb_leave(prev);
    size_t len = h->out.len - start;
    if (!len)
        return; /* nothing to say: nothing is sent */
    if (!reply_room(u)) {
        GR_COUNT(ctx, udp_send_failed, 1);
        h->out.len = start;
        return;
    }
    gr_dgram_t *r = &u->replies[u->reply_count];
    r->data = NULL; /* set once the buffer stops moving (flush) */
    r->len = (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len); /* too long to send either way: it fails, counted */
    r->addr = *peer;
    u->reply_off[u->reply_count++] = start;
}

/* Copy the queued replies into one batch for sock's udp_out thread. */
static void hand_to_udp_out(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock)
{
    gr_udp_thread_t *u = ctx->udp;
    gr_server_t *s = ctx->server;
    int n = u->reply_count;
    size_t bytes = u->handle->out.len;
    gr_udp_batch_t *b = (gr_udp_batch_t *)malloc(sizeof *b + (size_t)n * sizeof(gr_dgram_t) + bytes);
    if (!b) {
        GR_COUNT(ctx, udp_send_failed, (uint64_t)n);
        return;
    }
    b->sock = sock;
    b->count = n;
    b->next = 0;
    b->bytes = bytes;
    b->msgs = (gr_dgram_t *)(b + 1);
    b->next_batch = NULL;
    char *data = (char *)(b->msgs + n);
    memcpy(data, u->handle->out.data, bytes);
    for (int i = 0; i < n; i++) {
        b->msgs[i] = u->replies[i];
        b->msgs[i].data = data + u->reply_off[i];
    }
    /* The processing thread's index is its ring at udp_out: udp_out's
     * producers are the workers, or the udp_in threads when processing is
     * inline. */
    if (!gr_handoff_try(&s->groups[GR_GROUP_UDP_OUT][sock->out_index], ctx->index, b)) {
        GR_COUNT(ctx, udp_dropped, (uint64_t)n);
        free(b);
    }
}

void gr_udp_flush(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock)
{
    gr_udp_thread_t *u = ctx->udp;
    if (u->reply_count) {
        if (ctx->server->counts[GR_GROUP_UDP_OUT]) {
            hand_to_udp_out(ctx, sock);
        } else {
            for (int i = 0; i < u->reply_count; i++)
                u->replies[i].data = u->handle->out.data + u->reply_off[i];
            gr_udp_send(ctx, sock->fd, u->replies, u->reply_count, false);
        }
    }
    u->reply_count = 0;
    u->handle->out.off = u->handle->out.len = 0;
}

void gr_udp_run_job(gr_thread_ctx_t *ctx, gr_udp_job_t *job)
{
    const char *data = job->data;
    const uint32_t *lens = job->lens;
    for (uint32_t i = 0; i < job->count; i++) {
        const gr_udp_dgram_t *d = &job->dgrams[i];
        gr_udp_proc_dgram(ctx, &d->peer, data, lens, d->packages);
        for (uint32_t k = 0; k < d->packages; k++)
            data += lens[k];
        lens += d->packages;
    }
    gr_udp_flush(ctx, job->sock);
    free(job);
}
