/* gr_daemon_ctl_sigwait.cpp - grocketd's control signals on a system
 * without sigtimedwait (macOS): blocked in every thread by gr_ctl_block as
 * elsewhere; one helper thread takes them with sigwait(2) and writes each
 * to a pipe, and gr_ctl_wait waits on the pipe with poll(2), which has the
 * time-out that sigwait lacks. sigwait, pipe, poll and pthreads are POSIX,
 * so this file builds on Linux too: the kqueue build there (the BSD
 * family's stand-in, on the tests' kqueue shim) uses it, and the
 * integration tests' signals to grocketd go through it. */
#include "gr_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sigset_t g_ctl_signals;
static int g_pipe[2] = {-1, -1};     /* the helper writes [1], gr_ctl_wait reads [0] */
static pthread_once_t g_started = PTHREAD_ONCE_INIT;
static int g_start_err;              /* why the helper did not start; 0 when it runs */

int gr_ctl_block(void)
{
    sigemptyset(&g_ctl_signals);
    sigaddset(&g_ctl_signals, SIGTERM);
    sigaddset(&g_ctl_signals, SIGINT);
    sigaddset(&g_ctl_signals, SIGHUP);
    sigaddset(&g_ctl_signals, SIGUSR1);
    /* Every thread started later inherits the mask, the helper included:
     * the signals stay pending for its sigwait and are never delivered
     * (a default action would end the process). */
    return -pthread_sigmask(SIG_BLOCK, &g_ctl_signals, NULL);
}

/* The helper: each control signal, as one byte, into the pipe. */
static void *take_signals(void *arg)
{
    (void)arg;
    for (;;) {
        int sig;
        if (sigwait(&g_ctl_signals, &sig) != 0)
            continue;
        unsigned char b = (unsigned char)sig;
        while (write(g_pipe[1], &b, 1) < 0 && errno == EINTR) {
        }
    }
    return NULL;
}

/* Started by the first gr_ctl_wait, not by gr_ctl_block: grocketd detaches
 * (fork) between the two, and a fork keeps only the thread that called it.
 * Signals that arrive before then stay pending and are taken at once. */
static void start_helper(void)
{
    if (pipe(g_pipe) != 0) {
        g_start_err = errno;
        return;
    }
    fcntl(g_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(g_pipe[1], F_SETFD, FD_CLOEXEC);
    pthread_attr_t attr;
    pthread_t t;
    int rc = pthread_attr_init(&attr);
    if (rc == 0)
        rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (rc == 0)
        rc = pthread_create(&t, &attr, take_signals, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        g_start_err = rc;
        fprintf(stderr, "grocketd: cannot start the signal thread: %s\n", strerror(rc));
    }
}

/* Without the helper (no thread could start): sigwait when there is no
 * time-out, else look for a pending signal every few milliseconds. */
static int wait_without_helper(int timeout_ms, int *sig)
{
    if (timeout_ms < 0)
        return sigwait(&g_ctl_signals, sig) == 0;
    for (int waited = 0;; waited += 5) {
        sigset_t pending;
        sigpending(&pending);
        for (int s = 1; s < 32; s++)
            if (sigismember(&g_ctl_signals, s) && sigismember(&pending, s))
                return sigwait(&g_ctl_signals, sig) == 0;
        if (waited >= timeout_ms)
            return 0;
        poll(NULL, 0, 5);
    }
}

gr_ctl_t gr_ctl_wait(int timeout_ms, char *what, size_t len)
{
    pthread_once(&g_started, start_helper);
    int sig;
    if (g_start_err != 0) {
        if (!wait_without_helper(timeout_ms, &sig))
            return GR_CTL_NONE;
    } else {
        struct pollfd p = {g_pipe[0], POLLIN, 0};
        unsigned char b;
        if (poll(&p, 1, timeout_ms) <= 0 || read(g_pipe[0], &b, 1) != 1)
            return GR_CTL_NONE; /* time-out, or EINTR */
        sig = b;
    }
    if (what && len)
        snprintf(what, len, "signal %d (%s)", sig, strsignal(sig));
    switch (sig) {
    case SIGHUP: return GR_CTL_RELOAD;
    case SIGUSR1: return GR_CTL_REOPEN_LOG;
    default: return GR_CTL_STOP;
    }
}
