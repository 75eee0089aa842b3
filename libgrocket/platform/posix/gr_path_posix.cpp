/* gr_path_posix.cpp - native paths on POSIX systems: the POSIX family's
 * rules (gr_path_style.cpp) and getcwd. A Windows file would give the same
 * functions with GR_PATH_WIN and GetCurrentDirectoryW converted to UTF-8. */
#include "gr_path.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

int gr_path_is_absolute(const char *path)
{
    return gr_path_is_absolute_style(GR_PATH_POSIX, path);
}

int gr_path_join(char *out, size_t len, const char *dir, const char *path)
{
    return gr_path_join_style(GR_PATH_POSIX, out, len, dir, path);
}

int gr_path_cwd(char *out, size_t len)
{
    if (getcwd(out, len) != NULL)
        return 0;
    int e = errno;
    if (len > 0)
        out[0] = '\0';
    return e == ERANGE ? -ENAMETOOLONG : -e;
}

int gr_path_dir_absolute(char *out, size_t len, const char *file)
{
    /* An absolute directory needs no getcwd (which fails when the current
     * directory was removed). */
    if (file != NULL && gr_path_dir_style(GR_PATH_POSIX, out, len, file) == 0 && gr_path_is_absolute(out))
        return 0;
    char cwd[PATH_MAX];
    int rc = gr_path_cwd(cwd, sizeof cwd);
    if (rc != 0)
        return rc;
    return gr_path_dir_absolute_style(GR_PATH_POSIX, out, len, file, cwd);
}
