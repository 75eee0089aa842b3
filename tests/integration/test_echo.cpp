/* test_echo.cpp - grocketd with the demo echo module, driven by
 * test_tcp_client over loopback, in each of the four pipeline modes
 * (worker on/off x tcp_out on/off): every reply verified and in order,
 * hostile and half-closing clients, module errors, and the books balanced
 * at exit (every package processed or accounted as dropped). */
#include <gtest/gtest.h>

#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "gr_error.h"
#include "gr_test_server.h"
#include "gr_test_util.h"

struct Mode {
    bool worker_disabled;
    bool tcp_out_disabled;
};

static std::string mode_keys(const Mode &m)
{
    /* Two threads per group so that hand-offs cross between several rings. */
    return std::string("worker.disabled = ") + (m.worker_disabled ? "true" : "false") +
           "\ntcp.out.disabled = " + (m.tcp_out_disabled ? "true" : "false") +
           "\ntcp.in.thread_count = 2\nworker.thread_count = 2\ntcp.out.thread_count = 2\n";
}

static std::string mode_name(const Mode &m)
{
    return std::string(m.worker_disabled ? "Inline" : "Worker") + (m.tcp_out_disabled ? "DirectOut" : "TcpOut");
}

static gr_test_run_t run_client(int port, int connections, int count, int depth, int size)
{
    return gr_test_run({gr_test_bin("test_tcp_client"), "--port", std::to_string(port), "--threads", "2",
                        "--connections", std::to_string(connections), "--count", std::to_string(count), "--depth",
                        std::to_string(depth), "--size", std::to_string(size), "--quiet", "--timeout", "60"},
                       600);
}

/* Stop the server and check the books: clean exit, every connection
 * closed, every package cut was processed or counted as dropped. */
static void stop_and_check(GrocketdProcess &srv)
{
    ASSERT_EQ(0, srv.stop()) << srv.log();
    std::string log = srv.log();
    long long accepted = gr_test_total(log, "accepted");
    ASSERT_GE(accepted, 1) << log;
    EXPECT_EQ(accepted, gr_test_total(log, "closed")) << log;
    EXPECT_EQ(gr_test_total(log, "packages"),
              gr_test_total(log, "processed") + gr_test_total(log, "dropped")) << log;
}

class EchoModes : public ::testing::TestWithParam<Mode> {};

TEST_P(EchoModes, Depth1)
{
    GrocketdProcess srv(gr_test_module("demo"), mode_keys(GetParam()));
    ASSERT_TRUE(srv.start()) << srv.log();
    gr_test_run_t r = run_client(srv.port(), 8, 20000, 1, 44);
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("RESULT requests=160000 errors=0")) << r.output;
    stop_and_check(srv);
    EXPECT_EQ(160000LL * 44, gr_test_total(srv.log(), "bytes_out"));
}

TEST_P(EchoModes, Depth16)
{
    GrocketdProcess srv(gr_test_module("demo"), mode_keys(GetParam()));
    ASSERT_TRUE(srv.start()) << srv.log();
    gr_test_run_t r = run_client(srv.port(), 8, 20000, 16, 44);
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("RESULT requests=160000 errors=0")) << r.output;
    stop_and_check(srv);
    EXPECT_EQ(160000LL * 44, gr_test_total(srv.log(), "bytes_in"));
}

/* Large packages fill socket buffers, so replies take the partial-send path:
 * waiting for writability (tcp_out disabled) or queueing at tcp_out. */
TEST_P(EchoModes, LargePackagesTakeTheSlowPath)
{
    GrocketdProcess srv(gr_test_module("demo"), mode_keys(GetParam()));
    ASSERT_TRUE(srv.start()) << srv.log();
    gr_test_run_t r = run_client(srv.port(), 4, 100, 8, 200000);
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("RESULT requests=400 errors=0")) << r.output;
    stop_and_check(srv);
}

/* A client that sends, then shuts down its sending side, still gets every
 * reply before the server closes. */
TEST_P(EchoModes, HalfCloseStillGetsReplies)
{
    GrocketdProcess srv(gr_test_module("demo"), mode_keys(GetParam()));
    ASSERT_TRUE(srv.start()) << srv.log();
    for (int i = 0; i < 20; i++) {
        int fd = gr_test_connect("127.0.0.1", srv.port());
        ASSERT_GE(fd, 0);
        std::string req(3000 + i * 1000, 'a' + i % 26);
        ASSERT_TRUE(gr_test_send(fd, req));
        shutdown(fd, SHUT_WR);
        EXPECT_EQ(req, gr_test_recv(fd, req.size()));
        EXPECT_TRUE(gr_test_wait_eof(fd));
        close(fd);
    }
    stop_and_check(srv);
}

/* Clients that vanish mid-request (plain close, reset, connect-and-go)
 * while a verified client runs: it must not notice, and the server keeps
 * serving and exits cleanly. */
TEST_P(EchoModes, ClientsClosingMidRequestHurtNobodyElse)
{
    GrocketdProcess srv(gr_test_module("demo"), mode_keys(GetParam()));
    ASSERT_TRUE(srv.start()) << srv.log();
    gr_test_run_t good{};
    std::thread t([&] { good = run_client(srv.port(), 8, 5000, 4, 44); });
    std::string big(256 * 1024, 'x');
    for (int i = 0; i < 150; i++) {
        int fd = gr_test_connect("127.0.0.1", srv.port());
        ASSERT_GE(fd, 0);
        switch (i % 3) {
        case 0: /* a big request, then gone before the reply */
            gr_test_send(fd, big.substr(0, 64 * 1024));
            break;
        case 1: { /* reset instead of a graceful close */
            gr_test_send(fd, "half a request");
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            break;
        }
        default: /* connect and leave */
            break;
        }
        close(fd);
    }
    t.join();
    EXPECT_EQ(0, good.status) << good.output;
    EXPECT_NE(std::string::npos, good.output.find("RESULT requests=40000 errors=0")) << good.output;
    EXPECT_TRUE(srv.alive());
    EXPECT_EQ("still here", gr_test_roundtrip(srv.port(), "still here", 10));
    stop_and_check(srv);
}

/* Rings of two slots: producers find them full all the time and must wait
 * for the consumer without losing or reordering anything. */
TEST_P(EchoModes, TinyRingsStayInOrder)
{
    GrocketdProcess srv(gr_test_module("demo"), mode_keys(GetParam()) + "queue.size = 2\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    gr_test_run_t r = run_client(srv.port(), 16, 3000, 16, 100);
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("RESULT requests=48000 errors=0")) << r.output;
    stop_and_check(srv);
}

INSTANTIATE_TEST_SUITE_P(AllModes, EchoModes,
                         ::testing::Values(Mode{true, true}, Mode{false, true}, Mode{true, false}, Mode{false, false}),
                         [](const ::testing::TestParamInfo<Mode> &info) { return mode_name(info.param); });

class ModuleErrors : public ::testing::TestWithParam<Mode> {};

/* The module reports bad data on some connections and asks to close others
 * while a verified client runs against the same server. */
TEST_P(ModuleErrors, BadDataAndCloseRequestsLeaveOthersServed)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), mode_keys(GetParam()));
    ASSERT_TRUE(srv.start()) << srv.log();
    gr_test_run_t good{};
    std::thread t([&] { good = run_client(srv.port(), 8, 5000, 4, 44); });
    for (int i = 0; i < 100; i++) {
        int fd = gr_test_connect("127.0.0.1", srv.port());
        ASSERT_GE(fd, 0);
        if (i % 2 == 0) {
            ASSERT_TRUE(gr_test_send(fd, "!bad package"));
            EXPECT_TRUE(gr_test_wait_eof(fd)); /* closed, nothing answered */
        } else {
            ASSERT_TRUE(gr_test_send(fd, "?close please"));
            EXPECT_EQ("?close please", gr_test_recv(fd, 13)); /* the reply, then the close */
            EXPECT_TRUE(gr_test_wait_eof(fd));
        }
        close(fd);
    }
    t.join();
    EXPECT_EQ(0, good.status) << good.output;
    EXPECT_NE(std::string::npos, good.output.find("RESULT requests=40000 errors=0")) << good.output;
    stop_and_check(srv);
    EXPECT_EQ(50, gr_test_total(srv.log(), "bad")) << srv.log();
}

/* A module that keeps a connection pointer and uses it from a thread of
 * its own after the client has gone (fixture_c's "?late"): every service
 * refuses, names the mistake in the log, and touches nothing (under ASan
 * a touch of the freed connection would abort grocketd). */
TEST_P(ModuleErrors, ServicesCalledOutsideTheCallbackAreRefused)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), mode_keys(GetParam()));
    ASSERT_TRUE(srv.start()) << srv.log();
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "?late"));
    EXPECT_EQ("?late", gr_test_recv(fd, 5));
    close(fd);
    const char *line = "fixture_c: late calls: reply=";
    for (int i = 0; i < 500 && srv.log().find(line) == std::string::npos; i++)
        usleep(10 * 1000);
    std::string log = srv.log();
    ASSERT_NE(std::string::npos, log.find(line)) << log;
    char want[256];
    snprintf(want, sizeof want,
             "late calls: reply=%d reply_alloc=NULL set/get_user=NULL peer='' transport=%d http_set_status=%d",
             GR_EINVAL, GR_EINVAL, GR_EINVAL);
    EXPECT_NE(std::string::npos, log.find(want)) << log;
    EXPECT_NE(std::string::npos, log.find("module called reply outside proc/proc_http for that connection")) << log;
    EXPECT_NE(std::string::npos, log.find("module called conn_set_user outside a callback")) << log;
    stop_and_check(srv);
}

INSTANTIATE_TEST_SUITE_P(AllModes, ModuleErrors,
                         ::testing::Values(Mode{true, true}, Mode{false, true}, Mode{true, false}, Mode{false, false}),
                         [](const ::testing::TestParamInfo<Mode> &info) { return mode_name(info.param); });

TEST(ModuleRefusal, RefusedConnectionsAreClosedAndCounted)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), "", "[fixture]\nrefuse = true\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    for (int i = 0; i < 5; i++) {
        int fd = gr_test_connect("127.0.0.1", srv.port());
        ASSERT_GE(fd, 0);
        gr_test_send(fd, "hello");
        EXPECT_TRUE(gr_test_wait_eof(fd));
        close(fd);
    }
    ASSERT_EQ(0, srv.stop()) << srv.log();
    EXPECT_EQ(5, gr_test_total(srv.log(), "refused")) << srv.log();
    EXPECT_EQ(0, gr_test_total(srv.log(), "accepted")) << srv.log();
}
