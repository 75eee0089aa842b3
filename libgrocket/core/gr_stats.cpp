/* gr_stats.cpp - the counters every thread keeps for itself, summed per
 * thread group: by name for services->stat and stat_list, into the frozen
 * gr_stats_t for services->stats, and as the totals logged at stop; and
 * each counter's kind and help, for the renderers (gr_stats_render.cpp).
 *
 * Adding a counter: one entry in GR_COUNTER_LIST or GR_SERVER_COUNTER_LIST
 * (gr_thread_ctx.h), and its line in stat_meta below. It is then listed,
 * read by name and rendered as JSON and for Prometheus; gr_stats_t keeps
 * its ABI 1.5 layout, so modules built against any header keep working. */
#include <stdio.h>
#include <string.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_server.h"
#include "gr_stats.h"

/* A group's counters, in gr_stats_group_t's order: the thread count, the
 * gauges, then the event counters (which may grow). */
enum gr_group_stat_t {
    GR_STAT_threads,
    GR_STAT_connections_open,
    GR_STAT_replies_waiting,
#define GR_STAT_ENUM(name) GR_STAT_##name,
    GR_COUNTER_LIST(GR_STAT_ENUM)
#undef GR_STAT_ENUM
    GR_STAT_PER_GROUP
};
#define GR_STAT_FIRST_EVENT (GR_STAT_replies_waiting + 1)

/* The server-wide counters (kept by tcp_in), in gr_stats_t's order. */
enum gr_server_stat_t {
    GR_SRV_uptime_ms,
    GR_SRV_lingering,
#define GR_SRV_ENUM(name) GR_SRV_##name,
    GR_SERVER_COUNTER_LIST(GR_SRV_ENUM)
#undef GR_SRV_ENUM
    GR_SRV_replies_late_dropped, /* the server's own atomic (gr_defer.cpp): completions come from any thread */
    GR_SRV_COUNT
};
#define GR_SRV_FIRST_EVENT (GR_SRV_lingering + 1)

#define GR_STAT_NAME(name) #name,
static const char *const group_stat_names[GR_STAT_PER_GROUP] = {
    "threads", "connections_open", "replies_waiting", GR_COUNTER_LIST(GR_STAT_NAME)};
static const char *const server_stat_names[GR_SRV_COUNT] = {"uptime_ms", "lingering",
                                                            GR_SERVER_COUNTER_LIST(GR_STAT_NAME) "replies_late_dropped"};
#undef GR_STAT_NAME

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
        v[GR_STAT_connections_open] += c->connections_open.load(std::memory_order_relaxed);
        v[GR_STAT_replies_waiting] += c->replies_waiting.load(std::memory_order_relaxed);
#define GR_STAT_SUM(name) v[GR_STAT_##name] += c->name.load(std::memory_order_relaxed);
        GR_COUNTER_LIST(GR_STAT_SUM)
#undef GR_STAT_SUM
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
        v[GR_SRV_lingering] += c->lingering.load(std::memory_order_relaxed);
#define GR_SRV_SUM(name) v[GR_SRV_##name] += c->name.load(std::memory_order_relaxed);
        GR_SERVER_COUNTER_LIST(GR_SRV_SUM)
#undef GR_SRV_SUM
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

/* Each counter's kind, Prometheus name and help. A counter's Prometheus
 * name is its own unless a unit asks for another (bytes, seconds);
 * counters get "_total" from the renderer. */
static const gr_stat_meta_t stat_meta[] = {
    /* server-wide */
    {"uptime_ms", GR_STAT_GAUGE_MS, "uptime_seconds", "Time since the server started."},
    {"lingering", GR_STAT_GAUGE, "lingering", "Connections lingering now: answered, write side shut, input discarded."},
    {"lingered", GR_STAT_COUNTER, "lingered", "Lingering closes begun."},
    {"linger_cut", GR_STAT_COUNTER, "linger_cut",
     "Lingering closes ended by tcp.lingering_time, tcp.lingering_timeout or a stop, not by the client."},
    {"linger_bytes", GR_STAT_COUNTER, "linger_bytes", "Bytes read and discarded while lingering."},
    {"replies_late_dropped", GR_STAT_COUNTER, "replies_late_dropped",
     "Deferred replies completed after their connection had gone: accepted and dropped."},
    /* per thread group */
    {"threads", GR_STAT_GAUGE, "threads", "Threads in the group (0: the group is not running)."},
    {"connections_open", GR_STAT_GAUGE, "connections_open", "Connections open now (tcp_in)."},
    {"replies_waiting", GR_STAT_GAUGE, "replies_waiting", "Connections whose replies wait for the socket now."},
    {"accepted", GR_STAT_COUNTER, "accepted", "Connections accepted (tcp_accept)."},
    {"refused", GR_STAT_COUNTER, "refused", "Connections the module's tcp_accept refused."},
    {"refused_limit", GR_STAT_COUNTER, "refused_limit", "Connections closed at once: tcp.max_connections were open."},
    {"accept_errors", GR_STAT_COUNTER, "accept_errors", "accept() failures (EMFILE, ENFILE, ...)."},
    {"closed", GR_STAT_COUNTER, "closed", "Connections closed (tcp_in)."},
    {"packages", GR_STAT_COUNTER, "packages", "Packages (requests) cut from the streams."},
    {"processed", GR_STAT_COUNTER, "processed", "proc and proc_http calls."},
    {"dropped", GR_STAT_COUNTER, "dropped", "Packages not processed: their connection was closing."},
    {"bad", GR_STAT_COUNTER, "bad", "Bad data: check said GR_CHECK_BAD, or an HTTP 4xx."},
    {"too_large", GR_STAT_COUNTER, "too_large", "Packages past tcp.in.recv_buf.max."},
    {"timeouts", GR_STAT_COUNTER, "timeouts", "Connections closed idle, or sending a head too slowly."},
    {"output_limit", GR_STAT_COUNTER, "output_limit", "Connections closed past tcp.out.close_bytes."},
    {"io_errors", GR_STAT_COUNTER, "io_errors", "Receive and send failures (resets and the like)."},
    {"read_pauses", GR_STAT_COUNTER, "read_pauses", "Reads paused at tcp.out.pause_bytes (backpressure)."},
    {"bytes_in", GR_STAT_COUNTER, "received_bytes", "Bytes received."},
    {"bytes_out", GR_STAT_COUNTER, "sent_bytes", "Bytes sent."},
    {"udp_in", GR_STAT_COUNTER, "udp_in", "Datagrams received."},
    {"udp_out", GR_STAT_COUNTER, "udp_out", "Reply datagrams sent."},
    {"udp_bad", GR_STAT_COUNTER, "udp_bad", "Datagrams dropped: empty, refused by check, or ending inside a package."},
    {"udp_truncated", GR_STAT_COUNTER, "udp_truncated", "Datagrams dropped: longer than udp.in.datagram_max."},
    {"udp_dropped", GR_STAT_COUNTER, "udp_dropped",
     "Datagrams dropped under overload: a worker's or udp_out's ring was full."},
    {"udp_send_failed", GR_STAT_COUNTER, "udp_send_failed", "Reply datagrams the kernel did not take."},
    {"udp_kernel_drops", GR_STAT_COUNTER, "udp_kernel_drops",
     "Datagrams the kernel dropped on a full receive buffer (udp.recv_buf)."},
    {"replies_deferred", GR_STAT_COUNTER, "replies_deferred", "Replies a module took to answer later (reply_defer)."},
    {"replies_pending", GR_STAT_GAUGE, "replies_pending", "Deferred replies not completed yet."},
    {"replies_dropped_stop", GR_STAT_COUNTER, "replies_dropped_stop",
     "Deferred replies still pending when a stop's grace period ended: dropped."},
    {"timers_active", GR_STAT_GAUGE, "timers_active", "Module timers started and not yet run or cancelled."},
    {"timers_fired", GR_STAT_COUNTER, "timers_fired", "Module timer callbacks run."},
    {"timers_cancelled_stop", GR_STAT_COUNTER, "timers_cancelled_stop", "Module timers cancelled by a stop."},
    {"posts", GR_STAT_COUNTER, "posts", "Callbacks posted to processing threads (post)."},
    {"outbound_open", GR_STAT_GAUGE, "outbound_open", "Outbound connections (out_open) open now."},
    {"outbound_connects", GR_STAT_COUNTER, "outbound_connects", "Outbound connections that connected."},
    {"outbound_connect_failures", GR_STAT_COUNTER, "outbound_connect_failures",
     "Outbound connects that failed: refused, timed out, name not resolved."},
    {"outbound_closed", GR_STAT_COUNTER, "outbound_closed", "Outbound connections closed."},
    {"outbound_bytes_in", GR_STAT_COUNTER, "outbound_received_bytes", "Bytes received on outbound connections."},
    {"outbound_bytes_out", GR_STAT_COUNTER, "outbound_sent_bytes", "Bytes sent on outbound connections."},
    {"conn_sends", GR_STAT_COUNTER, "conn_sends", "Sends that answer no request (conn_send)."},
};

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

void gr_stats_log_totals(const gr_server_t *s)
{
    uint64_t t[GR_STAT_PER_GROUP] = {0}, v[GR_STAT_PER_GROUP], sv[GR_SRV_COUNT];
    for (int g = 0; g < GR_GROUP_COUNT; g++) {
        group_values(s, g, v);
        for (int k = GR_STAT_FIRST_EVENT; k < GR_STAT_PER_GROUP; k++)
            t[k] += v[k];
    }
    server_values(s, sv);
    char line[1024];
    size_t n = 0;
    for (int k = GR_STAT_FIRST_EVENT; k < GR_STAT_PER_GROUP && n < sizeof line; k++)
        n += (size_t)snprintf(line + n, sizeof line - n, " %s=%llu", group_stat_names[k], (unsigned long long)t[k]);
    for (int k = GR_SRV_FIRST_EVENT; k < GR_SRV_COUNT && n < sizeof line; k++)
        n += (size_t)snprintf(line + n, sizeof line - n, " %s=%llu", server_stat_names[k], (unsigned long long)sv[k]);
    GR_INFO("totals:%s", line);
}
