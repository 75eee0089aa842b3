/* gr_stats.h - the server's counters read by name (services->stat and
 * stat_list) and rendered as text (stats_render, reply_stats). gr_stats_t,
 * frozen at ABI 1.5, is filled by gr_stats_collect (gr_server.h); a counter
 * added since exists only here, by name. */
#ifndef GR_STATS_H
#define GR_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "grocket.h"

struct gr_server_t;

/* One counter: group NULL for a server-wide one. 0, or GR_EINVAL (and 0 in
 * *value) for a name this server does not have. */
int gr_stats_read(const struct gr_server_t *s, const char *group, const char *name, uint64_t *value);
/* The first cap counters into out; returns how many there are. The
 * server-wide ones come first, then each group's, one group after the
 * other. */
size_t gr_stats_list(const struct gr_server_t *s, gr_stat_t *out, size_t cap);

/* What a counter is (gr_stat_meta_t.kind). */
enum gr_stat_kind_t {
    GR_STAT_COUNTER,  /* only grows: Prometheus name ends in _total */
    GR_STAT_GAUGE,    /* a level now: goes up and down */
    GR_STAT_GAUGE_MS  /* a gauge in milliseconds, shown in seconds to Prometheus */
};

/* A counter's kind, Prometheus name and help, from its line in
 * gr_stats_list.h: the one place the renderers read them. */
typedef struct gr_stat_meta_t {
    const char *name;   /* as stat_list lists it */
    int kind;           /* gr_stat_kind_t */
    const char *metric; /* Prometheus name after "grocket_", before any _total */
    const char *help;   /* one line, no backslash or newline */
} gr_stat_meta_t;

/* The counter's line; NULL for a name gr_stats_list.h does not have (the
 * renderers show it as a counter with a stand-in help). */
const gr_stat_meta_t *gr_stats_meta(const char *name);

/* Every counter of s as text in format (GR_STATS_JSON,
 * GR_STATS_PROMETHEUS), with snprintf's contract: see stats_render in
 * grocket.h. gr_stats_render_list renders a given list (groups
 * contiguous, as gr_stats_list gives them). */
int gr_stats_render(const struct gr_server_t *s, int format, char *buf, size_t cap);
int gr_stats_render_list(const gr_stat_t *list, size_t n, int format, char *buf, size_t cap);

#endif
