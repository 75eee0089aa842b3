/* test_demo_server.cpp - demo_server, the embedding example, as a user runs
 * it: started on port 0, answered over TCP (line echo) and HTTP (/, /echo,
 * 404), stopped by SIGTERM and SIGINT with exit 0; a bad option value is
 * reported by the configuration call that got it. */
#include <gtest/gtest.h>

#include <errno.h>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <stdlib.h>
#include <string.h>
#include <string>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gr_test_server.h"
#include "gr_test_util.h"

namespace {

std::string read_all(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
}

/* demo_server as a child, its output in a temporary file. */
class DemoServer {
public:
    DemoServer()
    {
        char tmpl[] = "/tmp/grocket-demo-XXXXXX";
        const char *d = mkdtemp(tmpl);
        dir_ = d ? d : "/tmp";
        out_ = dir_ + "/out.txt";
    }
    ~DemoServer()
    {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        unlink(out_.c_str());
        rmdir(dir_.c_str());
    }
    /* Start and read the ports from its first line; false when it does not
     * get there within 20 s (sanitizer builds start slowly). */
    bool start()
    {
        pid_ = gr_test_spawn({gr_test_bin("demo_server"), "-p", "0", "-w", "0", "-n", "2"}, out_);
        for (int i = 0; i < 2000; i++) {
            std::string o = output();
            const char *p = strstr(o.c_str(), "echo on tcp port ");
            if (p && sscanf(p, "echo on tcp port %d, http on port %d", &tcp_, &http_) == 2)
                return tcp_ > 0 && http_ > 0;
            int st;
            if (waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            sleep_ms(10);
        }
        return false;
    }
    /* Send sig and wait up to 30 s: the exit code, 128+signal, or -1. */
    int stop(int sig)
    {
        kill(pid_, sig);
        for (int i = 0; i < 3000; i++) {
            int st;
            if (waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
            sleep_ms(10);
        }
        return -1;
    }
    std::string output() const { return read_all(out_); }
    int tcp() const { return tcp_; }
    int http() const { return http_; }

private:
    std::string dir_, out_;
    pid_t pid_ = -1;
    int tcp_ = -1, http_ = -1;
};

/* One HTTP/1.1 request with Connection: close; the whole response. */
std::string http_get(int port, const std::string &target)
{
    int fd = gr_test_connect("127.0.0.1", port);
    if (fd < 0)
        return "<connect failed>";
    gr_test_send(fd, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string r = gr_test_recv(fd, 1 << 16);
    close(fd);
    return r;
}

std::string body_of(const std::string &response)
{
    size_t p = response.find("\r\n\r\n");
    return p == std::string::npos ? "" : response.substr(p + 4);
}

} // namespace

TEST(DemoServer, ServesTcpAndHttpAndStopsOnSigterm)
{
    DemoServer d;
    ASSERT_TRUE(d.start()) << d.output();

    /* Line echo, lines split across sends and two in one. */
    int fd = gr_test_connect("127.0.0.1", d.tcp());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "hel"));
    sleep_ms(20);
    ASSERT_TRUE(gr_test_send(fd, "lo\nsecond line\nthi"));
    EXPECT_EQ(gr_test_recv(fd, 18), "hello\nsecond line\n");
    ASSERT_TRUE(gr_test_send(fd, "rd\n"));
    EXPECT_EQ(gr_test_recv(fd, 6), "third\n");
    close(fd);

    std::string r = http_get(d.http(), "/");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_EQ(body_of(r), "Hello from demo_server (grocket embedded)\n");
    r = http_get(d.http(), "/echo?text=embedded%20grocket");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_EQ(body_of(r), "embedded grocket");
    r = http_get(d.http(), "/elsewhere");
    EXPECT_EQ(r.rfind("HTTP/1.1 404 ", 0), 0u) << r;

    /* Under Wine, SIGTERM ends a program at once; the Windows stop is the
     * console's Ctrl-C (SIGINT, which Wine hands over as such). */
    EXPECT_EQ(d.stop(gr_test_wine() ? SIGINT : SIGTERM), 0) << d.output();
    EXPECT_NE(d.output().find("demo_server: stopped"), std::string::npos) << d.output();
}

TEST(DemoServer, StopsOnSigint)
{
    DemoServer d;
    ASSERT_TRUE(d.start()) << d.output();
    EXPECT_EQ(gr_test_roundtrip(d.tcp(), "x\n", 2), "x\n");
    EXPECT_EQ(d.stop(SIGINT), 0) << d.output();
}

TEST(DemoServer, BadOptionNamesTheKey)
{
    gr_test_run_t r = gr_test_run({gr_test_bin("demo_server"), "-n", "0"}, 30);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("demo_server:1: tcp.in.thread_count: invalid value '0' (expected an integer 1..256 or auto)"),
              std::string::npos)
        << r.output;
    r = gr_test_run({gr_test_bin("demo_server"), "-p", "http"}, 30);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("demo_server:3: echo: invalid listen address 'tcp://127.0.0.1:http'"), std::string::npos)
        << r.output;
}
