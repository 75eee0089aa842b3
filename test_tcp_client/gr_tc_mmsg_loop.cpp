/* gr_tc_mmsg_loop.cpp - sendmmsg/recvmmsg for a system without them
 * (macOS): one sendmsg/recvmsg per datagram, stopping at the first that
 * fails, as the batch calls do. Never compiled on macOS; tests/bsd_decls
 * checks its syntax. */
#include "gr_tc_mmsg.h"

#include <errno.h>

static int loop(int fd, gr_tc_mmsghdr_t *v, unsigned n, int flags, int send)
{
    unsigned i = 0;
    for (; i < n; i++) {
        ssize_t r;
        do
            r = send ? sendmsg(fd, &v[i].msg_hdr, flags) : recvmsg(fd, &v[i].msg_hdr, flags);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return i > 0 ? (int)i : -1;
        v[i].msg_len = (unsigned int)r;
    }
    return (int)i;
}

int gr_tc_sendmmsg(int fd, gr_tc_mmsghdr_t *v, unsigned n, int flags) { return loop(fd, v, n, flags, 1); }

int gr_tc_recvmmsg(int fd, gr_tc_mmsghdr_t *v, unsigned n, int flags) { return loop(fd, v, n, flags, 0); }
