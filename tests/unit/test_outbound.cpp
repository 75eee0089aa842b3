/* test_outbound.cpp - what outbound connections stand on, per backend: a
 * non-blocking connect reported by gr_poll (writability when it succeeds;
 * an error, or writability with the error pending, when it is refused) and
 * gr_socket_error telling which; and the reconnect backoff helper of
 * grocket.h. Run on every backend CI builds, and on iocp under Wine. */
#include <gtest/gtest.h>

#include <errno.h>

#include "grocket.h"
#include "gr_error.h"
#include "gr_poll.h"
#include "gr_socket.h"

namespace {

/* Wait for the connect's report: the events, or 0 on time-out. */
uint32_t wait_connect(gr_poll_t *p, gr_socket_t s)
{
    static int tag;
    EXPECT_EQ(0, gr_poll_add(p, s, GR_POLL_OUT, &tag));
    gr_poll_event_t ev[4];
    for (int i = 0; i < 50; i++) {
        int n = gr_poll_wait(p, ev, 4, 100);
        for (int k = 0; k < n; k++)
            if (ev[k].udata == &tag) {
                gr_poll_del(p, s);
                return ev[k].events;
            }
    }
    gr_poll_del(p, s);
    return 0;
}

/* A poll and a listener on 127.0.0.1 (any port). */
void setup(gr_poll_t **p, gr_addr_t *bound, gr_socket_t *l)
{
    ASSERT_EQ(0, gr_poll_create(p));
    gr_addr_t addr;
    ASSERT_EQ(0, gr_addr_parse(&addr, "127.0.0.1:0"));
    ASSERT_EQ(0, gr_tcp_listen(&addr, 16, bound, l));
}

TEST(OutboundConnect, SucceedsAsWritability)
{
    gr_poll_t *p = nullptr;
    gr_addr_t bound;
    gr_socket_t l, s = gr_socket_invalid();
    ASSERT_NO_FATAL_FAILURE(setup(&p, &bound, &l));
    int rc = gr_tcp_connect_start(&bound, &s);
    ASSERT_GE(rc, 0) << gr_strerror(rc);
    if (rc == 1) {
        uint32_t ev = wait_connect(p, s);
        EXPECT_TRUE(ev & GR_POLL_OUT) << ev;
    }
    EXPECT_EQ(0, gr_socket_error(s));
    EXPECT_EQ(4, gr_socket_send(s, "ping", 4)); /* connected: it sends */
    gr_socket_close(s);
    gr_socket_close(l);
    gr_poll_destroy(p);
}

TEST(OutboundConnect, RefusedIsReportedWithItsError)
{
    gr_poll_t *p = nullptr;
    gr_addr_t bound;
    gr_socket_t l, s = gr_socket_invalid();
    ASSERT_NO_FATAL_FAILURE(setup(&p, &bound, &l));
    gr_socket_close(l); /* nothing listens on bound now */
    int rc = gr_tcp_connect_start(&bound, &s);
    if (rc == 1) {
        uint32_t ev = wait_connect(p, s);
        EXPECT_NE(0u, ev & (GR_POLL_ERR | GR_POLL_OUT)) << ev;
        rc = gr_socket_error(s);
        gr_socket_close(s);
    }
    EXPECT_EQ(-ECONNREFUSED, rc) << gr_strerror(rc);
    gr_poll_destroy(p);
}

TEST(OutboundBackoff, DoublesUpToTheCap)
{
    EXPECT_EQ(100u, gr_backoff_ms(0, 100, 5000));
    EXPECT_EQ(200u, gr_backoff_ms(1, 100, 5000));
    EXPECT_EQ(1600u, gr_backoff_ms(4, 100, 5000));
    EXPECT_EQ(5000u, gr_backoff_ms(6, 100, 5000));
    EXPECT_EQ(5000u, gr_backoff_ms(1000000, 100, 5000)); /* no overflow, no long loop */
    EXPECT_EQ(50u, gr_backoff_ms(3, 100, 50));
}

} // namespace
