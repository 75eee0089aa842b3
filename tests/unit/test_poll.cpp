/* test_poll.cpp - the conformance suite of gr_poll (the contract written
 * in gr_poll.h), run against the backend this build has (GR_POLL_BACKEND:
 * scripts/test.sh builds and runs it for each one): readiness over a real
 * loopback TCP pair, mod, del and their errors, one event per registration
 * with IN and OUT merged, one socket in several polls, a write shutdown
 * waking another thread's OUT wait, listener readiness, EOF, cross-thread
 * and signal-handler wake-ups, time-outs. */
#include <gtest/gtest.h>

#include <errno.h>
#include <string.h>
#ifndef _WIN32
#include <pthread.h>
#include <signal.h>
#endif
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gr_error.h"
#include "gr_poll.h"
#include "gr_socket.h"

namespace {

long long now_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A poll loop plus a connected pair: `server` is the accepted, non-blocking
 * end (the one a server would poll), `client` the blocking connect end. */
class PollTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_EQ(0, gr_poll_create(&poll_));
        ASSERT_NE(nullptr, poll_);
        gr_addr_t addr;
        ASSERT_EQ(0, gr_addr_parse(&addr, "127.0.0.1:0"));
        int rc = gr_tcp_listen(&addr, 16, &bound_, &listener_);
        ASSERT_EQ(0, rc) << gr_strerror(rc);
        rc = gr_tcp_connect(&bound_, &client_);
        ASSERT_EQ(0, rc) << gr_strerror(rc);
        /* The handshake is done when connect returns, but the listener is
         * non-blocking: allow the kernel a moment to queue it. */
        for (int i = 0; i < 200; i++) {
            rc = gr_tcp_accept(listener_, &server_, nullptr);
            if (rc != -EAGAIN)
                break;
            usleep(5000);
        }
        ASSERT_EQ(0, rc) << gr_strerror(rc);
    }

    void TearDown() override
    {
        gr_socket_close(server_);
        gr_socket_close(client_);
        gr_socket_close(listener_);
        gr_poll_destroy(poll_);
    }

    /* Wait up to timeout_ms for one event. */
    int wait1(gr_poll_event_t *ev, int timeout_ms)
    {
        return gr_poll_wait(poll_, ev, 1, timeout_ms);
    }

    gr_poll_t *poll_ = nullptr;
    gr_addr_t bound_;  /* the listener's address */
    gr_socket_t listener_ = GR_INVALID_SOCKET;
    gr_socket_t client_ = GR_INVALID_SOCKET;
    gr_socket_t server_ = GR_INVALID_SOCKET;
    int tag_a_ = 0;  /* addresses used as udata */
    int tag_b_ = 0;
};

TEST(Poll, CreateDestroy)
{
    gr_poll_t *p = nullptr;
    ASSERT_EQ(0, gr_poll_create(&p));
    ASSERT_NE(nullptr, p);
    gr_poll_destroy(p);
    gr_poll_destroy(nullptr); /* no-op */
    EXPECT_STREQ(GR_TEST_POLL_BACKEND, gr_poll_backend_name()); /* the one this build chose */
}

TEST_F(PollTest, RejectsNullUdataAndBadArgs)
{
    EXPECT_LT(gr_poll_add(poll_, server_, GR_POLL_IN, nullptr), 0);
    EXPECT_LT(gr_poll_add(poll_, GR_INVALID_SOCKET, GR_POLL_IN, &tag_a_), 0);
    gr_poll_event_t ev;
    EXPECT_LT(gr_poll_wait(poll_, &ev, 0, 0), 0);
    /* A socket that was never added cannot be modified or deleted. */
    EXPECT_EQ(-ENOENT, gr_poll_mod(poll_, server_, GR_POLL_IN, &tag_a_));
    EXPECT_EQ(-ENOENT, gr_poll_del(poll_, server_));
}

TEST_F(PollTest, AddTwiceIsRefused)
{
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN, &tag_a_));
    EXPECT_EQ(-EEXIST, gr_poll_add(poll_, server_, GR_POLL_OUT, &tag_b_));
    ASSERT_EQ(0, gr_poll_del(poll_, server_));
    EXPECT_EQ(-ENOENT, gr_poll_del(poll_, server_)) << "deleted twice";
}

TEST_F(PollTest, OneEventPerRegistrationWithInAndOutMerged)
{
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN | GR_POLL_OUT, &tag_a_));
    ASSERT_EQ(1, gr_socket_send(client_, "x", 1));
    gr_poll_event_t ev[4];
    /* Wait until both conditions hold, then one wait must give one event. */
    for (int i = 0; i < 100; i++) {
        ASSERT_EQ(1, gr_poll_wait(poll_, ev, 4, 1000));
        if (ev[0].events == (uint32_t)(GR_POLL_IN | GR_POLL_OUT))
            break;
    }
    EXPECT_EQ((uint32_t)(GR_POLL_IN | GR_POLL_OUT), ev[0].events);
    EXPECT_EQ(&tag_a_, ev[0].udata);
}

/* The pipeline registers one socket in several threads' polls: IN on
 * tcp_in, OUT on a worker or tcp_out. Each poll reports its own interest
 * with its own udata, and a del in one leaves the other alone. */
TEST_F(PollTest, OneSocketInTwoPolls)
{
    gr_poll_t *other = nullptr;
    ASSERT_EQ(0, gr_poll_create(&other));
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN, &tag_a_));
    ASSERT_EQ(0, gr_poll_add(other, server_, GR_POLL_OUT, &tag_b_));
    ASSERT_EQ(1, gr_socket_send(client_, "x", 1));
    gr_poll_event_t ev;
    ASSERT_EQ(1, wait1(&ev, 1000));
    EXPECT_EQ(&tag_a_, ev.udata);
    EXPECT_EQ((uint32_t)GR_POLL_IN, ev.events);
    ASSERT_EQ(1, gr_poll_wait(other, &ev, 1, 1000));
    EXPECT_EQ(&tag_b_, ev.udata);
    EXPECT_EQ((uint32_t)GR_POLL_OUT, ev.events);
    ASSERT_EQ(0, gr_poll_del(poll_, server_));
    EXPECT_EQ(0, wait1(&ev, 0));
    ASSERT_EQ(1, gr_poll_wait(other, &ev, 1, 1000)) << "the other poll's registration survives";
    EXPECT_EQ(&tag_b_, ev.udata);
    ASSERT_EQ(0, gr_poll_del(other, server_));
    gr_poll_destroy(other);
}

/* The close protocol (docs/architecture.md): the owner's shutdown for
 * writing wakes a worker or tcp_out blocked waiting to write the same
 * socket in its own poll, so they notice the close at once. */
TEST_F(PollTest, WriteShutdownWakesAnOutWaitInAnotherThread)
{
    /* Fill the socket: the client reads nothing. */
    static char junk[65536];
    long total = 0, r;
    while ((r = gr_socket_send(server_, junk, sizeof junk)) > 0)
        total += r;
    ASSERT_EQ(-EAGAIN, r);
    ASSERT_GT(total, 0);
    gr_poll_t *other = nullptr;
    ASSERT_EQ(0, gr_poll_create(&other));
    ASSERT_EQ(0, gr_poll_add(other, server_, GR_POLL_OUT, &tag_b_));
    gr_poll_event_t ev;
    ASSERT_EQ(0, gr_poll_wait(other, &ev, 1, 0)) << "full: not writable";
    std::atomic<long long> woke_after{-1};
    long long t0 = now_ms();
    std::thread waiter([&] {
        gr_poll_event_t e;
        if (gr_poll_wait(other, &e, 1, 10000) == 1 && e.udata == &tag_b_ && (e.events & GR_POLL_OUT))
            woke_after.store(now_ms() - t0);
    });
    usleep(100 * 1000); /* the waiter is blocked by now */
    gr_socket_shutdown_write(server_);
    waiter.join();
    EXPECT_GE(woke_after.load(), 0) << "no OUT report after the shutdown";
    EXPECT_LT(woke_after.load(), 5000);
    ASSERT_EQ(0, gr_poll_del(other, server_));
    gr_poll_destroy(other);
}

TEST_F(PollTest, ListenerReportsAPendingConnection)
{
    ASSERT_EQ(0, gr_poll_add(poll_, listener_, GR_POLL_IN, &tag_a_));
    gr_poll_event_t ev;
    EXPECT_EQ(0, wait1(&ev, 0)) << "nobody connecting yet";
    gr_socket_t c2, s2 = GR_INVALID_SOCKET;
    ASSERT_EQ(0, gr_tcp_connect(&bound_, &c2));
    ASSERT_EQ(1, wait1(&ev, 1000));
    EXPECT_EQ(&tag_a_, ev.udata);
    EXPECT_TRUE(ev.events & GR_POLL_IN);
    EXPECT_EQ(0, gr_tcp_accept(listener_, &s2, nullptr));
    EXPECT_EQ(0, wait1(&ev, 0)) << "accepted: nothing pending";
    ASSERT_EQ(0, gr_poll_del(poll_, listener_));
    gr_socket_close(s2);
    gr_socket_close(c2);
}

TEST_F(PollTest, InAfterPeerWritesThenQuietWhenDrained)
{
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN, &tag_a_));
    gr_poll_event_t ev[4];
    EXPECT_EQ(0, gr_poll_wait(poll_, ev, 4, 0)) << "nothing written yet";

    ASSERT_EQ(5, gr_socket_send(client_, "hello", 5));
    ASSERT_EQ(1, gr_poll_wait(poll_, ev, 4, 1000));
    EXPECT_EQ(&tag_a_, ev[0].udata);
    EXPECT_TRUE(ev[0].events & GR_POLL_IN);
    EXPECT_FALSE(ev[0].events & GR_POLL_ERR);

    /* Level-triggered: still reported while unread. */
    ASSERT_EQ(1, gr_poll_wait(poll_, ev, 4, 0));
    EXPECT_EQ(&tag_a_, ev[0].udata);

    char buf[16];
    ASSERT_EQ(5, gr_socket_recv(server_, buf, sizeof(buf)));
    EXPECT_EQ(0, memcmp(buf, "hello", 5));
    EXPECT_EQ(-EAGAIN, gr_socket_recv(server_, buf, sizeof(buf)));
    EXPECT_EQ(0, gr_poll_wait(poll_, ev, 4, 0)) << "drained, nothing to report";
}

TEST_F(PollTest, OutReadiness)
{
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_OUT, &tag_a_));
    gr_poll_event_t ev;
    ASSERT_EQ(1, wait1(&ev, 1000));
    EXPECT_EQ(&tag_a_, ev.udata);
    EXPECT_EQ((uint32_t)GR_POLL_OUT, ev.events);
}

TEST_F(PollTest, ModFromInToOut)
{
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN, &tag_a_));
    gr_poll_event_t ev;
    EXPECT_EQ(0, wait1(&ev, 0)) << "writable but only IN is asked";

    /* Pending input must not show once only OUT is asked, and the new udata
     * replaces the old one. */
    ASSERT_EQ(1, gr_socket_send(client_, "x", 1));
    ASSERT_EQ(0, gr_poll_mod(poll_, server_, GR_POLL_OUT, &tag_b_));
    ASSERT_EQ(1, wait1(&ev, 1000));
    EXPECT_EQ(&tag_b_, ev.udata);
    EXPECT_EQ((uint32_t)GR_POLL_OUT, ev.events);

    ASSERT_EQ(0, gr_poll_mod(poll_, server_, GR_POLL_IN | GR_POLL_OUT, &tag_a_));
    ASSERT_EQ(1, wait1(&ev, 1000));
    EXPECT_EQ(&tag_a_, ev.udata);
    EXPECT_EQ((uint32_t)(GR_POLL_IN | GR_POLL_OUT), ev.events);
}

TEST_F(PollTest, DelStopsEvents)
{
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN | GR_POLL_OUT, &tag_a_));
    ASSERT_EQ(1, gr_socket_send(client_, "x", 1));
    gr_poll_event_t ev;
    ASSERT_EQ(1, wait1(&ev, 1000));
    ASSERT_EQ(0, gr_poll_del(poll_, server_));
    EXPECT_EQ(0, wait1(&ev, 50));
    /* And it can be added again. */
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN, &tag_b_));
    ASSERT_EQ(1, wait1(&ev, 1000));
    EXPECT_EQ(&tag_b_, ev.udata);
}

/* Point 5 with the readiness already there and not yet collected (for a
 * completion-port backend: a poll request in flight): del, then nothing. */
TEST_F(PollTest, DelWithReadinessPendingReportsNothing)
{
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN | GR_POLL_OUT, &tag_a_));
    ASSERT_EQ(1, gr_socket_send(client_, "x", 1));
    usleep(20 * 1000); /* the byte is there: the registration is ready */
    ASSERT_EQ(0, gr_poll_del(poll_, server_));
    gr_poll_event_t ev;
    EXPECT_EQ(0, wait1(&ev, 100)) << "no event after del, whatever was pending";
    /* Deleted in one poll, still registered in another: that one reports. */
    gr_poll_t *other = nullptr;
    ASSERT_EQ(0, gr_poll_create(&other));
    ASSERT_EQ(0, gr_poll_add(other, server_, GR_POLL_IN, &tag_b_));
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN, &tag_a_));
    ASSERT_EQ(0, gr_poll_del(poll_, server_));
    EXPECT_EQ(0, wait1(&ev, 50));
    gr_poll_event_t evs[4];
    ASSERT_EQ(1, gr_poll_wait(other, evs, 4, 1000));
    EXPECT_EQ(&tag_b_, evs[0].udata);
    ASSERT_EQ(0, gr_poll_del(other, server_));
    gr_poll_destroy(other);
}

TEST_F(PollTest, PeerCloseReportsIn)
{
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_IN, &tag_a_));
    gr_socket_close(client_);
    client_ = GR_INVALID_SOCKET;
    gr_poll_event_t ev;
    ASSERT_EQ(1, wait1(&ev, 1000));
    EXPECT_EQ(&tag_a_, ev.udata);
    EXPECT_TRUE(ev.events & GR_POLL_IN);
    char buf[8];
    EXPECT_EQ(0, gr_socket_recv(server_, buf, sizeof(buf))) << "EOF";
}

TEST_F(PollTest, EventsFitInSmallArrays)
{
    /* Two ready sockets, one slot: each wait returns one, nothing is lost. */
    ASSERT_EQ(0, gr_poll_add(poll_, server_, GR_POLL_OUT, &tag_a_));
    ASSERT_EQ(0, gr_poll_add(poll_, client_, GR_POLL_OUT, &tag_b_));
    gr_poll_event_t ev[2];
    ASSERT_EQ(1, gr_poll_wait(poll_, ev, 1, 1000));
    ASSERT_EQ(2, gr_poll_wait(poll_, ev, 2, 1000));
    EXPECT_NE(ev[0].udata, ev[1].udata);
    /* A huge max is clamped, not trusted. */
    static gr_poll_event_t big[4096];
    EXPECT_EQ(2, gr_poll_wait(poll_, big, 4096, 1000));
}

TEST(PollWake, WakeFromAnotherThreadInterruptsInfiniteWait)
{
    gr_poll_t *p = nullptr;
    ASSERT_EQ(0, gr_poll_create(&p));
    std::atomic<int> ready{0};
    std::thread waker([&] {
        while (!ready.load())
            std::this_thread::yield();
        usleep(50 * 1000);
        for (int i = 0; i < 5; i++)
            gr_poll_wake(p);
    });
    ready.store(1);
    gr_poll_event_t ev[8];
    long long t0 = now_ms();
    int n = gr_poll_wait(p, ev, 8, -1);
    long long took = now_ms() - t0;
    waker.join();
    ASSERT_EQ(1, n);
    EXPECT_EQ(nullptr, ev[0].udata);
    EXPECT_LT(took, 5000);
    /* The other wakes came while or after this loop consumed the first:
     * they fold into at most one more report (WakesCoalesceAndRearm checks
     * the exact count when no wait runs in between). */
    int more = gr_poll_wait(p, ev, 8, 0);
    EXPECT_LE(more, 1);
    EXPECT_EQ(0, gr_poll_wait(p, ev, 8, 0));
    gr_poll_destroy(p);
}

/* grocketd's and an embedder's stop request wakes a loop from a signal
 * handler (gr_server_request_stop): gr_poll_wake is async-signal-safe. */
#ifndef _WIN32
gr_poll_t *g_signal_poll;
void wake_from_handler(int) { gr_poll_wake(g_signal_poll); }
#endif

TEST(PollWake, WakeFromASignalHandler)
{
#ifdef _WIN32
    GTEST_SKIP() << "Windows has no signals to interrupt a thread with: a console control handler runs on a "
                    "thread of its own, which the cross-thread wake-up cases cover";
#else
    ASSERT_EQ(0, gr_poll_create(&g_signal_poll));
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = wake_from_handler;
    ASSERT_EQ(0, sigaction(SIGUSR2, &sa, &old));
    pthread_t self = pthread_self();
    std::thread signaller([self] {
        usleep(50 * 1000);
        pthread_kill(self, SIGUSR2);
    });
    gr_poll_event_t ev[4];
    long long t0 = now_ms();
    int n = gr_poll_wait(g_signal_poll, ev, 4, 5000);
    long long took = now_ms() - t0;
    signaller.join();
    sigaction(SIGUSR2, &old, nullptr);
    ASSERT_EQ(1, n);
    EXPECT_EQ(nullptr, ev[0].udata);
    EXPECT_LT(took, 4000);
    gr_poll_destroy(g_signal_poll);
#endif
}

TEST(PollWake, WakesCoalesceAndRearm)
{
    gr_poll_t *p = nullptr;
    ASSERT_EQ(0, gr_poll_create(&p));
    gr_poll_event_t ev[4];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 10; i++)
            gr_poll_wake(p);
        ASSERT_EQ(1, gr_poll_wait(p, ev, 4, 1000)) << "round " << round;
        EXPECT_EQ(nullptr, ev[0].udata);
        EXPECT_EQ(0, gr_poll_wait(p, ev, 4, 0)) << "round " << round;
    }
    gr_poll_destroy(p);
}

TEST(PollWake, RacingWakersNeverLoseAWake)
{
    /* Ping-pong: the producer publishes a number (relaxed: the wake itself
     * must order it), wakes the loop, and waits for the loop to acknowledge
     * it, so every round needs its wake to arrive. A second thread wakes
     * the loop non-stop to race with the loop clearing the pending flag. A
     * lost wake leaves the loop asleep with an unacknowledged number. */
    gr_poll_t *p = nullptr;
    ASSERT_EQ(0, gr_poll_create(&p));
    const int kRounds = 2000;
    std::atomic<int> sent{0}, acked{0}, done{0};
    std::thread pinger([&] {
        for (int i = 1; i <= kRounds && !done.load(); i++) {
            sent.store(i, std::memory_order_relaxed);
            gr_poll_wake(p);
            while (acked.load(std::memory_order_acquire) < i && !done.load())
                std::this_thread::yield();
        }
    });
    std::thread noise([&] {
        while (!done.load()) {
            gr_poll_wake(p);
            std::this_thread::yield();
        }
    });
    gr_poll_event_t ev[4];
    int lost = 0;
    while (acked.load() < kRounds) {
        int n = gr_poll_wait(p, ev, 4, 2000);
        if (n < 0) {
            ADD_FAILURE() << gr_strerror(n);
            break;
        }
        int s = sent.load(std::memory_order_relaxed);
        if (n == 0 && s > acked.load()) {
            lost = s;
            break;
        }
        acked.store(s, std::memory_order_release);
    }
    done.store(1);
    pinger.join();
    noise.join();
    EXPECT_EQ(0, lost) << "the loop slept through the wake for round " << lost;
    gr_poll_destroy(p);
}

TEST(PollWait, TimeoutReturnsZeroInAboutTheTimeAsked)
{
    gr_poll_t *p = nullptr;
    ASSERT_EQ(0, gr_poll_create(&p));
    gr_poll_event_t ev[4];
    long long t0 = now_ms();
    EXPECT_EQ(0, gr_poll_wait(p, ev, 4, 100));
    long long took = now_ms() - t0;
    EXPECT_GE(took, 90);
    EXPECT_LT(took, 2000) << "loose bound for a loaded machine";
    t0 = now_ms();
    EXPECT_EQ(0, gr_poll_wait(p, ev, 4, 0));
    EXPECT_LT(now_ms() - t0, 1000);
    gr_poll_destroy(p);
}

}  // namespace
