/* gr_clock_posix.cpp - gr_clock.h on POSIX systems (gr_utc_split, the
 * same everywhere, is gr_utc_split.cpp). */
#include "gr_clock.h"

#include <sched.h>
#include <time.h>

/* The cheapest monotonic clock each system has: Linux reads the coarse one
 * from the vDSO without touching the TSC; FreeBSD's _FAST is its
 * tick-precision twin (clock_gettime(2)); macOS's UPTIME_RAW_APPROX is the
 * cached, per-context-switch value (10.12 and later) and does not count a
 * machine's sleep, so a laptop that wakes does not time out every idle
 * connection at once. The last two lines were never compiled on their
 * systems (docs/architecture.md). */
#if defined(CLOCK_MONOTONIC_COARSE)
#define GR_CLOCK_COARSE CLOCK_MONOTONIC_COARSE
#elif defined(CLOCK_MONOTONIC_FAST)
#define GR_CLOCK_COARSE CLOCK_MONOTONIC_FAST
#elif defined(CLOCK_UPTIME_RAW_APPROX)
#define GR_CLOCK_COARSE CLOCK_UPTIME_RAW_APPROX
#else
#define GR_CLOCK_COARSE CLOCK_MONOTONIC
#endif

static int64_t ms_of(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t gr_clock_ms(void) { return ms_of(GR_CLOCK_COARSE); }

/* The precise twin of each coarse clock above (macOS's, like its coarse
 * one, does not count a machine's sleep; that line was never compiled
 * there). */
#if defined(CLOCK_UPTIME_RAW_APPROX)
#define GR_CLOCK_FINE CLOCK_UPTIME_RAW
#else
#define GR_CLOCK_FINE CLOCK_MONOTONIC
#endif

int64_t gr_clock_fine_ms(void) { return ms_of(GR_CLOCK_FINE); }

void gr_sleep_ms(int ms)
{
    if (ms <= 0) {
        sched_yield();
        return;
    }
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
        /* EINTR: sleep the rest */
    }
}

void gr_thread_yield(void) { sched_yield(); }

void gr_utc_now(gr_utc_t *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    gr_utc_split((int64_t)ts.tv_sec, out);
    out->usec = (int)(ts.tv_nsec / 1000);
}
