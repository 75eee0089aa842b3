/* gr_connect_posix.cpp - the POSIX steps of a non-blocking connect
 * (sockets/gr_connect_sockets.h), and a connect's result. */
#include "gr_connect_sockets.h"
#include "gr_sock_native.h"
#include "gr_sock_sys.h"

#include <errno.h>

int gr_connect_socket(int family, gr_socket_t *out)
{
    int s = gr_sys_socket(family, SOCK_STREAM, 1);
    if (s < 0)
        return -errno;
    *out = gr_sock(s);
    return 0;
}

int gr_connect_begin(gr_socket_t s, const gr_addr_t *addr)
{
    if (connect(gr_fd(s), gr_sa(addr), addr->len) == 0)
        return 0;
    /* EINTR: the connect goes on in the background, like EINPROGRESS. */
    return errno == EINPROGRESS || errno == EINTR ? 1 : -errno;
}

int gr_socket_error(gr_socket_t s)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(gr_fd(s), SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return -errno;
    return -err;
}
