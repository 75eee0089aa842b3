/* gr_poll.h - one event loop primitive per thread; one backend file per
 * platform, chosen by CMake (GR_POLL_BACKEND: gr_poll_epoll.cpp, the
 * default on Linux; gr_poll_kqueue.cpp, the default on FreeBSD and macOS,
 * and on Linux built against the tests' kqueue shim; gr_poll_poll.cpp,
 * poll(2) on any POSIX system).
 *
 * The contract. Every backend keeps it, and tests/unit/test_poll.cpp (the
 * conformance suite, run on each backend CI builds) checks each point; the
 * pipeline relies on all of them (docs/architecture.md).
 *
 *  1. Readiness, level-triggered: an event says "s can be read (or has an
 *     EOF or error to read)" or "s can be written", and comes again on the
 *     next wait while that still holds. Callers read or write until the
 *     call would block or they choose to stop. A listening socket is
 *     readable while a connection waits to be accepted.
 *  2. At most one event per registration per wait, IN and OUT merged into
 *     its `events`. An error or hang-up is reported as GR_POLL_ERR together
 *     with GR_POLL_IN, so a caller that handles IN alone still reads the
 *     error or the EOF. (kqueue also says when only the sending side is
 *     shut, after a write shutdown: GR_POLL_OUT|GR_POLL_ERR, with nothing
 *     to read.)
 *  3. One socket may be registered in several polls at once, each with its
 *     own events and udata (IN on tcp_in, OUT on a worker or tcp_out,
 *     udp_in and udp_out on one UDP socket, every listener in every accept
 *     thread); a registration in one poll does not see or disturb another.
 *  4. A write shutdown of a socket (gr_socket_shutdown_write), on any
 *     thread, wakes an OUT wait on that socket in another thread's poll:
 *     the close protocol uses it to tell a worker or tcp_out that a
 *     connection they wait to write is closing.
 *  5. No event after del: once gr_poll_del(s) returns, no later wait of
 *     that poll reports s. (Events already returned by a wait are the
 *     caller's to skip.) Sockets are deleted before they are closed.
 *  6. Errors: add of a socket already registered in this poll is -EEXIST;
 *     mod and del of one that is not are -ENOENT; a NULL udata or a bad
 *     socket is GR_EINVAL.
 *  7. Wake-ups: gr_poll_wake may be called from any thread and from a
 *     signal handler (async-signal-safe); wakes are coalesced but never
 *     lost: a wake after the loop consumed the previous one is reported by
 *     a later wait, as one event with udata NULL.
 *
 * A gr_poll_t belongs to one thread: only gr_poll_wake may be called from
 * another thread.
 *
 * On Windows a socket can be tied to one I/O completion port only, so the
 * IOCP backend planned next does not associate sockets with ports: each
 * gr_poll_t owns a completion port and a \Device\Afd handle, and
 * readiness comes from AFD poll requests (IOCTL_AFD_POLL, the technique of
 * libuv's uv_poll, wepoll and mio), which keeps points 1-7 with sockets
 * polled from several threads; a cancelled request is kept until its
 * completion arrives and is swallowed (point 5); gr_poll_wake posts a
 * completion packet. kqueue reports read and write as separate kevents:
 * its backend merges them per registration (point 2), and wakes through a
 * pipe rather than EVFILT_USER, since kevent(2) is not async-signal-safe
 * (point 7). */
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
/* Unregister; after it returns no event for s is reported by later waits
 * of this poll (point 5). */
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
