/* test_timers.cpp - one processing thread's timer heap (gr_timers.h):
 * deadline order, repeating timers and how they catch up, cancelling
 * (also from inside a callback, and with stale or foreign ids), starting
 * timers from a callback, record reuse, and the count left at free. */
#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <vector>

#include "gr_error.h"
#include "gr_timers.h"

namespace {

struct Log {
    std::vector<std::pair<int, int64_t>> fired; /* (tag, now at the call) */
    int64_t now = 0;
};
Log *g_log;
gr_timers_t *g_t;

void record(uint64_t, void *arg) { g_log->fired.push_back({(int)(intptr_t)arg, g_log->now}); }

struct Timers : ::testing::Test {
    gr_timers_t t;
    Log log;
    void SetUp() override
    {
        gr_timers_init(&t, 3);
        g_log = &log;
        g_t = &t;
    }
    void TearDown() override { gr_timers_free(&t); }
    size_t run(int64_t now)
    {
        log.now = now;
        return gr_timers_run(&t, now);
    }
};

TEST_F(Timers, FireInDeadlineOrderNeverEarly)
{
    int delays[] = {50, 10, 30, 20, 40, 10};
    for (int i = 0; i < 6; i++)
        ASSERT_NE(0u, gr_timers_add(&t, 100, (uint64_t)delays[i], 0, record, (void *)(intptr_t)i));
    EXPECT_EQ(110, gr_timers_next(&t));
    EXPECT_EQ(0u, run(109)); /* nothing before its time */
    EXPECT_EQ(2u, run(110));
    EXPECT_EQ(3u, run(145));
    EXPECT_EQ(1u, run(1000));
    ASSERT_EQ(6u, log.fired.size());
    std::vector<int> order;
    for (auto &f : log.fired)
        order.push_back(f.first);
    /* 10 (tags 1 and 5, either order), 20, 30, 40, 50 */
    EXPECT_TRUE((order[0] == 1 && order[1] == 5) || (order[0] == 5 && order[1] == 1));
    EXPECT_EQ((std::vector<int>{3, 2, 4, 0}), std::vector<int>(order.begin() + 2, order.end()));
    EXPECT_EQ(0u, gr_timers_active(&t));
    EXPECT_EQ(INT64_MAX, gr_timers_next(&t));
}

TEST_F(Timers, RepeatingKeepsItsCadenceAndSkipsWhatItMissed)
{
    ASSERT_NE(0u, gr_timers_add(&t, 0, 10, 10, record, (void *)1));
    run(10);
    run(20);
    EXPECT_EQ(30, gr_timers_next(&t));
    run(75); /* late: runs once, then its next period after now */
    EXPECT_EQ(3u, log.fired.size());
    EXPECT_EQ(85, gr_timers_next(&t));
    EXPECT_EQ(1u, gr_timers_active(&t));
}

TEST_F(Timers, CancelRefusesStaleAndForeignIds)
{
    uint64_t a = gr_timers_add(&t, 0, 10, 0, record, (void *)1);
    uint64_t b = gr_timers_add(&t, 0, 20, 0, record, (void *)2);
    ASSERT_NE(0u, a);
    EXPECT_EQ(GR_OK, gr_timers_cancel(&t, a));
    EXPECT_EQ(GR_EINVAL, gr_timers_cancel(&t, a)); /* twice */
    /* The freed record is reused with a new generation: the old id stays dead. */
    uint64_t c = gr_timers_add(&t, 0, 5, 0, record, (void *)3);
    EXPECT_NE(a, c);
    EXPECT_EQ(GR_EINVAL, gr_timers_cancel(&t, a));
    gr_timers_t other;
    gr_timers_init(&other, 4);
    EXPECT_EQ(GR_EINVAL, gr_timers_cancel(&other, b)); /* another thread's */
    gr_timers_free(&other);
    EXPECT_EQ(GR_EINVAL, gr_timers_cancel(&t, 0));
    run(100);
    EXPECT_EQ(2u, log.fired.size());
    EXPECT_EQ(GR_EINVAL, gr_timers_cancel(&t, b)); /* a one-shot that ran */
}

uint64_t g_self;
int g_runs;
void cancel_self(uint64_t id, void *)
{
    g_runs++;
    EXPECT_EQ(g_self, id);
    if (g_runs == 2) {
        EXPECT_EQ(GR_OK, gr_timers_cancel(g_t, id));
    }
}

TEST_F(Timers, RepeatingCancelsItselfFromItsCallback)
{
    g_runs = 0;
    g_self = gr_timers_add(&t, 0, 1, 1, cancel_self, NULL);
    for (int64_t ms = 1; ms < 10; ms++)
        gr_timers_run(&t, ms);
    EXPECT_EQ(2, g_runs);
    EXPECT_EQ(0u, gr_timers_active(&t));
}

void start_more(uint64_t, void *arg)
{
    int depth = (int)(intptr_t)arg;
    record(0, arg);
    if (depth < 3) { /* a 0 ms timer from a callback runs at the next call, not in this one */
        ASSERT_NE(0u, gr_timers_add(g_t, g_log->now, 0, 0, start_more, (void *)(intptr_t)(depth + 1)));
        for (int i = 0; i < 100; i++) /* and may grow the table under the running timer */
            gr_timers_add(g_t, g_log->now, 1000, 0, record, (void *)-1);
    }
}

TEST_F(Timers, CallbacksStartTimers)
{
    gr_timers_add(&t, 0, 1, 0, start_more, (void *)1);
    EXPECT_EQ(1u, run(1));
    EXPECT_EQ(1u, run(1));
    EXPECT_EQ(1u, run(1));
    EXPECT_EQ(0u, run(1));
    EXPECT_EQ(3u, log.fired.size());
    EXPECT_EQ(200u, gr_timers_active(&t));
    EXPECT_EQ(200u, gr_timers_free(&t)); /* still active at free: counted */
}

TEST_F(Timers, ManyTimersRandomCancelsFireSorted)
{
    const int n = 100000;
    std::vector<uint64_t> ids(n);
    std::vector<int64_t> due(n);
    srand(7);
    for (int i = 0; i < n; i++) {
        due[i] = 1 + rand() % 5000;
        ids[i] = gr_timers_add(&t, 0, (uint64_t)due[i], 0, record, (void *)(intptr_t)i);
        ASSERT_NE(0u, ids[i]);
    }
    std::vector<bool> cancelled(n);
    for (int i = 0; i < n; i += 3) {
        ASSERT_EQ(GR_OK, gr_timers_cancel(&t, ids[i]));
        cancelled[i] = true;
    }
    for (int64_t ms = 0; gr_timers_active(&t); ms++)
        run(ms);
    size_t expect = 0;
    for (int i = 0; i < n; i++)
        expect += !cancelled[i];
    ASSERT_EQ(expect, log.fired.size());
    for (auto &f : log.fired) {
        EXPECT_FALSE(cancelled[f.first]);
        EXPECT_EQ(due[f.first], f.second); /* at its deadline exactly: run every ms */
    }
}

} // namespace
