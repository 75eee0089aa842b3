/* test_util.cpp - the small shared pieces: growing arrays (util/gr_array.h)
 * and the intrusive lists of connections (pipeline/gr_conn.h). */
#include <gtest/gtest.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "gr_array.h"
#include "gr_conn.h"

TEST(Array, CapacityDoublesFromTheFirstSize)
{
    EXPECT_EQ(16u, gr_array_cap(0, 1, 16));
    EXPECT_EQ(16u, gr_array_cap(0, 16, 16));
    EXPECT_EQ(32u, gr_array_cap(0, 17, 16));
    EXPECT_EQ(128u, gr_array_cap(64, 65, 16)) << "doubles the current capacity";
    EXPECT_EQ(64u, gr_array_cap(64, 10, 16)) << "never shrinks";
}

TEST(Array, ReserveKeepsTheContentsAndCountsTheCapacity)
{
    int *a = nullptr;
    uint32_t cap = 0;
    for (int i = 0; i < 1000; i++) {
        ASSERT_TRUE(gr_array_reserve(&a, &cap, (size_t)i + 1, 8));
        ASSERT_GE(cap, (uint32_t)i + 1);
        a[i] = i * 3;
    }
    EXPECT_EQ(1024u, cap);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(i * 3, a[i]);
    free(a);
}

TEST(Array, OverflowIsRefusedAndLeavesTheArray)
{
    uint64_t *a = nullptr;
    size_t cap = 0;
    ASSERT_TRUE(gr_array_reserve(&a, &cap, 4, 4));
    a[3] = 42;
    uint64_t *before = a;
    EXPECT_FALSE(gr_array_resize(&a, SIZE_MAX / 4)) << "n * sizeof would wrap";
    EXPECT_EQ(before, a);
    EXPECT_EQ(4u, cap);
    EXPECT_EQ(42u, a[3]);
    free(a);
}

TEST(Array, PairSharesOneCapacity)
{
    uint32_t *lens = nullptr;
    size_t *offs = nullptr;
    int cap = 0;
    ASSERT_TRUE(gr_array_reserve2(&lens, &offs, &cap, 100, 64));
    EXPECT_EQ(128, cap);
    lens[127] = 1;
    offs[127] = 2; /* both hold cap elements */
    EXPECT_TRUE(gr_array_reserve2(&lens, &offs, &cap, 128, 64)) << "room already";
    EXPECT_EQ(128, cap);
    free(lens);
    free(offs);
}

TEST(ConnList, PushUnlinkOnSeveralListsAtOnce)
{
    std::vector<gr_conn_t> c(4);
    for (auto &x : c)
        memset((void *)&x, 0, sizeof x);
    gr_conn_t *owned = nullptr, *waiting = nullptr;
    for (auto &x : c)
        gr_conn_list_push(&owned, &x, &gr_conn_t::in_link);
    gr_conn_list_push(&waiting, &c[1], &gr_conn_t::wait_link);
    gr_conn_list_push(&waiting, &c[2], &gr_conn_t::wait_link);
    auto walk = [](gr_conn_t *head, gr_conn_link_t gr_conn_t::*link) {
        std::vector<gr_conn_t *> v;
        gr_conn_t *prev = nullptr;
        for (gr_conn_t *x = head; x; x = (x->*link).next) {
            EXPECT_EQ(prev, (x->*link).prev);
            v.push_back(x);
            prev = x;
        }
        return v;
    };
    EXPECT_EQ((std::vector<gr_conn_t *>{&c[3], &c[2], &c[1], &c[0]}), walk(owned, &gr_conn_t::in_link));
    EXPECT_EQ((std::vector<gr_conn_t *>{&c[2], &c[1]}), walk(waiting, &gr_conn_t::wait_link));
    gr_conn_list_unlink(&owned, &c[2], &gr_conn_t::in_link); /* middle */
    gr_conn_list_unlink(&owned, &c[3], &gr_conn_t::in_link); /* head */
    gr_conn_list_unlink(&owned, &c[0], &gr_conn_t::in_link); /* tail */
    EXPECT_EQ((std::vector<gr_conn_t *>{&c[1]}), walk(owned, &gr_conn_t::in_link));
    EXPECT_EQ(nullptr, c[2].in_link.next);
    EXPECT_EQ(nullptr, c[2].in_link.prev);
    EXPECT_EQ((std::vector<gr_conn_t *>{&c[2], &c[1]}), walk(waiting, &gr_conn_t::wait_link)) << "the other list untouched";
    gr_conn_list_unlink(&owned, &c[1], &gr_conn_t::in_link);
    EXPECT_EQ(nullptr, owned);
}
