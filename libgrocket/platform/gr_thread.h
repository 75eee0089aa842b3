/* gr_thread.h - threads with an optional CPU affinity. */
#ifndef GR_THREAD_H
#define GR_THREAD_H

#include <pthread.h>

typedef struct gr_thread_t {
    pthread_t handle;
    int started;  /* 1 between a successful gr_thread_start and gr_thread_join */
} gr_thread_t;

typedef void *(*gr_thread_fn)(void *arg);

/* Start fn(arg). cpu >= 0 pins the thread to that CPU (modulo the CPUs the
 * process may use); name (<= 15 chars) shows in top/gdb. 0 or -errno. */
int gr_thread_start(gr_thread_t *t, gr_thread_fn fn, void *arg, int cpu, const char *name);
/* Wait for the thread to end; no-op when it never started. */
void gr_thread_join(gr_thread_t *t);
/* CPUs this process may run on. */
int gr_cpu_count(void);

#endif
