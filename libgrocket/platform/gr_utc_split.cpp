/* gr_utc_split.cpp - gr_utc_split for every system: a second count broken
 * down into the proleptic Gregorian calendar with integer arithmetic (the
 * days-to-civil algorithm of Howard Hinnant's "chrono-Compatible Low-Level
 * Date Algorithms"), so no system's gmtime variant (gmtime_r, _gmtime64_s)
 * and no time-zone state is needed. UTC has no leap seconds in a time_t:
 * every day is 86400 seconds, as gmtime counts them. */
#include "gr_clock.h"

void gr_utc_split(int64_t unix_sec, gr_utc_t *out)
{
    /* Floor division, so that a second before 1970 falls on 1969-12-31. */
    int64_t days = unix_sec / 86400, secs = unix_sec % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    /* Days since 0000-03-01: a year that starts in March ends with its
     * leap day, and 400-year eras repeat exactly (146097 days). */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                    /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);              /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                  /* [0, 11], March first */
    int month = (int)(mp < 10 ? mp + 3 : mp - 9);
    out->year = (int)(yoe + era * 400 + (month <= 2));
    out->month = month;
    out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
    /* 1970-01-01 was a Thursday (4). */
    out->weekday = (int)((days % 7 + 11) % 7); /* days % 7 is in [-6, 6] */
    out->usec = 0;
    out->unix_sec = unix_sec;
}
