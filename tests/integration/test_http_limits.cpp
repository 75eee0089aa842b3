/* test_http_limits.cpp - grocketd's HTTP under bad input and slow or idle
 * clients, in each of the four pipeline modes: malformed requests,
 * smuggling-shaped framing and every limit are answered (400, 413, 414,
 * 431, 501, 505) and the connection closed while others keep being served; idle keep-alive
 * connections and slow request heads are closed after their timeouts; slow
 * readers get every reply. Every test ends by checking the books. */
#include "gr_http_test.h"

namespace {

class HttpLimits : public ::testing::TestWithParam<HttpMode> {};

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

TEST_P(HttpLimits, BadInputAnsweredThenClosedOthersServed)
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
    /* RFC 7231 4.1 and 6.6.6: a method grocket does not know is 501, another
     * HTTP major version 505; RFC 7230 3.3.1: a transfer coding it does not
     * decode is 501; 3.1.1: a request line past http.max_header_size is 414,
     * ended or not. */
    expect_refused(port, "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501);
    expect_refused(port, "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
    expect_refused(port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
    expect_refused(port, get_req("/" + std::string(1100, 'u')), 414);
    expect_refused(port, "GET /" + std::string(1100, 'u'), 414);
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
    EXPECT_EQ(24, gr_test_total(srv.log(), "bad")) << srv.log();
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

TEST_P(HttpLimits, IdleKeepAliveConnectionClosed)
{
    /* 2 s, and activity every 0.4 s: room for a loaded machine (sanitizers,
     * ctest -j) between two requests of the active connection. */
    START_SERVER(srv, "http.keepalive_timeout = 2\n");
    double took = 0;
    /* After a request... */
    RawHttp a(srv.http_port());
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(a.send(get_req("/")));
    ASSERT_TRUE(is_hello(a.read_response()));
    /* ...and without any (connected, then silent). */
    RawHttp b(srv.http_port());
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(closed_within(a, 1.8, kTimeoutMax + 1.0, &took));
    EXPECT_TRUE(closed_within(b, 0.0, kTimeoutMax + 1.0, &took));
    /* Activity within the timeout keeps a connection open past it. */
    RawHttp c(srv.http_port());
    ASSERT_TRUE(c.ok());
    for (int i = 0; i < 8; i++) {
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

TEST_P(HttpLimits, SlowRequestHeadClosed)
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
TEST_P(HttpLimits, SlowReaderGetsEveryReplyDespiteKeepAliveTimeout)
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
TEST_P(HttpLimits, SteadySlowReaderOfPipelinedRepliesNotCutOff)
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

INSTANTIATE_TEST_SUITE_P(AllModes, HttpLimits, GR_HTTP_ALL_MODES);

} // namespace
