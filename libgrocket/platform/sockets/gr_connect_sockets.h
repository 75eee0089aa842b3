/* gr_connect_sockets.h - for the platform files only: the two steps of a
 * non-blocking connect that each system spells its own way
 * (posix/gr_connect_posix.cpp, win/gr_connect_win.cpp), for the one
 * gr_tcp_connect_start of sockets/gr_connect_sockets.cpp. */
#ifndef GR_CONNECT_SOCKETS_H
#define GR_CONNECT_SOCKETS_H

#include "gr_socket.h"

/* A new non-blocking, non-inherited TCP socket of family: 0 or -errno. */
int gr_connect_socket(int family, gr_socket_t *out);
/* connect(2) on it: 0 connected, 1 under way (its end is reported as
 * writability, its result by gr_socket_error), or -errno. */
int gr_connect_begin(gr_socket_t s, const gr_addr_t *addr);

#endif
