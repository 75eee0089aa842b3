/* gr_tc_hist.h - a log-bucketed latency histogram.
 *
 * Why a histogram and not an array of samples: a --duration run has no
 * known request count, and a million requests a second would need 8 MB a
 * second of samples. A fixed table of 1920 counters (15 KiB per thread)
 * records any number of values with no allocation per request; its buckets
 * are 1/32 of a power of two wide, so a percentile is off by at most ~3%. */
#ifndef GR_TC_HIST_H
#define GR_TC_HIST_H

#include <stdint.h>

#define GR_TC_HIST_LINEAR 64  /* values below this get a bucket each */
#define GR_TC_HIST_SUB 32     /* buckets per power of two above that */
#define GR_TC_HIST_BUCKETS (GR_TC_HIST_LINEAR + 58 * GR_TC_HIST_SUB)

typedef struct gr_tc_hist_t {
    uint64_t count;                        /* values recorded */
    uint64_t max;                          /* largest value recorded */
    uint64_t buckets[GR_TC_HIST_BUCKETS];  /* values per bucket, see gr_tc_hist_index */
} gr_tc_hist_t;

void gr_tc_hist_reset(gr_tc_hist_t *h);
/* Add every value of src to dst (per-thread histograms into the total). */
void gr_tc_hist_merge(gr_tc_hist_t *dst, const gr_tc_hist_t *src);
/* Value at quantile q (0..1): the middle of the bucket holding it; 0 when empty. */
uint64_t gr_tc_hist_quantile(const gr_tc_hist_t *h, double q);

/* Bucket of v: exact below 64, then 32 buckets per power of two. */
static inline unsigned gr_tc_hist_index(uint64_t v)
{
    if (v < GR_TC_HIST_LINEAR)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v); /* 6..63 */
    unsigned shift = msb - 5u;                          /* 1..58 */
    unsigned top = (unsigned)(v >> shift);              /* 32..63 */
    return GR_TC_HIST_LINEAR + (shift - 1u) * GR_TC_HIST_SUB + (top - GR_TC_HIST_SUB);
}

static inline void gr_tc_hist_record(gr_tc_hist_t *h, uint64_t v)
{
    h->buckets[gr_tc_hist_index(v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
}

#endif /* GR_TC_HIST_H */
