/* gr_tc_ev.h - test_tcp_client's readiness, edge-triggered, one file per
 * system as in libgrocket (but not libgrocket's, so a framework bug cannot
 * hide in its own test client): gr_tc_ev_epoll.cpp (EPOLLET, Linux) and
 * gr_tc_ev_kqueue.cpp (EV_CLEAR: the BSDs, macOS, and the kqueue build on
 * Linux, where it runs on the tests' kqueue shim). Each socket is watched
 * both ways once and never touched again: a short read or write says the
 * kernel buffer is drained or full, and the next edge brings it back. A
 * close takes a socket out. */
#ifndef GR_TC_EV_H
#define GR_TC_EV_H

#include <stdint.h>

enum {
    GR_TC_EV_IN = 1 << 0,  /* readable */
    GR_TC_EV_OUT = 1 << 1, /* writable (a connect finished) */
    GR_TC_EV_END = 1 << 2, /* error, hang-up or the peer's half-close: read on to the end */
};

typedef struct gr_tc_ev_t {
    void *ptr;       /* as given to gr_tc_ev_add */
    uint32_t events; /* GR_TC_EV_* */
} gr_tc_ev_t;

/* A readiness set (close it with close(2)); -1 and errno on failure. A
 * socket may come twice in one wait (kqueue reports each direction). */
int gr_tc_ev_open(void);
/* Watch fd both ways, reporting ptr; 0, or -1 and errno. */
int gr_tc_ev_add(int ev, int fd, void *ptr);
/* Wait up to timeout_ms: the count, or -1 and errno (EINTR included). */
int gr_tc_ev_wait(int ev, gr_tc_ev_t *out, int max, int timeout_ms);
/* The name for messages ("epoll_wait"). */
const char *gr_tc_ev_name(void);

#endif
