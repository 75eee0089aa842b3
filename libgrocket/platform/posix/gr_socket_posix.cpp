/* gr_socket_posix.cpp - socket helpers on POSIX: listen / accept / connect,
 * and recv / send wrappers that return bytes or a negative errno and never
 * raise SIGPIPE ("host:port" parsing and formatting are every system's,
 * sockets/gr_addr_sockets.cpp).
 *
 * What systems spell differently (making a socket close-on-exec and
 * non-blocking, accept, no SIGPIPE, the send queue) comes from the
 * system's gr_sock_sys.h (linux/, bsd/freebsd/, bsd/macos/). */
#include "gr_sock_native.h"
#include "gr_sock_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "gr_error.h"

void gr_socket_startup(void) { signal(SIGPIPE, SIG_IGN); }

int gr_tcp_listen(const gr_addr_t *addr, int backlog, gr_addr_t *bound, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    int family = gr_addr_family(addr);
    int s = gr_sys_socket(family, SOCK_STREAM, 1);
    if (s < 0)
        return -errno;
    int err;
    /* SO_REUSEADDR: a restarted server can bind while old connections sit
     * in TIME_WAIT. */
    if ((err = gr_sock_set_int(s, SOL_SOCKET, SO_REUSEADDR, 1)) != 0)
        goto fail;
    /* V6ONLY: "[::]:80" means IPv6 only, whatever the sysctl default says;
     * listen on "0.0.0.0:80" as well for IPv4. */
    if (family == AF_INET6 && (err = gr_sock_set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, 1)) != 0)
        goto fail;
    if ((err = gr_socket_bind(gr_sock(s), addr, bound)) != 0)
        goto fail;
    if (listen(s, backlog > 0 ? backlog : SOMAXCONN) != 0) {
        err = -errno;
        goto fail;
    }
    *out = gr_sock(s);
    return 0;
fail:
    close(s);
    return err;
}

int gr_socket_bind(gr_socket_t s, const gr_addr_t *addr, gr_addr_t *bound)
{
    if (bind(gr_fd(s), gr_sa(addr), addr->len) != 0)
        return -errno;
    if (bound != NULL) {
        memset(bound, 0, sizeof(*bound));
        socklen_t len = sizeof(bound->ss);
        if (getsockname(gr_fd(s), gr_sa(bound), &len) != 0)
            return -errno;
        bound->len = len;
    }
    return 0;
}

int gr_tcp_accept(gr_socket_t listener, gr_socket_t *out, gr_addr_t *peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int s;
    do {
        s = gr_sys_accept(gr_fd(listener), (struct sockaddr *)&ss, &len);
    } while (s < 0 && errno == EINTR);
    if (s < 0)
        return -errno;
    /* Requests and replies are small and latency-bound; Nagle would hold a
     * reply back waiting for the peer's delayed ACK. A failure here (the
     * peer already reset) shows up on the first recv, so it is ignored. */
    gr_sock_set_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
    if (peer != NULL) {
        memset(peer, 0, sizeof(*peer));
        memcpy(peer->ss.bytes, &ss, len < sizeof(peer->ss) ? len : sizeof(peer->ss));
        peer->len = len;
    }
    *out = gr_sock(s);
    return 0;
}

int gr_tcp_connect(const gr_addr_t *addr, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    int s = gr_sys_socket(gr_addr_family(addr), SOCK_STREAM, 0);
    if (s < 0)
        return -errno;
    int err = 0;
    if (connect(s, gr_sa(addr), addr->len) != 0) {
        err = -errno;
        if (err == -EINTR) {
            /* An interrupted connect goes on in the background; calling it
             * again would say EALREADY. Wait for it and fetch its result. */
            struct pollfd pfd = {s, POLLOUT, 0};
            int rc;
            do {
                rc = poll(&pfd, 1, -1);
            } while (rc < 0 && errno == EINTR);
            socklen_t elen = sizeof(err);
            if (rc < 0)
                err = -errno;
            else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
                err = -errno;
            else
                err = -err;
        }
    }
    if (err != 0) {
        close(s);
        return err;
    }
    gr_sock_set_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
    *out = gr_sock(s);
    return 0;
}

int gr_socket_set_nonblock(gr_socket_t s, int on)
{
    int fl = fcntl(gr_fd(s), F_GETFL);
    if (fl < 0)
        return -errno;
    int want = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    if (want != fl && fcntl(gr_fd(s), F_SETFL, want) != 0)
        return -errno;
    return 0;
}

int gr_socket_set_nodelay(gr_socket_t s, int on)
{
    return gr_sock_set_int(gr_fd(s), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

void gr_socket_close(gr_socket_t s)
{
    /* Never retry close on EINTR: on Linux the fd is already gone and a
     * retry could close a descriptor another thread just opened. */
    if (gr_fd(s) >= 0)
        close(gr_fd(s));
}

long gr_socket_recv(gr_socket_t s, void *buf, size_t len)
{
    ssize_t n;
    do {
        n = recv(gr_fd(s), buf, len, 0);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (long)n;
}

long gr_socket_send(gr_socket_t s, const void *buf, size_t len)
{
    ssize_t n;
    /* No SIGPIPE: a peer that closed gives -EPIPE here instead of a signal
     * that would kill the server (MSG_NOSIGNAL, or SO_NOSIGPIPE on macOS). */
    do {
        n = send(gr_fd(s), buf, len, GR_SYS_SEND_FLAGS);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (long)n;
}

void gr_socket_shutdown_write(gr_socket_t s) { shutdown(gr_fd(s), SHUT_WR); }

int gr_socket_peek(gr_socket_t s)
{
    char byte;
    ssize_t r;
    do {
        r = recv(gr_fd(s), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : (int)r;
}

long gr_socket_unacked(gr_socket_t s) { return gr_sys_unacked(gr_fd(s)); }
