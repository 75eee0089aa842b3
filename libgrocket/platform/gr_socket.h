/* gr_socket.h - sockets behind the platform seam: address parsing, listen,
 * non-blocking accept/recv/send, with no system header. Errors are 0 or a
 * negative errno-style code (<errno.h>'s names; the Windows side maps its
 * WSA codes onto them), never folded into a socket value: functions that
 * make a socket return it through an out-parameter.
 * posix/gr_socket_posix.cpp; datagram batches per system (gr_dgram_*.cpp). */
#ifndef GR_SOCKET_H
#define GR_SOCKET_H

#include <stddef.h>
#include <stdint.h>

/* A socket: a descriptor on POSIX, a SOCKET on Windows. A struct, so that
 * it cannot be mixed up with an int or an error code. */
typedef struct gr_socket_t {
    intptr_t h;
} gr_socket_t;
#define GR_INVALID_SOCKET_VALUE ((intptr_t)-1) /* also Windows' INVALID_SOCKET */
static inline gr_socket_t gr_socket_invalid(void) { gr_socket_t s = {GR_INVALID_SOCKET_VALUE}; return s; }
#define GR_INVALID_SOCKET (gr_socket_invalid())
static inline bool gr_socket_valid(gr_socket_t s) { return s.h != GR_INVALID_SOCKET_VALUE; }
static inline bool gr_socket_same(gr_socket_t a, gr_socket_t b) { return a.h == b.h; }
/* For log lines: "fd %lld". */
static inline long long gr_socket_id(gr_socket_t s) { return (long long)s.h; }

/* An address to listen on or connect to (IPv4 or IPv6): the system's
 * sockaddr, opaque above the platform. 28 bytes (a sockaddr_in6) instead
 * of sockaddr_storage's 128, which matters in every connection. */
typedef struct gr_addr_t {
    union {
        unsigned char bytes[28];
        uint64_t align;
    } ss;
    uint32_t len;
} gr_addr_t;

/* Parse "HOST:PORT" where HOST is an IPv4 literal, "[IPv6]", or a name
 * resolved with getaddrinfo (numeric preferred). Returns 0 or GR_EINVAL. */
int gr_addr_parse(gr_addr_t *out, const char *host_port);
/* "1.2.3.4:80" / "[::1]:80" into buf; returns buf. */
const char *gr_addr_format(const gr_addr_t *a, char *buf, size_t len);
int gr_addr_port(const gr_addr_t *a);
bool gr_addr_is_v6(const gr_addr_t *a);
/* A hash of the address and port, to pin one sender to one thread. */
uint64_t gr_addr_hash(const gr_addr_t *a);

/* Once per process before sockets are used: a peer closing while we send
 * must be an error code, not a signal (SIGPIPE) or an uninitialised
 * library (Winsock). Idempotent. */
void gr_socket_startup(void);

/* Non-blocking listening TCP socket with SO_REUSEADDR (and IPV6_V6ONLY for
 * IPv6) into *out. 0 or -errno; *bound gets the real address (port 0 gets
 * a port from the kernel). */
int gr_tcp_listen(const gr_addr_t *addr, int backlog, gr_addr_t *bound, gr_socket_t *out);
/* Bind s to addr; *bound (when not NULL) gets the real address. 0 or -errno. */
int gr_socket_bind(gr_socket_t s, const gr_addr_t *addr, gr_addr_t *bound);
/* Accept one connection, non-blocking and close-on-exec, into *out.
 * 0 or -errno (-EAGAIN when none is waiting). */
int gr_tcp_accept(gr_socket_t listener, gr_socket_t *out, gr_addr_t *peer);
/* Blocking connect, for clients and tests, into *out. 0 or -errno. */
int gr_tcp_connect(const gr_addr_t *addr, gr_socket_t *out);
/* Begin a non-blocking connect (outbound connections): 0 when connected
 * already, 1 when it goes on (wait for writability, then
 * gr_socket_error), or a negative errno. *out is non-blocking, TCP_NODELAY. */
int gr_tcp_connect_start(const gr_addr_t *addr, gr_socket_t *out);
/* The socket's pending error (SO_ERROR) as a negative errno; 0 when none. */
int gr_socket_error(gr_socket_t s);

int gr_socket_set_nonblock(gr_socket_t s, int on);
int gr_socket_set_nodelay(gr_socket_t s, int on);
void gr_socket_close(gr_socket_t s);

/* recv/send without SIGPIPE; bytes (0 = peer closed for recv) or -errno. */
long gr_socket_recv(gr_socket_t s, void *buf, size_t len);
long gr_socket_send(gr_socket_t s, const void *buf, size_t len);
/* Stop sending: the peer reads what was sent, then end of stream. */
void gr_socket_shutdown_write(gr_socket_t s);
/* Look without taking or blocking: 1 when bytes wait, 0 at end of stream,
 * -errno otherwise (-EAGAIN: nothing yet). */
int gr_socket_peek(gr_socket_t s);
/* Bytes sent that the peer has not acknowledged yet (they can still be
 * lost to a reset); -1 when the system cannot tell. */
long gr_socket_unacked(gr_socket_t s);

/* ---- UDP (one file per system like gr_poll: linux/gr_dgram_linux.cpp
 * recvmmsg/sendmmsg, bsd/gr_dgram_freebsd.cpp; bsd/gr_dgram_macos.cpp and
 * win/gr_dgram_win.cpp one datagram per call, looped by gr_dgram_one.cpp)
 * ---- */

/* One datagram of a batch call. */
typedef struct gr_dgram_t {
    char *data;       /* recv: where to receive; send: the bytes */
    uint32_t len;     /* recv: in, the room at data; out, the bytes received. send: the bytes */
    uint32_t trunc;   /* recv: the datagram was longer than the room; the rest is lost */
    gr_addr_t addr;   /* recv: the sender; send: the destination */
} gr_dgram_t;

/* The system's scratch for a batch call of up to max datagrams (mmsghdr and
 * iovec arrays on Linux); one per thread. NULL when out of memory. */
typedef struct gr_dgram_io_t gr_dgram_io_t;
gr_dgram_io_t *gr_dgram_io_new(int max);
void gr_dgram_io_free(gr_dgram_io_t *io);

/* Whether several sockets can share one UDP address with the kernel
 * spreading datagrams over them by sender (gr_udp_bind's reuseport):
 * SO_REUSEPORT on Linux, SO_REUSEPORT_LB on FreeBSD; macOS cannot, so it
 * gets one udp_in thread per listen (the settings check refuses more). */
int gr_udp_can_share_port(void);

/* Non-blocking UDP socket bound to addr (IPV6_V6ONLY for IPv6), into *out.
 * reuseport: several sockets share the address and the kernel hands each
 * datagram to one of them chosen by a hash of the sender's address, so one
 * sender always reaches the same socket. rcvbuf/sndbuf > 0 set the socket
 * buffers (SO_RCVBUFFORCE where allowed, else SO_RCVBUF, capped by the
 * system). 0 or -errno; *bound gets the real address. */
int gr_udp_bind(const gr_addr_t *addr, int reuseport, int rcvbuf, int sndbuf, gr_addr_t *bound, gr_socket_t *out);
/* The socket's buffer sizes as the kernel reports them; 0 or -errno. */
int gr_socket_buf_sizes(gr_socket_t s, int *rcvbuf, int *sndbuf);
/* Receive up to n datagrams into d[0..n) without blocking: the count
 * (>= 1), or -errno (-EAGAIN when none is waiting); 0 once the socket was
 * shut down for reading (gr_udp_unblock) and nothing is left. */
int gr_udp_recv_batch(gr_socket_t s, gr_dgram_io_t *io, gr_dgram_t *d, int n);
/* The same for fixed receive slots, set up once: bind io to d[0..n) (each
 * entry's data and len = its room stay as they are while bound), then each
 * gr_udp_recv_bound fills d[0..count) (len, trunc, addr) and sets up again
 * only the headers the last call filled. wait: on a socket prepared with
 * gr_udp_set_wait, block for the first datagram (up to its time-out: then
 * -EAGAIN) and take what else is queued: one system call per batch and no
 * poll, for a thread with one socket. */
void gr_dgram_io_bind_recv(gr_dgram_io_t *io, gr_dgram_t *d, int n);
int gr_udp_recv_bound(gr_socket_t s, gr_dgram_io_t *io, int wait);
/* Make s's receives wait, up to timeout_ms (sends stay non-blocking: they
 * pass MSG_DONTWAIT). 0 or -errno; -EOPNOTSUPP where the system does not
 * offer it (the BSDs: the caller waits in gr_poll instead). */
int gr_udp_set_wait(gr_socket_t s, int timeout_ms);
/* Shut s down for reading: a gr_udp_recv_wait blocked on it returns at
 * once (0 when nothing is left). Sending still works. */
void gr_udp_unblock(gr_socket_t s);
/* Send d[0..n) in order: the count sent from the front (>= 1), or -errno
 * when d[0] could not be sent (-EAGAIN: the send buffer is full). */
int gr_udp_send_batch(gr_socket_t s, gr_dgram_io_t *io, const gr_dgram_t *d, int n);
/* Datagrams the kernel dropped on s because its receive buffer was full,
 * since s was opened; -1 when the system does not say. */
long long gr_udp_kernel_drops(gr_socket_t s);

#endif
