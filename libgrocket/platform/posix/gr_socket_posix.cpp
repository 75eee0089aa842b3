/* gr_socket_posix.cpp - socket helpers on POSIX: "host:port" parsing and
 * formatting, listen / accept / connect, and recv / send wrappers that
 * return bytes or a negative errno and never raise SIGPIPE.
 *
 * What systems spell differently (making a socket close-on-exec and
 * non-blocking, accept, no SIGPIPE, the send queue) comes from the
 * system's gr_sock_sys.h (linux/, bsd/freebsd/, bsd/macos/). */
#include "gr_sock_native.h"
#include "gr_sock_sys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gr_error.h"

/* "0".."65535", digits only: strtol would accept "+80", " 80" and "80x". */
static int parse_port(const char *s)
{
    if (*s == '\0' || strlen(s) > 5)
        return -1;
    int port = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        port = port * 10 + (*s - '0');
    }
    return port <= 65535 ? port : -1;
}

/* A host name we are willing to hand to the resolver. Anything else is
 * refused here, without a (possibly slow) DNS query: names are letters,
 * digits, '-', '_' and '.', and a name made only of digits and dots is a
 * mistyped IPv4 literal ("1.2.3.400"), never a real host (RFC 1123 2.1). */
static int plausible_host_name(const char *h)
{
    int alpha = 0;
    for (const char *c = h; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '-' || *c == '_')
            alpha = 1;
        else if (!((*c >= '0' && *c <= '9') || *c == '.'))
            return 0;
    }
    return alpha;
}

static void set_port(gr_addr_t *a, int port)
{
    if (gr_addr_family(a) == AF_INET)
        ((struct sockaddr_in *)gr_sa(a))->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)gr_sa(a))->sin6_port = htons((uint16_t)port);
}

/* Resolve host with getaddrinfo; flags may hold AI_NUMERICHOST. The first
 * answer wins: it is the system's preferred order (gai.conf), so a server
 * and a client that both parse "localhost" agree on the family. */
static int resolve(gr_addr_t *out, const char *host, int family, int flags)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags;
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
        return GR_EINVAL;
    int rc = GR_EINVAL;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
            ai->ai_addrlen <= sizeof(out->ss)) {
            memset(out, 0, sizeof(*out));
            memcpy(out->ss.bytes, ai->ai_addr, ai->ai_addrlen);
            out->len = (uint32_t)ai->ai_addrlen;
            rc = 0;
            break;
        }
    }
    freeaddrinfo(res);
    return rc;
}

int gr_addr_parse(gr_addr_t *out, const char *host_port)
{
    if (out == NULL || host_port == NULL)
        return GR_EINVAL;
    char host[NI_MAXHOST];
    const char *port_str;
    int bracketed = host_port[0] == '[';
    if (bracketed) {
        const char *close = strchr(host_port, ']');
        if (close == NULL || close[1] != ':')
            return GR_EINVAL;
        size_t n = (size_t)(close - host_port - 1);
        if (n == 0 || n >= sizeof(host))
            return GR_EINVAL;
        memcpy(host, host_port + 1, n);
        host[n] = '\0';
        port_str = close + 2;
    } else {
        const char *colon = strrchr(host_port, ':');
        if (colon == NULL)
            return GR_EINVAL;
        size_t n = (size_t)(colon - host_port);
        /* A second colon means a bare IPv6 literal, where the port cannot be
         * told apart from the last group: "[::1]:80" is the only spelling. */
        if (n == 0 || n >= sizeof(host) || memchr(host_port, ':', n) != NULL)
            return GR_EINVAL;
        memcpy(host, host_port, n);
        host[n] = '\0';
        port_str = colon + 1;
    }
    int port = parse_port(port_str);
    if (port < 0)
        return GR_EINVAL;

    gr_addr_t a;
    memset(&a, 0, sizeof(a));
    if (bracketed) {
        /* getaddrinfo rather than inet_pton so "[fe80::1%eth0]" keeps its
         * scope id. */
        if (resolve(&a, host, AF_INET6, AI_NUMERICHOST) != 0)
            return GR_EINVAL;
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)gr_sa(&a);
        if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
            sin->sin_family = AF_INET;
            a.len = sizeof(*sin);
        } else if (!plausible_host_name(host) || resolve(&a, host, AF_UNSPEC, 0) != 0) {
            return GR_EINVAL;
        }
    }
    set_port(&a, port);
    *out = a;
    return 0;
}

const char *gr_addr_format(const gr_addr_t *a, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return buf;
    char host[NI_MAXHOST];
    if (a == NULL || (gr_addr_family(a) != AF_INET && gr_addr_family(a) != AF_INET6) ||
        getnameinfo(gr_sa(a), a->len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0) {
        snprintf(buf, len, "?");
        return buf;
    }
    if (gr_addr_family(a) == AF_INET6)
        snprintf(buf, len, "[%s]:%d", host, gr_addr_port(a));
    else
        snprintf(buf, len, "%s:%d", host, gr_addr_port(a));
    return buf;
}

int gr_addr_port(const gr_addr_t *a)
{
    if (a == NULL)
        return -1;
    if (gr_addr_family(a) == AF_INET)
        return ntohs(((const struct sockaddr_in *)gr_sa(a))->sin_port);
    if (gr_addr_family(a) == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)gr_sa(a))->sin6_port);
    return -1;
}

bool gr_addr_is_v6(const gr_addr_t *a) { return gr_addr_family(a) == AF_INET6; }

uint64_t gr_addr_hash(const gr_addr_t *a)
{
    uint64_t h;
    if (gr_addr_family(a) == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)gr_sa(a);
        uint64_t w[2];
        memcpy(w, &v6->sin6_addr, sizeof w);
        h = w[0] ^ w[1] ^ v6->sin6_port;
    } else {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)gr_sa(a);
        h = (uint64_t)v4->sin_addr.s_addr << 16 ^ v4->sin_port;
    }
    return h;
}

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
