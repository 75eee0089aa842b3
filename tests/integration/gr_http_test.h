/* gr_http_test.h - shared pieces of the HTTP integration tests
 * (test_http.cpp: real clients; test_http_limits.cpp: bad input, limits,
 * timeouts, slow readers): the four pipeline modes, a raw HTTP connection,
 * response parsing, and the end-of-test check of the books. Header-only, in
 * an anonymous namespace: each test file gets its own copy. */
#ifndef GR_HTTP_TEST_H
#define GR_HTTP_TEST_H

#include <gtest/gtest.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gr_test_server.h"
#include "gr_test_util.h"


namespace {

/* ------------------------------------------------------------ helpers */

struct HttpMode {
    bool worker_disabled;
    bool tcp_out_disabled;
};

[[maybe_unused]] std::string http_mode_keys(const HttpMode &m)
{
    return std::string("worker.disabled = ") + (m.worker_disabled ? "true" : "false") +
           "\ntcp.out.disabled = " + (m.tcp_out_disabled ? "true" : "false") +
           "\ntcp.in.thread_count = 2\nworker.thread_count = 2\ntcp.out.thread_count = 2\n";
}

[[maybe_unused]] std::string http_mode_name(const HttpMode &m)
{
    return std::string(m.worker_disabled ? "Inline" : "Worker") + (m.tcp_out_disabled ? "DirectOut" : "TcpOut");
}

[[maybe_unused]] double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

/* Run a shell command line (stdout and stderr together), bounded. */
gr_test_run_t sh(const std::string &cmd, int timeout_s = 30)
{
    return gr_test_run({"/bin/sh", "-c", cmd}, timeout_s);
}

/* A tool the tests need: fails (never skips) when it is not installed. */
inline ::testing::AssertionResult have_tool(const char *name)
{
    gr_test_run_t r = sh(std::string("command -v ") + name, 10);
    if (r.status == 0)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "'" << name
                                         << "' is not installed: run scripts/install-deps.sh (Debian packages curl, "
                                            "apache2-utils, wrk, python3)";
}

inline std::string url(int port, const std::string &path = "/") { return "http://127.0.0.1:" + std::to_string(port) + path; }

inline size_t count_of(const std::string &s, const std::string &what)
{
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size()))
        n++;
    return n;
}

/* A temporary directory for request bodies and scripts, removed with its files. */
class TempDir {
public:
    TempDir()
    {
        char tmpl[] = "/tmp/grocket-http-XXXXXX";
        const char *d = mkdtemp(tmpl);
        dir_ = d ? d : "/tmp";
    }
    ~TempDir()
    {
        for (const auto &f : files_)
            unlink(f.c_str());
        rmdir(dir_.c_str());
    }
    std::string write(const std::string &name, const std::string &content)
    {
        std::string path = dir_ + "/" + name;
        std::ofstream f(path, std::ios::binary);
        f << content;
        files_.push_back(path);
        return path;
    }

private:
    std::string dir_;
    std::vector<std::string> files_;
};

/* n bytes of varied printable content (not form-encoded: no '=' or '&'). */
inline std::string body_of(size_t n)
{
    std::string s(n, 'x');
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + (i * 7 + i / 100) % 26);
    return s;
}

/* Value of header `name` (case-insensitive) in a response head, or "" with
 * *found false. */
std::string header_of(const std::string &head, const char *name, bool *found = nullptr)
{
    size_t nl = strlen(name);
    for (size_t at = head.find("\r\n"); at != std::string::npos; at = head.find("\r\n", at + 2)) {
        size_t line = at + 2;
        if (head.size() - line > nl && strncasecmp(head.c_str() + line, name, nl) == 0 && head[line + nl] == ':') {
            size_t v = line + nl + 1;
            while (v < head.size() && head[v] == ' ')
                v++;
            size_t end = head.find("\r\n", v);
            if (found)
                *found = true;
            return head.substr(v, end == std::string::npos ? std::string::npos : end - v);
        }
    }
    if (found)
        *found = false;
    return "";
}

struct HttpResponse {
    bool complete = false; /* head and whole body arrived */
    int status = 0;
    std::string head;      /* status line and headers, up to the blank line */
    std::string body;
};

/* A raw client connection reading responses from a byte stream (several
 * may arrive in one read when requests are pipelined). */
class RawHttp {
public:
    explicit RawHttp(int port) : fd_(gr_test_connect("127.0.0.1", port)) {}
    /* With a small receive buffer, set before connecting (so the window
     * offered is small too): the server's replies back up. */
    RawHttp(int port, int rcvbuf) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))
    {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        struct timeval tv = {5, 0};
        if (fd_ < 0 || setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0 ||
            setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
            setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
            connect(fd_, (struct sockaddr *)&sa, sizeof sa) != 0) {
            if (fd_ >= 0)
                close(fd_);
            fd_ = -1;
        }
    }
    ~RawHttp()
    {
        if (fd_ >= 0)
            close(fd_);
    }
    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    bool send(const std::string &data) { return gr_test_send(fd_, data); }
    /* One byte per send (TCP_NODELAY is on), pausing between them. */
    bool send_bytewise(const std::string &data, int pause_ms)
    {
        for (char ch : data) {
            if (!gr_test_send(fd_, std::string(1, ch)))
                return false;
            sleep_ms(pause_ms);
        }
        return true;
    }
    /* Next response; head_only for the answer to HEAD (no body follows). */
    HttpResponse read_response(bool head_only = false)
    {
        HttpResponse r;
        size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
            if (!fill())
                return r;
        r.head = buf_.substr(0, end + 2);
        if (r.head.compare(0, 9, "HTTP/1.1 ") != 0 || r.head.size() < 12)
            return r;
        r.status = atoi(r.head.c_str() + 9);
        bool has_len = false;
        std::string cl = header_of(r.head, "Content-Length", &has_len);
        size_t len = head_only || r.status == 100 ? 0 : (size_t)strtoull(cl.c_str(), nullptr, 10);
        if (!has_len && !head_only && r.status != 100)
            return r;
        while (buf_.size() < end + 4 + len)
            if (!fill())
                return r;
        r.body = buf_.substr(end + 4, len);
        buf_.erase(0, end + 4 + len);
        r.complete = true;
        return r;
    }
    /* The peer closes (EOF or reset) within the 5 s receive timeout, with
     * no further bytes before it. *extra gets any bytes that came instead. */
    bool eof_next(std::string *extra = nullptr)
    {
        while (fill()) {
        }
        if (extra)
            *extra = buf_;
        return eof_ && buf_.empty();
    }
    size_t buffered() const { return buf_.size(); }

private:
    bool fill()
    {
        char tmp[65536];
        for (;;) {
            ssize_t r = recv(fd_, tmp, sizeof tmp, 0);
            if (r > 0) {
                buf_.append(tmp, (size_t)r);
                return true;
            }
            if (r < 0 && errno == EINTR)
                continue;
            eof_ = r == 0 || errno == ECONNRESET; /* not a timeout */
            return false;
        }
    }
    int fd_;
    std::string buf_;
    bool eof_ = false;
};

/* Runs send(data) on c from a thread (the server may stop reading while
 * its replies wait for us to read them). On leaving the scope early (a
 * failed ASSERT) the socket is shut down, which ends the send, and joined. */
class BackgroundSend {
public:
    BackgroundSend(RawHttp &c, const std::string &data) : c_(c), t_([this, &data] { ok_ = c_.send(data); }) {}
    ~BackgroundSend()
    {
        if (t_.joinable()) {
            shutdown(c_.fd(), SHUT_RDWR);
            t_.join();
        }
    }
    bool join()
    {
        t_.join();
        return ok_;
    }

private:
    RawHttp &c_;
    bool ok_ = false;
    std::thread t_;
};

/* GET target (HTTP/1.1) with optional extra header lines. */
std::string get_req(const std::string &target, const std::string &extra = "")
{
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

/* The demo's "Hello, World!" answer, checked in full. */
[[maybe_unused]] ::testing::AssertionResult is_hello(const HttpResponse &r)
{
    if (!r.complete)
        return ::testing::AssertionFailure() << "incomplete response: head [" << r.head << "] body [" << r.body
                                             << "]";
    if (r.status != 200 || r.body != "Hello, World!" || header_of(r.head, "Content-Length") != "13" ||
        header_of(r.head, "Content-Type").compare(0, 10, "text/plain") != 0)
        return ::testing::AssertionFailure() << "not the hello answer: head [" << r.head << "] body [" << r.body
                                             << "]";
    return ::testing::AssertionSuccess();
}

/* Stop the server and check the books: clean exit, every connection
 * closed, every request cut was processed or counted as dropped; and, when
 * given, the number of connections accepted (proves keep-alive reuse). */
[[maybe_unused]] void stop_and_check(GrocketdProcess &srv, long long accepted_expected = -1)
{
    ASSERT_EQ(0, srv.stop()) << srv.log();
    std::string log = srv.log();
    long long accepted = gr_test_total(log, "accepted");
    ASSERT_GE(accepted, 1) << log;
    if (accepted_expected >= 0) {
        EXPECT_EQ(accepted_expected, accepted) << log;
    }
    EXPECT_EQ(accepted, gr_test_total(log, "closed")) << log;
    EXPECT_EQ(gr_test_total(log, "packages"), gr_test_total(log, "processed") + gr_test_total(log, "dropped"))
        << log;
}

/* A running server for one test; server_keys added after the mode's. */
#define START_SERVER(srv, keys)                                                   \
    GrocketdProcess srv(gr_test_module("demo"), http_mode_keys(GetParam()) + keys); \
    ASSERT_TRUE(srv.start()) << srv.log()

/* The parameter set every HTTP suite runs with. */
#define GR_HTTP_ALL_MODES                                                                                   \
    ::testing::Values(HttpMode{true, true}, HttpMode{false, true}, HttpMode{true, false}, HttpMode{false, false}), \
        [](const ::testing::TestParamInfo<HttpMode> &info) { return http_mode_name(info.param); }

} // namespace

#endif
