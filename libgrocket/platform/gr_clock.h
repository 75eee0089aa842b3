/* gr_clock.h - time as the framework needs it, with no system header:
 * a coarse monotonic clock for time-outs, sleeping and yielding, and the
 * current UTC time broken down for log lines and HTTP Date headers.
 * One implementation per system (posix/gr_clock_posix.cpp), but for
 * gr_utc_split: plain arithmetic, gr_utc_split.cpp. */
#ifndef GR_CLOCK_H
#define GR_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds, coarse (a few ms of resolution is fine: time-outs
 * count seconds), as cheap a read as the system has. */
int64_t gr_clock_ms(void);
/* Monotonic milliseconds to the millisecond, for module timers (gr_async):
 * a read of the precise clock where the coarse one ticks slower (Linux's
 * 4 ms at HZ=250). Only compared with itself. Windows' gr_clock_ms is
 * already that (the performance counter). */
#ifdef _WIN32
#define gr_clock_fine_ms gr_clock_ms
#else
int64_t gr_clock_fine_ms(void);
#endif

/* Sleep about ms milliseconds (0: give up the rest of the time slice). */
void gr_sleep_ms(int ms);
/* Let another runnable thread go first. */
void gr_thread_yield(void);

/* Wall-clock time, UTC, broken down. */
typedef struct gr_utc_t {
    int year;   /* e.g. 2026 */
    int month;  /* 1-12 */
    int day;    /* 1-31 */
    int hour, minute, second;
    int weekday; /* 0 = Sunday */
    int usec;   /* microseconds within the second */
    int64_t unix_sec;  /* seconds since 1970-01-01 UTC */
} gr_utc_t;
/* Now (microseconds included), or a given time_t-style second. */
void gr_utc_now(gr_utc_t *out);
void gr_utc_split(int64_t unix_sec, gr_utc_t *out);

#endif
