/* test_platform.cpp - the platform layer: address parsing and formatting,
 * TCP over IPv4 and IPv6 loopback, SIGPIPE-free send, threads with
 * affinity, the log, and gr_strerror. */
#include <gtest/gtest.h>

#include <errno.h>
#ifdef _WIN32
#include <winsock2.h> /* WSAPoll */
#include <windows.h>
#else
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gr_clock.h"
#include "gr_error.h"
#include "gr_file.h"
#include "gr_log.h"
#include "gr_memory.h"
#include "gr_socket.h"
#include "gr_str.h"
#include "gr_thread.h"

namespace {

std::string fmt(const gr_addr_t &a)
{
    char buf[128];
    return gr_addr_format(&a, buf, sizeof(buf));
}

/* ---- addresses ---- */

TEST(Addr, ParseFormatRoundTrips)
{
    const char *good[] = {"1.2.3.4:80", "0.0.0.0:0", "127.0.0.1:65535",
                          "255.255.255.255:1", "[::1]:80", "[::]:0",
                          "[2001:db8::1]:8080", "[::ffff:1.2.3.4]:443"};
    for (const char *s : good) {
        gr_addr_t a;
        ASSERT_EQ(0, gr_addr_parse(&a, s)) << s;
        EXPECT_EQ(s, fmt(a)) << s;
        gr_addr_t b;
        ASSERT_EQ(0, gr_addr_parse(&b, fmt(a).c_str())) << s;
        EXPECT_EQ(a.len, b.len) << s;
        EXPECT_EQ(0, memcmp(&a.ss, &b.ss, a.len)) << s;
    }
}

TEST(Addr, FamiliesAndPorts)
{
    gr_addr_t a;
    ASSERT_EQ(0, gr_addr_parse(&a, "1.2.3.4:80"));
    EXPECT_FALSE(gr_addr_is_v6(&a));
    EXPECT_EQ(80, gr_addr_port(&a));
    ASSERT_EQ(0, gr_addr_parse(&a, "[::1]:8080"));
    EXPECT_TRUE(gr_addr_is_v6(&a));
    EXPECT_EQ(8080, gr_addr_port(&a));
    ASSERT_EQ(0, gr_addr_parse(&a, "0.0.0.0:0"));
    EXPECT_EQ(0, gr_addr_port(&a));
}

TEST(Addr, ResolvesLocalhost)
{
    gr_addr_t a;
    ASSERT_EQ(0, gr_addr_parse(&a, "localhost:80"));
    EXPECT_TRUE(fmt(a) == "127.0.0.1:80" || fmt(a) == "[::1]:80") << fmt(a);
    EXPECT_EQ(80, gr_addr_port(&a));
    ASSERT_EQ(0, gr_addr_parse(&a, "LocalHost:0"));
}

TEST(Addr, RejectsBadInput)
{
    /* None of these may reach DNS: they fail fast and the same everywhere. */
    const char *bad[] = {"", ":", ":80", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536",
                         "1.2.3.4:99999999999", "1.2.3.4:-1", "1.2.3.4:+80",
                         "1.2.3.4: 80", "1.2.3.4:8a", "1.2.3.4:80x", "1.2.3.400:80",
                         "1.2.3:80", "::1:80", "[::1]80", "[::1", "[::1]:", "[]:80",
                         "[1.2.3.4]:80", "[zz::1]:80", "[::1]:65536", "a b:80",
                         "host/x:80", "garbage"};
    for (const char *s : bad) {
        gr_addr_t a;
        EXPECT_EQ(GR_EINVAL, gr_addr_parse(&a, s)) << "'" << s << "'";
    }
    gr_addr_t a;
    EXPECT_EQ(GR_EINVAL, gr_addr_parse(&a, nullptr));
    EXPECT_EQ(GR_EINVAL, gr_addr_parse(nullptr, "1.2.3.4:80"));
}

TEST(Addr, FormatIsSafe)
{
    gr_addr_t a;
    ASSERT_EQ(0, gr_addr_parse(&a, "255.255.255.255:65535"));
    char small[8];
    EXPECT_STREQ("255.255", gr_addr_format(&a, small, sizeof(small))) << "truncated, terminated";
    gr_addr_t none;
    memset(&none, 0, sizeof(none));
    char buf[32];
    EXPECT_STREQ("?", gr_addr_format(&none, buf, sizeof(buf)));
    EXPECT_EQ(-1, gr_addr_port(&none));
}

/* ---- TCP ---- */

/* A connected pair: server end non-blocking (accepted), client blocking. */
struct Pair {
    gr_socket_t listener = GR_INVALID_SOCKET;
    gr_socket_t client = GR_INVALID_SOCKET;
    gr_socket_t server = GR_INVALID_SOCKET;
    gr_addr_t bound;
    ~Pair()
    {
        gr_socket_close(server);
        gr_socket_close(client);
        gr_socket_close(listener);
    }
    /* 0, or the error of the step that failed. */
    int open(const char *where)
    {
        gr_addr_t addr;
        int rc = gr_addr_parse(&addr, where);
        if (rc != 0)
            return rc;
        if ((rc = gr_tcp_listen(&addr, 16, &bound, &listener)) < 0)
            return rc;
        if ((rc = gr_tcp_connect(&bound, &client)) < 0)
            return rc;
        for (int i = 0; i < 200; i++) {
            rc = gr_tcp_accept(listener, &server, nullptr);
            if (rc != -EAGAIN)
                break;
            usleep(5000);
        }
        return rc;
    }
};

/* Read exactly len bytes from a possibly non-blocking socket (5 s cap). */
long recv_exact(gr_socket_t s, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
#ifdef _WIN32
        WSAPOLLFD pfd = {(SOCKET)s.h, POLLIN, 0};
        if (WSAPoll(&pfd, 1, 5000) <= 0)
            return -ETIMEDOUT;
#else
        struct pollfd pfd = {(int)s.h, POLLIN, 0};
        if (poll(&pfd, 1, 5000) <= 0)
            return -ETIMEDOUT;
#endif
        long n = gr_socket_recv(s, buf + got, len - got);
        if (n == -EAGAIN)
            continue;
        if (n <= 0)
            return n;
        got += (size_t)n;
    }
    return (long)got;
}

TEST(Tcp, ListenOnPortZeroGetsARealPort)
{
    gr_addr_t addr, bound;
    ASSERT_EQ(0, gr_addr_parse(&addr, "127.0.0.1:0"));
    gr_socket_t s, s2 = GR_INVALID_SOCKET, a = GR_INVALID_SOCKET;
    int rc = gr_tcp_listen(&addr, 16, &bound, &s);
    ASSERT_EQ(0, rc) << gr_strerror(rc);
    ASSERT_TRUE(gr_socket_valid(s));
    EXPECT_GT(gr_addr_port(&bound), 0);
    EXPECT_EQ(0u, fmt(bound).rfind("127.0.0.1:", 0)) << fmt(bound);
    /* The second listener on that very port fails with a negative errno,
     * and leaves its out-parameter alone. */
    EXPECT_EQ(-EADDRINUSE, gr_tcp_listen(&bound, 16, nullptr, &s2));
    EXPECT_FALSE(gr_socket_valid(s2));
    /* Nobody waiting: accept says -EAGAIN, it does not block. */
    EXPECT_EQ(-EAGAIN, gr_tcp_accept(s, &a, nullptr));
    EXPECT_FALSE(gr_socket_valid(a));
    gr_socket_close(s);
}

TEST(Tcp, ConnectToClosedPortFails)
{
    gr_addr_t addr, bound;
    ASSERT_EQ(0, gr_addr_parse(&addr, "127.0.0.1:0"));
    gr_socket_t s, c = GR_INVALID_SOCKET;
    ASSERT_EQ(0, gr_tcp_listen(&addr, 16, &bound, &s));
    gr_socket_close(s); /* the port is now free, nobody listens */
    EXPECT_EQ(-ECONNREFUSED, gr_tcp_connect(&bound, &c));
    EXPECT_FALSE(gr_socket_valid(c));
}

TEST(Tcp, SendRecvRoundTrip)
{
    Pair p;
    ASSERT_EQ(0, p.open("127.0.0.1:0"));
    char buf[64];
    ASSERT_EQ(11, gr_socket_send(p.client, "ping server", 11));
    ASSERT_EQ(11, recv_exact(p.server, buf, 11));
    EXPECT_EQ(0, memcmp(buf, "ping server", 11));
    ASSERT_EQ(4, gr_socket_send(p.server, "pong", 4));
    ASSERT_EQ(4, recv_exact(p.client, buf, 4));
    EXPECT_EQ(0, memcmp(buf, "pong", 4));
    EXPECT_EQ(-EAGAIN, gr_socket_recv(p.server, buf, sizeof(buf))) << "non-blocking";
}

TEST(Tcp, AcceptGivesPeerAddress)
{
    gr_addr_t addr, bound, peer;
    ASSERT_EQ(0, gr_addr_parse(&addr, "127.0.0.1:0"));
    gr_socket_t l, c, s;
    ASSERT_EQ(0, gr_tcp_listen(&addr, 16, &bound, &l));
    ASSERT_EQ(0, gr_tcp_connect(&bound, &c));
    int rc = -EAGAIN;
    for (int i = 0; i < 200 && rc == -EAGAIN; i++) {
        rc = gr_tcp_accept(l, &s, &peer);
        if (rc == -EAGAIN)
            usleep(5000);
    }
    ASSERT_EQ(0, rc);
    EXPECT_EQ(0u, fmt(peer).rfind("127.0.0.1:", 0)) << fmt(peer);
    EXPECT_GT(gr_addr_port(&peer), 0);
    gr_socket_close(s);
    gr_socket_close(c);
    gr_socket_close(l);
}

TEST(Tcp, Ipv6LoopbackListenAndConnect)
{
    Pair p;
    int rc = p.open("[::1]:0");
    if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT || rc == -EPROTONOSUPPORT)
        GTEST_SKIP() << "no IPv6 loopback on this machine: " << gr_strerror(rc);
    ASSERT_EQ(0, rc) << gr_strerror(rc);
    EXPECT_EQ(0u, fmt(p.bound).rfind("[::1]:", 0)) << fmt(p.bound);
    char buf[8];
    ASSERT_EQ(3, gr_socket_send(p.client, "six", 3));
    ASSERT_EQ(3, recv_exact(p.server, buf, 3));
    EXPECT_EQ(0, memcmp(buf, "six", 3));
}

TEST(Tcp, RecvReturnsZeroOnPeerClose)
{
    Pair p;
    ASSERT_EQ(0, p.open("127.0.0.1:0"));
    gr_socket_close(p.client);
    p.client = GR_INVALID_SOCKET;
    char buf[8];
    EXPECT_EQ(0, recv_exact(p.server, buf, 1));
}

#ifdef _WIN32
/* No SIGPIPE on Windows: the send fails, with a reset or, once Winsock
 * has seen the reset, WSAECONNABORTED. */
TEST(Tcp, SendToClosedPeerFailsWithoutSigpipe)
{
    Pair p;
    ASSERT_EQ(0, p.open("127.0.0.1:0"));
    gr_socket_close(p.server);
    p.server = GR_INVALID_SOCKET;
    long rc = 0;
    for (int i = 0; i < 200 && rc >= 0; i++) {
        rc = gr_socket_send(p.client, "data", 4);
        if (rc >= 0)
            usleep(5000);
    }
    EXPECT_TRUE(rc == -EPIPE || rc == -ECONNRESET || rc == -ECONNABORTED) << rc << " " << gr_strerror((int)rc);
}
#else
std::atomic<int> g_sigpipes{0};
void on_sigpipe(int) { g_sigpipes.fetch_add(1); }

TEST(Tcp, SendToClosedPeerFailsWithoutSigpipe)
{
    /* Count SIGPIPEs instead of dying of one, so a regression is a clear
     * failure rather than a killed test binary. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigpipe;
    sigemptyset(&sa.sa_mask);
    ASSERT_EQ(0, sigaction(SIGPIPE, &sa, &old));
    g_sigpipes.store(0);

    Pair p;
    ASSERT_EQ(0, p.open("127.0.0.1:0"));
    gr_socket_close(p.server);
    p.server = GR_INVALID_SOCKET;
    /* The first send may still be accepted (the peer answers it with a
     * reset); a later one must fail. */
    long rc = 0;
    for (int i = 0; i < 200 && rc >= 0; i++) {
        rc = gr_socket_send(p.client, "data", 4);
        if (rc >= 0)
            usleep(5000);
    }
    EXPECT_TRUE(rc == -EPIPE || rc == -ECONNRESET) << rc << " " << gr_strerror((int)rc);
    EXPECT_EQ(0, g_sigpipes.load());
    sigaction(SIGPIPE, &old, nullptr);
}
#endif

TEST(Tcp, PeekTellsWaitingBytesFromEndOfStream)
{
    Pair p;
    ASSERT_EQ(0, p.open("127.0.0.1:0"));
    EXPECT_EQ(-EAGAIN, gr_socket_peek(p.server)) << "nothing yet";
    ASSERT_EQ(1, gr_socket_send(p.client, "x", 1));
    int r = -EAGAIN;
    for (int i = 0; i < 200 && r == -EAGAIN; i++) {
        r = gr_socket_peek(p.server);
        if (r == -EAGAIN)
            usleep(5000);
    }
    EXPECT_EQ(1, r);
    EXPECT_EQ(1, gr_socket_peek(p.server)) << "a peek takes nothing";
    char buf[4];
    ASSERT_EQ(1, recv_exact(p.server, buf, 1));
    gr_socket_close(p.client);
    p.client = GR_INVALID_SOCKET;
    for (int i = 0; i < 200 && (r = gr_socket_peek(p.server)) == -EAGAIN; i++)
        usleep(5000);
    EXPECT_EQ(0, r) << "end of stream";
}

TEST(Tcp, SocketOptions)
{
    Pair p;
    ASSERT_EQ(0, p.open("127.0.0.1:0"));
    EXPECT_EQ(0, gr_socket_set_nodelay(p.server, 0));
    EXPECT_EQ(0, gr_socket_set_nodelay(p.server, 1));
    EXPECT_EQ(0, gr_socket_set_nonblock(p.client, 1));
    char buf[4];
    EXPECT_EQ(-EAGAIN, gr_socket_recv(p.client, buf, sizeof(buf)));
    EXPECT_EQ(0, gr_socket_set_nonblock(p.client, 0));
    EXPECT_LT(gr_socket_set_nonblock(GR_INVALID_SOCKET, 1), 0);
    EXPECT_EQ(-EBADF, gr_socket_recv(GR_INVALID_SOCKET, buf, sizeof(buf)));
    gr_socket_close(GR_INVALID_SOCKET); /* no-op */
}

/* ---- threads ---- */

#ifdef _WIN32
/* What a thread sees of itself on Windows: its affinity (SetThreadAffinityMask
 * answers with the mask it replaces; given straight back), its description
 * (GetThreadDescription, where kernel32 has it) and its reserved stack. */
typedef uint64_t gr_test_mask_t;
static int mask_count(gr_test_mask_t m)
{
    int n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}
static bool mask_has(int cpu, gr_test_mask_t m) { return cpu >= 0 && (m >> cpu & 1); }
#define CPU_COUNT(m) mask_count(*(m))
#define CPU_ISSET(cpu, m) mask_has((cpu), *(m))

struct ThreadProbe {
    std::atomic<int> ran{0};
    gr_test_mask_t mask = 0;
    char name[16] = {0};
    size_t stack = 0;
};

typedef HRESULT(WINAPI *get_description_fn)(HANDLE, PWSTR *);

void *probe_main(void *arg)
{
    ThreadProbe *t = (ThreadProbe *)arg;
    DWORD_PTR proc = 0, sys = 0;
    GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys);
    DWORD_PTR old = SetThreadAffinityMask(GetCurrentThread(), proc);
    if (old != 0)
        SetThreadAffinityMask(GetCurrentThread(), old);
    t->mask = old;
    get_description_fn get = (get_description_fn)(void *)GetProcAddress(GetModuleHandleW(L"kernel32.dll"),
                                                                        "GetThreadDescription");
    PWSTR w = NULL;
    if (get && SUCCEEDED(get(GetCurrentThread(), &w)) && w) {
        WideCharToMultiByte(CP_UTF8, 0, w, -1, t->name, sizeof t->name, NULL, NULL);
        LocalFree(w);
    }
    ULONG_PTR low = 0, high = 0;
    GetCurrentThreadStackLimits(&low, &high);
    t->stack = (size_t)(high - low);
    t->ran.store(1);
    return nullptr;
}

int nth_allowed_cpu(int n)
{
    DWORD_PTR proc = 0, sys = 0;
    if (!GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys))
        return -1;
    for (int i = 0; i < (int)(8 * sizeof proc); i++)
        if ((proc >> i & 1) && n-- == 0)
            return i;
    return -1;
}
#else
struct ThreadProbe {
    std::atomic<int> ran{0};
    cpu_set_t mask;
    char name[16] = {0};
    size_t stack = 0;
};

void *probe_main(void *arg)
{
    ThreadProbe *t = (ThreadProbe *)arg;
    CPU_ZERO(&t->mask);
    pthread_getaffinity_np(pthread_self(), sizeof(t->mask), &t->mask);
    pthread_getname_np(pthread_self(), t->name, sizeof(t->name));
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstacksize(&attr, &t->stack);
        pthread_attr_destroy(&attr);
    }
    t->ran.store(1);
    return nullptr;
}

/* The n-th CPU the process may use. */
int nth_allowed_cpu(int n)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return -1;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &set) && n-- == 0)
            return i;
    return -1;
}
#endif

TEST(Thread, StackSizeAsAsked)
{
    /* 16 MiB: more than any system's default, so the size was applied. */
    for (size_t want : {(size_t)256 << 10, GR_THREAD_STACK_BYTES, (size_t)16 << 20}) {
        ThreadProbe probe;
        gr_thread_t t;
        memset(&t, 0, sizeof(t));
        ASSERT_EQ(0, gr_thread_start(&t, probe_main, &probe, -1, "gr-stack", want));
        gr_thread_join(&t);
        ASSERT_EQ(1, probe.ran.load());
        /* At least the room asked (a sanitizer's runtime adds its own). */
        EXPECT_GE(probe.stack, want);
    }
}

TEST(Thread, StartJoinUnpinned)
{
    ThreadProbe probe;
    gr_thread_t t;
    memset(&t, 0, sizeof(t));
    gr_thread_join(&t); /* never started: no-op */
    ASSERT_EQ(0, gr_thread_start(&t, probe_main, &probe, -1, "gr-plain", 0));
    EXPECT_EQ(1, t.started);
    gr_thread_join(&t);
    EXPECT_EQ(0, t.started);
    EXPECT_EQ(1, probe.ran.load());
    EXPECT_STREQ("gr-plain", probe.name);
    EXPECT_EQ(gr_cpu_count(), CPU_COUNT(&probe.mask));
}

TEST(Thread, StartWithAffinityPinsToOneAllowedCpu)
{
    int n = gr_cpu_count();
    ASSERT_GE(n, 1);
    /* cpu past the count wraps around the allowed set. */
    for (int cpu : {0, n - 1, n + 1, 1000}) {
        ThreadProbe probe;
        gr_thread_t t;
        memset(&t, 0, sizeof(t));
        ASSERT_EQ(0, gr_thread_start(&t, probe_main, &probe, cpu,
                                     "gr-a-very-long-thread-name", 0));
        gr_thread_join(&t);
        EXPECT_EQ(1, probe.ran.load()) << cpu;
        EXPECT_STREQ("gr-a-very-long-", probe.name) << "cut to 15 characters";
        EXPECT_EQ(1, CPU_COUNT(&probe.mask)) << "cpu " << cpu;
        EXPECT_TRUE(CPU_ISSET(nth_allowed_cpu(cpu % n), &probe.mask)) << "cpu " << cpu;
    }
}

TEST(Thread, CpuCount)
{
    EXPECT_GE(gr_cpu_count(), 1);
}

/* ---- log ---- */

std::string read_file(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_of(const std::string &s)
{
    std::vector<std::string> v;
    std::stringstream ss(s);
    std::string line;
    while (std::getline(ss, line))
        v.push_back(line);
    return v;
}

/* A temp file path; the file is removed when the test ends. */
struct TempLog {
    std::string path;
    TempLog()
    {
        /* A name of its own in the temporary directory; the log creates it. */
        static std::atomic<int> seq{0};
        path = (std::filesystem::temp_directory_path() /
                ("gr_test_log_" + std::to_string(getpid()) + "_" + std::to_string(seq.fetch_add(1))))
                   .string();
    }
    ~TempLog()
    {
        gr_log_close();
        gr_log_set_level(GR_LOG_INFO);
        unlink(path.c_str());
    }
};

const std::regex kLineRe(
    R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[(DEBUG|INFO|WARN|ERROR)\] .*$)");

TEST(Log, LevelParse)
{
    EXPECT_EQ(GR_LOG_DEBUG, gr_log_level_parse("debug"));
    EXPECT_EQ(GR_LOG_INFO, gr_log_level_parse("INFO"));
    EXPECT_EQ(GR_LOG_WARN, gr_log_level_parse("Warn"));
    EXPECT_EQ(GR_LOG_ERROR, gr_log_level_parse("error"));
    EXPECT_EQ(-1, gr_log_level_parse("verbose"));
    EXPECT_EQ(-1, gr_log_level_parse(""));
    EXPECT_EQ(-1, gr_log_level_parse("info "));
    EXPECT_EQ(-1, gr_log_level_parse(nullptr));
}

TEST(Log, DefaultLevelIsInfo)
{
    EXPECT_EQ(GR_LOG_INFO, gr_log_get_level());
}

TEST(Log, FiltersByLevelAndFormatsLines)
{
    TempLog tmp;
    ASSERT_EQ(0, gr_log_open(tmp.path.c_str()));
    gr_log_set_level(GR_LOG_WARN);
    EXPECT_EQ(GR_LOG_WARN, gr_log_get_level());
    GR_DEBUG("hidden debug");
    GR_INFO("hidden info");
    errno = ECONNREFUSED;
    GR_WARN("connect 127.0.0.1:1 failed: %s", strerror(ECONNREFUSED));
    EXPECT_EQ(ECONNREFUSED, errno) << "logging keeps errno";
    GR_ERROR("bind failed: %s\n", gr_strerror(-EADDRINUSE));
    gr_log_set_level(GR_LOG_DEBUG);
    GR_DEBUG("now debug shows");
    gr_log_close();

    std::string text = read_file(tmp.path);
    EXPECT_EQ(std::string::npos, text.find("hidden")) << text;
    EXPECT_NE(std::string::npos,
              text.find("[WARN] connect 127.0.0.1:1 failed: " + std::string(strerror(ECONNREFUSED))))
        << text;
    EXPECT_NE(std::string::npos, text.find("[ERROR] bind failed: " + std::string(gr_strerror(-EADDRINUSE))))
        << text;
    auto lines = lines_of(text);
    ASSERT_EQ(3u, lines.size()) << "a caller's trailing newline adds no empty line:\n" << text;
    for (const auto &l : lines)
        EXPECT_TRUE(std::regex_match(l, kLineRe)) << l;
    EXPECT_NE(std::string::npos, lines[2].find("[DEBUG] now debug shows"));
}

TEST(Log, OpenFailureReturnsErrno)
{
    EXPECT_EQ(-ENOENT, gr_log_open("/nonexistent-dir-for-grocket/x.log"));
    EXPECT_EQ(0, gr_log_open(nullptr)) << "back to stderr";
    EXPECT_EQ(0, gr_log_open(""));
}

TEST(Log, ReopenSwitchesFilesAndCloseReturnsToStderr)
{
    TempLog a, b;
    ASSERT_EQ(0, gr_log_open(a.path.c_str()));
    GR_INFO("first file");
    ASSERT_EQ(0, gr_log_open(b.path.c_str()));
    GR_INFO("second file");
    gr_log_close();
    GR_INFO("to stderr, in neither file");
    ASSERT_EQ(0, gr_log_open(a.path.c_str()));
    GR_INFO("first again, appended");
    gr_log_close();

    std::string ta = read_file(a.path), tb = read_file(b.path);
    EXPECT_NE(std::string::npos, ta.find("first file"));
    EXPECT_NE(std::string::npos, ta.find("first again, appended"));
    EXPECT_EQ(std::string::npos, ta.find("second file"));
    EXPECT_NE(std::string::npos, tb.find("second file"));
    EXPECT_EQ(std::string::npos, ta.find("in neither"));
    EXPECT_EQ(std::string::npos, tb.find("in neither"));
}

TEST(Log, LongMessageIsCutToOneLine)
{
    TempLog tmp;
    ASSERT_EQ(0, gr_log_open(tmp.path.c_str()));
    std::string big(10000, 'x');
    GR_INFO("%s", big.c_str());
    GR_INFO("after");
    gr_log_close();
    auto lines = lines_of(read_file(tmp.path));
    ASSERT_EQ(2u, lines.size());
    EXPECT_LT(lines[0].size(), 4096u);
    EXPECT_GT(lines[0].size(), 4000u);
    EXPECT_NE(std::string::npos, lines[1].find("[INFO] after"));
}

TEST(Log, LinesFromManyThreadsNeverInterleave)
{
    TempLog tmp;
    ASSERT_EQ(0, gr_log_open(tmp.path.c_str()));
    const int kThreads = 4, kLines = 300;
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; t++) {
        ts.emplace_back([t] {
            std::string pad(200 + 50 * t, (char)('a' + t));
            for (int i = 0; i < kLines; i++)
                GR_INFO("thread %d line %d %s end", t, i, pad.c_str());
        });
    }
    for (auto &t : ts)
        t.join();
    gr_log_close();
    auto lines = lines_of(read_file(tmp.path));
    ASSERT_EQ((size_t)(kThreads * kLines), lines.size());
    /* The regex sees only the head: libstdc++'s regex recurses per
     * character, and the padding is checked by hand instead. */
    const std::regex head(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[INFO\] thread (\d) line \d+ )");
    for (const auto &l : lines) {
        std::smatch m;
        ASSERT_TRUE(std::regex_search(l, m, head)) << l.substr(0, 120);
        int t = m[1].str()[0] - '0';
        std::string expect = std::string(200 + 50 * t, (char)('a' + t)) + " end";
        ASSERT_EQ(expect, l.substr((size_t)m.length(0))) << l.substr(0, 120);
    }
}

/* ---- errors ---- */

/* ---- clock, memory, files, strings ---- */

TEST(Clock, MonotonicMillisecondsAndSleep)
{
    int64_t a = gr_clock_ms();
    gr_sleep_ms(30);
    int64_t b = gr_clock_ms();
    EXPECT_GE(b - a, 20) << "coarse, but not by more than a tick";
    EXPECT_LT(b - a, 5000);
    gr_sleep_ms(0); /* a yield */
    gr_thread_yield();
    EXPECT_GE(gr_clock_ms(), b);
}

TEST(Clock, UtcSplitsKnownDates)
{
    gr_utc_t t;
    gr_utc_split(784111777, &t); /* RFC 9110's example: Sun, 06 Nov 1994 08:49:37 GMT */
    EXPECT_EQ(1994, t.year);
    EXPECT_EQ(11, t.month);
    EXPECT_EQ(6, t.day);
    EXPECT_EQ(8, t.hour);
    EXPECT_EQ(49, t.minute);
    EXPECT_EQ(37, t.second);
    EXPECT_EQ(0, t.weekday);
    gr_utc_split(951782400, &t); /* 2000-02-29, a leap day, a Tuesday */
    EXPECT_EQ(2000, t.year);
    EXPECT_EQ(2, t.month);
    EXPECT_EQ(29, t.day);
    EXPECT_EQ(2, t.weekday);
    gr_utc_now(&t);
    EXPECT_GE(t.year, 2024);
    EXPECT_LT(t.usec, 1000000);
    EXPECT_NEAR((double)t.unix_sec, (double)time(NULL), 2.0);
}

TEST(Memory, AlignedBlocks)
{
    for (size_t align : {(size_t)8, (size_t)64, (size_t)128, (size_t)4096}) {
        void *p = gr_aligned_alloc(align, 3 * align + 1);
        ASSERT_NE(nullptr, p) << align;
        EXPECT_EQ(0u, (uintptr_t)p % align) << align;
        memset(p, 0xab, 3 * align + 1);
        gr_aligned_free(p);
    }
}

TEST(File, AppendsAndKeepsWritingAfterARename)
{
    std::string path = (std::filesystem::temp_directory_path() / ("gr_test_file_" + std::to_string(getpid()))).string();
    std::string moved = path + ".1";
    unlink(path.c_str());
    gr_file_t f = GR_NO_FILE;
    ASSERT_EQ(0, gr_file_open_append(path.c_str(), &f));
    EXPECT_GT(f, 2) << "never a standard stream's slot";
    ASSERT_EQ(0, gr_file_write_all(f, "one\n", 4));
    ASSERT_EQ(0, rename(path.c_str(), moved.c_str())) << "rename while open (log rotation)";
    ASSERT_EQ(0, gr_file_write_all(f, "two\n", 4));
    gr_file_close(f);
    ASSERT_EQ(0, gr_file_open_append(path.c_str(), &f)) << "a reopen makes a new file";
    ASSERT_EQ(0, gr_file_write_all(f, "three\n", 6));
    gr_file_close(f);
    std::ifstream a(moved), b(path);
    std::string sa((std::istreambuf_iterator<char>(a)), std::istreambuf_iterator<char>());
    std::string sb((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
    EXPECT_EQ("one\ntwo\n", sa);
    EXPECT_EQ("three\n", sb);
    EXPECT_EQ(-ENOENT, gr_file_open_append("/nonexistent-dir/x.log", &f));
    unlink(path.c_str());
    unlink(moved.c_str());
}

TEST(Str, AsciiCaseInsensitiveCompare)
{
    EXPECT_EQ(0, gr_strcasecmp("Content-Length", "content-length"));
    EXPECT_NE(0, gr_strcasecmp("Content-Length", "content-lengths"));
    EXPECT_LT(gr_strcasecmp("abc", "ABD"), 0);
    EXPECT_GT(gr_strcasecmp("b", "A"), 0);
    EXPECT_EQ(0, gr_strncasecmp("HTTP://x", "http://", 7));
    EXPECT_NE(0, gr_strncasecmp("HTTPS://", "http://", 7));
    EXPECT_NE(0, gr_strcasecmp("\xc9", "\xe9")) << "ASCII only: no locale folding";
}

TEST(Error, Strerror)
{
    EXPECT_STREQ("success", gr_strerror(GR_OK));
    int codes[] = {GR_EINVAL, GR_ENOMEM, GR_EMODULE, GR_ECONFIG, GR_EFULL, GR_EREFUSED, GR_ESYS};
    for (int c : codes) {
        ASSERT_NE(nullptr, gr_strerror(c));
        EXPECT_STRNE("unknown error", gr_strerror(c)) << c;
        EXPECT_STRNE("", gr_strerror(c)) << c;
    }
    EXPECT_STREQ("invalid argument", gr_strerror(GR_EINVAL));
    EXPECT_STREQ(strerror(ENOENT), gr_strerror(-ENOENT));
    EXPECT_STREQ(strerror(EPIPE), gr_strerror(-EPIPE));
    EXPECT_NE(nullptr, gr_strerror(GR_E_BASE - 999));
    EXPECT_NE(nullptr, gr_strerror(12345));
}

}  // namespace
