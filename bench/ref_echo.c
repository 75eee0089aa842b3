/* ref_echo.c - the reference floor for the TCP echo of bench/echo_bench.sh.
 *
 * What grocketd's demo module does over tcp:// (every byte that arrives is
 * sent straight back; test_tcp_client checks the stream byte for byte),
 * done with as little as a server can: one thread, one level-triggered
 * epoll set, non-blocking sockets with TCP_NODELAY (as grocketd sets), one
 * read() into a buffer shared by all connections and one send() of what it
 * read. Nothing is framed, queued or copied unless the kernel takes less
 * than was read: only then is the unsent tail kept on the heap, and that
 * connection is not read again until the tail is gone (backpressure, so
 * memory stays bounded by one read per connection).
 *
 * Why it is a fair floor: it does the work the benchmark asks of grocketd
 * (accept, read, write back every byte, in order, on 64 connections on one
 * core) and nothing else, with the same socket options; grocketd cannot do
 * less per request, so its distance from this program is the framework's
 * cost. It is not a hand-tuned maximum either (no busy polling, no
 * SO_REUSEPORT, no io_uring).
 *
 * Bounded: it runs until SIGTERM or SIGKILL (the script stops it by pid), and
 * it also exits when the process that started it dies (PR_SET_PDEATHSIG), or
 * after SECONDS when that argument is given.
 *
 * Usage: ref_echo PORT [SECONDS]      (listens on 127.0.0.1:PORT)
 * Build: gcc -O2 -o ref_echo ref_echo.c */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define IO_SIZE (64 * 1024) /* one read at most */
#define EVENTS 256          /* readiness events taken per epoll_wait */
#define MAX_FDS (1 << 20)   /* descriptors served at most */

/* What the kernel did not take yet, per connection (indexed by fd). The
 * table is calloc'ed for every descriptor the process may open and an entry
 * is written only while it holds a tail, so an idle connection costs no
 * user-space memory. */
typedef struct {
    char *data;
    size_t len, sent;
} tail_t;

static tail_t *tails;
static size_t ntails; /* RLIMIT_NOFILE's soft limit (at most MAX_FDS) */
static int ep;
static char io[IO_SIZE];

static int watch(int op, int fd, unsigned events)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.fd = fd;
    return epoll_ctl(ep, op, fd, &ev);
}

static void drop(int fd)
{
    tail_t *t = &tails[fd];
    if (t->data != NULL) {
        free(t->data);
        memset(t, 0, sizeof *t);
    }
    close(fd); /* also leaves the epoll set */
}

/* Send p[0..len); keep what the kernel does not take and wait for EPOLLOUT.
 * -1: the connection is broken. */
static int send_or_keep(int fd, const char *p, size_t len)
{
    ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
    if (w < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        w = 0;
    }
    if ((size_t)w == len)
        return 0;
    tail_t *t = &tails[fd];
    t->len = len - (size_t)w;
    t->sent = 0;
    t->data = malloc(t->len);
    if (t->data == NULL)
        return -1;
    memcpy(t->data, p + w, t->len);
    return watch(EPOLL_CTL_MOD, fd, EPOLLOUT); /* stop reading meanwhile */
}

static void on_ready(int fd)
{
    tail_t *t = &tails[fd];
    if (t->data != NULL) { /* writable again (or broken: send says which) */
        ssize_t w = send(fd, t->data + t->sent, t->len - t->sent, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                drop(fd);
            return;
        }
        t->sent += (size_t)w;
        if (t->sent < t->len)
            return;
        free(t->data);
        t->data = NULL;
        t->len = t->sent = 0;
        if (watch(EPOLL_CTL_MOD, fd, EPOLLIN) != 0)
            drop(fd);
        return;
    }
    ssize_t r = read(fd, io, sizeof io);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (r <= 0 || send_or_keep(fd, io, (size_t)r) != 0)
        drop(fd); /* peer closed, or an error */
}

static void on_accept(int ls)
{
    const int one = 1;
    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0)
            return; /* EAGAIN: all taken; anything else: try on the next event */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if ((size_t)fd >= ntails || watch(EPOLL_CTL_ADD, fd, EPOLLIN) != 0)
            close(fd);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [SECONDS]\n", argv[0]);
        return 2;
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        return 1; /* the starter is already gone */
    if (argc == 3)
        alarm((unsigned)atoi(argv[2]));
    struct rlimit rl;
    ntails = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MAX_FDS ? (size_t)rl.rlim_cur : MAX_FDS;
    tails = calloc(ntails, sizeof *tails);
    if (tails == NULL) {
        perror("ref_echo: calloc");
        return 1;
    }

    const int one = 1;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)atoi(argv[1]));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, SOMAXCONN) != 0) {
        perror("ref_echo: bind/listen"); /* "Address already in use": the script tries another port */
        return 1;
    }
    ep = epoll_create1(0);
    if (ep < 0 || watch(EPOLL_CTL_ADD, ls, EPOLLIN) != 0) {
        perror("ref_echo: epoll");
        return 1;
    }
    struct epoll_event evs[EVENTS];
    for (;;) {
        int n = epoll_wait(ep, evs, EVENTS, -1);
        if (n < 0 && errno != EINTR) {
            perror("ref_echo: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == ls)
                on_accept(ls);
            else
                on_ready(evs[i].data.fd);
        }
    }
}
