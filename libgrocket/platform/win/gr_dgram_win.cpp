/* gr_dgram_win.cpp - UDP sockets on Winsock: one datagram per system call
 * (recvfrom/sendto, looped by gr_dgram_one.cpp; Windows has no
 * recvmmsg/sendmmsg), one socket per address. Windows cannot spread one
 * UDP port over several sockets by sender (SO_REUSEADDR there hands every
 * datagram to one of them, and SO_EXCLUSIVEADDRUSE forbids sharing), so a
 * udp:// listen gets one udp_in thread (gr_udp_can_share_port; the
 * configuration check names the key). No per-socket drop count, and no
 * waiting inside the receive (a receive blocked in recvfrom is not woken
 * by a shutdown on Windows, so gr_udp_unblock could not keep its promise;
 * udp_in waits in gr_poll), as on the BSDs.
 *
 * SIO_UDP_CONNRESET is turned off: otherwise an ICMP "port unreachable"
 * for a reply we sent makes the socket's next recvfrom fail with
 * WSAECONNRESET, which on a server socket shared by all senders means
 * nothing. */
#include "gr_dgram_one.h"
#include "gr_sock_native.h"

#include <mstcpip.h>

#include <errno.h>

#include "gr_error.h"

#ifndef SIO_UDP_CONNRESET
#define SIO_UDP_CONNRESET _WSAIOW(IOC_VENDOR, 12)
#endif

int gr_udp_can_share_port(void) { return 0; }

int gr_udp_bind(const gr_addr_t *addr, int reuseport, int rcvbuf, int sndbuf, gr_addr_t *bound, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    if (reuseport)
        return -EOPNOTSUPP; /* see the top of the file */
    int family = gr_addr_family(addr);
    SOCKET s = INVALID_SOCKET;
    int err = gr_win_socket(family, SOCK_DGRAM, IPPROTO_UDP, 1, &s);
    if (err != 0)
        return err;
    BOOL off = FALSE;
    DWORD got = 0;
    if (WSAIoctl(s, SIO_UDP_CONNRESET, &off, sizeof off, NULL, 0, &got, NULL, NULL) != 0) {
        err = gr_wsa_err();
        goto fail;
    }
    if ((err = gr_sock_set_int(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1)) != 0)
        goto fail;
    if (family == AF_INET6 && (err = gr_sock_set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, 1)) != 0)
        goto fail;
    if ((rcvbuf > 0 && (err = gr_sock_set_int(s, SOL_SOCKET, SO_RCVBUF, rcvbuf)) != 0) ||
        (sndbuf > 0 && (err = gr_sock_set_int(s, SOL_SOCKET, SO_SNDBUF, sndbuf)) != 0) ||
        (err = gr_socket_bind(gr_sock(s), addr, bound)) != 0)
        goto fail;
    *out = gr_sock(s);
    return 0;
fail:
    closesocket(s);
    return err;
}

int gr_socket_buf_sizes(gr_socket_t s, int *rcvbuf, int *sndbuf)
{
    int len = sizeof *rcvbuf;
    if (getsockopt(gr_sk(s), SOL_SOCKET, SO_RCVBUF, (char *)rcvbuf, &len) != 0)
        return gr_wsa_err();
    len = sizeof *sndbuf;
    if (getsockopt(gr_sk(s), SOL_SOCKET, SO_SNDBUF, (char *)sndbuf, &len) != 0)
        return gr_wsa_err();
    return 0;
}

int gr__dgram_recv_one(gr_socket_t s, gr_dgram_t *d, uint32_t room)
{
    int alen = (int)sizeof d->addr.ss;
    int r = recvfrom(gr_sk(s), d->data, room > INT32_MAX ? INT32_MAX : (int)room, 0, gr_sa(&d->addr), &alen);
    if (r == SOCKET_ERROR) {
        /* A datagram longer than the room: Windows fills the room, drops
         * the rest and says WSAEMSGSIZE, where POSIX sets MSG_TRUNC. */
        if (WSAGetLastError() != WSAEMSGSIZE)
            return gr_wsa_err();
        d->len = room;
        d->trunc = 1;
    } else {
        d->len = (uint32_t)r;
        d->trunc = 0;
    }
    d->addr.len = (uint32_t)alen;
    return 0;
}

int gr__dgram_send_one(gr_socket_t s, const gr_dgram_t *d)
{
    int r = sendto(gr_sk(s), d->data, (int)d->len, 0, gr_sa(&d->addr), (int)d->addr.len);
    return r == SOCKET_ERROR ? gr_wsa_err() : 0;
}

long long gr_udp_kernel_drops(gr_socket_t s)
{
    (void)s;
    return -1;
}
