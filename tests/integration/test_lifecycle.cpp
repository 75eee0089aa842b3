/* test_lifecycle.cpp - grocketd's life after start-up, with the
 * fixture_life module (a route that sleeps, log lines on demand):
 *  - graceful stop (SIGTERM, SIGINT): requests in flight, HTTP and the
 *    module's own protocol, get complete replies and then the connection
 *    closes; idle connections close at once; new connections are refused;
 *    a grace period that runs out, a second signal and stop.grace_period = 0
 *    end it anyway;
 *  - SIGUSR1 reopens the log file (logrotate) while lines are being logged;
 *  - SIGHUP re-reads the configuration: reloadable keys apply, others are
 *    logged as needing a restart, a broken file changes nothing;
 *  - a module whose init or thread_init fails stops start-up with exit 1.
 * Every stop checks the books (accepted = closed, packages = processed +
 * dropped). */
#include "gr_http_test.h"

#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <sstream>

namespace {

const char kLife[] = "gr_fixture_life";

/* Wait until the log holds needle at least count times. */
bool wait_log(const GrocketdProcess &srv, const std::string &needle, int timeout_ms = 20000, size_t count = 1)
{
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (count_of(srv.log(), needle) >= count)
            return true;
        sleep_ms(10);
    }
    return false;
}

bool contains_all(const std::string &log, std::initializer_list<const char *> needles)
{
    for (const char *n : needles)
        if (log.find(n) == std::string::npos)
            return false;
    return true;
}

/* A connection speaking fixture_life's line protocol. */
class LineConn {
public:
    explicit LineConn(int port) : fd_(gr_test_connect("127.0.0.1", port)) {}
    ~LineConn()
    {
        if (fd_ >= 0)
            close(fd_);
    }
    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    bool send(const std::string &s) { return gr_test_send(fd_, s); }
    /* One line, '\n' included ("" on EOF or time-out). */
    std::string line()
    {
        std::string out;
        char ch;
        while (recv(fd_, &ch, 1, 0) == 1) {
            out += ch;
            if (ch == '\n')
                return out;
        }
        return out;
    }
    std::string ask(const std::string &s) { return send(s) ? line() : "<send failed>"; }
    bool eof() { return gr_test_wait_eof(fd_); }

private:
    int fd_;
};

/* Nothing has arrived on fd yet (the reply is still being made). */
bool nothing_yet(int fd)
{
    char ch;
    return recv(fd, &ch, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

bool connect_refused(int port)
{
    int fd = gr_test_connect("127.0.0.1", port);
    if (fd >= 0)
        close(fd);
    return fd < 0;
}

/* Stop already asked: wait for the exit and check the books. */
void expect_clean_exit(GrocketdProcess &srv, int sig)
{
    ASSERT_EQ(0, srv.stop(sig)) << srv.log();
    std::string log = srv.log();
    long long accepted = gr_test_total(log, "accepted");
    EXPECT_EQ(accepted, gr_test_total(log, "closed")) << log;
    EXPECT_EQ(gr_test_total(log, "packages"), gr_test_total(log, "processed") + gr_test_total(log, "dropped"))
        << log;
}

class Drain : public ::testing::TestWithParam<HttpMode> {};

/* Three threads of each kind: connections are pinned round robin, so the
 * first three a test opens have threads of their own, and one sleeping in
 * the module does not hold up the others. */
std::string life_mode_keys(const HttpMode &m)
{
    return std::string("worker.disabled = ") + (m.worker_disabled ? "true" : "false") +
           "\ntcp.out.disabled = " + (m.tcp_out_disabled ? "true" : "false") +
           "\ntcp.in.thread_count = 3\nworker.thread_count = 3\ntcp.out.thread_count = 3\n";
}

#define START_LIFE(srv, keys)                                                        \
    GrocketdProcess srv(gr_test_fixture(kLife), life_mode_keys(GetParam()) + keys); \
    ASSERT_TRUE(srv.start()) << srv.log()

/* SIGTERM while an HTTP request is being processed: its reply arrives whole,
 * says Connection: close, and the connection closes; idle connections (an
 * HTTP keep-alive one, one of the module's protocol) close at once, before
 * that reply; new connections are refused; the exit is clean and well
 * within the grace period. */
void in_flight_request_finishes(GrocketdProcess &srv, int sig)
{
    RawHttp slow(srv.http_port());
    ASSERT_TRUE(slow.ok());
    ASSERT_TRUE(slow.send(get_req("/sleep?ms=3000")));
    ASSERT_TRUE(wait_log(srv, "fixture_life: sleeping 3000 ms")) << srv.log();
    RawHttp idle_http(srv.http_port());
    LineConn idle_tcp(srv.port());
    ASSERT_TRUE(idle_http.send(get_req("/")));
    ASSERT_EQ("hello\n", idle_http.read_response().body);
    ASSERT_EQ("echo\n", idle_tcp.ask("echo\n"));

    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(0, srv.signal(sig));
    ASSERT_TRUE(wait_log(srv, "stopping gracefully")) << srv.log();
    EXPECT_TRUE(connect_refused(srv.http_port()));
    EXPECT_TRUE(connect_refused(srv.port()));
    EXPECT_TRUE(idle_http.eof_next());
    EXPECT_TRUE(idle_tcp.eof());
    EXPECT_TRUE(nothing_yet(slow.fd())) << "idle connections were closed only after the busy one finished";

    HttpResponse r = slow.read_response();
    ASSERT_TRUE(r.complete) << r.head << srv.log();
    EXPECT_EQ(200, r.status);
    EXPECT_EQ("slept 3000\n", r.body);
    EXPECT_EQ("close", header_of(r.head, "Connection")) << r.head;
    EXPECT_TRUE(slow.eof_next());
    expect_clean_exit(srv, 0);
    EXPECT_LT(seconds_since(t0), 15.0) << "the grace period is 30 s; the work 3 s";
    EXPECT_TRUE(contains_all(srv.log(), {"every connection finished"})) << srv.log();
}

TEST_P(Drain, SigtermLetsAnHttpRequestInFlightFinish)
{
    START_LIFE(srv, "stop.grace_period = 30\n");
    in_flight_request_finishes(srv, SIGTERM);
}

TEST_P(Drain, SigintLetsAnHttpRequestInFlightFinish)
{
    START_LIFE(srv, "stop.grace_period = 30\n");
    in_flight_request_finishes(srv, SIGINT);
}

/* A request whose body is still arriving when the stop begins is read to
 * its end and answered. So is a package of the module's protocol, and one
 * that is being processed. */
TEST_P(Drain, PartlyReceivedRequestsAreReadAndAnswered)
{
    START_LIFE(srv, "stop.grace_period = 30\n");
    RawHttp post(srv.http_port());
    LineConn partial(srv.port());
    LineConn busy(srv.port());
    ASSERT_TRUE(post.ok() && partial.ok() && busy.ok());
    ASSERT_EQ("warm\n", partial.ask("warm\n")); /* accepted and served: not in the backlog */
    ASSERT_TRUE(post.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123"));
    ASSERT_TRUE(partial.send("abc"));
    ASSERT_TRUE(busy.send("sleep 1500\n"));
    ASSERT_TRUE(wait_log(srv, "fixture_life: sleeping 1500 ms")) << srv.log();
    sleep_ms(200); /* the partial bytes are read */

    ASSERT_EQ(0, srv.signal(SIGTERM));
    ASSERT_TRUE(wait_log(srv, "stopping gracefully")) << srv.log();
    sleep_ms(300);
    ASSERT_TRUE(post.send("456789"));
    ASSERT_TRUE(partial.send("def\n"));
    HttpResponse r = post.read_response();
    ASSERT_TRUE(r.complete) << r.head << srv.log();
    EXPECT_EQ("0123456789", r.body);
    EXPECT_EQ("close", header_of(r.head, "Connection")) << r.head;
    EXPECT_EQ("abcdef\n", partial.line());
    EXPECT_EQ("slept 1500\n", busy.line());
    EXPECT_TRUE(post.eof_next());
    EXPECT_TRUE(partial.eof());
    EXPECT_TRUE(busy.eof());
    expect_clean_exit(srv, 0);
}

/* A connection that never becomes idle (a package that never completes)
 * holds the stop no longer than the grace period. */
TEST_P(Drain, GracePeriodOverStopsAnyway)
{
    START_LIFE(srv, "stop.grace_period = 1\n");
    LineConn stuck(srv.port());
    ASSERT_EQ("warm\n", stuck.ask("warm\n"));
    ASSERT_TRUE(stuck.send("never ends"));
    sleep_ms(100);
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(0, srv.signal(SIGTERM));
    EXPECT_TRUE(stuck.eof());
    expect_clean_exit(srv, 0);
    double took = seconds_since(t0);
    EXPECT_GE(took, 0.9);
    EXPECT_LT(took, 6.0) << "grace period 1 s";
    EXPECT_TRUE(contains_all(srv.log(), {"grace period of 1 s over: closing 1 busy connection"})) << srv.log();
}

INSTANTIATE_TEST_SUITE_P(AllModes, Drain, GR_HTTP_ALL_MODES);

/* A second signal during the drain stops at once. */
TEST(Stop, SecondSignalStopsAtOnce)
{
    GrocketdProcess srv(gr_test_fixture(kLife), "stop.grace_period = 300\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    LineConn stuck(srv.port());
    ASSERT_EQ("warm\n", stuck.ask("warm\n"));
    ASSERT_TRUE(stuck.send("never ends"));
    sleep_ms(100);
    ASSERT_EQ(0, srv.signal(SIGTERM));
    ASSERT_TRUE(wait_log(srv, "stopping gracefully")) << srv.log();
    auto t0 = std::chrono::steady_clock::now();
    expect_clean_exit(srv, SIGINT);
    EXPECT_LT(seconds_since(t0), 10.0) << "the grace period is 300 s";
    EXPECT_TRUE(contains_all(srv.log(), {"again: stopping at once"})) << srv.log();
    EXPECT_TRUE(stuck.eof());
}

/* stop.grace_period = 0: the stop does not wait for anything. */
TEST(Stop, GracePeriodZeroStopsAtOnce)
{
    GrocketdProcess srv(gr_test_fixture(kLife), "stop.grace_period = 0\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    LineConn stuck(srv.port());
    ASSERT_EQ("warm\n", stuck.ask("warm\n"));
    ASSERT_TRUE(stuck.send("never ends"));
    sleep_ms(100);
    auto t0 = std::chrono::steady_clock::now();
    expect_clean_exit(srv, SIGTERM);
    EXPECT_LT(seconds_since(t0), 10.0);
    EXPECT_EQ(std::string::npos, srv.log().find("stopping gracefully")) << srv.log();
    EXPECT_TRUE(stuck.eof());
}

/* ------------------------------------------------------------ SIGUSR1 */

std::string slurp(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/* logrotate: the file is renamed, SIGUSR1 makes grocketd create and use a
 * new one. Lines logged by other threads meanwhile all land, whole, in one
 * of the files. */
TEST(Signals, Sigusr1ReopensTheLogFile)
{
    TempDir tmp;
    std::string log_file = tmp.write("g.log", "");
    GrocketdProcess srv(gr_test_fixture(kLife), "log.file = " + log_file + "\n");
    srv.set_file_log(log_file);
    ASSERT_TRUE(srv.start()) << srv.log();
    LineConn c(srv.port());
    ASSERT_EQ("ok\n", c.ask("info before rotation\n"));

    /* A client makes the server log while the file rotates three times. */
    const int kLines = 300;
    std::atomic<int> answered{0};
    std::thread logger([&] {
        LineConn l(srv.port());
        for (int i = 0; i < kLines && l.ask("info line " + std::to_string(i) + " end\n") == "ok\n"; i++)
            answered++;
    });
    std::vector<std::string> rotated;
    for (int r = 1; r <= 3; r++) {
        while (answered.load() < r * kLines / 4)
            sleep_ms(1);
        std::string old = log_file + "." + std::to_string(r);
        ASSERT_EQ(0, rename(log_file.c_str(), old.c_str()));
        rotated.push_back(old);
        ASSERT_EQ(0, srv.signal(SIGUSR1));
        for (int i = 0; i < 1000 && access(log_file.c_str(), F_OK) != 0; i++)
            sleep_ms(10);
        ASSERT_EQ(0, access(log_file.c_str(), F_OK)) << "no new log file after SIGUSR1";
    }
    logger.join();
    ASSERT_EQ(kLines, answered.load());
    ASSERT_EQ("ok\n", c.ask("info after rotation\n"));

    std::string all = slurp(log_file);
    for (const auto &f : rotated)
        all += slurp(f);
    for (int i = 0; i < kLines; i++)
        EXPECT_EQ(1u, count_of(all, "fixture_life: line " + std::to_string(i) + " end\n")) << i;
    EXPECT_NE(std::string::npos, slurp(rotated[0]).find("fixture_life: before rotation")) << slurp(rotated[0]);
    EXPECT_NE(std::string::npos, slurp(log_file).find("log reopened: " + gr_test_server_path(log_file))) << slurp(log_file);
    EXPECT_NE(std::string::npos, slurp(log_file).find("fixture_life: after rotation")) << slurp(log_file);
    /* Every line is whole: a time stamp, a level, a message. */
    std::istringstream lines(all);
    std::string line;
    while (std::getline(lines, line))
        EXPECT_TRUE(line.size() > 26 && line[4] == '-' && line[23] == ' ' && line[24] == '[') << line;
    expect_clean_exit(srv, SIGTERM);
    for (const auto &f : rotated)
        unlink(f.c_str());
}

/* ------------------------------------------------------------ SIGHUP */

std::string post_echo(int port, size_t n, int *status)
{
    RawHttp c(port);
    std::string body = body_of(n);
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" + body);
    HttpResponse r = c.read_response();
    *status = r.status;
    return r.body;
}

const char kSighupBase[] = "http.max_body_size = 1000\n";

/* SIGHUP applies log.level and an HTTP limit at once, and names a key that
 * needs a restart (and a changed module section). */
TEST(Signals, SighupAppliesReloadableKeys)
{
    /* tcp.in written: its default, auto, may already be 2 on this machine. */
    GrocketdProcess srv(gr_test_fixture(kLife), std::string(kSighupBase) + "log.level = info\ntcp.in.thread_count = 1\n",
                        "[fixture]\nx = 1\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    LineConn c(srv.port());
    ASSERT_EQ("ok\n", c.ask("debug mark-1\n"));
    ASSERT_EQ("ok\n", c.ask("info sync-1\n"));
    ASSERT_TRUE(wait_log(srv, "fixture_life: sync-1")) << srv.log();
    EXPECT_EQ(std::string::npos, srv.log().find("mark-1")) << "debug logged at level info";
    int status = 0;
    EXPECT_EQ(body_of(100), post_echo(srv.http_port(), 100, &status));
    EXPECT_EQ(200, status);

    srv.rewrite_config("http.max_body_size = 50\nlog.level = debug\ntcp.in.thread_count = 2\n", "[fixture]\nx = 2\n");
    ASSERT_EQ(0, srv.signal(SIGHUP));
    ASSERT_TRUE(wait_log(srv, "change(s) need a restart")) << srv.log();
    std::string log = srv.log();
    EXPECT_TRUE(contains_all(log, {"log.level: info -> debug: applied", "http.max_body_size: 1000 -> 50: applied",
                                   "tcp.in.thread_count: 1 -> 2: needs a restart", "[fixture] changed",
                                   "2 key(s) applied, 2 change(s) need a restart"}))
        << log;
    ASSERT_EQ("ok\n", c.ask("debug mark-2\n"));
    EXPECT_TRUE(wait_log(srv, "fixture_life: mark-2")) << srv.log();
    post_echo(srv.http_port(), 100, &status);
    EXPECT_EQ(413, status);
    EXPECT_EQ(body_of(50), post_echo(srv.http_port(), 50, &status));
    EXPECT_EQ(200, status);

    srv.rewrite_config("http.max_body_size = 50\nlog.level = info\ntcp.in.thread_count = 2\n", "[fixture]\nx = 2\n");
    ASSERT_EQ(0, srv.signal(SIGHUP));
    ASSERT_TRUE(wait_log(srv, "change(s) need a restart", 20000, 2)) << srv.log();
    ASSERT_EQ("ok\n", c.ask("debug mark-3\n"));
    ASSERT_EQ("ok\n", c.ask("info sync-3\n"));
    ASSERT_TRUE(wait_log(srv, "fixture_life: sync-3")) << srv.log();
    EXPECT_EQ(std::string::npos, srv.log().find("mark-3")) << "debug logged after going back to info";
    expect_clean_exit(srv, SIGTERM);
}

/* A file with an error: named with file:line:key, nothing changes, the
 * server keeps serving. */
TEST(Signals, SighupWithABrokenFileKeepsTheRunningSettings)
{
    GrocketdProcess srv(gr_test_fixture(kLife), kSighupBase);
    ASSERT_TRUE(srv.start()) << srv.log();
    /* Lines: 1 [server], 2 module, 3 pid_file, 4 and 5 these. */
    srv.rewrite_config("http.max_body_size = 50\nbogus.key = 1\n");
    std::string named = srv.config_path() + ":5: bogus.key: unknown key";
    if (gr_test_wine()) {
        /* `grocketd -s reload` reads the file before it signals (as nginx
         * -s does): the error is named there and nothing reaches the
         * server. */
        gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-s", "reload", "-c", srv.config_path()}, 30);
        EXPECT_EQ(1, r.status) << r.output;
        EXPECT_NE(std::string::npos, r.output.find(named)) << r.output;
        srv.rewrite_config(kSighupBase); /* and so would `-s stop` */
    } else {
        ASSERT_EQ(0, srv.signal(SIGHUP));
        ASSERT_TRUE(wait_log(srv, "keeping the running configuration")) << srv.log();
        EXPECT_NE(std::string::npos, srv.log().find(named)) << srv.log();
    }
    EXPECT_EQ(std::string::npos, srv.log().find("applied")) << srv.log();
    ASSERT_TRUE(srv.alive());
    int status = 0;
    EXPECT_EQ(body_of(100), post_echo(srv.http_port(), 100, &status));
    EXPECT_EQ(200, status);
    expect_clean_exit(srv, SIGTERM);
}

/* log.file changed by a reload: the next lines go to the new file. */
TEST(Signals, SighupMovesTheLogToANewFile)
{
    TempDir tmp;
    std::string log_file = tmp.write("moved.log", "");
    unlink(log_file.c_str()); /* created by the server */
    GrocketdProcess srv(gr_test_fixture(kLife), "log.level = info\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    srv.set_file_log(log_file);
    srv.rewrite_config("log.level = info\nlog.file = " + log_file + "\n");
    ASSERT_EQ(0, srv.signal(SIGHUP));
    ASSERT_TRUE(wait_log(srv, "log.file: '' -> '" + gr_test_server_path(log_file) + "': applied")) << srv.log();
    LineConn c(srv.port());
    ASSERT_EQ("ok\n", c.ask("info to the new file\n"));
    ASSERT_TRUE(wait_log(srv, "fixture_life: to the new file")) << srv.log();
    EXPECT_NE(std::string::npos, slurp(log_file).find("fixture_life: to the new file")) << slurp(log_file);
    expect_clean_exit(srv, SIGTERM);
    EXPECT_NE(std::string::npos, slurp(log_file).find("stopped")) << slurp(log_file);
}

/* ------------------------------------------------------------ start-up failures */

TEST(Startup, ModuleInitFailureNamesTheModuleAndExitsWithOne)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), "", "[fixture]\nfail_init = true\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-c", srv.config_path()}, 30);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("module fixture_c (" + gr_test_fixture("gr_fixture_c") + "): init failed"))
        << r.output;
}

class ThreadInitFailure : public ::testing::TestWithParam<HttpMode> {};

/* thread_init failing on one proc thread (the second of two) stops
 * start-up: exit 1, the module and the thread named, nothing left running. */
TEST_P(ThreadInitFailure, ExitsWithOne)
{
    GrocketdProcess srv(gr_test_fixture(kLife), http_mode_keys(GetParam()), "[fixture]\nfail_thread_init = 1\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-c", srv.config_path()}, 30);
    EXPECT_EQ(1, r.status) << r.output;
    std::string thread = GetParam().worker_disabled ? "tcp_in[1]" : "worker[1]";
    EXPECT_NE(std::string::npos, r.output.find("module fixture_life: thread_init(1) failed on " + thread)) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("[ERROR] module fixture_life: thread_init failed")) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Modes, ThreadInitFailure, ::testing::Values(HttpMode{true, true}, HttpMode{false, false}),
                         [](const ::testing::TestParamInfo<HttpMode> &info) { return http_mode_name(info.param); });

} // namespace
