/* gr_tc_ev_epoll.cpp - gr_tc_ev.h on Linux: one epoll set, every socket
 * registered EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET (man 7 epoll). */
#include "gr_tc_ev.h"

#include <sys/epoll.h>

int gr_tc_ev_open(void) { return epoll_create1(EPOLL_CLOEXEC); }

int gr_tc_ev_add(int ev, int fd, void *ptr)
{
    struct epoll_event e = {};
    e.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    e.data.ptr = ptr;
    return epoll_ctl(ev, EPOLL_CTL_ADD, fd, &e);
}

int gr_tc_ev_wait(int ev, gr_tc_ev_t *out, int max, int timeout_ms)
{
    struct epoll_event evs[256];
    if (max > 256)
        max = 256;
    int n = epoll_wait(ev, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint32_t e = evs[i].events;
        out[i].ptr = evs[i].data.ptr;
        out[i].events = ((e & EPOLLIN) ? GR_TC_EV_IN : 0) | ((e & EPOLLOUT) ? GR_TC_EV_OUT : 0) |
                        ((e & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) ? GR_TC_EV_END : 0);
    }
    return n;
}

const char *gr_tc_ev_name(void) { return "epoll_wait"; }
