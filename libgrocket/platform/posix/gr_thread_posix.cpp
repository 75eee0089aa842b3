/* gr_thread_posix.cpp - gr_thread.h on pthreads, for every POSIX system: an
 * explicit stack size, a name set from inside the new thread, an optional
 * CPU pin through the creation attributes, and join. The new thread's first
 * steps are every system's (gr_thread_boot.h); what each system spells its
 * own way (the naming call, affinity, counting CPUs) is in its thread file,
 * behind gr_thread_sys.h. */
#include "gr_thread.h"
#include "gr_thread_boot.h"
#include "gr_thread_sys.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>

#include "gr_log.h"

/* cpu_affinity on a system without thread affinity: said once, not once
 * per thread. */
static void say_no_affinity(void)
{
    static std::atomic<int> said{0};
    if (said.exchange(1, std::memory_order_relaxed) == 0)
        GR_INFO("cpu_affinity: this system has no thread affinity; threads run unpinned");
}

int gr_thread_start(gr_thread_t *t, gr_thread_fn fn, void *arg, int cpu, const char *name, size_t stack_bytes)
{
    if (t == NULL || fn == NULL)
        return -EINVAL;
    t->started = 0;
    gr_thread_boot_t *boot = gr__thread_boot_new(fn, arg, name);
    if (boot == NULL)
        return -ENOMEM;

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
        rc = gr__thread_pin_attr(&attr, cpu, &chosen);
        if (rc == 0)
            pinned = 1;
        else if (rc == GR__THREAD_NO_AFFINITY)
            say_no_affinity();
        else
            GR_WARN("thread %s: cannot pin to cpu %d: %s; running unpinned",
                    name ? name : "?", cpu, strerror(-rc));
    }
    pthread_t handle;
    static_assert(sizeof handle <= sizeof t->handle, "gr_thread_t holds a pthread_t");
    rc = pthread_create(&handle, &attr, gr__thread_boot_run, boot);
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
        rc = pthread_create(&handle, &attr, gr__thread_boot_run, boot);
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
