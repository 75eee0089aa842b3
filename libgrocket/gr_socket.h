/* gr_socket.h - socket helpers: address parsing, listen, non-blocking
 * accept/recv/send wrappers that return bytes or a negative errno. */
#ifndef GR_SOCKET_H
#define GR_SOCKET_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef int gr_socket_t;
#define GR_INVALID_SOCKET (-1)

/* An address to listen on or connect to (IPv4 or IPv6). */
typedef struct gr_addr_t {
    /* IPv4 or IPv6 only: 28 bytes instead of sockaddr_storage's 128, which
     * matters in every connection. */
    union {
        struct sockaddr sa;
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } ss;
    socklen_t len;
} gr_addr_t;

/* Parse "HOST:PORT" where HOST is an IPv4 literal, "[IPv6]", or a name
 * resolved with getaddrinfo (numeric preferred). Returns 0 or GR_EINVAL. */
int gr_addr_parse(gr_addr_t *out, const char *host_port);
/* "1.2.3.4:80" / "[::1]:80" into buf; returns buf. */
const char *gr_addr_format(const gr_addr_t *a, char *buf, size_t len);
int gr_addr_port(const gr_addr_t *a);

/* Non-blocking listening TCP socket with SO_REUSEADDR (and IPV6_V6ONLY for
 * IPv6). Returns the socket or a negative errno; *bound gets the real
 * address (port 0 gets a port from the kernel). */
gr_socket_t gr_tcp_listen(const gr_addr_t *addr, int backlog, gr_addr_t *bound);
/* Accept one connection, non-blocking and close-on-exec. Returns the socket
 * or a negative errno (-EAGAIN when none is waiting). */
gr_socket_t gr_tcp_accept(gr_socket_t listener, gr_addr_t *peer);
/* Blocking connect, for clients and tests. Socket or negative errno. */
gr_socket_t gr_tcp_connect(const gr_addr_t *addr);

int gr_socket_set_nonblock(gr_socket_t s, int on);
int gr_socket_set_nodelay(gr_socket_t s, int on);
void gr_socket_close(gr_socket_t s);

/* recv/send without SIGPIPE; bytes (0 = peer closed for recv) or -errno. */
long gr_socket_recv(gr_socket_t s, void *buf, size_t len);
long gr_socket_send(gr_socket_t s, const void *buf, size_t len);

#endif
