/* test_udp.cpp - grocketd serving udp:// listens, driven by test_tcp_client
 * --udp and by plain sockets over loopback: echo verified datagram by
 * datagram in the four modes (worker on/off x udp_out on/off), IPv6,
 * datagrams that must be dropped unanswered (empty, refused by check,
 * longer than udp.in.datagram_max), a burst larger than the receive buffer
 * (loss reported by the client, the server still answering afterwards),
 * full worker queues, TCP served beside a UDP flood, and the books at exit. */
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "gr_test_server.h"
#include "gr_test_util.h"

namespace {

struct UdpMode {
    bool worker_disabled;
    bool udp_out_disabled;
};

/* udp_in threads per udp:// listen: one on Windows (no SO_REUSEPORT). */
int udp_in_threads() { return gr_test_wine() ? 1 : 2; }

std::string udp_mode_keys(const UdpMode &m)
{
    /* Two threads per group so that hand-offs cross between several rings,
     * and one sender's datagrams must still stay on one of them. */
    return std::string("worker.disabled = ") + (m.worker_disabled ? "true" : "false") +
           "\nudp.out.disabled = " + (m.udp_out_disabled ? "true" : "false") +
           "\nudp.in.thread_count = " + std::to_string(udp_in_threads()) +
           "\nudp.out.thread_count = 2\nworker.thread_count = 2\ntcp.in.thread_count = 2\n";
}

std::string udp_mode_name(const ::testing::TestParamInfo<UdpMode> &info)
{
    return std::string(info.param.worker_disabled ? "Inline" : "Worker") +
           (info.param.udp_out_disabled ? "DirectOut" : "UdpOut");
}

const char *kUdp4 = "2 = udp://127.0.0.1:0\n";
const char *kUdp6 = "3 = udp://[::1]:0\n";

/* test_tcp_client --udp; extra: more options. */
gr_test_run_t run_udp_client(const char *host, int port, int sockets, int count, int depth, int size,
                             const std::vector<std::string> &extra = {})
{
    std::vector<std::string> argv = {gr_test_bin("test_tcp_client"), "--udp", "--host", host, "--port",
                                     std::to_string(port), "--threads", "2", "--connections", std::to_string(sockets),
                                     "--count", std::to_string(count), "--depth", std::to_string(depth), "--size",
                                     std::to_string(size), "--quiet"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return gr_test_run(argv, 300);
}

/* "KEY=N" from the client's RESULT line; -1 when absent. */
long long result_field(const std::string &out, const char *key)
{
    size_t at = out.find("RESULT ");
    if (at == std::string::npos)
        return -1;
    std::string k = std::string(" ") + key + "=";
    size_t p = out.find(k, at);
    return p == std::string::npos ? -1 : atoll(out.c_str() + p + k.size());
}

/* Stop the server and check the books: a clean exit, every package cut
 * processed or counted dropped, every datagram received answered or
 * counted as dropped (the echo answers every package it processes). */
void stop_and_check(GrocketdProcess &srv)
{
    ASSERT_EQ(0, srv.stop()) << srv.log();
    std::string log = srv.log();
    EXPECT_EQ(gr_test_total(log, "packages"), gr_test_total(log, "processed") + gr_test_total(log, "dropped"))
        << log;
    long long in = gr_test_total(log, "udp_in");
    ASSERT_GE(in, 0) << log;
    EXPECT_EQ(in, gr_test_total(log, "udp_out") + gr_test_total(log, "udp_bad") +
                      gr_test_total(log, "udp_truncated") + gr_test_total(log, "udp_dropped") +
                      gr_test_total(log, "udp_send_failed"))
        << log;
}

int udp_port(GrocketdProcess &srv) { return srv.logged_port("udp://127.0.0.1:"); }

/* A verified echo of 8 sockets x 5000 datagrams of size bytes at depth:
 * nothing lost, every reply counted once at the server. */
void echo_run(const UdpMode &mode, int depth, int size)
{
    GrocketdProcess srv(gr_test_module("demo"), udp_mode_keys(mode), "", kUdp4);
    ASSERT_TRUE(srv.start()) << srv.log();
    /* Nothing may be lost, however late on a busy machine (under Wine
     * every datagram crosses wineserver): a reply is waited for 5 s. */
    gr_test_run_t r = run_udp_client("127.0.0.1", udp_port(srv), 8, 5000, depth, size, {"--timeout", "5"});
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("RESULT requests=40000 errors=0")) << r.output;
    EXPECT_EQ(0, result_field(r.output, "lost")) << r.output;
    stop_and_check(srv);
    EXPECT_EQ(40000, gr_test_total(srv.log(), "udp_out")) << srv.log();
    EXPECT_EQ(40000LL * size, gr_test_total(srv.log(), "bytes_out")) << srv.log();
}

class UdpModes : public ::testing::TestWithParam<UdpMode> {};

TEST_P(UdpModes, EchoDepth1) { echo_run(GetParam(), 1, 44); }

/* 16 datagrams in flight per socket: batches of several datagrams per
 * receive, split over the workers by sender, replies batched again. */
TEST_P(UdpModes, EchoDepth16) { echo_run(GetParam(), 16, 100); }

/* Large datagrams (near the IPv4 limit) and IPv6. One in flight per
 * socket: a 60 kB datagram takes a third of a default receive buffer. */
TEST_P(UdpModes, LargeDatagramsOverIpv6)
{
    GrocketdProcess srv(gr_test_module("demo"), udp_mode_keys(GetParam()) + "udp.recv_buf = 1048576\n", "", kUdp6);
    ASSERT_TRUE(srv.start()) << srv.log();
    int port = srv.logged_port("udp://[::1]:");
    ASSERT_GT(port, 0) << srv.log();
    gr_test_run_t r = run_udp_client("::1", port, 2, 300, 1, 60000, {"--timeout", "5"});
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("RESULT requests=600 errors=0")) << r.output;
    stop_and_check(srv);
}

/* Two udp:// listens: each udp_in thread owns a socket of each and waits
 * on its poll for both (one socket alone is waited for in the receive). */
TEST_P(UdpModes, TwoListensOnePollPerThread)
{
    GrocketdProcess srv(gr_test_module("demo"), udp_mode_keys(GetParam()), "", std::string(kUdp4) + kUdp6);
    ASSERT_TRUE(srv.start()) << srv.log();
    int port6 = srv.logged_port("udp://[::1]:");
    ASSERT_GT(port6, 0) << srv.log();
    gr_test_run_t v6{};
    std::thread t([&] { v6 = run_udp_client("::1", port6, 4, 3000, 4, 44); });
    gr_test_run_t v4 = run_udp_client("127.0.0.1", udp_port(srv), 4, 3000, 4, 44);
    t.join();
    EXPECT_EQ(0, v4.status) << v4.output;
    EXPECT_NE(std::string::npos, v4.output.find("RESULT requests=12000 errors=0")) << v4.output;
    EXPECT_EQ(0, v6.status) << v6.output;
    EXPECT_NE(std::string::npos, v6.output.find("RESULT requests=12000 errors=0")) << v6.output;
    stop_and_check(srv);
}

/* The same module serves TCP and UDP at once, on shared workers. */
TEST_P(UdpModes, TcpAndUdpTogether)
{
    GrocketdProcess srv(gr_test_module("demo"), udp_mode_keys(GetParam()), "", kUdp4);
    ASSERT_TRUE(srv.start()) << srv.log();
    gr_test_run_t tcp{};
    std::thread t([&] {
        tcp = gr_test_run({gr_test_bin("test_tcp_client"), "--port", std::to_string(srv.port()), "--connections",
                           "4", "--count", "5000", "--depth", "4", "--quiet", "--timeout", "60"},
                          300);
    });
    gr_test_run_t udp = run_udp_client("127.0.0.1", udp_port(srv), 4, 5000, 4, 44);
    t.join();
    EXPECT_EQ(0, tcp.status) << tcp.output;
    EXPECT_NE(std::string::npos, tcp.output.find("RESULT requests=20000 errors=0")) << tcp.output;
    EXPECT_EQ(0, udp.status) << udp.output;
    EXPECT_NE(std::string::npos, udp.output.find("RESULT requests=20000 errors=0")) << udp.output;
    stop_and_check(srv);
}

INSTANTIATE_TEST_SUITE_P(AllModes, UdpModes,
                         ::testing::Values(UdpMode{true, true}, UdpMode{false, true}, UdpMode{true, false},
                                           UdpMode{false, false}),
                         udp_mode_name);

class UdpDrops : public ::testing::TestWithParam<UdpMode> {};

/* Datagrams that carry no whole package are dropped and counted, never
 * answered, and the server goes on answering. */
TEST_P(UdpDrops, EmptyRefusedAndTooLongAreDroppedUnanswered)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), udp_mode_keys(GetParam()) + "udp.in.datagram_max = 1000\n",
                        "", kUdp4);
    ASSERT_TRUE(srv.start()) << srv.log();
    int fd = gr_test_udp_connect("127.0.0.1", udp_port(srv), 300);
    ASSERT_GE(fd, 0);
    EXPECT_EQ("<none>", gr_test_udp_exchange(fd, ""));                      /* empty */
    EXPECT_EQ("<none>", gr_test_udp_exchange(fd, "!refused by check"));    /* check says GR_CHECK_BAD */
    EXPECT_EQ("<none>", gr_test_udp_exchange(fd, std::string(1001, 'x'))); /* past udp.in.datagram_max */
    EXPECT_EQ("<none>", gr_test_udp_exchange(fd, std::string(20000, 'y')));
    std::string fits(1000, 'z');
    EXPECT_EQ(fits, gr_test_udp_exchange(fd, fits));
    EXPECT_EQ("still here", gr_test_udp_exchange(fd, "still here"));
    close(fd);
    stop_and_check(srv);
    std::string log = srv.log();
    EXPECT_EQ(2, gr_test_total(log, "udp_bad")) << log;
    EXPECT_EQ(2, gr_test_total(log, "udp_truncated")) << log;
    EXPECT_EQ(2, gr_test_total(log, "udp_out")) << log;
    /* Drops are logged (at most once a second) with their counts; the four
     * 300 ms waits above make sure a second has passed since start-up. */
    EXPECT_NE(std::string::npos, log.find("udp: datagrams dropped since the last report:")) << log;
}

/* What the module is told about a datagram (ABI 1.3): UDP, the sender's
 * address, no user pointer; and what it is told about a TCP package. */
TEST_P(UdpDrops, ModuleSeesTransportAndSender)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), udp_mode_keys(GetParam()), "", kUdp4);
    ASSERT_TRUE(srv.start()) << srv.log();
    int fd = gr_test_udp_connect("127.0.0.1", udp_port(srv), 5000);
    ASSERT_GE(fd, 0);
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&me, &len));
    int udp_in = udp_in_threads();
    int procs = GetParam().worker_disabled ? 2 + udp_in : 2; /* tcp_in + udp_in threads, or the workers */
    std::string threads = " udp_in=" + std::to_string(udp_in) + " proc=" + std::to_string(procs);
    EXPECT_EQ("transport=udp peer=127.0.0.1:" + std::to_string(ntohs(me.sin_port)) + " user=none" + threads,
              gr_test_udp_exchange(fd, "?where"));
    close(fd);
    int tfd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(tfd, 0);
    len = sizeof me;
    ASSERT_EQ(0, getsockname(tfd, (struct sockaddr *)&me, &len));
    std::string want = "transport=tcp peer=127.0.0.1:" + std::to_string(ntohs(me.sin_port)) + " user=set" + threads;
    ASSERT_TRUE(gr_test_send(tfd, "?where"));
    EXPECT_EQ(want, gr_test_recv(tfd, want.size()));
    close(tfd);
    /* GR_PROC_CLOSE over UDP closes nothing: the reply goes, the next
     * datagram is answered. */
    fd = gr_test_udp_connect("127.0.0.1", udp_port(srv), 5000);
    EXPECT_EQ("?close now", gr_test_udp_exchange(fd, "?close now"));
    EXPECT_EQ("after", gr_test_udp_exchange(fd, "after"));
    close(fd);
    stop_and_check(srv);
}

INSTANTIATE_TEST_SUITE_P(AllModes, UdpDrops,
                         ::testing::Values(UdpMode{true, true}, UdpMode{false, true}, UdpMode{true, false},
                                           UdpMode{false, false}),
                         udp_mode_name);

/* A burst far larger than the receive buffer: the kernel drops what does
 * not fit, the client counts those requests lost after its timeout (never
 * hangs) and says so, and the server answers a verified run afterwards. */
TEST(UdpOverload, BurstLargerThanTheReceiveBufferIsReportedAsLoss)
{
    GrocketdProcess srv(gr_test_module("demo"), "udp.recv_buf = 65536\n", "", kUdp4);
    ASSERT_TRUE(srv.start()) << srv.log();
    int port = udp_port(srv);
    /* 2 sockets x 8000 datagrams of 1400 bytes, all sent at once: 22 MB. */
    gr_test_run_t burst =
        run_udp_client("127.0.0.1", port, 2, 8000, 8000, 1400, {"--timeout", "1", "--max-loss", "100"});
    EXPECT_EQ(0, burst.status) << burst.output;
    EXPECT_GT(result_field(burst.output, "lost"), 0) << burst.output;
    EXPECT_EQ(0, result_field(burst.output, "errors")) << burst.output;
    EXPECT_NE(std::string::npos, burst.output.find("udp: ")) << burst.output;
    /* The same loss without --max-loss fails the run, and says why. */
    gr_test_run_t strict = run_udp_client("127.0.0.1", port, 2, 8000, 8000, 1400, {"--timeout", "1"});
    EXPECT_EQ(1, strict.status) << strict.output;
    EXPECT_NE(std::string::npos, strict.output.find("more than the 0 % allowed by --max-loss")) << strict.output;
    EXPECT_TRUE(srv.alive());
    gr_test_run_t after = run_udp_client("127.0.0.1", port, 4, 2000, 1, 44);
    EXPECT_EQ(0, after.status) << after.output;
    EXPECT_EQ(0, result_field(after.output, "lost")) << after.output;
    stop_and_check(srv);
    /* Windows has no count of the datagrams the kernel dropped (Linux has
     * SO_RXQ_OVFL): the client's count above is all there is. */
    if (!gr_test_wine()) {
        EXPECT_GT(gr_test_total(srv.log(), "udp_kernel_drops"), 0) << srv.log();
    }
}

/* Workers fall behind (the module sleeps) with rings of two slots: udp_in
 * drops the jobs it cannot hand over, counted, and never waits; the books
 * still balance and the server recovers. */
TEST(UdpOverload, FullWorkerRingsDropAndCount)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"),
                        "worker.disabled = false\nworker.thread_count = 1\nqueue.size = 2\nudp.in.batch = 4\n", "",
                        kUdp4);
    ASSERT_TRUE(srv.start()) << srv.log();
    int port = udp_port(srv);
    int slow = gr_test_udp_connect("127.0.0.1", port, 5000);
    ASSERT_GE(slow, 0);
    ASSERT_EQ(10, send(slow, "?sleep 300", 10, 0));
    usleep(50 * 1000); /* the worker is asleep now */
    int fd = gr_test_udp_connect("127.0.0.1", port, 100);
    for (int i = 0; i < 200; i++)
        ASSERT_EQ(5, send(fd, "flood", 5, 0));
    EXPECT_EQ("?sleep 300", gr_test_udp_exchange(slow, "x").substr(0, 10));
    close(slow);
    close(fd);
    /* Recovered: a datagram is answered again. The rings may still be full
     * for a moment (a slow sanitizer build), and a datagram dropped then is
     * correct, so a few tries. */
    fd = gr_test_udp_connect("127.0.0.1", port, 500);
    std::string got;
    for (int i = 0; i < 20 && got != "recovered"; i++)
        got = gr_test_udp_exchange(fd, "recovered");
    EXPECT_EQ("recovered", got);
    close(fd);
    stop_and_check(srv);
    EXPECT_GT(gr_test_total(srv.log(), "udp_dropped"), 0) << srv.log();
}

/* A UDP flood on the same workers does not stop TCP being served: the
 * workers take their rings in turn. */
TEST(UdpOverload, TcpIsServedDuringAUdpFlood)
{
    GrocketdProcess srv(gr_test_module("demo"), "worker.disabled = false\nworker.thread_count = 1\n", "", kUdp4);
    ASSERT_TRUE(srv.start()) << srv.log();
    gr_test_run_t flood{};
    std::thread t([&] {
        flood = run_udp_client("127.0.0.1", udp_port(srv), 8, 5000, 512, 200,
                               {"--timeout", "0.5", "--max-loss", "100"});
    });
    gr_test_run_t tcp = gr_test_run({gr_test_bin("test_tcp_client"), "--port", std::to_string(srv.port()),
                                     "--connections", "4", "--count", "3000", "--quiet", "--timeout", "60"},
                                    300);
    t.join();
    EXPECT_EQ(0, tcp.status) << tcp.output;
    EXPECT_NE(std::string::npos, tcp.output.find("RESULT requests=12000 errors=0")) << tcp.output;
    EXPECT_EQ(0, flood.status) << flood.output;
    stop_and_check(srv);
}

/* The client's UDP options: bad ones are usage errors (exit 2); a server
 * that never answers costs the timeout per request, counted lost, and
 * fails the run (exit 1), never a hang. */
TEST(UdpClient, OptionsAndSilenceAreReported)
{
    std::string bin = gr_test_bin("test_tcp_client");
    gr_test_run_t r = gr_test_run({bin, "--port", "9", "--max-loss", "5"}, 30);
    EXPECT_EQ(2, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("--max-loss goes with --udp")) << r.output;
    r = gr_test_run({bin, "--udp", "--port", "9", "--size", "65508"}, 30);
    EXPECT_EQ(2, r.status) << r.output;
    r = gr_test_run({bin, "--udp", "--port", "9", "--max-loss", "101"}, 30);
    EXPECT_EQ(2, r.status) << r.output;
    /* A port nobody has: take one from the kernel, then give it back. */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof sa));
    ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&sa, &len));
    close(fd);
    r = gr_test_run({bin, "--udp", "--port", std::to_string(ntohs(sa.sin_port)), "--connections", "2", "--count",
                     "3", "--depth", "3", "--timeout", "0.2", "--quiet"},
                    30);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_EQ(6, result_field(r.output, "lost")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("loss_pct=100.000")) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("FAILED: 6 of 6 requests lost")) << r.output;
}

} // namespace
