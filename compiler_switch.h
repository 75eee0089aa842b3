/* compiler_switch.h - every compile-time switch that costs performance, in
 * one place. A benchmark build turns them all off here and nowhere else.
 * Each switch may also be set from the compiler command line (-D...=0/1). */
#ifndef GR_COMPILER_SWITCH_H
#define GR_COMPILER_SWITCH_H

/* Heavy invariant checks on the hot path (owner-thread asserts, ring and
 * reference-count sanity). On in Debug builds, off in Release. */
#ifndef GR_HEAVY_ASSERT
#ifdef NDEBUG
#define GR_HEAVY_ASSERT 0
#else
#define GR_HEAVY_ASSERT 1
#endif
#endif

/* One debug log line per request (package cut, processed, sent). */
#ifndef GR_REQUEST_DEBUG_LOG
#define GR_REQUEST_DEBUG_LOG 0
#endif

/* Per-thread counters (packages, bytes, closes); relaxed, never shared
 * cache lines, cheap but not free. */
#ifndef GR_COUNTERS
#define GR_COUNTERS 1
#endif

/* A rarely taken function kept out of line, so that its hot caller need
 * not save registers for it on every call. */
#if defined(__GNUC__)
#define GR_COLD __attribute__((cold, noinline))
#else
#define GR_COLD
#endif

#endif
