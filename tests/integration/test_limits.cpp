/* test_limits.cpp - the server's limits against the real grocketd, and the
 * counters that report them (services->stats, served by the demo module on
 * /debug/stats): tcp.max_connections, backpressure (tcp.out.pause_bytes)
 * and the output limit (tcp.out.close_bytes) with a client that never
 * reads, tcp.out.send_timeout, tcp.idle_timeout, and running out of file
 * descriptors. */
#include "gr_http_test.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>

namespace {

class Limits : public ::testing::TestWithParam<HttpMode> {};

/* The demo module's /debug/stats, over a connection of its own. */
std::string fetch_stats(int http_port)
{
    RawHttp h(http_port);
    if (!h.ok() || !h.send(get_req("/debug/stats")))
        return "";
    HttpResponse r = h.read_response();
    return r.complete && r.status == 200 ? r.body : "";
}

/* "group": {... "key": N ...} of the stats JSON; -1 when absent. */
long long stat_of(const std::string &json, const char *group, const char *key)
{
    size_t g = json.find(std::string("\"") + group + "\": {");
    if (g == std::string::npos)
        return -1;
    size_t end = json.find('}', g);
    size_t k = json.find(std::string("\"") + key + "\": ", g);
    if (k == std::string::npos || k > end)
        return -1;
    return atoll(json.c_str() + k + strlen(key) + 4);
}

/* Summed over the groups that can count it. */
long long stat_sum(const std::string &json, const char *key)
{
    long long t = 0;
    for (const char *g : {"tcp_accept", "tcp_in", "worker", "tcp_out"})
        t += stat_of(json, g, key) > 0 ? stat_of(json, g, key) : 0;
    return t;
}

bool echo_ok(int fd, const std::string &msg)
{
    return gr_test_send(fd, msg) && gr_test_recv(fd, msg.size()) == msg;
}

/* A new connection gets its echo, within tries * pause_ms. */
bool served_within(int port, int tries, int pause_ms)
{
    for (int i = 0; i < tries; i++) {
        sleep_ms(pause_ms);
        int fd = gr_test_connect("127.0.0.1", port);
        bool ok = fd >= 0 && echo_ok(fd, "served?");
        if (fd >= 0)
            close(fd);
        if (ok)
            return true;
    }
    return false;
}

/* The byte at position i of the stream a test sends. */
char pattern_at(uint64_t i) { return (char)('a' + (i * 7 + i / 251) % 26); }

long long server_cpu_ticks(pid_t pid)
{
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t p = s.rfind(')');
    if (p == std::string::npos)
        return -1;
    std::vector<std::string> fields;
    std::string cur;
    for (size_t i = p + 2; i < s.size(); i++) {
        if (s[i] == ' ') {
            fields.push_back(cur);
            cur.clear();
        } else {
            cur += s[i];
        }
    }
    return fields.size() > 12 ? atoll(fields[11].c_str()) + atoll(fields[12].c_str()) : -1;
}

/* Write the pattern without reading anything back until the server stops
 * taking bytes for `stall_ms` in a row (or at most `cap` bytes, or an
 * error). Returns the bytes sent; *failed: the connection broke. */
uint64_t send_until_stalled(int fd, uint64_t cap, int stall_ms, bool *failed)
{
    *failed = false;
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    char buf[16384];
    uint64_t sent = 0;
    auto last_progress = std::chrono::steady_clock::now();
    while (sent < cap) {
        size_t n = sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern_at(sent + i);
        ssize_t r = ::send(fd, buf, n, MSG_NOSIGNAL);
        if (r > 0) {
            sent += (uint64_t)r;
            last_progress = std::chrono::steady_clock::now();
            continue;
        }
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            *failed = true;
            break;
        }
        if (seconds_since(last_progress) * 1000 > stall_ms)
            break;
        struct pollfd p = {fd, POLLOUT, 0};
        poll(&p, 1, 50);
        if (p.revents & (POLLERR | POLLHUP)) {
            *failed = true;
            break;
        }
    }
    fcntl(fd, F_SETFL, fl);
    return sent;
}

TEST_P(Limits, StatsCountWhatHappened)
{
    START_SERVER(srv, "");
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    for (int i = 0; i < 3; i++)
        ASSERT_TRUE(echo_ok(fd, "abc"));
    RawHttp h(srv.http_port());
    ASSERT_TRUE(h.ok());
    ASSERT_TRUE(h.send(get_req("/")));
    ASSERT_TRUE(is_hello(h.read_response()));
    ASSERT_TRUE(h.send(get_req("/debug/stats")));
    HttpResponse r = h.read_response();
    ASSERT_EQ(r.status, 200) << r.head;
    EXPECT_NE(header_of(r.head, "Content-Type").find("application/json"), std::string::npos) << r.head;
    std::string js = r.body;
    EXPECT_GT(stat_of(js, "tcp_accept", "threads"), 0) << js;
    EXPECT_EQ(stat_of(js, "tcp_accept", "accepted"), 2) << js;
    EXPECT_EQ(stat_of(js, "tcp_in", "connections_open"), 2) << js;
    EXPECT_EQ(stat_of(js, "worker", "threads"), GetParam().worker_disabled ? 0 : 2) << js;
    EXPECT_EQ(stat_of(js, "tcp_out", "threads"), GetParam().tcp_out_disabled ? 0 : 2) << js;
    /* The echo's packages and the first HTTP request are processed; the
     * stats request is being processed while it counts. */
    EXPECT_GE(stat_sum(js, "processed"), 4) << js;
    EXPECT_GE(stat_of(js, "tcp_in", "packages"), 5) << js;
    EXPECT_GE(stat_of(js, "tcp_in", "bytes_in"), 9) << js;
    EXPECT_GE(stat_sum(js, "bytes_out"), 9) << js;
    EXPECT_EQ(stat_sum(js, "bad"), 0) << js;
    /* Bad data is counted by kind. */
    RawHttp bad(srv.http_port());
    ASSERT_TRUE(bad.send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"));
    EXPECT_EQ(bad.read_response().status, 400);
    EXPECT_TRUE(bad.eof_next());
    js = fetch_stats(srv.http_port());
    EXPECT_EQ(stat_sum(js, "bad"), 1) << js;
    close(fd);
    stop_and_check(srv);
}

TEST_P(Limits, MaxConnectionsClosesTheExtraOnesAndRecovers)
{
    START_SERVER(srv, "tcp.max_connections = 3\n");
    int a = gr_test_connect("127.0.0.1", srv.port());
    int b = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_TRUE(echo_ok(a, "a1"));
    ASSERT_TRUE(echo_ok(b, "b1"));
    RawHttp h(srv.http_port());
    ASSERT_TRUE(h.send(get_req("/")));
    ASSERT_TRUE(is_hello(h.read_response()));
    /* The fourth is accepted and closed at once. */
    int d = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(d, 0);
    EXPECT_TRUE(gr_test_wait_eof(d));
    close(d);
    /* The open ones are still served; the stats (over h) count it. */
    EXPECT_TRUE(echo_ok(a, "a2"));
    ASSERT_TRUE(h.send(get_req("/debug/stats")));
    HttpResponse r = h.read_response();
    EXPECT_EQ(stat_of(r.body, "tcp_accept", "refused_limit"), 1) << r.body;
    EXPECT_EQ(stat_of(r.body, "tcp_accept", "accepted"), 3) << r.body;
    /* A closed connection makes room again. */
    close(b);
    EXPECT_TRUE(served_within(srv.port(), 50, 50));
    close(a);
    stop_and_check(srv);
    EXPECT_NE(srv.log().find("tcp.max_connections (3) open"), std::string::npos) << srv.log();
}

/* A client that sends and never reads: the server stops reading it
 * (pause_bytes), holds a bounded amount, loses nothing, and serves it all
 * once it reads. */
TEST_P(Limits, ClientThatDoesNotReadIsPausedNotBuffered)
{
    START_SERVER(srv, "tcp.out.pause_bytes = 65536\n");
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    bool failed = false;
    const uint64_t cap = 256ull << 20;
    uint64_t sent = send_until_stalled(fd, cap, 1500, &failed);
    ASSERT_FALSE(failed);
    /* Only the kernel's buffers (a few MB each way on loopback) and the
     * pause threshold took bytes: far from everything. */
    EXPECT_LT(sent, 64ull << 20) << "the server kept reading";
    std::string js = fetch_stats(srv.http_port());
    if (!(GetParam().worker_disabled && GetParam().tcp_out_disabled)) {
        EXPECT_GE(stat_of(js, "tcp_in", "read_pauses"), 1) << js;
    }
    EXPECT_EQ(stat_sum(js, "output_limit"), 0) << js;
    /* Everything comes back, in order. */
    uint64_t got = 0;
    bool same = true;
    while (got < sent) {
        std::string part = gr_test_recv(fd, std::min<uint64_t>(sent - got, 1 << 20));
        if (part.empty())
            break;
        for (size_t i = 0; i < part.size() && same; i++)
            same = part[i] == pattern_at(got + i);
        got += part.size();
    }
    EXPECT_EQ(got, sent);
    EXPECT_TRUE(same) << "echo differs from what was sent";
    EXPECT_TRUE(echo_ok(fd, "after"));
    close(fd);
    stop_and_check(srv);
}

/* Past close_bytes the connection is closed and counted: one 32 MiB reply
 * to a client that does not read (more than the kernel's buffers take). */
TEST_P(Limits, OutputLimitClosesAClientThatDoesNotRead)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), http_mode_keys(GetParam()) + "tcp.out.close_bytes = 1048576\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "?big"));
    sleep_ms(500); /* not reading: the reply cannot go out */
    EXPECT_TRUE(gr_test_wait_eof(fd));
    close(fd);
    /* Other connections are served on. */
    int ok = gr_test_connect("127.0.0.1", srv.port());
    EXPECT_TRUE(echo_ok(ok, "still here"));
    close(ok);
    ASSERT_EQ(0, srv.stop()) << srv.log();
    EXPECT_EQ(gr_test_total(srv.log(), "output_limit"), 1) << srv.log();
}

/* The fixture with tcp.out.send_timeout = secs, and close_bytes above its
 * 32 MiB reply so that only the timeout can end that reply. */
std::string send_timeout_keys(const HttpMode &mode, int secs)
{
    return http_mode_keys(mode) + "tcp.out.close_bytes = 67108864\ntcp.out.send_timeout = " + std::to_string(secs) + "\n";
}

/* Start srv and ask it for the fixture's 32 MiB reply: the connection, or
 * -1 when any step failed. */
int ask_big_reply(GrocketdProcess &srv)
{
    if (!srv.start())
        return -1;
    int fd = gr_test_connect("127.0.0.1", srv.port());
    if (fd >= 0 && !gr_test_send(fd, "?big")) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A client that reads nothing of a reply (32 MiB, more than the kernel's
 * buffers take) is closed after tcp.out.send_timeout and counted as a
 * timeout. */
TEST_P(Limits, SendTimeoutClosesAClientThatReadsNothing)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), send_timeout_keys(GetParam(), 1));
    int fd = ask_big_reply(srv);
    ASSERT_GE(fd, 0) << srv.log();
    sleep_ms(3500); /* 1 s timeout + the once-a-second sweep, with room */
    /* What the kernel took before the close still arrives, then EOF. */
    uint64_t got = 0;
    for (;;) {
        std::string part = gr_test_recv(fd, 1 << 20);
        if (part.empty())
            break;
        got += part.size();
    }
    EXPECT_LT(got, 32ull << 20) << "the whole reply went out";
    close(fd);
    EXPECT_TRUE(served_within(srv.port(), 1, 0)); /* other connections are served on */
    ASSERT_EQ(0, srv.stop()) << srv.log();
    EXPECT_EQ(gr_test_total(srv.log(), "timeouts"), 1) << srv.log();
    EXPECT_EQ(gr_test_total(srv.log(), "output_limit"), 0) << srv.log();
}

/* A slow reader is not a silent one: what it reads makes room, the next
 * send moves bytes and restarts the clock, so a client pausing less than
 * tcp.out.send_timeout between reads gets the whole 32 MiB reply, in
 * every mode (tcp_out stamps the clock itself). */
TEST_P(Limits, SendTimeoutSparesASlowReader)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), send_timeout_keys(GetParam(), 2));
    int fd = ask_big_reply(srv);
    ASSERT_GE(fd, 0) << srv.log();
    uint64_t got = 0;
    bool all_b = true;
    while (got < (32ull << 20)) {
        sleep_ms(500);
        std::string part = gr_test_recv(fd, 4 << 20);
        if (part.empty())
            break;
        all_b = all_b && part.find_first_not_of('b') == std::string::npos;
        got += part.size();
    }
    EXPECT_EQ(got, 32ull << 20);
    EXPECT_TRUE(all_b);
    EXPECT_TRUE(echo_ok(fd, "after"));
    close(fd);
    ASSERT_EQ(0, srv.stop()) << srv.log();
    EXPECT_EQ(gr_test_total(srv.log(), "timeouts"), 0) << srv.log();
}

INSTANTIATE_TEST_SUITE_P(AllModes, Limits, GR_HTTP_ALL_MODES);


TEST(LimitsTcp, IdleConnectionClosedActiveOneKept)
{
    /* 2 s: room for a loaded machine (sanitizers, -j) between the busy
     * connection's requests. */
    GrocketdProcess srv(gr_test_module("demo"), "tcp.idle_timeout = 2\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    int idle = gr_test_connect("127.0.0.1", srv.port());
    int busy = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_TRUE(echo_ok(busy, "x"));
    for (int i = 0; i < 12; i++) { /* 3.6 s of activity every 0.3 s */
        sleep_ms(300);
        ASSERT_TRUE(echo_ok(busy, "y")) << "request " << i;
    }
    EXPECT_TRUE(gr_test_wait_eof(idle));
    std::string js = fetch_stats(srv.http_port());
    EXPECT_EQ(stat_of(js, "tcp_in", "timeouts"), 1) << js;
    close(idle);
    close(busy);
    stop_and_check(srv);
}

/* A package past tcp.in.recv_buf.max is refused even when it arrives in
 * one read (the fixture takes all it has as one package); the replies
 * before it still arrive. */
TEST(LimitsTcp, PackagePastRecvBufMaxClosedAfterEarlierReplies)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), "tcp.in.recv_buf.max = 1024\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_TRUE(echo_ok(fd, "small"));
    ASSERT_TRUE(gr_test_send(fd, std::string(4000, 'x')));
    EXPECT_TRUE(gr_test_wait_eof(fd));
    close(fd);
    EXPECT_TRUE(served_within(srv.port(), 1, 0));
    ASSERT_EQ(0, srv.stop()) << srv.log();
    EXPECT_EQ(gr_test_total(srv.log(), "too_large"), 1) << srv.log();
    EXPECT_NE(srv.log().find("past tcp.in.recv_buf.max (1024)"), std::string::npos) << srv.log();
}

/* Out of descriptors: accept backs off (no busy loop), logs the errno
 * text, and serves again once descriptors are free. */
TEST(LimitsTcp, OutOfDescriptorsBacksOffAndRecovers)
{
    if (gr_test_wine())
        GTEST_SKIP() << "RLIMIT_NOFILE bounds no Windows program: under Wine its sockets are wineserver's handles";
    struct rlimit old, low;
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = 64; /* grocketd inherits it */
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    GrocketdProcess srv(gr_test_module("demo"), "");
    bool started = srv.start();
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
    ASSERT_TRUE(started) << srv.log();
    std::vector<int> fds;
    for (int i = 0; i < 100; i++) {
        int fd = gr_test_connect("127.0.0.1", srv.port());
        if (fd >= 0)
            fds.push_back(fd);
    }
    sleep_ms(300);
    long long t0 = server_cpu_ticks(srv.pid());
    sleep_ms(2000);
    long long t1 = server_cpu_ticks(srv.pid());
    ASSERT_GE(t0, 0);
    /* A busy loop would burn ~200 ticks in 2 s; backing off, a few. */
    EXPECT_LT(t1 - t0, 40) << "CPU ticks while out of descriptors";
    for (int fd : fds)
        close(fd);
    EXPECT_TRUE(served_within(srv.port(), 100, 100)) << srv.log();
    std::string js = fetch_stats(srv.http_port());
    EXPECT_GE(stat_of(js, "tcp_accept", "accept_errors"), 1) << js;
    EXPECT_EQ(0, srv.stop()) << srv.log();
    EXPECT_NE(srv.log().find("Too many open files"), std::string::npos) << srv.log();
}

} // namespace
