/* gr_stats.cpp - the counters every thread keeps for itself, summed per
 * thread group for services->stats and for the totals logged at stop. */
#include <stdio.h>
#include <string.h>

#include "gr_log.h"
#include "gr_server.h"

static void group_sum(const gr_server_t *s, int g, gr_stats_group_t *out)
{
    memset(out, 0, sizeof *out);
    if (!s->groups[g])
        return;
    out->threads = (uint64_t)s->counts[g];
    for (int i = 0; i < s->counts[g]; i++) {
        const gr_counters_t *c = &s->groups[g][i].counters;
#define GR_COUNTER_SUM(name) out->name += c->name.load(std::memory_order_relaxed);
        GR_COUNTER_LIST(GR_COUNTER_SUM)
#undef GR_COUNTER_SUM
        out->connections_open += c->connections_open.load(std::memory_order_relaxed);
        out->replies_waiting += c->replies_waiting.load(std::memory_order_relaxed);
    }
}

/* The server-wide counters at the end of gr_stats_t: kept by tcp_in. */
static void server_sum(const gr_server_t *s, gr_stats_t *out)
{
    out->lingering = 0;
#define GR_COUNTER_ZERO(name) out->name = 0;
    GR_SERVER_COUNTER_LIST(GR_COUNTER_ZERO)
#undef GR_COUNTER_ZERO
    if (!s->groups[GR_GROUP_IN])
        return;
    for (int i = 0; i < s->counts[GR_GROUP_IN]; i++) {
        const gr_counters_t *c = &s->groups[GR_GROUP_IN][i].counters;
#define GR_COUNTER_SUM(name) out->name += c->name.load(std::memory_order_relaxed);
        GR_SERVER_COUNTER_LIST(GR_COUNTER_SUM)
#undef GR_COUNTER_SUM
        out->lingering += c->lingering.load(std::memory_order_relaxed);
    }
}

void gr_stats_collect(const gr_server_t *s, gr_stats_t *out)
{
    static const int order[] = {GR_GROUP_ACCEPT, GR_GROUP_IN, GR_GROUP_WORKER, GR_GROUP_OUT, GR_GROUP_UDP_IN,
                                GR_GROUP_UDP_OUT};
    gr_stats_group_t *groups[] = {&out->tcp_accept, &out->tcp_in, &out->worker, &out->tcp_out, &out->udp_in,
                                  &out->udp_out};
    out->uptime_ms = (uint64_t)(gr_clock_ms() - s->started_ms);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        group_sum(s, order[i], groups[i]);
    server_sum(s, out);
}

void gr_stats_log_totals(const gr_server_t *s)
{
    gr_stats_group_t t, g;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < GR_GROUP_COUNT; i++) {
        group_sum(s, i, &g);
#define GR_COUNTER_ADD(name) t.name += g.name;
        GR_COUNTER_LIST(GR_COUNTER_ADD)
#undef GR_COUNTER_ADD
    }
    gr_stats_t all;
    server_sum(s, &all);
    char line[1024];
    size_t n = 0;
#define GR_COUNTER_PRINT(name, from) \
    if (n < sizeof line) \
        n += (size_t)snprintf(line + n, sizeof line - n, " %s=%llu", #name, (unsigned long long)from.name);
#define GR_GROUP_PRINT(name) GR_COUNTER_PRINT(name, t)
#define GR_SERVER_PRINT(name) GR_COUNTER_PRINT(name, all)
    GR_COUNTER_LIST(GR_GROUP_PRINT)
    GR_SERVER_COUNTER_LIST(GR_SERVER_PRINT)
#undef GR_SERVER_PRINT
#undef GR_GROUP_PRINT
#undef GR_COUNTER_PRINT
    GR_INFO("totals:%s", line);
}
