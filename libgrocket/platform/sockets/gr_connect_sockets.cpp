/* gr_connect_sockets.cpp - non-blocking connects for outbound connections
 * (gr_socket.h), for every system: the socket and the connect call are the
 * system's (gr_connect_sockets.h), the rest is shared. */
#include "gr_connect_sockets.h"

#include "gr_error.h"
#include "gr_sock_native.h"

int gr_tcp_connect_start(const gr_addr_t *addr, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    gr_socket_t s;
    int rc = gr_connect_socket(gr_addr_family(addr), &s);
    if (rc != 0)
        return rc;
    rc = gr_connect_begin(s, addr);
    if (rc < 0) {
        gr_socket_close(s);
        return rc;
    }
    gr_socket_set_nodelay(s, 1);
    *out = s;
    return rc;
}
