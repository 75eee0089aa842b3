/* ref_udp_echo.c - the reference floor for a UDP echo (bench/udp_bench.sh):
 * one thread, one blocking socket on 127.0.0.1:PORT, recvmmsg with
 * MSG_WAITFORONE (block for the first datagram, then take what else is
 * waiting, up to BATCH) and one sendmmsg of the whole batch back to the
 * senders. No poll, no framing, no copy: the least a server can do per
 * datagram. Buffers are 64 KiB each, like grocketd's default
 * udp.in.datagram_max, so both copy the same bytes.
 *
 * Usage: ref_udp_echo PORT [RCVBUF]   Build: gcc -O2 -o ref_udp_echo ref_udp_echo.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32          /* grocketd's default udp.in.batch */
#define ROOM 65536

static char buf[BATCH][ROOM];

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [RCVBUF]\n", argv[0]);
        return 2;
    }
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (argc > 2) {
        int rcv = atoi(argv[2]);
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("bind");
        return 1;
    }
    static struct mmsghdr msgs[BATCH];
    static struct iovec iov[BATCH];
    static struct sockaddr_in peers[BATCH];
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = buf[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &peers[i];
    }
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_len = ROOM;
            msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
        }
        int n = recvmmsg(s, msgs, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("recvmmsg");
            return 1;
        }
        for (int i = 0; i < n; i++)
            iov[i].iov_len = msgs[i].msg_len; /* send back what came */
        for (int sent = 0; sent < n;) {
            int r = sendmmsg(s, msgs + sent, (unsigned)(n - sent), 0);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                sent++; /* skip the one that failed, as a server must */
            } else {
                sent += r;
            }
        }
    }
}
