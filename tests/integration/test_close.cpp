/* test_close.cpp - when grocket closes a connection on its own, every reply
 * owed before the closing point reaches the client, even one that keeps
 * writing past that point and reads slowly; nothing written after it is
 * answered (the lingering close, docs/architecture.md "Closing a
 * connection"). Each closing reason in all four modes, with the demo and
 * fixture_life modules: an HTTP request refused (400, 431, 413), Connection:
 * close, a graceful stop; over tcp://, the module's bad data, its
 * GR_PROC_CLOSE, a package past tcp.in.recv_buf.max (gathered, or announced
 * by a size hint). Then the bounds: a client that never stops writing is
 * cut off at tcp.lingering_time, a silent one at tcp.lingering_timeout, and
 * tcp.lingering_time = 0 closes at once. Without lingering, the client's
 * late bytes make the kernel reset the connection and the replies still
 * queued are lost (a few hundred of 2,000 arrived). */
#include "gr_http_test.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include <functional>
#include <memory>

namespace {

const int kRequests = 2000;

/* Short bounds keep the tests fast; lingering normally ends at the
 * client's close, long before them. */
const char kLingerKeys[] = "tcp.lingering_time = 10\ntcp.lingering_timeout = 5\n"
                           "tcp.in.recv_buf.max = 65536\nhttp.max_header_size = 1024\n";

struct PushyRun {
    std::string got;        /* everything received */
    bool ended = false;     /* the server ended the stream (EOF or reset) */
    bool reset = false;     /* ... by a reset */
    uint64_t written = 0;   /* filler bytes written after the requests */
    double seconds = 0;     /* until the end of the stream */
    double write_failed = 0; /* keep_writing: when the server stopped taking bytes (0: it never did) */
};

/* What a pushy client does. */
struct Pushy {
    std::string requests;          /* sent first, the closing one among them */
    std::string filler;            /* then written over and over ... */
    uint64_t filler_cap = 4 << 20; /* ... up to this many bytes */
    int filler_pause_ms = 0;       /* at most one filler piece per this many ms (0: as fast as it goes) */
    bool keep_writing = false;     /* after the end of stream too, until a write fails */
    bool half_close = false;       /* no filler: shut down the sending side after the requests */
    size_t read_chunk = 2048;      /* read this much, then pause 1 ms: a slow reader */
    double max_s = 30;
    std::function<void()> on_first; /* run once the first reply bytes arrived */
};

/* Run a pushy client: it sends, keeps writing and reads slowly until the
 * server ends the stream (or max_s passes). */
PushyRun pushy_client(int port, const Pushy &o)
{
    PushyRun run;
    int fd = gr_test_connect("127.0.0.1", port);
    if (fd < 0)
        return run;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    auto t0 = std::chrono::steady_clock::now(), last_filler = t0;
    size_t sent = 0;
    bool write_done = false, first = false;
    std::vector<char> buf(o.read_chunk);
    while ((!run.ended || (o.keep_writing && !write_done)) && seconds_since(t0) < o.max_s) {
        /* Writable is not news while the filler pauses: wait the pause out. */
        int pause_left = 0;
        if (sent == o.requests.size() && o.filler_pause_ms)
            pause_left = o.filler_pause_ms - (int)(seconds_since(last_filler) * 1000);
        bool want_out = !write_done && pause_left <= 0;
        struct pollfd p = {fd, (short)((run.ended ? 0 : POLLIN) | (want_out ? POLLOUT : 0)), 0};
        if (poll(&p, 1, pause_left > 0 ? pause_left : 50) < 0 && errno != EINTR)
            break;
        if (want_out && (p.revents & POLLOUT)) {
            ssize_t k = 0;
            if (sent < o.requests.size()) {
                k = ::send(fd, o.requests.data() + sent, o.requests.size() - sent, MSG_NOSIGNAL);
                if (k > 0)
                    sent += (size_t)k;
                if (sent == o.requests.size() && o.half_close) {
                    shutdown(fd, SHUT_WR);
                    write_done = true;
                }
            } else {
                k = ::send(fd, o.filler.data(), o.filler.size(), MSG_NOSIGNAL);
                if (k > 0) {
                    run.written += (uint64_t)k;
                    last_filler = std::chrono::steady_clock::now();
                }
            }
            if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                write_done = true; /* the server is gone */
                run.write_failed = seconds_since(t0);
            }
            if (run.written >= o.filler_cap)
                write_done = true;
        }
        if (!run.ended && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
            ssize_t k = recv(fd, buf.data(), buf.size(), 0);
            if (k > 0) {
                run.got.append(buf.data(), (size_t)k);
                if (!first && o.on_first) {
                    first = true;
                    o.on_first();
                }
                sleep_ms(1); /* a slow reader */
            } else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                run.ended = true;
                run.reset = k < 0 && errno == ECONNRESET;
                run.seconds = seconds_since(t0);
            }
        }
    }
    if (!run.ended)
        run.seconds = seconds_since(t0);
    close(fd);
    return run;
}

/* The usual run: `requests`, then `filler` up to filler_cap bytes. */
PushyRun pushy_client(int port, const std::string &requests, const std::string &filler, uint64_t filler_cap = 4 << 20)
{
    Pushy o;
    o.requests = requests;
    o.filler = filler;
    o.filler_cap = filler_cap;
    return pushy_client(port, o);
}

/* Split a byte stream into HTTP responses. False when it does not end at
 * a response's end; `statuses` and `closes` (Connection: close) in order. */
bool split_responses(const std::string &s, std::vector<int> *statuses, std::vector<bool> *closes)
{
    size_t pos = 0;
    while (pos < s.size()) {
        size_t end = s.find("\r\n\r\n", pos);
        if (end == std::string::npos || s.compare(pos, 9, "HTTP/1.1 ") != 0)
            return false;
        std::string head = s.substr(pos, end + 2 - pos);
        bool has_len = false;
        size_t len = (size_t)strtoull(header_of(head, "Content-Length", &has_len).c_str(), nullptr, 10);
        if (!has_len || end + 4 + len > s.size())
            return false;
        statuses->push_back(atoi(head.c_str() + 9));
        closes->push_back(strcasecmp(header_of(head, "Connection").c_str(), "close") == 0);
        pos = end + 4 + len;
    }
    return true;
}

std::string gets(int n, const std::string &target = "/")
{
    std::string r;
    for (int i = 0; i < n; i++)
        r += get_req(target);
    return r;
}

/* The filler written after the closing request: requests that would be
 * answered if anything past the closing point were read. */
const std::string &http_filler()
{
    static const std::string f = gets(64, "/after");
    return f;
}

/* n lines of the fixture's echo protocol, each distinct, 100 bytes. */
std::string lines(int n)
{
    std::string r;
    for (int i = 0; i < n; i++) {
        std::string l = "line " + std::to_string(i) + " ";
        l.resize(99, 'x');
        r += l + "\n";
    }
    return r;
}

const std::string &line_filler()
{
    static const std::string f = [] {
        std::string s;
        for (int i = 0; i < 64; i++)
            s += "after the closing point\n";
        return s;
    }();
    return f;
}

long long linger_stat(int http_port, const char *key)
{
    RawHttp h(http_port);
    if (!h.ok() || !h.send(get_req("/debug/stats")))
        return -1;
    HttpResponse r = h.read_response();
    /* A server-wide counter: at the top level, before the groups. */
    size_t k = r.body.find(std::string("\n  \"") + key + "\": ");
    if (k == std::string::npos || k > r.body.find(": {"))
        return -1;
    k += 3; /* to the key's opening quote */
    return atoll(r.body.c_str() + k + strlen(key) + 4);
}

class Close : public ::testing::TestWithParam<HttpMode> {
protected:
    /* grocketd in this test's mode: the demo module, or (life) the
     * fixture_life module with its line protocol over tcp://. */
    GrocketdProcess *start(const std::string &keys = kLingerKeys, bool life = false)
    {
        std::string module = life ? gr_test_fixture("gr_fixture_life") : gr_test_module("demo");
        srv_.reset(new GrocketdProcess(module, http_mode_keys(GetParam()) + keys));
        return srv_->start() ? srv_.get() : nullptr;
    }
    GrocketdProcess *start_life() { return start(kLingerKeys, true); }
    std::unique_ptr<GrocketdProcess> srv_;
};

/* HTTP: kRequests answered 200, then `last` (and nothing after it), and the
 * stream ended by the server. */
void expect_http_run(const PushyRun &run, int last, bool last_closes, const std::string &log)
{
    std::vector<int> st;
    std::vector<bool> cl;
    ASSERT_TRUE(run.ended) << "the server did not end the stream in time; " << run.got.size() << " bytes";
    ASSERT_TRUE(split_responses(run.got, &st, &cl))
        << "the stream does not end at a response's end (" << run.got.size() << " bytes, " << st.size()
        << " responses whole); reset: " << run.reset << "\n" << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
    ASSERT_EQ((size_t)kRequests + 1, st.size()) << "responses; reset: " << run.reset;
    for (int i = 0; i < kRequests; i++)
        ASSERT_EQ(200, st[i]) << "response " << i;
    EXPECT_EQ(last, st[kRequests]);
    if (last_closes) {
        EXPECT_TRUE(cl[kRequests]);
    }
    EXPECT_GT(run.written, 0u) << "the client wrote nothing after the closing request";
}

TEST_P(Close, BadRequestAfterPipelinedOnesAnswersThemAll)
{
    GrocketdProcess *srv = start();
    ASSERT_TRUE(srv) << srv_->log();
    PushyRun run = pushy_client(srv->http_port(), gets(kRequests) + "BAD REQUEST\r\n\r\n", http_filler());
    expect_http_run(run, 400, true, srv->log());
    EXPECT_GE(linger_stat(srv->http_port(), "lingered"), 1);
    stop_and_check(*srv);
}

TEST_P(Close, HeadTooLargeAfterPipelinedOnesAnswersThemAll)
{
    GrocketdProcess *srv = start();
    ASSERT_TRUE(srv) << srv_->log();
    std::string big = get_req("/", "X-Big: " + std::string(2000, 'b') + "\r\n");
    PushyRun run = pushy_client(srv->http_port(), gets(kRequests) + big, http_filler());
    expect_http_run(run, 431, true, srv->log());
    stop_and_check(*srv);
}

/* An upload refused for its size while the client is still sending the
 * body (curl -T of a big file): the 413 reaches it. */
TEST_P(Close, BodyTooLargeIsAnsweredWhileTheBodyStillArrives)
{
    GrocketdProcess *srv = start();
    ASSERT_TRUE(srv) << srv_->log();
    std::string post = "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 8388608\r\n\r\n";
    PushyRun run = pushy_client(srv->http_port(), gets(kRequests) + post, std::string(16384, 'u'), 8 << 20);
    expect_http_run(run, 413, true, srv->log());
    stop_and_check(*srv);
}

TEST_P(Close, ConnectionCloseAnswersItAndNothingAfter)
{
    GrocketdProcess *srv = start();
    ASSERT_TRUE(srv) << srv_->log();
    PushyRun run = pushy_client(srv->http_port(), gets(kRequests) + get_req("/", "Connection: close\r\n"),
                                http_filler());
    expect_http_run(run, 200, true, srv->log());
    stop_and_check(*srv);
}

/* A graceful stop while the client pipelines: the request cut during the
 * drain is the last (its reply says Connection: close), and every reply up
 * to it arrives whole although the client goes on writing. */
TEST_P(Close, GracefulStopAnswersUpToTheLastRequestCut)
{
    GrocketdProcess *srv = start();
    ASSERT_TRUE(srv) << srv_->log();
    Pushy o;
    o.requests = gets(kRequests);
    o.filler = http_filler();
    o.on_first = [srv] { srv->signal(SIGTERM); };
    PushyRun run = pushy_client(srv->http_port(), o);
    std::vector<int> st;
    std::vector<bool> cl;
    ASSERT_TRUE(run.ended);
    ASSERT_TRUE(split_responses(run.got, &st, &cl))
        << "cut short: " << run.got.size() << " bytes, " << st.size() << " whole responses; reset: " << run.reset;
    ASSERT_FALSE(st.empty());
    /* The last may also be a plain one: a connection found idle between
     * two requests is closed without a word, like any keep-alive one. */
    for (size_t i = 0; i < st.size(); i++) {
        ASSERT_EQ(200, st[i]) << "response " << i;
        if (i + 1 < st.size()) {
            ASSERT_FALSE(cl[i]) << "Connection: close on response " << i << " of " << st.size();
        }
    }
    ASSERT_EQ(0, srv->stop());
    std::string log = srv->log();
    EXPECT_EQ(gr_test_total(log, "accepted"), gr_test_total(log, "closed")) << log;
    EXPECT_EQ(gr_test_total(log, "packages"), gr_test_total(log, "processed") + gr_test_total(log, "dropped"));
    /* Every request processed was answered: none cut off at a reply's end. */
    EXPECT_EQ((long long)st.size(), gr_test_total(log, "processed")) << log;
}

/* tcp://, the fixture's line echo: the first `n` lines come back exactly,
 * and the server ends the stream. */
void expect_lines_run(const PushyRun &run, int n, const std::string &log)
{
    ASSERT_TRUE(run.ended) << "the server did not end the stream in time; " << run.got.size() << " bytes";
    std::string want = lines(n);
    EXPECT_EQ(want.size(), run.got.size()) << "reset: " << run.reset << "\n"
                                           << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
    EXPECT_TRUE(run.got == want) << "the echoes differ from the lines sent";
    EXPECT_GT(run.written, 0u) << "the client wrote nothing after the closing package";
}

TEST_P(Close, ModuleBadDataAnswersThePackagesBefore)
{
    GrocketdProcess *srv = start_life();
    ASSERT_TRUE(srv) << srv_->log();
    PushyRun run = pushy_client(srv->port(), lines(kRequests) + "!bad data\n", line_filler());
    expect_lines_run(run, kRequests, srv->log());
    stop_and_check(*srv);
}

/* What GR_CHECK_BAD does to packages already cut (grocket.h): two whole
 * packages, bad data and one more package, in one write. The two are
 * answered in order, nothing from the bad byte on is, then end of stream
 * (not a reset). */
TEST_P(Close, CheckBadAnswersThePackagesCutBeforeItInTheSameRead)
{
    GrocketdProcess *srv = start_life();
    ASSERT_TRUE(srv) << srv_->log();
    int fd = gr_test_connect("127.0.0.1", srv->port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "one\ntwo\n!bad\nthree\n"));
    std::string got;
    char buf[256];
    ssize_t r;
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0)
        got.append(buf, (size_t)r);
    int recv_errno = r < 0 ? errno : 0;
    close(fd);
    EXPECT_EQ("one\ntwo\n", got);
    EXPECT_EQ(0, r) << "not a clean end of stream: " << strerror(recv_errno);
    stop_and_check(*srv, 1);
    std::string log = srv->log();
    EXPECT_EQ(1, gr_test_total(log, "bad")) << log;
    EXPECT_EQ(2, gr_test_total(log, "processed")) << log;
    EXPECT_EQ(0, gr_test_total(log, "dropped")) << log;
}

TEST_P(Close, ModuleCloseAnswersThroughTheClosingPackage)
{
    GrocketdProcess *srv = start_life();
    ASSERT_TRUE(srv) << srv_->log();
    PushyRun run = pushy_client(srv->port(), lines(kRequests) + "close\n", line_filler());
    ASSERT_TRUE(run.ended);
    std::string want = lines(kRequests) + "close\n";
    EXPECT_EQ(want.size(), run.got.size()) << "reset: " << run.reset;
    EXPECT_TRUE(run.got == want) << "the echoes differ from the lines sent";
    EXPECT_GT(run.written, 0u) << "the client wrote nothing after the closing package";
    stop_and_check(*srv);
}

/* The client's own end: it sends its requests, shuts down its sending side
 * and reads slowly; replies waiting at tcp_out or for writability when the
 * server reads the EOF still arrive, all of them (10 MB echoed). */
TEST_P(Close, HalfCloseAfterManyRequestsGetsEveryReply)
{
    GrocketdProcess *srv = start_life();
    ASSERT_TRUE(srv) << srv_->log();
    Pushy o;
    o.requests = lines(100000);
    o.half_close = true;
    o.read_chunk = 16384;
    PushyRun run = pushy_client(srv->port(), o);
    ASSERT_TRUE(run.ended);
    EXPECT_EQ(o.requests.size(), run.got.size()) << "reset: " << run.reset;
    EXPECT_TRUE(run.got == o.requests) << "the echoes differ from the lines sent";
    stop_and_check(*srv);
}

/* A package that grows past tcp.in.recv_buf.max (65536) without ending. */
TEST_P(Close, PackagePastRecvBufMaxAnswersThePackagesBefore)
{
    GrocketdProcess *srv = start_life();
    ASSERT_TRUE(srv) << srv_->log();
    PushyRun run = pushy_client(srv->port(), lines(kRequests) + std::string(70000, 'L'), line_filler());
    expect_lines_run(run, kRequests, srv->log());
    ASSERT_EQ(0, srv->stop());
    EXPECT_EQ(1, gr_test_total(srv->log(), "too_large")) << srv->log();
}

/* The module announces a package past the limit (a size hint). */
TEST_P(Close, SizeHintPastRecvBufMaxAnswersThePackagesBefore)
{
    GrocketdProcess *srv = start_life();
    ASSERT_TRUE(srv) << srv_->log();
    PushyRun run = pushy_client(srv->port(), lines(kRequests) + "#99999999 and more\n", line_filler());
    expect_lines_run(run, kRequests, srv->log());
    ASSERT_EQ(0, srv->stop());
    EXPECT_EQ(1, gr_test_total(srv->log(), "too_large")) << srv->log();
}

/* The bounds. A client that never pauses for tcp.lingering_timeout is cut
 * off at tcp.lingering_time; it still got every reply owed. */
TEST_P(Close, ClientThatNeverStopsWritingIsCutOffAtLingeringTime)
{
    GrocketdProcess *srv = start("tcp.lingering_time = 2\ntcp.lingering_timeout = 1\n");
    ASSERT_TRUE(srv) << srv_->log();
    Pushy o;
    o.requests = gets(10) + "BAD REQUEST\r\n\r\n";
    o.filler = http_filler();
    o.filler_cap = 1ull << 40;
    o.filler_pause_ms = 100;
    o.keep_writing = true;
    o.max_s = 20;
    PushyRun run = pushy_client(srv->http_port(), o);
    ASSERT_TRUE(run.ended);
    EXPECT_LT(run.seconds, 1.5) << "the end of stream comes with the last reply, not at the cut";
    ASSERT_GT(run.write_failed, 0) << "the server still takes bytes after 20 s";
    EXPECT_GE(run.write_failed, 1.9);
    EXPECT_LT(run.write_failed, 6.0);
    std::vector<int> st;
    std::vector<bool> cl;
    ASSERT_TRUE(split_responses(run.got, &st, &cl)) << run.got.size() << " bytes";
    ASSERT_EQ(11u, st.size());
    EXPECT_EQ(400, st[10]);
    EXPECT_EQ(1, linger_stat(srv->http_port(), "linger_cut"));
    EXPECT_EQ(0, linger_stat(srv->http_port(), "lingering"));
    stop_and_check(*srv);
}

/* A bad request on h: answered 400, then end of stream. */
::testing::AssertionResult refused_then_eof(RawHttp &h)
{
    if (!h.send("BAD REQUEST\r\n\r\n"))
        return ::testing::AssertionFailure() << "send failed";
    HttpResponse r = h.read_response();
    if (!r.complete || r.status != 400)
        return ::testing::AssertionFailure() << "not a 400: [" << r.head << "]";
    if (!h.eof_next())
        return ::testing::AssertionFailure() << "no end of stream after the 400";
    return ::testing::AssertionSuccess();
}

/* A client that neither writes nor closes after its replies: closed after
 * tcp.lingering_timeout of silence (checked once a second). */
TEST_P(Close, SilentClientIsClosedAtLingeringTimeout)
{
    GrocketdProcess *srv = start("tcp.lingering_time = 30\ntcp.lingering_timeout = 1\n");
    ASSERT_TRUE(srv) << srv_->log();
    RawHttp h(srv->http_port());
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(refused_then_eof(h));
    EXPECT_LT(seconds_since(t0), 0.9); /* end of stream at once: the write side is shut */
    /* The gauge moves right after the shutdown, on the owner's thread. */
    long long lingering = -1;
    for (int i = 0; i < 100 && (lingering = linger_stat(srv->http_port(), "lingering")) != 1; i++)
        sleep_ms(5);
    EXPECT_EQ(1, lingering);
    for (int i = 0; i < 1000 && linger_stat(srv->http_port(), "lingering") != 0; i++)
        sleep_ms(10);
    double waited = seconds_since(t0);
    EXPECT_GE(waited, 0.9);
    /* Cut by the timeout (1 s, checked once a second), far from
     * lingering_time's 30 s: the bound leaves room for a busy machine. */
    EXPECT_LT(waited, 10.0);
    EXPECT_EQ(1, linger_stat(srv->http_port(), "linger_cut"));
    stop_and_check(*srv);
}

/* tcp.lingering_time = 0: the close is immediate, no lingering counted. */
TEST_P(Close, LingeringTimeZeroClosesAtOnce)
{
    GrocketdProcess *srv = start("tcp.lingering_time = 0\n");
    ASSERT_TRUE(srv) << srv_->log();
    RawHttp h(srv->http_port());
    ASSERT_TRUE(refused_then_eof(h));
    EXPECT_EQ(0, linger_stat(srv->http_port(), "lingered"));
    EXPECT_EQ(0, linger_stat(srv->http_port(), "lingering"));
    stop_and_check(*srv);
}

INSTANTIATE_TEST_SUITE_P(AllModes, Close, GR_HTTP_ALL_MODES);

} // namespace
