/* gr_log.cpp - the process log: a level filter and one write(2) per line to
 * stderr or an appended file.
 *
 * Lines look like "2026-11-21 06:40:01.123 [INFO] message\n". Time stamps
 * are UTC: gmtime_r needs no time-zone state, while localtime_r may take
 * glibc's time-zone lock and re-read TZ, and UTC lines from several hosts
 * sort together.
 *
 * No locks. Each line is formatted into a stack buffer and handed to the
 * kernel in one write(2): O_APPEND writes to a regular file are atomic, and
 * writes of at most PIPE_BUF (4096) bytes to a pipe are too, so lines from
 * different threads never interleave. The buffer is therefore 4096 bytes and
 * longer messages are cut. */
#include "gr_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

/* Longest line, newline included; PIPE_BUF keeps pipe writes atomic. */
#define GR_LOG_LINE_MAX 4096

static std::atomic<int> g_level{GR_LOG_INFO};      /* lowest level written */
/* Where lines go. Starts as stderr. The first gr_log_open stores its own fd
 * here and from then on that fd NUMBER never changes: a later open or close
 * swaps the file behind it with dup2, which the kernel does atomically, so a
 * thread that loaded the fd a moment ago never writes to a closed (or,
 * worse, reused) descriptor. The cost is one descriptor kept for life. */
static std::atomic<int> g_fd{STDERR_FILENO};

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

/* Point the fixed log fd at the file open as src; 0 or -errno. */
static int replace_log_fd(int fixed, int src)
{
    int rc;
    do {
        rc = dup2(src, fixed);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return -errno;
    /* dup2 drops close-on-exec; a module that runs a child must not inherit
     * the log. (dup3 would close the window, but is not in POSIX.) */
    fcntl(fixed, F_SETFD, FD_CLOEXEC);
    return 0;
}

int gr_log_open(const char *path)
{
    if (path == NULL || path[0] == '\0') {
        gr_log_close();
        return 0;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (fd <= STDERR_FILENO) {
        /* stdio was closed (a daemon) and the file got fd 0-2; move it up so
         * it cannot be mistaken for stderr below. */
        int high = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        int err = errno;
        close(fd);
        if (high < 0)
            return -err;
        fd = high;
    }

    int cur = g_fd.load(std::memory_order_acquire);
    if (cur == STDERR_FILENO) {
        /* First file: fd becomes the fixed log fd. A racing first open that
         * won the exchange keeps its fd and we swap our file in behind it. */
        if (g_fd.compare_exchange_strong(cur, fd, std::memory_order_acq_rel))
            return 0;
    }
    int rc = replace_log_fd(cur, fd);
    close(fd);
    return rc;
}

void gr_log_close(void)
{
    int cur = g_fd.load(std::memory_order_acquire);
    if (cur == STDERR_FILENO)
        return;
    /* Keep the fd number (see g_fd) but let it refer to stderr again; the
     * file itself is released once in-flight writes finish. If stderr is
     * closed (a daemon without one), the file simply stays the log. */
    replace_log_fd(cur, STDERR_FILENO);
}

int gr_log_level_parse(const char *s)
{
    if (s == NULL)
        return -1;
    if (strcasecmp(s, "debug") == 0)
        return GR_LOG_DEBUG;
    if (strcasecmp(s, "info") == 0)
        return GR_LOG_INFO;
    if (strcasecmp(s, "warn") == 0)
        return GR_LOG_WARN;
    if (strcasecmp(s, "error") == 0)
        return GR_LOG_ERROR;
    return -1;
}

void gr_log(int level, const char *fmt, ...)
{
    if (level < g_level.load(std::memory_order_relaxed))
        return;
    /* Callers often log right after a failed call and then look at errno
     * again (or pass it on); logging must not change it. */
    int saved_errno = errno;

    char line[GR_LOG_LINE_MAX];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02d %02d:%02d:%02d.%03ld [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (long)(ts.tv_nsec / 1000000), level_name(level));
    if (n < 0)
        n = 0;

    va_list ap;
    va_start(ap, fmt);
    /* Leave room for the newline. */
    int m = vsnprintf(line + n, sizeof(line) - 1 - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n;
    if (m > 0)
        len += (size_t)m < sizeof(line) - 1 - (size_t)n ? (size_t)m : sizeof(line) - 2 - (size_t)n;
    /* A caller's own trailing newline would make an empty line. */
    if (len > (size_t)n && line[len - 1] == '\n')
        len--;
    line[len++] = '\n';

    int fd = g_fd.load(std::memory_order_acquire);
    const char *p = line;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break; /* nowhere to report a failing log; drop the line */
        }
        p += w;
        len -= (size_t)w;
    }
    errno = saved_errno;
}
