/* gr_path_style.cpp - the path rules of POSIX and Windows, by family, as
 * plain string work: no system call, so both families build and are tested
 * on every system (tests/unit/test_path.cpp).
 *
 * Windows: '\\' and '/' both separate; "C:\x" and "\\server\share\x" are
 * absolute; "\x" has a root but no drive (it takes the drive of the
 * directory it is joined to); "C:x" has a drive but no root (Windows takes
 * it against that drive's own current directory, so it is kept as
 * written). */
#include "gr_path.h"

#include <errno.h>
#include <string.h>

static int is_sep(int style, char c)
{
    return c == '/' || (style == GR_PATH_WIN && c == '\\');
}

static int has_drive(int style, const char *p)
{
    return style == GR_PATH_WIN && ((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')) && p[1] == ':';
}

/* out[len] = a[0..na) + (glue ? sep : "") + b[0..nb), built aside first so
 * that a or b may point into out; -ENAMETOOLONG when it does not fit. */
static int put(int style, char *out, size_t len, const char *a, size_t na, int glue, const char *b, size_t nb)
{
    char tmp[4096];
    size_t n = na + (glue ? 1 : 0) + nb;
    if (n + 1 > len || n + 1 > sizeof tmp) {
        if (len > 0)
            out[0] = '\0';
        return -ENAMETOOLONG;
    }
    memcpy(tmp, a, na);
    if (glue)
        tmp[na] = style == GR_PATH_WIN ? '\\' : '/';
    memcpy(tmp + n - nb, b, nb);
    tmp[n] = '\0';
    memcpy(out, tmp, n + 1);
    return 0;
}

int gr_path_is_absolute_style(int style, const char *p)
{
    if (style == GR_PATH_WIN)
        return (has_drive(style, p) && is_sep(style, p[2])) || (is_sep(style, p[0]) && is_sep(style, p[1]));
    return p[0] == '/';
}

/* Length of dir's root that a Windows "\x" path goes under: "C:" of
 * "C:\conf", "\\server\share" of "\\server\share\conf"; 0 when none. */
static size_t win_root_len(const char *dir)
{
    if (has_drive(GR_PATH_WIN, dir))
        return 2;
    if (!(is_sep(GR_PATH_WIN, dir[0]) && is_sep(GR_PATH_WIN, dir[1])))
        return 0;
    size_t i = 2;
    for (int part = 0; part < 2; part++) { /* server, then share */
        while (dir[i] && !is_sep(GR_PATH_WIN, dir[i]))
            i++;
        if (part == 0 && dir[i])
            i++;
    }
    return i;
}

int gr_path_join_style(int style, char *out, size_t len, const char *dir, const char *path)
{
    size_t nd = strlen(dir), np = strlen(path);
    if (np == 0)
        return put(style, out, len, dir, nd, 0, "", 0);
    if (nd == 0 || gr_path_is_absolute_style(style, path) || has_drive(style, path))
        return put(style, out, len, path, np, 0, "", 0);
    if (is_sep(style, path[0])) /* Windows "\x": under dir's drive or share */
        return put(style, out, len, dir, style == GR_PATH_WIN ? win_root_len(dir) : 0, 0, path, np);
    /* No second separator after a root ("/", "C:\") or a bare drive ("C:"). */
    int glue = !is_sep(style, dir[nd - 1]) && !(nd == 2 && has_drive(style, dir));
    return put(style, out, len, dir, nd, glue, path, np);
}

int gr_path_dir_style(int style, char *out, size_t len, const char *file)
{
    size_t root = has_drive(style, file) ? 2 : 0; /* the drive stays with any directory */
    size_t last = (size_t)-1;
    for (size_t i = root; file[i]; i++)
        if (is_sep(style, file[i]))
            last = i;
    if (last == (size_t)-1)
        return put(style, out, len, file, root, 0, "", 0); /* "" or "C:" */
    if (is_sep(style, file[root]))
        root++; /* the root separator belongs to the directory: "/", "C:\" */
    size_t n = last;
    while (n > root && is_sep(style, file[n - 1]))
        n--; /* "a//b" is in "a" */
    if (n < root)
        n = root;
    return put(style, out, len, file, n, 0, "", 0);
}

int gr_path_dir_absolute_style(int style, char *out, size_t len, const char *file, const char *cwd)
{
    if (file == NULL)
        return put(style, out, len, cwd, strlen(cwd), 0, "", 0);
    int rc = gr_path_dir_style(style, out, len, file);
    if (rc != 0)
        return rc;
    if (out[0] == '\0')
        return put(style, out, len, cwd, strlen(cwd), 0, "", 0);
    if (gr_path_is_absolute_style(style, out))
        return 0;
    return gr_path_join_style(style, out, len, cwd, out);
}
