/* gr_stats.h - the server's counters read by name (services->stat and
 * stat_list). gr_stats_t, frozen at ABI 1.5, is filled by gr_stats_collect
 * (gr_server.h); a counter added since exists only here, by name. */
#ifndef GR_STATS_H
#define GR_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "grocket.h"

struct gr_server_t;

/* One counter: group NULL for a server-wide one. 0, or GR_EINVAL (and 0 in
 * *value) for a name this server does not have. */
int gr_stats_read(const struct gr_server_t *s, const char *group, const char *name, uint64_t *value);
/* The first cap counters into out; returns how many there are. */
size_t gr_stats_list(const struct gr_server_t *s, gr_stat_t *out, size_t cap);

#endif
