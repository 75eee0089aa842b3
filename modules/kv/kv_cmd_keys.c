/* kv_cmd_keys.c - commands on keys whatever their value: DEL, EXISTS and
 * the TTL family (EXPIRE, PEXPIRE, TTL, PTTL, PERSIST). */
#include <stdint.h>

#include "kv.h"

uint64_t kv_key_shards(const kv_ctx_t *c, size_t first, size_t step)
{
    uint64_t mask = 0;
    for (size_t i = first; i < c->argc; i += step)
        mask |= 1ull << kv_shard_of(kv_hash(c->argv[i].p, c->argv[i].n));
    return mask;
}

void kv_cmd_del(kv_ctx_t *c)
{
    uint64_t mask = kv_key_shards(c, 1, 1);
    long long deleted = 0;
    kv_store_lock_mask(kv.store, mask);
    for (size_t i = 1; i < c->argc; i++) {
        kv_key_t k = kv_key(&c->argv[i]);
        deleted += kv_store_delete(kv.store, k.shard, k.hash, k.p, k.n, c->now);
    }
    kv_store_unlock_mask(kv.store, mask);
    kv_reply_int(c, deleted);
}

void kv_cmd_exists(kv_ctx_t *c)
{
    uint64_t mask = kv_key_shards(c, 1, 1);
    long long found = 0;
    kv_store_lock_mask(kv.store, mask);
    for (size_t i = 1; i < c->argc; i++) {
        kv_key_t k = kv_key(&c->argv[i]);
        found += kv_store_find(kv.store, k.shard, k.hash, k.p, k.n, c->now) != NULL;
    }
    kv_store_unlock_mask(kv.store, mask);
    kv_reply_int(c, found);
}

/* EXPIRE and PEXPIRE: unit is 1000 or 1 ms. A time in the past deletes
 * the key (and answers 1), as Redis does. */
static void expire_generic(kv_ctx_t *c, int64_t unit, const char *name)
{
    long long v;
    if (kv_parse_ll(c->argv[2].p, c->argv[2].n, &v) != 0) {
        kv_reply_error(c, KV_ERR_NOT_INT);
        return;
    }
    if (c->argc > 3) {
        /* NX, XX, GT and LT (Redis 7) are not supported. */
        kv_reply_error(c, "Unsupported option %.*s", (int)c->argv[3].n, c->argv[3].p);
        return;
    }
    if ((v > 0 && v > (INT64_MAX - c->now) / unit) || (v < 0 && v < (INT64_MIN + c->now) / unit)) {
        kv_reply_error(c, "invalid expire time in '%s' command", name);
        return;
    }
    int64_t at = c->now + v * unit;
    kv_key_t k = kv_key(&c->argv[1]);
    kv_store_lock(kv.store, k.shard);
    kv_entry_t *e = kv_lookup(c, &k, KV_LOOKUP_TOUCH);
    if (e && at <= c->now)
        kv_store_delete(kv.store, k.shard, k.hash, k.p, k.n, c->now);
    else if (e)
        kv_store_set_expire(kv.store, k.shard, e, at);
    kv_store_unlock(kv.store, k.shard);
    kv_reply_int(c, e != NULL);
}

void kv_cmd_expire(kv_ctx_t *c) { expire_generic(c, 1000, "expire"); }
void kv_cmd_pexpire(kv_ctx_t *c) { expire_generic(c, 1, "pexpire"); }

/* TTL and PTTL: -2 no key, -1 no TTL; TTL rounds to the nearest second. */
static void ttl_generic(kv_ctx_t *c, int ms)
{
    kv_key_t k = kv_key(&c->argv[1]);
    long long ttl = -2;
    kv_store_lock(kv.store, k.shard);
    kv_entry_t *e = kv_lookup(c, &k, KV_LOOKUP_STATS);
    if (e) {
        int64_t at = kv_entry_expire(e);
        ttl = at == 0 ? -1 : at - c->now;
        if (at && !ms)
            ttl = (ttl + 500) / 1000;
    }
    kv_store_unlock(kv.store, k.shard);
    kv_reply_int(c, ttl);
}

void kv_cmd_ttl(kv_ctx_t *c) { ttl_generic(c, 0); }
void kv_cmd_pttl(kv_ctx_t *c) { ttl_generic(c, 1); }

void kv_cmd_persist(kv_ctx_t *c)
{
    kv_key_t k = kv_key(&c->argv[1]);
    int done = 0;
    kv_store_lock(kv.store, k.shard);
    kv_entry_t *e = kv_lookup(c, &k, KV_LOOKUP_TOUCH);
    if (e && kv_entry_expire(e)) {
        kv_store_set_expire(kv.store, k.shard, e, 0);
        done = 1;
    }
    kv_store_unlock(kv.store, k.shard);
    kv_reply_int(c, done);
}
