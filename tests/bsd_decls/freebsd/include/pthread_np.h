/* pthread_np.h - TESTS ONLY: FreeBSD's declarations for the -fsyntax-only
 * check (tests/bsd_decls/check.sh), from pthread_set_name_np(3) and
 * pthread_attr_affinity_np(3). */
#ifndef GR_DECLS_PTHREAD_NP_H
#define GR_DECLS_PTHREAD_NP_H
#include <pthread.h>
#include <sys/cpuset.h>
extern "C" void pthread_set_name_np(pthread_t thread, const char *name);
/* FreeBSD's takes a cpuset_t; glibc's, declared already, a cpu_set_t. */
#define pthread_attr_setaffinity_np gr_freebsd_pthread_attr_setaffinity_np
extern "C" int gr_freebsd_pthread_attr_setaffinity_np(pthread_attr_t *attr, size_t cpusetsize, const cpuset_t *cpusetp);
#endif
