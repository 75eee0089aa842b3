/* gr_dgram_one.h - for the datagram files of systems without
 * recvmmsg/sendmmsg (bsd/gr_dgram_macos.cpp, win/gr_dgram_win.cpp):
 * gr_socket.h's batches as loops of one system call per datagram
 * (gr_dgram_one.cpp), over the two calls below that each such system
 * defines. Those loops also mean no waiting inside a receive:
 * gr_udp_set_wait refuses and udp_in waits in gr_poll. */
#ifndef GR_DGRAM_ONE_H
#define GR_DGRAM_ONE_H

#include "gr_socket.h"

/* Receive one datagram without blocking into room bytes at d->data; set
 * d->len, d->trunc and d->addr. 0, or -errno (-EAGAIN: none waiting). */
int gr__dgram_recv_one(gr_socket_t s, gr_dgram_t *d, uint32_t room);
/* Send d's bytes to d->addr without blocking: 0, or -errno (-EAGAIN: the
 * send buffer is full). */
int gr__dgram_send_one(gr_socket_t s, const gr_dgram_t *d);

#endif
