/* gr_thread_linux.cpp - the Linux side of posix/gr_thread_posix.cpp: names
 * with pthread_setname_np, affinity with sched_getaffinity and
 * pthread_attr_setaffinity_np (glibc's), and the CPU count from the
 * process's affinity mask. */
#include "gr_thread.h"
#include "gr_thread_sys.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

int gr__thread_set_name(const char *name)
{
    return pthread_setname_np(pthread_self(), name);
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

int gr__thread_pin_attr(pthread_attr_t *attr, int cpu, int *chosen)
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
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(i, &one);
            *chosen = i;
            return -pthread_attr_setaffinity_np(attr, sizeof(one), &one);
        }
    }
    return -EINVAL;
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
