/* test_http.cpp - grocketd's built-in HTTP/1.1 (http:// listens) with the
 * demo module, in each of the four pipeline modes (worker on/off x tcp_out
 * on/off), driven by real clients over loopback:
 *  - curl: body and headers, keep-alive reuse, HEAD, POST bodies, Expect:
 *    100-continue, query and form decoding, chunked request bodies;
 *  - python3 http.client: keep-alive, HTTP/1.0 with and without keep-alive;
 *  - raw sockets: pipelining, Connection: close, requests split byte by byte;
 *  - limits and bad input (answered, then closed; others keep being served),
 *    keep-alive and header timeouts;
 *  - ab -k and wrk under load.
 * Every test ends by stopping the server and checking the books.
 * curl, ab, wrk and python3 come from scripts/install-deps.sh; a missing one
 * fails its tests (it does not skip them). */
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

std::string http_mode_keys(const HttpMode &m)
{
    return std::string("worker.disabled = ") + (m.worker_disabled ? "true" : "false") +
           "\ntcp.out.disabled = " + (m.tcp_out_disabled ? "true" : "false") +
           "\ntcp.in.thread_count = 2\nworker.thread_count = 2\ntcp.out.thread_count = 2\n";
}

std::string http_mode_name(const HttpMode &m)
{
    return std::string(m.worker_disabled ? "Inline" : "Worker") + (m.tcp_out_disabled ? "DirectOut" : "TcpOut");
}

double seconds_since(std::chrono::steady_clock::time_point t0)
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
::testing::AssertionResult have_tool(const char *name)
{
    gr_test_run_t r = sh(std::string("command -v ") + name, 10);
    if (r.status == 0)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "'" << name
                                         << "' is not installed: run scripts/install-deps.sh (Debian packages curl, "
                                            "apache2-utils, wrk, python3)";
}

std::string url(int port, const std::string &path = "/") { return "http://127.0.0.1:" + std::to_string(port) + path; }

size_t count_of(const std::string &s, const std::string &what)
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
std::string body_of(size_t n)
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
::testing::AssertionResult is_hello(const HttpResponse &r)
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
void stop_and_check(GrocketdProcess &srv, long long accepted_expected = -1)
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

class HttpModes : public ::testing::TestWithParam<HttpMode> {};

/* ------------------------------------------------------------ curl */

TEST_P(HttpModes, CurlGetBodyAndHeaders)
{
    ASSERT_TRUE(have_tool("curl"));
    START_SERVER(srv, "");
    gr_test_run_t r = sh("curl -sS --max-time 10 -i " + url(srv.http_port(), "/any/path?x=1"));
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_EQ(0u, r.output.find("HTTP/1.1 200 OK\r\n")) << r.output;
    EXPECT_EQ("13", header_of(r.output, "Content-Length")) << r.output;
    EXPECT_EQ("text/plain; charset=utf-8", header_of(r.output, "Content-Type")) << r.output;
    EXPECT_EQ("grocket", header_of(r.output, "Server")) << r.output;
    std::string date = header_of(r.output, "Date");
    EXPECT_EQ(29u, date.size()) << r.output; /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    EXPECT_NE(std::string::npos, date.find(" GMT")) << r.output;
    EXPECT_EQ(r.output.size() - 13, r.output.find("\r\n\r\nHello, World!") + 4) << r.output;
    stop_and_check(srv, 1);
}

TEST_P(HttpModes, CurlKeepAliveReusesTheConnection)
{
    ASSERT_TRUE(have_tool("curl"));
    START_SERVER(srv, "");
    gr_test_run_t r = sh("curl -sS --max-time 10 -o /dev/null -o /dev/null -o /dev/null "
                         "-w 'nc=%{num_connects} code=%{http_code} size=%{size_download}\\n' " +
                         url(srv.http_port(), "/a") + " " + url(srv.http_port(), "/b") + " " +
                         url(srv.http_port(), "/debug/request"));
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_EQ(0u, r.output.find("nc=1 code=200 size=13\nnc=0 code=200 size=13\nnc=0 code=200 size=")) << r.output;
    stop_and_check(srv, 1);
}

TEST_P(HttpModes, CurlHead)
{
    ASSERT_TRUE(have_tool("curl"));
    START_SERVER(srv, "");
    /* -I twice on one connection: a HEAD answer without a body must not
     * throw the second response's framing off. */
    gr_test_run_t r = sh("curl -sS --max-time 10 -I " + url(srv.http_port(), "/") + " " + url(srv.http_port(), "/x"));
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_EQ(2u, count_of(r.output, "HTTP/1.1 200 OK\r\n")) << r.output;
    EXPECT_EQ(2u, count_of(r.output, "Content-Length: 13\r\n")) << r.output;
    EXPECT_EQ(std::string::npos, r.output.find("Hello")) << r.output;
    /* A raw HEAD: exactly the head, then the next response on the stream. */
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + get_req("/")));
    HttpResponse h = c.read_response(true);
    ASSERT_TRUE(h.complete) << h.head;
    EXPECT_EQ(200, h.status);
    EXPECT_EQ("13", header_of(h.head, "Content-Length")) << h.head;
    EXPECT_TRUE(is_hello(c.read_response()));
    EXPECT_EQ(0u, c.buffered());
    stop_and_check(srv);
}

TEST_P(HttpModes, CurlPostBody)
{
    ASSERT_TRUE(have_tool("curl"));
    START_SERVER(srv, "");
    TempDir tmp;
    std::string file = tmp.write("body.bin", body_of(100000));
    gr_test_run_t r = sh("curl -sS --max-time 10 -H 'Content-Type: application/octet-stream' --data-binary @" + file +
                         " " + url(srv.http_port(), "/debug/request"));
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("method: POST\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("\nbody_length: 100000\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("\nheader: Content-Length=100000\n")) << r.output;
    EXPECT_EQ(std::string::npos, r.output.find("form: ")) << r.output;
    stop_and_check(srv, 1);
}

TEST_P(HttpModes, CurlExpect100Continue)
{
    ASSERT_TRUE(have_tool("curl"));
    START_SERVER(srv, "");
    TempDir tmp;
    std::string file = tmp.write("body.bin", body_of(300000));
    /* With a 10 s expect timeout a missing 100 Continue shows as a 10 s wait. */
    auto t0 = std::chrono::steady_clock::now();
    gr_test_run_t r = sh("curl -sS -v --max-time 20 --expect100-timeout 10 -H 'Expect: 100-continue' "
                         "-H 'Content-Type: application/octet-stream' --data-binary @" +
                         file + " " + url(srv.http_port(), "/debug/request"));
    double took = seconds_since(t0);
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("> Expect: 100-continue")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("< HTTP/1.1 100 Continue")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("< HTTP/1.1 200 OK")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("\nbody_length: 300000\n")) << r.output;
    EXPECT_LT(took, 5.0) << r.output;

    /* Raw: the head alone gets exactly "100 Continue"; then the body. */
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send("POST /debug/request HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    HttpResponse cont = c.read_response();
    ASSERT_TRUE(cont.complete) << cont.head;
    EXPECT_EQ("HTTP/1.1 100 Continue\r\n", cont.head);
    ASSERT_TRUE(c.send("hello"));
    HttpResponse done = c.read_response();
    ASSERT_TRUE(done.complete) << done.head;
    EXPECT_EQ(200, done.status);
    EXPECT_NE(std::string::npos, done.body.find("\nbody_length: 5\n")) << done.body;
    /* The whole body with the head: no 100 needed, none sent. */
    ASSERT_TRUE(c.send("POST /debug/request HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                       "Expect: 100-continue\r\n\r\nhi"));
    HttpResponse direct = c.read_response();
    EXPECT_EQ(200, direct.status) << direct.head;
    EXPECT_NE(std::string::npos, direct.body.find("\nbody_length: 2\n")) << direct.body;
    /* HTTP/1.0 has no 100 Continue: the server must wait for the body. */
    ASSERT_TRUE(c.send("POST /debug/request HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n"
                       "Expect: 100-continue\r\n\r\n"));
    sleep_ms(200);
    ASSERT_TRUE(c.send("abc"));
    HttpResponse old = c.read_response();
    EXPECT_EQ(200, old.status) << old.head;
    EXPECT_NE(std::string::npos, old.body.find("\nbody_length: 3\n")) << old.body;
    stop_and_check(srv);
}

TEST_P(HttpModes, CurlQueryDecoding)
{
    ASSERT_TRUE(have_tool("curl"));
    START_SERVER(srv, "");
    gr_test_run_t r =
        sh("curl -sS --max-time 10 '" + url(srv.http_port(), "/debug/request?a=1&b=x%20y&c=p+q&d=%2F%26") + "'");
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("method: GET\npath: /debug/request\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("query_string: a=1&b=x%20y&c=p+q&d=%2F%26\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("version: 1.1\nkeep_alive: 1\nbody_length: 0\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("query: a=1\nquery: b=x y\nquery: c=p q\nquery: d=/&\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("header: Host=127.0.0.1:" + std::to_string(srv.http_port()) + "\n"))
        << r.output;
    stop_and_check(srv, 1);
}

TEST_P(HttpModes, CurlFormFields)
{
    ASSERT_TRUE(have_tool("curl"));
    START_SERVER(srv, "");
    gr_test_run_t r = sh("curl -sS --max-time 10 -d 'f1=v1&f2=hello+world&f3=%C3%A9t%C3%A9' " +
                         url(srv.http_port(), "/debug/request"));
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("method: POST\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("\nbody_length: 37\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("form: f1=v1\nform: f2=hello world\nform: f3=\xC3\xA9t\xC3\xA9\n"))
        << r.output;
    stop_and_check(srv, 1);
}

TEST_P(HttpModes, CurlChunkedBody)
{
    ASSERT_TRUE(have_tool("curl"));
    START_SERVER(srv, "");
    TempDir tmp;
    std::string file = tmp.write("body.bin", body_of(100000));
    gr_test_run_t r = sh("curl -sS -v --max-time 10 -H 'Transfer-Encoding: chunked' "
                         "-H 'Content-Type: application/octet-stream' --data-binary @" +
                         file + " " + url(srv.http_port(), "/debug/request"));
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("> Transfer-Encoding: chunked")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("\nbody_length: 100000\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("\nheader: Transfer-Encoding=chunked\n")) << r.output;
    /* A chunked form is decoded too. */
    r = sh("curl -sS --max-time 10 -H 'Transfer-Encoding: chunked' -d 'k=a+b%21' " +
           url(srv.http_port(), "/debug/request"));
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("\nbody_length: 8\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("form: k=a b!\n")) << r.output;
    stop_and_check(srv, 2);
}

/* ------------------------------------------------------------ python3 http.client */

const char kPyScript[] = R"PY(
import http.client, socket, sys

port = int(sys.argv[1])
what = sys.argv[2]

class HTTP10(http.client.HTTPConnection):
    _http_vsn = 10
    _http_vsn_str = 'HTTP/1.0'

def read_to_eof(s):
    data = b''
    while True:
        d = s.recv(65536)   # socket.timeout (5 s) fails the test
        if not d:
            return data
        data += d

if what == 'keepalive':
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    sock = None
    for i in range(20):
        if i % 4 == 3:
            c.request('POST', '/debug/request?i=%d' % i, body=b'z' * (1000 * i),
                      headers={'Content-Type': 'application/octet-stream'})
        elif i % 4 == 2:
            c.request('HEAD', '/')
        else:
            c.request('GET', '/debug/request?i=%d' % i)
        r = c.getresponse()
        body = r.read().decode()
        assert r.status == 200, (i, r.status)
        assert not r.will_close, (i, r.getheaders())
        if i % 4 == 2:
            assert body == '' and r.getheader('Content-Length') == '13', (i, body, r.getheaders())
        else:
            assert 'query: i=%d\n' % i in body, (i, body)
            assert 'version: 1.1\nkeep_alive: 1\n' in body, (i, body)
            assert 'body_length: %d\n' % (1000 * i if i % 4 == 3 else 0) in body, (i, body)
        if sock is None:
            sock = c.sock
        assert c.sock is sock, 'a new connection for request %d' % i
    c.close()
    print('PY-OK keepalive')

elif what == 'http10close':
    c = HTTP10('127.0.0.1', port, timeout=5)
    c.request('GET', '/debug/request')
    r = c.getresponse()
    body = r.read().decode()
    assert r.status == 200, r.status
    assert r.getheader('Connection') == 'close', r.getheaders()
    assert r.will_close
    assert 'version: 1.0\nkeep_alive: 0\n' in body, body
    c.close()
    # The server closes after the response, and answers nothing more.
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    s.sendall(b'GET / HTTP/1.0\r\n\r\nGET /second HTTP/1.0\r\n\r\n')
    data = read_to_eof(s)
    assert data.startswith(b'HTTP/1.1 200 OK\r\n'), data
    assert b'\r\nConnection: close\r\n' in data, data
    assert data.endswith(b'\r\n\r\nHello, World!'), data
    assert data.count(b'HTTP/1.1') == 1, data
    s.close()
    print('PY-OK http10close')

elif what == 'http10keepalive':
    c = HTTP10('127.0.0.1', port, timeout=5)
    sock = None
    for i in range(5):
        c.request('GET', '/debug/request?i=%d' % i, headers={'Connection': 'keep-alive'})
        r = c.getresponse()
        body = r.read().decode()
        assert r.status == 200, r.status
        assert (r.getheader('Connection') or '').lower() == 'keep-alive', r.getheaders()
        assert not r.will_close
        assert 'version: 1.0\nkeep_alive: 1\n' in body, body
        assert 'query: i=%d\n' % i in body, body
        if sock is None:
            sock = c.sock
        assert c.sock is sock, 'a new connection for request %d' % i
    # The connection is still open: a last request without keep-alive
    # gets "Connection: close" and the end of the connection.
    s = c.sock
    s.sendall(b'GET / HTTP/1.0\r\n\r\n')
    data = read_to_eof(s)
    assert data.startswith(b'HTTP/1.1 200 OK\r\n') and b'\r\nConnection: close\r\n' in data, data
    assert data.endswith(b'Hello, World!'), data
    c.close()
    print('PY-OK http10keepalive')
else:
    sys.exit('unknown case ' + what)
)PY";

gr_test_run_t run_python(int port, const char *what)
{
    TempDir tmp;
    std::string script = tmp.write("client.py", kPyScript);
    return sh("python3 " + script + " " + std::to_string(port) + " " + what, 60);
}

TEST_P(HttpModes, PythonKeepAlive)
{
    ASSERT_TRUE(have_tool("python3"));
    START_SERVER(srv, "");
    gr_test_run_t r = run_python(srv.http_port(), "keepalive");
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("PY-OK keepalive")) << r.output;
    stop_and_check(srv, 1);
}

TEST_P(HttpModes, PythonHttp10WithoutKeepAliveIsClosed)
{
    ASSERT_TRUE(have_tool("python3"));
    START_SERVER(srv, "");
    gr_test_run_t r = run_python(srv.http_port(), "http10close");
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("PY-OK http10close")) << r.output;
    stop_and_check(srv, 2);
}

TEST_P(HttpModes, PythonHttp10KeepAliveStaysOpen)
{
    ASSERT_TRUE(have_tool("python3"));
    START_SERVER(srv, "");
    gr_test_run_t r = run_python(srv.http_port(), "http10keepalive");
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("PY-OK http10keepalive")) << r.output;
    stop_and_check(srv, 1);
}

/* ------------------------------------------------------------ raw sockets */

/* n pipelined GETs of /debug/request?i=N in one send; every answer back,
 * complete and in order. */
void check_pipeline(int port, int n)
{
    RawHttp c(port);
    ASSERT_TRUE(c.ok());
    std::string reqs;
    for (int i = 0; i < n; i++)
        reqs += get_req("/debug/request?i=" + std::to_string(i), "X-Seq: " + std::to_string(i) + "\r\n");
    ASSERT_TRUE(c.send(reqs));
    for (int i = 0; i < n; i++) {
        HttpResponse r = c.read_response();
        ASSERT_TRUE(r.complete) << "response " << i << ": head [" << r.head << "]";
        ASSERT_EQ(200, r.status) << r.head;
        std::string want = "\nquery: i=" + std::to_string(i) + "\n";
        ASSERT_NE(std::string::npos, r.body.find(want)) << "response " << i << " out of order: " << r.body;
        ASSERT_NE(std::string::npos, r.body.find("\nheader: X-Seq=" + std::to_string(i) + "\n")) << r.body;
    }
    EXPECT_EQ(0u, c.buffered()); /* exactly n, nothing more */
    /* The connection is still good afterwards. */
    ASSERT_TRUE(c.send(get_req("/")));
    EXPECT_TRUE(is_hello(c.read_response()));
}

TEST_P(HttpModes, RawPipelining)
{
    START_SERVER(srv, "");
    check_pipeline(srv.http_port(), 16);
    check_pipeline(srv.http_port(), 500); /* many reads and partial requests at buffer edges */
    /* Mixed methods, with bodies (chunked too), and a last request that
     * closes: its answer is the last one, then EOF. */
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send("POST /debug/request?i=0 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd"
                       "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                       "POST /debug/request?i=2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                       "GET /debug/request?i=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                       "GET /never HTTP/1.1\r\nHost: x\r\n\r\n"));
    HttpResponse r0 = c.read_response();
    EXPECT_NE(std::string::npos, r0.body.find("query: i=0\n")) << r0.body;
    EXPECT_NE(std::string::npos, r0.body.find("body_length: 4\n")) << r0.body;
    HttpResponse r1 = c.read_response(true);
    EXPECT_EQ(200, r1.status) << r1.head;
    EXPECT_EQ("13", header_of(r1.head, "Content-Length")) << r1.head;
    HttpResponse r2 = c.read_response();
    EXPECT_NE(std::string::npos, r2.body.find("query: i=2\n")) << r2.body;
    EXPECT_NE(std::string::npos, r2.body.find("body_length: 5\n")) << r2.body;
    HttpResponse r3 = c.read_response();
    EXPECT_NE(std::string::npos, r3.body.find("query: i=3\n")) << r3.body;
    EXPECT_EQ("close", header_of(r3.head, "Connection")) << r3.head;
    std::string extra;
    EXPECT_TRUE(c.eof_next(&extra)) << "after Connection: close: [" << extra << "]";
    stop_and_check(srv, 3);
}

/* Pipelined POSTs with bodies of many sizes, by Content-Length and chunked
 * (in chunks of varied sizes), in one send: the receive buffer grows and is
 * compacted under them; every body arrives whole, as its form fields show. */
TEST_P(HttpModes, RawPipelinedBodies)
{
    START_SERVER(srv, "");
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    const int n = 24;
    std::string reqs;
    std::vector<size_t> lens;
    for (int i = 0; i < n; i++) {
        std::string body = "first=" + std::to_string(i) + "&pad=" + body_of((size_t)(i * 2731) % 60000) +
                           "&last=" + std::to_string(i * 7) + "%21";
        lens.push_back(body.size());
        std::string head = "POST /debug/request?i=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n" +
                           "Content-Type: application/x-www-form-urlencoded\r\n";
        if (i % 2 == 0) {
            reqs += head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        } else {
            reqs += head + "Transfer-Encoding: chunked\r\n\r\n";
            size_t step = 1 + (size_t)i * 977;
            for (size_t at = 0; at < body.size(); at += step) {
                std::string piece = body.substr(at, step);
                char size[32];
                snprintf(size, sizeof size, "%zx\r\n", piece.size());
                reqs += size + piece + "\r\n";
            }
            reqs += "0\r\n\r\n";
        }
    }
    BackgroundSend sender(c, reqs); /* about 720 kB */
    for (int i = 0; i < n; i++) {
        HttpResponse r = c.read_response();
        ASSERT_TRUE(r.complete) << "response " << i << ": head [" << r.head << "]";
        ASSERT_EQ(200, r.status) << r.head;
        EXPECT_NE(std::string::npos, r.body.find("query: i=" + std::to_string(i) + "\n")) << r.body;
        EXPECT_NE(std::string::npos, r.body.find("\nbody_length: " + std::to_string(lens[i]) + "\n")) << r.body;
        EXPECT_NE(std::string::npos, r.body.find("form: first=" + std::to_string(i) + "\n")) << r.body;
        EXPECT_NE(std::string::npos, r.body.find("form: last=" + std::to_string(i * 7) + "!\n")) << r.body;
    }
    EXPECT_TRUE(sender.join());
    EXPECT_EQ(0u, c.buffered());
    stop_and_check(srv, 1);
}

TEST_P(HttpModes, RawConnectionCloseThenEof)
{
    START_SERVER(srv, "");
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send(get_req("/", "Connection: close\r\n")));
    HttpResponse r = c.read_response();
    EXPECT_TRUE(is_hello(r));
    EXPECT_EQ("close", header_of(r.head, "Connection")) << r.head;
    auto t0 = std::chrono::steady_clock::now();
    std::string extra;
    EXPECT_TRUE(c.eof_next(&extra)) << "[" << extra << "]";
    EXPECT_LT(seconds_since(t0), 1.0);
    stop_and_check(srv, 1);
}

/* RFC 7230 5.3.2: a server accepts the absolute form of the target; the
 * path is what follows the authority. CONNECT is not served: 405, close. */
TEST_P(HttpModes, AbsoluteFormTargetAndConnect)
{
    START_SERVER(srv, "");
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send("GET http://example.com/debug/request?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
                       "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"));
    HttpResponse r = c.read_response();
    ASSERT_TRUE(r.complete) << r.head;
    EXPECT_NE(std::string::npos, r.body.find("path: /debug/request\n")) << r.body;
    EXPECT_NE(std::string::npos, r.body.find("query: x=1\n")) << r.body;
    r = c.read_response();
    EXPECT_TRUE(is_hello(r)) << r.head;

    RawHttp t(srv.http_port());
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(t.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"));
    r = t.read_response();
    EXPECT_EQ(405, r.status) << r.head;
    EXPECT_EQ("close", header_of(r.head, "Connection")) << r.head;
    EXPECT_TRUE(t.eof_next());
    stop_and_check(srv, 2);
}

TEST_P(HttpModes, RawRequestsSplitByteByByte)
{
    START_SERVER(srv, "");
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send_bytewise(get_req("/debug/request?i=7&s=a%20b", "X-Test: some value\r\n"), 2));
    HttpResponse r = c.read_response();
    ASSERT_TRUE(r.complete) << r.head;
    EXPECT_EQ(200, r.status);
    EXPECT_NE(std::string::npos, r.body.find("query: i=7\nquery: s=a b\n")) << r.body;
    EXPECT_NE(std::string::npos, r.body.find("header: X-Test=some value\n")) << r.body;
    /* A body by Content-Length, byte by byte. */
    ASSERT_TRUE(c.send_bytewise("POST /debug/request HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
                                "Content-Type: application/x-www-form-urlencoded\r\n\r\nf=hello+you",
                                2));
    r = c.read_response();
    EXPECT_NE(std::string::npos, r.body.find("body_length: 11\n")) << r.body;
    EXPECT_NE(std::string::npos, r.body.find("form: f=hello you\n")) << r.body;
    /* A chunked body (with an extension and a trailer), byte by byte. */
    ASSERT_TRUE(c.send_bytewise("POST /debug/request HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
                                2));
    r = c.read_response();
    EXPECT_EQ(200, r.status) << r.head;
    EXPECT_NE(std::string::npos, r.body.find("body_length: 11\n")) << r.body;
    /* And two pipelined requests, byte by byte. */
    ASSERT_TRUE(c.send_bytewise(get_req("/debug/request?i=1") + get_req("/debug/request?i=2"), 1));
    r = c.read_response();
    EXPECT_NE(std::string::npos, r.body.find("query: i=1\n")) << r.body;
    r = c.read_response();
    EXPECT_NE(std::string::npos, r.body.find("query: i=2\n")) << r.body;
    stop_and_check(srv, 1);
}

/* "100 Continue" and error answers take their place after the answers
 * owed to earlier requests, even when those are still being processed
 * (worker modes) and the later bytes arrive in a separate read. */
TEST_P(HttpModes, InterimAndErrorAnswersKeepTheirPlace)
{
    START_SERVER(srv, "");
    std::string filler;
    for (int i = 0; i < 30; i++)
        filler += "X-Filler-" + std::to_string(i) + ": " + std::string(100, 'f') + "\r\n";
    for (int round = 0; round < 40; round++) {
        RawHttp c(srv.http_port());
        ASSERT_TRUE(c.ok());
        ASSERT_TRUE(c.send(get_req("/debug/request?i=1", filler)));
        if (round % 2)
            sleep_ms(1);
        const char *te = round % 4 < 2 ? "Content-Length: 5\r\n" : "Transfer-Encoding: chunked\r\n";
        ASSERT_TRUE(c.send(std::string("POST /debug/request?i=2 HTTP/1.1\r\nHost: x\r\n") + te +
                           "Expect: 100-continue\r\n\r\n"));
        HttpResponse r1 = c.read_response();
        ASSERT_EQ(200, r1.status) << "round " << round << ": " << r1.head;
        EXPECT_NE(std::string::npos, r1.body.find("query: i=1\n")) << r1.body;
        HttpResponse cont = c.read_response();
        ASSERT_EQ(100, cont.status) << "round " << round << ": " << cont.head;
        ASSERT_TRUE(c.send(round % 4 < 2 ? "hello" : "5\r\nhello\r\n0\r\n\r\n"));
        HttpResponse r2 = c.read_response();
        ASSERT_EQ(200, r2.status) << "round " << round << ": " << r2.head;
        EXPECT_NE(std::string::npos, r2.body.find("query: i=2\n")) << r2.body;
        EXPECT_NE(std::string::npos, r2.body.find("body_length: 5\n")) << r2.body;
        /* An error after a good request read separately. */
        ASSERT_TRUE(c.send(get_req("/debug/request?i=3", filler)));
        if (round % 2)
            sleep_ms(1);
        ASSERT_TRUE(c.send("BROKEN\r\n\r\n"));
        HttpResponse r3 = c.read_response();
        ASSERT_EQ(200, r3.status) << "round " << round << ": " << r3.head;
        EXPECT_NE(std::string::npos, r3.body.find("query: i=3\n")) << r3.body;
        HttpResponse bad = c.read_response();
        ASSERT_EQ(400, bad.status) << "round " << round << ": " << bad.head;
        EXPECT_TRUE(c.eof_next());
    }
    stop_and_check(srv, 40);
    EXPECT_EQ(40, gr_test_total(srv.log(), "bad")) << srv.log();
}

/* ------------------------------------------------------------ limits and bad input */

const char kLimitKeys[] = "http.max_header_size = 1024\nhttp.max_headers = 20\nhttp.max_body_size = 200000\n";

/* req is answered with status (and "Connection: close"), then the
 * connection ends with nothing more. */
void expect_refused(int port, const std::string &req, int status)
{
    RawHttp c(port);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send(req));
    HttpResponse r = c.read_response();
    ASSERT_TRUE(r.complete) << "request [" << req.substr(0, 200) << "]: head [" << r.head << "]";
    EXPECT_EQ(status, r.status) << "request [" << req.substr(0, 200) << "]: " << r.head;
    EXPECT_EQ("close", header_of(r.head, "Connection")) << r.head;
    EXPECT_EQ(std::to_string(status), r.body.substr(0, 3)) << r.body;
    std::string extra;
    EXPECT_TRUE(c.eof_next(&extra)) << "request [" << req.substr(0, 200) << "]: more after the " << status << ": ["
                                    << extra << "]";
}

TEST_P(HttpModes, BadInputAnsweredThenClosedOthersServed)
{
    START_SERVER(srv, kLimitKeys);
    const int port = srv.http_port();
    /* A keep-alive connection that stays open through all of it. */
    RawHttp good(port);
    ASSERT_TRUE(good.ok());
    ASSERT_TRUE(good.send(get_req("/")));
    ASSERT_TRUE(is_hello(good.read_response()));

    /* Malformed request lines. */
    expect_refused(port, "HELLO WORLD\r\n\r\n", 400);
    expect_refused(port, "GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400);
    expect_refused(port, "GET / HTTP/1.1 junk\r\nHost: x\r\n\r\n", 400);
    expect_refused(port, "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    /* Header section over http.max_header_size (1024): ended or not. */
    expect_refused(port, get_req("/", "X-Big: " + std::string(1100, 'a') + "\r\n"), 431);
    expect_refused(port, "GET / HTTP/1.1\r\nX-Big: " + std::string(1100, 'a'), 431);
    /* More header lines than http.max_headers (20). */
    std::string many;
    for (int i = 0; i < 25; i++)
        many += "X-H" + std::to_string(i) + ": v\r\n";
    expect_refused(port, get_req("/", many), 431);
    /* Body over http.max_body_size (200000), by Content-Length (refused on
     * the head, before the body comes; even with Expect: no 100 first)... */
    expect_refused(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 200001\r\n\r\n", 413);
    expect_refused(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\nExpect: 100-continue\r\n\r\n", 413);
    /* ...and chunked: one chunk too big, or chunks adding up past it. */
    expect_refused(port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n30d41\r\n", 413);
    expect_refused(port,
                   "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n186a0\r\n" +
                       std::string(100000, 'c') + "\r\n186a1\r\n",
                   413);
    /* Ambiguous framing: no request smuggling. */
    expect_refused(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    expect_refused(port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400);
    expect_refused(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400);
    expect_refused(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\n", 400);
    /* A bad request after good ones on the same connection: the good ones
     * are answered first, in order. */
    {
        RawHttp c(port);
        ASSERT_TRUE(c.ok());
        ASSERT_TRUE(c.send(get_req("/debug/request?i=1") + get_req("/") + "BROKEN\r\n\r\n"));
        HttpResponse r1 = c.read_response();
        EXPECT_NE(std::string::npos, r1.body.find("query: i=1\n")) << r1.head << r1.body;
        EXPECT_TRUE(is_hello(c.read_response()));
        HttpResponse bad = c.read_response();
        EXPECT_EQ(400, bad.status) << bad.head;
        EXPECT_EQ("close", header_of(bad.head, "Connection")) << bad.head;
        EXPECT_TRUE(c.eof_next());
    }
    /* Just under the limits is fine. */
    {
        RawHttp c(port);
        ASSERT_TRUE(c.ok());
        std::string body = body_of(200000);
        ASSERT_TRUE(c.send("POST /debug/request HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + body));
        HttpResponse r = c.read_response();
        EXPECT_EQ(200, r.status) << r.head;
        EXPECT_NE(std::string::npos, r.body.find("body_length: 200000\n")) << r.body;
        std::string head = get_req("/", "X-Big: ");
        ASSERT_TRUE(c.send(get_req("/", "X-Big: " + std::string(1024 - head.size() - 2, 'b') + "\r\n")));
        EXPECT_TRUE(is_hello(c.read_response()));
        std::string nineteen; /* with Host: exactly max_headers */
        for (int i = 0; i < 19; i++)
            nineteen += "X-H" + std::to_string(i) + ": v\r\n";
        ASSERT_TRUE(c.send(get_req("/", nineteen)));
        EXPECT_TRUE(is_hello(c.read_response()));
        ASSERT_TRUE(c.send("POST /debug/request HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "186a0\r\n" + body.substr(0, 100000) + "\r\n186a0\r\n" + body.substr(100000) +
                           "\r\n0\r\n\r\n"));
        r = c.read_response();
        EXPECT_EQ(200, r.status) << r.head;
        EXPECT_NE(std::string::npos, r.body.find("body_length: 200000\n")) << r.body;
    }
    /* One byte over each: refused. */
    {
        std::string head = get_req("/", "X-Big: ");
        expect_refused(port, get_req("/", "X-Big: " + std::string(1025 - head.size() - 2, 'b') + "\r\n"), 431);
        expect_refused(port, get_req("/", many.substr(0, many.find("X-H20")) + "X-Last: v\r\n"), 431);
        expect_refused(port,
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n186a0\r\n" +
                           std::string(100000, 'c') + "\r\n186a1\r\n",
                       413);
    }

    /* The server still serves: the old connection and new ones. */
    EXPECT_TRUE(srv.alive());
    ASSERT_TRUE(good.send(get_req("/")));
    EXPECT_TRUE(is_hello(good.read_response()));
    RawHttp fresh(port);
    ASSERT_TRUE(fresh.ok());
    ASSERT_TRUE(fresh.send(get_req("/")));
    EXPECT_TRUE(is_hello(fresh.read_response()));
    /* tcp:// on the same server is untouched by all this. */
    EXPECT_EQ("ping", gr_test_roundtrip(srv.port(), "ping", 4));
    stop_and_check(srv);
    EXPECT_EQ(19, gr_test_total(srv.log(), "bad")) << srv.log();
}

/* The timeouts are checked by a once-a-second sweep, so a 1 s timeout
 * closes after 1 to 2 s, and later on a loaded machine (sanitizers, 2 CPUs
 * shared with a build): the bounds below are generous, yet far below the
 * 30 s or never that a broken timeout gives. */
const double kTimeoutMin = 0.8, kTimeoutMax = 5.0;

/* The connection ends (EOF or reset) between min_s and max_s from now,
 * with nothing received before; the time it took in *took. */
::testing::AssertionResult closed_within(RawHttp &c, double min_s, double max_s, double *took)
{
    auto t0 = std::chrono::steady_clock::now();
    struct timeval tv = {(time_t)max_s + 3, 0};
    setsockopt(c.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string extra;
    bool eof = c.eof_next(&extra);
    *took = seconds_since(t0);
    if (!eof)
        return ::testing::AssertionFailure() << "not closed after " << *took << " s; got [" << extra << "]";
    if (*took < min_s || *took > max_s)
        return ::testing::AssertionFailure() << "closed after " << *took << " s, expected " << min_s << ".." << max_s;
    return ::testing::AssertionSuccess();
}

TEST_P(HttpModes, IdleKeepAliveConnectionClosed)
{
    START_SERVER(srv, "http.keepalive_timeout = 1\n");
    double took = 0;
    /* After a request... */
    RawHttp a(srv.http_port());
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(a.send(get_req("/")));
    ASSERT_TRUE(is_hello(a.read_response()));
    /* ...and without any (connected, then silent). */
    RawHttp b(srv.http_port());
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(closed_within(a, kTimeoutMin, kTimeoutMax, &took));
    EXPECT_TRUE(closed_within(b, 0.0, kTimeoutMax, &took));
    /* Activity within the timeout keeps a connection open past it. */
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    for (int i = 0; i < 6; i++) {
        ASSERT_TRUE(c.send(get_req("/")));
        ASSERT_TRUE(is_hello(c.read_response())) << "request " << i;
        sleep_ms(400);
    }
    /* Still served afterwards. */
    RawHttp d(srv.http_port());
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(d.send(get_req("/")));
    EXPECT_TRUE(is_hello(d.read_response()));
    stop_and_check(srv, 4);
}

TEST_P(HttpModes, SlowRequestHeadClosed)
{
    /* A long keep-alive timeout, so only the header timeout can act. */
    START_SERVER(srv, "http.keepalive_timeout = 30\nhttp.header_timeout = 1\n");
    double took = 0;
    /* The request line, then nothing. */
    RawHttp a(srv.http_port());
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(a.send("GET / HTTP/1.1\r\n"));
    EXPECT_TRUE(closed_within(a, kTimeoutMin, kTimeoutMax, &took));
    /* A head trickling in, a byte every 100 ms: active, yet too slow. */
    RawHttp b(srv.http_port());
    ASSERT_TRUE(b.ok());
    auto t0 = std::chrono::steady_clock::now();
    std::string trickle = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 's');
    double eof_at = -1;
    std::string got;
    for (size_t i = 0; i < trickle.size() && eof_at < 0 && seconds_since(t0) < kTimeoutMax + 1; i++) {
        gr_test_send(b.fd(), trickle.substr(i, 1)); /* fails once the server has closed: fine */
        sleep_ms(100);
        char buf[256];
        ssize_t r = recv(b.fd(), buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0)
            got.append(buf, (size_t)r);
        else if (r == 0 || errno == ECONNRESET || errno == EPIPE)
            eof_at = seconds_since(t0);
    }
    EXPECT_GE(eof_at, kTimeoutMin) << "still open after " << seconds_since(t0) << " s, or closed too soon; got ["
                                   << got << "]";
    EXPECT_LE(eof_at, kTimeoutMax);
    EXPECT_EQ("", got);
    /* A complete request, then the start of a next one, then nothing: the
     * answer to the first, then the close. */
    RawHttp p(srv.http_port());
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE(p.send(get_req("/") + "GET / HT"));
    ASSERT_TRUE(is_hello(p.read_response()));
    EXPECT_TRUE(closed_within(p, kTimeoutMin, kTimeoutMax, &took));
    /* A keep-alive connection idle between requests is not "slow". */
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send(get_req("/")));
    ASSERT_TRUE(is_hello(c.read_response()));
    sleep_ms(2500);
    ASSERT_TRUE(c.send(get_req("/")));
    EXPECT_TRUE(is_hello(c.read_response()));
    stop_and_check(srv, 4);
}

/* A client that pipelines, then reads nothing for longer than the
 * keep-alive timeout: the server may close the connection as idle, but
 * only after every reply owed has been sent. */
TEST_P(HttpModes, SlowReaderGetsEveryReplyDespiteKeepAliveTimeout)
{
    START_SERVER(srv, "http.keepalive_timeout = 1\n");
    RawHttp c(srv.http_port(), 4096);
    ASSERT_TRUE(c.ok());
    std::string hdrs;
    for (int i = 0; i < 15; i++)
        hdrs += "X-Filler-" + std::to_string(i) + ": " + std::string(300, 'f') + "\r\n";
    std::string reqs;
    const int n = 60; /* about 290 kB each way */
    for (int i = 0; i < n; i++)
        reqs += get_req("/debug/request?i=" + std::to_string(i), hdrs);
    BackgroundSend sender(c, reqs);
    sleep_ms(2500); /* nothing read meanwhile: the server's replies wait on us */
    int got = 0;
    for (; got < n; got++) {
        HttpResponse r = c.read_response();
        if (!r.complete)
            break;
        EXPECT_NE(std::string::npos, r.body.find("query: i=" + std::to_string(got) + "\n"));
    }
    EXPECT_TRUE(sender.join());
    EXPECT_EQ(n, got) << "the connection was cut with replies still to send";
    stop_and_check(srv, 1);
}

/* KNOWN SERVER BUG (disabled until fixed): a client that pipelines many
 * requests and reads the replies steadily, but more slowly than they are
 * made, is cut off. Once its replies back up, the server stops reading
 * from the connection (backpressure), and then takes the silence it caused
 * for an idle client (http.keepalive_timeout counts from the server's last
 * read) or, inline, for a slow request head (a partial head sits in the
 * buffer while the rest waits unread in the kernel): it closes the
 * connection with replies and requests still owed. Inline the close resets
 * the connection (replies already made are lost); with workers the requests
 * not yet read are dropped without an answer. Expected: every reply. */
TEST_P(HttpModes, SteadySlowReaderOfPipelinedRepliesNotCutOff)
{
    START_SERVER(srv, "http.keepalive_timeout = 1\nhttp.header_timeout = 1\n");
    RawHttp c(srv.http_port(), 4096);
    ASSERT_TRUE(c.ok());
    std::string hdrs;
    for (int i = 0; i < 15; i++)
        hdrs += "X-Filler-" + std::to_string(i) + ": " + std::string(300, 'f') + "\r\n";
    const int n = 600; /* about 2.9 MB each way: more than the socket buffers hold */
    std::string reqs;
    for (int i = 0; i < n; i++)
        reqs += get_req("/debug/request?i=" + std::to_string(i), hdrs);
    BackgroundSend sender(c, reqs);
    /* Read (up to 16 kB) every 10 ms: never idle for anything near a second. */
    std::string in;
    std::string last = "\nquery: i=" + std::to_string(n - 1) + "\n";
    auto t0 = std::chrono::steady_clock::now();
    const char *end = "deadline";
    while (seconds_since(t0) < 20) {
        char buf[16384];
        ssize_t r = recv(c.fd(), buf, sizeof buf, 0);
        if (r <= 0) {
            end = r == 0 ? "EOF" : errno == ECONNRESET ? "reset" : "receive timeout";
            break;
        }
        in.append(buf, (size_t)r);
        if (in.find(last) != std::string::npos) {
            end = "all";
            break;
        }
        sleep_ms(10);
    }
    size_t got = count_of(in, "HTTP/1.1 200 OK\r\n");
    EXPECT_STREQ("all", end) << got << " of " << n << " replies (" << in.size() << " bytes) in " << seconds_since(t0)
                            << " s";
    EXPECT_EQ((size_t)n, got);
    sender.join();
    stop_and_check(srv, 1);
}

/* ------------------------------------------------------------ load: ab, wrk */

TEST_P(HttpModes, ApacheBenchKeepAlive)
{
    ASSERT_TRUE(have_tool("ab"));
    START_SERVER(srv, "");
    gr_test_run_t r = sh("ab -k -n 2000 -c 8 -s 10 " + url(srv.http_port(), "/"), 60);
    ASSERT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("Complete requests:      2000\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("Failed requests:        0\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("Keep-Alive requests:    2000\n")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("Document Length:        13 bytes\n")) << r.output;
    size_t non2xx = r.output.find("Non-2xx responses:");
    if (non2xx != std::string::npos) {
        EXPECT_EQ(0, atoi(r.output.c_str() + non2xx + strlen("Non-2xx responses:"))) << r.output;
    }
    stop_and_check(srv, 8);
    EXPECT_EQ(2000, gr_test_total(srv.log(), "packages")) << srv.log();
}

TEST_P(HttpModes, WrkTwoSeconds)
{
    ASSERT_TRUE(have_tool("wrk"));
    START_SERVER(srv, "");
    gr_test_run_t r = sh("wrk -t1 -c16 -d2s --timeout 2s " + url(srv.http_port(), "/"), 30);
    ASSERT_EQ(0, r.status) << r.output;
    size_t at = r.output.find(" requests in ");
    ASSERT_NE(std::string::npos, at) << r.output;
    size_t start = r.output.rfind('\n', at);
    long long requests = atoll(r.output.c_str() + (start == std::string::npos ? 0 : start + 1));
    EXPECT_GT(requests, 0) << r.output;
    size_t sock_err = r.output.find("Socket errors:");
    if (sock_err != std::string::npos) {
        std::string line = r.output.substr(sock_err, r.output.find('\n', sock_err) - sock_err);
        EXPECT_NE(std::string::npos, line.find("connect 0, read 0, write 0, timeout 0")) << r.output;
    }
    EXPECT_EQ(std::string::npos, r.output.find("Non-2xx")) << r.output;
    stop_and_check(srv);
    /* 16 connections (wrk may open one more first, to check the address). */
    EXPECT_GE(gr_test_total(srv.log(), "accepted"), 16) << srv.log();
    EXPECT_LE(gr_test_total(srv.log(), "accepted"), 17) << srv.log();
    /* Each request wrk counted was served (it may also have some in flight). */
    EXPECT_GE(gr_test_total(srv.log(), "packages"), requests) << srv.log();
}

INSTANTIATE_TEST_SUITE_P(AllModes, HttpModes,
                         ::testing::Values(HttpMode{true, true}, HttpMode{false, true}, HttpMode{true, false},
                                           HttpMode{false, false}),
                         [](const ::testing::TestParamInfo<HttpMode> &info) { return http_mode_name(info.param); });

} // namespace
