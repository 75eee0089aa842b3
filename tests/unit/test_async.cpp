/* test_async.cpp - asynchronous modules (ABI 1.7) on an in-process server,
 * in every pipeline mode (inline or worker, direct send or tcp_out) and on
 * whatever poll backend the build has (also the Windows build under Wine):
 * replies that come later, from a timer or a thread of the test's own,
 * leave in request order; a reply that closes; HTTP responses completed
 * later; late completions after the client left, dropped and counted, also
 * racing the close from many threads (TSan); the pending bound pausing the
 * reading; UDP refusing a handle; posts to each processing thread; timers,
 * repeating and cancelled; a graceful stop waiting for a pending reply, and
 * past its grace period dropping pending replies and active timers, counted. */
#include <gtest/gtest.h>

#include <string.h>
#include <unistd.h>
#ifdef _WIN32
#include <winsock2.h> /* setsockopt, struct linger */
#else
#include <sys/socket.h>
#endif

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gr_dynlib.h" /* GR_MODULE_SUFFIX */
#include "gr_error.h"
#include "gr_test_util.h"
#include "libgrocket.h"

namespace {

const gr_services_t *svc;

/* Threads of the test's own that complete replies; joined before a server
 * goes away (a module completes nothing after its term). */
std::mutex g_mu;
std::vector<std::thread> g_threads;
std::vector<gr_reply_t *> g_held; /* "H" handles, completed by the test */
std::atomic<int> g_closed{0};     /* tcp_close calls */

void join_all()
{
    std::vector<std::thread> ts;
    {
        std::lock_guard<std::mutex> lk(g_mu);
        ts.swap(g_threads);
    }
    for (auto &t : ts)
        t.join();
}

gr_reply_t *take_held()
{
    std::lock_guard<std::mutex> lk(g_mu);
    if (g_held.empty())
        return nullptr;
    gr_reply_t *r = g_held.front();
    g_held.erase(g_held.begin());
    return r;
}

size_t held_count()
{
    std::lock_guard<std::mutex> lk(g_mu);
    return g_held.size();
}

/* Wait (1 s at most) until the module holds n handles. */
bool wait_held(size_t n)
{
    for (int i = 0; i < 500 && held_count() < n; i++)
        usleep(2000);
    return held_count() == n;
}

struct Later {
    gr_reply_t *r;
    std::string text;
    int flags;
    bool http;
};

void complete(Later *l)
{
    if (l->http)
        EXPECT_EQ(0, svc->http_complete(l->r, 201, "application/json", l->text.data(), l->text.size(), l->flags));
    else
        EXPECT_EQ(0, svc->reply_complete(l->r, l->text.data(), l->text.size(), l->flags));
    delete l;
}

void on_timer(uint64_t, void *arg)
{
    EXPECT_GE(svc->thread_self(), 0);
    complete((Later *)arg);
}

/* Repeating: replies once it has run three times, cancelling itself. */
struct Rep {
    gr_reply_t *r;
    int runs;
};
void on_repeat(uint64_t id, void *arg)
{
    Rep *p = (Rep *)arg;
    if (++p->runs == 3) {
        EXPECT_EQ(0, svc->timer_cancel(id));
        EXPECT_NE(0, svc->timer_cancel(id));
        EXPECT_EQ(0, svc->reply_complete(p->r, "rep\n", 4, 0));
        delete p;
    }
}

void on_long_timer(uint64_t, void *) { ADD_FAILURE() << "a timer cancelled at stop ran"; }

int async_init(const gr_services_t *s)
{
    svc = s;
    return 0;
}

long line_check(gr_conn_t *, const char *data, size_t len)
{
    const char *nl = (const char *)memchr(data, '\n', len);
    return nl ? (long)(nl - data + 1) : 0;
}

/* Lines: "E text" echoes now; "D<ms> text" answers from a timer; "T<ms>
 * text" from a thread of the test's own; "C text" answers from a timer and
 * closes; "X text" completes inside proc; "H text" is held for the test;
 * "R" repeats a timer three times; "L" starts an hour-long timer; "U" tries
 * to defer (UDP: refused). */
int async_proc(gr_conn_t *c, const char *pkg, size_t len)
{
    std::string line(pkg, len);
    std::string text = line.find(' ') != std::string::npos ? line.substr(line.find(' ') + 1) : "\n";
    int ms = atoi(line.c_str() + 1);
    switch (line[0]) {
    case 'E':
        return svc->reply(c, text.data(), text.size()) == 0 ? GR_PROC_OK : GR_PROC_CLOSE;
    case 'U': {
        gr_reply_t *r = svc->reply_defer(c);
        svc->reply(c, r ? "deferred\n" : "refused\n", r ? 9 : 8);
        return GR_PROC_OK;
    }
    case 'L':
        EXPECT_NE(0u, svc->timer_start(3600 * 1000, 0, on_long_timer, nullptr));
        svc->reply(c, "long\n", 5);
        return GR_PROC_OK;
    default:
        break;
    }
    svc->reply(c, "dropped: replied before reply_defer\n", 36);
    gr_reply_t *r = svc->reply_defer(c);
    EXPECT_NE(nullptr, r);
    if (!r)
        return GR_PROC_CLOSE;
    EXPECT_EQ(nullptr, svc->reply_defer(c)) << "one handle per package";
    EXPECT_NE(0, svc->reply(c, "x", 1)) << "no reply once deferred";
    Later *l = new Later{r, text, 0, false};
    switch (line[0]) {
    case 'D':
        EXPECT_NE(0u, svc->timer_start((uint64_t)ms, 0, on_timer, l));
        break;
    case 'C':
        l->flags = GR_REPLY_CLOSE;
        EXPECT_NE(0u, svc->timer_start(10, 0, on_timer, l));
        break;
    case 'X':
        complete(l);
        break;
    case 'T': {
        std::lock_guard<std::mutex> lk(g_mu);
        g_threads.emplace_back([l, ms] {
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            EXPECT_EQ(-1, svc->thread_self());
            complete(l);
        });
        break;
    }
    case 'R':
        delete l;
        EXPECT_NE(0u, svc->timer_start(5, 5, on_repeat, new Rep{r, 0}));
        break;
    case 'H': {
        delete l;
        std::lock_guard<std::mutex> lk(g_mu);
        g_held.push_back(r);
        break;
    }
    default:
        ADD_FAILURE() << "unknown line " << line;
        delete l;
        return GR_PROC_CLOSE;
    }
    return GR_PROC_OK;
}

/* GET /later?ms=N: 201 application/json after N ms from a timer. */
int async_http(gr_conn_t *c, const gr_http_request_t *req)
{
    gr_str_t ms = svc->http_query(req, "ms");
    gr_reply_t *r = svc->reply_defer(c);
    EXPECT_NE(nullptr, r);
    EXPECT_NE(0, svc->http_reply_text(c, 200, "no")) << "no response once deferred";
    std::string body = "{\"path\":\"" + std::string(req->path.ptr, req->path.len) + "\"}";
    Later *l = new Later{r, body, 0, true};
    EXPECT_NE(0u, svc->timer_start(ms.ptr ? (uint64_t)atoi(std::string(ms.ptr, ms.len).c_str()) : 0, 0, on_timer, l));
    return GR_PROC_OK;
}

void async_tcp_close(gr_conn_t *) { g_closed++; }


struct Mode {
    bool worker, tcp_out;
};

std::string ini(Mode m, const std::string &extra = "")
{
    std::string level = extra.find("log.level") == std::string::npos ? "log.level = error\n" : "";
    return "[server]\n" + level + "tcp.in.thread_count = 2\nworker.thread_count = 2\n" +
           "worker.disabled = " + (m.worker ? "false" : "true") + "\ntcp.out.disabled = " +
           (m.tcp_out ? "false" : "true") + "\n" + extra +
           "[listen]\n0 = tcp://127.0.0.1:0\n1 = http://127.0.0.1:0\n2 = udp://127.0.0.1:0\n";
}

struct Server {
    gr_server_t *s = nullptr;
    char err[2048] = "";
    gr_module_t m{};
    explicit Server(Mode mode, const std::string &extra = "")
    {
        m.abi_version = GR_ABI_VERSION;
        m.size = sizeof m;
        m.name = "async";
        m.init = async_init;
        m.check = line_check;
        m.proc = async_proc;
        m.proc_http = async_http;
        m.tcp_close = async_tcp_close;
        std::string text = ini(mode, extra);
        EXPECT_EQ(GR_OK, gr_server_create_from_string(&s, text.c_str(), "async.ini", &m, 0, nullptr, err, sizeof err))
            << err;
        if (s) {
            EXPECT_EQ(GR_OK, gr_server_start(s, err, sizeof err)) << err;
        }
    }
    ~Server()
    {
        join_all();
        gr_server_destroy(s);
    }
    int port(int i = 0) const { return gr_server_listen_port(s, i); }
    uint64_t stat(const char *group, const char *name)
    {
        uint64_t v = 0;
        EXPECT_EQ(0, svc->stat(group, name, &v)) << name;
        return v;
    }
    /* A processing-thread counter, summed over tcp_in and worker. */
    uint64_t proc_stat(const char *name) { return stat("tcp_in", name) + stat("worker", name); }
};

class Async : public ::testing::TestWithParam<Mode> {};

std::string recv_all_until_eof(int fd)
{
    std::string got;
    for (;;) {
        std::string part = gr_test_recv(fd, 1);
        if (part.empty())
            return got;
        got += part;
    }
}

TEST_P(Async, RepliesLeaveInRequestOrder)
{
    Server srv(GetParam());
    ASSERT_NE(nullptr, srv.s);
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    /* A timer, an echo, a foreign thread, completed in proc, an echo: the
     * later ones are ready first and wait. */
    ASSERT_TRUE(gr_test_send(fd, "D80 a\nE b\nT40 c\nX d\nE e\nD1 f\n"));
    EXPECT_EQ("a\nb\nc\nd\ne\nf\n", gr_test_recv(fd, 12));
    /* Separate reads too. */
    ASSERT_TRUE(gr_test_send(fd, "T30 g\n"));
    ASSERT_TRUE(gr_test_send(fd, "E h\n"));
    EXPECT_EQ("g\nh\n", gr_test_recv(fd, 4));
    ASSERT_TRUE(gr_test_send(fd, "R\n"));
    EXPECT_EQ("rep\n", gr_test_recv(fd, 4));
    EXPECT_GE(srv.proc_stat("replies_deferred"), 6u);
    EXPECT_GE(srv.proc_stat("timers_fired"), 5u);
    EXPECT_EQ(0u, srv.proc_stat("replies_pending"));
    EXPECT_EQ(0u, srv.proc_stat("timers_active"));
    gr_test_close(fd);
}

TEST_P(Async, ACompletionThatClosesEndsTheConnection)
{
    Server srv(GetParam());
    ASSERT_NE(nullptr, srv.s);
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "E a\nC b\nE not sent\n"));
    EXPECT_EQ("a\nb\n", recv_all_until_eof(fd));
    gr_test_close(fd);
}

TEST_P(Async, HttpResponsesCompletedLaterKeepTheirOrder)
{
    Server srv(GetParam());
    ASSERT_NE(nullptr, srv.s);
    int fd = gr_test_connect("127.0.0.1", srv.port(1));
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "GET /first?ms=60 HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "GET /second?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "HEAD /third?ms=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string got = recv_all_until_eof(fd);
    size_t a = got.find("{\"path\":\"/first\"}"), b = got.find("{\"path\":\"/second\"}");
    ASSERT_NE(std::string::npos, a) << got;
    ASSERT_NE(std::string::npos, b) << got;
    EXPECT_LT(a, b);
    EXPECT_EQ(std::string::npos, got.find("/third")) << "HEAD: no body";
    EXPECT_EQ(std::string::npos, got.find("dropped")) << got;
    size_t heads = 0;
    for (size_t at = 0; (at = got.find("HTTP/1.1 201 Created\r\n", at)) != std::string::npos; at++)
        heads++;
    EXPECT_EQ(3u, heads) << got;
    EXPECT_NE(std::string::npos, got.find("Content-Type: application/json\r\n"));
    EXPECT_NE(std::string::npos, got.find("Content-Length: 17\r\n"));
    EXPECT_NE(std::string::npos, got.find("Connection: close\r\n")) << "the last one closes";
    gr_test_close(fd);
}

TEST_P(Async, UdpRefusesAHandle)
{
    Server srv(GetParam());
    ASSERT_NE(nullptr, srv.s);
    int fd = gr_test_udp_connect("127.0.0.1", srv.port(2), 3000);
    ASSERT_GE(fd, 0);
    EXPECT_EQ("refused\n", gr_test_udp_exchange(fd, "U\n"));
    gr_test_close(fd);
}

TEST_P(Async, ALateCompletionIsDroppedAndCounted)
{
#ifdef _WIN32
    /* Seen under Wine 8 (not Windows): a client's reset reaches no AFD
     * poll of the server (no ABORT, no RECEIVE), so the connection only
     * fails at the send of the late reply ("Connection reset by peer"), and
     * nothing arrives late to be counted. The hard-stop case below lets go
     * of a pending reply on every system. */
    GTEST_SKIP() << "Wine 8 reports no reset to the server's poll";
#endif
    Server srv(GetParam());
    ASSERT_NE(nullptr, srv.s);
    int closed_before = g_closed.load();
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "H a\n"));
    ASSERT_TRUE(wait_held(1));
    /* Gone, not half-closed (a client that only shuts down its sending
     * side still gets the replies owed): a reset. */
    struct linger lg;
    lg.l_onoff = 1;
    lg.l_linger = 0;
    ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof lg));
    gr_test_close(fd);
    for (int i = 0; i < 200 && srv.stat("tcp_in", "closed") < 1; i++)
        usleep(5000);
    EXPECT_EQ(1u, srv.stat("tcp_in", "closed"));
    gr_reply_t *r = take_held();
    EXPECT_EQ(0, svc->reply_complete(r, "late\n", 5, 0));
    for (int i = 0; i < 200 && srv.stat(nullptr, "replies_late_dropped") < 1; i++)
        usleep(5000);
    EXPECT_EQ(1u, srv.stat(nullptr, "replies_late_dropped"));
    for (int i = 0; i < 200 && g_closed.load() == closed_before; i++)
        usleep(5000);
    EXPECT_EQ(closed_before + 1, g_closed.load()) << "tcp_close once the handle is settled";
    EXPECT_EQ(0u, srv.proc_stat("replies_pending"));
}

TEST_P(Async, PendingRepliesPastTheBoundPauseReading)
{
    Server srv(GetParam(), "tcp.max_pending_replies = 2\n");
    ASSERT_NE(nullptr, srv.s);
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "H a\n"));
    ASSERT_TRUE(gr_test_send(fd, "H b\n"));
    ASSERT_TRUE(wait_held(2));
    ASSERT_TRUE(gr_test_send(fd, "E c\n"));
    usleep(200 * 1000);
    EXPECT_EQ(2u, srv.stat("tcp_in", "packages")) << "not read while 2 replies are pending";
    EXPECT_GE(srv.stat("tcp_in", "read_pauses"), 1u);
    gr_reply_t *a = take_held(), *b = take_held();
    EXPECT_EQ(0, svc->reply_complete(a, "a\n", 2, 0));
    for (int i = 0; i < 200 && srv.stat("tcp_in", "packages") < 3; i++)
        usleep(5000);
    EXPECT_EQ(3u, srv.stat("tcp_in", "packages")) << "read again below the bound";
    EXPECT_EQ(0, svc->reply_complete(b, "b\n", 2, 0));
    EXPECT_EQ("a\nb\nc\n", gr_test_recv(fd, 6));
    gr_test_close(fd);
}

/* A reply larger than the socket buffers, completed while the connection
 * is not read (reading paused at the bound, or after the client's EOF):
 * inline, the wait for writability then needs a registration of its own. */
TEST_P(Async, BigDeferredRepliesWhilePausedAndAfterEof)
{
    Server srv(GetParam(), "tcp.max_pending_replies = 1\n");
    ASSERT_NE(nullptr, srv.s);
    const std::string big(4 << 20, 'z');
    for (int eof = 0; eof < 2; eof++) {
        int fd = gr_test_connect("127.0.0.1", srv.port());
        ASSERT_GE(fd, 0);
        ASSERT_TRUE(gr_test_send(fd, "H a\n"));
        ASSERT_TRUE(wait_held(1));
        if (eof) {
            ASSERT_EQ(0, shutdown(fd, 1)); /* SHUT_WR, SD_SEND */
        } else {
            ASSERT_TRUE(gr_test_send(fd, "E c\n")); /* not read: one reply is pending */
        }
        usleep(100 * 1000);
        EXPECT_EQ(0, svc->reply_complete(take_held(), big.data(), big.size(), 0));
        usleep(100 * 1000); /* the socket fills; the server waits to write */
        std::string want = big + (eof ? "" : "c\n");
        std::string got = gr_test_recv(fd, want.size());
        EXPECT_EQ(want.size(), got.size());
        EXPECT_TRUE(got == want);
        if (eof) {
            EXPECT_TRUE(gr_test_wait_eof(fd)) << "closed once the replies owed are out";
        } else {
            ASSERT_TRUE(gr_test_send(fd, "E d\n"));
            EXPECT_EQ("d\n", gr_test_recv(fd, 2)) << "read again";
        }
        gr_test_close(fd);
    }
}

std::atomic<int> g_posted_ok{0};
void posted(void *arg)
{
    if (svc->thread_self() == (int)(intptr_t)arg)
        g_posted_ok++;
}

TEST_P(Async, PostsRunOnTheThreadAsked)
{
    Server srv(GetParam());
    ASSERT_NE(nullptr, srv.s);
    int n = svc->server_info()->proc_threads;
    ASSERT_GE(n, 2);
    EXPECT_EQ(-1, svc->thread_self());
    EXPECT_EQ(0u, svc->timer_start(1, 0, on_long_timer, nullptr)) << "not a processing thread";
    EXPECT_NE(0, svc->timer_cancel(1));
    g_posted_ok = 0;
    for (int round = 0; round < 50; round++)
        for (int id = 0; id < n; id++)
            ASSERT_EQ(0, svc->post(id, posted, (void *)(intptr_t)id));
    EXPECT_NE(0, svc->post(n, posted, nullptr));
    EXPECT_NE(0, svc->post(-1, posted, nullptr));
    EXPECT_NE(0, svc->post(0, nullptr, nullptr));
    for (int i = 0; i < 400 && g_posted_ok.load() < 50 * n; i++)
        usleep(5000);
    EXPECT_EQ(50 * n, g_posted_ok.load());
    EXPECT_EQ((uint64_t)(50 * n), srv.proc_stat("posts") + srv.stat("udp_in", "posts"));
}

TEST_P(Async, GracefulStopWaitsForAPendingReply)
{
    Server srv(GetParam());
    ASSERT_NE(nullptr, srv.s);
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "D300 slow\n"));
    usleep(50 * 1000);
    auto t0 = std::chrono::steady_clock::now();
    int left = -1;
    std::thread stopper([&] { left = gr_server_stop_graceful(srv.s, 5000); });
    EXPECT_EQ("slow\n", gr_test_recv(fd, 5));
    gr_test_close(fd); /* the lingering close ends with it */
    stopper.join();
    EXPECT_EQ(0, left);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_GE(took, 0.2);
    EXPECT_LT(took, 4.0);
}

TEST_P(Async, StopPastTheGracePeriodDropsPendingRepliesAndCancelsTimers)
{
    std::string dir = gr_test_mkdtemp("grocket-async-");
    ASSERT_NE("", dir);
    std::string log = dir + "/log.txt";
    Server srv(GetParam(), "log.level = info\n");
    ASSERT_NE(nullptr, srv.s);
    ASSERT_EQ(0, gr_server_log_open(log.c_str()));
    int fd = gr_test_connect("127.0.0.1", srv.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "L\nH a\n"));
    EXPECT_EQ("long\n", gr_test_recv(fd, 5));
    ASSERT_TRUE(wait_held(1));
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(1, gr_server_stop_graceful(srv.s, 300)) << "the connection owed a reply stays busy";
    EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 0.29);
    gr_server_log_close();
    /* The totals line at stop counts them. */
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(std::string::npos, text.str().find(" timers_cancelled_stop=1 ")) << text.str();
    EXPECT_NE(std::string::npos, text.str().find(" replies_dropped_stop=1 ")) << text.str();
    EXPECT_NE(std::string::npos, text.str().find("1 timer(s) still active at stop, cancelled")) << text.str();
    /* Completed after the stop, before the destroy: accepted, dropped. */
    EXPECT_EQ(0, svc->reply_complete(take_held(), "late\n", 5, 0));
    EXPECT_NE(0, svc->post(0, posted, nullptr)) << "refused once stopped";
    gr_test_close(fd);
    gr_server_destroy(srv.s);
    srv.s = nullptr;
    gr_test_rmtree(dir);
}

/* Completions from many threads racing the clients' closes (run under
 * TSan): every handle is settled once, whichever comes first. */
TEST_P(Async, CompletionsRaceClosesFromForeignThreads)
{
    Server srv(GetParam());
    ASSERT_NE(nullptr, srv.s);
    const int conns = 40;
    uint64_t late_before = srv.stat(nullptr, "replies_late_dropped");
    int closed_before = g_closed.load();
    std::vector<std::thread> clients;
    std::atomic<int> answered{0}, connected{0};
    for (int k = 0; k < 4; k++)
        clients.emplace_back([&, k] {
            for (int i = 0; i < conns / 4; i++) {
                int fd = gr_test_connect("127.0.0.1", srv.port());
                if (fd < 0)
                    continue;
                connected++;
                gr_test_send(fd, "T" + std::to_string((i + k) % 5) + " a\nE b\nT" + std::to_string(i % 3) + " c\n");
                if (i % 2 == 0 && gr_test_recv(fd, 6) == "a\nb\nc\n")
                    answered++;
                gr_test_close(fd); /* odd ones: closed before the replies */
            }
        });
    for (auto &t : clients)
        t.join();
    /* Until every connection is closed (tcp_close: after its last proc)
     * packages still being processed start threads of ours: join those
     * as they come, and the last ones once no proc can run. */
    for (int i = 0; i < 1000 && g_closed.load() - closed_before < connected.load(); i++) {
        join_all();
        usleep(5000);
    }
    EXPECT_EQ(connected.load(), g_closed.load() - closed_before);
    join_all();
    /* Every handle settled: none pending, and the ones of closed
     * connections counted as dropped (some may have gone out first). */
    for (int i = 0; i < 400 && srv.proc_stat("replies_pending") != 0; i++)
        usleep(5000);
    EXPECT_EQ(0u, srv.proc_stat("replies_pending"));
    EXPECT_EQ(conns / 2, answered.load());
    EXPECT_LE(srv.stat(nullptr, "replies_late_dropped") - late_before, (uint64_t)conns);
    EXPECT_GE(srv.proc_stat("replies_deferred"), (uint64_t)conns); /* the ones read: at least every answered pair */
    EXPECT_LE(srv.proc_stat("replies_deferred"), 2u * conns);
}

/* docs/module-guide.md's example is the fixture word for word, and it
 * works. */
TEST(AsyncGuide, TheExampleIsQuotedAndWorks)
{
    std::ifstream guide_in(std::string(GR_TEST_SOURCE_DIR) + "/docs/module-guide.md");
    std::ifstream ex_in(std::string(GR_TEST_SOURCE_DIR) + "/tests/fixtures/fixture_guide_async.c");
    std::stringstream guide, ex;
    guide << guide_in.rdbuf();
    ex << ex_in.rdbuf();
    ASSERT_GT(ex.str().size(), 500u);
    EXPECT_NE(std::string::npos, guide.str().find("```c\n" + ex.str() + "```\n")) << "the guide's example differs";

    std::string ini = std::string("[server]\nlog.level = error\nmodule = ") + GR_TEST_FIXTURE_DIR +
                      "/libgr_fixture_guide_async" + GR_MODULE_SUFFIX +
                      "\n[listen]\n0 = tcp://127.0.0.1:0\n1 = http://127.0.0.1:0\n";
    gr_server_t *s = nullptr;
    char err[1024] = "";
    ASSERT_EQ(GR_OK, gr_server_create_from_string(&s, ini.c_str(), "guide.ini", nullptr, 0, nullptr, err, sizeof err))
        << err;
    ASSERT_EQ(GR_OK, gr_server_start(s, err, sizeof err)) << err;
    auto t0 = std::chrono::steady_clock::now();
    std::string r = gr_test_roundtrip(gr_server_listen_port(s, 1), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 512);
    EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 0.1);
    EXPECT_NE(std::string::npos, r.find("HTTP/1.1 200 OK")) << r;
    EXPECT_NE(std::string::npos, r.find("\r\n\r\nHello, later!\n")) << r;
    EXPECT_EQ("one\ntwo\n", gr_test_roundtrip(gr_server_listen_port(s, 0), "one\ntwo\n", 8));
    gr_server_destroy(s);
}

INSTANTIATE_TEST_SUITE_P(AllModes, Async,
                         ::testing::Values(Mode{false, false}, Mode{false, true}, Mode{true, false}, Mode{true, true}),
                         [](const ::testing::TestParamInfo<Mode> &p) {
                             return std::string(p.param.worker ? "Worker" : "Inline") +
                                    (p.param.tcp_out ? "TcpOut" : "Direct");
                         });

} // namespace
