/* gr_tc_mmsg.h - datagram batches for --udp: the system's sendmmsg and
 * recvmmsg (Linux, FreeBSD), or, where there are none (macOS), loops of
 * sendmsg/recvmsg with the same contract (gr_tc_mmsg_loop.cpp; CMake sets
 * GR_TC_MMSG_LOOP). gr_tc_mmsghdr_t is the batch entry either way. */
#ifndef GR_TC_MMSG_H
#define GR_TC_MMSG_H

#include <sys/socket.h>

#ifdef GR_TC_MMSG_LOOP
typedef struct gr_tc_mmsghdr_t {
    struct msghdr msg_hdr; /* as the system's struct mmsghdr */
    unsigned int msg_len;  /* bytes sent or received */
} gr_tc_mmsghdr_t;
/* Up to n datagrams; the count, or -1 and errno when the first failed. */
int gr_tc_sendmmsg(int fd, gr_tc_mmsghdr_t *v, unsigned n, int flags);
int gr_tc_recvmmsg(int fd, gr_tc_mmsghdr_t *v, unsigned n, int flags);
#else
typedef struct mmsghdr gr_tc_mmsghdr_t;
#define gr_tc_sendmmsg(fd, v, n, flags) ((int)sendmmsg((fd), (v), (n), (flags)))
#define gr_tc_recvmmsg(fd, v, n, flags) ((int)recvmmsg((fd), (v), (n), (flags), NULL))
#endif

#endif
