/* gr_path_win.cpp - native paths on Windows: the Windows family's rules
 * (gr_path_style.cpp: drive letters, both slashes, UNC roots) and
 * GetCurrentDirectoryW as UTF-8. */
#include "gr_win.h"

#include <errno.h>

#include "gr_path.h"

int gr_path_is_absolute(const char *path) { return gr_path_is_absolute_style(GR_PATH_WIN, path); }

int gr_path_join(char *out, size_t len, const char *dir, const char *path)
{
    return gr_path_join_style(GR_PATH_WIN, out, len, dir, path);
}

int gr_path_cwd(char *out, size_t len)
{
    wchar_t w[32768]; /* the longest path Windows has */
    DWORD n = GetCurrentDirectoryW(sizeof w / sizeof w[0], w);
    if (len > 0)
        out[0] = '\0';
    if (n == 0)
        return -gr_win_errno(GetLastError());
    if (n >= sizeof w / sizeof w[0])
        return -ENAMETOOLONG;
    return gr_win_utf8(w, out, len);
}

int gr_path_dir_absolute(char *out, size_t len, const char *file)
{
    if (file != NULL && gr_path_dir_style(GR_PATH_WIN, out, len, file) == 0 && gr_path_is_absolute(out))
        return 0;
    char cwd[4096];
    int rc = gr_path_cwd(cwd, sizeof cwd);
    if (rc != 0)
        return rc;
    return gr_path_dir_absolute_style(GR_PATH_WIN, out, len, file, cwd);
}
