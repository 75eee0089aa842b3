/* kv_info.c - INFO [section ...]: server, clients, memory, stats and
 * keyspace, in Redis's "# Section\r\nkey:value\r\n" text. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kv.h"
#include "kv_backup.h"
#include "kv_os.h"

#define INFO_MAX 4096

typedef struct info_buf_t {
    char text[INFO_MAX];
    size_t n;
} info_buf_t;

static void add(info_buf_t *b, const char *fmt, ...) GR_PRINTF_FORMAT(2, 3);
static void add(info_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->text + b->n, sizeof b->text - b->n, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->n = b->n + (size_t)n < sizeof b->text ? b->n + (size_t)n : sizeof b->text - 1;
}

/* Redis's bytesToHuman: 1.50M and the like. */
static void human(char *out, size_t len, uint64_t n)
{
    const char *units = "BKMGTP";
    double d = (double)n;
    int u = 0;
    while (d >= 1024 && u < 5) {
        d /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, len, "%lluB", (unsigned long long)n);
    else
        snprintf(out, len, "%.2f%c", d, units[u]);
}

static uint64_t server_stat(const char *group, const char *name)
{
    uint64_t v = 0;
    if (kv.gr->size >= offsetof(gr_services_t, stat) + sizeof kv.gr->stat)
        kv.gr->stat(group, name, &v);
    return v;
}

static void section_server(info_buf_t *b)
{
    const gr_server_info_t *si = kv.gr->server_info();
    int port = 0;
    for (int i = 0; i < si->listen_count && !port; i++)
        if (strncmp(si->listens[i].url, "tcp://", 6) == 0)
            port = si->listens[i].port; /* the first tcp:// listen: where RESP is spoken */
    int64_t up = (kv_now_ms() - kv.start_ms) / 1000;
    add(b, "# Server\r\nredis_version:5.0.0\r\ngrocket_kv_version:" KV_VERSION "\r\nredis_mode:standalone\r\n"
           "arch_bits:%d\r\nmultiplexing_api:grocket\r\nprocess_id:%ld\r\ntcp_port:%d\r\n"
           "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nproc_threads:%d\r\n",
        (int)(sizeof(void *) * 8), kv_pid(), port, (long long)up, (long long)(up / 86400), kv.thread_count);
}

static void section_clients(info_buf_t *b)
{
    add(b, "# Clients\r\nconnected_clients:%llu\r\n", (unsigned long long)server_stat("tcp_in", "connections_open"));
}

static void section_memory(info_buf_t *b)
{
    char used_h[32], max_h[32];
    uint64_t used = kv_store_used(kv.store);
    human(used_h, sizeof used_h, used);
    human(max_h, sizeof max_h, kv.conf.max_memory);
    add(b, "# Memory\r\nused_memory:%llu\r\nused_memory_human:%s\r\nused_memory_rss:%llu\r\n"
           "maxmemory:%llu\r\nmaxmemory_human:%s\r\nmaxmemory_policy:allkeys-lru\r\n",
        (unsigned long long)used, used_h, (unsigned long long)kv_rss_bytes(), (unsigned long long)kv.conf.max_memory,
        max_h);
}

static void section_stats(info_buf_t *b, const kv_store_info_t *ks)
{
    uint64_t commands = 0, hits = 0, misses = 0;
    for (int i = 0; i < kv.thread_count; i++) {
        kv_counters_t *t = &kv.threads[i].counters;
        commands += atomic_load_explicit(&t->commands, memory_order_relaxed);
        hits += atomic_load_explicit(&t->hits, memory_order_relaxed);
        misses += atomic_load_explicit(&t->misses, memory_order_relaxed);
    }
    add(b, "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
           "rejected_connections:%llu\r\nexpired_keys:%llu\r\nevicted_keys:%llu\r\nkeyspace_hits:%llu\r\n"
           "keyspace_misses:%llu\r\n",
        (unsigned long long)server_stat("tcp_accept", "accepted"), (unsigned long long)commands,
        (unsigned long long)(server_stat("tcp_accept", "refused") + server_stat("tcp_accept", "refused_limit")),
        (unsigned long long)ks->expired, (unsigned long long)ks->evicted, (unsigned long long)hits,
        (unsigned long long)misses);
}

/* Redis's role and replica count, then the backup copy's link. */
static void section_replication(info_buf_t *b)
{
    kv_backup_stats_t bs;
    kv_backup_stats(&bs);
    int up = bs.host && strcmp(bs.link, "up") == 0;
    add(b, "# Replication\r\nrole:master\r\nconnected_slaves:%d\r\n", up);
    if (bs.host)
        add(b, "backup:%s\r\nbackup_link:%s\r\nbackup_syncs:%llu\r\nbackup_sent_bytes:%llu\r\n"
               "backup_pending_bytes:%llu\r\nbackup_errors:%llu\r\nbackup_drops:%llu\r\n",
            bs.host, bs.link, (unsigned long long)bs.syncs, (unsigned long long)bs.bytes_sent,
            (unsigned long long)bs.pending, (unsigned long long)bs.errors, (unsigned long long)bs.drops);
}

static void section_keyspace(info_buf_t *b, const kv_store_info_t *ks)
{
    add(b, "# Keyspace\r\n");
    if (ks->keys)
        add(b, "db0:keys=%llu,expires=%llu,avg_ttl=0\r\n", (unsigned long long)ks->keys,
            (unsigned long long)ks->expires);
}

static int wanted(kv_ctx_t *c, const char *section)
{
    if (c->argc == 1)
        return 1;
    for (size_t i = 1; i < c->argc; i++)
        if (kv_arg_is(&c->argv[i], section) || kv_arg_is(&c->argv[i], "all") || kv_arg_is(&c->argv[i], "default") ||
            kv_arg_is(&c->argv[i], "everything"))
            return 1;
    return 0;
}

void kv_cmd_info(kv_ctx_t *c)
{
    info_buf_t b;
    b.n = 0;
    b.text[0] = '\0';
    kv_store_info_t ks;
    kv_store_info(kv.store, &ks);
    void (*plain[])(info_buf_t *) = {section_server, section_clients, section_memory, section_replication};
    const char *plain_names[] = {"server", "clients", "memory", "replication"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (wanted(c, plain_names[i])) {
            if (b.n)
                add(&b, "\r\n");
            plain[i](&b);
        }
    if (wanted(c, "stats")) {
        if (b.n)
            add(&b, "\r\n");
        section_stats(&b, &ks);
    }
    if (wanted(c, "keyspace")) {
        if (b.n)
            add(&b, "\r\n");
        section_keyspace(&b, &ks);
    }
    kv_reply_bulk(c, b.text, b.n);
}
