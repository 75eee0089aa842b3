/* gr_thread_boot.cpp - a new thread's first steps, the same on every
 * system (gr_thread_boot.h). */
#include "gr_thread_boot.h"

#include <stdlib.h>
#include <string.h>

#include "gr_log.h"

struct gr_thread_boot_t {
    gr_thread_fn fn;
    void *arg;
    char name[16]; /* Linux keeps 15 characters, the others more; "" for none */
};

gr_thread_boot_t *gr__thread_boot_new(gr_thread_fn fn, void *arg, const char *name)
{
    gr_thread_boot_t *boot = (gr_thread_boot_t *)calloc(1, sizeof(*boot));
    if (boot == NULL)
        return NULL;
    boot->fn = fn;
    boot->arg = arg;
    if (name != NULL) {
        /* Longer names are refused (ERANGE on Linux); cut them instead. */
        strncpy(boot->name, name, sizeof(boot->name) - 1);
    }
    return boot;
}

/* Name the thread from inside, then run fn. Naming it from the parent after
 * it was created would leave a window in which the thread runs (and may
 * log, or crash into a core dump) under the process's name; and macOS can
 * name only the calling thread. */
void *gr__thread_boot_run(void *p)
{
    gr_thread_boot_t boot = *(gr_thread_boot_t *)p;
    free(p);
    if (boot.name[0] != '\0') {
        int rc = gr__thread_set_name(boot.name);
        if (rc != 0)
            GR_DEBUG("thread %s: cannot set name: %s", boot.name, strerror(rc));
    }
    return boot.fn(boot.arg);
}
