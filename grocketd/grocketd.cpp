/* grocketd.cpp - the daemon: command line, configuration check, daemonize,
 * signals. Everything else is libgrocket (libgrocket.h).
 *
 * Signals, all taken by the main thread with sigwait (every other thread
 * has them blocked):
 *   SIGTERM, SIGINT  graceful stop (stop.grace_period); a second one during
 *                    it stops at once
 *   SIGHUP           re-read the configuration (gr_server_reload)
 *   SIGUSR1          reopen log.file (logrotate) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gr_config.h"
#include "gr_error.h"
#include "gr_log.h"
#include "gr_server.h"
#include "libgrocket.h"

#ifndef GR_DEFAULT_CONFIG
#define GR_DEFAULT_CONFIG "conf/grocketd.ini"
#endif
#ifndef GR_VERSION
#define GR_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: grocketd [-c FILE] [-t] [-v] [-h]\n"
            "  -c FILE  configuration file (default: %s)\n"
            "  -t       check the configuration and the module as a start would, short of\n"
            "           binding; say what was checked and what was not; exit (0: good, 1: bad)\n"
            "  -v       print the version and the module ABI version, then exit\n"
            "  -h       this help\n"
            "signals: TERM/INT stop gracefully (a second one: at once), HUP re-reads the\n"
            "configuration, USR1 reopens the log file\n",
            GR_DEFAULT_CONFIG);
}

/* Fork into the background. The parent stays until the child reports that
 * the server started (one byte through a pipe), so its exit code tells. */
static int daemonize(int *report_fd)
{
    int p[2];
    if (pipe(p) != 0) {
        fprintf(stderr, "grocketd: pipe: %s\n", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "grocketd: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        close(p[1]);
        char ok = 0;
        ssize_t n;
        do
            n = read(p[0], &ok, 1);
        while (n < 0 && errno == EINTR);
        _exit(n == 1 && ok == 1 ? 0 : 1);
    }
    close(p[0]);
    setsid();
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        /* stderr stays until start-up is over, so errors still show. */
        if (devnull > STDERR_FILENO)
            close(devnull);
    }
    *report_fd = p[1];
    return 0;
}

static int write_pid_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        GR_ERROR("pid file %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_reload(gr_server_t *server, const char *config_path)
{
    char err[GR_CONFIG_ERR_LEN + 1024];
    GR_INFO("signal %d (%s): re-reading %s", SIGHUP, strsignal(SIGHUP), config_path);
    if (gr_server_reload(server, config_path, err, sizeof err) != GR_OK)
        GR_ERROR("reload: %s; keeping the running configuration", err);
}

/* The graceful part of a stop: wait for busy connections up to the grace
 * period, taking a second stop signal as "now". The hard stop follows. */
static void drain(gr_server_t *server, const sigset_t *signals)
{
    int grace_s = gr_settings_live(server)->stop_grace_period;
    if (grace_s == 0)
        return;
    gr_server_drain(server);
    GR_INFO("stopping gracefully: up to %d s for busy connections (signal again to stop at once)", grace_s);
    int64_t end = now_ms() + (int64_t)grace_s * 1000;
    for (;;) {
        int left = gr_server_drain_left(server);
        if (left == 0) {
            GR_INFO("every connection finished");
            return;
        }
        if (now_ms() >= end) {
            GR_WARN("grace period of %d s over: closing %d busy connection(s)", grace_s, left);
            return;
        }
        struct timespec step = {0, 10 * 1000 * 1000};
        int sig = sigtimedwait(signals, NULL, &step);
        if (sig == SIGTERM || sig == SIGINT) {
            GR_WARN("signal %d (%s) again: stopping at once, closing %d connection(s)", sig, strsignal(sig), left);
            return;
        }
        if (sig == SIGUSR1)
            gr_server_reopen_log(server);
        else if (sig == SIGHUP)
            GR_INFO("signal %d (%s) while stopping: ignored", sig, strsignal(sig));
    }
}

int main(int argc, char **argv)
{
    const char *config_path = GR_DEFAULT_CONFIG;
    int check_only = 0, opt;
    while ((opt = getopt(argc, argv, "c:tvh")) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 't': check_only = 1; break;
        case 'v':
            printf("grocketd %s, module ABI %d.%d\n", GR_VERSION, GR_ABI_MAJOR, GR_ABI_MINOR);
            return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "grocketd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    /* Signals are taken synchronously by the main thread (sigwait); every
     * thread started from here on inherits the blocked mask. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    char err[GR_CONFIG_ERR_LEN + 1024];
    gr_server_t *server = NULL;
    int rc = gr_server_create(&server, config_path, argc, argv, err, sizeof err);
    if (rc != GR_OK) {
        fprintf(stderr, "grocketd: %s\n", err);
        return 1;
    }
    if (check_only) {
        /* Creating the server ran every check a start runs short of
         * binding; say what was loaded, checked and left unchecked. */
        char report[4096];
        gr_server_check_report(server, report, sizeof report);
        printf("grocketd: configuration %s is good\n%s", config_path, report);
        gr_server_destroy(server);
        return 0;
    }

    /* The daemon's own settings (log file, daemon, pid file), validated by
     * gr_server_create. */
    const gr_settings_t st = *gr_server_settings(server);

    if (st.log_file[0] && (rc = gr_log_open(st.log_file)) != 0) {
        fprintf(stderr, "grocketd: log.file %s: %s\n", st.log_file, strerror(-rc));
        return 1;
    }
    int report_fd = -1;
    if (st.daemon && daemonize(&report_fd) != 0)
        return 1;

    rc = gr_server_start(server, err, sizeof err);
    if (rc != GR_OK) {
        GR_ERROR("%s", err);
        gr_server_destroy(server);
        return 1;
    }
    int have_pid_file = 0;
    if (st.daemon) {
        have_pid_file = st.pid_file[0] && write_pid_file(st.pid_file) == 0;
        char ok = 1;
        if (write(report_fd, &ok, 1) != 1)
            GR_WARN("cannot report start-up to the parent: %s", strerror(errno));
        close(report_fd);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDERR_FILENO);
            close(devnull);
        }
    }

    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            on_reload(server, config_path);
        } else if (sig == SIGUSR1) {
            gr_server_reopen_log(server);
        } else {
            GR_INFO("signal %d (%s): stopping", sig, strsignal(sig));
            break;
        }
    }
    drain(server, &signals);
    gr_server_destroy(server);
    if (have_pid_file)
        unlink(st.pid_file);
    GR_INFO("stopped");
    gr_log_close();
    return 0;
}
