/* gr_thread_freebsd.cpp - the FreeBSD side of posix/gr_thread_posix.cpp:
 * names with pthread_set_name_np(3), the CPUs the process may use from
 * cpuset_getaffinity(2), and a pin at creation with
 * pthread_attr_setaffinity_np(3). Written from FreeBSD's manual pages and
 * never compiled on FreeBSD (docs/architecture.md lists it; tests/bsd_decls
 * checks its syntax). */
#include "gr_thread.h"
#include "gr_thread_sys.h"

#include <sys/param.h>
#include <sys/cpuset.h>

#include <errno.h>
#include <pthread.h>
#include <pthread_np.h>
#include <unistd.h>

int gr__thread_set_name(const char *name)
{
    /* The _np call every FreeBSD has (pthread_setname_np came in 12.2);
     * it returns nothing: a name that does not fit is cut. */
    pthread_set_name_np(pthread_self(), name);
    return 0;
}

/* The CPUs this process may use (CPU_WHICH_PID with id -1: the process
 * itself, not the calling thread, so a pinned thread that starts another
 * does not hand it its own one-CPU mask). 0 or -errno. */
static int allowed_cpus(cpuset_t *set)
{
    CPU_ZERO(set);
    if (cpuset_getaffinity(CPU_LEVEL_WHICH, CPU_WHICH_PID, -1, sizeof(*set), set) != 0)
        return -errno;
    return 0;
}

int gr__thread_pin_attr(pthread_attr_t *attr, int cpu, int *chosen)
{
    cpuset_t allowed;
    int rc = allowed_cpus(&allowed);
    if (rc != 0)
        return rc;
    int count = CPU_COUNT(&allowed);
    if (count <= 0)
        return -EINVAL;
    int want = cpu % count;
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &allowed) && want-- == 0) {
            cpuset_t one;
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
    cpuset_t set;
    if (allowed_cpus(&set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
