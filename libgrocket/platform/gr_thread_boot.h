/* gr_thread_boot.h - for the platform thread files only
 * (posix/gr_thread_posix.cpp, win/gr_thread_win.cpp): what a new thread
 * runs first on every system, naming itself and then fn(arg)
 * (gr_thread_boot.cpp), and the naming each system spells its own way. */
#ifndef GR_THREAD_BOOT_H
#define GR_THREAD_BOOT_H

#include "gr_thread.h"

typedef struct gr_thread_boot_t gr_thread_boot_t;

/* What the new thread needs before it runs fn(arg), name cut to 15
 * characters (NULL: no name); NULL when out of memory. The thread frees it
 * in gr__thread_boot_run; free() it when no thread could be started. */
gr_thread_boot_t *gr__thread_boot_new(gr_thread_fn fn, void *arg, const char *name);
/* The new thread's start: name it, free boot, return fn(arg). */
void *gr__thread_boot_run(void *boot);

/* Name the calling thread (1 to 15 characters) for top, ps and debuggers;
 * 0 or an errno. In each system's thread file. */
int gr__thread_set_name(const char *name);

#endif
