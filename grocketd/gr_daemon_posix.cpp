/* gr_daemon_posix.cpp - gr_daemon.h on POSIX systems: the control signals
 * blocked and taken with sigtimedwait, fork and setsid, the pid file. */
#include "gr_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sigset_t g_ctl_signals;
static int g_ready_fd = -1; /* the pipe to the starter, while it waits */

int gr_ctl_block(void)
{
    sigemptyset(&g_ctl_signals);
    sigaddset(&g_ctl_signals, SIGTERM);
    sigaddset(&g_ctl_signals, SIGINT);
    sigaddset(&g_ctl_signals, SIGHUP);
    sigaddset(&g_ctl_signals, SIGUSR1);
    /* Every thread started later inherits the mask: only gr_ctl_wait
     * takes these, synchronously, on the main thread. */
    return -pthread_sigmask(SIG_BLOCK, &g_ctl_signals, NULL);
}

gr_ctl_t gr_ctl_wait(int timeout_ms, char *what, size_t len)
{
    int sig;
    if (timeout_ms < 0) {
        if (sigwait(&g_ctl_signals, &sig) != 0)
            return GR_CTL_NONE;
    } else {
        struct timespec t = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
        sig = sigtimedwait(&g_ctl_signals, NULL, &t);
        if (sig < 0)
            return GR_CTL_NONE; /* EAGAIN (time-out) or EINTR */
    }
    if (what && len)
        snprintf(what, len, "signal %d (%s)", sig, strsignal(sig));
    switch (sig) {
    case SIGHUP: return GR_CTL_RELOAD;
    case SIGUSR1: return GR_CTL_REOPEN_LOG;
    default: return GR_CTL_STOP;
    }
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
