/* gr_outbound.h - connections a module opens (internal; grocket.h out_open
 * and the out_* services).
 *
 * An outbound connection lives on the processing thread that opened it:
 * registered on that thread's own poll (the loop that serves its inbound
 * connections or their replies), with udata tagged by its low bit so the
 * loop tells it from a gr_conn_t (gr_out_udata / gr_out_from_udata). All
 * of its state is that thread's; other threads reach it by post. A host
 * name is resolved on a thread of its own (the system resolver blocks),
 * which posts the result back. */
#ifndef GR_OUTBOUND_H
#define GR_OUTBOUND_H

#include <stdint.h>

#include "grocket.h"

struct gr_thread_ctx_t;

/* A poll udata that is an outbound connection (pointers are aligned, so
 * the low bit is free). */
static inline bool gr_out_is_udata(void *udata) { return ((uintptr_t)udata & 1u) != 0; }
/* Its readiness, on the thread that owns it. */
void gr_out_on_event(struct gr_thread_ctx_t *ctx, void *udata, uint32_t events);

/* The services (on the owning processing thread). */
gr_out_t *gr_out_open(const char *host_port, const gr_out_handler_t *h, void *arg, uint32_t timeout_ms);
int gr_out_send(gr_out_t *o, const void *data, size_t len);
size_t gr_out_queued(gr_out_t *o);
int gr_out_shutdown(gr_out_t *o);
int gr_out_pause(gr_out_t *o, int paused);
void gr_out_close(gr_out_t *o);

/* Free the outbound connections closed before the loop's last batch of
 * events (at the start of gr_async_run, and at the end of its stop). */
void gr_out_reap(void);

/* The processing thread leaves its loop: every outbound connection it
 * owns is closed, its module told (on_close / on_connect with
 * "server stopping"), and name look-ups still running are waited for. */
void gr_out_stop(struct gr_thread_ctx_t *ctx);

#endif
