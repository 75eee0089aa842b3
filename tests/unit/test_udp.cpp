/* test_udp.cpp - the UDP components on their own: batch receive and send
 * (recvmmsg/sendmmsg wrappers) over IPv4 and IPv6, truncation, per-datagram
 * send failures, SO_REUSEPORT keeping one sender on one socket, the
 * kernel's drop count, the sender-to-worker hash, the non-waiting hand-off
 * and the consumer loop taking its rings in turn. */
#include <gtest/gtest.h>

#include <errno.h>
#include <new>
#include <set>
#include <stdlib.h>
#include <string.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "gr_error.h"
#include "gr_memory.h"
#include "gr_socket.h"
#include "gr_udp.h"

namespace {

/* A bound socket on loopback of the given family, port chosen by the kernel. */
gr_socket_t bind_loopback(const char *host_port, gr_addr_t *bound, int reuseport = 0, int rcvbuf = 0)
{
    gr_addr_t a;
    gr_socket_t s = GR_INVALID_SOCKET;
    if (gr_addr_parse(&a, host_port) == 0)
        gr_udp_bind(&a, reuseport, rcvbuf, 0, bound, &s);
    return s;
}

/* Receive up to n datagrams, retrying briefly while none has arrived. */
int recv_some(gr_socket_t s, gr_dgram_io_t *io, gr_dgram_t *d, int n)
{
    for (int i = 0; i < 200; i++) {
        int r = gr_udp_recv_batch(s, io, d, n);
        if (r != -EAGAIN)
            return r;
        usleep(5000);
    }
    return -EAGAIN;
}

struct Buffers {
    std::vector<std::vector<char>> mem;
    std::vector<gr_dgram_t> d;
    Buffers(int n, uint32_t room) : mem((size_t)n, std::vector<char>(room)), d((size_t)n)
    {
        for (int i = 0; i < n; i++) {
            memset(&d[(size_t)i], 0, sizeof d[0]);
            d[(size_t)i].data = mem[(size_t)i].data();
            d[(size_t)i].len = room;
        }
    }
};

void batch_round_trip(const char *host_port)
{
    gr_addr_t a, b;
    gr_socket_t sa = bind_loopback(host_port, &a), sb = bind_loopback(host_port, &b);
    ASSERT_TRUE(gr_socket_valid(sa));
    ASSERT_TRUE(gr_socket_valid(sb));
    gr_dgram_io_t *io = gr_dgram_io_new(8);
    ASSERT_NE(nullptr, io);
    const char *words[] = {"one", "two!", "", "three", "four4"};
    gr_dgram_t out[5];
    for (int i = 0; i < 5; i++) {
        out[i].data = (char *)words[i];
        out[i].len = (uint32_t)strlen(words[i]);
        out[i].addr = b;
    }
    ASSERT_EQ(5, gr_udp_send_batch(sa, io, out, 5));
    Buffers in(8, 64);
    int got = 0;
    while (got < 5) {
        int r = recv_some(sb, io, in.d.data() + got, 8 - got);
        ASSERT_GT(r, 0) << gr_strerror(r);
        got += r;
    }
    for (int i = 0; i < 5; i++) {
        EXPECT_EQ(std::string(words[i]), std::string(in.d[(size_t)i].data, in.d[(size_t)i].len));
        EXPECT_EQ(0u, in.d[(size_t)i].trunc);
        EXPECT_EQ(gr_addr_port(&a), gr_addr_port(&in.d[(size_t)i].addr)); /* the sender */
        EXPECT_EQ(gr_addr_is_v6(&a), gr_addr_is_v6(&in.d[(size_t)i].addr));
    }
    EXPECT_EQ(-EAGAIN, gr_udp_recv_batch(sb, io, in.d.data(), 8)); /* nothing more: no waiting */
    gr_dgram_io_free(io);
    gr_socket_close(sa);
    gr_socket_close(sb);
}

TEST(UdpSocket, BatchRoundTripIpv4) { batch_round_trip("127.0.0.1:0"); }
TEST(UdpSocket, BatchRoundTripIpv6) { batch_round_trip("[::1]:0"); }

TEST(UdpSocket, LongerThanTheRoomIsMarkedTruncated)
{
    gr_addr_t a, b;
    gr_socket_t sa = bind_loopback("127.0.0.1:0", &a), sb = bind_loopback("127.0.0.1:0", &b);
    gr_dgram_io_t *io = gr_dgram_io_new(4);
    std::string big(100, 'b'), fits(10, 'f');
    gr_dgram_t out[2] = {{&big[0], 100, 0, b}, {&fits[0], 10, 0, b}};
    ASSERT_EQ(2, gr_udp_send_batch(sa, io, out, 2));
    Buffers in(2, 10);
    int got = 0;
    while (got < 2) {
        int r = recv_some(sb, io, in.d.data() + got, 2 - got);
        ASSERT_GT(r, 0);
        got += r;
    }
    EXPECT_EQ(1u, in.d[0].trunc);
    EXPECT_EQ(0u, in.d[1].trunc);
    EXPECT_EQ(fits, std::string(in.d[1].data, in.d[1].len));
    gr_dgram_io_free(io);
    gr_socket_close(sa);
    gr_socket_close(sb);
}

/* A datagram the kernel refuses fails alone: the batch call reports how
 * many went before it, and the next call starting at it reports its error. */
TEST(UdpSocket, ASendFailureStopsTheBatchAtThatDatagram)
{
    gr_addr_t a, b;
    gr_socket_t sa = bind_loopback("127.0.0.1:0", &a), sb = bind_loopback("127.0.0.1:0", &b);
    gr_dgram_io_t *io = gr_dgram_io_new(4);
    std::string ok = "ok", huge(70000, 'h');
    gr_dgram_t out[3] = {{&ok[0], 2, 0, b}, {&huge[0], 70000, 0, b}, {&ok[0], 2, 0, b}};
    EXPECT_EQ(1, gr_udp_send_batch(sa, io, out, 3));
    EXPECT_EQ(-EMSGSIZE, gr_udp_send_batch(sa, io, out + 1, 2));
    EXPECT_EQ(1, gr_udp_send_batch(sa, io, out + 2, 1));
    gr_dgram_io_free(io);
    gr_socket_close(sa);
    gr_socket_close(sb);
}

/* Several sockets on one port (SO_REUSEPORT): every datagram of one sender
 * reaches the same socket, which is what keeps a sender's datagrams on one
 * udp_in thread and in order. */
TEST(UdpSocket, ReuseportKeepsEachSenderOnOneSocket)
{
    if (!gr_udp_can_share_port())
        GTEST_SKIP() << "this system cannot spread one UDP port over several sockets (one udp_in thread per listen)";
    gr_addr_t first;
    gr_socket_t srv[4];
    srv[0] = bind_loopback("127.0.0.1:0", &first, 1);
    ASSERT_TRUE(gr_socket_valid(srv[0]));
    for (int i = 1; i < 4; i++) {
        gr_addr_t ignored;
        int rc = gr_udp_bind(&first, 1, 0, 0, &ignored, &srv[i]);
        ASSERT_EQ(0, rc) << gr_strerror(rc);
    }
    gr_dgram_io_t *io = gr_dgram_io_new(64);
    const int senders = 16, each = 8;
    std::vector<gr_socket_t> cl;
    std::vector<int> ports;
    for (int c = 0; c < senders; c++) {
        gr_addr_t me;
        cl.push_back(bind_loopback("127.0.0.1:0", &me));
        ports.push_back(gr_addr_port(&me));
        std::string msg = "x";
        std::vector<gr_dgram_t> out((size_t)each, gr_dgram_t{&msg[0], 1, 0, first});
        ASSERT_EQ(each, gr_udp_send_batch(cl.back(), io, out.data(), each));
    }
    std::vector<std::set<int>> sockets_of((size_t)senders);
    std::set<int> used;
    int total = 0;
    for (int tries = 0; tries < 100 && total < senders * each; tries++) {
        for (int i = 0; i < 4; i++) {
            Buffers in(64, 16);
            int r = gr_udp_recv_batch(srv[i], io, in.d.data(), 64);
            for (int k = 0; k < r; k++) {
                int port = gr_addr_port(&in.d[(size_t)k].addr);
                for (int c = 0; c < senders; c++)
                    if (ports[(size_t)c] == port)
                        sockets_of[(size_t)c].insert(i);
                used.insert(i);
                total++;
            }
        }
        usleep(2000);
    }
    EXPECT_EQ(senders * each, total);
    for (int c = 0; c < senders; c++)
        EXPECT_EQ(1u, sockets_of[(size_t)c].size()) << "sender " << c;
    EXPECT_GT(used.size(), 1u); /* and the senders are spread */
    for (gr_socket_t s : cl)
        gr_socket_close(s);
    for (gr_socket_t s : srv)
        gr_socket_close(s);
    gr_dgram_io_free(io);
}

/* What does not fit in the receive buffer is dropped by the kernel and
 * counted on the socket: received + dropped = sent. */
TEST(UdpSocket, KernelDropsAreCounted)
{
    gr_addr_t a, b;
    gr_socket_t sa = bind_loopback("127.0.0.1:0", &a), sb = bind_loopback("127.0.0.1:0", &b, 0, 4096);
    ASSERT_TRUE(gr_socket_valid(sb));
    if (gr_udp_kernel_drops(sb) < 0) {
        gr_socket_close(sa);
        gr_socket_close(sb);
        GTEST_SKIP() << "this system keeps no per-socket count of dropped datagrams";
    }
    EXPECT_EQ(0, gr_udp_kernel_drops(sb));
    gr_dgram_io_t *io = gr_dgram_io_new(64);
    std::string msg(200, 'm');
    std::vector<gr_dgram_t> out(50, gr_dgram_t{&msg[0], 200, 0, b});
    for (int i = 0; i < 10; i++)
        ASSERT_EQ(50, gr_udp_send_batch(sa, io, out.data(), 50));
    long long received = 0;
    Buffers in(64, 256);
    for (int r; (r = gr_udp_recv_batch(sb, io, in.d.data(), 64)) > 0;)
        received += r;
    long long dropped = gr_udp_kernel_drops(sb);
    EXPECT_GT(dropped, 0);
    EXPECT_EQ(500, received + dropped);
    gr_dgram_io_free(io);
    gr_socket_close(sa);
    gr_socket_close(sb);
}

/* Receiving into fixed slots (as udp_in does): the room stays the room
 * whatever the last datagram's length, and a send through the same io
 * does not spoil the binding. */
TEST(UdpSocket, ReceivingAgainIntoBoundSlots)
{
    gr_addr_t a, b;
    gr_socket_t sa = bind_loopback("127.0.0.1:0", &a), sb = bind_loopback("127.0.0.1:0", &b);
    gr_dgram_io_t *rx = gr_dgram_io_new(4), *tx = gr_dgram_io_new(4);
    Buffers in(4, 64);
    gr_dgram_io_bind_recv(rx, in.d.data(), 4);
    std::string small(4, 's'), big(60, 'b');
    gr_dgram_t one = {&small[0], 4, 0, b};
    ASSERT_EQ(1, gr_udp_send_batch(sa, tx, &one, 1));
    int r;
    while ((r = gr_udp_recv_bound(sb, rx, 0)) == -EAGAIN)
        usleep(1000);
    ASSERT_EQ(1, r);
    EXPECT_EQ(4u, in.d[0].len);
    gr_dgram_t two[2] = {{&big[0], 60, 0, b}, {&big[0], 60, 0, b}};
    ASSERT_EQ(2, gr_udp_send_batch(sa, rx, two, 2)); /* through the receiving io */
    int got = 0;
    while (got < 2) {
        while ((r = gr_udp_recv_bound(sb, rx, 0)) == -EAGAIN)
            usleep(1000);
        ASSERT_GT(r, 0);
        for (int i = 0; i < r; i++) {
            EXPECT_EQ(60u, in.d[(size_t)i].len);
            EXPECT_EQ(0u, in.d[(size_t)i].trunc);
            EXPECT_EQ(big, std::string(in.d[(size_t)i].data, in.d[(size_t)i].len));
            EXPECT_EQ(gr_addr_port(&a), gr_addr_port(&in.d[(size_t)i].addr));
        }
        got += r;
    }
    gr_dgram_io_free(rx);
    gr_dgram_io_free(tx);
    gr_socket_close(sa);
    gr_socket_close(sb);
}

/* The receive that waits: a time-out says -EAGAIN, an empty datagram is
 * still a datagram (it has a sender), and gr_udp_unblock wakes a waiting
 * receive at once with 0 while sending still works. */
TEST(UdpSocket, WaitingReceiveTimesOutAndIsUnblocked)
{
    gr_addr_t a, b;
    gr_socket_t sa = bind_loopback("127.0.0.1:0", &a), sb = bind_loopback("127.0.0.1:0", &b);
    int wrc = gr_udp_set_wait(sb, 100);
    if (wrc == -EOPNOTSUPP) {
        gr_socket_close(sa);
        gr_socket_close(sb);
        GTEST_SKIP() << "this system has no waiting receive that a shutdown wakes (udp_in waits in gr_poll)";
    }
    ASSERT_EQ(0, wrc);
    gr_dgram_io_t *io = gr_dgram_io_new(8), *tx = gr_dgram_io_new(8);
    Buffers in(8, 64);
    gr_dgram_io_bind_recv(io, in.d.data(), 8);
    EXPECT_EQ(-EAGAIN, gr_udp_recv_bound(sb, io, 1));
    char none = 0;
    gr_dgram_t empty = {&none, 0, 0, b};
    ASSERT_EQ(1, gr_udp_send_batch(sa, tx, &empty, 1));
    ASSERT_EQ(1, gr_udp_recv_bound(sb, io, 1));
    EXPECT_EQ(0u, in.d[0].len);
    EXPECT_EQ(gr_addr_port(&a), gr_addr_port(&in.d[0].addr));
    ASSERT_EQ(0, gr_udp_set_wait(sb, 10000));
    int got = -1;
    std::thread waiter([&] { got = gr_udp_recv_bound(sb, io, 1); });
    usleep(50 * 1000);
    gr_udp_unblock(sb);
    waiter.join(); /* long before the 10 s time-out */
    EXPECT_EQ(0, got);
    gr_dgram_t back = {&none, 0, 0, a};
    EXPECT_EQ(1, gr_udp_send_batch(sb, tx, &back, 1)); /* still sends */
    gr_dgram_io_free(io);
    gr_dgram_io_free(tx);
    gr_socket_close(sa);
    gr_socket_close(sb);
}

TEST(UdpWorkerOf, SameSenderSameWorkerAndSpread)
{
    for (const char *base : {"10.1.2.3", "[2001:db8::7]"}) {
        std::vector<int> hits(8, 0);
        for (int port = 1000; port < 3000; port++) {
            gr_addr_t a, b;
            std::string hp = std::string(base) + ":" + std::to_string(port);
            ASSERT_EQ(0, gr_addr_parse(&a, hp.c_str()));
            ASSERT_EQ(0, gr_addr_parse(&b, hp.c_str()));
            int w = gr_udp_worker_of(&a, 8);
            ASSERT_GE(w, 0);
            ASSERT_LT(w, 8);
            EXPECT_EQ(w, gr_udp_worker_of(&b, 8));
            EXPECT_EQ(0, gr_udp_worker_of(&a, 1));
            hits[(size_t)w]++;
        }
        for (int w = 0; w < 8; w++)
            EXPECT_GT(hits[(size_t)w], 2000 / 8 / 2) << base << " worker " << w; /* no worker starved */
    }
}

/* A consumer context with `rings` inbound rings of `slots` slots. */
struct Consumer {
    gr_server_t *server;
    gr_thread_ctx_t *ctx;
    Consumer(int rings, size_t slots)
    {
        server = (gr_server_t *)calloc(1, sizeof *server);
        for (int g = 0; g < GR_GROUP_COUNT; g++)
            new (&server->stop[g]) std::atomic<int>(0);
        ctx = (gr_thread_ctx_t *)calloc(1, sizeof *ctx);
        new (&ctx->sleeping) std::atomic<int>(0);
        ctx->server = server;
        ctx->group = GR_GROUP_WORKER;
        EXPECT_EQ(0, gr_poll_create(&ctx->poll));
        ctx->inbox = (gr_queue_t *)gr_aligned_alloc(alignof(gr_queue_t), (size_t)rings * sizeof(gr_queue_t));
        for (int i = 0; i < rings; i++) {
            new (&ctx->inbox[i]) gr_queue_t();
            EXPECT_EQ(0, gr_queue_init(&ctx->inbox[i], slots));
        }
        ctx->inbox_count = rings;
    }
    ~Consumer()
    {
        for (int i = 0; i < ctx->inbox_count; i++)
            gr_queue_destroy(&ctx->inbox[i]);
        gr_aligned_free(ctx->inbox);
        gr_poll_destroy(ctx->poll);
        free(ctx);
        free(server);
    }
};

TEST(UdpHandoff, TryNeverWaitsAndWakesASleeper)
{
    Consumer c(1, 2);
    int a, b, d;
    EXPECT_TRUE(gr_handoff_try(c.ctx, 0, &a));
    EXPECT_TRUE(gr_handoff_try(c.ctx, 0, &b));
    EXPECT_FALSE(gr_handoff_try(c.ctx, 0, &d)); /* full: refused at once */
    EXPECT_EQ(&a, gr_queue_pop(&c.ctx->inbox[0]));
    gr_poll_event_t ev[4];
    while (gr_poll_wait(c.ctx->poll, ev, 4, 0) > 0) {
    } /* the wake the full ring sent */
    c.ctx->sleeping.store(1);
    EXPECT_TRUE(gr_handoff_try(c.ctx, 0, &d));
    ASSERT_EQ(1, gr_poll_wait(c.ctx->poll, ev, 4, 1000)); /* a sleeping consumer is woken */
    EXPECT_EQ(nullptr, ev[0].udata);
}

std::vector<int> g_rings_seen;
void record_ring(gr_thread_ctx_t *, int ring, void *) { g_rings_seen.push_back(ring); }
void no_event(gr_thread_ctx_t *, void *, uint32_t) {}

/* A worker's rings are taken in turn, a burst each, so a ring kept full by
 * a UDP flood cannot hold back a tcp_in ring behind it. */
TEST(UdpHandoff, ConsumerTakesItsRingsInTurn)
{
    Consumer c(2, 1024);
    static int item;
    for (int i = 0; i < 300; i++) {
        ASSERT_TRUE(gr_queue_push(&c.ctx->inbox[0], &item));
        ASSERT_TRUE(gr_queue_push(&c.ctx->inbox[1], &item));
    }
    c.server->stop[GR_GROUP_WORKER].store(1); /* drain and return */
    g_rings_seen.clear();
    gr_consume_loop(c.ctx, no_event, record_ring);
    ASSERT_EQ(600u, g_rings_seen.size());
    /* Ring 1 is served before ring 0 is empty. */
    size_t first1 = 0;
    while (g_rings_seen[first1] != 1)
        first1++;
    EXPECT_LE(first1, 64u);
}

} // namespace
