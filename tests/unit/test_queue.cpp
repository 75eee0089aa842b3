/* test_queue.cpp - unit and two-thread stress tests of the SPSC ring
 * gr_queue (libgrocket/pipeline/gr_queue.h). */
#include <gtest/gtest.h>

#include "gr_error.h"
#include "gr_queue.h"

#include <atomic>
#include <stdint.h>
#include <stdlib.h>
#include <thread>

/* Items are integers encoded as non-null pointers: v <-> (void *)(v). */
static void *gr_item(uint64_t v) { return (void *)(uintptr_t)v; }
static uint64_t gr_value(void *p) { return (uint64_t)(uintptr_t)p; }

#if defined(__SANITIZE_THREAD__)
#define GR_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GR_TEST_TSAN 1
#endif
#endif
#ifndef GR_TEST_TSAN
#define GR_TEST_TSAN 0
#endif

/* Items for the stress tests: GR_QUEUE_STRESS_ITEMS, else a default that
 * keeps a TSan run on 2 cores well under 20 s. */
static uint64_t gr_stress_items(void)
{
    const char *s = getenv("GR_QUEUE_STRESS_ITEMS");
    if (s != NULL && *s != '\0') {
        char *end = NULL;
        unsigned long long n = strtoull(s, &end, 10);
        if (end != s && *end == '\0' && n > 0)
            return (uint64_t)n;
    }
    return GR_TEST_TSAN ? 1000000 : 2000000;
}

TEST(Queue, CapacityRoundsUpToPowerOfTwo)
{
    static const struct { size_t ask, want; } cases[] = {
        {1, 2}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {63, 64}, {64, 64},
        {65, 128}, {1000, 1024}, {1024, 1024}, {1025, 2048},
    };
    for (const auto &c : cases) {
        gr_queue_t q{};
        ASSERT_EQ(gr_queue_init(&q, c.ask), GR_OK) << "ask " << c.ask;
        EXPECT_EQ(gr_queue_capacity(&q), c.want) << "ask " << c.ask;
        EXPECT_EQ(q.mask, c.want - 1);
        EXPECT_NE(q.slots, nullptr);
        EXPECT_TRUE(gr_queue_empty(&q));
        gr_queue_destroy(&q);
    }
}

TEST(Queue, InitErrors)
{
    gr_queue_t q{};
    EXPECT_EQ(gr_queue_init(&q, 0), GR_EINVAL);
    EXPECT_EQ(q.slots, nullptr);
    EXPECT_EQ(gr_queue_init(&q, SIZE_MAX), GR_EINVAL);
    EXPECT_EQ(q.slots, nullptr);
    EXPECT_EQ(gr_queue_init(&q, SIZE_MAX / 2 + 2), GR_EINVAL); /* rounding would overflow */
    EXPECT_EQ(gr_queue_init(&q, ((size_t)1 << 40) + 1), GR_EINVAL);
    EXPECT_EQ(gr_queue_init(nullptr, 16), GR_EINVAL);
    gr_queue_destroy(&q); /* after a failed init: harmless */
    gr_queue_destroy(nullptr);
}

TEST(Queue, DestroyZeroedAndTwice)
{
    gr_queue_t zeroed{};
    gr_queue_destroy(&zeroed);
    EXPECT_EQ(zeroed.slots, nullptr);

    gr_queue_t q{};
    ASSERT_EQ(gr_queue_init(&q, 8), GR_OK);
    ASSERT_TRUE(gr_queue_push(&q, gr_item(1)));
    gr_queue_destroy(&q);
    EXPECT_EQ(q.slots, nullptr);
    EXPECT_EQ(q.head.load(), 0u);
    EXPECT_EQ(q.tail.load(), 0u);
    gr_queue_destroy(&q);
    EXPECT_EQ(q.slots, nullptr);

    /* A destroyed ring can be initialized again. */
    ASSERT_EQ(gr_queue_init(&q, 4), GR_OK);
    EXPECT_TRUE(gr_queue_empty(&q));
    EXPECT_EQ(gr_queue_pop(&q), nullptr);
    gr_queue_destroy(&q);
}

TEST(Queue, PopOnEmptyReturnsNull)
{
    gr_queue_t q{};
    ASSERT_EQ(gr_queue_init(&q, 4), GR_OK);
    EXPECT_EQ(gr_queue_pop(&q), nullptr);
    EXPECT_EQ(gr_queue_pop(&q), nullptr);
    void *out[4] = {};
    EXPECT_EQ(gr_queue_pop_burst(&q, out, 4), 0u);
    EXPECT_EQ(out[0], nullptr);
    EXPECT_TRUE(gr_queue_empty(&q));

    /* Empty again after one item in and out. */
    ASSERT_TRUE(gr_queue_push(&q, gr_item(7)));
    EXPECT_FALSE(gr_queue_empty(&q));
    EXPECT_EQ(gr_value(gr_queue_pop(&q)), 7u);
    EXPECT_EQ(gr_queue_pop(&q), nullptr);
    EXPECT_TRUE(gr_queue_empty(&q));
    gr_queue_destroy(&q);
}

TEST(Queue, PushUntilFullThenFifo)
{
    for (size_t ask : {2, 5, 64}) {
        gr_queue_t q{};
        ASSERT_EQ(gr_queue_init(&q, ask), GR_OK);
        const size_t cap = gr_queue_capacity(&q);
        for (size_t i = 0; i < cap; i++)
            ASSERT_TRUE(gr_queue_push(&q, gr_item(i + 1))) << "cap " << cap << " i " << i;
        EXPECT_FALSE(gr_queue_push(&q, gr_item(999)));
        EXPECT_FALSE(gr_queue_push(&q, gr_item(999))); /* still full, nothing overwritten */
        EXPECT_EQ(q.tail.load() - q.head.load(), cap);

        /* One pop frees exactly one slot. */
        EXPECT_EQ(gr_value(gr_queue_pop(&q)), 1u);
        EXPECT_TRUE(gr_queue_push(&q, gr_item(cap + 1)));
        EXPECT_FALSE(gr_queue_push(&q, gr_item(999)));

        for (size_t i = 2; i <= cap + 1; i++)
            ASSERT_EQ(gr_value(gr_queue_pop(&q)), i) << "cap " << cap;
        EXPECT_EQ(gr_queue_pop(&q), nullptr);
        gr_queue_destroy(&q);
    }
}

TEST(Queue, WrapAroundManyTimes)
{
    gr_queue_t q{};
    ASSERT_EQ(gr_queue_init(&q, 8), GR_OK);
    const size_t cap = gr_queue_capacity(&q);
    uint64_t next_in = 1, next_out = 1;
    /* Vary the fill level so every slot index is hit at every phase. */
    for (int round = 0; round < 1000; round++) {
        size_t n = (size_t)(round % (int)cap) + 1;
        for (size_t i = 0; i < n; i++)
            ASSERT_TRUE(gr_queue_push(&q, gr_item(next_in++)));
        for (size_t i = 0; i < n; i++)
            ASSERT_EQ(gr_value(gr_queue_pop(&q)), next_out++) << "round " << round;
        ASSERT_EQ(gr_queue_pop(&q), nullptr);
    }
    EXPECT_GT(next_in, 100 * cap); /* went round the ring many times */
    EXPECT_EQ(q.head.load(), next_out - 1);
    EXPECT_EQ(q.tail.load(), next_in - 1);
    gr_queue_destroy(&q);
}

TEST(Queue, CountersWrapAt64Bits)
{
    /* Free-running counters must survive wrapping past 2^64. */
    gr_queue_t q{};
    ASSERT_EQ(gr_queue_init(&q, 4), GR_OK);
    const uint64_t start = UINT64_MAX - 5;
    q.head.store(start);
    q.tail.store(start);
    q.head_cache = start;
    q.tail_cache = start;
    uint64_t next_in = 1, next_out = 1;
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < 4; i++)
            ASSERT_TRUE(gr_queue_push(&q, gr_item(next_in++)));
        ASSERT_FALSE(gr_queue_push(&q, gr_item(999)));
        for (size_t i = 0; i < 4; i++)
            ASSERT_EQ(gr_value(gr_queue_pop(&q)), next_out++);
        ASSERT_EQ(gr_queue_pop(&q), nullptr);
    }
    EXPECT_LT(q.head.load(), start); /* wrapped */
    gr_queue_destroy(&q);
}

TEST(Queue, PopBurstPartialExactEmpty)
{
    gr_queue_t q{};
    ASSERT_EQ(gr_queue_init(&q, 8), GR_OK);
    void *out[16] = {};

    /* Empty. */
    EXPECT_EQ(gr_queue_pop_burst(&q, out, 16), 0u);

    /* Partial: 3 available, ask 16. */
    for (uint64_t v = 1; v <= 3; v++)
        ASSERT_TRUE(gr_queue_push(&q, gr_item(v)));
    ASSERT_EQ(gr_queue_pop_burst(&q, out, 16), 3u);
    for (uint64_t v = 1; v <= 3; v++)
        EXPECT_EQ(gr_value(out[v - 1]), v);
    EXPECT_EQ(gr_queue_pop_burst(&q, out, 16), 0u);

    /* Exact: 5 available, ask 5. Crosses the end of the slot array. */
    for (uint64_t v = 4; v <= 8; v++)
        ASSERT_TRUE(gr_queue_push(&q, gr_item(v)));
    ASSERT_EQ(gr_queue_pop_burst(&q, out, 5), 5u);
    for (uint64_t v = 4; v <= 8; v++)
        EXPECT_EQ(gr_value(out[v - 4]), v);
    EXPECT_TRUE(gr_queue_empty(&q));

    /* Fewer than available: full ring, ask 3, the rest stays in order. */
    for (uint64_t v = 9; v <= 16; v++)
        ASSERT_TRUE(gr_queue_push(&q, gr_item(v)));
    ASSERT_FALSE(gr_queue_push(&q, gr_item(999)));
    ASSERT_EQ(gr_queue_pop_burst(&q, out, 3), 3u);
    for (uint64_t v = 9; v <= 11; v++)
        EXPECT_EQ(gr_value(out[v - 9]), v);
    EXPECT_TRUE(gr_queue_push(&q, gr_item(17))); /* burst freed slots */
    ASSERT_EQ(gr_queue_pop_burst(&q, out, 0), 0u); /* max 0 takes nothing */
    ASSERT_EQ(gr_queue_pop_burst(&q, out, 16), 6u);
    for (uint64_t v = 12; v <= 17; v++)
        EXPECT_EQ(gr_value(out[v - 12]), v);
    EXPECT_EQ(gr_queue_pop(&q), nullptr);
    gr_queue_destroy(&q);
}

TEST(Queue, InterleavedPushPop)
{
    gr_queue_t q{};
    ASSERT_EQ(gr_queue_init(&q, 16), GR_OK);
    const size_t cap = gr_queue_capacity(&q);
    uint64_t next_in = 1, next_out = 1;
    unsigned rng = 12345;
    void *out[8];
    for (int step = 0; step < 100000; step++) {
        rng = rng * 1103515245u + 12345u;
        unsigned r = (rng >> 16) % 8;
        size_t used = (size_t)(next_in - next_out);
        if (r < 4) { /* push 1 */
            bool ok = gr_queue_push(&q, gr_item(next_in));
            ASSERT_EQ(ok, used < cap) << "step " << step;
            if (ok)
                next_in++;
        } else if (r < 6) { /* pop 1 */
            void *p = gr_queue_pop(&q);
            if (used == 0) {
                ASSERT_EQ(p, nullptr) << "step " << step;
            } else {
                ASSERT_EQ(gr_value(p), next_out++) << "step " << step;
            }
        } else { /* pop a burst of 1..8 */
            size_t max = ((rng >> 8) % 8) + 1;
            size_t n = gr_queue_pop_burst(&q, out, max);
            ASSERT_EQ(n, used < max ? used : max) << "step " << step;
            for (size_t i = 0; i < n; i++)
                ASSERT_EQ(gr_value(out[i]), next_out++) << "step " << step;
        }
        ASSERT_EQ(gr_queue_empty(&q), next_in == next_out);
    }
    EXPECT_GT(next_out, 10 * cap);
    gr_queue_destroy(&q);
}

/* Two threads: the producer pushes 1..items, the consumer pops (single pops
 * and bursts of varying size) and checks each value is the next expected
 * one. A small ring forces many full and empty transitions. */
struct gr_stress_t {
    gr_queue_t *q;
    uint64_t items;
    std::atomic<bool> stop{false};  /* consumer saw a bad value: producer gives up */
    uint64_t received = 0;          /* consumer: items taken, in order */
    uint64_t bad_expected = 0;      /* consumer: first mismatch, 0 when none */
    uint64_t bad_got = 0;
    uint64_t full_spins = 0;        /* producer: pushes refused (ring full) */
    uint64_t empty_spins = 0;       /* consumer: pops that found nothing */
};

static void gr_stress_producer(gr_stress_t *s)
{
    for (uint64_t v = 1; v <= s->items; v++) {
        while (!gr_queue_push(s->q, gr_item(v))) {
            if (s->stop.load(std::memory_order_relaxed))
                return;
            s->full_spins++;
            std::this_thread::yield();
        }
    }
}

static void gr_stress_consumer(gr_stress_t *s)
{
    void *out[32];
    uint64_t expect = 1;
    unsigned turn = 0;
    while (expect <= s->items) {
        size_t n;
        turn++;
        if (turn % 3 == 0) {
            void *p = gr_queue_pop(s->q);
            out[0] = p;
            n = p != NULL ? 1 : 0;
        } else {
            n = gr_queue_pop_burst(s->q, out, (turn % 32) + 1);
        }
        if (n == 0) {
            s->empty_spins++;
            std::this_thread::yield();
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t got = gr_value(out[i]);
            if (got != expect) {
                s->bad_expected = expect;
                s->bad_got = got;
                s->stop.store(true, std::memory_order_relaxed);
                return;
            }
            expect++;
        }
        s->received = expect - 1;
    }
}

static void gr_run_stress(size_t capacity, uint64_t items)
{
    gr_queue_t q{};
    ASSERT_EQ(gr_queue_init(&q, capacity), GR_OK);
    gr_stress_t s;
    s.q = &q;
    s.items = items;
    std::thread consumer(gr_stress_consumer, &s);
    std::thread producer(gr_stress_producer, &s);
    producer.join();
    consumer.join();

    EXPECT_EQ(s.bad_expected, 0u) << "expected " << s.bad_expected << " got " << s.bad_got;
    EXPECT_EQ(s.received, items);
    /* Nothing left over, nothing extra. */
    EXPECT_EQ(gr_queue_pop(&q), nullptr);
    EXPECT_TRUE(gr_queue_empty(&q));
    EXPECT_EQ(q.head.load(), items);
    EXPECT_EQ(q.tail.load(), items);
    printf("  capacity %zu, items %llu, producer found it full %llu times, consumer found it empty %llu times\n",
           gr_queue_capacity(&q), (unsigned long long)items, (unsigned long long)s.full_spins,
           (unsigned long long)s.empty_spins);
    gr_queue_destroy(&q);
}

TEST(QueueStress, TwoThreadsInOrderSmallRing)
{
    gr_run_stress(64, gr_stress_items());
}

TEST(QueueStress, TwoThreadsInOrderMinimumRing)
{
    /* Capacity 2: nearly every operation meets a full or empty ring. */
    uint64_t items = gr_stress_items() / 8;
    gr_run_stress(2, items > 0 ? items : 1);
}
