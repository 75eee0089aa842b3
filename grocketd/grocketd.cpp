/* grocketd.cpp - the daemon: command line, configuration check, detaching,
 * control signals. Everything else is libgrocket, through libgrocket.h
 * alone; what differs per system is behind gr_daemon.h.
 *
 * Control events, all taken by the main thread (every other thread has
 * them blocked):
 *   SIGTERM, SIGINT  graceful stop (stop.grace_period); a second one during
 *                    it stops at once
 *   SIGHUP           re-read the configuration (gr_server_reload)
 *   SIGUSR1          reopen log.file (logrotate)
 * `grocketd -s stop|reload|reopen` sends them to the grocketd whose pid
 * file the configuration names (nginx's form); on Windows, where there are
 * no such signals, through named events (gr_daemon_win.cpp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_daemon.h"
#include "grocketd_keys.h"
#include "libgrocket.h"

#ifndef GR_DEFAULT_CONFIG
#define GR_DEFAULT_CONFIG "conf/grocketd.ini"
#endif
#ifndef GR_VERSION
#define GR_VERSION "0.0.0"
#endif

#define LOG_INFO(...) gr_server_log(GR_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) gr_server_log(GR_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) gr_server_log(GR_LOG_ERROR, __VA_ARGS__)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: grocketd [-c FILE] [-t] [-s SIGNAL] [-v] [-h]\n"
            "  -c FILE  configuration file (default: %s)\n"
            "  -s SIGNAL  send stop, reload or reopen (the log) to the grocketd whose process\n"
            "           id is in the configuration's pid_file, then exit\n"
            "  -t       check the configuration and the module as a start would, short of\n"
            "           binding; say what was checked and what was not; exit (0: good, 1: bad)\n"
            "  -v       print the version and the module ABI version, then exit\n"
            "  -h       this help\n"
            "signals: TERM/INT stop gracefully (a second one: at once), HUP re-reads the\n"
            "configuration, USR1 reopens the log file\n",
            GR_DEFAULT_CONFIG);
}

/* A [server] key's value as the server runs it (gr_server_setting). */
static void setting(const gr_server_t *server, const char *key, char *buf, size_t len)
{
    if (gr_server_setting(server, key, buf, len) != GR_OK)
        buf[0] = '\0';
}

static int setting_int(const gr_server_t *server, const char *key)
{
    char v[32];
    setting(server, key, v, sizeof v);
    return strcmp(v, "true") == 0 ? 1 : atoi(v);
}

static void on_reload(gr_server_t *server, const char *config_path, const char *what)
{
    char err[GR_SERVER_ERR_LEN];
    LOG_INFO("%s: re-reading %s", what, config_path);
    if (gr_server_reload(server, config_path, err, sizeof err) != GR_OK)
        LOG_ERROR("reload: %s; keeping the running configuration", err);
}

/* The graceful part of a stop: wait for busy connections up to the grace
 * period, taking a second stop signal as "now". The hard stop follows. */
static void drain(gr_server_t *server)
{
    int grace_s = setting_int(server, "stop.grace_period");
    if (grace_s == 0)
        return;
    gr_server_drain(server);
    LOG_INFO("stopping gracefully: up to %d s for busy connections (signal again to stop at once)", grace_s);
    int64_t end = gr_daemon_clock_ms() + (int64_t)grace_s * 1000;
    for (;;) {
        int left = gr_server_drain_left(server);
        if (left == 0) {
            LOG_INFO("every connection finished");
            return;
        }
        if (gr_daemon_clock_ms() >= end) {
            LOG_WARN("grace period of %d s over: closing %d busy connection(s)", grace_s, left);
            return;
        }
        char what[64];
        gr_ctl_t ctl = gr_ctl_wait(10, what, sizeof what);
        if (ctl == GR_CTL_STOP) {
            LOG_WARN("%s again: stopping at once, closing %d connection(s)", what, left);
            return;
        }
        if (ctl == GR_CTL_REOPEN_LOG)
            gr_server_reopen_log(server);
        else if (ctl == GR_CTL_RELOAD)
            LOG_INFO("%s while stopping: ignored", what);
    }
}

/* grocketd -s: the pid from the configuration's pid_file, and the control
 * event sent to it. The exit code. */
static int send_signal(gr_server_t *server, const char *config_path, const char *sig_name)
{
    char pid_file[4096];
    setting(server, "pid_file", pid_file, sizeof pid_file);
    gr_server_destroy(server);
    if (pid_file[0] == '\0') {
        fprintf(stderr, "grocketd: -s %s: %s sets no pid_file: no process to signal\n", sig_name, config_path);
        return 1;
    }
    FILE *f = fopen(pid_file, "r");
    long pid = 0;
    if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
        fprintf(stderr, "grocketd: -s %s: no process id in %s (not running?)\n", sig_name, pid_file);
        if (f)
            fclose(f);
        return 1;
    }
    fclose(f);
    gr_ctl_t ctl = strcmp(sig_name, "reload") == 0   ? GR_CTL_RELOAD
                  : strcmp(sig_name, "reopen") == 0 ? GR_CTL_REOPEN_LOG
                                                    : GR_CTL_STOP;
    char err[256];
    if (gr_ctl_send(pid, ctl, err, sizeof err) != 0) {
        fprintf(stderr, "grocketd: -s %s: %s\n", sig_name, err);
        return 1;
    }
    return 0;
}

/* The value of option *f: the rest of its argument (-cFILE), else the next
 * argument (-c FILE; *i moves past it). NULL, said with the usage, when
 * there is none. */
static const char *option_value(const char *f, int argc, char **argv, int *i)
{
    if (f[1])
        return f + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    fprintf(stderr, "grocketd: option requires an argument -- '%c'\n", *f);
    usage(stderr);
    return NULL;
}

/* -c FILE (or -cFILE), -t, -v, -h; flags may be grouped (-tc FILE), as
 * getopt takes them. 0 to go on, else the exit code. */
static int parse_args(int argc, char **argv, const char **config_path, int *check_only, const char **sig_name)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            fprintf(stderr, "grocketd: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        for (const char *f = a + 1; *f; f++) {
            switch (*f) {
            case 'c':
                if ((*config_path = option_value(f, argc, argv, &i)) == NULL)
                    return 2;
                goto next_arg; /* the rest of this argument was the file */
            case 's':
                if ((*sig_name = option_value(f, argc, argv, &i)) == NULL)
                    return 2;
                if (strcmp(*sig_name, "stop") != 0 && strcmp(*sig_name, "reload") != 0 &&
                    strcmp(*sig_name, "reopen") != 0) {
                    fprintf(stderr, "grocketd: -s %s: expected stop, reload or reopen\n", *sig_name);
                    return 2;
                }
                goto next_arg;
            case 't': *check_only = 1; break;
            case 'v':
                printf("grocketd %s, module ABI %d.%d\n", GR_VERSION, GR_ABI_MAJOR, GR_ABI_MINOR);
                return -1;
            case 'h': usage(stdout); return -1;
            default:
                fprintf(stderr, "grocketd: invalid option -- '%c'\n", *f);
                usage(stderr);
                return 2;
            }
        }
    next_arg:;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *config_path = GR_DEFAULT_CONFIG;
    int check_only = 0;
    const char *sig_name = NULL;
    int rc = parse_args(argc, argv, &config_path, &check_only, &sig_name);
    if (rc)
        return rc < 0 ? 0 : rc;

    /* Control events are taken synchronously by this thread; every thread
     * started from here on has them blocked. */
    gr_ctl_block();

    char err[GR_SERVER_ERR_LEN];
    gr_server_t *server = NULL;
    rc = gr_server_create_hosted(&server, config_path, grocketd_host_keys, argc, argv, err, sizeof err);
    if (rc != GR_OK) {
        fprintf(stderr, "grocketd: %s\n", err);
        return 1;
    }
    if (sig_name != NULL)
        return send_signal(server, config_path, sig_name);
    /* A key the library accepts but this system cannot honour: refused
     * here, before the log opens or anything starts (and by -t). */
    char why[256];
    int can_detach = gr_daemon_can_detach(why, sizeof why) == 0;
    if (setting_int(server, "daemon") && !can_detach) {
        fprintf(stderr, "grocketd: %s: [server] daemon = true: %s\n", config_path, why);
        gr_server_destroy(server);
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

    /* The keys grocketd acts on, validated by gr_server_create_hosted. */
    char log_file[4096], pid_file[4096];
    setting(server, "log.file", log_file, sizeof log_file);
    setting(server, "pid_file", pid_file, sizeof pid_file);
    int daemon = setting_int(server, "daemon");

    if (log_file[0] && (rc = gr_server_log_open(log_file)) != 0) {
        fprintf(stderr, "grocketd: log.file %s: %s\n", log_file, gr_server_strerror(rc));
        return 1;
    }
    if (daemon && gr_daemon_detach() != 0)
        return 1;

    rc = gr_server_start(server, err, sizeof err);
    if (rc != GR_OK) {
        LOG_ERROR("%s", err);
        gr_server_destroy(server);
        return 1; /* a detached start tells its starter by exiting */
    }
    int have_pid_file = 0;
    /* Where grocketd cannot detach (Windows) the pid file is written in the
     * foreground too: it is how grocketd -s finds this process there. */
    if (daemon || !can_detach) {
        if (pid_file[0]) {
            int prc = gr_pid_file_write(pid_file);
            if (prc != 0)
                LOG_ERROR("pid file %s: %s", pid_file, gr_server_strerror(prc));
            have_pid_file = prc == 0;
        }
        if (daemon)
            gr_daemon_ready(1);
    }

    for (;;) {
        char what[64];
        gr_ctl_t ctl = gr_ctl_wait(-1, what, sizeof what);
        if (ctl == GR_CTL_RELOAD) {
            on_reload(server, config_path, what);
        } else if (ctl == GR_CTL_REOPEN_LOG) {
            gr_server_reopen_log(server);
        } else if (ctl == GR_CTL_STOP) {
            LOG_INFO("%s: stopping", what);
            break;
        }
    }
    drain(server);
    gr_server_destroy(server);
    if (have_pid_file)
        gr_pid_file_remove(pid_file);
    LOG_INFO("stopped");
    gr_server_log_close();
    return 0;
}
