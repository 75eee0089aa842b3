/* gr_module_loader.cpp - load a module and refuse an incompatible one at
 * load time, naming the field and both values. */
#include "gr_module_loader.h"

#include <stdio.h>
#include <string.h>

#include "gr_error.h"
#include "gr_log.h"

/* The size of gr_module_t in ABI 1.0: everything before thread_init. A
 * module smaller than this cannot be valid for any 1.x. */
#define GR_MODULE_SIZE_1_0 offsetof(gr_module_t, thread_init)

/* min_abi_minor (ABI 1.6), read only where the module's struct holds it. */
static uint32_t min_minor_of(const gr_module_t *m)
{
    return m->size >= offsetof(gr_module_t, min_abi_minor) + sizeof m->min_abi_minor ? m->min_abi_minor : 0;
}

/* The version rule: the same major; a minor not newer than ours, or a
 * newer one whose module says it needs no more than ours (min_abi_minor),
 * whose members past ours are then ignored. */
static int check_version(const gr_module_t *m, const char *origin, char *err, size_t errlen)
{
    int major = GR_ABI_VERSION_MAJOR(m->abi_version), minor = GR_ABI_VERSION_MINOR(m->abi_version);
    uint32_t need = min_minor_of(m);
    if (major != GR_ABI_MAJOR || (minor > GR_ABI_MINOR && need == 0)) {
        snprintf(err, errlen,
                 "module %s: built against grocket ABI %d.%d%s, this grocket provides ABI %d.%d "
                 "(it loads modules of ABI %d.0 to %d.%d, and newer %d.x ones whose min_abi_minor is %d or less)",
                 origin, major, minor, major == GR_ABI_MAJOR ? " without stating min_abi_minor" : "", GR_ABI_MAJOR,
                 GR_ABI_MINOR, GR_ABI_MAJOR, GR_ABI_MAJOR, GR_ABI_MINOR, GR_ABI_MAJOR, GR_ABI_MINOR);
        return GR_EMODULE;
    }
    if (need > (uint32_t)GR_ABI_MINOR) {
        snprintf(err, errlen,
                 "module %s: needs grocket ABI %d.%u or newer (min_abi_minor %u, built against ABI %d.%d), "
                 "this grocket provides ABI %d.%d",
                 origin, major, (unsigned)need, (unsigned)need, major, minor, GR_ABI_MAJOR, GR_ABI_MINOR);
        return GR_EMODULE;
    }
    return GR_OK;
}

/* Check m and copy it into h->m, widened (or, for a newer minor, cut) to
 * this header's gr_module_t. */
static int adopt(gr_module_host_t *h, const gr_module_t *m, const char *origin, char *err, size_t errlen)
{
    if (!m) {
        snprintf(err, errlen, "module %s: %s() returned NULL", origin, GR_MODULE_ENTRY_SYMBOL);
        return GR_EMODULE;
    }
    int major = GR_ABI_VERSION_MAJOR(m->abi_version), minor = GR_ABI_VERSION_MINOR(m->abi_version);
    bool newer = major == GR_ABI_MAJOR && minor > GR_ABI_MINOR;
    /* A newer minor only appended members: its struct holds all of ours. */
    size_t lo = newer ? sizeof(gr_module_t) : GR_MODULE_SIZE_1_0, hi = newer ? (size_t)UINT32_MAX : sizeof(gr_module_t);
    int rc = check_version(m, origin, err, errlen);
    if (rc != GR_OK)
        return rc;
    if (m->size < lo || m->size > hi) {
        if (newer)
            snprintf(err, errlen, "module %s: gr_module_t.size is %u, expected at least %u for ABI %d.%d", origin,
                     (unsigned)m->size, (unsigned)lo, major, minor);
        else
            snprintf(err, errlen, "module %s: gr_module_t.size is %u, expected %u to %u for ABI %d.%d", origin,
                     (unsigned)m->size, (unsigned)lo, (unsigned)hi, major, minor);
        return GR_EMODULE;
    }
    if (!m->check || !m->proc) {
        snprintf(err, errlen, "module %s: gr_module_t.%s is NULL (required)", origin, m->check ? "proc" : "check");
        return GR_EMODULE;
    }
    memset(&h->m, 0, sizeof h->m);
    memcpy(&h->m, m, m->size < sizeof h->m ? m->size : sizeof h->m);
    if (!h->m.name)
        h->m.name = "unnamed";
    snprintf(h->path, sizeof h->path, "%s", origin);
    return GR_OK;
}

/* "module demo 1.2.3 (ABI 1.6) loaded from PATH", and for a newer minor
 * what is ignored. */
static void log_loaded(const gr_module_host_t *h, const char *how)
{
    const gr_module_t *m = &h->m;
    int minor = GR_ABI_VERSION_MINOR(m->abi_version);
    char abi[96];
    if (minor > GR_ABI_MINOR)
        snprintf(abi, sizeof abi, "ABI %d.%d, needs %d.%u; what it has past this grocket's ABI %d.%d is ignored",
                 GR_ABI_VERSION_MAJOR(m->abi_version), minor, GR_ABI_MAJOR, (unsigned)m->min_abi_minor, GR_ABI_MAJOR,
                 GR_ABI_MINOR);
    else
        snprintf(abi, sizeof abi, "ABI %d.%d", GR_ABI_VERSION_MAJOR(m->abi_version), minor);
    GR_INFO("module %s%s%.64s (%s) %s", m->name, m->version ? " " : "", m->version ? m->version : "", abi, how);
}

int gr_module_adopt(gr_module_host_t *h, const gr_module_t *m, const char *origin, char *err, size_t errlen)
{
    int rc = adopt(h, m, origin ? origin : "(null)", err, errlen);
    if (rc == GR_OK)
        log_loaded(h, "given in process");
    return rc;
}

/* No entry symbol: say what the module most likely got wrong. */
static void explain_no_entry(gr_dynlib_t *dl, const char *path, char *err, size_t errlen)
{
    char mangled[64];
    if (gr_dynlib_cxx_sym(dl, GR_MODULE_ENTRY_SYMBOL, mangled, sizeof mangled))
        snprintf(err, errlen,
                 "module %s: no exported symbol %s, but it exports %s, the C++ name of %s(): declare the function "
                 "extern \"C\"",
                 path, GR_MODULE_ENTRY_SYMBOL, mangled, GR_MODULE_ENTRY_SYMBOL);
    else
        snprintf(err, errlen,
                 "module %s: no exported symbol %s: not a grocket module, or the function is not exported (mark it "
                 "GR_MODULE_EXPORT: modules build with hidden visibility), or C++ defines it without extern \"C\"",
                 path, GR_MODULE_ENTRY_SYMBOL);
}

int gr_module_load(gr_module_host_t *h, const char *path, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    gr_dynlib_t *dl = gr_dynlib_open(path);
    if (!dl) {
        snprintf(err, errlen, "module %s: cannot load: %s", path, gr_dynlib_error());
        return GR_EMODULE;
    }
    gr_module_entry_fn entry;
    void *sym = gr_dynlib_sym(dl, GR_MODULE_ENTRY_SYMBOL);
    if (!sym) {
        explain_no_entry(dl, path, err, errlen);
        gr_dynlib_close(dl);
        return GR_EMODULE;
    }
    memcpy(&entry, &sym, sizeof entry); /* object pointer to function pointer, POSIX-sanctioned */
    int rc = adopt(h, entry(), path, err, errlen);
    if (rc != GR_OK) {
        gr_dynlib_close(dl);
        return rc;
    }
    h->handle = dl;
    char how[1100];
    snprintf(how, sizeof how, "loaded from %s", path);
    log_loaded(h, how);
    return GR_OK;
}

void gr_module_unload(gr_module_host_t *h)
{
    gr_dynlib_close(h->handle);
    h->handle = NULL;
}
