/* kv_os.h - the few things the kv module needs that POSIX and Windows spell
 * differently: a mutex, a monotonic clock, an allocation's real size and
 * the process's resident memory. Everything else in modules/kv is plain C. */
#ifndef KV_OS_H
#define KV_OS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#include <windows.h>
typedef SRWLOCK kv_mutex_t; /* needs no destroy; zero-initialised is unlocked */
#else
#include <pthread.h>
typedef pthread_mutex_t kv_mutex_t;
#endif

void kv_mutex_init(kv_mutex_t *m);
void kv_mutex_destroy(kv_mutex_t *m);
void kv_mutex_lock(kv_mutex_t *m);
void kv_mutex_unlock(kv_mutex_t *m);

/* Milliseconds of a clock that never goes back (not the wall clock: a
 * clock step must not expire or revive keys). */
int64_t kv_now_ms(void);
/* Milliseconds since 1970 (the wall clock): how the backup copy carries
 * an expiry time to another process, which may have another monotonic
 * clock. */
int64_t kv_wall_ms(void);
/* Microseconds of the same clock, for the expiry cycle's time budget. */
int64_t kv_now_us(void);
/* The bytes the allocator really set aside for p (malloc_usable_size,
 * _msize): what memory accounting counts, so that it follows RSS. */
size_t kv_alloc_size(void *p);
/* The process's resident set in bytes; 0 where it cannot be read. */
uint64_t kv_rss_bytes(void);
/* The process id, for INFO. */
long kv_pid(void);

#ifdef __cplusplus
}
#endif

#endif
