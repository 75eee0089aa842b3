// test_kv_store.cpp - the kv module's keyspace (modules/kv/kv_store.c): the
// hash table, the exact per-shard LRU and eviction, lazy and active expiry
// (Redis's adaptive rule), memory accounting, and several threads at once.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "../modules/kv/kv_store.h"

namespace {

struct Key {
    std::string s;
    uint64_t hash;
    unsigned shard;
};

Key key(const std::string &s)
{
    uint64_t h = kv_hash(s.data(), s.size());
    return {s, h, kv_shard_of(h)};
}

// Keys that all fall in shard `shard`.
std::vector<Key> keys_in_shard(unsigned shard, size_t n)
{
    std::vector<Key> out;
    for (int i = 0; out.size() < n; i++) {
        Key k = key("k" + std::to_string(i));
        if (k.shard == shard)
            out.push_back(k);
    }
    return out;
}

void put(kv_store_t *s, const Key &k, const std::string &v, int64_t expire_at = 0)
{
    kv_entry_t *e = kv_entry_new(k.s.data(), k.s.size(), v.size());
    ASSERT_NE(e, nullptr);
    size_t n;
    memcpy(kv_entry_value(e, &n), v.data(), v.size());
    kv_store_lock(s, k.shard);
    ASSERT_EQ(kv_store_put(s, k.shard, k.hash, e, expire_at), 0);
    kv_store_unlock(s, k.shard);
}

// The value, or "<none>".
std::string get(kv_store_t *s, const Key &k, int64_t now = 1, bool touch = false)
{
    kv_store_lock(s, k.shard);
    kv_entry_t *e = kv_store_find(s, k.shard, k.hash, k.s.data(), k.s.size(), now);
    std::string out = "<none>";
    if (e) {
        size_t n;
        const char *v = kv_entry_value(e, &n);
        out.assign(v, n);
        if (touch)
            kv_store_touch(s, k.shard, e);
    }
    kv_store_unlock(s, k.shard);
    return out;
}

kv_store_info_t info(kv_store_t *s)
{
    kv_store_info_t i;
    kv_store_info(s, &i);
    return i;
}

TEST(KvStore, PutFindReplaceDelete)
{
    kv_store_t *s = kv_store_new();
    ASSERT_NE(s, nullptr);
    for (int i = 0; i < 10000; i++)
        put(s, key("key" + std::to_string(i)), "v" + std::to_string(i));
    EXPECT_EQ(info(s).keys, 10000u);
    EXPECT_EQ(get(s, key("key1234")), "v1234");
    put(s, key("key1234"), "other");
    EXPECT_EQ(get(s, key("key1234")), "other");
    EXPECT_EQ(info(s).keys, 10000u) << "a replace adds no key";
    Key k = key("key42");
    kv_store_lock(s, k.shard);
    EXPECT_EQ(kv_store_delete(s, k.shard, k.hash, k.s.data(), k.s.size(), 1), 1);
    EXPECT_EQ(kv_store_delete(s, k.shard, k.hash, k.s.data(), k.s.size(), 1), 0);
    kv_store_unlock(s, k.shard);
    EXPECT_EQ(get(s, k), "<none>");
    EXPECT_EQ(info(s).keys, 9999u);
    kv_store_free(s);
}

TEST(KvStore, MemoryAccountingReturnsToItsStart)
{
    kv_store_t *s = kv_store_new();
    uint64_t empty = kv_store_used(s);
    EXPECT_GT(empty, 0u) << "the store itself counts";
    for (int i = 0; i < 5000; i++)
        put(s, key("key" + std::to_string(i)), std::string(100, 'x'), i % 2 ? 1000000 : 0);
    uint64_t full = kv_store_used(s);
    EXPECT_GT(full, empty + 5000u * 100) << "every value counts";
    EXPECT_LT(full, empty + 5000u * 400) << "and not much more than it takes";
    kv_store_flush(s);
    EXPECT_EQ(kv_store_used(s), empty);
    EXPECT_EQ(info(s).keys, 0u);
    kv_store_free(s);
}

TEST(KvStore, EvictsTheLeastRecentlyUsedOfTheShardExactly)
{
    kv_store_t *s = kv_store_new();
    std::vector<Key> ks = keys_in_shard(5, 10);
    for (const Key &k : ks)
        put(s, k, "value");
    get(s, ks[0], 1, true); // ks[0] becomes the most recently used
    get(s, ks[1], 1, false); // a look without touch changes nothing
    uint64_t used = kv_store_used(s);
    // Evict until a little less is held: one entry goes, the LRU one: ks[1].
    ASSERT_EQ(kv_store_evict(s, 5, used - 1), 0);
    EXPECT_EQ(get(s, ks[1]), "<none>");
    EXPECT_EQ(get(s, ks[0]), "value");
    EXPECT_EQ(info(s).keys, 9u);
    EXPECT_EQ(info(s).evicted, 1u);
    // Three more: ks[2], ks[3], ks[4], in put order.
    ASSERT_EQ(kv_store_evict(s, 5, kv_store_used(s) - 1), 0);
    ASSERT_EQ(kv_store_evict(s, 5, kv_store_used(s) - 1), 0);
    ASSERT_EQ(kv_store_evict(s, 5, kv_store_used(s) - 1), 0);
    for (int i = 2; i <= 4; i++)
        EXPECT_EQ(get(s, ks[i]), "<none>") << i;
    EXPECT_EQ(get(s, ks[5]), "value");
    // Nothing left to evict below the store's own size.
    EXPECT_EQ(kv_store_evict(s, 5, 0), -1);
    EXPECT_EQ(info(s).keys, 0u);
    kv_store_free(s);
}

// What the backup copy relies on: eviction names each key just before it
// goes, and kv_store_each lists a shard's live keys (not expired ones),
// most recently used first.
TEST(KvStore, EvictionHookAndEachSeeTheKeys)
{
    kv_store_t *s = kv_store_new();
    std::vector<std::string> evicted;
    kv_store_on_evict(
        s, [](void *arg, const char *k, size_t n) { ((std::vector<std::string> *)arg)->emplace_back(k, n); },
        &evicted);
    std::vector<Key> ks = keys_in_shard(7, 4);
    put(s, ks[0], "a");
    put(s, ks[1], "b", 50); // expires at 50
    put(s, ks[2], "c");
    put(s, ks[3], "d");
    std::vector<std::string> seen;
    kv_store_lock(s, 7);
    kv_store_each(
        s, 7, 100,
        [](void *arg, const kv_entry_t *e) {
            size_t n;
            const char *k = kv_entry_key(e, &n);
            ((std::vector<std::string> *)arg)->emplace_back(k, n);
        },
        &seen);
    kv_store_unlock(s, 7);
    EXPECT_EQ(seen, (std::vector<std::string>{ks[3].s, ks[2].s, ks[0].s})) << "live keys, most recent first";
    ASSERT_EQ(kv_store_evict(s, 7, kv_store_used(s) - 1), 0);
    ASSERT_EQ(kv_store_evict(s, 7, kv_store_used(s) - 1), 0);
    EXPECT_EQ(evicted, (std::vector<std::string>{ks[0].s, ks[1].s})) << "the LRU ones, in order";
    kv_store_free(s);
}

TEST(KvStore, LazyExpiry)
{
    kv_store_t *s = kv_store_new();
    Key k = key("t");
    put(s, k, "v", 100);
    EXPECT_EQ(get(s, k, 99), "v");
    EXPECT_EQ(info(s).expires, 1u);
    EXPECT_EQ(get(s, k, 100), "<none>") << "expired at its deadline";
    EXPECT_EQ(info(s).keys, 0u) << "and deleted by the look";
    EXPECT_EQ(info(s).expired, 1u);
    // Clearing the TTL keeps the key.
    put(s, k, "v", 100);
    kv_store_lock(s, k.shard);
    kv_entry_t *e = kv_store_find(s, k.shard, k.hash, "t", 1, 50);
    ASSERT_NE(e, nullptr);
    kv_store_set_expire(s, k.shard, e, 0);
    kv_store_unlock(s, k.shard);
    EXPECT_EQ(get(s, k, 1000), "v");
    EXPECT_EQ(info(s).expires, 0u);
    kv_store_free(s);
}

TEST(KvStore, ActiveExpiryReclaimsUntouchedKeys)
{
    kv_store_t *s = kv_store_new();
    for (int i = 0; i < 20000; i++)
        put(s, key("e" + std::to_string(i)), "v", 10);
    for (int i = 0; i < 1000; i++)
        put(s, key("keep" + std::to_string(i)), "v", 0);
    EXPECT_EQ(info(s).keys, 21000u) << "DBSIZE counts expired keys not yet reclaimed";
    // All expired: the rule samples again and again, so one cycle over the
    // shards reclaims them all.
    size_t n = kv_expire_cycle(s, 1000, KV_SHARDS, 10 * 1000 * 1000);
    EXPECT_EQ(n, 20000u);
    EXPECT_EQ(info(s).keys, 1000u);
    EXPECT_EQ(info(s).expired, 20000u);
    kv_store_free(s);
}

TEST(KvStore, ActiveExpiryStopsWhenFewHaveExpired)
{
    kv_store_t *s = kv_store_new();
    // A tenth of the keys with a TTL have expired: Redis's rule samples once
    // per shard (20 keys, 2 or so expired: under a quarter) and stops.
    for (int i = 0; i < 20000; i++)
        put(s, key("e" + std::to_string(i)), "v", i % 10 == 0 ? 10 : 1000000);
    size_t n = kv_expire_cycle(s, 1000, KV_SHARDS, 10 * 1000 * 1000);
    EXPECT_GT(n, 0u);
    EXPECT_LE(n, (size_t)KV_SHARDS * 20) << "one sample of at most 20 per shard";
    kv_store_free(s);
}

TEST(KvStore, ActiveExpiryKeepsToItsShardCount)
{
    kv_store_t *s = kv_store_new();
    for (int i = 0; i < 20000; i++)
        put(s, key("e" + std::to_string(i)), "v", 10);
    size_t n = kv_expire_cycle(s, 1000, 4, 10 * 1000 * 1000);
    EXPECT_GT(n, 0u);
    EXPECT_LT(n, 20000u / 8) << "4 of 64 shards";
    kv_store_free(s);
}

// The hash spreads keys that differ in a byte or two (redis-benchmark's
// key:000000012345, a counter's k1 k2 ...) over the shards (top bits) and
// the buckets (low bits) about evenly, and depends on every byte, the
// lengths that are not a multiple of the word size too.
TEST(KvStore, HashSpreadsSimilarKeys)
{
    const int kKeys = 64 * 1024;
    for (const char *fmt : {"key:%012d", "k%d", "%d"}) {
        std::vector<int> shards(KV_SHARDS), buckets(1024);
        for (int i = 0; i < kKeys; i++) {
            char k[32];
            int n = snprintf(k, sizeof k, fmt, i);
            uint64_t h = kv_hash(k, (size_t)n);
            shards[kv_shard_of(h)]++;
            buckets[h & 1023]++;
        }
        // Means 1024 and 64; a fair coin stays well inside these bounds.
        for (int c : shards)
            EXPECT_TRUE(c > 1024 * 8 / 10 && c < 1024 * 12 / 10) << fmt << ": " << c;
        for (int c : buckets)
            EXPECT_TRUE(c > 64 / 3 && c < 64 * 2) << fmt << ": " << c;
    }
    std::string base = "abcdefghijklmnopq"; // 17 bytes: two words and a tail byte
    for (size_t i = 0; i < base.size(); i++) {
        std::string k = base;
        k[i] ^= 1;
        EXPECT_NE(kv_hash(k.data(), k.size()), kv_hash(base.data(), base.size())) << "byte " << i;
        EXPECT_NE(kv_hash(base.data(), i), kv_hash(base.data(), i + 1)) << "length " << i;
    }
}

// Several threads on one store: puts, finds, deletes and evictions under
// the shard locks, then the counts add up (TSan checks the locking).
TEST(KvStore, ThreadsShareTheStore)
{
    kv_store_t *s = kv_store_new();
    const int kThreads = 4, kOps = 20000;
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; t++) {
        ts.emplace_back([s, t] {
            for (int i = 0; i < kOps; i++) {
                Key k = key("t" + std::to_string(t) + "-" + std::to_string(i % 500));
                if (i % 3 == 2) {
                    kv_store_lock(s, k.shard);
                    kv_store_delete(s, k.shard, k.hash, k.s.data(), k.s.size(), 1);
                    kv_store_unlock(s, k.shard);
                } else {
                    put(s, k, std::to_string(i), i % 5 == 0 ? 2 : 0);
                    get(s, k, 1, true);
                }
                if (i % 1000 == 0)
                    kv_expire_cycle(s, 3, 8, 1000);
            }
        });
    }
    for (auto &th : ts)
        th.join();
    // Each thread's keys are its own: what is left is what its last
    // operation on each key left.
    kv_store_info_t in = info(s);
    EXPECT_LE(in.keys, (uint64_t)kThreads * 500);
    EXPECT_GT(in.keys, 0u);
    kv_store_flush(s);
    EXPECT_EQ(info(s).keys, 0u);
    kv_store_free(s);
}

} // namespace
