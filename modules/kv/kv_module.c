/* kv_module.c - the kv module: a Redis-protocol (RESP2) key-value cache.
 * The entry point, [kv]'s keys, the per-thread state, and the path of one
 * command: check frames it (and splits it: kv_split_frame), proc takes its
 * arguments (kv_split_take), looks it up in the command table, checks its
 * arity and memory, runs it; and each proc thread's timer of active
 * expiry. docs/kv.md says what it serves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "kv_backup.h"
#include "kv_os.h"

kv_globals_t kv;
static _Thread_local kv_thread_t *kv_self; /* set by thread_init */

/* The keys of [kv]: grocketd refuses a file with another key there or a
 * bad value, naming file, line and key. */
static const gr_config_key_t kv_keys[] = {
    {.section = "kv", .name = "max_memory", .type = GR_CONFIG_SIZE, .def = "0", .min = 0, .max = INT64_MAX,
     .help = "bytes of keys and values before the least recently used are evicted; 0: no limit"},
    {.section = "kv", .name = "max_bulk_len", .type = GR_CONFIG_SIZE, .def = "1m", .min = 1, .max = 512 * 1024 * 1024,
     .help = "bytes of one argument (a value); a longer one is a protocol error (Redis: proto-max-bulk-len)"},
    {.section = "kv", .name = "max_args", .type = GR_CONFIG_INT, .def = "1048576", .min = 1, .max = 1048576,
     .help = "arguments of one command; more is a protocol error"},
    {.section = "kv", .name = "backup", .type = GR_CONFIG_STRING, .def = "", .min = 0, .max = 255,
     .help = "HOST:PORT of a Redis-protocol server that receives every write (a snapshot on each connect, then the "
             "stream); empty: none"},
    {.section = "kv", .name = "backup_max_pending", .type = GR_CONFIG_SIZE, .def = "64m", .min = 65536,
     .max = INT64_MAX, .help = "bytes forwarded to the backup and not yet sent before the link is dropped and resynced"},
    {.section = "kv", .name = "hz", .type = GR_CONFIG_INT, .def = "10", .min = 0, .max = 500,
     .help = "steps of active expiry a second on each proc thread (Redis's hz); 0: lazy expiry only"},
    {.name = NULL},
};

static int kv_init(const gr_services_t *services)
{
    memset(&kv, 0, sizeof kv);
    kv.gr = services;
    kv.conf.max_memory = (uint64_t)services->config_int("kv", "max_memory", 0);
    kv.conf.limits.max_bulk = (size_t)services->config_int("kv", "max_bulk_len", 1024 * 1024);
    kv.conf.limits.max_args = (size_t)services->config_int("kv", "max_args", 1048576);
    kv.conf.hz = (int)services->config_int("kv", "hz", 10);
    kv.start_ms = kv_now_ms();
    const gr_server_info_t *si = services->server_info();
    kv.thread_count = si->proc_threads > 0 ? si->proc_threads : 1;
    kv.threads = (kv_thread_t *)calloc((size_t)kv.thread_count, sizeof *kv.threads);
    kv.store = kv_store_new();
    if (!kv.threads || !kv.store ||
        kv_backup_init(services->config_str("kv", "backup", ""),
                       (uint64_t)services->config_int("kv", "backup_max_pending", 64 << 20)) != 0) {
        services->log(GR_LOG_ERROR, "kv: out of memory at start-up");
        free(kv.threads);
        kv_store_free(kv.store);
        return -1;
    }
    services->log(GR_LOG_INFO, "kv: %d shards, %d proc threads, max_memory %llu, max_bulk_len %zu", KV_SHARDS,
                  kv.thread_count, (unsigned long long)kv.conf.max_memory, kv.conf.limits.max_bulk);
    return 0;
}

static void kv_term(void)
{
    kv_backup_term();
    kv_store_free(kv.store);
    free(kv.threads);
    kv.store = NULL;
    kv.threads = NULL;
}

/* A step of active expiry, from each proc thread's repeating timer: its
 * share of the shards (every shard hz times a second over all threads), at
 * most 1 ms. Keys nobody touches again are reclaimed on an idle server. */
static void expire_tick(uint64_t timer, void *arg)
{
    (void)timer;
    (void)arg;
    unsigned share = (KV_SHARDS + (unsigned)kv.thread_count - 1) / (unsigned)kv.thread_count;
    kv_expire_cycle(kv.store, kv_now_ms(), share, 1000);
}

static int kv_thread_init(int id)
{
    if (id < 0 || id >= kv.thread_count)
        return -1;
    kv_self = &kv.threads[id];
    if (kv.conf.hz > 0) {
        uint64_t period = (uint64_t)(1000 / kv.conf.hz);
        if (kv.gr->timer_start(period, period, expire_tick, NULL) == 0) {
            kv.gr->log(GR_LOG_ERROR, "kv: thread %d: no timer for active expiry", id);
            return -1;
        }
    }
    return kv_backup_thread_init(id);
}

static void kv_thread_term(int id)
{
    kv_backup_thread_term(id);
    if (id >= 0 && id < kv.thread_count)
        kv_split_free(&kv.threads[id].split);
    kv_self = NULL;
}

/* On a thread that runs proc too (inline), the package is split here once
 * and handed to proc (kv_split_t in kv_resp.h says when it is taken); on a
 * tcp.in thread feeding workers it is only framed. */
static long kv_check(gr_conn_t *conn, const char *data, size_t len)
{
    kv_thread_t *t = kv_self;
    if (!t)
        return kv_resp_frame(data, len, &kv.conf.limits);
    return kv_split_frame(&t->split, conn, data, len, &kv.conf.limits);
}

/* Redis's wording: the name as sent, then up to 128 bytes of arguments. */
static void reply_unknown(kv_ctx_t *c)
{
    char args[160];
    size_t n = 0;
    args[0] = '\0';
    for (size_t i = 1; i < c->argc && n < 128; i++) {
        int w = snprintf(args + n, sizeof args - n, "'%.*s' ", (int)(c->argv[i].n < 128 - n ? c->argv[i].n : 128 - n),
                         c->argv[i].p);
        if (w > 0)
            n = n + (size_t)w < sizeof args ? n + (size_t)w : sizeof args - 1;
    }
    kv_reply_error(c, "unknown command '%.*s', with args beginning with: %s",
                   (int)(c->argv[0].n < 128 ? c->argv[0].n : 128), c->argv[0].p, args);
}

static void dispatch(kv_ctx_t *c)
{
    const kv_command_t *cmd = kv_command_find(c->argv[0].p, c->argv[0].n);
    if (!cmd) {
        reply_unknown(c); /* HELLO too: refused as Redis 5 does, so clients stay on RESP2 */
        return;
    }
    if ((cmd->arity > 0 && c->argc != (size_t)cmd->arity) || (cmd->arity < 0 && c->argc < (size_t)-cmd->arity)) {
        kv_reply_arity(c, cmd->name);
        return;
    }
    if ((cmd->flags & KV_CMD_DENYOOM) && kv.conf.max_memory) {
        unsigned shard = kv_shard_of(kv_hash(c->argv[1].p, c->argv[1].n));
        if (kv_store_evict(kv.store, shard, kv.conf.max_memory) != 0) {
            kv_reply_str(c, KV_ERR_OOM);
            return;
        }
    }
    cmd->fn(c);
    if ((cmd->flags & KV_CMD_WRITE) && cmd->first_key > 0 && kv_backup_streaming())
        kv_backup_command(c, cmd);
}

static int kv_proc(gr_conn_t *conn, const char *pkg, size_t len)
{
    kv_thread_t *t = kv_self;
    kv_ctx_t c;
    memset(&c, 0, sizeof c);
    c.conn = conn;
    if (!t) {
        kv_reply_error(&c, "kv: no thread state (proc on a thread without thread_init)");
        return GR_PROC_CLOSE;
    }
    const char *err = NULL;
    int rc = kv_split_take(&t->split, conn, pkg, len, &kv.conf.limits, &err);
    if (rc == -2) {
        kv_reply_str(&c, KV_ERR_OOM);
        return GR_PROC_CLOSE;
    }
    if (rc != 0) {
        kv_reply_error(&c, "%s", err); /* a protocol error: answered, then closed, as Redis does */
        return GR_PROC_CLOSE;
    }
    if (t->split.args.n == 0)
        return GR_PROC_OK; /* an empty line or "*0": no answer */
    c.argv = t->split.args.v;
    c.argc = t->split.args.n;
    c.self = t;
    c.now = kv_now_ms();
    dispatch(&c);
    kv_count(&t->counters.commands);
    return c.close || c.failed ? GR_PROC_CLOSE : GR_PROC_OK;
}

GR_MODULE_EXPORT const gr_module_t *gr_module_entry(void)
{
    static const gr_module_t module = {
        GR_MODULE_HEADER("kv"),
        .init = kv_init,
        .term = kv_term,
        .check = kv_check,
        .proc = kv_proc,
        .thread_init = kv_thread_init,
        .thread_term = kv_thread_term,
        GR_MODULE_MIN_ABI(7), /* config_keys (1.6), timer_start (1.7) */
        .version = KV_VERSION,
        .config_keys = kv_keys,
    };
    return &module;
}
