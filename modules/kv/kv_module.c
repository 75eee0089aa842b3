/* kv_module.c - the kv module: a Redis-protocol (RESP2) key-value cache.
 * The entry point, [kv]'s keys, the per-thread state, and the path of one
 * command: check frames it (kv_resp_frame), proc splits it, looks it up in
 * the command table, checks its arity and memory, runs it, and now and
 * then runs a step of active expiry. docs/kv.md says what it serves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
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
    {.section = "kv", .name = "active_expire_every", .type = GR_CONFIG_INT, .def = "1000", .min = 0, .max = 1000000000,
     .help = "commands a thread runs between two steps of active expiry; 0: lazy expiry only"},
    {.name = NULL},
};

static int kv_init(const gr_services_t *services)
{
    memset(&kv, 0, sizeof kv);
    kv.gr = services;
    kv.conf.max_memory = (uint64_t)services->config_int("kv", "max_memory", 0);
    kv.conf.limits.max_bulk = (size_t)services->config_int("kv", "max_bulk_len", 1024 * 1024);
    kv.conf.limits.max_args = (size_t)services->config_int("kv", "max_args", 1048576);
    kv.conf.expire_every = (uint64_t)services->config_int("kv", "active_expire_every", 1000);
    kv.start_ms = kv_now_ms();
    const gr_server_info_t *si = services->server_info();
    kv.thread_count = si->proc_threads > 0 ? si->proc_threads : 1;
    kv.threads = (kv_thread_t *)calloc((size_t)kv.thread_count, sizeof *kv.threads);
    kv.store = kv_store_new();
    if (!kv.threads || !kv.store) {
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
    kv_store_free(kv.store);
    free(kv.threads);
    kv.store = NULL;
    kv.threads = NULL;
}

static int kv_thread_init(int id)
{
    if (id < 0 || id >= kv.thread_count)
        return -1;
    kv_self = &kv.threads[id];
    return 0;
}

static void kv_thread_term(int id)
{
    if (id >= 0 && id < kv.thread_count)
        kv_args_free(&kv.threads[id].args);
    kv_self = NULL;
}

static long kv_check(gr_conn_t *conn, const char *data, size_t len)
{
    (void)conn;
    return kv_resp_frame(data, len, &kv.conf.limits);
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
}

/* A step of active expiry every [kv] active_expire_every commands of this
 * thread: 4 shards, at most 1 ms. TODO(timers): once the module ABI has
 * timers (the asynchronous-services work), run kv_expire_cycle over every
 * shard from a timer, 10 times a second as Redis's hz, so that an idle
 * server reclaims expired keys too; this call stays as a cheap extra. */
static void expire_step(kv_ctx_t *c)
{
    if (!kv.conf.expire_every || ++c->self->since_expire < kv.conf.expire_every)
        return;
    c->self->since_expire = 0;
    kv_expire_cycle(kv.store, c->now, 4, 1000);
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
    int rc = kv_resp_parse(pkg, len, &kv.conf.limits, &t->args, &err);
    if (rc == -2) {
        kv_reply_str(&c, KV_ERR_OOM);
        return GR_PROC_CLOSE;
    }
    if (rc != 0) {
        kv_reply_error(&c, "%s", err); /* a protocol error: answered, then closed, as Redis does */
        return GR_PROC_CLOSE;
    }
    if (t->args.n == 0)
        return GR_PROC_OK; /* an empty line or "*0": no answer */
    c.argv = t->args.v;
    c.argc = t->args.n;
    c.self = t;
    c.now = kv_now_ms();
    dispatch(&c);
    kv_count(&t->counters.commands);
    expire_step(&c);
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
        GR_MODULE_MIN_ABI(6),
        .version = KV_VERSION,
        .config_keys = kv_keys,
    };
    return &module;
}
