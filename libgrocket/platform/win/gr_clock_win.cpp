/* gr_clock_win.cpp - gr_clock.h on Windows: QueryPerformanceCounter for the
 * monotonic clock, Sleep and SwitchToThread, the system time (FILETIME,
 * 100 ns since 1601) as Unix seconds (broken down by gr_utc_split.cpp).
 *
 * Why not GetTickCount64, the cheaper read: under Wine 8 it advances in
 * uneven steps (a 30 ms Sleep measured 24 ms, sometimes less), and time-outs
 * and the tests need a clock that does not run short. QPC reads the TSC on
 * current Windows (tens of nanoseconds) and is exact under Wine. */
#include "gr_win.h"

#include "gr_clock.h"

/* Fixed at boot: read once (a function-local static, so thread-safe). */
static int64_t qpc_frequency_read(void)
{
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    return f.QuadPart > 0 ? f.QuadPart : 1000;
}

int64_t gr_clock_ms(void)
{
    LARGE_INTEGER c;
    QueryPerformanceCounter(&c);
    static const int64_t f = qpc_frequency_read();
    /* Whole seconds and the rest apart: c * 1000 would overflow after
     * months of uptime at a 10 MHz counter. */
    return c.QuadPart / f * 1000 + c.QuadPart % f * 1000 / f;
}

void gr_sleep_ms(int ms)
{
    if (ms <= 0) {
        SwitchToThread();
        return;
    }
    Sleep((DWORD)ms);
}

void gr_thread_yield(void) { SwitchToThread(); }

void gr_utc_now(gr_utc_t *out)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft); /* Windows 8: microseconds for the log */
    uint64_t t = (uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
    t -= 116444736000000000ull; /* 1601-01-01 to 1970-01-01 in 100 ns */
    gr_utc_split((int64_t)(t / 10000000u), out);
    out->usec = (int)(t % 10000000u / 10u);
}
