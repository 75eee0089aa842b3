/* ref_http.c - the reference floor for the HTTP "Hello, World!" of
 * bench/http_bench.sh.
 *
 * What grocketd's demo module does over http:// for the benchmark's
 * requests, done with as little as a server can: one thread, one
 * level-triggered epoll set, non-blocking sockets with TCP_NODELAY (as
 * grocketd sets). Each read() goes into one buffer shared by all
 * connections; every complete request head in it (a "GET " line up to the
 * blank line, "\r\n\r\n") gets one fixed reply, and the replies to all the
 * requests of one read leave in one send() - so wrk's 16 pipelined requests
 * cost one read and one send, as they do in grocketd. The reply has the
 * bytes grocketd's demo sends for an HTTP/1.1 keep-alive request, down to
 * the header order and length ("Server: refhttp" is as long as "Server:
 * grocket"), with the Date header made again once a second:
 *
 *   HTTP/1.1 200 OK\r\nServer: refhttp\r\nDate: <IMF-fixdate>\r\n
 *   Content-Length: 13\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n
 *   Hello, World!
 *
 * Only a partial request head left at the end of a read, or a reply tail
 * the kernel did not take, is kept per connection (on the heap); while a
 * tail waits, the connection is not read (backpressure, bounded memory).
 *
 * Why it is a fair floor: it does the least any HTTP/1.1 server must for
 * these requests - find where each one ends, answer it with a framed reply,
 * keep the connection - and skips all grocketd must do beyond that (parse
 * the request line and headers, hand the request to a module, let the
 * module build its reply, honour Connection: close, bodies and limits). So
 * it is what grocketd would cost if HTTP were free; it is not tuned beyond
 * that (no busy polling, no SO_REUSEPORT, no io_uring). A head that does not
 * start with "GET " closes the connection: a body would need parsing this
 * floor does not do. "Connection: close" is not looked at.
 *
 * Bounded: it runs until SIGTERM or SIGKILL (the script stops it by pid), and
 * it also exits when the process that started it dies (PR_SET_PDEATHSIG), or
 * after SECONDS when that argument is given.
 *
 * Usage: ref_http PORT [SECONDS]      (listens on 127.0.0.1:PORT)
 * Build: gcc -O2 -o ref_http ref_http.c */
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
#include <time.h>
#include <unistd.h>

#define IO_SIZE (64 * 1024) /* one read at most */
#define HEAD_MAX (16 * 1024) /* a partial head longer than this closes the connection */
#define EVENTS 256          /* readiness events taken per epoll_wait */
#define MAX_FDS (1 << 20)   /* descriptors served at most */

/* Per connection (indexed by fd): the start of a request head not complete
 * yet, and the part of the replies the kernel did not take yet. The table
 * is calloc'ed for every descriptor the process may open and an entry is
 * written only when it holds something, so an idle connection costs no
 * user-space memory (its page stays the shared zero page). */
typedef struct {
    char *head;
    size_t head_len;
    char *tail;
    size_t tail_len, tail_sent;
} conn_t;

static conn_t *conns;
static size_t nconns; /* RLIMIT_NOFILE's soft limit (at most MAX_FDS) */
static int ep;
static char in[HEAD_MAX + IO_SIZE]; /* a kept partial head, then what is read */
static char *out;                  /* the replies of one read; grows */
static size_t out_room;

static char reply[160];
static size_t reply_len;
static time_t reply_sec = -1;

/* Make the reply again when the second changes (Date). */
static void refresh_reply(void)
{
    time_t now = time(NULL);
    if (now == reply_sec)
        return;
    reply_sec = now;
    struct tm tm;
    gmtime_r(&now, &tm);
    char date[40];
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    reply_len = (size_t)snprintf(reply, sizeof reply,
                                 "HTTP/1.1 200 OK\r\nServer: refhttp\r\nDate: %s\r\nContent-Length: 13\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n\r\nHello, World!",
                                 date);
}

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
    conn_t *c = &conns[fd];
    if (c->head != NULL || c->tail != NULL) {
        free(c->head);
        free(c->tail);
        memset(c, 0, sizeof *c);
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
    conn_t *c = &conns[fd];
    c->tail_len = len - (size_t)w;
    c->tail_sent = 0;
    c->tail = malloc(c->tail_len);
    if (c->tail == NULL)
        return -1;
    memcpy(c->tail, p + w, c->tail_len);
    return watch(EPOLL_CTL_MOD, fd, EPOLLOUT); /* stop reading meanwhile */
}

/* Answer every complete head in in[0..len), keep an incomplete one, send
 * the replies in one piece. -1: close the connection. */
static int answer(int fd, size_t len)
{
    conn_t *c = &conns[fd];
    size_t pos = 0, n = 0;
    const char *end;
    while ((end = memmem(in + pos, len - pos, "\r\n\r\n", 4)) != NULL) {
        if (memcmp(in + pos, "GET ", 4) != 0) /* "\r\n\r\n" is 4 bytes: readable */
            return -1;
        pos = (size_t)(end - in) + 4;
        if (n + reply_len > out_room) {
            size_t room = out_room ? out_room * 2 : 64 * 1024;
            char *o = realloc(out, room);
            if (o == NULL)
                return -1;
            out = o;
            out_room = room;
        }
        memcpy(out + n, reply, reply_len);
        n += reply_len;
    }
    if (c->head != NULL) { /* it was copied to in[] and answered or kept again */
        free(c->head);
        c->head = NULL;
        c->head_len = 0;
    }
    if (pos < len) {
        if (len - pos > HEAD_MAX)
            return -1;
        c->head = malloc(len - pos);
        if (c->head == NULL)
            return -1;
        memcpy(c->head, in + pos, len - pos);
        c->head_len = len - pos;
    }
    return n ? send_or_keep(fd, out, n) : 0;
}

static void on_ready(int fd)
{
    conn_t *c = &conns[fd];
    if (c->tail != NULL) { /* writable again (or broken: send says which) */
        ssize_t w = send(fd, c->tail + c->tail_sent, c->tail_len - c->tail_sent, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                drop(fd);
            return;
        }
        c->tail_sent += (size_t)w;
        if (c->tail_sent < c->tail_len)
            return;
        free(c->tail);
        c->tail = NULL;
        c->tail_len = c->tail_sent = 0;
        if (watch(EPOLL_CTL_MOD, fd, EPOLLIN) != 0)
            drop(fd);
        return;
    }
    size_t have = c->head_len;
    if (have)
        memcpy(in, c->head, have);
    ssize_t r = read(fd, in + have, IO_SIZE);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (r <= 0 || answer(fd, have + (size_t)r) != 0)
        drop(fd); /* peer closed, an error, or a request this floor does not serve */
}

static void on_accept(int ls)
{
    const int one = 1;
    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0)
            return; /* EAGAIN: all taken; anything else: try on the next event */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if ((size_t)fd >= nconns || watch(EPOLL_CTL_ADD, fd, EPOLLIN) != 0)
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
    nconns = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MAX_FDS ? (size_t)rl.rlim_cur : MAX_FDS;
    conns = calloc(nconns, sizeof *conns);
    if (conns == NULL) {
        perror("ref_http: calloc");
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
        perror("ref_http: bind/listen"); /* "Address already in use": the script tries another port */
        return 1;
    }
    ep = epoll_create1(0);
    if (ep < 0 || watch(EPOLL_CTL_ADD, ls, EPOLLIN) != 0) {
        perror("ref_http: epoll");
        return 1;
    }
    struct epoll_event evs[EVENTS];
    for (;;) {
        int n = epoll_wait(ep, evs, EVENTS, -1);
        if (n < 0 && errno != EINTR) {
            perror("ref_http: epoll_wait");
            return 1;
        }
        refresh_reply();
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == ls)
                on_accept(ls);
            else
                on_ready(evs[i].data.fd);
        }
    }
}
