/* gr_config_value.h - the value grammars of the configuration, shared by
 * the server's keys, a module's declared keys and the services. Each
 * returns 0 or GR_EINVAL and leaves *out alone on error. */
#ifndef GR_CONFIG_VALUE_H
#define GR_CONFIG_VALUE_H

#include <stddef.h>
#include <stdint.h>

/* Decimal, optional sign, nothing else: no blanks, no suffix, no 0x. */
int gr_parse_int(const char *s, int64_t *out);
/* true/false, yes/no, on/off, 1/0, any case. */
int gr_parse_bool(const char *s, int *out);
/* Bytes: a decimal count, optionally followed by k, m or g (any case;
 * times 1024, 1024^2, 1024^3). No sign. */
int gr_parse_size(const char *s, int64_t *out);
/* A thread count: an integer, or "auto" (any case) for cpus, the CPUs this
 * process may run on. */
int gr_parse_threads(const char *s, int cpus, int64_t *out);

/* ASCII case-insensitive comparison of at most n characters, as
 * strncasecmp (POSIX, not standard C) would do; 0 when equal. */
int gr_config_ncasecmp(const char *a, const char *b, size_t n);

#endif
