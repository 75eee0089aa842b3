/* gr_connect_win.cpp - non-blocking connects for outbound connections
 * (gr_socket.h). The poll backend reports the connect as writability (AFD
 * SEND) or, refused, as an error (AFD CONNECT_FAIL). */
#include "gr_sock_native.h"

#include <errno.h>

#include "gr_error.h"

int gr_tcp_connect_start(const gr_addr_t *addr, gr_socket_t *out)
{
    if (addr == NULL)
        return GR_EINVAL;
    SOCKET s = INVALID_SOCKET;
    int err = gr_win_socket(gr_addr_family(addr), SOCK_STREAM, IPPROTO_TCP, 1, &s);
    if (err != 0)
        return err;
    int rc = 0;
    if (connect(s, gr_sa(addr), (int)addr->len) != 0) {
        int e = WSAGetLastError();
        if (e != WSAEWOULDBLOCK && e != WSAEINPROGRESS) {
            rc = -gr_win_errno((unsigned long)e);
            closesocket(s);
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
    int len = (int)sizeof err;
    if (getsockopt(gr_sk(s), SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
        return gr_wsa_err();
    return err ? -gr_win_errno((unsigned long)err) : 0;
}
