/* test_tcp_client.cpp - benchmark and verification client for an echo
 * server: main() resolves the address, starts the threads (gr_tc_loop.cpp,
 * or gr_tc_udp.cpp with --udp), prints a progress line a second and the
 * per-thread and total results.
 *
 * Standalone on purpose: it speaks plain POSIX sockets and links nothing of
 * libgrocket, so a bug in the framework cannot hide itself in its own
 * test client. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <mutex>

#include "gr_tc_hist.h"
#include "gr_tc_loop.h"
#include "gr_tc_options.h"
#include "gr_tc_packet.h"

/* Resolve --host/--port into run->addr. Returns 0 or prints why not. */
static int gr_tc_resolve(gr_tc_run_t *run, const gr_tc_options_t *opt)
{
    char port[16];
    snprintf(port, sizeof port, "%d", opt->port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = opt->udp ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(opt->host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "test_tcp_client: cannot resolve '%s': %s\n", opt->host, gai_strerror(rc));
        return -1;
    }
    memcpy(&run->addr, res->ai_addr, res->ai_addrlen);
    run->addrlen = res->ai_addrlen;
    char host[256] = "?";
    getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, NULL, 0, NI_NUMERICHOST);
    snprintf(run->addr_text, sizeof run->addr_text,
             res->ai_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, opt->port);
    freeaddrinfo(res);
    return 0;
}

/* Make room for one descriptor per connection (plus its epoll or kqueue and stdio). */
static int gr_tc_raise_fd_limit(int connections)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)connections + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        fprintf(stderr, "test_tcp_client: %d connections need %llu descriptors; the hard "
                "limit is %llu (ulimit -Hn)\n", connections, (unsigned long long)need,
                (unsigned long long)rl.rlim_max);
        return -1;
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "test_tcp_client: setrlimit(RLIMIT_NOFILE, %llu): %s\n",
                (unsigned long long)need, strerror(errno));
        return -1;
    }
    return 0;
}

static void *gr_tc_thread_main(void *arg)
{
    gr_tc_thread_t *t = (gr_tc_thread_t *)arg;
    if (t->run->opt->udp)
        gr_tc_udp_thread_run(t);
    else
        gr_tc_thread_run(t);
    return NULL;
}

static double gr_tc_ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* Requests per millisecond, the original grocket's unit (and per second). */
static double gr_tc_per_ms(uint64_t n, uint64_t ns)
{
    return ns == 0 ? 0.0 : (double)n * 1e6 / (double)ns;
}

/* Wait for the threads, printing a progress line every second. */
static void gr_tc_watch(gr_tc_run_t *run, gr_tc_thread_t *threads, int nthreads)
{
    const uint64_t second = 1000000000ull;
    uint64_t last_ns = run->start_ns, last_total = 0;
    std::unique_lock<std::mutex> lk(run->mu);
    for (uint64_t tick = 1; run->finished < nthreads; ) {
        uint64_t now = gr_tc_now_ns();
        uint64_t due = run->start_ns + tick * second;
        if (now < due) {
            run->cv.wait_for(lk, std::chrono::nanoseconds(due - now));
            continue;
        }
        tick = (now - run->start_ns) / second + 1;
        if (run->opt->quiet)
            continue;
        uint64_t total = 0;
        for (int i = 0; i < nthreads; i++)
            total += threads[i].progress.load(std::memory_order_relaxed);
        double rate = gr_tc_per_ms(total - last_total, now - last_ns);
        printf("[progress] %" PRIu64 "s total=%" PRIu64 " req rate=%.0f req/s (%.1f REQ/MS)"
               " errors=%" PRIu64 "\n",
               (now - run->start_ns) / second, total, rate * 1000.0, rate,
               run->errors.load(std::memory_order_relaxed));
        last_ns = now;
        last_total = total;
    }
}

int main(int argc, char **argv)
{
    gr_tc_options_t opt;
    int rc = gr_tc_options_parse(&opt, argc, argv);
    if (rc == GR_TC_OPT_HELP)
        return 0;
    if (rc != GR_TC_OPT_RUN)
        return 2;
    /* Line-buffered even into a pipe, so a script sees progress as it comes. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* send() passes MSG_NOSIGNAL; this covers any other path to a dead peer. */
    signal(SIGPIPE, SIG_IGN);

    static gr_tc_run_t run;  /* static: holds a mutex, lives for the program */
    run.opt = &opt;
    if (gr_tc_resolve(&run, &opt) != 0)
        return 2;
    if (gr_tc_raise_fd_limit(opt.connections) != 0)
        return 1;
    if (gr_tc_packet_init(opt.size) != 0) {
        fprintf(stderr, "test_tcp_client: out of memory\n");
        return 1;
    }

    const char *conn_word = opt.udp ? "socket" : "connection";
    printf("test_tcp_client: %s%s, %d thread%s, %d %s%s, %" PRIu32 "-byte requests,"
           " depth %" PRIu32 ", ", opt.udp ? "udp " : "", run.addr_text, opt.threads, opt.threads == 1 ? "" : "s",
           opt.connections, conn_word, opt.connections == 1 ? "" : "s", opt.size, opt.depth);
    if (opt.count != 0)
        printf("%" PRIu64 " requests per %s, timeout %g s\n", opt.count, conn_word, opt.timeout);
    else
        printf("duration %g s, timeout %g s\n", opt.duration, opt.timeout);

    /* Value-initialised: counters and histograms start at zero. */
    gr_tc_thread_t *threads = new gr_tc_thread_t[(size_t)opt.threads]();
    pthread_t *tids = new pthread_t[(size_t)opt.threads];
    int started = 0;
    for (int i = 0; i < opt.threads; i++) {
        threads[i].run = &run;
        threads[i].index = i;
        threads[i].nconns = opt.connections / opt.threads + (i < opt.connections % opt.threads);
        int e = pthread_create(&tids[i], NULL, gr_tc_thread_main, &threads[i]);
        if (e != 0) {
            fprintf(stderr, "test_tcp_client: pthread_create: %s\n", strerror(e));
            break;
        }
        started++;
    }

    /* Release the threads once all have connected, or abort if any failed. */
    {
        std::unique_lock<std::mutex> lk(run.mu);
        run.cv.wait(lk, [&] { return run.ready == started; });
        run.abort = started < opt.threads || run.connect_failed > 0;
        run.start_ns = gr_tc_now_ns();
        if (opt.duration > 0)
            run.deadline_ns = run.start_ns + (uint64_t)(opt.duration * 1e9);
        run.go = true;
        run.cv.notify_all();
    }
    gr_tc_watch(&run, threads, started);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);

    gr_tc_hist_t *all = new gr_tc_hist_t();
    uint64_t requests = 0, sent = 0, recvd = 0, end_ns = run.start_ns;
    uint64_t lost = 0, late = 0, reordered = 0, refused = 0;
    for (int i = 0; i < started; i++) {
        gr_tc_thread_t *t = &threads[i];
        uint64_t ns = t->end_ns - run.start_ns;
        if (!run.abort)
            printf("thread %d: %" PRIu64 " req, %.1f REQ/MS, %.0f req/s, %.1f ms, p50 %.1f us,"
                   " p99 %.1f us, sent %" PRIu64 " B, recv %" PRIu64 " B, %d conns, errors %" PRIu64 "\n",
                   t->index, t->requests, gr_tc_per_ms(t->requests, ns),
                   gr_tc_per_ms(t->requests, ns) * 1000.0, gr_tc_ms(ns),
                   gr_tc_hist_quantile(&t->hist, 0.50) / 1e3, gr_tc_hist_quantile(&t->hist, 0.99) / 1e3,
                   t->bytes_sent, t->bytes_recv, t->nconns, t->errors);
        if (!run.abort && opt.udp)
            printf("thread %d: lost %" PRIu64 ", late %" PRIu64 ", reordered %" PRIu64 "\n", t->index, t->lost,
                   t->late, t->reordered);
        lost += t->lost;
        late += t->late;
        reordered += t->reordered;
        refused += t->refused;
        gr_tc_hist_merge(all, &t->hist);
        requests += t->requests;
        sent += t->bytes_sent;
        recvd += t->bytes_recv;
        if (t->end_ns > end_ns)
            end_ns = t->end_ns;
    }
    uint64_t errors = run.errors.load();
    uint64_t ns = run.abort ? 0 : end_ns - run.start_ns;
    double per_ms = gr_tc_per_ms(requests, ns);
    double p50 = gr_tc_hist_quantile(all, 0.50) / 1e3, p99 = gr_tc_hist_quantile(all, 0.99) / 1e3;
    if (!run.abort)
        printf("total: %" PRIu64 " req in %.1f ms, %.1f REQ/MS, %.0f req/s, latency p50 %.1f us"
               " p99 %.1f us max %.1f us, sent %" PRIu64 " B, recv %" PRIu64 " B, errors %" PRIu64 "\n",
               requests, gr_tc_ms(ns), per_ms, per_ms * 1000.0, p50, p99, all->max / 1e3,
               sent, recvd, errors);
    /* UDP: a request resolves as a matched reply or as a loss. */
    double loss_pct = requests + lost ? 100.0 * (double)lost / (double)(requests + lost) : 0.0;
    if (!run.abort && opt.udp)
        printf("udp: %" PRIu64 " lost (%.3f %%, after %g s each), %" PRIu64 " late, %" PRIu64 " reordered%s\n", lost,
               loss_pct, opt.timeout, late, reordered,
               refused ? ", and the server's port was unreachable (ICMP) at times" : "");
    printf("RESULT requests=%" PRIu64 " errors=%" PRIu64 " elapsed_ms=%.1f req_per_s=%.0f"
           " p50_us=%.1f p99_us=%.1f",
           requests, errors, gr_tc_ms(ns), per_ms * 1000.0, p50, p99);
    if (opt.udp)
        printf(" lost=%" PRIu64 " loss_pct=%.3f late=%" PRIu64, lost, loss_pct, late);
    printf("\n");

    /* Success is every expected reply, matched: no errors, and in count
     * mode exactly connections x count replies. Over UDP a request may be
     * lost instead, up to --max-loss percent of them. */
    uint64_t expected = opt.count * (uint64_t)opt.connections;
    bool loss_ok = loss_pct <= opt.max_loss;
    int ok = !run.abort && errors == 0 && loss_ok && (opt.count == 0 || requests + lost == expected);
    if (ok && lost)
        printf("OK: %" PRIu64 " replies arrived and matched; %" PRIu64 " requests lost (%.3f %%, at most %g %% "
               "allowed)\n", requests, lost, loss_pct, opt.max_loss);
    else if (ok)
        printf("OK: all %" PRIu64 " replies arrived and matched\n", requests);
    else if (run.abort)
        fprintf(stderr, "FAILED: %d connection%s could not be set up; nothing was run\n",
                run.connect_failed, run.connect_failed == 1 ? "" : "s");
    else if (!loss_ok && errors == 0)
        fprintf(stderr, "FAILED: %" PRIu64 " of %" PRIu64 " requests lost (%.3f %%, more than the %g %% allowed by "
                "--max-loss)\n", lost, requests + lost, loss_pct, opt.max_loss);
    else if (opt.count != 0)
        fprintf(stderr, "FAILED: %" PRIu64 " of %" PRIu64 " replies matched, %" PRIu64
                " %s%s failed\n", requests, expected, errors, conn_word, errors == 1 ? "" : "s");
    else
        fprintf(stderr, "FAILED: %" PRIu64 " %s%s failed\n", errors, conn_word, errors == 1 ? "" : "s");

    delete all;
    delete[] tids;
    delete[] threads;
    gr_tc_packet_fini();
    return ok ? 0 : 1;
}
