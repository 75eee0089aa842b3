/* gr_log.cpp - the process log: a level filter and one write(2) per line to
 * stderr or an appended file.
 *
 * Lines look like "2026-11-21 06:40:01.123 [INFO] message\n". Time stamps
 * are UTC: gr_utc_split needs no time-zone state, while localtime_r may take
 * glibc's time-zone lock and re-read TZ, and UTC lines from several hosts
 * sort together.
 *
 * No locks for writers. Each line is formatted into a stack buffer and
 * handed to the kernel in one write(2): O_APPEND writes to a regular file
 * are atomic, and writes of at most PIPE_BUF (4096) bytes to a pipe are
 * too, so lines from different threads never interleave. The buffer is
 * therefore 4096 bytes and longer messages are cut. */
#include "gr_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <atomic>
#include <mutex>

#include "gr_str.h"
#include "gr_clock.h"
#include "gr_file.h"

/* Longest line, newline included; PIPE_BUF keeps pipe writes atomic. */
#define GR_LOG_LINE_MAX 4096

static std::atomic<int> g_level{GR_LOG_INFO};      /* lowest level written */

/* Where lines go: a sink is one descriptor and the count of threads writing
 * to it right now. Slot 0 is stderr (never closed); slots 1 and 2 take
 * turns holding the log file, so a reopen (logrotate's SIGUSR1) can open
 * the new file, publish it, and close the old one only once no thread is
 * still in the middle of a write(2) to it:
 *
 *   writer:  s = current; s->users++; if current != s: undo, retry;
 *            write(s->fd); s->users--
 *   reopen:  open new fd into the free slot; old = exchange(current, new);
 *            wait until old->users == 0; close(old->fd)
 *
 * A writer's increment either comes before the exchange (the reopen waits
 * for it) or the writer sees the new sink on its re-check (seq_cst makes
 * the two orders the only ones). No line is lost or torn: each goes whole
 * to the old file or to the new one, and no descriptor is used after its
 * close. A writer that found a slot just retired only touches its counter,
 * never its descriptor, so slots can be reused. */
typedef struct gr_log_sink_t {
    std::atomic<gr_file_t> fd;
    std::atomic<int> users;
} gr_log_sink_t;

static gr_log_sink_t g_sinks[3] = {{{GR_NO_FILE}, {0}}, {{GR_NO_FILE}, {0}}, {{GR_NO_FILE}, {0}}};
static std::atomic<gr_log_sink_t *> g_sink{&g_sinks[0]};
/* Open, reopen and close take turns (they are rare: start-up, signals);
 * writers never take this. */
static std::mutex g_switch_lock;
static char g_path[4096]; /* the file open now, "" for stderr; under the lock */

static const char *level_name(int level)
{
    switch (level) {
    case GR_LOG_DEBUG: return "DEBUG";
    case GR_LOG_INFO: return "INFO";
    case GR_LOG_WARN: return "WARN";
    case GR_LOG_ERROR: return "ERROR";
    default: return "?";
    }
}

void gr_log_set_level(int level)
{
    g_level.store(level, std::memory_order_relaxed);
}

int gr_log_get_level(void)
{
    return g_level.load(std::memory_order_relaxed);
}

/* Make fd the sink lines go to (GR_NO_FILE: stderr), then close the file
 * it replaces once its last writer is done. Under g_switch_lock. */
static void switch_sink(gr_file_t fd)
{
    gr_log_sink_t *old = g_sink.load(std::memory_order_seq_cst);
    gr_log_sink_t *next = &g_sinks[0];
    if (fd != GR_NO_FILE) {
        next = old == &g_sinks[1] ? &g_sinks[2] : &g_sinks[1];
        next->fd.store(fd, std::memory_order_relaxed);
    }
    g_sink.exchange(next, std::memory_order_seq_cst);
    if (old == &g_sinks[0])
        return;
    while (old->users.load(std::memory_order_acquire) != 0)
        gr_thread_yield(); /* a write in progress: one line, soon done */
    gr_file_close(old->fd.load(std::memory_order_relaxed));
    old->fd.store(GR_NO_FILE, std::memory_order_relaxed);
}

int gr_log_open(const char *path)
{
    if (path == NULL || path[0] == '\0') {
        gr_log_close();
        return 0;
    }
    if (strlen(path) >= sizeof g_path)
        return -ENAMETOOLONG;
    gr_file_t fd;
    int rc = gr_file_open_append(path, &fd);
    if (rc < 0)
        return rc; /* the old log stays */
    std::lock_guard<std::mutex> hold(g_switch_lock);
    switch_sink(fd);
    snprintf(g_path, sizeof g_path, "%s", path);
    return 0;
}

int gr_log_reopen(void)
{
    std::lock_guard<std::mutex> hold(g_switch_lock);
    int rc = 0;
    if (g_path[0]) {
        gr_file_t fd;
        rc = gr_file_open_append(g_path, &fd);
        if (rc == 0)
            switch_sink(fd); /* else the old file stays the log: nothing is lost */
    }
    return rc;
}

const char *gr_log_path(char *buf, size_t len)
{
    std::lock_guard<std::mutex> hold(g_switch_lock);
    snprintf(buf, len, "%s", g_path);
    return buf;
}

void gr_log_close(void)
{
    std::lock_guard<std::mutex> hold(g_switch_lock);
    if (g_path[0])
        switch_sink(GR_NO_FILE);
    g_path[0] = '\0';
}

int gr_log_level_parse(const char *s)
{
    if (s == NULL)
        return -1;
    if (gr_strcasecmp(s, "debug") == 0)
        return GR_LOG_DEBUG;
    if (gr_strcasecmp(s, "info") == 0)
        return GR_LOG_INFO;
    if (gr_strcasecmp(s, "warn") == 0)
        return GR_LOG_WARN;
    if (gr_strcasecmp(s, "error") == 0)
        return GR_LOG_ERROR;
    return -1;
}

void gr_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gr_logv(level, fmt, ap);
    va_end(ap);
}

void gr_logv(int level, const char *fmt, va_list ap)
{
    if (level < g_level.load(std::memory_order_relaxed))
        return;
    /* Callers often log right after a failed call and then look at errno
     * again (or pass it on); logging must not change it. */
    int saved_errno = errno;

    char line[GR_LOG_LINE_MAX];
    gr_utc_t t;
    gr_utc_now(&t);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02d %02d:%02d:%02d.%03d [%s] ", t.year, t.month, t.day,
                     t.hour, t.minute, t.second, t.usec / 1000, level_name(level));
    if (n < 0)
        n = 0;

    /* Leave room for the newline. */
    int m = vsnprintf(line + n, sizeof(line) - 1 - (size_t)n, fmt, ap);
    size_t len = (size_t)n;
    if (m > 0)
        len += (size_t)m < sizeof(line) - 1 - (size_t)n ? (size_t)m : sizeof(line) - 2 - (size_t)n;
    /* A caller's own trailing newline would make an empty line. */
    if (len > (size_t)n && line[len - 1] == '\n')
        len--;
    line[len++] = '\n';

    gr_log_sink_t *sink = g_sink.load(std::memory_order_seq_cst);
    for (;;) {
        sink->users.fetch_add(1, std::memory_order_seq_cst);
        gr_log_sink_t *now = g_sink.load(std::memory_order_seq_cst);
        if (now == sink)
            break;
        sink->users.fetch_sub(1, std::memory_order_release); /* switched meanwhile */
        sink = now;
    }
    gr_file_t fd = sink->fd.load(std::memory_order_relaxed);
    /* A failing log has nowhere to report to; the line is dropped. */
    gr_file_write_all(fd == GR_NO_FILE ? gr_file_stderr() : fd, line, len);
    sink->users.fetch_sub(1, std::memory_order_release);
    errno = saved_errno;
}
