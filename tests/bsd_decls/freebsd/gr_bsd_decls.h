/* gr_bsd_decls.h (FreeBSD) - TESTS ONLY: what makes the FreeBSD files of
 * grocket, which were never compiled on FreeBSD, checkable with
 * g++ -fsyntax-only on Linux (check.sh forces this file in first). The
 * Linux headers the files use are included here, then the differences are
 * declared from FreeBSD's manual pages: FreeBSD's names where Linux lacks
 * them, FreeBSD's prototypes where they differ (by renaming), and Linux-only
 * names poisoned so that using one is an error. It catches misspellings,
 * wrong argument counts and types, and Linux-only calls; not which FreeBSD
 * header declares what (Linux's headers stand in). */
#ifndef GR_BSD_DECLS_FREEBSD_H
#define GR_BSD_DECLS_FREEBSD_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* clock_gettime(2): CLOCK_MONOTONIC_FAST; Linux's COARSE does not exist
 * (undefined, not poisoned: gr_clock_posix.cpp asks defined() of it). */
#undef CLOCK_MONOTONIC_COARSE
#define CLOCK_MONOTONIC_FAST 12

/* setsockopt(2): SO_REUSEPORT_LB (FreeBSD 12). */
#define SO_REUSEPORT_LB 0x00010000

/* recvmmsg(2), sendmmsg(2) (FreeBSD 11): size_t vlen, ssize_t result. */
#define recvmmsg gr_freebsd_recvmmsg
#define sendmmsg gr_freebsd_sendmmsg
extern "C" ssize_t gr_freebsd_recvmmsg(int s, struct mmsghdr *msgvec, size_t vlen, int flags,
                                       const struct timespec *timeout);
extern "C" ssize_t gr_freebsd_sendmmsg(int s, struct mmsghdr *msgvec, size_t vlen, int flags);

/* Linux only. */
#undef SIOCOUTQ
#undef SO_RCVBUFFORCE
#undef SO_SNDBUFFORCE
#undef SO_MEMINFO
#pragma GCC poison SIOCOUTQ SO_RCVBUFFORCE SO_SNDBUFFORCE SO_MEMINFO
#pragma GCC poison sched_getaffinity cpu_set_t epoll_create1 epoll_ctl epoll_wait eventfd

#endif
