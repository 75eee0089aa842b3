/* gr_connect_win.cpp - the Winsock steps of a non-blocking connect
 * (sockets/gr_connect_sockets.h), and a connect's result. The poll backend
 * reports the connect as writability (AFD SEND) or, refused, as an error
 * (AFD CONNECT_FAIL). */
#include "gr_connect_sockets.h"
#include "gr_sock_native.h"

int gr_connect_socket(int family, gr_socket_t *out)
{
    SOCKET s = INVALID_SOCKET;
    int err = gr_win_socket(family, SOCK_STREAM, IPPROTO_TCP, 1, &s);
    if (err == 0)
        *out = gr_sock(s);
    return err;
}

int gr_connect_begin(gr_socket_t s, const gr_addr_t *addr)
{
    if (connect(gr_sk(s), gr_sa(addr), (int)addr->len) == 0)
        return 0;
    int e = WSAGetLastError();
    return e == WSAEWOULDBLOCK || e == WSAEINPROGRESS ? 1 : -gr_win_errno((unsigned long)e);
}

int gr_socket_error(gr_socket_t s)
{
    int err = 0;
    int len = (int)sizeof err;
    if (getsockopt(gr_sk(s), SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
        return gr_wsa_err();
    return err ? -gr_win_errno((unsigned long)err) : 0;
}
