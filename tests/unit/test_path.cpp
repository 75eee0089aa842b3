/* test_path.cpp - path rules of both families (gr_path_style.cpp), so the
 * Windows ones (drive letters, both slashes, UNC) are tested here too, and
 * the native functions of this system. */
#include <gtest/gtest.h>

#include "gr_path.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <string>

namespace {

std::string join(int style, const char *dir, const char *path)
{
    char out[256];
    int rc = gr_path_join_style(style, out, sizeof out, dir, path);
    return rc == 0 ? out : "error " + std::to_string(rc);
}

std::string dir_of(int style, const char *file)
{
    char out[256];
    int rc = gr_path_dir_style(style, out, sizeof out, file);
    return rc == 0 ? out : "error " + std::to_string(rc);
}

std::string dir_abs(int style, const char *file, const char *cwd)
{
    char out[256];
    int rc = gr_path_dir_absolute_style(style, out, sizeof out, file, cwd);
    return rc == 0 ? out : "error " + std::to_string(rc);
}

} // namespace

TEST(Path, AbsolutePosix)
{
    EXPECT_TRUE(gr_path_is_absolute_style(GR_PATH_POSIX, "/etc/g.ini"));
    EXPECT_TRUE(gr_path_is_absolute_style(GR_PATH_POSIX, "/"));
    for (const char *rel : {"", "g.ini", "./g.ini", "../g", "C:\\x", "C:/x", "\\\\srv\\share"})
        EXPECT_FALSE(gr_path_is_absolute_style(GR_PATH_POSIX, rel)) << rel;
}

TEST(Path, AbsoluteWindows)
{
    for (const char *abs : {"C:\\x", "c:/x", "Z:\\", "\\\\srv\\share\\x", "//srv/share", "\\\\?\\C:\\x"})
        EXPECT_TRUE(gr_path_is_absolute_style(GR_PATH_WIN, abs)) << abs;
    for (const char *rel : {"", "x", "C:", "C:x", "\\x", "/x", "1:\\x", "CC:\\x"})
        EXPECT_FALSE(gr_path_is_absolute_style(GR_PATH_WIN, rel)) << rel;
}

TEST(Path, JoinPosix)
{
    EXPECT_EQ("/etc/grocket/m.so", join(GR_PATH_POSIX, "/etc/grocket", "m.so"));
    EXPECT_EQ("/etc/grocket/../m.so", join(GR_PATH_POSIX, "/etc/grocket", "../m.so"));
    EXPECT_EQ("/m.so", join(GR_PATH_POSIX, "/", "m.so"));
    EXPECT_EQ("/opt/m.so", join(GR_PATH_POSIX, "/etc", "/opt/m.so"));
    EXPECT_EQ("/etc/C:x", join(GR_PATH_POSIX, "/etc", "C:x")); /* no drives here */
    EXPECT_EQ("m.so", join(GR_PATH_POSIX, "", "m.so"));
    EXPECT_EQ("/etc", join(GR_PATH_POSIX, "/etc", ""));
}

TEST(Path, JoinWindows)
{
    EXPECT_EQ("C:\\conf\\m.dll", join(GR_PATH_WIN, "C:\\conf", "m.dll"));
    EXPECT_EQ("C:/conf/m.dll", join(GR_PATH_WIN, "C:/conf/", "m.dll"));
    EXPECT_EQ("C:\\m.dll", join(GR_PATH_WIN, "C:\\", "m.dll"));
    EXPECT_EQ("D:\\m.dll", join(GR_PATH_WIN, "C:\\conf", "D:\\m.dll"));
    EXPECT_EQ("D:m.dll", join(GR_PATH_WIN, "C:\\conf", "D:m.dll")); /* its drive's own directory */
    EXPECT_EQ("C:\\mods\\m.dll", join(GR_PATH_WIN, "C:\\conf", "\\mods\\m.dll")); /* rooted: the dir's drive */
    EXPECT_EQ("\\\\srv\\share\\mods", join(GR_PATH_WIN, "\\\\srv\\share\\conf", "\\mods"));
    EXPECT_EQ("\\\\srv\\share\\conf\\..\\m", join(GR_PATH_WIN, "\\\\srv\\share\\conf", "..\\m"));
    EXPECT_EQ("C:m.dll", join(GR_PATH_WIN, "C:", "m.dll"));
}

TEST(Path, DirectoryOfAFile)
{
    EXPECT_EQ("conf", dir_of(GR_PATH_POSIX, "conf/grocketd.ini"));
    EXPECT_EQ("/etc/grocket", dir_of(GR_PATH_POSIX, "/etc/grocket/grocketd.ini"));
    EXPECT_EQ("/", dir_of(GR_PATH_POSIX, "/g.ini"));
    EXPECT_EQ("a", dir_of(GR_PATH_POSIX, "a//g.ini"));
    EXPECT_EQ("", dir_of(GR_PATH_POSIX, "g.ini"));
    EXPECT_EQ("a\\b", dir_of(GR_PATH_POSIX, "a\\b/c")); /* a backslash is a character on POSIX... */
    EXPECT_EQ("a", dir_of(GR_PATH_WIN, "a\\b"));       /* ...and a separator on Windows */
    EXPECT_EQ("C:\\", dir_of(GR_PATH_WIN, "C:\\g.ini"));
    EXPECT_EQ("C:\\conf", dir_of(GR_PATH_WIN, "C:\\conf\\g.ini"));
    EXPECT_EQ("C:", dir_of(GR_PATH_WIN, "C:g.ini"));
    EXPECT_EQ("\\\\srv\\share", dir_of(GR_PATH_WIN, "\\\\srv\\share\\g.ini"));
}

TEST(Path, AbsoluteDirectory)
{
    EXPECT_EQ("/home/u/conf", dir_abs(GR_PATH_POSIX, "conf/g.ini", "/home/u"));
    EXPECT_EQ("/home/u", dir_abs(GR_PATH_POSIX, "g.ini", "/home/u"));
    EXPECT_EQ("/home/u", dir_abs(GR_PATH_POSIX, NULL, "/home/u"));
    EXPECT_EQ("/etc", dir_abs(GR_PATH_POSIX, "/etc/g.ini", "/home/u"));
    EXPECT_EQ("D:\\work\\conf", dir_abs(GR_PATH_WIN, "conf\\g.ini", "D:\\work"));
    EXPECT_EQ("C:\\etc", dir_abs(GR_PATH_WIN, "C:\\etc\\g.ini", "D:\\work"));
    EXPECT_EQ("D:\\etc", dir_abs(GR_PATH_WIN, "\\etc\\g.ini", "D:\\work"));
}

TEST(Path, TooLongIsAnError)
{
    char out[16];
    EXPECT_EQ(-ENAMETOOLONG, gr_path_join_style(GR_PATH_POSIX, out, sizeof out, "/a/long/directory", "file"));
    EXPECT_STREQ("", out);
    EXPECT_EQ(0, gr_path_join_style(GR_PATH_POSIX, out, sizeof out, "/a", "0123456789x"));
    EXPECT_STREQ("/a/0123456789x", out);
}

/* Native: POSIX rules and the real current directory. */
#ifndef _WIN32
TEST(Path, NativeOnThisSystem)
{
    char cwd[4096], out[4096];
    ASSERT_NE(nullptr, getcwd(cwd, sizeof cwd));
    ASSERT_EQ(0, gr_path_cwd(out, sizeof out));
    EXPECT_STREQ(cwd, out);
    EXPECT_EQ(-ENAMETOOLONG, gr_path_cwd(out, 2));
    EXPECT_TRUE(gr_path_is_absolute("/x"));
    EXPECT_FALSE(gr_path_is_absolute("C:\\x"));
    ASSERT_EQ(0, gr_path_dir_absolute(out, sizeof out, "conf/g.ini"));
    EXPECT_EQ(std::string(cwd) + "/conf", out);
    ASSERT_EQ(0, gr_path_dir_absolute(out, sizeof out, "/etc/g.ini"));
    EXPECT_STREQ("/etc", out);
    ASSERT_EQ(0, gr_path_join(out, sizeof out, "/etc", "g.ini"));
    EXPECT_STREQ("/etc/g.ini", out);
}
#else
/* Windows: the Windows family's rules, the current directory as the
 * system gives it (a drive letter; Wine's is a drive mapped onto the Unix
 * directory). */
TEST(Path, NativeOnThisSystem)
{
    char cwd[4096], out[4096];
    ASSERT_EQ(0, gr_path_cwd(cwd, sizeof cwd));
    EXPECT_TRUE(gr_path_is_absolute_style(GR_PATH_WIN, cwd)) << cwd;
    EXPECT_EQ(':', cwd[1]) << cwd;
    EXPECT_EQ(-ENAMETOOLONG, gr_path_cwd(out, 2));
    EXPECT_TRUE(gr_path_is_absolute("C:\\x"));
    EXPECT_TRUE(gr_path_is_absolute("C:/x"));
    EXPECT_FALSE(gr_path_is_absolute("x\\y"));
    ASSERT_EQ(0, gr_path_dir_absolute(out, sizeof out, "conf\\g.ini"));
    EXPECT_EQ(join(GR_PATH_WIN, cwd, "conf"), out);
    ASSERT_EQ(0, gr_path_dir_absolute(out, sizeof out, "C:\\etc\\g.ini"));
    EXPECT_STREQ("C:\\etc", out);
    ASSERT_EQ(0, gr_path_join(out, sizeof out, "C:\\etc", "g.ini"));
    EXPECT_STREQ("C:\\etc\\g.ini", out);
}
#endif
