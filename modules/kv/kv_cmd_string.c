/* kv_cmd_string.c - the string commands: GET, SET, MGET, MSET, APPEND,
 * STRLEN and the INCR family, with Redis's replies and errors. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kv.h"
#include "kv_os.h"

kv_entry_t *kv_lookup(kv_ctx_t *c, const kv_key_t *k, int flags)
{
    kv_entry_t *e = kv_store_find(kv.store, k->shard, k->hash, k->p, k->n, c->now);
    if (flags & KV_LOOKUP_STATS)
        kv_count(e ? &c->self->counters.hits : &c->self->counters.misses);
    if (e && (flags & KV_LOOKUP_TOUCH))
        kv_store_touch(kv.store, k->shard, e);
    return e;
}

int kv_store_value(kv_ctx_t *c, const kv_key_t *k, const char *value, size_t n, int64_t expire_at)
{
    kv_entry_t *e = kv_entry_new(k->p, k->n, n);
    if (e) {
        size_t len;
        memcpy(kv_entry_value(e, &len), value, n);
        if (kv_store_put(kv.store, k->shard, k->hash, e, expire_at) == 0)
            return 0;
        kv_entry_free(e);
    }
    kv_reply_str(c, KV_ERR_OOM);
    return -1;
}

void kv_cmd_get(kv_ctx_t *c)
{
    kv_key_t k = kv_key(&c->argv[1]);
    kv_store_lock(kv.store, k.shard);
    kv_entry_t *e = kv_lookup(c, &k, KV_LOOKUP_READ);
    if (e) {
        size_t n;
        const char *v = kv_entry_value(e, &n);
        kv_reply_bulk(c, v, n);
    } else {
        kv_reply_nil(c);
    }
    kv_store_unlock(kv.store, k.shard);
}

/* SET's options, parsed as Redis 7 does: every flag first (a conflict or
 * an unknown word is a syntax error), then the expire time. */
#define SET_NX 1
#define SET_XX 2
#define SET_EX 4
#define SET_PX 8
#define SET_KEEPTTL 16
#define SET_GET 32
#define SET_EXAT 64
#define SET_PXAT 128
#define SET_EXPIRY (SET_EX | SET_PX | SET_EXAT | SET_PXAT | SET_KEEPTTL) /* one of these at most */

static int set_options(kv_ctx_t *c, int *flags, int64_t *expire_at)
{
    static const struct {
        const char *word;
        int flag;
    } expiry[] = {{"ex", SET_EX}, {"px", SET_PX}, {"exat", SET_EXAT}, {"pxat", SET_PXAT}};
    const kv_arg_t *when = NULL;
    *flags = 0;
    for (size_t i = 3; i < c->argc; i++) {
        const kv_arg_t *a = &c->argv[i];
        int has_next = i + 1 < c->argc, took = 0;
        for (size_t j = 0; j < sizeof expiry / sizeof expiry[0] && !took; j++)
            if (kv_arg_is(a, expiry[j].word) && !(*flags & SET_EXPIRY) && has_next) {
                *flags |= expiry[j].flag;
                when = &c->argv[++i];
                took = 1;
            }
        if (took)
            continue;
        if (kv_arg_is(a, "nx") && !(*flags & SET_XX))
            *flags |= SET_NX;
        else if (kv_arg_is(a, "xx") && !(*flags & SET_NX))
            *flags |= SET_XX;
        else if (kv_arg_is(a, "get"))
            *flags |= SET_GET;
        else if (kv_arg_is(a, "keepttl") && !(*flags & SET_EXPIRY))
            *flags |= SET_KEEPTTL;
        else {
            kv_reply_error(c, KV_ERR_SYNTAX);
            return -1;
        }
    }
    *expire_at = 0;
    if (when) {
        long long v;
        if (kv_parse_ll(when->p, when->n, &v) != 0) {
            kv_reply_error(c, KV_ERR_NOT_INT);
            return -1;
        }
        int seconds = (*flags & (SET_EX | SET_EXAT)) != 0;
        if (v <= 0 || (seconds && v > INT64_MAX / 1000)) {
            kv_reply_error(c, "invalid expire time in 'set' command");
            return -1;
        }
        int64_t ms = seconds ? v * 1000 : v;
        /* EXAT and PXAT name a moment of the wall clock (the backup copy
         * sends them): as a distance from now on the monotonic clock. */
        if (*flags & (SET_EXAT | SET_PXAT))
            ms -= kv_wall_ms();
        if (ms > INT64_MAX - c->now) {
            kv_reply_error(c, "invalid expire time in 'set' command");
            return -1;
        }
        *expire_at = c->now + ms > 0 ? c->now + ms : 1; /* a moment past: expired at once */
    }
    return 0;
}

void kv_cmd_set(kv_ctx_t *c)
{
    int flags;
    int64_t expire_at;
    if (set_options(c, &flags, &expire_at) != 0)
        return;
    kv_key_t k = kv_key(&c->argv[1]);
    const kv_arg_t *val = &c->argv[2];
    kv_entry_t *e = kv_entry_new(k.p, k.n, val->n); /* made before the lock: the lock is held shorter */
    if (!e) {
        kv_reply_str(c, KV_ERR_OOM);
        return;
    }
    size_t n;
    memcpy(kv_entry_value(e, &n), val->p, val->n);
    kv_store_lock(kv.store, k.shard);
    kv_entry_t *old = kv_lookup(c, &k, 0); /* replaced: no touch, and a write counts no hit */
    if (flags & SET_GET) {
        if (old) {
            const char *v = kv_entry_value(old, &n);
            kv_reply_bulk(c, v, n);
        } else {
            kv_reply_nil(c);
        }
    }
    if (((flags & SET_NX) && old) || ((flags & SET_XX) && !old)) {
        kv_store_unlock(kv.store, k.shard);
        kv_entry_free(e);
        if (!(flags & SET_GET))
            kv_reply_nil(c);
        return;
    }
    if ((flags & SET_KEEPTTL) && old)
        expire_at = kv_entry_expire(old);
    if (kv_store_put(kv.store, k.shard, k.hash, e, expire_at) != 0) {
        kv_store_unlock(kv.store, k.shard);
        kv_entry_free(e);
        if (!(flags & SET_GET))
            kv_reply_str(c, KV_ERR_OOM);
        return;
    }
    kv_store_unlock(kv.store, k.shard);
    if (!(flags & SET_GET))
        kv_reply_ok(c);
}

/* MGET and MSET lock every shard their keys fall in: each sees or makes
 * one moment of the keyspace. */
void kv_cmd_mget(kv_ctx_t *c)
{
    uint64_t mask = kv_key_shards(c, 1, 1);
    kv_store_lock_mask(kv.store, mask);
    kv_reply_array(c, (long long)c->argc - 1);
    for (size_t i = 1; i < c->argc; i++) {
        kv_key_t k = kv_key(&c->argv[i]);
        kv_entry_t *e = kv_lookup(c, &k, KV_LOOKUP_READ);
        size_t n;
        if (e) {
            const char *v = kv_entry_value(e, &n);
            kv_reply_bulk(c, v, n);
        } else {
            kv_reply_nil(c);
        }
    }
    kv_store_unlock_mask(kv.store, mask);
}

void kv_cmd_mset(kv_ctx_t *c)
{
    if (c->argc % 2 == 0) {
        kv_reply_arity(c, "mset");
        return;
    }
    uint64_t mask = kv_key_shards(c, 1, 2);
    int failed = 0;
    kv_store_lock_mask(kv.store, mask);
    for (size_t i = 1; i < c->argc && !failed; i += 2) {
        kv_key_t k = kv_key(&c->argv[i]);
        failed = kv_store_value(c, &k, c->argv[i + 1].p, c->argv[i + 1].n, 0) != 0;
    }
    kv_store_unlock_mask(kv.store, mask);
    if (!failed)
        kv_reply_ok(c);
}

void kv_cmd_append(kv_ctx_t *c)
{
    kv_key_t k = kv_key(&c->argv[1]);
    const kv_arg_t *add = &c->argv[2];
    kv_store_lock(kv.store, k.shard);
    kv_entry_t *old = kv_lookup(c, &k, KV_LOOKUP_TOUCH);
    size_t oldn = 0;
    const char *oldv = old ? kv_entry_value(old, &oldn) : NULL;
    if (oldn + add->n > kv.conf.limits.max_bulk) {
        kv_store_unlock(kv.store, k.shard);
        kv_reply_error(c, "string exceeds maximum allowed size (proto-max-bulk-len)");
        return;
    }
    kv_entry_t *e = kv_entry_new(k.p, k.n, oldn + add->n);
    if (!e) {
        kv_store_unlock(kv.store, k.shard);
        kv_reply_str(c, KV_ERR_OOM);
        return;
    }
    size_t n;
    char *v = kv_entry_value(e, &n);
    if (oldn)
        memcpy(v, oldv, oldn);
    memcpy(v + oldn, add->p, add->n);
    if (kv_store_put(kv.store, k.shard, k.hash, e, old ? kv_entry_expire(old) : 0) != 0) {
        kv_entry_free(e);
        kv_store_unlock(kv.store, k.shard);
        kv_reply_str(c, KV_ERR_OOM);
        return;
    }
    kv_store_unlock(kv.store, k.shard);
    kv_reply_int(c, (long long)n);
}

void kv_cmd_strlen(kv_ctx_t *c)
{
    kv_key_t k = kv_key(&c->argv[1]);
    size_t n = 0;
    kv_store_lock(kv.store, k.shard);
    kv_entry_t *e = kv_lookup(c, &k, KV_LOOKUP_READ);
    if (e)
        kv_entry_value(e, &n);
    kv_store_unlock(kv.store, k.shard);
    kv_reply_int(c, (long long)n);
}

/* INCR and friends: the value must read as an integer (string2ll), the
 * result must not overflow; the key keeps its TTL. */
static void incr_by(kv_ctx_t *c, long long by)
{
    kv_key_t k = kv_key(&c->argv[1]);
    long long cur = 0;
    kv_store_lock(kv.store, k.shard);
    kv_entry_t *old = kv_lookup(c, &k, KV_LOOKUP_TOUCH);
    if (old) {
        size_t n;
        const char *v = kv_entry_value(old, &n);
        if (kv_parse_ll(v, n, &cur) != 0) {
            kv_store_unlock(kv.store, k.shard);
            kv_reply_error(c, KV_ERR_NOT_INT);
            return;
        }
    }
    if ((by < 0 && cur < 0 && by < LLONG_MIN - cur) || (by > 0 && cur > 0 && by > LLONG_MAX - cur)) {
        kv_store_unlock(kv.store, k.shard);
        kv_reply_error(c, "increment or decrement would overflow");
        return;
    }
    cur += by;
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", cur);
    int rc = kv_store_value(c, &k, buf, (size_t)n, old ? kv_entry_expire(old) : 0);
    kv_store_unlock(kv.store, k.shard);
    if (rc == 0)
        kv_reply_int(c, cur);
}

static int incr_arg(kv_ctx_t *c, long long *by)
{
    if (kv_parse_ll(c->argv[2].p, c->argv[2].n, by) != 0) {
        kv_reply_error(c, KV_ERR_NOT_INT);
        return -1;
    }
    return 0;
}

void kv_cmd_incr(kv_ctx_t *c) { incr_by(c, 1); }
void kv_cmd_decr(kv_ctx_t *c) { incr_by(c, -1); }

void kv_cmd_incrby(kv_ctx_t *c)
{
    long long by;
    if (incr_arg(c, &by) == 0)
        incr_by(c, by);
}

void kv_cmd_decrby(kv_ctx_t *c)
{
    long long by;
    if (incr_arg(c, &by) != 0)
        return;
    if (by == LLONG_MIN) {
        kv_reply_error(c, "decrement would overflow");
        return;
    }
    incr_by(c, -by);
}
