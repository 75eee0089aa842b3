/* gr_daemon.h - what grocketd needs of the operating system, with no
 * system header: control events (stop, reload, reopen the log) taken
 * synchronously by the main thread, detaching into the background, the pid
 * file, a monotonic clock. One file per system, chosen by CMake
 * (gr_daemon_posix.cpp: signals, fork; Windows will map console control
 * events and run as a service). */
#ifndef GR_DAEMON_H
#define GR_DAEMON_H

#include <stddef.h>
#include <stdint.h>

typedef enum gr_ctl_t {
    GR_CTL_NONE,       /* nothing before the time-out */
    GR_CTL_STOP,       /* SIGTERM, SIGINT */
    GR_CTL_RELOAD,     /* SIGHUP */
    GR_CTL_REOPEN_LOG  /* SIGUSR1 */
} gr_ctl_t;

/* Take the control events away from every thread started from now on, for
 * gr_ctl_wait; call before the server starts its threads. 0 or -errno. */
int gr_ctl_block(void);
/* Wait up to timeout_ms (-1: for ever) for a control event; what gets its
 * name for the log ("signal 15 (Terminated)"). */
gr_ctl_t gr_ctl_wait(int timeout_ms, char *what, size_t len);

/* Send ctl to the grocketd of process pid (grocketd -s): SIGTERM, SIGHUP or
 * SIGUSR1 on POSIX; on Windows the named event that process waits on
 * (Local\grocketd-PID-stop, -reload, -reopen). 0, or -1 with the reason
 * in err. */
int gr_ctl_send(long pid, gr_ctl_t ctl, char *err, size_t len);

/* Whether this system can detach (gr_daemon_detach): 0, or -1 with the
 * reason in why (Windows has no fork), so that `daemon = true` is refused
 * before anything starts, -t included. */
int gr_daemon_can_detach(char *why, size_t len);
/* Detach into the background. The caller goes on as the detached process;
 * the one that started it waits until gr_daemon_ready and exits with 0
 * when it said ok, 1 otherwise, so a failed start shows in its exit code.
 * 0, or -1 after a message on standard error. */
int gr_daemon_detach(void);
/* Tell the waiting starter how the start went; standard error then goes
 * nowhere (the log has it). */
void gr_daemon_ready(int ok);

/* Write this process's id to path; 0 or -errno. Remove it. */
int gr_pid_file_write(const char *path);
void gr_pid_file_remove(const char *path);

/* Monotonic milliseconds. */
int64_t gr_daemon_clock_ms(void);

#endif
