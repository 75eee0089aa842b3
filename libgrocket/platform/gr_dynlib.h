/* gr_dynlib.h - dynamic loading: open a shared object, find a symbol in it,
 * close it. One file per platform implements it (posix/gr_dynlib_posix.cpp:
 * dlopen; Windows: LoadLibraryExW), so no OS header is needed here. */
#ifndef GR_DYNLIB_H
#define GR_DYNLIB_H

#include <stddef.h>

/* The file name suffix of a module on this platform. */
#if defined(_WIN32)
#define GR_MODULE_SUFFIX ".dll"
#elif defined(__APPLE__)
#define GR_MODULE_SUFFIX ".dylib"
#else
#define GR_MODULE_SUFFIX ".so"
#endif

typedef struct gr_dynlib_t gr_dynlib_t; /* opaque: the OS's handle */

/* Open path with every symbol resolved now (an unresolved one fails here,
 * not in the middle of a request) and kept local (modules do not see each
 * other's symbols). NULL on failure: gr_dynlib_error says why. */
gr_dynlib_t *gr_dynlib_open(const char *path);
/* The address of symbol name in lib, or NULL. */
void *gr_dynlib_sym(gr_dynlib_t *lib, const char *name);
/* The C++ spelling of a function `name(void)` at namespace scope, as this
 * platform's C++ compiler mangles it, into buf (buf returned) when lib
 * exports it; NULL otherwise. Explains a C++ entry point that lacks
 * extern "C". */
const char *gr_dynlib_cxx_sym(gr_dynlib_t *lib, const char *name, char *buf, size_t len);
/* Close lib; NULL is fine. */
void gr_dynlib_close(gr_dynlib_t *lib);
/* Why the last gr_dynlib_open or gr_dynlib_sym of this thread failed
 * (never NULL). */
const char *gr_dynlib_error(void);

#endif
