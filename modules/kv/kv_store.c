/* kv_store.c - the sharded keyspace (see kv_store.h). */
#include "kv_store.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kv_os.h"

#define EXP_NONE UINT32_MAX
#define TABLE_MIN 16
#define EXPIRE_SAMPLE 20 /* Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP */

/* One key and its value in one allocation: the header, the key, the
 * value. 48 bytes of header on 64-bit systems. */
struct kv_entry_t {
    kv_entry_t *hnext;     /* next in the bucket's chain */
    kv_entry_t *lru_prev;  /* towards the most recently used */
    kv_entry_t *lru_next;  /* towards the least recently used */
    int64_t expire_at;     /* kv_now_ms() deadline; 0: none */
    uint32_t hash;         /* low 32 bits of kv_hash: bucket and quick compare */
    uint32_t exp_idx;      /* index in the shard's exp array; EXP_NONE: no TTL */
    uint32_t klen, vlen;
    char data[];           /* key, then value */
};

typedef struct kv_shard_t {
    kv_mutex_t lock;
    kv_entry_t **buckets;  /* mask + 1 chains */
    uint32_t mask;
    uint64_t count;        /* entries */
    kv_entry_t *lru_head;  /* most recently used */
    kv_entry_t *lru_tail;  /* least recently used: evicted first */
    kv_entry_t **exp;      /* the entries with a TTL, in no order */
    uint32_t nexp, exp_cap;
    uint64_t rng;          /* xorshift state for sampling */
    uint64_t expired, evicted;
    char pad[64];          /* keep neighbouring shards' locks off one cache line */
} kv_shard_t;

struct kv_store_t {
    kv_shard_t shards[KV_SHARDS];
    _Atomic int64_t used;        /* bytes, all shards */
    _Atomic unsigned cursor;     /* next shard for kv_expire_cycle */
    kv_evict_fn on_evict;        /* kv_store_on_evict's; NULL: none */
    void *evict_arg;
};

/* Eight bytes at a time, each word mixed in by a multiply, then
 * murmur3's finaliser, so that the top bits (the shard) and the low ones
 * (the bucket) depend on every byte. FNV-1a, a byte at a time, cost ~110
 * instructions for redis-benchmark's 16-byte key: 7% of a GET. The value
 * lives only in this process (words are read in the host's byte order). */
static inline uint64_t hash_mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

uint64_t kv_hash(const char *key, size_t n)
{
    uint64_t h = 0x2545f4914f6cdd1dull ^ (uint64_t)n, w = 0;
    for (; n >= 8; key += 8, n -= 8) {
        memcpy(&w, key, 8);
        h = hash_mix(h, w);
    }
    if (n) {
        w = 0;
        for (size_t i = 0; i < n; i++)
            w |= (uint64_t)(unsigned char)key[i] << (8 * i);
        h = hash_mix(h, w);
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static void account(kv_store_t *s, int64_t delta) { atomic_fetch_add_explicit(&s->used, delta, memory_order_relaxed); }

kv_store_t *kv_store_new(void)
{
    kv_store_t *s = (kv_store_t *)calloc(1, sizeof *s);
    if (!s)
        return NULL;
    for (unsigned i = 0; i < KV_SHARDS; i++) {
        kv_shard_t *sh = &s->shards[i];
        kv_mutex_init(&sh->lock);
        sh->rng = 0x9e3779b97f4a7c15ull * (i + 1);
    }
    account(s, (int64_t)kv_alloc_size(s));
    return s;
}

static void shard_clear(kv_store_t *s, kv_shard_t *sh)
{
    int64_t freed = 0;
    for (kv_entry_t *e = sh->lru_head, *next; e; e = next) {
        next = e->lru_next;
        freed += (int64_t)kv_alloc_size(e);
        free(e);
    }
    freed += (int64_t)kv_alloc_size(sh->buckets) + (int64_t)kv_alloc_size(sh->exp);
    free(sh->buckets);
    free(sh->exp);
    sh->buckets = NULL;
    sh->mask = 0;
    sh->count = 0;
    sh->lru_head = sh->lru_tail = NULL;
    sh->exp = NULL;
    sh->nexp = sh->exp_cap = 0;
    account(s, -freed);
}

void kv_store_free(kv_store_t *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < KV_SHARDS; i++) {
        shard_clear(s, &s->shards[i]);
        kv_mutex_destroy(&s->shards[i].lock);
    }
    free(s);
}

void kv_store_lock(kv_store_t *s, unsigned shard) { kv_mutex_lock(&s->shards[shard].lock); }
void kv_store_unlock(kv_store_t *s, unsigned shard) { kv_mutex_unlock(&s->shards[shard].lock); }

void kv_store_lock_mask(kv_store_t *s, uint64_t mask)
{
    for (unsigned i = 0; i < KV_SHARDS; i++)
        if (mask >> i & 1)
            kv_mutex_lock(&s->shards[i].lock);
}

void kv_store_unlock_mask(kv_store_t *s, uint64_t mask)
{
    for (unsigned i = 0; i < KV_SHARDS; i++)
        if (mask >> i & 1)
            kv_mutex_unlock(&s->shards[i].lock);
}

/* ---- entries ---- */

kv_entry_t *kv_entry_new(const char *key, size_t klen, size_t vlen)
{
    if (klen > UINT32_MAX || vlen > UINT32_MAX)
        return NULL;
    kv_entry_t *e = (kv_entry_t *)malloc(sizeof *e + klen + vlen);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->exp_idx = EXP_NONE;
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    memcpy(e->data, key, klen);
    return e;
}

void kv_entry_free(kv_entry_t *e) { free(e); }

char *kv_entry_value(kv_entry_t *e, size_t *len)
{
    *len = e->vlen;
    return e->data + e->klen;
}

int64_t kv_entry_expire(const kv_entry_t *e) { return e->expire_at; }

const char *kv_entry_key(const kv_entry_t *e, size_t *len)
{
    *len = e->klen;
    return e->data;
}

/* ---- the LRU list ---- */

static void lru_unlink(kv_shard_t *sh, kv_entry_t *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        sh->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        sh->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_head(kv_shard_t *sh, kv_entry_t *e)
{
    e->lru_prev = NULL;
    e->lru_next = sh->lru_head;
    if (sh->lru_head)
        sh->lru_head->lru_prev = e;
    else
        sh->lru_tail = e;
    sh->lru_head = e;
}

/* ---- the TTL array ---- */

static void exp_remove(kv_shard_t *sh, kv_entry_t *e)
{
    if (e->exp_idx == EXP_NONE)
        return;
    kv_entry_t *last = sh->exp[--sh->nexp];
    sh->exp[e->exp_idx] = last;
    last->exp_idx = e->exp_idx;
    e->exp_idx = EXP_NONE;
}

/* 0, or -1 when the array cannot grow (the key then keeps no TTL). */
static int exp_add(kv_store_t *s, kv_shard_t *sh, kv_entry_t *e)
{
    if (e->exp_idx != EXP_NONE)
        return 0;
    if (sh->nexp == sh->exp_cap) {
        uint32_t cap = sh->exp_cap ? sh->exp_cap * 2 : 16;
        int64_t before = (int64_t)kv_alloc_size(sh->exp);
        kv_entry_t **v = (kv_entry_t **)realloc(sh->exp, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        sh->exp = v;
        sh->exp_cap = cap;
        account(s, (int64_t)kv_alloc_size(v) - before);
    }
    e->exp_idx = sh->nexp;
    sh->exp[sh->nexp++] = e;
    return 0;
}

void kv_store_set_expire(kv_store_t *s, unsigned shard, kv_entry_t *e, int64_t expire_at)
{
    kv_shard_t *sh = &s->shards[shard];
    if (expire_at && exp_add(s, sh, e) == 0)
        e->expire_at = expire_at;
    else if (!expire_at) {
        exp_remove(sh, e);
        e->expire_at = 0;
    }
}

/* ---- the hash table ---- */

static void table_grow(kv_store_t *s, kv_shard_t *sh)
{
    uint32_t n = sh->buckets ? (sh->mask + 1) * 2 : TABLE_MIN;
    if (n == 0)
        return; /* 2^32 buckets: stay */
    kv_entry_t **b = (kv_entry_t **)calloc(n, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    if (sh->buckets) {
        for (uint32_t i = 0; i <= sh->mask; i++) {
            for (kv_entry_t *e = sh->buckets[i], *next; e; e = next) {
                next = e->hnext;
                e->hnext = b[e->hash & (n - 1)];
                b[e->hash & (n - 1)] = e;
            }
        }
    }
    account(s, (int64_t)kv_alloc_size(b) - (int64_t)kv_alloc_size(sh->buckets));
    free(sh->buckets);
    sh->buckets = b;
    sh->mask = n - 1;
}

/* The link that points at key's entry (the bucket or a predecessor's
 * hnext); *link is NULL when there is none. */
static kv_entry_t **table_link(kv_shard_t *sh, uint32_t h, const char *key, size_t klen)
{
    kv_entry_t **link = &sh->buckets[h & sh->mask];
    for (; *link; link = &(*link)->hnext) {
        kv_entry_t *e = *link;
        if (e->hash == h && e->klen == klen && memcmp(e->data, key, klen) == 0)
            break;
    }
    return link;
}

/* Unlink *link's entry from everything and free it. */
static void entry_delete(kv_store_t *s, kv_shard_t *sh, kv_entry_t **link)
{
    kv_entry_t *e = *link;
    *link = e->hnext;
    lru_unlink(sh, e);
    exp_remove(sh, e);
    sh->count--;
    account(s, -(int64_t)kv_alloc_size(e));
    free(e);
}

kv_entry_t *kv_store_find(kv_store_t *s, unsigned shard, uint64_t hash, const char *key, size_t klen, int64_t now_ms)
{
    kv_shard_t *sh = &s->shards[shard];
    if (!sh->buckets)
        return NULL;
    kv_entry_t **link = table_link(sh, (uint32_t)hash, key, klen);
    kv_entry_t *e = *link;
    if (!e)
        return NULL;
    if (e->expire_at && e->expire_at <= now_ms) {
        entry_delete(s, sh, link);
        sh->expired++;
        return NULL;
    }
    return e;
}

void kv_store_touch(kv_store_t *s, unsigned shard, kv_entry_t *e)
{
    kv_shard_t *sh = &s->shards[shard];
    if (sh->lru_head != e) {
        lru_unlink(sh, e);
        lru_push_head(sh, e);
    }
}

int kv_store_put(kv_store_t *s, unsigned shard, uint64_t hash, kv_entry_t *e, int64_t expire_at)
{
    kv_shard_t *sh = &s->shards[shard];
    e->hash = (uint32_t)hash;
    if (!sh->buckets || sh->count >= (uint64_t)sh->mask + 1)
        table_grow(s, sh);
    if (!sh->buckets)
        return -1;
    kv_entry_t **link = table_link(sh, e->hash, e->data, e->klen);
    if (*link) {
        kv_entry_t *old = *link;
        e->hnext = old->hnext;
        lru_unlink(sh, old);
        exp_remove(sh, old);
        account(s, -(int64_t)kv_alloc_size(old));
        free(old);
        *link = e;
    } else {
        e->hnext = NULL;
        *link = e;
        sh->count++;
    }
    lru_push_head(sh, e);
    account(s, (int64_t)kv_alloc_size(e));
    kv_store_set_expire(s, shard, e, expire_at);
    return 0;
}

int kv_store_delete(kv_store_t *s, unsigned shard, uint64_t hash, const char *key, size_t klen, int64_t now_ms)
{
    kv_shard_t *sh = &s->shards[shard];
    if (!sh->buckets)
        return 0;
    kv_entry_t **link = table_link(sh, (uint32_t)hash, key, klen);
    if (!*link)
        return 0;
    int live = !((*link)->expire_at && (*link)->expire_at <= now_ms);
    if (!live)
        sh->expired++;
    entry_delete(s, sh, link);
    return live;
}

/* ---- eviction and active expiry ---- */

static void delete_entry(kv_store_t *s, kv_shard_t *sh, kv_entry_t *e)
{
    entry_delete(s, sh, table_link(sh, e->hash, e->data, e->klen));
}

int kv_store_evict(kv_store_t *s, unsigned first, uint64_t max_bytes)
{
    unsigned empty = 0, i = first;
    while ((uint64_t)atomic_load_explicit(&s->used, memory_order_relaxed) > max_bytes) {
        kv_shard_t *sh = &s->shards[i];
        kv_mutex_lock(&sh->lock);
        if (sh->lru_tail) {
            if (s->on_evict)
                s->on_evict(s->evict_arg, sh->lru_tail->data, sh->lru_tail->klen);
            delete_entry(s, sh, sh->lru_tail);
            sh->evicted++;
            empty = 0;
        } else {
            empty++;
            i = (i + 1) % KV_SHARDS; /* this shard has nothing left: on to the next */
        }
        kv_mutex_unlock(&sh->lock);
        if (empty >= KV_SHARDS)
            return -1;
    }
    return 0;
}

static uint64_t xorshift(uint64_t *st)
{
    uint64_t x = *st;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *st = x;
}

/* One shard: Redis's loop. Returns the keys deleted; *out_of_time set when
 * the budget ran out. */
static size_t expire_shard(kv_store_t *s, kv_shard_t *sh, int64_t now_ms, int64_t deadline_us, int *out_of_time)
{
    size_t total = 0;
    for (;;) {
        uint32_t sample = sh->nexp < EXPIRE_SAMPLE ? sh->nexp : EXPIRE_SAMPLE, expired = 0;
        if (sample == 0)
            return total;
        for (uint32_t j = 0; j < sample && sh->nexp; j++) {
            kv_entry_t *e = sh->exp[xorshift(&sh->rng) % sh->nexp];
            if (e->expire_at <= now_ms) {
                delete_entry(s, sh, e);
                expired++;
            }
        }
        sh->expired += expired;
        total += expired;
        if (expired * 4 <= sample) /* a quarter or less had expired: good enough */
            return total;
        if (kv_now_us() >= deadline_us) {
            *out_of_time = 1;
            return total;
        }
    }
}

size_t kv_expire_cycle(kv_store_t *s, int64_t now_ms, unsigned max_shards, int64_t budget_us)
{
    int64_t deadline = kv_now_us() + budget_us;
    int out_of_time = 0;
    size_t total = 0;
    if (max_shards > KV_SHARDS)
        max_shards = KV_SHARDS;
    for (unsigned i = 0; i < max_shards && !out_of_time; i++) {
        kv_shard_t *sh = &s->shards[atomic_fetch_add_explicit(&s->cursor, 1, memory_order_relaxed) % KV_SHARDS];
        kv_mutex_lock(&sh->lock);
        total += expire_shard(s, sh, now_ms, deadline, &out_of_time);
        kv_mutex_unlock(&sh->lock);
    }
    return total;
}

void kv_store_on_evict(kv_store_t *s, kv_evict_fn fn, void *arg)
{
    s->on_evict = fn;
    s->evict_arg = arg;
}

void kv_store_each(kv_store_t *s, unsigned shard, int64_t now_ms, kv_each_fn fn, void *arg)
{
    for (kv_entry_t *e = s->shards[shard].lru_head; e; e = e->lru_next)
        if (!e->expire_at || e->expire_at > now_ms)
            fn(arg, e);
}

void kv_store_flush(kv_store_t *s)
{
    for (unsigned i = 0; i < KV_SHARDS; i++) {
        kv_mutex_lock(&s->shards[i].lock);
        shard_clear(s, &s->shards[i]);
        kv_mutex_unlock(&s->shards[i].lock);
    }
}

void kv_store_info(kv_store_t *s, kv_store_info_t *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < KV_SHARDS; i++) {
        kv_shard_t *sh = &s->shards[i];
        kv_mutex_lock(&sh->lock);
        out->keys += sh->count;
        out->expires += sh->nexp;
        out->expired += sh->expired;
        out->evicted += sh->evicted;
        kv_mutex_unlock(&sh->lock);
    }
}

uint64_t kv_store_used(kv_store_t *s)
{
    int64_t v = atomic_load_explicit(&s->used, memory_order_relaxed);
    return v > 0 ? (uint64_t)v : 0;
}
