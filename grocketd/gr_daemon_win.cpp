/* gr_daemon_win.cpp - gr_daemon.h on Windows: console control events and
 * named events as the control events, the pid file, the clock.
 *
 * Ctrl-C, Ctrl-Break, closing the console window, logging off and shutting
 * down all mean "stop gracefully", as SIGINT and SIGTERM do on POSIX (a
 * second one during the grace period: at once). Windows runs a console
 * control handler on a thread of its own; it records the event and sets an
 * event object the main thread waits on in gr_ctl_wait, so the main thread
 * does the stopping, as with sigtimedwait.
 *
 * `grocketd -s stop|reload|reopen` (what kill -TERM, -HUP and -USR1 do on
 * POSIX) sets one of three named events the daemon made for its own pid:
 * Local\grocketd-PID-stop, -reload and -reopen (Local\: the caller's
 * session, where an ordinary user may create them).
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

static HANDLE g_ctl_event;            /* set when a console event is pending */
static HANDLE g_named[3];             /* Local\grocketd-PID-stop, -reload, -reopen */
static const wchar_t *const g_named_what[3] = {L"stop", L"reload", L"reopen"};
static const gr_ctl_t g_named_ctl[3] = {GR_CTL_STOP, GR_CTL_RELOAD, GR_CTL_REOPEN_LOG};
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

static void named_event_name(wchar_t *buf, size_t len, unsigned long pid, int i)
{
    _snwprintf(buf, len, L"Local\\grocketd-%lu-%ls", pid, g_named_what[i]);
    buf[len - 1] = L'\0';
}

int gr_ctl_block(void)
{
    g_ctl_event = CreateEventW(NULL, FALSE, FALSE, NULL); /* auto-reset */
    if (g_ctl_event == NULL || !SetConsoleCtrlHandler(on_console, TRUE)) {
        fprintf(stderr, "grocketd: cannot take console control events: error %lu\n", GetLastError());
        return -EINVAL;
    }
    for (int i = 0; i < 3; i++) {
        wchar_t name[64];
        named_event_name(name, 64, GetCurrentProcessId(), i);
        g_named[i] = CreateEventW(NULL, FALSE, FALSE, name); /* auto-reset */
        if (g_named[i] == NULL) /* grocketd -s will not reach this one: said, not fatal */
            fprintf(stderr, "grocketd: cannot make the control event %ls: error %lu\n", name, GetLastError());
    }
    return 0;
}

int gr_ctl_send(long pid, gr_ctl_t ctl, char *err, size_t len)
{
    int i = ctl == GR_CTL_RELOAD ? 1 : ctl == GR_CTL_REOPEN_LOG ? 2 : 0;
    wchar_t name[64];
    named_event_name(name, 64, (unsigned long)pid, i);
    HANDLE h = OpenEventW(EVENT_MODIFY_STATE, FALSE, name);
    if (h == NULL) {
        snprintf(err, len, "no grocketd with process id %ld here (event %ls: error %lu)", pid, name, GetLastError());
        return -1;
    }
    BOOL ok = SetEvent(h);
    DWORD code = GetLastError();
    CloseHandle(h);
    if (!ok) {
        snprintf(err, len, "cannot set event %ls: error %lu", name, code);
        return -1;
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
    HANDLE wait[4] = {g_ctl_event};
    int idx[4] = {-1};
    DWORD n = 1;
    for (int i = 0; i < 3; i++)
        if (g_named[i] != NULL) {
            idx[n] = i;
            wait[n++] = g_named[i];
        }
    DWORD rc = WaitForMultipleObjects(n, wait, FALSE, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
    if (rc < WAIT_OBJECT_0 || rc >= WAIT_OBJECT_0 + n)
        return GR_CTL_NONE;
    if (rc == WAIT_OBJECT_0) {
        gr_ctl_t ctl = (gr_ctl_t)g_ctl_pending.exchange(GR_CTL_NONE, std::memory_order_acquire);
        if (ctl != GR_CTL_NONE)
            snprintf(what, len, "%s", console_event_name(g_ctl_type.load(std::memory_order_relaxed)));
        return ctl;
    }
    int i = idx[rc - WAIT_OBJECT_0];
    snprintf(what, len, "grocketd -s %ls", g_named_what[i]);
    return g_named_ctl[i];
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
