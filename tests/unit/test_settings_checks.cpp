/* test_settings_checks.cpp - the checks of [server] and [listen] beyond one
 * value: thread counts of "auto" (and that auto follows the CPU affinity
 * mask), a port out of range named as such, two listens on one address,
 * the module key required, and a section that is a near miss of [server]. */
#include <gtest/gtest.h>

#include "gr_config.h"
#include "gr_config_near.h"
#include "gr_config_value.h"
#include "gr_error.h"
#include "gr_settings.h"
#include "gr_thread.h"

#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#undef near /* <windows.h> still defines the 16-bit pointer words */
#undef far
#else
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <string>

namespace {

const char *kListen = "[listen]\n0 = tcp://127.0.0.1:0\n";

/* Load text as "t.ini" and validate it; the error text, "" when good. */
std::string check(const std::string &text, gr_settings_t *s)
{
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    int rc = gr_config_load_string(&cfg, text.c_str(), "t.ini", err, sizeof err);
    if (rc == 0) {
        rc = gr_settings_from_config(s, cfg, err, sizeof err);
        gr_config_free(cfg);
    }
    EXPECT_EQ(rc == 0, err[0] == '\0') << err;
    return err;
}

std::string check(const std::string &text)
{
    gr_settings_t s;
    return check(text, &s);
}

/* gr_settings_require_module on text (validated first). */
std::string require_module(const std::string &text)
{
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    EXPECT_EQ(0, gr_config_load_string(&cfg, text.c_str(), "t.ini", err, sizeof err)) << err;
    gr_settings_t s;
    EXPECT_EQ(0, gr_settings_from_config(&s, cfg, err, sizeof err)) << err;
    int rc = gr_settings_require_module(&s, cfg, err, sizeof err);
    gr_config_free(cfg);
    return rc == 0 ? "" : err;
}

} // namespace

// ---------------------------------------------------------------- auto

TEST(ConfigAuto, ParseThreads)
{
    int64_t v = -1;
    EXPECT_EQ(0, gr_parse_threads("auto", 12, &v));
    EXPECT_EQ(12, v);
    EXPECT_EQ(0, gr_parse_threads("AUTO", 3, &v));
    EXPECT_EQ(3, v);
    EXPECT_EQ(0, gr_parse_threads("7", 3, &v));
    EXPECT_EQ(7, v);
    for (const char *bad : {"", "autox", "aut", " auto", "auto ", "1.5"})
        EXPECT_EQ(GR_EINVAL, gr_parse_threads(bad, 3, &v)) << bad;
    EXPECT_EQ(7, v);
}

/* Every thread count takes auto: the CPUs this process may run on, within
 * the key's range. */
TEST(ConfigAuto, EveryThreadCountTakesAuto)
{
    std::string text = "[server]\n";
    for (const char *k : {"tcp.accept.thread_count", "tcp.in.thread_count", "tcp.out.thread_count",
                          "worker.thread_count", "udp.in.thread_count", "udp.out.thread_count"})
        text += std::string(k) + " = Auto\n";
    gr_settings_t s;
    ASSERT_EQ("", check(text + kListen, &s));
    int cpus = gr_cpu_count();
    ASSERT_GE(cpus, 1);
    EXPECT_EQ(cpus < 64 ? cpus : 64, s.tcp_accept_threads);
    EXPECT_EQ(cpus < 256 ? cpus : 256, s.tcp_in_threads);
    EXPECT_EQ(cpus < 256 ? cpus : 256, s.tcp_out_threads);
    EXPECT_EQ(cpus < 256 ? cpus : 256, s.worker_threads);
    EXPECT_EQ(cpus < 256 ? cpus : 256, s.udp_in_threads);
    EXPECT_EQ(cpus < 256 ? cpus : 256, s.udp_out_threads);
    /* Other integers do not: auto is for thread counts only. */
    EXPECT_EQ("t.ini:2: queue.size: invalid value 'auto' (expected an integer 2..1048576)",
              check(std::string("[server]\nqueue.size = auto\n") + kListen));
    EXPECT_EQ("t.ini:2: worker.thread_count: invalid value 'many' (expected an integer 1..256 or auto)",
              check(std::string("[server]\nworker.thread_count = many\n") + kListen));
}

/* auto counts the CPUs of the affinity mask, not of the machine: run in a
 * child pinned to n CPUs (taskset -c does the same to grocketd). Windows
 * has no fork: the process itself is pinned to n CPUs for the check, then
 * given back its mask. */
#ifdef _WIN32
static int auto_in_child(int n)
{
    DWORD_PTR all = 0, sys = 0, some = 0;
    if (!GetProcessAffinityMask(GetCurrentProcess(), &all, &sys))
        return 200;
    for (int cpu = 0, left = n; cpu < (int)(8 * sizeof all) && left > 0; cpu++)
        if (all >> cpu & 1) {
            some |= (DWORD_PTR)1 << cpu;
            left--;
        }
    if (!SetProcessAffinityMask(GetCurrentProcess(), some))
        return 201;
    gr_settings_t s;
    std::string err = check(std::string("[server]\ntcp.in.thread_count = auto\n") + kListen, &s);
    SetProcessAffinityMask(GetCurrentProcess(), all);
    return err == "" ? s.tcp_in_threads : 202;
}
#else
static int auto_in_child(int n)
{
    pid_t pid = fork();
    if (pid == 0) {
        cpu_set_t all, some;
        CPU_ZERO(&some);
        if (sched_getaffinity(0, sizeof all, &all) != 0)
            _exit(200);
        for (int cpu = 0, left = n; cpu < CPU_SETSIZE && left > 0; cpu++)
            if (CPU_ISSET(cpu, &all)) {
                CPU_SET(cpu, &some);
                left--;
            }
        if (sched_setaffinity(0, sizeof some, &some) != 0)
            _exit(201);
        gr_settings_t s;
        if (check(std::string("[server]\ntcp.in.thread_count = auto\n") + kListen, &s) != "")
            _exit(202);
        _exit(s.tcp_in_threads);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#endif

TEST(ConfigAuto, FollowsTheAffinityMask)
{
    EXPECT_EQ(1, auto_in_child(1));
    if (gr_cpu_count() >= 2) {
        EXPECT_EQ(2, auto_in_child(2));
    }
}

// ---------------------------------------------------------------- [listen]

TEST(ConfigListenChecks, PortOutOfRangeIsNamed)
{
    EXPECT_EQ("t.ini:2: web: port 70000 out of range 0-65535 in 'tcp://0.0.0.0:70000'",
              check("[listen]\nweb = tcp://0.0.0.0:70000\n"));
    EXPECT_EQ("t.ini:2: web: port 123456 out of range 0-65535 in 'udp://[::1]:123456'",
              check("[listen]\nweb = udp://[::1]:123456\n"));
    EXPECT_EQ("t.ini:2: web: port 65536 out of range 0-65535 in 'http://localhost:65536'",
              check("[listen]\nweb = http://localhost:65536\n"));
    /* Leading zeros are still the same number. */
    EXPECT_EQ("", check("[listen]\nweb = tcp://127.0.0.1:08000\n"));
    EXPECT_EQ("t.ini:2: web: port 065536 out of range 0-65535 in 'tcp://0.0.0.0:065536'",
              check("[listen]\nweb = tcp://0.0.0.0:065536\n"));
    /* Not a port number at all: the general message. */
    EXPECT_EQ("t.ini:2: web: invalid listen address 'tcp://0.0.0.0:80x' (expected tcp://, http:// or udp://HOST:PORT)",
              check("[listen]\nweb = tcp://0.0.0.0:80x\n"));
    EXPECT_EQ("t.ini:2: web: invalid listen address 'ftp://0.0.0.0:70000' (expected tcp://, http:// or udp://HOST:PORT)",
              check("[listen]\nweb = ftp://0.0.0.0:70000\n"));
}

/* The listen grammar is gr_addr_parse's: what it takes, the config takes. */
TEST(ConfigListenChecks, HostIsResolvedAsAStartWould)
{
    gr_settings_t s;
    ASSERT_EQ("", check("[listen]\na = tcp://LocalHost:0\nb = udp://[::]:0\nc = HTTP://127.0.0.1:0\n", &s));
    EXPECT_STREQ("LocalHost:0", s.listens[0].host_port);
    EXPECT_EQ(1, s.listens[1].is_udp);
    EXPECT_EQ(1, s.listens[2].is_http);
    EXPECT_NE("", check("[listen]\na = tcp://no-such-host.invalid:80\n"));
}

TEST(ConfigListenChecks, SameAddressTwice)
{
    EXPECT_EQ("t.ini:3: b: 'tcp://127.0.0.1:8000' listens on the address of a (line 2, 'tcp://127.0.0.1:8000')",
              check("[listen]\na = tcp://127.0.0.1:8000\nb = tcp://127.0.0.1:8000\n"));
    /* http:// is TCP too; a wildcard overlaps every address of its family. */
    EXPECT_EQ("t.ini:4: c: 'http://127.0.0.1:8000' listens on the address of a (line 2, 'tcp://0.0.0.0:8000')",
              check("[listen]\na = tcp://0.0.0.0:8000\nb = udp://0.0.0.0:8000\nc = http://127.0.0.1:8000\n"));
    EXPECT_NE("", check("[listen]\na = udp://[::1]:53\nb = udp://[::]:53\n"));
    EXPECT_NE("", check("[listen]\na = tcp://[::1]:80\nb = tcp://[0:0::1]:80\n")); /* one address, two spellings */
    /* Different transports, families, addresses or ports; port 0 twice. */
    EXPECT_EQ("", check("[listen]\na = tcp://0.0.0.0:8000\nb = udp://0.0.0.0:8000\nc = tcp://[::]:8000\n"
                        "d = tcp://127.0.0.1:8001\ne = tcp://127.0.0.2:8001\nf = tcp://127.0.0.1:0\n"
                        "g = http://127.0.0.1:0\n"));
}

// ---------------------------------------------------------------- module key

TEST(ConfigModuleKey, RequiredWhenLoadingByPath)
{
    EXPECT_EQ("t.ini: module: missing in [server] (the path of the module to serve)",
              require_module(std::string("[server]\ncpu_affinity = false\n") + kListen));
    EXPECT_EQ("t.ini:2: module: empty (expected the path of the module to serve)",
              require_module(std::string("[server]\nmodule =\n") + kListen));
    EXPECT_EQ("", require_module(std::string("[server]\nmodule = m.so\n") + kListen));
}

/* `[sever]`: the module key is missing because the section is misspelt;
 * that is the error named. */
TEST(ConfigModuleKey, NearMissOfServerIsNamed)
{
    EXPECT_EQ("t.ini:2: [sever]: unknown section, probably meant [server] (which names no module)",
              require_module(std::string("[sever]\nmodule = m.so\n") + kListen));
    EXPECT_EQ("t.ini:3: [Server]: unknown section, probably meant [server] (which names no module)",
              require_module(std::string("\n[Server]\nmodule = m.so\n") + kListen));
}

TEST(ConfigNear, NearMisses)
{
    for (const char *near : {"sever", "Server", "SERVER", "servers", "serer", "srever", "sevrer", "serv"})
        EXPECT_EQ(1, gr_config_near_miss(near, "server")) << near;
    for (const char *far : {"server", "demo", "sender2", "se", "http", "fixture", ""})
        EXPECT_EQ(0, gr_config_near_miss(far, "server")) << far;
    EXPECT_EQ(1, gr_config_near_miss("lisen", "listen"));
    EXPECT_EQ(1, gr_config_near_miss("Listen", "listen"));
    const char *names[] = {"greeting", "debug"};
    EXPECT_STREQ("greeting", gr_config_nearest("gretting", names, 2));
    EXPECT_STREQ("debug", gr_config_nearest("debgu", names, 2));
    EXPECT_EQ(nullptr, gr_config_nearest("colour", names, 2));
    std::string long_a(100, 'a'), long_b = std::string(99, 'a') + "b";
    EXPECT_EQ(0, gr_config_near_miss(long_a.c_str(), long_b.c_str())); /* too long to measure */
    std::string long_upper(100, 'A');
    EXPECT_EQ(1, gr_config_near_miss(long_upper.c_str(), long_a.c_str())); /* case still counts */
}

TEST(ConfigParse, Size)
{
    int64_t v = -1;
    EXPECT_EQ(0, gr_parse_size("0", &v));
    EXPECT_EQ(0, v);
    EXPECT_EQ(0, gr_parse_size("64k", &v));
    EXPECT_EQ(65536, v);
    EXPECT_EQ(0, gr_parse_size("3M", &v));
    EXPECT_EQ(3 << 20, v);
    EXPECT_EQ(0, gr_parse_size("2g", &v));
    EXPECT_EQ((int64_t)2 << 30, v);
    for (const char *bad : {"", "k", "-1", "+1", "1kb", "1 k", "1t", "1.5k", "9223372036854775807k"})
        EXPECT_EQ(GR_EINVAL, gr_parse_size(bad, &v)) << bad;
    EXPECT_EQ((int64_t)2 << 30, v);
}
