/* gr_dynlib_win.cpp - gr_dynlib.h on Windows: LoadLibraryExW (the UTF-8
 * path as UTF-16), GetProcAddress, FreeLibrary; the reason for a failure
 * from FormatMessageW, as UTF-8, kept per thread as dlerror keeps it.
 * Windows resolves a DLL's imports when it loads (RTLD_NOW) and a DLL's
 * exports are seen only through its handle (RTLD_LOCAL). */
#include "gr_win.h"

#include <stdio.h>
#include <string.h>

#include "gr_dynlib.h"
#include "gr_path.h"

static thread_local char g_error[600];

static void set_error(const char *what, const char *name, DWORD code)
{
    char msg[400];
    snprintf(g_error, sizeof g_error, "%s(%s): %s (error %lu)", what, name, gr_win_message(code, msg, sizeof msg),
             (unsigned long)code);
}

gr_dynlib_t *gr_dynlib_open(const char *path)
{
    wchar_t w[MAX_PATH * 4];
    if (gr_win_utf16(path, w, sizeof w / sizeof w[0]) != 0) {
        snprintf(g_error, sizeof g_error, "%s: not a UTF-8 path that fits", path);
        return NULL;
    }
    /* An absolute path: the DLL's own dependencies are looked for in its
     * folder first (LOAD_WITH_ALTERED_SEARCH_PATH), as a module's folder
     * is where its own DLLs would sit. No error dialog box for a missing
     * dependency either. */
    DWORD flags = gr_path_is_absolute(path) ? LOAD_WITH_ALTERED_SEARCH_PATH : 0;
    UINT old_mode = SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX);
    HMODULE h = LoadLibraryExW(w, NULL, flags);
    DWORD code = GetLastError();
    SetErrorMode(old_mode);
    if (h == NULL) {
        set_error("LoadLibraryExW", path, code);
        return NULL;
    }
    return (gr_dynlib_t *)h;
}

void *gr_dynlib_sym(gr_dynlib_t *lib, const char *name)
{
    FARPROC p = GetProcAddress((HMODULE)lib, name);
    if (p == NULL)
        set_error("GetProcAddress", name, GetLastError());
    return (void *)p;
}

const char *gr_dynlib_cxx_sym(gr_dynlib_t *lib, const char *name, char *buf, size_t len)
{
    /* mingw's g++ mangles as on Linux (Itanium C++ ABI, no leading
     * underscore on x64); MSVC's "?name@@YAXXZ" spelling depends on the
     * return type, which we do not know, so only GCC's is looked for. */
    int n = snprintf(buf, len, "_Z%zu%sv", strlen(name), name);
    if (n < 0 || (size_t)n >= len || GetProcAddress((HMODULE)lib, buf) == NULL)
        return NULL;
    return buf;
}

void gr_dynlib_close(gr_dynlib_t *lib)
{
    if (lib)
        FreeLibrary((HMODULE)lib);
}

const char *gr_dynlib_error(void) { return g_error[0] ? g_error : "unknown error"; }
