/* gr_dgram_one.cpp - gr_socket.h's datagram batches one datagram per
 * system call, for the systems that have no batch call (gr_dgram_one.h). */
#include "gr_dgram_one.h"

#include <errno.h>
#include <stdlib.h>

struct gr_dgram_io_t {
    int max;             /* datagrams per batch at most */
    gr_dgram_t *recv_d;  /* bound receive slots; NULL: not bound */
    uint32_t *recv_room; /* their rooms as bound (d[i].len is output meanwhile) */
    int recv_n;          /* how many */
};

gr_dgram_io_t *gr_dgram_io_new(int max)
{
    gr_dgram_io_t *io = (gr_dgram_io_t *)calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->max = max;
    io->recv_room = (uint32_t *)calloc((size_t)max, sizeof *io->recv_room);
    if (!io->recv_room) {
        gr_dgram_io_free(io);
        return NULL;
    }
    return io;
}

void gr_dgram_io_free(gr_dgram_io_t *io)
{
    if (!io)
        return;
    free(io->recv_room);
    free(io);
}

void gr_dgram_io_bind_recv(gr_dgram_io_t *io, gr_dgram_t *d, int n)
{
    io->recv_d = d;
    io->recv_n = n > io->max ? io->max : n;
    for (int i = 0; i < io->recv_n; i++)
        io->recv_room[i] = d[i].len;
}

int gr_udp_recv_bound(gr_socket_t s, gr_dgram_io_t *io, int wait)
{
    (void)wait; /* gr_udp_set_wait refuses: no socket here waits */
    int n = 0;
    while (n < io->recv_n) {
        int rc = gr__dgram_recv_one(s, &io->recv_d[n], io->recv_room[n]);
        if (rc < 0)
            return n > 0 ? n : rc; /* what came before the first "none" */
        n++;
    }
    return n;
}

int gr_udp_recv_batch(gr_socket_t s, gr_dgram_io_t *io, gr_dgram_t *d, int n)
{
    gr_dgram_io_bind_recv(io, d, n);
    return gr_udp_recv_bound(s, io, 0);
}

int gr_udp_set_wait(gr_socket_t s, int timeout_ms)
{
    /* A receive blocked in the system call cannot be relied on to return
     * at a shutdown (gr_udp_unblock) on these systems (their files say
     * why): udp_in waits in gr_poll instead. */
    (void)s;
    (void)timeout_ms;
    return -EOPNOTSUPP;
}

void gr_udp_unblock(gr_socket_t s) { (void)s; /* nothing waits in a receive */ }

int gr_udp_send_batch(gr_socket_t s, gr_dgram_io_t *io, const gr_dgram_t *d, int n)
{
    if (n > io->max)
        n = io->max;
    int sent = 0;
    for (; sent < n; sent++) {
        int rc = gr__dgram_send_one(s, &d[sent]);
        if (rc < 0)
            return sent > 0 ? sent : rc;
    }
    return sent;
}
