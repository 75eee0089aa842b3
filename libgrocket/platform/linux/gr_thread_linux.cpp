/* gr_thread_linux.cpp - threads on pthreads, with an optional CPU affinity
 * (sched_getaffinity, pthread_attr_setaffinity_np: glibc's) and a name that
 * shows in top, ps -L and gdb. */
#include "gr_thread.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gr_log.h"

/* What the new thread needs before it runs fn; freed by the thread. */
typedef struct gr_thread_boot_t {
    gr_thread_fn fn;
    void *arg;
    char name[16];  /* the kernel keeps 15 characters; "" for none */
} gr_thread_boot_t;

/* Name the thread from inside, then run fn. Naming it from the parent after
 * pthread_create would leave a window in which the thread runs (and may
 * log, or crash into a core dump) under the process's name. */
static void *thread_boot(void *p)
{
    gr_thread_boot_t boot = *(gr_thread_boot_t *)p;
    free(p);
    if (boot.name[0] != '\0') {
        int rc = pthread_setname_np(pthread_self(), boot.name);
        if (rc != 0)
            GR_DEBUG("thread %s: cannot set name: %s", boot.name, strerror(rc));
    }
    return boot.fn(boot.arg);
}

/* The CPUs the process may use. Asked of the main thread (pid == its tid on
 * Linux) rather than of the caller, so a pinned thread that starts another
 * does not hand it its own one-CPU mask. 0 or -errno. */
static int allowed_cpus(cpu_set_t *set)
{
    CPU_ZERO(set);
    if (sched_getaffinity(getpid(), sizeof(*set), set) != 0)
        return -errno;
    return 0;
}

/* The (cpu mod allowed-count)-th allowed CPU, as a one-CPU set; 0 or -errno. */
static int pick_cpu(int cpu, cpu_set_t *one, int *chosen)
{
    cpu_set_t allowed;
    int rc = allowed_cpus(&allowed);
    if (rc != 0)
        return rc;
    int count = CPU_COUNT(&allowed);
    if (count <= 0)
        return -EINVAL;
    int want = cpu % count;
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &allowed) && want-- == 0) {
            CPU_ZERO(one);
            CPU_SET(i, one);
            *chosen = i;
            return 0;
        }
    }
    return -EINVAL;
}

int gr_thread_start(gr_thread_t *t, gr_thread_fn fn, void *arg, int cpu, const char *name, size_t stack_bytes)
{
    if (t == NULL || fn == NULL)
        return -EINVAL;
    t->started = 0;
    gr_thread_boot_t *boot = (gr_thread_boot_t *)calloc(1, sizeof(*boot));
    if (boot == NULL)
        return -ENOMEM;
    boot->fn = fn;
    boot->arg = arg;
    if (name != NULL) {
        /* Longer names are refused with ERANGE; cut them instead. */
        strncpy(boot->name, name, sizeof(boot->name) - 1);
    }

    /* Pin through the attributes so the thread starts on its CPU: memory it
     * touches first (its stack, its pools) then lands on that CPU's NUMA
     * node, instead of wherever it ran before a later pthread_setaffinity. */
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0) {
        free(boot);
        return -rc;
    }
    if (stack_bytes && (rc = pthread_attr_setstacksize(&attr, stack_bytes)) != 0) {
        pthread_attr_destroy(&attr);
        free(boot);
        return -rc;
    }
    int pinned = 0, chosen = -1;
    if (cpu >= 0) {
        cpu_set_t one;
        rc = pick_cpu(cpu, &one, &chosen);
        if (rc == 0)
            rc = -pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
        if (rc == 0)
            pinned = 1;
        else
            GR_WARN("thread %s: cannot pin to cpu %d: %s; running unpinned",
                    name ? name : "?", cpu, strerror(-rc));
    }
    pthread_t handle;
    static_assert(sizeof handle <= sizeof t->handle, "gr_thread_t holds a pthread_t");
    rc = pthread_create(&handle, &attr, thread_boot, boot);
    if (rc != 0 && pinned) {
        /* The set is applied (and may be refused) only at creation: a
         * cpuset changed under us, or a container forbids affinity. Run
         * unpinned rather than not at all; a real resource shortage fails
         * again below and is returned. */
        GR_WARN("thread %s: cannot pin to cpu %d: %s; running unpinned",
                name ? name : "?", chosen, strerror(rc));
        pthread_attr_destroy(&attr);
        pthread_attr_init(&attr);
        if (stack_bytes)
            pthread_attr_setstacksize(&attr, stack_bytes);
        rc = pthread_create(&handle, &attr, thread_boot, boot);
    }
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(boot);
        return -rc;
    }
    t->handle = (uintptr_t)handle;
    t->started = 1;
    return 0;
}

void gr_thread_join(gr_thread_t *t)
{
    if (t == NULL || !t->started)
        return;
    pthread_join((pthread_t)t->handle, NULL);
    t->started = 0;
}

int gr_cpu_count(void)
{
    cpu_set_t set;
    if (allowed_cpus(&set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    /* More CPUs than a cpu_set_t holds, or no affinity support. */
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
