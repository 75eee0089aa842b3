/* gr_tc_hist.cpp - merging and reading the latency histogram (recording is
 * inline in gr_tc_hist.h, on the per-reply path). */
#include "gr_tc_hist.h"

#include <math.h>
#include <string.h>

void gr_tc_hist_reset(gr_tc_hist_t *h)
{
    memset(h, 0, sizeof *h);
}

void gr_tc_hist_merge(gr_tc_hist_t *dst, const gr_tc_hist_t *src)
{
    for (unsigned i = 0; i < GR_TC_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    if (src->max > dst->max)
        dst->max = src->max;
}

/* Smallest value of bucket i and its width: the inverse of gr_tc_hist_index. */
static void gr_tc_hist_bucket(unsigned i, uint64_t *low, uint64_t *width)
{
    if (i < GR_TC_HIST_LINEAR) {
        *low = i;
        *width = 1;
        return;
    }
    unsigned k = i - GR_TC_HIST_LINEAR;
    unsigned shift = k / GR_TC_HIST_SUB + 1u;
    uint64_t top = (uint64_t)(k % GR_TC_HIST_SUB + GR_TC_HIST_SUB);
    *low = top << shift;
    *width = (uint64_t)1 << shift;
}

uint64_t gr_tc_hist_quantile(const gr_tc_hist_t *h, double q)
{
    if (h->count == 0)
        return 0;
    /* Rank of the wanted value, 1-based: the p99 of 100 values is the 99th. */
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (unsigned i = 0; i < GR_TC_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t low, width;
            gr_tc_hist_bucket(i, &low, &width);
            uint64_t mid = low + width / 2;
            /* The top bucket's middle can lie above the largest value seen. */
            return mid > h->max ? h->max : mid;
        }
    }
    return h->max;
}
