/* gr_module_loader.cpp - load a module and refuse an incompatible one at
 * load time, naming the field and both values. */
#include "gr_module_loader.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "gr_error.h"

/* The size of gr_module_t in ABI 1.0: everything before thread_init. A
 * module smaller than this cannot be valid for any 1.x. */
#define GR_MODULE_SIZE_1_0 offsetof(gr_module_t, thread_init)

static void copy_path(gr_module_host_t *h, const char *path)
{
    snprintf(h->path, sizeof h->path, "%s", path ? path : "(null)");
}

int gr_module_adopt(gr_module_host_t *h, const gr_module_t *m, const char *origin, char *err, size_t errlen)
{
    if (!m) {
        snprintf(err, errlen, "module %s: %s() returned NULL", origin, GR_MODULE_ENTRY_SYMBOL);
        return GR_EMODULE;
    }
    int major = GR_ABI_VERSION_MAJOR(m->abi_version), minor = GR_ABI_VERSION_MINOR(m->abi_version);
    /* Same major, and not newer than us: an older minor only lacks members
     * appended later, which we treat as absent. */
    if (major != GR_ABI_MAJOR || minor > GR_ABI_MINOR) {
        snprintf(err, errlen,
                 "module %s: built against grocket ABI %d.%d, this grocket provides ABI %d.%d "
                 "(it loads modules of ABI %d.0 to %d.%d)",
                 origin, major, minor, GR_ABI_MAJOR, GR_ABI_MINOR, GR_ABI_MAJOR, GR_ABI_MAJOR, GR_ABI_MINOR);
        return GR_EMODULE;
    }
    if (m->size < GR_MODULE_SIZE_1_0 || m->size > sizeof(gr_module_t)) {
        snprintf(err, errlen,
                 "module %s: gr_module_t.size is %u, expected %u to %u for ABI %d.%d",
                 origin, (unsigned)m->size, (unsigned)GR_MODULE_SIZE_1_0, (unsigned)sizeof(gr_module_t),
                 major, minor);
        return GR_EMODULE;
    }
    if (!m->check || !m->proc) {
        snprintf(err, errlen, "module %s: gr_module_t.%s is NULL (required)", origin, m->check ? "proc" : "check");
        return GR_EMODULE;
    }
    memset(&h->m, 0, sizeof h->m);
    memcpy(&h->m, m, m->size);
    if (!h->m.name)
        h->m.name = "unnamed";
    copy_path(h, origin);
    return GR_OK;
}

int gr_module_load(gr_module_host_t *h, const char *path, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    /* RTLD_LOCAL: modules do not see each other's symbols; RTLD_NOW: an
     * unresolved symbol fails here, not in the middle of a request. */
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(err, errlen, "module %s: cannot load: %s", path, dlerror());
        return GR_EMODULE;
    }
    gr_module_entry_fn entry;
    void *sym = dlsym(dl, GR_MODULE_ENTRY_SYMBOL);
    if (!sym) {
        snprintf(err, errlen, "module %s: no symbol %s (is it a grocket module?)", path, GR_MODULE_ENTRY_SYMBOL);
        dlclose(dl);
        return GR_EMODULE;
    }
    memcpy(&entry, &sym, sizeof entry); /* object pointer to function pointer, POSIX-sanctioned */
    int rc = gr_module_adopt(h, entry(), path, err, errlen);
    if (rc != GR_OK) {
        dlclose(dl);
        return rc;
    }
    h->handle = dl;
    return GR_OK;
}

void gr_module_unload(gr_module_host_t *h)
{
    if (h->handle)
        dlclose(h->handle);
    h->handle = NULL;
}
