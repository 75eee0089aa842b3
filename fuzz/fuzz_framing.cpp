/* fuzz_framing.cpp - libFuzzer target: module framing. A real server runs
 * in this process (libgrocket.h, the module handed over as function
 * pointers) and each input is one client connection over loopback: the
 * fuzzer chooses the bytes, how they are cut into writes, and so what the
 * fake module's check() answers - a package of N bytes, "need more", bad
 * data, a size hint past what has arrived (up to LONG_MAX), everything
 * received - and what proc does (echo, echo and close, a large reply).
 * So the real tcp_in path is driven: the scratch buffer, the connection's
 * own buffer growing to tcp.in.recv_buf.max, size hints, cutting, inline
 * processing or worker jobs, direct sends, writability waits and tcp_out.
 *
 * Input: a 4-byte header, then the bytes the client sends.
 *   [0] bit 0: worker threads (else proc inline); bit 1: tcp_out threads
 *   [1] the largest write: 1 + b * b bytes   [2..3] seed of the write sizes
 * The stream is read by check() as packages of: op byte, 4-byte
 * little-endian value v, payload (see fake_check). The replies are
 * predictable from the stream alone, whatever the write sizes: a model
 * walks it and the client compares. Whether the connection ends by the
 * client's EOF or by the server's close (bad data, a package or a size
 * hint past the limit, proc asked), the client - which goes on writing
 * the rest of the stream - must receive exactly the replies owed up to
 * that point and nothing past it (the lingering close). Only a stream with
 * an OP_ALL package is loose: where a write ends decides that package. A
 * connection that makes no progress for GR_FUZZ_STALL_S seconds is a hang:
 * an abort, like a crash. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "grocket.h"
#include "libgrocket.h"
#include "fuzz_rng.h"

#define GR_FUZZ_RECV_MAX 4096   /* tcp.in.recv_buf.max of the server */
#define GR_FUZZ_BIG_REPLY 65536 /* bytes of filler after a BIG package's echo */
#define GR_FUZZ_BIG_PER_CONN 8  /* BIG packages answered big, per connection */
#define GR_FUZZ_STALL_S 20

[[noreturn]] static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_framing: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* ---- the fake module ------------------------------------------------------ */

enum {
    OP_LEN,       /* v bytes, counted from the op byte, once they are all there (v = 0: never) */
    OP_NEED_MORE, /* always "need more" */
    OP_BAD,       /* bad data: a negative answer */
    OP_CLAIM,     /* answers v whatever has arrived: a size hint while v > len (v = ~0: LONG_MAX) */
    OP_ALL,       /* everything received so far is the package */
    OP_CLOSE,     /* as OP_LEN, and proc asks to close after the reply */
    OP_BIG,       /* as OP_LEN, and the reply is followed by GR_FUZZ_BIG_REPLY bytes */
    OP_COUNT
};
#define HDR 5

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const gr_services_t *svc;

static int fake_init(const gr_services_t *s)
{
    svc = s;
    return 0;
}

static long fake_check(gr_conn_t *c, const char *data, size_t len)
{
    const unsigned char *d = (const unsigned char *)data;
    if (len < HDR)
        return GR_CHECK_NEED_MORE;
    uint32_t v = le32(d + 1);
    switch (d[0] % OP_COUNT) {
    case OP_NEED_MORE:
        return GR_CHECK_NEED_MORE;
    case OP_BAD:
        return -1 - (long)(v % 1000); /* any negative answer is "bad" */
    case OP_CLAIM:
        return v == UINT32_MAX ? LONG_MAX : (long)v;
    case OP_ALL:
        return (long)len;
    default: /* OP_LEN, OP_CLOSE, OP_BIG */
        return v <= len ? (long)v : GR_CHECK_NEED_MORE;
    }
}

static char filler_byte(size_t i) { return (char)('A' + i % 23); }

static int fake_proc(gr_conn_t *c, const char *pkg, size_t len)
{
    if (svc->reply(c, pkg, len) != 0)
        return GR_PROC_CLOSE;
    int op = len >= HDR ? (unsigned char)pkg[0] % OP_COUNT : -1;
    if (op == OP_BIG) {
        uintptr_t bigs = (uintptr_t)svc->conn_get_user(c);
        if (bigs < GR_FUZZ_BIG_PER_CONN) {
            svc->conn_set_user(c, (void *)(bigs + 1));
            char *p = (char *)svc->reply_alloc(c, GR_FUZZ_BIG_REPLY);
            if (!p)
                return GR_PROC_CLOSE;
            for (size_t i = 0; i < GR_FUZZ_BIG_REPLY; i++)
                p[i] = filler_byte(i);
        }
    }
    return op == OP_CLOSE ? GR_PROC_CLOSE : GR_PROC_OK;
}

static const gr_module_t fake_module = {
    GR_MODULE_HEADER("fuzz_framing"),
    fake_init,  /* init */
    NULL,       /* term */
    NULL,       /* tcp_accept */
    NULL,       /* tcp_close */
    fake_check, /* check */
    fake_proc,  /* proc */
    NULL,       /* thread_init */
    NULL,       /* thread_term */
    NULL,       /* proc_http */
};

/* ---- the model ---------------------------------------------------------- */

struct model_t {
    std::string replies; /* what the client must receive */
    bool exact;          /* exactly replies (no OP_ALL) */
    bool loose_tail;     /* OP_ALL: the packages' ends depend on the writes; past
                          * replies, the rest of the stream may be echoed too */
    size_t loose_from;   /* stream offset where that starts */
};

static void model(const unsigned char *s, size_t n, model_t *m)
{
    m->replies.clear();
    m->exact = true;
    m->loose_tail = false;
    size_t pos = 0;
    int bigs = 0;
    for (;;) {
        size_t avail = n - pos;
        size_t pkg = 0;
        if (avail >= HDR) {
            uint32_t v = le32(s + pos + 1);
            switch (s[pos] % OP_COUNT) {
            case OP_NEED_MORE:
                break;
            case OP_BAD:
                return; /* the server closes after the replies owed */
            case OP_ALL:
                m->loose_tail = true;
                m->loose_from = pos;
                m->exact = false; /* where the last write ends decides, and the rest may exceed the limit */
                return;
            case OP_CLAIM:
                /* A size hint past the limit (LONG_MAX for ~0) is refused
                 * at once, like a package past it: the server closes. */
                if (v == UINT32_MAX || v > GR_FUZZ_RECV_MAX)
                    return;
                pkg = v <= avail ? v : 0;
                break;
            default:
                pkg = v > 0 && v <= avail ? v : 0;
                break;
            }
        }
        /* Incomplete to the end: pending until the client's EOF, unless it
         * fills the receive buffer: then the server closes (too large). */
        if (pkg == 0)
            return;
        /* Past recv_buf.max a package is refused however it arrives (in
         * one read or gathered): the connection closes before answering
         * it, so nothing from here on comes back. */
        if (pkg > GR_FUZZ_RECV_MAX)
            return;
        int op = pkg >= HDR ? s[pos] % OP_COUNT : -1;
        m->replies.append((const char *)s + pos, pkg);
        if (op == OP_BIG && bigs < GR_FUZZ_BIG_PER_CONN) {
            bigs++;
            for (size_t i = 0; i < GR_FUZZ_BIG_REPLY; i++)
                m->replies.push_back(filler_byte(i));
        }
        pos += pkg;
        if (op == OP_CLOSE)
            return; /* closed after its reply */
    }
}

/* ---- the server ----------------------------------------------------------- */

static gr_server_t *server;
static int server_mode = -1;
static int server_port;

static void server_stop(void)
{
    if (server) {
        gr_server_destroy(server);
        server = NULL;
        server_mode = -1;
    }
}

static void server_start(int mode)
{
    server_stop();
    char ini[1024], err[512];
    snprintf(ini, sizeof ini,
             "[server]\n"
             "log.level = error\n"
             "tcp.in.thread_count = 1\n"
             "tcp.in.recv_buf.init = 64\n"
             "tcp.in.recv_buf.max = %d\n"
             "worker.disabled = %s\n"
             "worker.thread_count = 1\n"
             "tcp.out.disabled = %s\n"
             "tcp.out.thread_count = 1\n"
             "[listen]\n"
             "0 = tcp://127.0.0.1:0\n",
             GR_FUZZ_RECV_MAX, (mode & 1) ? "false" : "true", (mode & 2) ? "false" : "true");
    if (gr_server_create_from_string(&server, ini, "fuzz_framing.ini", &fake_module, 0, NULL, err, sizeof err) != 0)
        fail("server: %s", err);
    if (gr_server_start(server, err, sizeof err) != 0)
        fail("server start: %s", err);
    server_port = gr_server_listen_port(server, 0);
    server_mode = mode;
}

/* ---- the client ----------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int client_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)server_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
        fail("connect: %s", strerror(errno));
    return fd;
}

/* Send the stream in writes of the chosen sizes while reading; then EOF,
 * and read until the server closes. Returns what arrived. */
static std::string exchange(const unsigned char *s, size_t n, uint32_t max_write, uint32_t seed)
{
    int fd = client_connect();
    std::string got;
    size_t sent = 0, chunk_end = 0;
    bool wr_done = n == 0, rd_done = false, write_failed = false;
    if (wr_done)
        shutdown(fd, SHUT_WR);
    double last = now_s();
    char buf[65536];
    while (!rd_done) {
        struct pollfd p = {fd, (short)(POLLIN | (wr_done ? 0 : POLLOUT)), 0};
        int r = poll(&p, 1, 1000);
        if (r < 0 && errno != EINTR)
            fail("poll: %s", strerror(errno));
        if (now_s() - last > GR_FUZZ_STALL_S)
            fail("no progress for %d s: sent %zu of %zu bytes, received %zu (server hangs?)", GR_FUZZ_STALL_S, sent,
                 n, got.size());
        if (r <= 0)
            continue;
        if (!wr_done && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            if (sent == chunk_end) {
                size_t w = 1 + rng_next(&seed) % max_write;
                chunk_end = sent + (w < n - sent ? w : n - sent);
            }
            ssize_t k = send(fd, s + sent, chunk_end - sent, MSG_NOSIGNAL);
            if (k > 0) {
                sent += (size_t)k;
                last = now_s();
            } else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                write_failed = true; /* the server closed: read what it sent */
            }
            if (sent == n || write_failed) {
                wr_done = true;
                shutdown(fd, SHUT_WR);
            }
        }
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
            ssize_t k = recv(fd, buf, sizeof buf, 0);
            if (k > 0) {
                got.append(buf, (size_t)k);
                last = now_s();
            } else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                rd_done = true; /* EOF, or reset */
            }
        }
    }
    close(fd);
    return got;
}

static void cleanup(void) { server_stop(); }

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    signal(SIGPIPE, SIG_IGN);
    atexit(cleanup); /* stop the server: LeakSanitizer then sees what it leaked */
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    int mode = data[0] & 3;
    uint32_t max_write = 1 + (uint32_t)data[1] * data[1];
    uint32_t seed = (uint32_t)data[2] | (uint32_t)data[3] << 8 | 1u << 16;
    const unsigned char *s = data + 4;
    size_t n = size - 4;
    if (mode != server_mode)
        server_start(mode);

    model_t m;
    model(s, n, &m);
    std::string got = exchange(s, n, max_write, seed);

    if (m.exact && got != m.replies)
        fail("mode %d: replies differ: got %zu bytes, want exactly %zu", mode, got.size(), m.replies.size());
    if (!m.exact) {
        size_t common = got.size() < m.replies.size() ? got.size() : m.replies.size();
        if (got.compare(0, common, m.replies, 0, common) != 0)
            fail("mode %d: replies are not a prefix of the expected ones (%zu bytes, want at most %zu)", mode,
                 got.size(), m.replies.size());
        if (got.size() > m.replies.size()) {
            /* Only after OP_ALL, whose package ends where a write happened
             * to end: from there on the packages are not predictable, only
             * their start and a bound (echoes, and some filler). */
            size_t rest = got.size() - m.replies.size();
            bool ok = m.loose_tail && rest <= n - m.loose_from + GR_FUZZ_BIG_PER_CONN * GR_FUZZ_BIG_REPLY &&
                      got[m.replies.size()] == (char)s[m.loose_from];
            if (!ok)
                fail("mode %d: %zu bytes more than the expected %zu", mode, rest, m.replies.size());
        }
    }
    return 0;
}
