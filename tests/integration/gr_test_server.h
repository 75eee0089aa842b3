/* gr_test_server.h - run the real grocketd (and test_tcp_client) as child
 * processes for integration tests: a generated INI in a temporary directory
 * (one tcp:// and one http:// listen on 127.0.0.1), the ephemeral ports read
 * back from grocketd's log, stop by SIGTERM.
 *
 * With GR_TEST_WINE_BUILD set to a Windows cross-build's directory
 * (scripts/build-windows.sh), the servers are that build's grocketd.exe and
 * demo_server.exe with its .dll modules, run under Wine (cmake/wine-run.sh),
 * while the clients (test_tcp_client, the tests' sockets) stay Linux-native.
 * There, what is a signal on POSIX becomes `grocketd -s stop|reload|reopen`
 * (gr_test_signal); SIGINT stays a signal: Wine hands it to the program as
 * the console's Ctrl-C. */
#ifndef GR_TEST_SERVER_H
#define GR_TEST_SERVER_H

#include <string>
#include <sys/types.h>
#include <vector>

struct gr_test_run_t {
    int status;          /* exit code, or 128 + signal */
    std::string output;  /* stdout and stderr together */
};

/* Run a program to completion with a time limit (killed past it). */
gr_test_run_t gr_test_run(const std::vector<std::string> &argv, int timeout_s);

/* Whether the servers are a Windows build's, under Wine (see above). */
bool gr_test_wine();
/* A path of this machine as the server names it: under Wine on drive Z:,
 * where Wine shows the Linux file system. */
std::string gr_test_server_path(const std::string &path);
/* Start argv (a .exe under Wine) with stdout and stderr into out_path. */
pid_t gr_test_spawn(const std::vector<std::string> &argv, const std::string &out_path);
/* kill(pid, sig) for a grocketd started with config; under Wine SIGTERM,
 * SIGHUP and SIGUSR1 are `grocketd -s stop|reload|reopen -c config`, which
 * finds the server through its pid_file. 0, or -1 when it failed. */
int gr_test_signal(pid_t pid, int sig, const std::string &config);

class GrocketdProcess {
public:
    /* server_keys: lines for [server] beyond module/pid_file/log;
     * extra_sections: appended after [server]; extra_listens: lines added
     * to [listen] (e.g. "2 = udp://127.0.0.1:0\n"). */
    explicit GrocketdProcess(const std::string &module_path, const std::string &server_keys = "",
                             const std::string &extra_sections = "", const std::string &extra_listens = "");
    ~GrocketdProcess();
    /* Start and wait for "listening on" (tcp and http); false (with log())
     * on failure. */
    bool start();
    /* SIGTERM (or sig) and wait; returns the exit code, 128+signal, or -1
     * when it did not stop within 30 s (then it is killed). */
    int stop(int sig = 15);
    bool alive();
    /* gr_test_signal to this server. */
    int signal(int sig) { return gr_test_signal(pid_, sig, ini_); }
    int port() const { return port_; }           /* the tcp:// listen */
    int http_port() const { return http_port_; } /* the http:// listen */
    /* The port of the listen logged as "listening on PREFIX<port>", e.g.
     * "udp://127.0.0.1:" or "udp://[::1]:"; -1 when there is none. */
    int logged_port(const std::string &prefix) const;
    pid_t pid() const { return pid_; }
    /* stdout and stderr together, then the log file set by set_file_log. */
    std::string log() const;
    /* Write the configuration again (the same module and listens), e.g.
     * before a SIGHUP. */
    void rewrite_config(const std::string &server_keys, const std::string &extra_sections = "");
    /* The server also logs to this file (log.file among server_keys):
     * log() reads it too. */
    void set_file_log(const std::string &path) { file_log_ = path; }
    const std::string &config_path() const { return ini_; }
    const std::string &dir() const { return dir_; }

private:
    std::string dir_, ini_, log_path_, module_path_, file_log_, extra_listens_;
    pid_t pid_ = -1;
    int port_ = -1;
    int http_port_ = -1;
};

/* A port free on 127.0.0.1 now (bound, read back, closed), below the
 * kernel's ephemeral range: for a server that must listen on a port known
 * in advance (a backup restarted on the same port, nutcracker's
 * configuration). */
int gr_test_free_port();

/* Parse "totals: accepted=.. ..." from a grocketd log: value of key, or -1. */
long long gr_test_total(const std::string &log, const char *key);

/* Paths of the built programs and modules: under Wine, grocketd and
 * demo_server are the .exe of the Windows build, modules and fixtures its
 * .dll (as Z:/... paths), other programs native. */
std::string gr_test_bin(const char *name);
std::string gr_test_module(const char *name);
std::string gr_test_fixture(const char *name);

#endif
