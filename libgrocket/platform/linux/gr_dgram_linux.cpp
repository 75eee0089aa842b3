/* gr_dgram_linux.cpp - UDP sockets on Linux: bind with SO_REUSEPORT, socket
 * buffers, batch receive and send with recvmmsg/sendmmsg (one system call
 * for a whole batch), and the kernel's own count of datagrams it dropped on
 * a full receive buffer (SO_MEMINFO).
 *
 * A platform without these calls gets a file of its own (recvfrom/sendto
 * one datagram at a time does the same job), chosen by CMake. */
#include "gr_sock_native.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gr_error.h"

struct gr_dgram_io_t {
    int max;                /* datagrams per call at most */
    struct mmsghdr *msgs;   /* max headers */
    struct iovec *iov;      /* one buffer per datagram */
    /* Bound to fixed receive slots (gr_dgram_io_bind_recv): only the
     * headers the last receive filled need setting again, since the kernel
     * writes back nothing but their address lengths, lengths and flags. */
    gr_dgram_t *recv_d;     /* the slots; NULL: not bound */
    struct iovec *recv_iov; /* their buffers and rooms as bound (d[i].len is output meanwhile) */
    int recv_n;             /* how many */
    int recv_used;          /* headers the last receive filled */
    int recv_stale;         /* a send used the headers: point them at the slots again */
};

gr_dgram_io_t *gr_dgram_io_new(int max)
{
    gr_dgram_io_t *io = (gr_dgram_io_t *)calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->max = max;
    io->msgs = (struct mmsghdr *)calloc((size_t)max, sizeof *io->msgs);
    io->iov = (struct iovec *)calloc((size_t)max, sizeof *io->iov);
    io->recv_iov = (struct iovec *)calloc((size_t)max, sizeof *io->recv_iov);
    if (!io->msgs || !io->iov || !io->recv_iov) {
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
    free(io->recv_iov);
    free(io);
}

int gr_udp_can_share_port(void) { return 1; }

/* SO_RCVBUFFORCE / SO_SNDBUFFORCE go past net.core.[rw]mem_max but need
 * CAP_NET_ADMIN; without it the plain option is capped by the sysctl. */
static int set_buf(int s, int force_opt, int opt, int bytes)
{
    if (bytes <= 0)
        return 0;
    if (gr_sock_set_int(s, SOL_SOCKET, force_opt, bytes) == 0)
        return 0;
    return gr_sock_set_int(s, SOL_SOCKET, opt, bytes);
}

int gr_udp_bind(const gr_addr_t *addr, int reuseport, int rcvbuf, int sndbuf, gr_addr_t *bound, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    int family = gr_addr_family(addr);
    int s = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    int err;
    if (reuseport && (err = gr_sock_set_int(s, SOL_SOCKET, SO_REUSEPORT, 1)) != 0)
        goto fail;
    /* As for TCP: "[::]:53" means IPv6 only; listen on 0.0.0.0 for IPv4. */
    if (family == AF_INET6 && (err = gr_sock_set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, 1)) != 0)
        goto fail;
    if ((err = set_buf(s, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf)) != 0 ||
        (err = set_buf(s, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf)) != 0 || (err = gr_socket_bind(gr_sock(s), addr, bound)) != 0)
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

/* Point io's first n headers at d[0..n): its buffers and addresses (the
 * room for one when receiving). Returns n, capped at io->max. */
static int point_at(gr_dgram_io_t *io, const gr_dgram_t *d, int n, bool recv)
{
    if (n > io->max)
        n = io->max;
    for (int i = 0; i < n; i++) {
        struct msghdr *h = &io->msgs[i].msg_hdr;
        io->iov[i].iov_base = d[i].data;
        io->iov[i].iov_len = d[i].len;
        h->msg_name = (void *)d[i].addr.ss.bytes;
        h->msg_namelen = recv ? sizeof d[i].addr.ss : d[i].addr.len;
    }
    return n;
}

void gr_dgram_io_bind_recv(gr_dgram_io_t *io, gr_dgram_t *d, int n)
{
    io->recv_d = d;
    io->recv_n = point_at(io, d, n, true);
    memcpy(io->recv_iov, io->iov, (size_t)io->recv_n * sizeof *io->iov);
    io->recv_used = 0;
    io->recv_stale = 0;
}

int gr_udp_recv_bound(gr_socket_t s, gr_dgram_io_t *io, int wait)
{
    gr_dgram_t *d = io->recv_d;
    int again = io->recv_used;
    if (io->recv_stale) { /* a send pointed the headers elsewhere */
        memcpy(io->iov, io->recv_iov, (size_t)io->recv_n * sizeof *io->iov);
        again = io->recv_n;
    }
    for (int i = 0; i < again; i++) {
        io->msgs[i].msg_hdr.msg_name = d[i].addr.ss.bytes;
        io->msgs[i].msg_hdr.msg_namelen = sizeof d[i].addr.ss;
    }
    io->recv_stale = 0;
    io->recv_used = 0;
    /* MSG_WAITFORONE: block for the first datagram only (on a socket made
     * to wait by gr_udp_set_wait), then take what else is queued. */
    int r;
    do {
        r = recvmmsg(gr_fd(s), io->msgs, (unsigned)io->recv_n, wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    io->recv_used = r;
    for (int i = 0; i < r; i++) {
        const struct mmsghdr *m = &io->msgs[i];
        /* A socket shut down for reading (gr_udp_unblock) with nothing
         * queued "receives" empty entries without a sender: the end. A real
         * datagram, even an empty one, always has a sender. */
        if (m->msg_hdr.msg_namelen == 0)
            return i;
        d[i].len = m->msg_len;
        d[i].trunc = (m->msg_hdr.msg_flags & MSG_TRUNC) != 0;
        d[i].addr.len = m->msg_hdr.msg_namelen;
    }
    return r;
}

int gr_udp_recv_batch(gr_socket_t s, gr_dgram_io_t *io, gr_dgram_t *d, int n)
{
    gr_dgram_io_bind_recv(io, d, n);
    return gr_udp_recv_bound(s, io, 0);
}

int gr_udp_set_wait(gr_socket_t s, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int rc = gr_socket_set_nonblock(s, 0);
    if (rc == 0 && setsockopt(gr_fd(s), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
        rc = -errno;
    return rc;
}

void gr_udp_unblock(gr_socket_t s)
{
    /* Linux wakes every reader of a UDP socket shut down for reading, and
     * says ENOTCONN for an unconnected one while doing so: ignored. */
    shutdown(gr_fd(s), SHUT_RD);
}

int gr_udp_send_batch(gr_socket_t s, gr_dgram_io_t *io, const gr_dgram_t *d, int n)
{
    io->recv_stale = 1; /* the headers no longer point at the receive slots */
    n = point_at(io, d, n, false);
    int r;
    do {
        r = sendmmsg(gr_fd(s), io->msgs, (unsigned)n, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

long long gr_udp_kernel_drops(gr_socket_t s)
{
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t len = sizeof mem;
    if (getsockopt(gr_fd(s), SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 || len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
        return -1;
    return (long long)mem[SK_MEMINFO_DROPS];
}
