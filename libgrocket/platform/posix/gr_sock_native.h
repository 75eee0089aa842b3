/* gr_sock_native.h (POSIX) - for the platform files only: gr_socket_t and
 * gr_addr_t as the system's descriptor and sockaddr, and the socket calls
 * sockets/gr_addr_sockets.cpp makes (win/gr_sock_native.h is Winsock's). */
#ifndef GR_SOCK_NATIVE_H
#define GR_SOCK_NATIVE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "gr_socket.h"

static_assert(sizeof(struct sockaddr_in6) <= sizeof(((gr_addr_t *)0)->ss.bytes), "gr_addr_t holds a sockaddr_in6");
static_assert(sizeof(struct sockaddr_in) <= sizeof(((gr_addr_t *)0)->ss.bytes), "gr_addr_t holds a sockaddr_in");

static inline int gr_fd(gr_socket_t s) { return (int)s.h; }
static inline gr_socket_t gr_sock(int fd) { gr_socket_t s = {fd}; return s; }
static inline struct sockaddr *gr_sa(gr_addr_t *a) { return (struct sockaddr *)(void *)a->ss.bytes; }
static inline const struct sockaddr *gr_sa(const gr_addr_t *a) { return (const struct sockaddr *)(const void *)a->ss.bytes; }
static inline int gr_addr_family(const gr_addr_t *a) { return gr_sa(a)->sa_family; }

/* The socket calls need no starting on POSIX (Winsock's do). */
static inline void gr_sock_lib_once(void) {}

/* setsockopt of an int option on descriptor fd: 0 or -errno. */
static inline int gr_sock_set_int(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : -errno;
}

#endif
