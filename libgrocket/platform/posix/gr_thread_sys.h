/* gr_thread_sys.h - what posix/gr_thread_posix.cpp (pthreads, for every
 * POSIX system) asks of the system's own thread file: naming a thread
 * (gr__thread_set_name, gr_thread_boot.h) and pinning one at creation,
 * which each system spells differently
 * (linux/gr_thread_linux.cpp, bsd/gr_thread_freebsd.cpp,
 * bsd/gr_thread_macos.cpp). That file also defines gr_cpu_count. For the
 * platform files only. */
#ifndef GR_THREAD_SYS_H
#define GR_THREAD_SYS_H

#include <pthread.h>

#include "gr_thread_boot.h"

/* gr__thread_pin_attr's answer on a system with no thread affinity at all
 * (macOS): the thread runs unpinned, and the log says so once. */
#define GR__THREAD_NO_AFFINITY 1

/* Make attr start its thread on the (cpu mod count)-th CPU this process
 * may run on; *chosen gets that CPU's number. 0, a negative errno, or
 * GR__THREAD_NO_AFFINITY. */
int gr__thread_pin_attr(pthread_attr_t *attr, int cpu, int *chosen);

#endif
