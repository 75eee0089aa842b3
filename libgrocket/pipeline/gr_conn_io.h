/* gr_conn_io.h - a module's own use of an inbound connection outside the
 * request/reply path (internal; grocket.h conn_hold .. conn_listen,
 * tcp_eof, tcp_closing): holding it past its callbacks, sending bytes that
 * answer no request, shutting down its write side, pausing its reading. */
#ifndef GR_CONN_IO_H
#define GR_CONN_IO_H

#include "gr_conn.h"

struct gr_thread_ctx_t;

/* The peer's EOF reached c's processing thread, after its last package:
 * the module's tcp_eof runs; then, if the module shut the write side
 * already, the connection closes once all owed is sent. */
void gr_conn_eof(struct gr_thread_ctx_t *ctx, gr_conn_t *c);
/* The owner begins to close c: the module's tcp_closing, once. */
void gr_conn_closing_tell(gr_conn_t *c);

/* The services. */
int gr_conn_hold(gr_conn_t *c);
void gr_conn_release(gr_conn_t *c);
int gr_conn_thread(gr_conn_t *c);
int gr_conn_send(gr_conn_t *c, const void *data, size_t len);
int gr_conn_shutdown(gr_conn_t *c);
void gr_conn_close_svc(gr_conn_t *c);
size_t gr_conn_queued(gr_conn_t *c);
int gr_conn_pause(gr_conn_t *c, int paused);
const char *gr_conn_listen(gr_conn_t *c);

#endif
