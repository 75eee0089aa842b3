/* gr_dgram_macos.cpp - UDP sockets on macOS: one datagram per system call
 * (recvmsg/sendmsg, looped by gr_dgram_one.cpp; macOS has no
 * recvmmsg/sendmmsg), and one socket per address. macOS's SO_REUSEPORT lets several sockets bind one
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
#include "gr_dgram_one.h"
#include "gr_sock_native.h"
#include "gr_sock_sys.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gr_error.h"

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

int gr__dgram_recv_one(gr_socket_t s, gr_dgram_t *d, uint32_t room)
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
        r = recvmsg(gr_fd(s), &h, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    d->len = (uint32_t)r;
    d->trunc = (h.msg_flags & MSG_TRUNC) != 0;
    d->addr.len = h.msg_namelen;
    return 0;
}

int gr__dgram_send_one(gr_socket_t s, const gr_dgram_t *d)
{
    struct iovec iov = {d->data, d->len};
    struct msghdr h;
    memset(&h, 0, sizeof h);
    h.msg_name = (void *)d->addr.ss.bytes;
    h.msg_namelen = d->addr.len;
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    ssize_t r;
    do
        r = sendmsg(gr_fd(s), &h, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

long long gr_udp_kernel_drops(gr_socket_t s)
{
    (void)s;
    return -1;
}
