/* gr_sock_sys.h (macOS) - the calls posix/gr_socket_posix.cpp spells per
 * system (linux/gr_sock_sys.h says why it is a header). macOS has no
 * accept4, SOCK_NONBLOCK, SOCK_CLOEXEC or MSG_NOSIGNAL: each new socket is
 * made close-on-exec and non-blocking with fcntl(2), and gets SO_NOSIGPIPE
 * so that a send to a closed peer is EPIPE rather than SIGPIPE (grocket
 * also ignores SIGPIPE, gr_socket_startup, but a module's host may not).
 * Between socket() and fcntl() a fork+exec on another thread could inherit
 * the descriptor: macOS offers nothing atomic. The send queue is SO_NWRITE.
 * Written from Apple's manual pages (socket(2), accept(2), fcntl(2),
 * setsockopt(2), getsockopt(2)); never compiled on macOS
 * (docs/architecture.md lists it; tests/bsd_decls checks its syntax). */
#ifndef GR_SOCK_SYS_H
#define GR_SOCK_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Close-on-exec, non-blocking when nonblock, no SIGPIPE: s, or -1 and
 * errno with s closed. */
static inline int gr_sys_prepare(int s, int nonblock)
{
    int one = 1, fl = fcntl(s, F_GETFL);
    if (fl < 0 || fcntl(s, F_SETFD, FD_CLOEXEC) != 0 || (nonblock && fcntl(s, F_SETFL, fl | O_NONBLOCK) != 0) ||
        setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) != 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

/* A close-on-exec socket of type, non-blocking when nonblock. */
static inline int gr_sys_socket(int family, int type, int nonblock)
{
    int s = socket(family, type, 0);
    return s < 0 ? s : gr_sys_prepare(s, nonblock);
}

/* Accept one connection as a non-blocking, close-on-exec socket (set
 * explicitly: what an accepted socket inherits is not documented). */
static inline int gr_sys_accept(int listener, struct sockaddr *sa, socklen_t *len)
{
    int s = accept(listener, sa, len);
    return s < 0 ? s : gr_sys_prepare(s, 1);
}

/* No MSG_NOSIGNAL: SO_NOSIGPIPE, set on every socket above, does its job. */
#define GR_SYS_SEND_FLAGS 0

/* SO_NWRITE: the bytes in the send queue (unsent and unacknowledged). */
static inline long gr_sys_unacked(int fd)
{
    int n;
    socklen_t len = sizeof n;
    return getsockopt(fd, SOL_SOCKET, SO_NWRITE, &n, &len) == 0 ? (long)n : -1;
}

#endif
