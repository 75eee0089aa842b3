/* gr_module_loader.h - finding, checking and holding the one module a server
 * runs: from a shared object (gr_dynlib.h) or from a gr_module_t given in process.
 *
 * The check happens here, at load time, so an incompatible module is refused
 * with a message naming both ABI versions instead of crashing later. */
#ifndef GR_MODULE_LOADER_H
#define GR_MODULE_LOADER_H

#include <stddef.h>

#include "gr_dynlib.h"
#include "grocket.h"

typedef struct gr_module_host_t {
    gr_dynlib_t *handle; /* NULL for a module given in process */
    gr_module_t m;       /* the module's description fitted to this header:
                            members past the module's own size are NULL, a
                            newer module's members past ours are dropped */
    char path[1024];     /* where it came from, for messages */
} gr_module_host_t;

/* Open path (gr_dynlib_open), find GR_MODULE_ENTRY_SYMBOL, check it, log
 * what was loaded. 0, or GR_EMODULE with the reason (path, symbol,
 * versions) in err. */
int gr_module_load(gr_module_host_t *h, const char *path, char *err, size_t errlen);
/* Check, adopt and log a module description given in process (embedding). */
int gr_module_adopt(gr_module_host_t *h, const gr_module_t *m, const char *origin, char *err, size_t errlen);
/* Close the shared object; safe on a zeroed or already unloaded host. */
void gr_module_unload(gr_module_host_t *h);

#endif
