/* gr_sock_native.h (Windows) - for the platform files only: gr_socket_t
 * and gr_addr_t as Winsock's SOCKET and sockaddr, Winsock errors as the
 * negative errno codes of gr_socket.h, and the socket calls
 * sockets/gr_addr_sockets.cpp makes (posix/gr_sock_native.h is POSIX's). */
#ifndef GR_SOCK_NATIVE_H
#define GR_SOCK_NATIVE_H

#include "gr_win.h"

#include <ws2tcpip.h>

#include <errno.h>

#include "gr_socket.h"

static_assert(sizeof(struct sockaddr_in6) <= sizeof(((gr_addr_t *)0)->ss.bytes), "gr_addr_t holds a sockaddr_in6");
static_assert(sizeof(SOCKET) == sizeof(intptr_t), "gr_socket_t holds a SOCKET");
static_assert((intptr_t)INVALID_SOCKET == GR_INVALID_SOCKET_VALUE, "one invalid socket value");

static inline SOCKET gr_sk(gr_socket_t s) { return (SOCKET)s.h; }
static inline gr_socket_t gr_sock(SOCKET k) { gr_socket_t s = {(intptr_t)k}; return s; }
static inline struct sockaddr *gr_sa(gr_addr_t *a) { return (struct sockaddr *)(void *)a->ss.bytes; }
static inline const struct sockaddr *gr_sa(const gr_addr_t *a) { return (const struct sockaddr *)(const void *)a->ss.bytes; }
static inline int gr_addr_family(const gr_addr_t *a) { return gr_sa(a)->sa_family; }

/* The calling thread's last Winsock error as -errno. */
static inline int gr_wsa_err(void) { return -gr_win_errno((unsigned long)WSAGetLastError()); }

/* setsockopt of an int-sized option (a BOOL or a DWORD for Winsock): 0 or -errno. */
static inline int gr_sock_set_int(SOCKET k, int level, int name, int value)
{
    return setsockopt(k, level, name, (const char *)&value, sizeof value) == 0 ? 0 : gr_wsa_err();
}

/* WSAStartup, once per process, whoever asks first (gr_addr_parse may
 * resolve a name before the server calls gr_socket_startup). */
void gr_sock_lib_once(void);
/* A new socket of family and type, not inherited by child processes, in
 * non-blocking mode when nonblock: 0 or -errno. gr_socket_win.cpp. */
int gr_win_socket(int family, int type, int protocol, int nonblock, SOCKET *out);

#endif
