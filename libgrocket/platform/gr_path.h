/* gr_path.h - file paths: is a path absolute, join a relative path to a
 * directory, the absolute directory of a file, the current directory.
 *
 * The rules of both families are written once in gr_path_style.cpp and
 * take the family as an argument, so the Windows rules (drive letters,
 * both slashes, UNC roots) are tested on Linux too. A platform file
 * (posix/gr_path_posix.cpp, later win/gr_path_win.cpp) gives the native
 * functions: its family's rules plus the current directory.
 *
 * Every function writes a NUL-terminated path into out[len] and returns 0,
 * -ENAMETOOLONG when it does not fit, or another -errno. */
#ifndef GR_PATH_H
#define GR_PATH_H

#include <stddef.h>

/* Path families, for the _style functions. */
#define GR_PATH_POSIX 0 /* '/' only; absolute: starts with '/' */
#define GR_PATH_WIN 1   /* '\\' and '/'; absolute: "C:\x", "C:/x", "\\server\share\x" */

/* ---- native: the family of the system the library runs on ---- */

int gr_path_is_absolute(const char *path);
/* path against dir: path itself when it has a root or a drive, else
 * dir + separator + path. */
int gr_path_join(char *out, size_t len, const char *dir, const char *path);
/* The absolute directory file lies in: its directory part joined to the
 * current directory when relative; the current directory for a bare name
 * or for file NULL. Absolute now so that it holds after a chdir (grocketd
 * changes to "/" when it daemonizes). */
int gr_path_dir_absolute(char *out, size_t len, const char *file);
/* The current directory (platform file). */
int gr_path_cwd(char *out, size_t len);

/* ---- the rules, by family (gr_path_style.cpp) ---- */

int gr_path_is_absolute_style(int style, const char *path);
int gr_path_join_style(int style, char *out, size_t len, const char *dir, const char *path);
/* The directory part of file as written ("" when it has none): "a/b.ini"
 * gives "a", "/b.ini" gives "/", on Windows "C:\b.ini" gives "C:\". */
int gr_path_dir_style(int style, char *out, size_t len, const char *file);
/* gr_path_dir_absolute with the current directory given (cwd), so it can
 * be tested without changing directory. */
int gr_path_dir_absolute_style(int style, char *out, size_t len, const char *file, const char *cwd);

#endif
