/* sys/cpuset.h - TESTS ONLY: FreeBSD's declarations for the -fsyntax-only
 * check (tests/bsd_decls/check.sh), from cpuset(2), cpuset_getaffinity(2)
 * and CPU_SET(3). The CPU_* macros replace glibc's. */
#ifndef GR_DECLS_SYS_CPUSET_H
#define GR_DECLS_SYS_CPUSET_H
#include <stddef.h>
#include <sys/types.h>
#undef CPU_SETSIZE
#undef CPU_ZERO
#undef CPU_SET
#undef CPU_ISSET
#undef CPU_COUNT
#define CPU_SETSIZE 256
typedef struct _cpuset {
    long __bits[CPU_SETSIZE / (8 * sizeof(long))];
} cpuset_t;
typedef int cpulevel_t;
typedef int cpuwhich_t;
#define CPU_LEVEL_WHICH 3
#define CPU_WHICH_PID 2
void gr_decl_cpu_zero(cpuset_t *p);
void gr_decl_cpu_set(size_t n, cpuset_t *p);
bool gr_decl_cpu_isset(size_t n, const cpuset_t *p);
int gr_decl_cpu_count(const cpuset_t *p);
#define CPU_ZERO(p) gr_decl_cpu_zero(p)
#define CPU_SET(n, p) gr_decl_cpu_set(n, p)
#define CPU_ISSET(n, p) gr_decl_cpu_isset(n, p)
#define CPU_COUNT(p) gr_decl_cpu_count(p)
extern "C" int cpuset_getaffinity(cpulevel_t level, cpuwhich_t which, id_t id, size_t setsize, cpuset_t *mask);
#endif
