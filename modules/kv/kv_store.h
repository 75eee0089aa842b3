/* kv_store.h - the keyspace: KV_SHARDS shards, each a chained hash table
 * with its own mutex, its own exact LRU list and its own array of the keys
 * that have a TTL (what active expiry samples). A key's shard is fixed by
 * its hash, so a command on one key takes one lock, and commands on keys
 * of different shards from different threads do not meet.
 *
 * Locking: functions taking a shard need that shard locked by the caller
 * (kv_store_lock); the rest take the locks they need themselves and must
 * be called with none held. Pure C, no grocket services: unit-tested on
 * its own. */
#ifndef KV_STORE_H
#define KV_STORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KV_SHARD_BITS 6
#define KV_SHARDS (1u << KV_SHARD_BITS) /* 64: a uint64_t mask names a set of shards */

typedef struct kv_store_t kv_store_t;
typedef struct kv_entry_t kv_entry_t;

/* The hash of a key; its top KV_SHARD_BITS bits pick the shard. */
uint64_t kv_hash(const char *key, size_t n);
static inline unsigned kv_shard_of(uint64_t hash) { return (unsigned)(hash >> (64 - KV_SHARD_BITS)); }

kv_store_t *kv_store_new(void);
void kv_store_free(kv_store_t *s);
void kv_store_lock(kv_store_t *s, unsigned shard);
void kv_store_unlock(kv_store_t *s, unsigned shard);
/* Lock (in increasing order, so two callers cannot deadlock) or unlock
 * every shard in mask. */
void kv_store_lock_mask(kv_store_t *s, uint64_t mask);
void kv_store_unlock_mask(kv_store_t *s, uint64_t mask);

/* ---- with the shard locked ---- */

/* The live entry for key; NULL when there is none. An expired one is
 * deleted on the way (lazy expiry). */
kv_entry_t *kv_store_find(kv_store_t *s, unsigned shard, uint64_t hash, const char *key, size_t klen, int64_t now_ms);
/* Make e its shard's most recently used (a read or write of it; Redis's
 * TTL and EXISTS leave the LRU alone, and so do we). */
void kv_store_touch(kv_store_t *s, unsigned shard, kv_entry_t *e);
/* Insert e (from kv_entry_new, filled), replacing the entry of the same
 * key if any (freed: pointers to it die), as most recently used, expiring
 * at expire_at (ms of kv_now_ms; 0: never). 0: the store owns e; -1 when
 * out of memory (e stays the caller's). */
int kv_store_put(kv_store_t *s, unsigned shard, uint64_t hash, kv_entry_t *e, int64_t expire_at);
/* Delete key; 1 when a live entry was deleted, else 0. */
int kv_store_delete(kv_store_t *s, unsigned shard, uint64_t hash, const char *key, size_t klen, int64_t now_ms);
/* Set or (0) clear e's expiry time. */
void kv_store_set_expire(kv_store_t *s, unsigned shard, kv_entry_t *e, int64_t expire_at);

/* ---- entries ---- */

/* A detached entry for key with room for vlen bytes of value, to fill
 * through kv_entry_value and hand to kv_store_put; NULL when out of
 * memory. kv_entry_free frees one never put. */
kv_entry_t *kv_entry_new(const char *key, size_t klen, size_t vlen);
void kv_entry_free(kv_entry_t *e);
char *kv_entry_value(kv_entry_t *e, size_t *len);
int64_t kv_entry_expire(const kv_entry_t *e); /* 0: none */
const char *kv_entry_key(const kv_entry_t *e, size_t *len);

/* Each live entry of a locked shard, most recently used first (the backup
 * copy's snapshot). */
typedef void (*kv_each_fn)(void *arg, const kv_entry_t *e);
void kv_store_each(kv_store_t *s, unsigned shard, int64_t now_ms, kv_each_fn fn, void *arg);
/* Called with the shard locked for every key eviction deletes, just before
 * it goes (the backup copy forwards the delete). Set once, before use. */
typedef void (*kv_evict_fn)(void *arg, const char *key, size_t klen);
void kv_store_on_evict(kv_store_t *s, kv_evict_fn fn, void *arg);

/* ---- with no lock held ---- */

/* While the store holds more than max_bytes, evict the least recently used
 * entry of shard first, then of the next shards in turn. 0, or -1 when
 * every shard is empty and the store still holds too much. */
int kv_store_evict(kv_store_t *s, unsigned first, uint64_t max_bytes);
/* Active expiry, Redis's adaptive rule per shard: sample up to 20 keys
 * with a TTL, delete the expired ones, sample again while more than a
 * quarter of the sample had expired. Visits up to max_shards shards, going
 * on from where the last call stopped, and stops past budget_us. Returns
 * the keys it deleted. */
size_t kv_expire_cycle(kv_store_t *s, int64_t now_ms, unsigned max_shards, int64_t budget_us);
void kv_store_flush(kv_store_t *s);

typedef struct kv_store_info_t {
    uint64_t keys;     /* entries held, expired ones not yet reclaimed too (as Redis's DBSIZE) */
    uint64_t expires;  /* of them, with a TTL */
    uint64_t expired;  /* deleted by expiry since start */
    uint64_t evicted;  /* deleted by eviction since start */
} kv_store_info_t;
void kv_store_info(kv_store_t *s, kv_store_info_t *out);
/* Bytes the store's allocations take, as the allocator counts them; read
 * without a lock. */
uint64_t kv_store_used(kv_store_t *s);

#ifdef __cplusplus
}
#endif

#endif
