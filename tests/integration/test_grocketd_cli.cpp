/* test_grocketd_cli.cpp - grocketd's command line and process life: -v, -t
 * on good and bad configurations and modules (what it loaded, what it did
 * not check, the module's declared keys, auto under an affinity mask),
 * stopping on SIGINT/SIGTERM, a module whose init fails, and daemon mode
 * with its pid file. */
#include <gtest/gtest.h>

#include <fstream>
#include <sched.h>
#include <signal.h>
#include <string>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gr_test_server.h"
#include "grocket.h"
#include "gr_test_util.h"

/* "ABI 1.2" for the given minor of the current major. */
static std::string abi_text(int minor)
{
    return "ABI " + std::to_string(GR_ABI_MAJOR) + "." + std::to_string(minor);
}

static bool contains(const std::string &hay, const std::string &needle)
{
    return hay.find(needle) != std::string::npos;
}

static std::string write_ini(const std::string &dir, const std::string &text)
{
    std::string path = dir + "/t.ini";
    std::ofstream(path) << text;
    return path;
}

static std::string temp_dir()
{
    char tmpl[] = "/tmp/grocket-cli-XXXXXX";
    return mkdtemp(tmpl);
}

TEST(Cli, VersionNamesTheAbi)
{
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-v"}, 10);
    EXPECT_EQ(0, r.status);
    EXPECT_TRUE(contains(r.output, "module " + abi_text(GR_ABI_MINOR))) << r.output;
}

TEST(Cli, BadOptionIsAUsageError)
{
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-x"}, 10);
    EXPECT_EQ(2, r.status);
    EXPECT_TRUE(contains(r.output, "usage: grocketd")) << r.output;
}

/* The forms getopt takes: -c FILE, -cFILE, grouped flags (-tc FILE). */
TEST(Cli, OptionForms)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") + "\n[listen]\n0 = tcp://127.0.0.1:0\n");
    for (std::vector<std::string> args : {std::vector<std::string>{"-t", "-c", ini}, {"-t", "-c" + ini}, {"-tc", ini}}) {
        args.insert(args.begin(), gr_test_bin("grocketd"));
        gr_test_run_t r = gr_test_run(args, 10);
        EXPECT_EQ(0, r.status) << args[1] << " " << r.output;
        EXPECT_TRUE(contains(r.output, "configuration " + ini + " is good")) << args[1] << " " << r.output;
    }
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c"}, 10);
    EXPECT_EQ(2, r.status);
    EXPECT_TRUE(contains(r.output, "requires an argument -- 'c'")) << r.output;
    r = gr_test_run({gr_test_bin("grocketd"), "-t", ini}, 10);
    EXPECT_EQ(2, r.status);
    EXPECT_TRUE(contains(r.output, "unexpected argument '" + ini + "'")) << r.output;
    r = gr_test_run({gr_test_bin("grocketd"), "-h"}, 10);
    EXPECT_EQ(0, r.status);
    EXPECT_TRUE(contains(r.output, "usage: grocketd")) << r.output;
}

TEST(Cli, CheckAcceptsAGoodConfiguration)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                                         "\n[listen]\n0 = tcp://127.0.0.1:0\n1 = tcp://[::1]:0\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, "is good")) << r.output;
    /* The loader's line: name, the module's own version, its ABI, path. */
    EXPECT_TRUE(contains(r.output, "module demo 1.0.0 (" + abi_text(GR_ABI_MINOR) + ") loaded from " +
                                       gr_test_module("demo")))
        << r.output;
}

TEST(Cli, CheckNamesFileLineAndKeyOfAnError)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                                         "\ntcp.in.thread_cnt = 4\n[listen]\n0 = tcp://127.0.0.1:0\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":3")) << r.output;
    EXPECT_TRUE(contains(r.output, "tcp.in.thread_cnt")) << r.output;

    ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                             "\nworker.thread_count = many\n[listen]\n0 = tcp://127.0.0.1:0\n");
    r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":3")) << r.output;
    EXPECT_TRUE(contains(r.output, "worker.thread_count")) << r.output;
}

/* -t says which module it loaded, what the module declares, and what only
 * a start can tell. */
TEST(Cli, CheckSaysWhatItLoadedAndWhatItDidNotCheck)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                                         "\n[demo]\ngreeting = hi\n[listen]\n0 = tcp://127.0.0.1:0\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, "module: demo version 1.0.0 from " + gr_test_module("demo") + ", built for " +
                                       abi_text(GR_ABI_MINOR)))
        << r.output;
    EXPECT_TRUE(contains(r.output, "  [demo] greeting: string, default 'Hello, World!' (the text every HTTP")) << r.output;
    EXPECT_TRUE(contains(r.output, "  [demo] debug: boolean, default 'true'")) << r.output;
    EXPECT_TRUE(contains(r.output, "not checked: that the listen ports are free")) << r.output;
    EXPECT_TRUE(contains(r.output, "the module's init")) << r.output;
}

TEST(Cli, CheckRefusesAMissingModuleKey)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\ndaemon = false\n[listen]\n0 = tcp://127.0.0.1:0\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ": module: missing in [server]")) << r.output;
}

/* The mistake that used to pass -t and start the build tree's demo. */
TEST(Cli, CheckNamesANearMissOfServer)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[sever]\nmodule = " + gr_test_module("demo") +
                                         "\n[listen]\n0 = tcp://127.0.0.1:0\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":2: [sever]: unknown section, probably meant [server]")) << r.output;
    /* Also when [server] names a module: [Listen] is not the module's. */
    ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                             "\n[listen]\n0 = tcp://127.0.0.1:0\n[Listen]\n1 = tcp://127.0.0.1:0\n");
    r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":6: [Listen]: unknown section, probably meant [listen]")) << r.output;
}

/* The demo declares [demo]: an undeclared key or a bad value is refused. */
TEST(Cli, CheckAppliesTheModulesDeclaredKeys)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                                         "\n[demo]\ngretting = hi\n[listen]\n0 = tcp://127.0.0.1:0\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":4: gretting: unknown key in [demo] (module demo does not declare it; "
                                         "did you mean greeting?)"))
        << r.output;
    ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                             "\n[demo]\ndebug = perhaps\n[listen]\n0 = tcp://127.0.0.1:0\n");
    r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":4: debug: invalid value 'perhaps'")) << r.output;
    ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                             "\n[demoo]\ndebug = true\n[listen]\n0 = tcp://127.0.0.1:0\n");
    r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":4: debug: unknown section [demoo]")) << r.output;
}

/* A module that declares nothing: its section passes, with a warning. */
TEST(Cli, CheckWarnsAboutSectionsItCannotCheck)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_fixture("gr_fixture_c") +
                                         "\n[fixture]\nrefuse = false\n[listen]\n0 = tcp://127.0.0.1:0\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":4: [fixture]: not checked: module fixture_c declares no configuration keys"))
        << r.output;
    EXPECT_TRUE(contains(r.output, "it declares no configuration keys: its sections were not checked")) << r.output;
}

TEST(Cli, CheckRefusesAnAddressListenedOnTwiceAndAPortOutOfRange)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                                         "\n[listen]\na = tcp://0.0.0.0:18000\nb = http://127.0.0.1:18000\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":5: b: 'http://127.0.0.1:18000' listens on the address of a (line 4"))
        << r.output;
    ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") + "\n[listen]\nweb = tcp://0.0.0.0:70000\n");
    r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, ini + ":4: web: port 70000 out of range 0-65535")) << r.output;
}

/* auto is one thread per CPU the process may run on: under a one-CPU
 * affinity mask (what taskset -c 0 sets), one tcp.in thread. */
TEST(Cli, AutoFollowsTheAffinityMask)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") +
                                         "\ntcp.in.thread_count = auto\n[listen]\n0 = tcp://127.0.0.1:0\n");
    cpu_set_t old, one;
    ASSERT_EQ(0, sched_getaffinity(0, sizeof old, &old));
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &old)) {
            CPU_SET(cpu, &one);
            break;
        }
    ASSERT_EQ(0, sched_setaffinity(0, sizeof one, &one)); /* the child inherits it */
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    ASSERT_EQ(0, sched_setaffinity(0, sizeof old, &old));
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, "tcp.in 1,")) << r.output;
    EXPECT_TRUE(contains(r.output, "(auto: 1, the CPUs this process may run on)")) << r.output;
}

/* The demo reads its declared keys: [demo] greeting is what HTTP answers. */
TEST(Cli, DemoServesItsDeclaredGreeting)
{
    GrocketdProcess srv(gr_test_module("demo"), "", "[demo]\ngreeting = Hi from the config\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    int fd = gr_test_connect("127.0.0.1", srv.http_port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string reply = gr_test_recv(fd, 4096);
    close(fd);
    EXPECT_TRUE(contains(reply, "\r\n\r\nHi from the config")) << reply;
    EXPECT_EQ(0, srv.stop()) << srv.log();
}

TEST(Cli, CheckRefusesAModuleWithANewerAbi)
{
    std::string dir = temp_dir();
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_fixture("gr_fixture_abi_new") +
                                         "\n[listen]\n0 = tcp://127.0.0.1:0\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-t", "-c", ini}, 10);
    EXPECT_EQ(1, r.status) << r.output;
    EXPECT_TRUE(contains(r.output, abi_text(GR_ABI_MINOR + 1))) << r.output;
    EXPECT_TRUE(contains(r.output, abi_text(GR_ABI_MINOR))) << r.output;
}

TEST(Cli, MissingConfigurationFileIsNamed)
{
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-c", "/nonexistent/grocketd.ini"}, 10);
    EXPECT_EQ(1, r.status);
    EXPECT_TRUE(contains(r.output, "/nonexistent/grocketd.ini")) << r.output;
}

TEST(Cli, SigintStopsCleanly)
{
    GrocketdProcess srv(gr_test_module("demo"));
    ASSERT_TRUE(srv.start()) << srv.log();
    EXPECT_EQ("ping", gr_test_roundtrip(srv.port(), "ping", 4));
    EXPECT_EQ(0, srv.stop(SIGINT)) << srv.log();
    EXPECT_TRUE(contains(srv.log(), "stopped")) << srv.log();
}

TEST(Cli, ModuleInitFailureExitsWithOne)
{
    GrocketdProcess srv(gr_test_fixture("gr_fixture_c"), "", "[fixture]\nfail_init = true\n");
    EXPECT_FALSE(srv.start());
    std::string log = srv.log();
    EXPECT_TRUE(contains(log, "init failed")) << log;
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-c", srv.config_path()}, 10);
    EXPECT_EQ(1, r.status) << r.output;
}

static std::string slurp(const std::string &path)
{
    std::ifstream f(path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

TEST(Cli, DaemonWritesAndRemovesItsPidFile)
{
    std::string dir = temp_dir();
    std::string pid_file = dir + "/g.pid", log_file = dir + "/g.log";
    std::string ini = write_ini(dir, "[server]\nmodule = " + gr_test_module("demo") + "\ndaemon = true\npid_file = " +
                                         pid_file + "\nlog.file = " + log_file +
                                         "\n[listen]\n0 = tcp://127.0.0.1:0\n");
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-c", ini}, 30);
    if (gr_test_wine()) { /* no fork: refused, with the way out */
        EXPECT_EQ(1, r.status) << r.output;
        EXPECT_TRUE(contains(r.output, "[server] daemon = true: Windows has no detaching")) << r.output;
        return;
    }
    ASSERT_EQ(0, r.status) << r.output << slurp(log_file);
    pid_t pid = atoi(slurp(pid_file).c_str());
    ASSERT_GT(pid, 1) << slurp(log_file);
    EXPECT_EQ(0, kill(pid, 0)); /* running in the background */
    std::string log = slurp(log_file);
    size_t at = log.find("listening on tcp://127.0.0.1:");
    ASSERT_NE(std::string::npos, at) << log;
    int port = atoi(log.c_str() + at + strlen("listening on tcp://127.0.0.1:"));
    EXPECT_EQ("daemon", gr_test_roundtrip(port, "daemon", 6));
    ASSERT_EQ(0, kill(pid, SIGTERM));
    bool gone = false;
    for (int i = 0; i < 3000 && !gone; i++) { /* 30 s */
        gone = kill(pid, 0) != 0 && access(pid_file.c_str(), F_OK) != 0;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, nullptr);
    }
    EXPECT_TRUE(gone) << "pid file still there or process alive";
    EXPECT_TRUE(contains(slurp(log_file), "stopped"));
}
