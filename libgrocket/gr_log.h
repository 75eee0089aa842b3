/* gr_log.h - the process log: level-filtered, one line per call, to stderr
 * or a file. Thread-safe (one write(2) per line). */
#ifndef GR_LOG_H
#define GR_LOG_H

#include "grocket.h"

/* Set the minimum level written (GR_LOG_*). */
void gr_log_set_level(int level);
int gr_log_get_level(void);
/* Write to path (append) instead of stderr; NULL or "" returns to stderr.
 * Returns 0 or -errno. */
int gr_log_open(const char *path);
void gr_log_close(void);

void gr_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse "debug", "info", "warn", "error"; -1 when unknown. */
int gr_log_level_parse(const char *s);

#define GR_DEBUG(...) do { if (gr_log_get_level() <= GR_LOG_DEBUG) gr_log(GR_LOG_DEBUG, __VA_ARGS__); } while (0)
#define GR_INFO(...) gr_log(GR_LOG_INFO, __VA_ARGS__)
#define GR_WARN(...) gr_log(GR_LOG_WARN, __VA_ARGS__)
#define GR_ERROR(...) gr_log(GR_LOG_ERROR, __VA_ARGS__)

#endif
