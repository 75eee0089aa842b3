/* test_server_lifecycle.cpp - the embedding API's graceful stop and reload
 * on an in-process server (libgrocket.h): gr_server_stop_graceful returns
 * as soon as every connection is idle, or gives up after the grace period;
 * gr_server_drain / gr_server_drain_left in steps; gr_server_reload
 * publishes a new snapshot of the reloadable keys (the old one stays
 * readable), keeps the start-up values of the others, changes nothing on
 * an error, and runs safely while requests are served (TSan). */
#include <gtest/gtest.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#ifdef _WIN32
#include <winsock2.h> /* recv */
#else
#include <sys/socket.h>
#endif

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "gr_error.h"
#include "gr_server.h"
#include "gr_test_util.h"
#include "libgrocket.h"

namespace {

const gr_services_t *svc;

int life_init(const gr_services_t *s)
{
    svc = s;
    return 0;
}

/* Packages are lines. */
long line_check(gr_conn_t *, const char *data, size_t len)
{
    const char *nl = (const char *)memchr(data, '\n', len);
    return nl ? (long)(nl - data + 1) : 0;
}

int echo_proc(gr_conn_t *c, const char *pkg, size_t len)
{
    return svc->reply(c, pkg, len) == 0 ? GR_PROC_OK : GR_PROC_CLOSE;
}

int ok_http(gr_conn_t *c, const gr_http_request_t *)
{
    return svc->http_reply_text(c, 200, "ok\n") == 0 ? GR_PROC_OK : GR_PROC_CLOSE;
}

const char kIni[] = "[server]\nlog.level = warn\n[listen]\n0 = tcp://127.0.0.1:0\n1 = http://127.0.0.1:0\n";

struct Server {
    gr_server_t *s = nullptr;
    char err[2048] = "";
    gr_module_t m{};
    explicit Server(bool start = true)
    {
        m.abi_version = GR_ABI_VERSION;
        m.size = sizeof m;
        m.name = "life";
        m.init = life_init;
        m.check = line_check;
        m.proc = echo_proc;
        m.proc_http = ok_http;
        EXPECT_EQ(GR_OK, gr_server_create_from_string(&s, kIni, "life.ini", &m, 0, nullptr, err, sizeof err)) << err;
        if (start && s) {
            EXPECT_EQ(GR_OK, gr_server_start(s, err, sizeof err)) << err;
        }
    }
    ~Server() { gr_server_destroy(s); }
    int port() const { return gr_server_listen_port(s, 0); }
    int http_port() const { return gr_server_listen_port(s, 1); }
};

double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string temp_file(const std::string &text)
{
    /* A file of its own in a directory of its own, left for the system's
     * temporary-file cleaning as before. */
    std::string dir = gr_test_mkdtemp("grocket-reload-");
    EXPECT_NE("", dir);
    std::string path = dir + "/reload.ini";
    std::ofstream(path) << text;
    return path;
}

TEST(ServerLifecycle, GracefulStopReturnsOnceEveryConnectionIsIdle)
{
    Server srv;
    ASSERT_NE(nullptr, srv.s);
    int a = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(a, 0);
    ASSERT_TRUE(gr_test_send(a, "x\n"));
    ASSERT_EQ("x\n", gr_test_recv(a, 2));
    EXPECT_EQ(-1, gr_server_drain_left(srv.s)); /* no drain under way */
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(0, gr_server_stop_graceful(srv.s, 30000));
    EXPECT_LT(seconds_since(t0), 10.0) << "an idle connection must not hold the stop";
    EXPECT_TRUE(gr_test_wait_eof(a));
    gr_test_close(a);
}

TEST(ServerLifecycle, GracefulStopGivesUpAfterTheGracePeriod)
{
    Server srv;
    ASSERT_NE(nullptr, srv.s);
    int stuck = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(stuck, 0);
    ASSERT_TRUE(gr_test_send(stuck, "x\n"));
    ASSERT_EQ("x\n", gr_test_recv(stuck, 2));
    ASSERT_TRUE(gr_test_send(stuck, "no end of line"));
    usleep(100 * 1000);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(1, gr_server_stop_graceful(srv.s, 500));
    double took = seconds_since(t0);
    EXPECT_GE(took, 0.45);
    EXPECT_LT(took, 10.0);
    EXPECT_TRUE(gr_test_wait_eof(stuck));
    gr_test_close(stuck);
}

TEST(ServerLifecycle, DrainInStepsFinishesAPackageThenCloses)
{
    Server srv;
    ASSERT_NE(nullptr, srv.s);
    int c = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(c, 0);
    ASSERT_TRUE(gr_test_send(c, "x\n"));
    ASSERT_EQ("x\n", gr_test_recv(c, 2));
    ASSERT_TRUE(gr_test_send(c, "hal"));
    usleep(100 * 1000);
    gr_server_drain(srv.s);
#ifdef _WIN32
    /* Wine 8 lets go of a listener that had an AFD poll request on it a
     * moment after closesocket (connects still succeed for up to a few
     * hundred ms; Windows closes it at once): give it a second. */
    for (int i = 0; i < 20; i++) {
        int probe = gr_test_connect("127.0.0.1", srv.port());
        if (probe < 0)
            break;
        gr_test_close(probe);
        usleep(50 * 1000);
    }
#endif
    EXPECT_LT(gr_test_connect("127.0.0.1", srv.port()), 0) << "still accepting";
    usleep(100 * 1000);
    EXPECT_EQ(1, gr_server_drain_left(srv.s));
    ASSERT_TRUE(gr_test_send(c, "f\n"));
    EXPECT_EQ("half\n", gr_test_recv(c, 5));
    EXPECT_TRUE(gr_test_wait_eof(c));
    int left = -1;
    for (int i = 0; i < 1000 && (left = gr_server_drain_left(srv.s)) != 0; i++)
        usleep(10 * 1000);
    EXPECT_EQ(0, left);
    gr_server_stop(srv.s);
    EXPECT_EQ(0, gr_server_drain_left(srv.s)); /* stopped */
    gr_test_close(c);
}

TEST(ServerLifecycle, ReloadPublishesReloadableKeysOnly)
{
    Server srv;
    ASSERT_NE(nullptr, srv.s);
    const gr_live_t *before = gr_server_live(srv.s);
    int in_threads = gr_server_settings(srv.s)->tcp_in_threads; /* auto: the machine's */
    std::string path = temp_file("[server]\nlog.level = warn\nhttp.max_body_size = 50\n"
                                 "tcp.in.thread_count = " + std::to_string(in_threads == 1 ? 2 : 1) +
                                 "\n[listen]\n0 = tcp://127.0.0.1:0\n1 = http://127.0.0.1:0\n");
    ASSERT_EQ(GR_OK, gr_server_reload(srv.s, path.c_str(), srv.err, sizeof srv.err)) << srv.err;
    const gr_live_t *after = gr_server_live(srv.s);
    EXPECT_NE(before, after);
    EXPECT_EQ(50, after->settings.http_max_body_size);
    EXPECT_EQ(50u, after->http_limits.max_body_size);
    EXPECT_EQ(in_threads, after->settings.tcp_in_threads) << "needs a restart: not applied";
    EXPECT_EQ(1048576, gr_server_settings(srv.s)->http_max_body_size) << "start-up settings stay";
    EXPECT_EQ(1048576, before->settings.http_max_body_size) << "the old snapshot is still there";

    /* An error: named, nothing changes. */
    std::string bad = temp_file("[server]\nbogus = 1\n[listen]\n0 = tcp://127.0.0.1:0\n");
    EXPECT_EQ(GR_ECONFIG, gr_server_reload(srv.s, bad.c_str(), srv.err, sizeof srv.err));
    EXPECT_NE(nullptr, strstr(srv.err, (bad + ":2: bogus: unknown key").c_str())) << srv.err;
    EXPECT_EQ(after, gr_server_live(srv.s));
    /* No file to fall back on: this server came from a string. */
    EXPECT_EQ(GR_EINVAL, gr_server_reload(srv.s, nullptr, srv.err, sizeof srv.err));
    EXPECT_EQ(-ENOENT, gr_server_reload(srv.s, "/nonexistent.ini", srv.err, sizeof srv.err));
    unlink(path.c_str());
    unlink(bad.c_str());
}

TEST(ServerLifecycle, ReloadBeforeStartIsWhatStartRunsWith)
{
    Server srv(false);
    ASSERT_NE(nullptr, srv.s);
    std::string path = temp_file("[server]\nhttp.max_body_size = 70\n[listen]\n0 = tcp://127.0.0.1:0\n"
                                 "1 = http://127.0.0.1:0\n");
    ASSERT_EQ(GR_OK, gr_server_reload(srv.s, path.c_str(), srv.err, sizeof srv.err)) << srv.err;
    ASSERT_EQ(GR_OK, gr_server_start(srv.s, srv.err, sizeof srv.err)) << srv.err;
    EXPECT_EQ(70, gr_settings_live(srv.s)->http_max_body_size);
    unlink(path.c_str());
}

/* One HTTP exchange on a keep-alive connection: the status, or -1. */
int http_get(int fd)
{
    if (!gr_test_send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        return -1;
    std::string in;
    char buf[4096];
    size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos || in.size() < end + 4 + 3) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            return -1;
        in.append(buf, (size_t)r);
    }
    return atoi(in.c_str() + 9);
}

/* Reloads race with requests reading the snapshot (for TSan): every request
 * is answered. */
TEST(ServerLifecycle, ReloadWhileServing)
{
    Server srv;
    ASSERT_NE(nullptr, srv.s);
    std::string a = temp_file("[server]\nlog.level = warn\nhttp.max_header_size = 1024\n"
                              "http.keepalive_timeout = 30\n[listen]\n0 = tcp://127.0.0.1:0\n1 = http://127.0.0.1:0\n");
    std::string b = temp_file("[server]\nlog.level = warn\nhttp.max_header_size = 2048\n"
                              "http.keepalive_timeout = 60\n[listen]\n0 = tcp://127.0.0.1:0\n1 = http://127.0.0.1:0\n");
    std::atomic<int> ok{0};
    const int kRequests = 400;
    std::thread client([&] {
        int fd = gr_test_connect("127.0.0.1", srv.http_port());
        for (int i = 0; fd >= 0 && i < kRequests && http_get(fd) == 200; i++)
            ok++;
        if (fd >= 0)
            gr_test_close(fd);
    });
    for (int i = 0; i < 40 && ok.load() < kRequests; i++) {
        EXPECT_EQ(GR_OK, gr_server_reload(srv.s, (i % 2 ? a : b).c_str(), srv.err, sizeof srv.err)) << srv.err;
        usleep(1000);
    }
    client.join();
    EXPECT_EQ(kRequests, ok.load());
    unlink(a.c_str());
    unlink(b.c_str());
}

} // namespace
