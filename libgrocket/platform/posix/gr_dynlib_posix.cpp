/* gr_dynlib_posix.cpp - gr_dynlib.h on dlopen/dlsym (Linux, the BSDs). */
#include "gr_dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

gr_dynlib_t *gr_dynlib_open(const char *path)
{
    return (gr_dynlib_t *)dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

void *gr_dynlib_sym(gr_dynlib_t *lib, const char *name)
{
    return dlsym(lib, name);
}

const char *gr_dynlib_cxx_sym(gr_dynlib_t *lib, const char *name, char *buf, size_t len)
{
    /* Itanium C++ ABI (GCC, Clang): _Z <length><name> v for `name(void)`;
     * the return type is not part of a plain function's name. dlsym adds
     * the leading underscore itself where the platform has one (macOS). */
    int n = snprintf(buf, len, "_Z%zu%sv", strlen(name), name);
    if (n < 0 || (size_t)n >= len || !dlsym(lib, buf))
        return NULL;
    return buf;
}

void gr_dynlib_close(gr_dynlib_t *lib)
{
    if (lib)
        dlclose(lib);
}

const char *gr_dynlib_error(void)
{
    const char *e = dlerror();
    return e ? e : "unknown error";
}
