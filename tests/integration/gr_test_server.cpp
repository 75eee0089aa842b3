/* gr_test_server.cpp - grocketd and its clients as child processes. */
#include "gr_test_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

static const char *wine_build()
{
    const char *w = getenv("GR_TEST_WINE_BUILD");
    return w && *w ? w : nullptr;
}

bool gr_test_wine() { return wine_build() != nullptr; }

std::string gr_test_bin(const char *name)
{
    if (wine_build() && (!strcmp(name, "grocketd") || !strcmp(name, "demo_server")))
        return std::string(wine_build()) + "/bin/" + name + ".exe";
    return std::string(GR_TEST_BIN_DIR) + "/" + name;
}

std::string gr_test_server_path(const std::string &path) { return wine_build() ? "Z:" + path : path; }

static std::string built_library(const char *dir, const char *native_dir, const char *name)
{
    if (wine_build())
        return gr_test_server_path(std::string(wine_build()) + "/" + dir + "/lib" + name + ".dll");
    return std::string(native_dir) + "/lib" + name + ".so";
}

std::string gr_test_module(const char *name) { return built_library("modules", GR_TEST_MODULE_DIR, name); }
std::string gr_test_fixture(const char *name) { return built_library("fixtures", GR_TEST_FIXTURE_DIR, name); }

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static std::string read_file(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

static bool is_exe(const std::string &path)
{
    return path.size() > 4 && path.compare(path.size() - 4, 4, ".exe") == 0;
}

pid_t gr_test_spawn(const std::vector<std::string> &program, const std::string &out_path)
{
    std::vector<std::string> argv = program;
    if (!argv.empty() && is_exe(argv[0]))
        argv.insert(argv.begin(), {"/bin/sh", std::string(GR_TEST_SOURCE_DIR) + "/cmake/wine-run.sh"});
    /* Everything the child needs is made before fork: the tests spawn from
     * several threads, and a child of a threaded process may use only
     * async-signal-safe calls until exec (an allocation there waited
     * forever on the allocator's lock, held by another thread at the fork,
     * under ASan). */
    std::vector<char *> args;
    for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    std::string failed = "exec " + argv[0] + " failed\n";
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execv(args[0], args.data());
    ssize_t w = write(2, failed.data(), failed.size());
    (void)w;
    _exit(127);
}

static int decode_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

/* Wait for pid up to timeout_ms; -1 when still running. */
static int wait_for(pid_t pid, int timeout_ms)
{
    for (int waited = 0;; waited += 10) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return decode_status(st);
        if (r < 0)
            return -1;
        if (waited >= timeout_ms)
            return -2;
        sleep_ms(10);
    }
}

static std::string make_temp_dir()
{
    char tmpl[] = "/tmp/grocket-test-XXXXXX";
    const char *d = mkdtemp(tmpl);
    return d ? d : "/tmp";
}

gr_test_run_t gr_test_run(const std::vector<std::string> &argv, int timeout_s)
{
    std::string dir = make_temp_dir();
    std::string out = dir + "/out.txt";
    pid_t pid = gr_test_spawn(argv, out);
    int st = wait_for(pid, timeout_s * 1000);
    if (st == -2) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        st = 128 + SIGKILL;
    }
    gr_test_run_t r{st, read_file(out)};
    unlink(out.c_str());
    rmdir(dir.c_str());
    return r;
}

GrocketdProcess::GrocketdProcess(const std::string &module_path, const std::string &server_keys,
                                 const std::string &extra_sections, const std::string &extra_listens)
{
    dir_ = make_temp_dir();
    ini_ = dir_ + "/grocketd.ini";
    log_path_ = dir_ + "/grocketd.log";
    module_path_ = module_path;
    extra_listens_ = extra_listens;
    rewrite_config(server_keys, extra_sections);
}

void GrocketdProcess::rewrite_config(const std::string &server_keys, const std::string &extra_sections)
{
    /* Whole or not at all: a reload must never read half a file. */
    std::string tmp = ini_ + ".tmp";
    {
        std::ofstream f(tmp);
        /* Under Wine, `grocketd -s` finds the server through its pid_file. */
        std::string pid_file = gr_test_wine() ? dir_ + "/grocketd.pid" : "";
        f << "[server]\nmodule = " << module_path_ << "\npid_file = " << pid_file << "\n" << server_keys << "\n"
          << extra_sections << "\n[listen]\n0 = tcp://127.0.0.1:0\n1 = http://127.0.0.1:0\n" << extra_listens_;
    }
    rename(tmp.c_str(), ini_.c_str());
}

GrocketdProcess::~GrocketdProcess()
{
    if (pid_ > 0)
        stop(SIGKILL);
    unlink(ini_.c_str());
    unlink(log_path_.c_str());
    unlink((dir_ + "/grocketd.pid").c_str());
    rmdir(dir_.c_str());
}

bool GrocketdProcess::start()
{
    pid_ = gr_test_spawn({gr_test_bin("grocketd"), "-c", ini_}, log_path_);
    /* Up to 10 s (sanitizer builds start slowly), 30 s under Wine. */
    for (int i = 0; i < (gr_test_wine() ? 3000 : 1000); i++) {
        std::string l = log();
        const char *p = strstr(l.c_str(), "listening on tcp://127.0.0.1:");
        const char *h = strstr(l.c_str(), "listening on http://127.0.0.1:");
        if (p && h && strstr(l.c_str(), "grocket running")) {
            port_ = atoi(p + strlen("listening on tcp://127.0.0.1:"));
            http_port_ = atoi(h + strlen("listening on http://127.0.0.1:"));
            return port_ > 0 && http_port_ > 0;
        }
        if (!alive())
            return false;
        sleep_ms(10);
    }
    return false;
}

bool GrocketdProcess::alive()
{
    if (pid_ <= 0)
        return false;
    int st;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

int GrocketdProcess::stop(int sig)
{
    if (pid_ <= 0)
        return -1;
    gr_test_signal(pid_, sig, ini_);
    int st = wait_for(pid_, 30000);
    if (st == -2 && !gr_test_wine()) {
        /* A stop that hangs is a bug to find: append every thread's stack
         * to the log before killing it. */
        std::string cmd = "gdb -p " + std::to_string(pid_) +
                          " -batch -ex 'thread apply all bt' >> " + log_path_ + " 2>&1";
        if (system(cmd.c_str()) != 0)
            fprintf(stderr, "gr_test_server: no stacks from gdb\n");
    }
    if (st == -2) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        st = -1;
    }
    pid_ = -1;
    return st;
}

int gr_test_signal(pid_t pid, int sig, const std::string &config)
{
    const char *verb = sig == SIGTERM ? "stop" : sig == SIGHUP ? "reload" : sig == SIGUSR1 ? "reopen" : nullptr;
    if (!gr_test_wine() || !verb)
        return kill(pid, sig);
    gr_test_run_t r = gr_test_run({gr_test_bin("grocketd"), "-s", verb, "-c", config}, 30);
    if (r.status != 0)
        fprintf(stderr, "gr_test_signal: grocketd -s %s: exit %d\n%s", verb, r.status, r.output.c_str());
    return r.status == 0 ? 0 : -1;
}

std::string GrocketdProcess::log() const
{
    return file_log_.empty() ? read_file(log_path_) : read_file(log_path_) + read_file(file_log_);
}

int GrocketdProcess::logged_port(const std::string &prefix) const
{
    std::string l = log(), key = "listening on " + prefix;
    size_t at = l.find(key);
    return at == std::string::npos ? -1 : atoi(l.c_str() + at + key.size());
}

long long gr_test_total(const std::string &log, const char *key)
{
    const char *t = strstr(log.c_str(), "totals:");
    if (!t)
        return -1;
    std::string k = std::string(" ") + key + "=";
    const char *p = strstr(t, k.c_str());
    return p ? atoll(p + k.size()) : -1;
}

int gr_test_free_port()
{
    /* Below the kernel's ephemeral range: a port taken from that range
     * (bind to port 0) can be given again, meanwhile, as the local port of
     * any outgoing connection on the machine (ctest runs tests in
     * parallel), and a server restarted on it then finds it in use. */
    int low = 32768;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d", &low) != 1)
            low = 32768;
        fclose(f);
    }
    static unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL); /* on from call to call */
    for (int attempt = 0; attempt < 200; attempt++) {
        seed = seed * 1103515245u + 12345u;
        int port = low > 12000 ? 10000 + (int)((seed >> 8) % (unsigned)(low - 10000)) : 0;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* as the servers bind it */
        sockaddr_in a = {};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons((uint16_t)port);
        socklen_t len = sizeof a;
        int got = -1;
        if (bind(fd, (sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (sockaddr *)&a, &len) == 0)
            got = ntohs(a.sin_port);
        close(fd);
        if (got > 0)
            return got;
    }
    return -1;
}
