/* kv_os.c - kv_os.h for POSIX (Linux first) and Windows. */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* clock_gettime, malloc_usable_size under -std=c11 */
#endif
#include "kv_os.h"

#include <stdio.h>
#include <stdlib.h>

#if defined(_WIN32)
#include <malloc.h>
#include <psapi.h>

void kv_mutex_init(kv_mutex_t *m) { InitializeSRWLock(m); }
void kv_mutex_destroy(kv_mutex_t *m) { (void)m; }
void kv_mutex_lock(kv_mutex_t *m) { AcquireSRWLockExclusive(m); }
void kv_mutex_unlock(kv_mutex_t *m) { ReleaseSRWLockExclusive(m); }

int64_t kv_now_us(void)
{
    static LARGE_INTEGER freq; /* constant while the system runs; a racy first set writes the same value */
    LARGE_INTEGER c;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&c);
    return (int64_t)(c.QuadPart / freq.QuadPart * 1000000 + c.QuadPart % freq.QuadPart * 1000000 / freq.QuadPart);
}

int64_t kv_wall_ms(void)
{
    FILETIME ft; /* 100 ns since 1601 */
    GetSystemTimeAsFileTime(&ft);
    uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    return (int64_t)(t / 10000) - 11644473600000ll;
}

size_t kv_alloc_size(void *p) { return p ? _msize(p) : 0; }

uint64_t kv_rss_bytes(void)
{
    PROCESS_MEMORY_COUNTERS pmc;
    return GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc) ? (uint64_t)pmc.WorkingSetSize : 0;
}

long kv_pid(void) { return (long)GetCurrentProcessId(); }

#else
#include <time.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <malloc/malloc.h>
#else
#include <malloc.h>
#endif

void kv_mutex_init(kv_mutex_t *m) { pthread_mutex_init(m, NULL); }
void kv_mutex_destroy(kv_mutex_t *m) { pthread_mutex_destroy(m); }
void kv_mutex_lock(kv_mutex_t *m) { pthread_mutex_lock(m); }
void kv_mutex_unlock(kv_mutex_t *m) { pthread_mutex_unlock(m); }

int64_t kv_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t kv_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t kv_alloc_size(void *p)
{
#if defined(__APPLE__)
    return p ? malloc_size(p) : 0;
#else
    return p ? malloc_usable_size(p) : 0;
#endif
}

uint64_t kv_rss_bytes(void)
{
    /* Linux: the second field of /proc/self/statm, in pages. */
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

long kv_pid(void) { return (long)getpid(); }
#endif

int64_t kv_now_ms(void) { return kv_now_us() / 1000; }
