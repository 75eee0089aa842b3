/* bench_timers.cpp - cost of one processing thread's timers (gr_timers.h)
 * with N timers active: N starts with spread deadlines, N/2 cancels, the
 * rest fired in deadline order (the fire order is checked), ns per
 * operation printed. One thread, no pinning: a structure's cost, not the
 * server's.
 *
 * usage: bench_timers [timers=100000] [rounds=5] */
#include "gr_timers.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t last_due;
static uint64_t fired, out_of_order;

static void on_fire(uint64_t, void *arg)
{
    int64_t due = (int64_t)(intptr_t)arg;
    if (due < last_due)
        out_of_order++;
    last_due = due;
    fired++;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    uint64_t *ids = (uint64_t *)malloc(n * sizeof *ids);
    if (!ids)
        return 1;
    gr_timers_t t;
    gr_timers_init(&t, 0);
    srand(1);
    for (int round = 0; round < rounds; round++) {
        uint64_t t0 = now_ns();
        for (uint32_t i = 0; i < n; i++) {
            uint64_t delay = 1 + (uint64_t)(rand() % 10000);
            ids[i] = gr_timers_add(&t, 0, delay, 0, on_fire, (void *)(intptr_t)delay);
        }
        uint64_t t1 = now_ns();
        for (uint32_t i = 0; i < n; i += 2)
            gr_timers_cancel(&t, ids[i]);
        uint64_t t2 = now_ns();
        last_due = 0;
        fired = 0;
        for (int64_t ms = 1; gr_timers_active(&t); ms++)
            gr_timers_run(&t, ms);
        uint64_t t3 = now_ns();
        printf("round %d: %u timers: start %.1f ns, cancel %.1f ns, fire %.1f ns per timer; fired %llu, out of order %llu\n",
               round, n, (double)(t1 - t0) / n, (double)(t2 - t1) / (n / 2), (double)(t3 - t2) / (fired ? fired : 1),
               (unsigned long long)fired, (unsigned long long)out_of_order);
    }
    gr_timers_free(&t);
    free(ids);
    return out_of_order ? 1 : 0;
}
