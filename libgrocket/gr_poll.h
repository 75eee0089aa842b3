/* gr_poll.h - one event loop primitive per thread; one backend file per
 * platform (gr_poll_epoll.cpp on Linux), chosen by CMake.
 *
 * The interface reports readiness ("fd can be read / written") plus a
 * thread-safe wake-up. A completion backend (IOCP) maps onto it the way
 * libuv does: "want IN" posts a zero-byte receive whose completion is the
 * readiness report, "want OUT" is reported after a send completes or at
 * once, and gr_poll_wake posts a completion packet. Callers never assume
 * edge or level semantics: after a report they read or write until the
 * call would block or they choose to stop, and the report comes again
 * while the condition still holds (level-triggered).
 *
 * A gr_poll_t belongs to one thread: only gr_poll_wake may be called from
 * another thread. */
#ifndef GR_POLL_H
#define GR_POLL_H

#include <stdint.h>

#include "gr_socket.h"

typedef struct gr_poll_t gr_poll_t;

enum {
    GR_POLL_IN = 1u << 0,   /* readable (or a peer close / error to read) */
    GR_POLL_OUT = 1u << 1,  /* writable */
    GR_POLL_ERR = 1u << 2,  /* error or hang-up: the next recv/send tells which */
};

typedef struct gr_poll_event_t {
    void *udata;      /* as registered; NULL for a wake-up */
    uint32_t events;  /* GR_POLL_* bits */
} gr_poll_event_t;

/* Create a loop; 0 and *out, or a negative errno. */
int gr_poll_create(gr_poll_t **out);
void gr_poll_destroy(gr_poll_t *p);

/* Register s for events (GR_POLL_IN|GR_POLL_OUT); udata must not be NULL.
 * 0 or a negative errno. */
int gr_poll_add(gr_poll_t *p, gr_socket_t s, uint32_t events, void *udata);
/* Change the events (and udata) of a registered socket. */
int gr_poll_mod(gr_poll_t *p, gr_socket_t s, uint32_t events, void *udata);
/* Unregister; after it returns no event for s is reported by later waits. */
int gr_poll_del(gr_poll_t *p, gr_socket_t s);

/* Wait up to timeout_ms (-1: forever) and fill at most max events.
 * Returns the count (0 on time-out) or a negative errno (-EINTR is retried
 * internally). A pending wake-up is consumed and reported as one event with
 * udata NULL. */
int gr_poll_wait(gr_poll_t *p, gr_poll_event_t *events, int max, int timeout_ms);

/* Wake the loop's thread from any thread; cheap when already woken. */
void gr_poll_wake(gr_poll_t *p);

/* The backend's name ("epoll"), for logs. */
const char *gr_poll_backend_name(void);

#endif
