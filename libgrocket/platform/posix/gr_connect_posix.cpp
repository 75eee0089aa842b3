/* gr_connect_posix.cpp - non-blocking connects for outbound connections
 * (gr_socket.h). */
#include "gr_sock_native.h"
#include "gr_sock_sys.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "gr_error.h"

int gr_tcp_connect_start(const gr_addr_t *addr, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    int s = gr_sys_socket(gr_addr_family(addr), SOCK_STREAM, 1);
    if (s < 0)
        return -errno;
    int rc = 0;
    if (connect(s, gr_sa(addr), addr->len) != 0) {
        /* EINTR: the connect goes on in the background, like EINPROGRESS. */
        if (errno != EINPROGRESS && errno != EINTR) {
            rc = -errno;
            close(s);
            return rc;
        }
        rc = 1;
    }
    gr_sock_set_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
    *out = gr_sock(s);
    return rc;
}

int gr_socket_error(gr_socket_t s)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(gr_fd(s), SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return -errno;
    return -err;
}
