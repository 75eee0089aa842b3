/* demo_relay.h - the demo's TCP relay (demo_relay.c): each connection to
 * the [listen] entry named "relay" gets an outbound connection of its own
 * to [demo] relay.upstream; bytes pass both ways unchanged. */
#ifndef DEMO_RELAY_H
#define DEMO_RELAY_H

#include "grocket.h"

/* At init: upstream "HOST:PORT", or "" (the relay is off). */
void demo_relay_init(const gr_services_t *services, const char *upstream, unsigned connect_timeout_ms);
/* tcp_accept: 1 when conn is the relay's (then it is set up), 0 when not,
 * -1 to refuse it. */
int demo_relay_accept(gr_conn_t *conn);
/* The module's callbacks for a relay connection (user pointer set). */
int demo_relay_proc(gr_conn_t *conn, const char *data, size_t len);
void demo_relay_eof(gr_conn_t *conn);
void demo_relay_closing(gr_conn_t *conn);
/* Is conn the relay's? (Inside a callback for it.) */
int demo_relay_owns(gr_conn_t *conn);

#endif
