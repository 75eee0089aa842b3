/* bench_queue.cpp - throughput of the SPSC ring gr_queue: one producer
 * pinned to CPU 0, one consumer pinned to CPU 1, N items pushed and popped,
 * order checked, items/s and ns/item printed.
 *
 * usage: bench_queue [items=100000000] [capacity=1024] [burst=32]
 * burst 1 uses gr_queue_pop, more uses gr_queue_pop_burst. */
#include "gr_queue.h"
#include "gr_error.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <atomic>

#define BENCH_MAX_BURST 256

typedef struct bench_t {
    gr_queue_t q;
    uint64_t items;
    size_t burst;
    std::atomic<int> ready;  /* threads pinned and waiting */
    std::atomic<int> go;     /* start signal */
    uint64_t t_start_ns;     /* producer: first push */
    uint64_t t_end_ns;       /* consumer: last pop */
    uint64_t bad;            /* consumer: first out-of-order position, 0 when none */
} bench_t;

static uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Pin the calling thread to cpu (modulo the CPUs we may use); warn on failure. */
static void bench_pin(int cpu)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
        return;
    int n = CPU_COUNT(&allowed);
    if (n <= 0)
        return;
    int want = cpu % n, seen = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &allowed))
            continue;
        if (seen++ == want) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            int err = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
            if (err != 0)
                fprintf(stderr, "bench_queue: cannot pin to CPU %d (error %d)\n", c, err);
            return;
        }
    }
}

static void bench_wait_go(bench_t *b)
{
    b->ready.fetch_add(1);
    while (!b->go.load(std::memory_order_acquire)) {
    }
}

static void *bench_producer(void *arg)
{
    bench_t *b = (bench_t *)arg;
    bench_pin(0);
    bench_wait_go(b);
    b->t_start_ns = bench_now_ns();
    for (uint64_t v = 1; v <= b->items; v++) {
        while (!gr_queue_push(&b->q, (void *)(uintptr_t)v))
            ; /* spin: each thread owns its CPU */
    }
    return NULL;
}

static void *bench_consumer(void *arg)
{
    bench_t *b = (bench_t *)arg;
    void *out[BENCH_MAX_BURST];
    uint64_t expect = 1;
    bench_pin(1);
    bench_wait_go(b);
    if (b->burst <= 1) {
        while (expect <= b->items) {
            void *p = gr_queue_pop(&b->q);
            if (p == NULL)
                continue;
            if ((uint64_t)(uintptr_t)p != expect) {
                b->bad = expect;
                break;
            }
            expect++;
        }
    } else {
        while (expect <= b->items) {
            size_t n = gr_queue_pop_burst(&b->q, out, b->burst);
            for (size_t i = 0; i < n; i++) {
                if ((uint64_t)(uintptr_t)out[i] != expect + i) {
                    b->bad = expect + i;
                    goto done;
                }
            }
            expect += n;
        }
    }
done:
    b->t_end_ns = bench_now_ns();
    return NULL;
}

int main(int argc, char **argv)
{
    static bench_t b; /* over-aligned: static storage honours alignas */
    unsigned long long items = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000ull;
    unsigned long long capacity = argc > 2 ? strtoull(argv[2], NULL, 10) : 1024;
    unsigned long long burst = argc > 3 ? strtoull(argv[3], NULL, 10) : 32;
    if (items == 0 || burst == 0 || burst > BENCH_MAX_BURST) {
        fprintf(stderr, "usage: %s [items>0] [capacity] [burst 1..%d]\n", argv[0], BENCH_MAX_BURST);
        return 2;
    }
    int err = gr_queue_init(&b.q, (size_t)capacity);
    if (err != 0) {
        fprintf(stderr, "bench_queue: gr_queue_init(%llu): %s\n", capacity, gr_strerror(err));
        return 2;
    }
    b.items = items;
    b.burst = (size_t)burst;

    pthread_t prod, cons;
    if (pthread_create(&cons, NULL, bench_consumer, &b) != 0 ||
        pthread_create(&prod, NULL, bench_producer, &b) != 0) {
        fprintf(stderr, "bench_queue: pthread_create failed\n");
        return 2;
    }
    while (b.ready.load() < 2)
        sched_yield();
    b.go.store(1, std::memory_order_release);
    pthread_join(prod, NULL);
    pthread_join(cons, NULL);

    if (b.bad != 0) {
        fprintf(stderr, "bench_queue: ORDER ERROR at item %llu\n", (unsigned long long)b.bad);
        gr_queue_destroy(&b.q);
        return 1;
    }
    double secs = (double)(b.t_end_ns - b.t_start_ns) / 1e9;
    double per_s = (double)items / secs;
    double ns_item = (double)(b.t_end_ns - b.t_start_ns) / (double)items;
    printf("bench_queue: items %llu capacity %zu burst %llu time %.3f s items/s %.0f ns/item %.3f\n",
           items, gr_queue_capacity(&b.q), burst, secs, per_s, ns_item);
    gr_queue_destroy(&b.q);
    return 0;
}
