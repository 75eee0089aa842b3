/* gr_bsd_decls.h (macOS) - TESTS ONLY: what makes the macOS files of
 * grocket, which were never compiled on macOS, checkable with
 * g++ -fsyntax-only on Linux (check.sh forces this file in first; the
 * FreeBSD twin says how). Declared from Apple's manual pages: no accept4,
 * SOCK_NONBLOCK, SOCK_CLOEXEC, MSG_NOSIGNAL, recvmmsg, sendmmsg,
 * sigtimedwait or thread affinity (all poisoned); SO_NOSIGPIPE, SO_NWRITE,
 * CLOCK_UPTIME_RAW_APPROX; pthread_setname_np names the calling thread
 * only. */
#ifndef GR_BSD_DECLS_MACOS_H
#define GR_BSD_DECLS_MACOS_H

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

/* clock_gettime(3): CLOCK_UPTIME_RAW_APPROX (10.12). */
#undef CLOCK_MONOTONIC_COARSE
#define CLOCK_UPTIME_RAW_APPROX 9
#define CLOCK_UPTIME_RAW 8 /* its precise twin (gr_clock_fine_ms) */

/* setsockopt(2) / getsockopt(2). */
#define SO_NOSIGPIPE 0x1022
#define SO_NWRITE 0x1024

/* pthread_setname_np(3): int pthread_setname_np(const char *name). */
#define pthread_setname_np gr_macos_pthread_setname_np
extern "C" int gr_macos_pthread_setname_np(const char *name);

/* Not on macOS. MSG_NOSIGNAL is undefined but not poisoned: test_tcp_client
 * asks #ifndef of it; a use is still an error (undeclared). */
#undef SOCK_NONBLOCK
#undef SOCK_CLOEXEC
#undef MSG_NOSIGNAL
#undef MSG_WAITFORONE
#undef SIOCOUTQ
#undef SO_RCVBUFFORCE
#undef SO_SNDBUFFORCE
#undef SO_MEMINFO
#pragma GCC poison SOCK_NONBLOCK SOCK_CLOEXEC MSG_WAITFORONE SIOCOUTQ SO_RCVBUFFORCE SO_SNDBUFFORCE
#pragma GCC poison SO_MEMINFO accept4 recvmmsg sendmmsg mmsghdr sigtimedwait
#pragma GCC poison sched_getaffinity pthread_attr_setaffinity_np cpu_set_t epoll_create1 epoll_ctl epoll_wait eventfd

#endif
