/* gr_dgram_macos.cpp - UDP sockets on macOS: one datagram per system call
 * (recvmsg/sendmsg in a loop; macOS has no recvmmsg/sendmmsg), and one
 * socket per address. macOS's SO_REUSEPORT lets several sockets bind one
 * address but gives each unicast datagram to one of them, not spread by
 * sender, so grocket refuses more than one udp_in thread per udp:// listen
 * there (gr_udp_can_share_port; the configuration check names the key).
 * No per-socket drop count (-1: unknown), and no waiting inside the
 * receive (gr_udp_set_wait refuses; udp_in waits in gr_poll), as on
 * FreeBSD (gr_dgram_freebsd.cpp says why).
 *
 * Written from Apple's manual pages (recv(2), send(2), setsockopt(2)) and
 * never compiled on macOS (docs/architecture.md lists it; tests/bsd_decls
 * checks its syntax). */
#include "gr_sock_native.h"
#include "gr_sock_sys.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gr_error.h"

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

int gr_udp_can_share_port(void) { return 0; }

int gr_udp_bind(const gr_addr_t *addr, int reuseport, int rcvbuf, int sndbuf, gr_addr_t *bound, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    if (reuseport)
        return -EOPNOTSUPP; /* see the top of the file */
    int family = gr_addr_family(addr);
    int s = gr_sys_socket(family, SOCK_DGRAM, 1);
    if (s < 0)
        return -errno;
    int err = 0;
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

void gr_dgram_io_bind_recv(gr_dgram_io_t *io, gr_dgram_t *d, int n)
{
    io->recv_d = d;
    io->recv_n = n > io->max ? io->max : n;
    for (int i = 0; i < io->recv_n; i++)
        io->recv_room[i] = d[i].len;
}

/* One datagram into d (room bytes at d->data): 1, or -errno (-EAGAIN:
 * none waiting). */
static int recv_one(int fd, gr_dgram_t *d, uint32_t room)
{
    struct iovec iov = {d->data, room};
    struct msghdr h;
    memset(&h, 0, sizeof h);
    h.msg_name = (void *)d->addr.ss.bytes;
    h.msg_namelen = sizeof d->addr.ss;
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    ssize_t r;
    do
        r = recvmsg(fd, &h, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    d->len = (uint32_t)r;
    d->trunc = (h.msg_flags & MSG_TRUNC) != 0;
    d->addr.len = h.msg_namelen;
    return 1;
}

int gr_udp_recv_bound(gr_socket_t s, gr_dgram_io_t *io, int wait)
{
    (void)wait; /* gr_udp_set_wait refuses: no socket here waits */
    int n = 0;
    while (n < io->recv_n) {
        int rc = recv_one(gr_fd(s), &io->recv_d[n], io->recv_room[n]);
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
        struct iovec iov = {d[sent].data, d[sent].len};
        struct msghdr h;
        memset(&h, 0, sizeof h);
        h.msg_name = (void *)d[sent].addr.ss.bytes;
        h.msg_namelen = d[sent].addr.len;
        h.msg_iov = &iov;
        h.msg_iovlen = 1;
        ssize_t r;
        do
            r = sendmsg(gr_fd(s), &h, MSG_DONTWAIT);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return sent > 0 ? sent : -errno;
    }
    return sent;
}

long long gr_udp_kernel_drops(gr_socket_t s)
{
    (void)s;
    return -1;
}
