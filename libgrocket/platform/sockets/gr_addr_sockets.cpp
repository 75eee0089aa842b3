/* gr_addr_sockets.cpp - gr_socket.h's addresses for every system: "host:port"
 * parsing and formatting, port, family and hash, on the socket calls POSIX
 * and Winsock share (getaddrinfo, inet_pton, getnameinfo), with the
 * system's sockaddr from its gr_sock_native.h (posix/ or win/). */
#include "gr_sock_native.h"

#include <stdio.h>
#include <string.h>

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
    gr_sock_lib_once(); /* Winsock: getaddrinfo needs it started */
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
    gr_sock_lib_once();
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
