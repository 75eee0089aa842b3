/* gr_sock_sys.h (Linux) - the calls posix/gr_socket_posix.cpp spells per
 * system, as inline functions so the common file has no #if in a function
 * body and the hot path (send) costs nothing extra. The same header exists
 * in bsd/freebsd/ and bsd/macos/; the build puts the system's folder on the
 * include path. For the platform files only. */
#ifndef GR_SOCK_SYS_H
#define GR_SOCK_SYS_H

#include <linux/sockios.h> /* SIOCOUTQ */
#include <sys/ioctl.h>
#include <sys/socket.h>

/* A close-on-exec socket of type, non-blocking when nonblock; -1 and errno
 * on failure. One call: no window in which a fork+exec elsewhere inherits
 * it. */
static inline int gr_sys_socket(int family, int type, int nonblock)
{
    return socket(family, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
}

/* Accept one connection as a non-blocking, close-on-exec socket. */
static inline int gr_sys_accept(int listener, struct sockaddr *sa, socklen_t *len)
{
    return accept4(listener, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/* send(2) flags: a peer that closed gives EPIPE, not SIGPIPE. */
#define GR_SYS_SEND_FLAGS MSG_NOSIGNAL

/* Bytes in the send queue, sent or not, that the peer has not acknowledged;
 * -1 when unknown. */
static inline long gr_sys_unacked(int fd)
{
    int n;
    return ioctl(fd, SIOCOUTQ, &n) == 0 ? (long)n : -1;
}

#endif
