/* gr_stats.cpp - the counters every thread keeps for itself, summed per
 * thread group: by name for services->stat and stat_list, into the frozen
 * gr_stats_t for services->stats, and as the totals logged at stop; and
 * each counter's kind and help, for the renderers (gr_stats_render.cpp).
 *
 * Adding a counter: its line in gr_stats_list.h. It is then a field of
 * gr_counters_t, listed, read by name, logged at stop and rendered as JSON
 * and for Prometheus; gr_stats_t keeps its ABI 1.5 layout, so modules built
 * against any header keep working. */
#include <stdio.h>
#include <string.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_server.h"
#include "gr_stats.h"

/* The counters' indexes, in gr_stats_list.h's order. */
#define GR_STAT_ENUM(name, src, totals, kind, metric, help) GR_STAT_##name,
enum gr_group_stat_t { GR_GROUP_STATS(GR_STAT_ENUM) GR_STAT_PER_GROUP };
#undef GR_STAT_ENUM
#define GR_SRV_ENUM(name, src, totals, kind, metric, help) GR_SRV_##name,
enum gr_server_stat_t { GR_SERVER_STATS(GR_SRV_ENUM) GR_SRV_COUNT };
#undef GR_SRV_ENUM

#define GR_STAT_NAME(name, src, totals, kind, metric, help) #name,
static const char *const group_stat_names[GR_STAT_PER_GROUP] = {GR_GROUP_STATS(GR_STAT_NAME)};
static const char *const server_stat_names[GR_SRV_COUNT] = {GR_SERVER_STATS(GR_STAT_NAME)};
#undef GR_STAT_NAME
#define GR_STAT_TOTALS(name, src, totals, kind, metric, help) totals,
static const unsigned char group_stat_totals[GR_STAT_PER_GROUP] = {GR_GROUP_STATS(GR_STAT_TOTALS)};
static const unsigned char server_stat_totals[GR_SRV_COUNT] = {GR_SERVER_STATS(GR_STAT_TOTALS)};
#undef GR_STAT_TOTALS

/* Adds a SUM counter's field of c into v[index]; an OWN one is set by the
 * caller. */
#define GR_STAT_SUM(prefix, name, src, totals, kind, metric, help) GR_STAT_SUM_##src(prefix, name)
#define GR_STAT_SUM_SUM(prefix, name) v[prefix##name] += c->name.load(std::memory_order_relaxed);
#define GR_STAT_SUM_OWN(prefix, name)

/* The groups under their public names, in gr_stats_t's order. */
static const struct {
    const char *name;
    int group; /* gr_group_t */
} public_groups[] = {{"tcp_accept", GR_GROUP_ACCEPT}, {"tcp_in", GR_GROUP_IN},   {"worker", GR_GROUP_WORKER},
                     {"tcp_out", GR_GROUP_OUT},       {"udp_in", GR_GROUP_UDP_IN}, {"udp_out", GR_GROUP_UDP_OUT}};
#define GR_PUBLIC_GROUPS (sizeof public_groups / sizeof public_groups[0])

static void group_values(const gr_server_t *s, int g, uint64_t v[GR_STAT_PER_GROUP])
{
    memset(v, 0, GR_STAT_PER_GROUP * sizeof v[0]);
    if (!s->groups[g])
        return;
    v[GR_STAT_threads] = (uint64_t)s->counts[g];
    for (int i = 0; i < s->counts[g]; i++) {
        const gr_counters_t *c = &s->groups[g][i].counters;
#define GR_GROUP_SUM(...) GR_STAT_SUM(GR_STAT_, __VA_ARGS__)
        GR_GROUP_STATS(GR_GROUP_SUM)
#undef GR_GROUP_SUM
    }
}

static void server_values(const gr_server_t *s, uint64_t v[GR_SRV_COUNT])
{
    memset(v, 0, GR_SRV_COUNT * sizeof v[0]);
    v[GR_SRV_uptime_ms] = (uint64_t)(gr_clock_ms() - s->started_ms);
    v[GR_SRV_replies_late_dropped] = s->replies_late_dropped.load(std::memory_order_relaxed);
    if (!s->groups[GR_GROUP_IN])
        return;
    for (int i = 0; i < s->counts[GR_GROUP_IN]; i++) {
        const gr_counters_t *c = &s->groups[GR_GROUP_IN][i].counters;
#define GR_SERVER_SUM(...) GR_STAT_SUM(GR_SRV_, __VA_ARGS__)
        GR_SERVER_STATS(GR_SERVER_SUM)
#undef GR_SERVER_SUM
    }
}

/* gr_stats_t's members, frozen at ABI 1.5 whatever the lists above become. */
#define GR_STATS_GROUP_FROZEN(X) \
    X(threads) X(connections_open) X(replies_waiting) X(accepted) X(refused) X(refused_limit) X(accept_errors) \
    X(closed) X(packages) X(processed) X(dropped) X(bad) X(too_large) X(timeouts) X(output_limit) X(io_errors) \
    X(read_pauses) X(bytes_in) X(bytes_out) X(udp_in) X(udp_out) X(udp_bad) X(udp_truncated) X(udp_dropped) \
    X(udp_send_failed) X(udp_kernel_drops)
#define GR_STATS_SERVER_FROZEN(X) X(uptime_ms) X(lingering) X(lingered) X(linger_cut) X(linger_bytes)

void gr_stats_collect(const gr_server_t *s, gr_stats_t *out)
{
    gr_stats_group_t *groups[GR_PUBLIC_GROUPS] = {&out->tcp_accept, &out->tcp_in, &out->worker,
                                                  &out->tcp_out,    &out->udp_in, &out->udp_out};
    uint64_t v[GR_STAT_PER_GROUP], sv[GR_SRV_COUNT];
    for (size_t i = 0; i < GR_PUBLIC_GROUPS; i++) {
        group_values(s, public_groups[i].group, v);
#define GR_STAT_COPY(name) groups[i]->name = v[GR_STAT_##name];
        GR_STATS_GROUP_FROZEN(GR_STAT_COPY)
#undef GR_STAT_COPY
    }
    server_values(s, sv);
#define GR_SRV_COPY(name) out->name = sv[GR_SRV_##name];
    GR_STATS_SERVER_FROZEN(GR_SRV_COPY)
#undef GR_SRV_COPY
}

/* Each counter's kind, Prometheus name and help (gr_stats_list.h). */
#define GR_STAT_META(name, src, totals, kind, metric, help) \
    {#name, GR_STAT_##kind, sizeof #metric > 1 ? #metric : #name, help},
static const gr_stat_meta_t stat_meta[] = {GR_SERVER_STATS(GR_STAT_META) GR_GROUP_STATS(GR_STAT_META)};
#undef GR_STAT_META

const gr_stat_meta_t *gr_stats_meta(const char *name)
{
    for (size_t i = 0; i < sizeof stat_meta / sizeof stat_meta[0]; i++)
        if (strcmp(stat_meta[i].name, name) == 0)
            return &stat_meta[i];
    return NULL;
}

static int index_of(const char *const *names, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int gr_stats_read(const gr_server_t *s, const char *group, const char *name, uint64_t *value)
{
    *value = 0;
    if (!name)
        return GR_EINVAL;
    if (!group) {
        int k = index_of(server_stat_names, GR_SRV_COUNT, name);
        if (k < 0)
            return GR_EINVAL;
        uint64_t sv[GR_SRV_COUNT];
        server_values(s, sv);
        *value = sv[k];
        return GR_OK;
    }
    int k = index_of(group_stat_names, GR_STAT_PER_GROUP, name);
    for (size_t i = 0; k >= 0 && i < GR_PUBLIC_GROUPS; i++) {
        if (strcmp(public_groups[i].name, group) != 0)
            continue;
        uint64_t v[GR_STAT_PER_GROUP];
        group_values(s, public_groups[i].group, v);
        *value = v[k];
        return GR_OK;
    }
    return GR_EINVAL;
}

size_t gr_stats_list(const gr_server_t *s, gr_stat_t *out, size_t cap)
{
    size_t total = GR_SRV_COUNT + GR_PUBLIC_GROUPS * GR_STAT_PER_GROUP, n = 0;
    uint64_t v[GR_STAT_PER_GROUP], sv[GR_SRV_COUNT];
    if (cap == 0)
        return total;
    server_values(s, sv);
    for (int k = 0; k < GR_SRV_COUNT && n < cap; k++, n++)
        out[n] = gr_stat_t{NULL, server_stat_names[k], sv[k]};
    for (size_t i = 0; i < GR_PUBLIC_GROUPS && n < cap; i++) {
        group_values(s, public_groups[i].group, v);
        for (int k = 0; k < GR_STAT_PER_GROUP && n < cap; k++, n++)
            out[n] = gr_stat_t{public_groups[i].name, group_stat_names[k], v[k]};
    }
    return total;
}

/* " name=value" for each counter of the list shown in the totals, from
 * line[n]; the new length (past cap when cut). */
static size_t append_totals(char *line, size_t cap, size_t n, const char *const *names, const unsigned char *in,
                            const uint64_t *v, int count)
{
    for (int k = 0; k < count && n < cap; k++)
        if (in[k])
            n += (size_t)snprintf(line + n, cap - n, " %s=%llu", names[k], (unsigned long long)v[k]);
    return n;
}

void gr_stats_log_totals(const gr_server_t *s)
{
    uint64_t t[GR_STAT_PER_GROUP] = {0}, v[GR_STAT_PER_GROUP], sv[GR_SRV_COUNT];
    for (int g = 0; g < GR_GROUP_COUNT; g++) {
        group_values(s, g, v);
        for (int k = 0; k < GR_STAT_PER_GROUP; k++)
            t[k] += v[k];
    }
    server_values(s, sv);
    char line[1024];
    size_t n = append_totals(line, sizeof line, 0, group_stat_names, group_stat_totals, t, GR_STAT_PER_GROUP);
    append_totals(line, sizeof line, n, server_stat_names, server_stat_totals, sv, GR_SRV_COUNT);
    GR_INFO("totals:%s", line);
}
