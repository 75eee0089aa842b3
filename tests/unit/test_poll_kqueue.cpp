/* test_poll_kqueue.cpp - what the kqueue backend (gr_poll_kqueue.cpp) does
 * beyond the conformance suite (test_poll.cpp), built only when it is the
 * backend: read and write kevents merged even with one slot, kevents that
 * find no room kept for the next wait, EV_EOF mapped to IN / OUT|ERR /
 * IN|ERR, and a del after the socket was closed behind its back. On Linux
 * it runs on the tests' kqueue shim, which reports read and write as
 * separate kevents as a real kqueue does. */
#include <gtest/gtest.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gr_error.h"
#include "gr_poll.h"
#include "gr_socket.h"

namespace {

/* A poll plus n connected loopback pairs: srv[i] accepted (non-blocking),
 * cli[i] the connecting end. */
class Kq : public ::testing::Test {
protected:
    static const int kPairs = 3;

    void SetUp() override
    {
        ASSERT_EQ(0, gr_poll_create(&poll_));
        gr_addr_t addr, bound;
        ASSERT_EQ(0, gr_addr_parse(&addr, "127.0.0.1:0"));
        ASSERT_EQ(0, gr_tcp_listen(&addr, 16, &bound, &lst_));
        for (int i = 0; i < kPairs; i++) {
            ASSERT_EQ(0, gr_tcp_connect(&bound, &cli_[i]));
            int rc = -EAGAIN;
            for (int k = 0; k < 200 && rc == -EAGAIN; k++)
                if ((rc = gr_tcp_accept(lst_, &srv_[i], nullptr)) == -EAGAIN)
                    usleep(5000);
            ASSERT_EQ(0, rc) << gr_strerror(rc);
        }
    }

    void TearDown() override
    {
        for (int i = 0; i < kPairs; i++) {
            gr_socket_close(srv_[i]);
            gr_socket_close(cli_[i]);
        }
        gr_socket_close(lst_);
        gr_poll_destroy(poll_);
    }

    gr_poll_t *poll_ = nullptr;
    gr_socket_t lst_ = GR_INVALID_SOCKET;
    gr_socket_t srv_[kPairs] = {GR_INVALID_SOCKET, GR_INVALID_SOCKET, GR_INVALID_SOCKET};
    gr_socket_t cli_[kPairs] = {GR_INVALID_SOCKET, GR_INVALID_SOCKET, GR_INVALID_SOCKET};
    int tag_[kPairs] = {0, 0, 0};
};

TEST_F(Kq, ReadAndWriteMergeEvenWithOneSlot)
{
    ASSERT_EQ(0, gr_poll_add(poll_, srv_[0], GR_POLL_IN | GR_POLL_OUT, &tag_[0]));
    ASSERT_EQ(1, gr_socket_send(cli_[0], "x", 1));
    usleep(20 * 1000); /* let the byte arrive: both halves ready */
    gr_poll_event_t ev;
    ASSERT_EQ(1, gr_poll_wait(poll_, &ev, 1, 1000));
    EXPECT_EQ(&tag_[0], ev.udata);
    EXPECT_EQ((uint32_t)(GR_POLL_IN | GR_POLL_OUT), ev.events) << "two kevents, one event";
}

/* Three sockets ready both ways, room for two: the third is not lost, and
 * each report still merges its socket's halves. */
TEST_F(Kq, KeventsWithoutRoomComeNextTime)
{
    for (int i = 0; i < kPairs; i++) {
        ASSERT_EQ(0, gr_poll_add(poll_, srv_[i], GR_POLL_IN | GR_POLL_OUT, &tag_[i]));
        ASSERT_EQ(1, gr_socket_send(cli_[i], "x", 1));
    }
    usleep(20 * 1000);
    int seen[kPairs] = {0, 0, 0};
    for (int round = 0; round < 2; round++) {
        gr_poll_event_t ev[2];
        int n = gr_poll_wait(poll_, ev, 2, 1000);
        ASSERT_EQ(2, n) << "round " << round;
        for (int k = 0; k < n; k++) {
            EXPECT_EQ((uint32_t)(GR_POLL_IN | GR_POLL_OUT), ev[k].events);
            for (int i = 0; i < kPairs; i++)
                seen[i] += ev[k].udata == &tag_[i];
        }
    }
    for (int i = 0; i < kPairs; i++)
        EXPECT_GE(seen[i], 1) << "socket " << i << " starved";
}

/* Point 4 on kqueue: a write shutdown makes the write filter EV_EOF, which
 * is OUT|ERR: the OUT waiter learns the connection is closing. */
TEST_F(Kq, OwnWriteShutdownIsOutAndErr)
{
    ASSERT_EQ(0, gr_poll_add(poll_, srv_[0], GR_POLL_OUT, &tag_[0]));
    gr_socket_shutdown_write(srv_[0]);
    gr_poll_event_t ev;
    ASSERT_EQ(1, gr_poll_wait(poll_, &ev, 1, 1000));
    EXPECT_EQ((uint32_t)(GR_POLL_OUT | GR_POLL_ERR), ev.events);
}

/* A peer's orderly close is a read EOF without an error: IN alone, and the
 * reader's recv returns 0. */
TEST_F(Kq, PeerCloseIsInWithoutErr)
{
    ASSERT_EQ(0, gr_poll_add(poll_, srv_[0], GR_POLL_IN, &tag_[0]));
    gr_socket_close(cli_[0]);
    cli_[0] = GR_INVALID_SOCKET;
    gr_poll_event_t ev;
    ASSERT_EQ(1, gr_poll_wait(poll_, &ev, 1, 1000));
    EXPECT_EQ((uint32_t)GR_POLL_IN, ev.events);
}

/* A reset: read EOF with an error in fflags, so IN|ERR, and the write
 * side's EOF adds OUT; recv then gives the error. */
TEST_F(Kq, PeerResetIsErrWithIn)
{
    ASSERT_EQ(0, gr_poll_add(poll_, srv_[0], GR_POLL_IN | GR_POLL_OUT, &tag_[0]));
    struct linger lg = {1, 0}; /* close with a RST */
    ASSERT_EQ(0, setsockopt((int)cli_[0].h, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    gr_socket_close(cli_[0]);
    cli_[0] = GR_INVALID_SOCKET;
    gr_poll_event_t ev;
    uint32_t want = GR_POLL_IN | GR_POLL_ERR;
    for (int i = 0; i < 100; i++) {
        ASSERT_EQ(1, gr_poll_wait(poll_, &ev, 1, 1000));
        if ((ev.events & want) == want)
            break;
        usleep(10 * 1000);
    }
    EXPECT_EQ(want, ev.events & want) << "events " << ev.events;
    char b;
    EXPECT_EQ(-ECONNRESET, gr_socket_recv(srv_[0], &b, 1));
}

/* A socket closed before its del (against point 5): the close took its
 * knotes; del says so but forgets it, and the number can be added again. */
TEST_F(Kq, DelAfterCloseForgetsTheSocket)
{
    int fd = dup((int)srv_[0].h);
    gr_socket_t s = {fd};
    ASSERT_EQ(0, gr_poll_add(poll_, s, GR_POLL_IN, &tag_[0]));
    close(fd);
    EXPECT_NE(0, gr_poll_del(poll_, s)) << "the kernel no longer has it";
    EXPECT_EQ(-ENOENT, gr_poll_del(poll_, s)) << "but the poll forgot it";
    ASSERT_EQ(fd, dup((int)srv_[1].h)); /* the same number, another socket */
    EXPECT_EQ(0, gr_poll_add(poll_, s, GR_POLL_OUT, &tag_[1]));
    gr_poll_event_t ev;
    ASSERT_EQ(1, gr_poll_wait(poll_, &ev, 1, 1000));
    EXPECT_EQ(&tag_[1], ev.udata);
    ASSERT_EQ(0, gr_poll_del(poll_, s));
    close(fd);
}

}  // namespace
