/* fuzz_rng.h - the fuzz targets' pseudo-random numbers: xorshift32, seeded
 * from the input so that a saved input replays the same run. */
#ifndef GR_FUZZ_RNG_H
#define GR_FUZZ_RNG_H

#include <stdint.h>

static inline uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x ? x : 0x9e3779b9u;
}

#endif
