/* gr_tc_ev_kqueue.cpp - gr_tc_ev.h on kqueue: an EVFILT_READ and an
 * EVFILT_WRITE knote per socket, both EV_CLEAR (kqueue's edge: reported
 * again only once something changed). EV_EOF on either side is
 * GR_TC_EV_END. Written from FreeBSD's kqueue(2); on Linux it runs on the
 * tests' kqueue shim in the kqueue build, never on a BSD or macOS kernel
 * here. */
#include "gr_tc_ev.h"

#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include <fcntl.h>
#include <stddef.h>

int gr_tc_ev_open(void)
{
    int kq = kqueue();
    if (kq >= 0)
        fcntl(kq, F_SETFD, FD_CLOEXEC);
    return kq;
}

int gr_tc_ev_add(int ev, int fd, void *ptr)
{
    struct kevent ch[2];
    EV_SET(&ch[0], fd, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, ptr);
    EV_SET(&ch[1], fd, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, ptr);
    return kevent(ev, ch, 2, NULL, 0, NULL) < 0 ? -1 : 0;
}

int gr_tc_ev_wait(int ev, gr_tc_ev_t *out, int max, int timeout_ms)
{
    struct kevent kevs[256];
    if (max > 256)
        max = 256;
    struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
    int n = kevent(ev, NULL, 0, kevs, max, timeout_ms < 0 ? NULL : &ts);
    for (int i = 0; i < n; i++) {
        out[i].ptr = kevs[i].udata;
        out[i].events = (kevs[i].filter == EVFILT_READ ? GR_TC_EV_IN : GR_TC_EV_OUT) |
                        ((kevs[i].flags & (EV_EOF | EV_ERROR)) ? GR_TC_EV_END : 0);
    }
    return n;
}

const char *gr_tc_ev_name(void) { return "kevent"; }
