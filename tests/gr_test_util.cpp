/* gr_test_util.cpp - blocking-socket helpers for the tests. */
#include "gr_test_util.h"

#include <errno.h>
#include <string.h>

#include <filesystem>
#include <random>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
/* Winsock spells these differently or not at all: no SIGPIPE to avoid, no
 * close-on-exec flag, and its errors come from WSAGetLastError (mapped
 * for the two these helpers look at). */
#define MSG_NOSIGNAL 0
#define SOCK_CLOEXEC 0
static int sock_errno(void)
{
    int e = WSAGetLastError();
    return e == WSAECONNRESET ? ECONNRESET : e == WSAEINTR ? EINTR : e;
}
/* Winsock needs starting once; the helpers may run before the library has. */
static void sock_start(void)
{
    static int started = 0;
    if (!started) {
        WSADATA w;
        WSAStartup(MAKEWORD(2, 2), &w);
        started = 1;
    }
}
/* Receive time-outs are milliseconds in a DWORD on Windows. */
static int set_rcvtimeo(int fd, int ms)
{
    DWORD v = (DWORD)ms;
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, (const char *)&v, sizeof v);
}
#define close(fd) closesocket(fd)
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
static void sock_start(void) {}
static int sock_errno(void) { return errno; }
static int set_rcvtimeo(int fd, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}
#endif

void gr_test_close(int fd) { close(fd); }

std::string gr_test_mkdtemp(const char *prefix)
{
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec)
        return "";
    std::random_device rd;
    for (int i = 0; i < 100; i++) {
        std::filesystem::path p = base / (std::string(prefix) + std::to_string(rd() % 1000000000u));
        if (std::filesystem::create_directory(p, ec))
            return p.string();
    }
    return "";
}

void gr_test_rmtree(const std::string &path)
{
    std::error_code ec;
    if (!path.empty())
        std::filesystem::remove_all(path, ec);
}

int gr_test_connect(const char *host, int port)
{
    sock_start();
    int fd = (int)socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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
    set_rcvtimeo(fd, 5000);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    return fd;
}

bool gr_test_send(int fd, const std::string &data)
{
    size_t off = 0;
    while (off < data.size()) {
        ssize_t r = send(fd, data.data() + off, (int)(data.size() - off), MSG_NOSIGNAL);
        if (r < 0 && sock_errno() == EINTR)
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
        ssize_t r = recv(fd, buf, (int)want, 0);
        if (r < 0 && sock_errno() == EINTR)
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
        ssize_t r = recv(fd, buf, (int)sizeof buf, 0);
        if (r == 0)
            return true;
        if (r < 0)
            return sock_errno() == ECONNRESET;
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
    sock_start();
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
    int fd = (int)socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) != 0 || set_rcvtimeo(fd, timeout_ms) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

std::string gr_test_udp_exchange(int fd, const std::string &req)
{
    if (send(fd, req.data(), (int)req.size(), 0) != (int)req.size())
        return "<send failed>";
    std::string buf(65536, '\0');
    ssize_t r;
    do
        r = recv(fd, &buf[0], (int)buf.size(), 0);
    while (r < 0 && sock_errno() == EINTR);
    if (r < 0)
        return "<none>";
    buf.resize((size_t)r);
    return buf;
}
