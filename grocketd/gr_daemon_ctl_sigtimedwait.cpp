/* gr_daemon_ctl_sigtimedwait.cpp - grocketd's control signals where the
 * system has sigtimedwait (Linux, FreeBSD): blocked in every thread by
 * gr_ctl_block, taken synchronously by the main thread, which waits with a
 * time-out while it drains connections. */
#include "gr_daemon.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static sigset_t g_ctl_signals;

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
