/* gr_dgram_freebsd.cpp - UDP sockets on FreeBSD: several sockets on one
 * address with SO_REUSEPORT_LB (FreeBSD 12 and later: the kernel picks the
 * socket by a hash of the sender's address and port, as Linux's
 * SO_REUSEPORT does), socket buffers with SO_RCVBUF/SO_SNDBUF (capped by
 * kern.ipc.maxsockbuf; there is no *FORCE), batches with recvmmsg/sendmmsg
 * (FreeBSD 11 and later; libc implements them as a loop over
 * recvmsg/sendmsg, so a batch saves copies of the headers, not system
 * calls).
 *
 * Two things Linux has are left out on purpose. The kernel's count of
 * datagrams dropped on a full buffer is per protocol (netstat -s), not per
 * socket: gr_udp_kernel_drops says "unknown" (-1). And a udp_in thread does
 * not wait inside the receive (gr_udp_set_wait refuses): what shutdown(2)
 * does to a reader blocked on an unconnected datagram socket changed
 * between releases, and a stop must not hang on it; the thread waits in
 * gr_poll instead, woken like every other.
 *
 * Written from FreeBSD's manual pages (setsockopt(2), recv(2), send(2))
 * and never compiled on FreeBSD (docs/architecture.md lists it;
 * tests/bsd_decls checks its syntax). */
#include "gr_sock_native.h"
#include "gr_sock_sys.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gr_error.h"

struct gr_dgram_io_t {
    int max;                /* datagrams per call at most */
    struct mmsghdr *msgs;   /* max headers */
    struct iovec *iov;      /* one buffer per datagram */
    gr_dgram_t *recv_d;     /* bound receive slots (gr_dgram_io_bind_recv); NULL: not bound */
    uint32_t *recv_room;    /* their rooms as bound (d[i].len is output meanwhile) */
    int recv_n;             /* how many */
};

gr_dgram_io_t *gr_dgram_io_new(int max)
{
    gr_dgram_io_t *io = (gr_dgram_io_t *)calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->max = max;
    io->msgs = (struct mmsghdr *)calloc((size_t)max, sizeof *io->msgs);
    io->iov = (struct iovec *)calloc((size_t)max, sizeof *io->iov);
    io->recv_room = (uint32_t *)calloc((size_t)max, sizeof *io->recv_room);
    if (!io->msgs || !io->iov || !io->recv_room) {
        gr_dgram_io_free(io);
        return NULL;
    }
    for (int i = 0; i < max; i++) {
        io->msgs[i].msg_hdr.msg_iov = &io->iov[i];
        io->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    return io;
}

void gr_dgram_io_free(gr_dgram_io_t *io)
{
    if (!io)
        return;
    free(io->msgs);
    free(io->iov);
    free(io->recv_room);
    free(io);
}

int gr_udp_can_share_port(void) { return 1; }

int gr_udp_bind(const gr_addr_t *addr, int reuseport, int rcvbuf, int sndbuf, gr_addr_t *bound, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    int family = gr_addr_family(addr);
    int s = gr_sys_socket(family, SOCK_DGRAM, 1);
    if (s < 0)
        return -errno;
    int err = 0;
    /* Plain SO_REUSEPORT on FreeBSD lets the sockets share the address but
     * hands every unicast datagram to one of them; _LB spreads them. */
    if (reuseport && (err = gr_sock_set_int(s, SOL_SOCKET, SO_REUSEPORT_LB, 1)) != 0)
        goto fail;
    /* As for TCP: "[::]:53" means IPv6 only; listen on 0.0.0.0 for IPv4. */
    if (family == AF_INET6 && (err = gr_sock_set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, 1)) != 0)
        goto fail;
    if ((rcvbuf > 0 && (err = gr_sock_set_int(s, SOL_SOCKET, SO_RCVBUF, rcvbuf)) != 0) ||
        (sndbuf > 0 && (err = gr_sock_set_int(s, SOL_SOCKET, SO_SNDBUF, sndbuf)) != 0) ||
        (err = gr_socket_bind(gr_sock(s), addr, bound)) != 0)
        goto fail;
    *out = gr_sock(s);
    return 0;
fail:
    close(s);
    return err;
}

int gr_socket_buf_sizes(gr_socket_t s, int *rcvbuf, int *sndbuf)
{
    socklen_t len = sizeof *rcvbuf;
    if (getsockopt(gr_fd(s), SOL_SOCKET, SO_RCVBUF, rcvbuf, &len) != 0)
        return -errno;
    len = sizeof *sndbuf;
    if (getsockopt(gr_fd(s), SOL_SOCKET, SO_SNDBUF, sndbuf, &len) != 0)
        return -errno;
    return 0;
}

/* Point io's first n headers at d[0..n): to send their bytes to their
 * addresses, or (room != NULL) to receive into room[i] bytes at d[i].data
 * and an address. Returns n, capped at io->max. */
static int point_at(gr_dgram_io_t *io, const gr_dgram_t *d, int n, const uint32_t *room)
{
    if (n > io->max)
        n = io->max;
    for (int i = 0; i < n; i++) {
        struct msghdr *h = &io->msgs[i].msg_hdr;
        io->iov[i].iov_base = d[i].data;
        io->iov[i].iov_len = room ? room[i] : d[i].len;
        h->msg_name = (void *)d[i].addr.ss.bytes;
        h->msg_namelen = room ? sizeof d[i].addr.ss : d[i].addr.len;
        h->msg_flags = 0;
    }
    return n;
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
    gr_dgram_t *d = io->recv_d;
    /* Every header again, with the rooms the slots had when bound (a send
     * in between pointed the headers elsewhere). */
    int n = point_at(io, d, io->recv_n, io->recv_room);
    ssize_t r;
    do
        r = recvmmsg(gr_fd(s), io->msgs, (size_t)n, MSG_DONTWAIT, NULL);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    for (ssize_t i = 0; i < r; i++) {
        const struct mmsghdr *m = &io->msgs[i];
        d[i].len = (uint32_t)m->msg_len;
        d[i].trunc = (m->msg_hdr.msg_flags & MSG_TRUNC) != 0;
        d[i].addr.len = m->msg_hdr.msg_namelen;
    }
    return (int)r;
}

int gr_udp_recv_batch(gr_socket_t s, gr_dgram_io_t *io, gr_dgram_t *d, int n)
{
    gr_dgram_io_bind_recv(io, d, n);
    return gr_udp_recv_bound(s, io, 0);
}

int gr_udp_set_wait(gr_socket_t s, int timeout_ms)
{
    (void)s;
    (void)timeout_ms;
    return -EOPNOTSUPP; /* see the top of the file */
}

void gr_udp_unblock(gr_socket_t s) { (void)s; /* nothing waits in a receive */ }

int gr_udp_send_batch(gr_socket_t s, gr_dgram_io_t *io, const gr_dgram_t *d, int n)
{
    n = point_at(io, d, n, NULL);
    ssize_t r;
    do
        r = sendmmsg(gr_fd(s), io->msgs, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : (int)r;
}

long long gr_udp_kernel_drops(gr_socket_t s)
{
    (void)s;
    return -1; /* per protocol only (netstat -s -p udp), not per socket */
}
