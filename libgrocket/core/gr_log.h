/* gr_log.h - the process log: level-filtered, one line per call, to stderr
 * or a file. Thread-safe (one write(2) per line), also while the file is
 * switched or reopened. */
#ifndef GR_LOG_H
#define GR_LOG_H

#include <stdarg.h>

#include "grocket.h"

/* Set the minimum level written (GR_LOG_*). */
void gr_log_set_level(int level);
int gr_log_get_level(void);
/* Write to path (append) instead of stderr; NULL or "" returns to stderr.
 * Returns 0 or -errno (the log then stays where it was). Safe while other
 * threads log: each line goes whole to the old or the new file. */
int gr_log_open(const char *path);
/* Open the log file's path again (logrotate renamed the file: a new one is
 * created). 0 (also when logging to stderr) or -errno, the old file then
 * staying the log. Safe while other threads log. */
int gr_log_reopen(void);
/* The path of the log file into buf ("" for stderr); returns buf. */
const char *gr_log_path(char *buf, size_t len);
/* Back to stderr; the file is closed once no thread writes to it. */
void gr_log_close(void);

void gr_log(int level, const char *fmt, ...) GR_PRINTF_FORMAT(2, 3);
void gr_logv(int level, const char *fmt, va_list ap) GR_PRINTF_FORMAT(2, 0);

/* Parse "debug", "info", "warn", "error"; -1 when unknown. */
int gr_log_level_parse(const char *s);

#define GR_DEBUG(...) do { if (gr_log_get_level() <= GR_LOG_DEBUG) gr_log(GR_LOG_DEBUG, __VA_ARGS__); } while (0)
#define GR_INFO(...) gr_log(GR_LOG_INFO, __VA_ARGS__)
#define GR_WARN(...) gr_log(GR_LOG_WARN, __VA_ARGS__)
#define GR_ERROR(...) gr_log(GR_LOG_ERROR, __VA_ARGS__)

#endif
