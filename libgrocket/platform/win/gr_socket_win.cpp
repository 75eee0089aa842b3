/* gr_socket_win.cpp - gr_socket.h on Winsock: listen / accept / connect,
 * recv / send returning bytes or a negative errno (Winsock's codes mapped
 * onto <errno.h>'s names by gr_errno_win.cpp: WSAEWOULDBLOCK is -EAGAIN).
 *
 * What differs from POSIX: WSAStartup once (gr_sock_lib_once); listeners take
 * SO_EXCLUSIVEADDRUSE, not SO_REUSEADDR (which on Windows lets another
 * process bind the same port and steal connections; a listener can still
 * bind while old connections sit in TIME_WAIT); handles are made
 * non-inheritable (the counterpart of close-on-exec); non-blocking mode is
 * ioctlsocket(FIONBIO); there is no SIGPIPE to ignore. The address code is
 * every system's, sockets/gr_addr_sockets.cpp. */
#include "gr_sock_native.h"

#include <mstcpip.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "gr_error.h"
#include "gr_log.h"

static INIT_ONCE g_wsa_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK wsa_start(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once;
    (void)param;
    (void)ctx;
    WSADATA wsa;
    int rc = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (rc != 0) {
        char msg[256];
        GR_ERROR("WSAStartup: %s (WSA %d)", gr_win_message((unsigned long)rc, msg, sizeof msg), rc);
    }
    return TRUE;
}

void gr_sock_lib_once(void) { InitOnceExecuteOnce(&g_wsa_once, wsa_start, NULL, NULL); }

void gr_socket_startup(void) { gr_sock_lib_once(); }

int gr_win_socket(int family, int type, int protocol, int nonblock, SOCKET *out)
{
    gr_sock_lib_once();
    /* WSA_FLAG_NO_HANDLE_INHERIT (Windows 7 SP1 and later) makes the
     * handle non-inheritable in the same call; where it is refused, clear
     * the flag afterwards. WSA_FLAG_OVERLAPPED: the poll backend issues
     * overlapped requests about the socket. */
    SOCKET k = WSASocketW(family, type, protocol, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (k == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) {
        k = WSASocketW(family, type, protocol, NULL, 0, WSA_FLAG_OVERLAPPED);
        if (k != INVALID_SOCKET)
            SetHandleInformation((HANDLE)k, HANDLE_FLAG_INHERIT, 0);
    }
    if (k == INVALID_SOCKET)
        return gr_wsa_err();
    u_long on = 1;
    if (nonblock && ioctlsocket(k, FIONBIO, &on) != 0) {
        int err = gr_wsa_err();
        closesocket(k);
        return err;
    }
    *out = k;
    return 0;
}

int gr_tcp_listen(const gr_addr_t *addr, int backlog, gr_addr_t *bound, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    int family = gr_addr_family(addr);
    SOCKET s = INVALID_SOCKET;
    int err = gr_win_socket(family, SOCK_STREAM, IPPROTO_TCP, 1, &s);
    if (err != 0)
        return err;
    /* SO_EXCLUSIVEADDRUSE: no other socket may bind this address while we
     * hold it (SO_REUSEADDR would let one hijack it on Windows). */
    if ((err = gr_sock_set_int(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1)) != 0)
        goto fail;
    /* V6ONLY: "[::]:80" means IPv6 only, as on POSIX (Windows' default is
     * already on; said anyway). */
    if (family == AF_INET6 && (err = gr_sock_set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, 1)) != 0)
        goto fail;
    if ((err = gr_socket_bind(gr_sock(s), addr, bound)) != 0)
        goto fail;
    if (listen(s, backlog > 0 ? backlog : SOMAXCONN) != 0) {
        err = gr_wsa_err();
        goto fail;
    }
    *out = gr_sock(s);
    return 0;
fail:
    closesocket(s);
    return err;
}

int gr_socket_bind(gr_socket_t s, const gr_addr_t *addr, gr_addr_t *bound)
{
    if (bind(gr_sk(s), gr_sa(addr), (int)addr->len) != 0)
        return gr_wsa_err();
    if (bound != NULL) {
        memset(bound, 0, sizeof(*bound));
        int len = (int)sizeof(bound->ss);
        if (getsockname(gr_sk(s), gr_sa(bound), &len) != 0)
            return gr_wsa_err();
        bound->len = (uint32_t)len;
    }
    return 0;
}

int gr_tcp_accept(gr_socket_t listener, gr_socket_t *out, gr_addr_t *peer)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);
    SOCKET s = accept(gr_sk(listener), (struct sockaddr *)&ss, &len);
    if (s == INVALID_SOCKET)
        return gr_wsa_err();
    /* An accepted socket takes the listener's non-blocking mode, but not
     * certainly its inheritance: both said again. */
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    u_long on = 1;
    if (ioctlsocket(s, FIONBIO, &on) != 0) {
        int err = gr_wsa_err();
        closesocket(s);
        return err;
    }
    /* As on POSIX: no Nagle delay on small replies; a failure shows on the
     * first recv. */
    gr_sock_set_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
    if (peer != NULL) {
        memset(peer, 0, sizeof(*peer));
        memcpy(peer->ss.bytes, &ss, (size_t)len < sizeof(peer->ss) ? (size_t)len : sizeof(peer->ss));
        peer->len = (uint32_t)len;
    }
    *out = gr_sock(s);
    return 0;
}

int gr_tcp_connect(const gr_addr_t *addr, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    SOCKET s = INVALID_SOCKET;
    int err = gr_win_socket(gr_addr_family(addr), SOCK_STREAM, IPPROTO_TCP, 0, &s);
    if (err != 0)
        return err;
    if (connect(s, gr_sa(addr), (int)addr->len) != 0) {
        err = gr_wsa_err();
        closesocket(s);
        return err;
    }
    gr_sock_set_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
    *out = gr_sock(s);
    return 0;
}

int gr_socket_set_nonblock(gr_socket_t s, int on)
{
    u_long v = on ? 1 : 0;
    return ioctlsocket(gr_sk(s), FIONBIO, &v) == 0 ? 0 : gr_wsa_err();
}

int gr_socket_set_nodelay(gr_socket_t s, int on)
{
    return gr_sock_set_int(gr_sk(s), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

void gr_socket_close(gr_socket_t s)
{
    if (gr_socket_valid(s))
        closesocket(gr_sk(s));
}

/* Winsock counts in int: a larger buffer is taken in part, as a short
 * read or write, which every caller handles. */
static int cap_len(size_t len) { return len > (size_t)INT_MAX ? INT_MAX : (int)len; }

long gr_socket_recv(gr_socket_t s, void *buf, size_t len)
{
    int n = recv(gr_sk(s), (char *)buf, cap_len(len), 0);
    return n == SOCKET_ERROR ? (long)gr_wsa_err() : (long)n;
}

long gr_socket_send(gr_socket_t s, const void *buf, size_t len)
{
    /* No SIGPIPE on Windows: a peer that closed gives an error code. */
    int n = send(gr_sk(s), (const char *)buf, cap_len(len), 0);
    return n == SOCKET_ERROR ? (long)gr_wsa_err() : (long)n;
}

void gr_socket_shutdown_write(gr_socket_t s) { shutdown(gr_sk(s), SD_SEND); }

int gr_socket_peek(gr_socket_t s)
{
    /* No MSG_DONTWAIT on Windows, and the socket may be in blocking mode:
     * ask select, with no wait, whether a recv would return at once. */
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(gr_sk(s), &rd);
    struct timeval tv = {0, 0};
    int r = select(0, &rd, NULL, NULL, &tv);
    if (r == SOCKET_ERROR)
        return gr_wsa_err();
    if (r == 0)
        return -EAGAIN;
    char byte;
    int n = recv(gr_sk(s), &byte, 1, MSG_PEEK);
    if (n == SOCKET_ERROR)
        return gr_wsa_err();
    return n > 0 ? 1 : 0;
}

long gr_socket_unacked(gr_socket_t s)
{
    /* SIO_TCP_INFO (Windows 10 1703) has BytesInFlight, but Wine does not
     * answer it and older systems lack it: "cannot tell", as the seam
     * allows. */
    (void)s;
    return -1;
}
