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

int gr_test_udp_connect(const char *host, int port, int timeout_ms)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        len = sizeof *v6;
    } else {
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (connect(fd, (struct sockaddr *)&ss, len) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

std::string gr_test_udp_exchange(int fd, const std::string &req)
{
    if (send(fd, req.data(), req.size(), 0) != (ssize_t)req.size())
        return "<send failed>";
    std::string buf(65536, '\0');
    ssize_t r;
    do
        r = recv(fd, &buf[0], buf.size(), 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return "<none>";
    buf.resize((size_t)r);
    return buf;
}
