/* gr_sock_sys.h (FreeBSD) - the calls posix/gr_socket_posix.cpp spells per
 * system (linux/gr_sock_sys.h says why it is a header). FreeBSD 10 and
 * later have accept4, SOCK_NONBLOCK, SOCK_CLOEXEC and MSG_NOSIGNAL, as
 * Linux does; the send queue is FIONWRITE. Written from FreeBSD's manual
 * pages (socket(2), accept(2), send(2), ioctl(2), tcp(4)); never compiled
 * on FreeBSD (docs/architecture.md lists it; tests/bsd_decls checks its
 * syntax). */
#ifndef GR_SOCK_SYS_H
#define GR_SOCK_SYS_H

#include <sys/filio.h> /* FIONWRITE */
#include <sys/ioctl.h>
#include <sys/socket.h>

/* A close-on-exec socket of type, non-blocking when nonblock. */
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

/* FIONWRITE: the bytes in the send queue (unsent and unacknowledged), the
 * same count as Linux's SIOCOUTQ. */
static inline long gr_sys_unacked(int fd)
{
    int n;
    return ioctl(fd, FIONWRITE, &n) == 0 ? (long)n : -1;
}

#endif
