/* ref_resp.c - the reference floor for a RESP (Redis protocol) server, for
 * redis-benchmark -t set,get against grocketd's kv module and redis-server.
 *
 * What a Redis server must do for the benchmark's commands, done with as
 * little as a server can: one thread, one level-triggered epoll set,
 * non-blocking sockets with TCP_NODELAY. Each read() goes into one buffer
 * shared by all connections and is walked by a byte-level RESP multibulk
 * state machine kept per connection (so a command cut between two reads
 * costs no copy); every complete command gets a fixed reply, by the first
 * letter of its name: GET, a 3-byte bulk ("$3\r\nxxx\r\n", redis-benchmark's
 * default value size); CONFIG (the benchmark's start-up CONFIG GET), an empty
 * array; anything else, "+OK\r\n". The replies to all the commands of one
 * read leave in one send(). Only a reply tail the kernel did not take is
 * kept (on the heap); while it waits the connection is not read.
 *
 * Why it is a fair floor: it frames every command as a server must (counts,
 * bulk lengths, bulk bytes) and answers each, and does nothing else: no
 * arguments kept, no look-up, no store, no memory accounting. Inline
 * commands are not understood (redis-benchmark sends none).
 *
 * Bounded: it runs until SIGTERM or SIGKILL, and it also exits when the
 * process that started it dies (PR_SET_PDEATHSIG), or after SECONDS.
 *
 * Usage: ref_resp PORT [SECONDS]      (listens on 127.0.0.1:PORT)
 * Build: gcc -O2 -o ref_resp ref_resp.c */
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

enum { ST_STAR, ST_COUNT, ST_DOLLAR, ST_LEN, ST_BULK }; /* where in a command the walk is */

/* Per connection (indexed by fd): the walk's state and a reply tail. */
typedef struct {
    unsigned char st;   /* ST_* */
    char first;         /* first byte of the command's name */
    long args;          /* arguments still to come */
    long num;           /* the count or length being read */
    long skip;          /* bulk bytes (and "\r\n") still to skip */
    int in_name;        /* the bulk being skipped is the name */
    char *tail;         /* replies the kernel did not take */
    size_t len, sent;
} conn_t;

static conn_t *conns;
static size_t nconns; /* RLIMIT_NOFILE's soft limit (at most MAX_FDS) */
static int ep;
static char in[IO_SIZE];
static char out[IO_SIZE]; /* a reply (at most 9 bytes) per command of at least 14 */

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
    free(conns[fd].tail);
    memset(&conns[fd], 0, sizeof conns[fd]);
    close(fd);
}

/* Walk p[0..n) for connection c, appending a reply per complete command to
 * out; returns the reply bytes, or -1 on a protocol error. */
static long walk(conn_t *c, const char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char b = p[i];
        switch (c->st) {
        case ST_STAR:
            if (b != '*')
                return -1;
            c->num = 0;
            c->st = ST_COUNT;
            break;
        case ST_COUNT:
        case ST_LEN:
            if (b >= '0' && b <= '9') {
                c->num = c->num * 10 + (b - '0');
            } else if (b == '\n') {
                if (c->st == ST_COUNT) {
                    c->args = c->num;
                    c->in_name = 1;
                    c->st = c->args > 0 ? ST_DOLLAR : ST_STAR;
                } else {
                    c->skip = c->num + 2;
                    c->st = ST_BULK;
                }
            } else if (b != '\r') {
                return -1;
            }
            break;
        case ST_DOLLAR:
            if (b != '$')
                return -1;
            c->num = 0;
            c->st = ST_LEN;
            break;
        case ST_BULK: {
            size_t take = (size_t)c->skip < n - i ? (size_t)c->skip : n - i;
            if (c->in_name && c->skip == c->num + 2)
                c->first = (char)(b | 0x20);
            c->skip -= (long)take;
            i += take - 1;
            if (c->skip)
                break;
            c->in_name = 0;
            if (--c->args > 0) {
                c->st = ST_DOLLAR;
                break;
            }
            const char *r = c->first == 'g' ? "$3\r\nxxx\r\n" : c->first == 'c' ? "*0\r\n" : "+OK\r\n";
            size_t rl = strlen(r);
            memcpy(out + o, r, rl);
            o += rl;
            c->st = ST_STAR;
            break;
        }
        }
    }
    return (long)o;
}

/* Send out[0..len); keep what the kernel does not take and wait for
 * EPOLLOUT. -1: the connection is broken. */
static int send_or_keep(int fd, size_t len)
{
    ssize_t w = send(fd, out, len, MSG_NOSIGNAL);
    if (w < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        w = 0;
    }
    if ((size_t)w == len)
        return 0;
    conn_t *c = &conns[fd];
    c->len = len - (size_t)w;
    c->sent = 0;
    c->tail = malloc(c->len);
    if (c->tail == NULL)
        return -1;
    memcpy(c->tail, out + w, c->len);
    return watch(EPOLL_CTL_MOD, fd, EPOLLOUT); /* stop reading meanwhile */
}

static void on_ready(int fd)
{
    conn_t *c = &conns[fd];
    if (c->tail != NULL) { /* writable again (or broken: send says which) */
        ssize_t w = send(fd, c->tail + c->sent, c->len - c->sent, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                drop(fd);
            return;
        }
        c->sent += (size_t)w;
        if (c->sent < c->len)
            return;
        free(c->tail);
        c->tail = NULL;
        c->len = c->sent = 0;
        if (watch(EPOLL_CTL_MOD, fd, EPOLLIN) != 0)
            drop(fd);
        return;
    }
    ssize_t r = read(fd, in, sizeof in);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    long o = r > 0 ? walk(c, in, (size_t)r) : -1;
    if (o < 0 || (o > 0 && send_or_keep(fd, (size_t)o) != 0))
        drop(fd); /* peer closed, bad input, or an error */
}

static void on_accept(int ls)
{
    const int one = 1;
    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0)
            return;
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
        perror("ref_resp: calloc");
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
        perror("ref_resp: bind/listen");
        return 1;
    }
    ep = epoll_create1(0);
    if (ep < 0 || watch(EPOLL_CTL_ADD, ls, EPOLLIN) != 0) {
        perror("ref_resp: epoll");
        return 1;
    }
    struct epoll_event evs[EVENTS];
    for (;;) {
        int n = epoll_wait(ep, evs, EVENTS, -1);
        if (n < 0 && errno != EINTR) {
            perror("ref_resp: epoll_wait");
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
