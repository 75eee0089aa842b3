/* kv.h - what the kv module's files share: its configuration, the state
 * of one proc thread, one command's context, the command table and the
 * reply writers. Internal to modules/kv. */
#ifndef KV_H
#define KV_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "grocket.h"
#include "kv_resp.h"
#include "kv_store.h"

#define KV_VERSION "0.1.0"

/* [kv] as read at init; read-only afterwards. */
typedef struct kv_config_t {
    uint64_t max_memory;    /* bytes; 0: no limit */
    kv_resp_limits_t limits; /* max_bulk_len, max_args */
    int hz;                 /* active expiry steps a second on each proc thread (0: lazy only) */
} kv_config_t;

/* Counters one proc thread writes and INFO reads from any thread: one
 * writer each, so a relaxed load and store, no locked add. */
typedef struct kv_counters_t {
    _Atomic uint64_t commands;
    _Atomic uint64_t hits;
    _Atomic uint64_t misses;
} kv_counters_t;

/* Count one on a counter this thread alone writes. */
static inline void kv_count(_Atomic uint64_t *v)
{
    atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + 1, memory_order_relaxed);
}

/* One proc thread's state (thread_init's id picks it). */
typedef struct kv_thread_t {
    kv_split_t split;        /* the command check cut and proc runs, split */
    kv_counters_t counters;
    char pad[64];
} kv_thread_t;

/* The module's globals, set in init, torn down in term. */
typedef struct kv_globals_t {
    const gr_services_t *gr;
    kv_config_t conf;
    kv_store_t *store;
    kv_thread_t *threads;
    int thread_count;
    int64_t start_ms;
} kv_globals_t;
extern kv_globals_t kv;

/* One command being run. */
typedef struct kv_ctx_t {
    gr_conn_t *conn;
    const kv_arg_t *argv;
    size_t argc;
    kv_thread_t *self;
    int64_t now;     /* kv_now_ms() when the command began */
    int failed;      /* a reply could not be written: close */
    int close;       /* QUIT: close after the reply */
} kv_ctx_t;

#define KV_CMD_WRITE 1    /* changes the keyspace */
#define KV_CMD_READONLY 2 /* reads keys only */
#define KV_CMD_DENYOOM 4  /* may grow memory: refused at max_memory when nothing is left to evict */

typedef void (*kv_cmd_fn)(kv_ctx_t *c);
typedef struct kv_command_t {
    const char *name;  /* lower case, as Redis names it in errors */
    kv_cmd_fn fn;
    int arity;         /* as Redis: N exactly N arguments (name included), -N at least N */
    int flags;         /* KV_CMD_* */
    int first_key, last_key, key_step; /* for COMMAND: where the keys are (last -1: to the end) */
} kv_command_t;

/* The table (kv_commands.c) and its look-up, any case. */
extern const kv_command_t kv_commands[];
extern const size_t kv_command_count;
const kv_command_t *kv_command_find(const char *name, size_t n);

/* A key argument and where it lives. */
typedef struct kv_key_t {
    const char *p;
    size_t n;
    uint64_t hash;
    unsigned shard;
} kv_key_t;
static inline kv_key_t kv_key(const kv_arg_t *a)
{
    kv_key_t k;
    k.p = a->p;
    k.n = a->n;
    k.hash = kv_hash(a->p, a->n);
    k.shard = kv_shard_of(k.hash);
    return k;
}
/* The live entry of k (its shard locked by the caller). KV_LOOKUP_TOUCH
 * makes it most recently used; KV_LOOKUP_STATS counts a keyspace hit or
 * miss (reads only, as Redis counts them). */
#define KV_LOOKUP_TOUCH 1
#define KV_LOOKUP_STATS 2
#define KV_LOOKUP_READ (KV_LOOKUP_TOUCH | KV_LOOKUP_STATS)
kv_entry_t *kv_lookup(kv_ctx_t *c, const kv_key_t *k, int flags);
/* Store a copy of value under k (shard locked), expiring at expire_at;
 * 0, or -1 (the OOM error replied) when out of memory. */
int kv_store_value(kv_ctx_t *c, const kv_key_t *k, const char *value, size_t n, int64_t expire_at);

/* The set of shards of the keys argv[first], argv[first + step], ...: a
 * command on several keys locks them all (kv_store_lock_mask), so it
 * happens at one moment, as in Redis. */
uint64_t kv_key_shards(const kv_ctx_t *c, size_t first, size_t step);

/* Commands, by file. */
void kv_cmd_get(kv_ctx_t *c);
void kv_cmd_set(kv_ctx_t *c);
void kv_cmd_del(kv_ctx_t *c);
void kv_cmd_exists(kv_ctx_t *c);
void kv_cmd_mget(kv_ctx_t *c);
void kv_cmd_mset(kv_ctx_t *c);
void kv_cmd_append(kv_ctx_t *c);
void kv_cmd_strlen(kv_ctx_t *c);
void kv_cmd_incr(kv_ctx_t *c);
void kv_cmd_decr(kv_ctx_t *c);
void kv_cmd_incrby(kv_ctx_t *c);
void kv_cmd_decrby(kv_ctx_t *c);
void kv_cmd_expire(kv_ctx_t *c);
void kv_cmd_pexpire(kv_ctx_t *c);
void kv_cmd_ttl(kv_ctx_t *c);
void kv_cmd_pttl(kv_ctx_t *c);
void kv_cmd_persist(kv_ctx_t *c);
void kv_cmd_ping(kv_ctx_t *c);
void kv_cmd_echo(kv_ctx_t *c);
void kv_cmd_quit(kv_ctx_t *c);
void kv_cmd_select(kv_ctx_t *c);
void kv_cmd_dbsize(kv_ctx_t *c);
void kv_cmd_flushall(kv_ctx_t *c);
void kv_cmd_info(kv_ctx_t *c);
void kv_cmd_config(kv_ctx_t *c);
void kv_cmd_command(kv_ctx_t *c);

/* Reply writers (kv_reply.c): RESP2 onto c's reply; a failure sets
 * c->failed. */
void kv_reply_raw(kv_ctx_t *c, const char *p, size_t n);
/* A literal, "+OK\r\n": inline, so its strlen is a constant. */
static inline void kv_reply_str(kv_ctx_t *c, const char *s) { kv_reply_raw(c, s, strlen(s)); }
void kv_reply_error(kv_ctx_t *c, const char *fmt, ...) GR_PRINTF_FORMAT(2, 3);
void kv_reply_int(kv_ctx_t *c, long long v);
void kv_reply_bulk(kv_ctx_t *c, const char *p, size_t n);
void kv_reply_array(kv_ctx_t *c, long long n);
#define kv_reply_ok(c) kv_reply_str((c), "+OK\r\n")
#define kv_reply_nil(c) kv_reply_str((c), "$-1\r\n")
void kv_reply_arity(kv_ctx_t *c, const char *name);

/* Redis's texts for the common errors. */
#define KV_ERR_NOT_INT "value is not an integer or out of range"
#define KV_ERR_SYNTAX "syntax error"
#define KV_ERR_OOM "-OOM command not allowed when used memory > 'maxmemory'.\r\n"

/* Whether an argument equals word (lower case), any case. */
int kv_arg_is(const kv_arg_t *a, const char *word);
/* x in lower case (ASCII), for names and options. */
static inline char kv_fold(char x) { return x >= 'A' && x <= 'Z' ? (char)(x - 'A' + 'a') : x; }

#endif
