/* gr_test_kv.h - what the kv module's integration tests share (test_kv.cpp,
 * test_kv_backup.cpp): finding Redis's client programs, RESP commands and
 * replies over raw sockets, INFO fields. */
#ifndef GR_TEST_KV_H
#define GR_TEST_KV_H

#include <string>
#include <vector>

/* The absolute path of a program on PATH, or "". */
std::string gr_test_find_tool(const char *name);
/* A test that needs a client program skips without it
 * (scripts/install-deps.sh installs them all). */
#define GR_TEST_NEED_TOOL(tool)                                            \
    do {                                                                   \
        if (gr_test_find_tool(tool).empty())                               \
            GTEST_SKIP() << tool " is not installed (install-deps.sh)";    \
    } while (0)

/* A Python with the redis package, or "". */
std::string kv_test_python();
/* A file of tests/kv/. */
std::string kv_test_script(const char *name);
/* One RESP command, multibulk. */
std::string kv_test_cmd(const std::vector<std::string> &args);
/* One reply line (up to "\r\n") from fd; "...<closed>" at end of stream. */
std::string kv_test_read_line(int fd);
/* redis-cli against port: its stdout and stderr (a failed run fails the
 * test). */
std::string kv_test_cli(int port, const std::vector<std::string> &args);
/* An INFO field as a number; -1 when absent. */
long long kv_test_info(int port, const std::string &field);
/* An INFO field as text; "" when absent. */
std::string kv_test_info_text(int port, const std::string &field);
/* Send a command whose reply is an integer; the integer (-1000000 when the
 * reply is not one). */
long long kv_test_int(int fd, const std::vector<std::string> &args);

#endif
