/* gr_test_util.cpp - blocking-socket helpers for the tests. */
#include "gr_test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int gr_test_connect(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool gr_test_send(int fd, const std::string &data)
{
    size_t off = 0;
    while (off < data.size()) {
        ssize_t r = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        off += (size_t)r;
    }
    return true;
}

std::string gr_test_recv(int fd, size_t n)
{
    std::string out;
    char buf[65536];
    while (out.size() < n) {
        size_t want = n - out.size() < sizeof buf ? n - out.size() : sizeof buf;
        ssize_t r = recv(fd, buf, want, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        out.append(buf, (size_t)r);
    }
    return out;
}

bool gr_test_wait_eof(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r == 0)
            return true;
        if (r < 0)
            return errno == ECONNRESET;
    }
}

std::string gr_test_roundtrip(int port, const std::string &req, size_t n)
{
    int fd = gr_test_connect("127.0.0.1", port);
    if (fd < 0)
        return "<connect failed>";
    std::string out = gr_test_send(fd, req) ? gr_test_recv(fd, n) : "<send failed>";
    close(fd);
    return out;
}
