/* gr_thread_macos.cpp - the macOS side of posix/gr_thread_posix.cpp. macOS
 * names only the calling thread (pthread_setname_np(const char *)), which
 * is where gr_thread_posix.cpp names threads anyway. It has no way to pin
 * a thread to a CPU: thread_policy_set's THREAD_AFFINITY_POLICY is a hint
 * that groups threads, and Apple silicon ignores it; so cpu_affinity runs
 * every thread unpinned and the log says so once (gr_thread_posix.cpp).
 * Written from Apple's manual pages and never compiled on macOS
 * (docs/architecture.md lists it; tests/bsd_decls checks its syntax). */
#include "gr_thread.h"
#include "gr_thread_sys.h"

#include <pthread.h>
#include <unistd.h>

int gr__thread_set_name(const char *name)
{
    return pthread_setname_np(name);
}

int gr__thread_pin_attr(pthread_attr_t *attr, int cpu, int *chosen)
{
    (void)attr;
    (void)cpu;
    *chosen = -1;
    return GR__THREAD_NO_AFFINITY;
}

/* No affinity mask to count: the CPUs online. */
int gr_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
