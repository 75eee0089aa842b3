/* gr_daemon_win.cpp - gr_daemon.h on Windows: console control events as
 * the control events, the pid file, the clock.
 *
 * Ctrl-C, Ctrl-Break, closing the console window, logging off and shutting
 * down all mean "stop gracefully", as SIGINT and SIGTERM do on POSIX (a
 * second one during the grace period: at once). Windows runs a console
 * control handler on a thread of its own; it records the event and sets an
 * event object the main thread waits on in gr_ctl_wait, so the main thread
 * does the stopping, as with sigtimedwait. There is no reload or log-reopen
 * event from a console (a later `grocketd -s` will signal them through
 * named events).
 *
 * No detaching: Windows has no fork, and a program that wants to run in
 * the background runs as a service (not written yet), so `daemon = true`
 * is refused. */
#include "gr_daemon.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <atomic>

static HANDLE g_ctl_event;            /* set when an event is pending */
static std::atomic<int> g_ctl_pending{GR_CTL_NONE};
static std::atomic<DWORD> g_ctl_type{0}; /* the console event, for its name */

static BOOL WINAPI on_console(DWORD type)
{
    switch (type) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
        break;
    default:
        return FALSE;
    }
    g_ctl_type.store(type, std::memory_order_relaxed);
    g_ctl_pending.store(GR_CTL_STOP, std::memory_order_release);
    SetEvent(g_ctl_event);
    if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT) {
        /* Windows ends the process as soon as this handler returns (and
         * after a few seconds in any case): hold it so the main thread's
         * graceful stop gets that time. The process's exit ends this wait. */
        Sleep(INFINITE);
    }
    return TRUE;
}

int gr_ctl_block(void)
{
    g_ctl_event = CreateEventW(NULL, FALSE, FALSE, NULL); /* auto-reset */
    if (g_ctl_event == NULL || !SetConsoleCtrlHandler(on_console, TRUE)) {
        fprintf(stderr, "grocketd: cannot take console control events: error %lu\n", GetLastError());
        return -EINVAL;
    }
    return 0;
}

static const char *console_event_name(DWORD type)
{
    switch (type) {
    case CTRL_C_EVENT: return "Ctrl-C";
    case CTRL_BREAK_EVENT: return "Ctrl-Break";
    case CTRL_CLOSE_EVENT: return "console closed";
    case CTRL_LOGOFF_EVENT: return "user logging off";
    case CTRL_SHUTDOWN_EVENT: return "system shutting down";
    default: return "console event";
    }
}

gr_ctl_t gr_ctl_wait(int timeout_ms, char *what, size_t len)
{
    if (len > 0)
        what[0] = '\0';
    if (g_ctl_event == NULL) {
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return GR_CTL_NONE;
    }
    DWORD rc = WaitForSingleObject(g_ctl_event, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
    if (rc != WAIT_OBJECT_0)
        return GR_CTL_NONE;
    gr_ctl_t ctl = (gr_ctl_t)g_ctl_pending.exchange(GR_CTL_NONE, std::memory_order_acquire);
    if (ctl != GR_CTL_NONE)
        snprintf(what, len, "%s", console_event_name(g_ctl_type.load(std::memory_order_relaxed)));
    return ctl;
}

int gr_daemon_can_detach(char *why, size_t len)
{
    snprintf(why, len, "Windows has no detaching (no fork): set daemon = false and run grocketd.exe from a console "
                       "or under a service manager");
    return -1;
}

int gr_daemon_detach(void)
{
    char why[200];
    gr_daemon_can_detach(why, sizeof why);
    fprintf(stderr, "grocketd: daemon = true: %s\n", why);
    return -1;
}

void gr_daemon_ready(int ok) { (void)ok; }

/* The path as UTF-16 for the wide file calls: 0 or -errno. */
static int wide_path(const char *path, wchar_t *w, int len)
{
    return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, len) > 0 ? 0 : -EINVAL;
}

int gr_pid_file_write(const char *path)
{
    wchar_t w[MAX_PATH * 4];
    if (wide_path(path, w, MAX_PATH * 4) != 0)
        return -EINVAL;
    FILE *f = _wfopen(w, L"w");
    if (!f)
        return -errno;
    fprintf(f, "%lu\n", (unsigned long)GetCurrentProcessId());
    return fclose(f) == 0 ? 0 : -errno;
}

void gr_pid_file_remove(const char *path)
{
    wchar_t w[MAX_PATH * 4];
    if (wide_path(path, w, MAX_PATH * 4) == 0)
        DeleteFileW(w);
}

int64_t gr_daemon_clock_ms(void) { return (int64_t)GetTickCount64(); }
