/* gr_daemon_posix.cpp - gr_daemon.h on POSIX systems: fork and setsid,
 * the pid file, the clock. The control signals are in a file of their own
 * per system: gr_daemon_ctl_sigtimedwait.cpp (Linux, FreeBSD) or
 * gr_daemon_ctl_sigwait.cpp (macOS, which has no sigtimedwait). */
#include "gr_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int g_ready_fd = -1; /* the pipe to the starter, while it waits */

int gr_ctl_send(long pid, gr_ctl_t ctl, char *err, size_t len)
{
    int sig = ctl == GR_CTL_RELOAD ? SIGHUP : ctl == GR_CTL_REOPEN_LOG ? SIGUSR1 : SIGTERM;
    if (pid <= 0 || kill((pid_t)pid, sig) != 0) {
        snprintf(err, len, "cannot signal process %ld: %s", pid, strerror(pid <= 0 ? ESRCH : errno));
        return -1;
    }
    return 0;
}

int gr_daemon_can_detach(char *why, size_t len)
{
    if (len > 0)
        why[0] = '\0';
    return 0;
}

int gr_daemon_detach(void)
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
    if (pid > 0) { /* the starter: wait for the child's word */
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
    g_ready_fd = p[1];
    return 0;
}

void gr_daemon_ready(int ok)
{
    if (g_ready_fd < 0)
        return;
    char b = ok ? 1 : 0;
    if (write(g_ready_fd, &b, 1) != 1)
        fprintf(stderr, "grocketd: cannot report start-up to the parent: %s\n", strerror(errno));
    close(g_ready_fd);
    g_ready_fd = -1;
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, STDERR_FILENO);
        close(devnull);
    }
}

int gr_pid_file_write(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f) == 0 ? 0 : -errno;
}

void gr_pid_file_remove(const char *path) { unlink(path); }

int64_t gr_daemon_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
