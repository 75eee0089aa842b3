/* test_kqueue_shim.cpp - the test shim's kqueue(2)/kevent(2)
 * (tests/kqueue_shim) checked against the rules of FreeBSD's kqueue(2) man
 * page, one rule per test, before anything trusts it to stand in for a
 * kernel: filters, EV_ADD/DELETE/ENABLE/DISABLE, EV_CLEAR, EV_ONESHOT,
 * EV_RECEIPT and EV_ERROR, EV_EOF, udata, EVFILT_USER and its fflags, read
 * and write as separate kevents, time-outs, EINTR. Built in every Linux
 * build, so the shim also runs under ASan and TSan. */
#include <gtest/gtest.h>

#include <sys/event.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace {

long long now_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct timespec kZero = {0, 0};
const struct timespec kSecond = {1, 0};

/* A kqueue and a connected loopback TCP pair: `a` the accepted end
 * (non-blocking), `b` the connecting end, and the listener. */
class Shim : public ::testing::Test {
protected:
    void SetUp() override
    {
        kq_ = kqueue();
        ASSERT_GE(kq_, 0) << strerror(errno);
        lst_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_GE(lst_, 0);
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(0, bind(lst_, (struct sockaddr *)&sin, sizeof sin));
        ASSERT_EQ(0, listen(lst_, 8));
        socklen_t len = sizeof addr_;
        ASSERT_EQ(0, getsockname(lst_, (struct sockaddr *)&addr_, &len));
        b_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_EQ(0, connect(b_, (struct sockaddr *)&addr_, sizeof addr_));
        a_ = accept4(lst_, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        ASSERT_GE(a_, 0);
    }

    void TearDown() override
    {
        if (a_ >= 0)
            close(a_);
        if (b_ >= 0)
            close(b_);
        close(lst_);
        close(kq_);
    }

    /* Apply one change with no event list: 0, or -1 and errno. */
    int change(uintptr_t ident, short filter, unsigned short flags, unsigned fflags = 0, void *udata = nullptr)
    {
        struct kevent kev;
        EV_SET(&kev, ident, filter, flags, fflags, 0, udata);
        return kevent(kq_, &kev, 1, nullptr, 0, nullptr);
    }

    /* Collect without waiting (or up to ts). */
    int collect(struct kevent *out, int max, const struct timespec *ts = &kZero)
    {
        return kevent(kq_, nullptr, 0, out, max, ts);
    }

    /* Fill a_'s send buffer (b_ reads nothing). */
    void fill_a()
    {
        static char junk[65536];
        while (send(a_, junk, sizeof junk, MSG_NOSIGNAL | MSG_DONTWAIT) > 0) {
        }
        ASSERT_EQ(EAGAIN, errno);
    }

    int kq_ = -1, lst_ = -1, a_ = -1, b_ = -1;
    struct sockaddr_in addr_;
    int tag_ = 0, tag2_ = 0; /* addresses used as udata */
};

TEST(ShimBasics, KqueueIsADescriptorAndABadOneIsEBADF)
{
    int kq = kqueue();
    ASSERT_GE(kq, 0);
    EXPECT_GE(fcntl(kq, F_GETFD), 0) << "a real descriptor";
    struct kevent ev;
    errno = 0;
    EXPECT_EQ(-1, kevent(-1, nullptr, 0, &ev, 1, &kZero));
    EXPECT_EQ(EBADF, errno);
    EXPECT_EQ(0, kevent(kq, nullptr, 0, &ev, 1, &kZero)) << "nothing registered";
    close(kq);
}

TEST_F(Shim, ReadReportsIdentFilterUdataAndBytesWaiting)
{
    ASSERT_EQ(0, change(a_, EVFILT_READ, EV_ADD, 0, &tag_));
    struct kevent ev[4];
    EXPECT_EQ(0, collect(ev, 4)) << "nothing to read yet";
    ASSERT_EQ(5, write(b_, "hello", 5));
    ASSERT_EQ(1, collect(ev, 4, &kSecond));
    EXPECT_EQ((uintptr_t)a_, ev[0].ident);
    EXPECT_EQ(EVFILT_READ, ev[0].filter);
    EXPECT_EQ(&tag_, ev[0].udata);
    EXPECT_EQ(5, ev[0].data) << "data: bytes waiting";
    EXPECT_FALSE(ev[0].flags & (EV_EOF | EV_ERROR));
}

/* Without EV_CLEAR a filter is level-triggered: reported on every call
 * while its condition holds, and no longer once it does not. */
TEST_F(Shim, LevelTriggeredUntilDrained)
{
    ASSERT_EQ(0, change(a_, EVFILT_READ, EV_ADD, 0, &tag_));
    ASSERT_EQ(3, write(b_, "abc", 3));
    struct kevent ev[4];
    ASSERT_EQ(1, collect(ev, 4, &kSecond));
    ASSERT_EQ(1, collect(ev, 4)) << "still unread: reported again";
    char buf[8];
    ASSERT_EQ(3, read(a_, buf, sizeof buf));
    EXPECT_EQ(0, collect(ev, 4)) << "drained";
}

/* EV_CLEAR: "After the event is retrieved by the user, its state is
 * reset": not reported again until something changes. */
TEST_F(Shim, ClearReportsOnceUntilNewData)
{
    ASSERT_EQ(0, change(a_, EVFILT_READ, EV_ADD | EV_CLEAR, 0, &tag_));
    ASSERT_EQ(3, write(b_, "abc", 3));
    struct kevent ev[4];
    ASSERT_EQ(1, collect(ev, 4, &kSecond));
    EXPECT_EQ(3, ev[0].data);
    EXPECT_TRUE(ev[0].flags & EV_CLEAR) << "the flags given at EV_ADD come back";
    EXPECT_EQ(0, collect(ev, 4)) << "retrieved: reset although unread";
    ASSERT_EQ(2, write(b_, "de", 2));
    ASSERT_EQ(1, collect(ev, 4, &kSecond)) << "new data: reported again";
    EXPECT_EQ(5, ev[0].data);
}

/* EV_ONESHOT: reported once, then deleted, so deleting it again is ENOENT. */
TEST_F(Shim, OneshotIsDeletedOnceRetrieved)
{
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_ADD | EV_ONESHOT, 0, &tag_));
    struct kevent ev[4];
    ASSERT_EQ(1, collect(ev, 4, &kSecond));
    EXPECT_EQ(EVFILT_WRITE, ev[0].filter);
    EXPECT_EQ(0, collect(ev, 4)) << "gone although still writable";
    errno = 0;
    EXPECT_EQ(-1, change(a_, EVFILT_WRITE, EV_DELETE));
    EXPECT_EQ(ENOENT, errno);
}

/* EV_DISABLE keeps the knote but kevent() does not return it; EV_ENABLE
 * returns it again while its condition holds. EV_ADD with EV_DISABLE adds
 * it disabled. */
TEST_F(Shim, DisableAndEnable)
{
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_ADD | EV_DISABLE, 0, &tag_));
    struct kevent ev[4];
    EXPECT_EQ(0, collect(ev, 4)) << "added disabled";
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_ENABLE, 0, &tag_));
    ASSERT_EQ(1, collect(ev, 4, &kSecond));
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_DISABLE, 0, &tag_));
    EXPECT_EQ(0, collect(ev, 4));
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_DELETE)) << "a disabled knote exists";
}

/* "Re-adding an existing event will modify the parameters of the original
 * event, and not result in a duplicate entry." */
TEST_F(Shim, ReAddModifiesUdataWithoutADuplicate)
{
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_ADD, 0, &tag_));
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_ADD, 0, &tag2_));
    struct kevent ev[4];
    ASSERT_EQ(1, collect(ev, 4, &kSecond));
    EXPECT_EQ(&tag2_, ev[0].udata);
}

/* One descriptor, two filters: two separate kevents, the way a real
 * kqueue reports them (the backend must merge them). */
TEST_F(Shim, ReadAndWriteAreSeparateKevents)
{
    ASSERT_EQ(0, change(a_, EVFILT_READ, EV_ADD, 0, &tag_));
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_ADD, 0, &tag_));
    ASSERT_EQ(1, write(b_, "x", 1));
    struct kevent ev[4];
    int n = 0;
    for (int i = 0; i < 100 && n < 2; i++)
        n = collect(ev, 4, &kSecond);
    ASSERT_EQ(2, n);
    EXPECT_EQ(ev[0].ident, ev[1].ident);
    EXPECT_NE(ev[0].filter, ev[1].filter);
    EXPECT_TRUE(ev[0].filter == EVFILT_READ || ev[1].filter == EVFILT_READ);
    /* With room for one, each call returns one and the other comes next:
     * none is lost, none comes twice in one call. */
    ASSERT_EQ(1, collect(ev, 1));
    struct kevent ev2;
    ASSERT_EQ(1, collect(&ev2, 1));
    EXPECT_NE(ev[0].filter, ev2.filter);
}

/* "If an error occurs while processing an element of the changelist and
 * there is enough room in the eventlist, then the event will be placed in
 * the eventlist with EV_ERROR set in flags and the system error in data.
 * Otherwise, -1 will be returned, and errno will be set." The changes
 * after the failed one still apply. */
TEST_F(Shim, ChangeErrorsGoInTheEventListWhenThereIsRoom)
{
    struct kevent ch[2], out[4];
    EV_SET(&ch[0], a_, EVFILT_READ, EV_DELETE, 0, 0, nullptr); /* not registered */
    EV_SET(&ch[1], a_, EVFILT_WRITE, EV_ADD, 0, 0, &tag_);
    ASSERT_EQ(1, kevent(kq_, ch, 2, out, 4, &kZero));
    EXPECT_TRUE(out[0].flags & EV_ERROR);
    EXPECT_EQ(ENOENT, out[0].data);
    EXPECT_EQ(EVFILT_READ, out[0].filter);
    ASSERT_EQ(1, collect(out, 4, &kSecond)) << "the second change applied";
    EXPECT_EQ(EVFILT_WRITE, out[0].filter);
    errno = 0;
    EXPECT_EQ(-1, kevent(kq_, ch, 1, nullptr, 0, nullptr)) << "no room";
    EXPECT_EQ(ENOENT, errno);
}

/* EV_RECEIPT "forces EV_ERROR to always be returned. When a filter is
 * successfully added the data field will be zero" - and a receipt call
 * drains none of the pending events. */
TEST_F(Shim, ReceiptsForEveryChangeAndNoEventsDrained)
{
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_ADD, 0, &tag_)); /* ready: pending */
    struct kevent ch[3], out[8];
    EV_SET(&ch[0], a_, EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0, &tag_);
    EV_SET(&ch[1], b_, EVFILT_READ, EV_DELETE | EV_RECEIPT, 0, 0, nullptr);
    EV_SET(&ch[2], b_, EVFILT_WRITE, EV_ADD | EV_RECEIPT, 0, 0, &tag2_);
    ASSERT_EQ(3, kevent(kq_, ch, 3, out, 8, &kZero));
    for (int i = 0; i < 3; i++) {
        EXPECT_EQ(EV_ERROR, out[i].flags) << i;
        EXPECT_EQ(ch[i].ident, out[i].ident) << i;
        EXPECT_EQ(ch[i].filter, out[i].filter) << i;
    }
    EXPECT_EQ(0, out[0].data);
    EXPECT_EQ(ENOENT, out[1].data) << "'not registered' told apart";
    EXPECT_EQ(0, out[2].data);
    EXPECT_EQ(2, collect(out, 8, &kSecond)) << "both writable sockets still pending";
}

TEST_F(Shim, BadDescriptorAndUnknownFilter)
{
    int fd = dup(a_);
    close(fd);
    errno = 0;
    EXPECT_EQ(-1, change(fd, EVFILT_READ, EV_ADD));
    EXPECT_EQ(EBADF, errno);
    errno = 0;
    EXPECT_EQ(-1, change(a_, -5 /* EVFILT_VNODE: not in the shim */, EV_ADD));
    EXPECT_EQ(EINVAL, errno);
}

/* A peer that closes: EV_EOF on read, with the bytes it sent before still
 * counted in data ("It is possible for EOF to be returned ... while there
 * is still data pending in the socket buffer"). */
TEST_F(Shim, PeerCloseIsEofOnReadWithDataStillPending)
{
    ASSERT_EQ(0, change(a_, EVFILT_READ, EV_ADD, 0, &tag_));
    ASSERT_EQ(2, write(b_, "hi", 2));
    close(b_);
    b_ = -1;
    struct kevent ev[4];
    ASSERT_EQ(1, collect(ev, 4, &kSecond));
    EXPECT_TRUE(ev[0].flags & EV_EOF);
    EXPECT_EQ(2, ev[0].data);
    EXPECT_EQ(0u, ev[0].fflags) << "an orderly close is no error";
}

/* The write side shut down, by this end's shutdown(SHUT_WR): EV_EOF on
 * write, and a write filter that waited on a full buffer is woken by it
 * (grocket's close protocol relies on this; gr_poll.h point 4). */
TEST_F(Shim, OwnWriteShutdownIsEofOnWriteAndWakesAWaiter)
{
    fill_a();
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_ADD, 0, &tag_));
    struct kevent ev[4];
    ASSERT_EQ(0, collect(ev, 4)) << "full: not writable";
    std::atomic<int> got{-1};
    std::thread waiter([&] { got.store(kevent(kq_, nullptr, 0, ev, 4, nullptr)); });
    usleep(100 * 1000);
    shutdown(a_, SHUT_WR);
    waiter.join();
    ASSERT_EQ(1, got.load());
    EXPECT_EQ(EVFILT_WRITE, ev[0].filter);
    EXPECT_TRUE(ev[0].flags & EV_EOF);
}

TEST_F(Shim, ListenerIsReadableWhileAConnectionWaits)
{
    ASSERT_EQ(0, change(lst_, EVFILT_READ, EV_ADD, 0, &tag_));
    struct kevent ev[2];
    EXPECT_EQ(0, collect(ev, 2));
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(0, connect(c, (struct sockaddr *)&addr_, sizeof addr_));
    ASSERT_EQ(1, collect(ev, 2, &kSecond));
    EXPECT_EQ((uintptr_t)lst_, ev[0].ident);
    EXPECT_GE(ev[0].data, 1);
    int s = accept(lst_, NULL, NULL);
    ASSERT_GE(s, 0);
    EXPECT_EQ(0, collect(ev, 2)) << "accepted";
    close(s);
    close(c);
}

/* Each kqueue has its own knotes for a descriptor: deleting in one leaves
 * the other's alone. */
TEST_F(Shim, TwoKqueuesWatchOneSocketIndependently)
{
    int kq2 = kqueue();
    ASSERT_GE(kq2, 0);
    struct kevent ch;
    EV_SET(&ch, a_, EVFILT_WRITE, EV_ADD, 0, 0, &tag2_);
    ASSERT_EQ(0, kevent(kq2, &ch, 1, nullptr, 0, nullptr));
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_ADD, 0, &tag_));
    ASSERT_EQ(0, change(a_, EVFILT_WRITE, EV_DELETE));
    struct kevent ev;
    EXPECT_EQ(0, collect(&ev, 1));
    ASSERT_EQ(1, kevent(kq2, nullptr, 0, &ev, 1, &kSecond));
    EXPECT_EQ(&tag2_, ev.udata);
    close(kq2);
}

/* Knotes of a closed descriptor are gone ("automatically deleted on the
 * last close"): a new socket that gets the same number starts clean. */
TEST_F(Shim, ANumberReusedAfterCloseStartsClean)
{
    int fd = dup(a_);
    ASSERT_EQ(0, change(fd, EVFILT_READ, EV_ADD | EV_DISABLE, 0, &tag_));
    close(fd);
    int again = dup(a_); /* the lowest free number: the same one */
    ASSERT_EQ(fd, again);
    int pfd[2];
    ASSERT_EQ(0, pipe(pfd));
    ASSERT_EQ(again, dup2(pfd[0], again)); /* now names a pipe */
    errno = 0;
    EXPECT_EQ(-1, change(again, EVFILT_READ, EV_DELETE)) << "the old knote went with the close";
    EXPECT_EQ(ENOENT, errno);
    ASSERT_EQ(0, change(again, EVFILT_READ, EV_ADD, 0, &tag2_));
    ASSERT_EQ(1, write(pfd[1], "p", 1));
    struct kevent ev;
    ASSERT_EQ(1, collect(&ev, 1, &kSecond));
    EXPECT_EQ(&tag2_, ev.udata);
    EXPECT_EQ(1, ev.data);
    ASSERT_EQ(0, change(again, EVFILT_READ, EV_DELETE));
    close(again);
    close(pfd[0]);
    close(pfd[1]);
}

/* EVFILT_USER: not reported until NOTE_TRIGGER; without EV_CLEAR it stays
 * triggered; the user flags in the low 24 bits follow NOTE_FFOR, NOTE_FFAND
 * and NOTE_FFCOPY and come back in fflags. */
TEST_F(Shim, UserEventTriggerAndFflags)
{
    ASSERT_EQ(0, change(42, EVFILT_USER, EV_ADD, NOTE_FFCOPY | 0x1, &tag_));
    struct kevent ev[2];
    EXPECT_EQ(0, collect(ev, 2)) << "not triggered yet";
    ASSERT_EQ(0, change(42, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFOR | 0x6, &tag_));
    ASSERT_EQ(1, collect(ev, 2));
    EXPECT_EQ(42u, ev[0].ident);
    EXPECT_EQ(EVFILT_USER, ev[0].filter);
    EXPECT_EQ(0x7u, ev[0].fflags & NOTE_FFLAGSMASK);
    EXPECT_EQ(&tag_, ev[0].udata);
    ASSERT_EQ(1, collect(ev, 2)) << "no EV_CLEAR: still triggered";
    ASSERT_EQ(0, change(42, EVFILT_USER, 0, NOTE_FFAND | 0x2, &tag_));
    ASSERT_EQ(1, collect(ev, 2));
    EXPECT_EQ(0x2u, ev[0].fflags & NOTE_FFLAGSMASK);
    ASSERT_EQ(0, change(42, EVFILT_USER, EV_DELETE));
    EXPECT_EQ(0, collect(ev, 2));
}

TEST_F(Shim, UserEventWithClearResetsOnRetrieval)
{
    ASSERT_EQ(0, change(7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, &tag_));
    struct kevent ev[2];
    for (int round = 0; round < 3; round++) {
        ASSERT_EQ(0, change(7, EVFILT_USER, 0, NOTE_TRIGGER, &tag_));
        ASSERT_EQ(0, change(7, EVFILT_USER, 0, NOTE_TRIGGER, &tag_)); /* folds in */
        ASSERT_EQ(1, collect(ev, 2)) << round;
        EXPECT_EQ(0, collect(ev, 2)) << round;
    }
}

/* A trigger from another thread wakes a kevent() waiting for ever. */
TEST_F(Shim, UserTriggerFromAnotherThreadWakesAWait)
{
    ASSERT_EQ(0, change(9, EVFILT_USER, EV_ADD | EV_CLEAR, 0, &tag_));
    std::thread trigger([this] {
        usleep(50 * 1000);
        struct kevent kev;
        EV_SET(&kev, 9, EVFILT_USER, 0, NOTE_TRIGGER, 0, &tag_);
        kevent(kq_, &kev, 1, nullptr, 0, nullptr);
    });
    struct kevent ev;
    long long t0 = now_ms();
    int n = kevent(kq_, nullptr, 0, &ev, 1, nullptr);
    trigger.join();
    ASSERT_EQ(1, n);
    EXPECT_EQ(9u, ev.ident);
    EXPECT_LT(now_ms() - t0, 5000);
}

TEST_F(Shim, TimeoutsZeroAndFinite)
{
    struct kevent ev;
    long long t0 = now_ms();
    EXPECT_EQ(0, collect(&ev, 1));
    EXPECT_LT(now_ms() - t0, 500);
    struct timespec ts = {0, 100 * 1000 * 1000};
    t0 = now_ms();
    EXPECT_EQ(0, collect(&ev, 1, &ts));
    long long took = now_ms() - t0;
    EXPECT_GE(took, 95);
    EXPECT_LT(took, 2000);
    ts.tv_nsec = 1000000000L;
    errno = 0;
    EXPECT_EQ(-1, collect(&ev, 1, &ts)) << "tv_nsec out of range";
    EXPECT_EQ(EINVAL, errno);
}

/* "EINTR: A signal was delivered before the timeout expired and before any
 * events were placed on the kqueue for return." */
void on_usr2(int) {}

TEST_F(Shim, ASignalEndsAWaitWithEINTR)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2; /* no SA_RESTART; kevent is not restarted anyway */
    ASSERT_EQ(0, sigaction(SIGUSR2, &sa, &old));
    pthread_t self = pthread_self();
    std::thread signaller([self] {
        usleep(50 * 1000);
        pthread_kill(self, SIGUSR2);
    });
    struct kevent ev;
    struct timespec ts = {5, 0};
    errno = 0;
    long long t0 = now_ms();
    int n = collect(&ev, 1, &ts);
    int err = errno;
    signaller.join();
    sigaction(SIGUSR2, &old, nullptr);
    EXPECT_EQ(-1, n);
    EXPECT_EQ(EINTR, err);
    EXPECT_LT(now_ms() - t0, 4000);
}

}  // namespace
