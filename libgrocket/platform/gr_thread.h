/* gr_thread.h - threads with an explicit stack size, a name and an
 * optional CPU affinity, with no system header. One file per system
 * (posix/gr_thread_posix.cpp on pthreads, with linux/gr_thread_linux.cpp,
 * bsd/gr_thread_freebsd.cpp or bsd/gr_thread_macos.cpp for names and
 * affinity). */
#ifndef GR_THREAD_H
#define GR_THREAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct gr_thread_t {
    uintptr_t handle; /* pthread_t or HANDLE */
    int started;      /* 1 between a successful gr_thread_start and gr_thread_join */
} gr_thread_t;

typedef void *(*gr_thread_fn)(void *arg);

/* The stack every framework thread gets, whatever the system's default
 * (8 MiB on glibc, 128 KiB on musl, 1 MiB on Windows): modules' callbacks
 * run on these threads and must see the same room everywhere. */
#define GR_THREAD_STACK_BYTES ((size_t)8 << 20)

/* Start fn(arg) on a stack of stack_bytes (0: the system's default). cpu >= 0
 * pins the thread to that CPU (modulo the CPUs the process may use); name
 * (<= 15 chars) shows in top/gdb. 0 or -errno. */
int gr_thread_start(gr_thread_t *t, gr_thread_fn fn, void *arg, int cpu, const char *name, size_t stack_bytes);
/* Wait for the thread to end; no-op when it never started. */
void gr_thread_join(gr_thread_t *t);
/* CPUs this process may run on. */
int gr_cpu_count(void);

#endif
