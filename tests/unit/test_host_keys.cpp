/* test_host_keys.cpp - a hosting program's own [server] keys
 * (gr_server_create_hosted): checked with the file like the library's,
 * with the same file:line:key messages, read back with gr_server_setting
 * (booleans as true/false, paths resolved against the file's directory),
 * still checked by a reload, and refused without the table. */
#include <gtest/gtest.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gr_dynlib.h" /* GR_MODULE_SUFFIX */
#include "gr_test_util.h"
#include "libgrocket.h"

namespace {

const gr_host_key_t kHostKeys[] = {
    {"daemon", GR_HOST_BOOL, "false", "detach"},
    {"pid_file", GR_HOST_PATH, "host.pid", "process id"},
    {NULL, 0, NULL, NULL},
};

/* The system's separator between a directory and the path joined to it. */
#ifdef _WIN32
const char *kSep = "\\";
#else
const char *kSep = "/";
#endif

struct Dir {
    std::string path;
    Dir()
    {
        path = gr_test_mkdtemp("gr_host_keys_");
    }
    ~Dir()
    {
        gr_test_rmtree(path);
    }
    /* A configuration serving the C fixture, with server_lines under
     * [server] from line 3 on. */
    std::string write(const std::string &name, const std::string &server_lines) const
    {
        std::string f = path + "/" + name;
        std::ofstream(f) << "[server]\nmodule = " << GR_TEST_FIXTURE_DIR << "/libgr_fixture_c" GR_MODULE_SUFFIX "\n"
                         << server_lines << "log.level = warn\n[listen]\n0 = tcp://127.0.0.1:0\n";
        return f;
    }
};

std::string setting(const gr_server_t *s, const char *key)
{
    char v[2048];
    return gr_server_setting(s, key, v, sizeof v) == GR_OK ? v : "<EINVAL>";
}

TEST(HostKeys, ValuesAndDefaultsReadBack)
{
    Dir d;
    std::string f = d.write("a.ini", "daemon = yes\npid_file = run/g.pid\n");
    gr_server_t *s = nullptr;
    char err[GR_SERVER_ERR_LEN] = "";
    ASSERT_EQ(GR_OK, gr_server_create_hosted(&s, f.c_str(), kHostKeys, 0, nullptr, err, sizeof err)) << err;
    EXPECT_EQ("true", setting(s, "daemon"));
    EXPECT_EQ(d.path + kSep + "run/g.pid", setting(s, "pid_file")) << "resolved against the file's directory";
    EXPECT_EQ("warn", setting(s, "log.level")) << "the library's keys as before";
    EXPECT_EQ("<EINVAL>", setting(s, "no.such.key"));
    char report[4096];
    gr_server_check_report(s, report, sizeof report);
    EXPECT_NE(nullptr, strstr(report, "  daemon: boolean, 'true' (detach)\n")) << report;
    EXPECT_NE(nullptr, strstr(report, "what the program does with its own keys")) << report;
    gr_server_destroy(s);

    /* Not written: the defaults, a path resolved too; empty stays empty. */
    f = d.write("b.ini", "");
    ASSERT_EQ(GR_OK, gr_server_create_hosted(&s, f.c_str(), kHostKeys, 0, nullptr, err, sizeof err)) << err;
    EXPECT_EQ("false", setting(s, "daemon"));
    EXPECT_EQ(d.path + kSep + "host.pid", setting(s, "pid_file"));
    gr_server_destroy(s);
    f = d.write("c.ini", "pid_file =\ndaemon = OFF\n");
    ASSERT_EQ(GR_OK, gr_server_create_hosted(&s, f.c_str(), kHostKeys, 0, nullptr, err, sizeof err)) << err;
    EXPECT_EQ("", setting(s, "pid_file"));
    EXPECT_EQ("false", setting(s, "daemon"));
    gr_server_destroy(s);
}

TEST(HostKeys, ErrorsNameFileLineKey)
{
    Dir d;
    gr_server_t *s = nullptr;
    char err[GR_SERVER_ERR_LEN] = "";
    std::string f = d.write("bad.ini", "daemon = maybe\n");
    EXPECT_EQ(GR_ECONFIG, gr_server_create_hosted(&s, f.c_str(), kHostKeys, 0, nullptr, err, sizeof err));
    EXPECT_EQ(f + ":3: daemon: invalid value 'maybe' (expected true or false (also yes/no, on/off, 1/0))",
              std::string(err));
    EXPECT_EQ(nullptr, s);

    f = d.write("unknown.ini", "daemon = true\npid_fle = x\n");
    EXPECT_EQ(GR_ECONFIG, gr_server_create_hosted(&s, f.c_str(), kHostKeys, 0, nullptr, err, sizeof err));
    EXPECT_EQ(f + ":4: pid_fle: unknown key in [server]", std::string(err));

    f = d.write("twice.ini", "daemon = true\npid_file = a\ndaemon = false\n");
    EXPECT_EQ(GR_ECONFIG, gr_server_create_hosted(&s, f.c_str(), kHostKeys, 0, nullptr, err, sizeof err));
    EXPECT_EQ(f + ":5: daemon: repeated (first on line 3)", std::string(err));

    /* Without the table they are no keys of the library's. */
    f = d.write("plain.ini", "daemon = false\n");
    EXPECT_EQ(GR_ECONFIG, gr_server_create(&s, f.c_str(), 0, nullptr, err, sizeof err));
    EXPECT_EQ(f + ":3: daemon: unknown key in [server]", std::string(err));
    EXPECT_EQ(GR_OK, gr_server_create_hosted(&s, f.c_str(), kHostKeys, 0, nullptr, err, sizeof err)) << err;
    gr_server_destroy(s);
}

TEST(HostKeys, TableChecked)
{
    Dir d;
    std::string f = d.write("t.ini", "");
    gr_server_t *s = nullptr;
    char err[GR_SERVER_ERR_LEN] = "";
    const gr_host_key_t library[] = {{"log.level", GR_HOST_BOOL, "false", NULL}, {NULL, 0, NULL, NULL}};
    EXPECT_EQ(GR_EINVAL, gr_server_create_hosted(&s, f.c_str(), library, 0, nullptr, err, sizeof err));
    EXPECT_STREQ("host key log.level: a key of the library's", err);
    const gr_host_key_t twice[] = {{"a", GR_HOST_BOOL, "false", NULL}, {"a", GR_HOST_PATH, "", NULL},
                                   {NULL, 0, NULL, NULL}};
    EXPECT_EQ(GR_EINVAL, gr_server_create_hosted(&s, f.c_str(), twice, 0, nullptr, err, sizeof err));
    EXPECT_STREQ("host key a: declared twice", err);
    const gr_host_key_t bad[] = {{"a", GR_HOST_BOOL, "maybe", NULL}, {NULL, 0, NULL, NULL}};
    EXPECT_EQ(GR_EINVAL, gr_server_create_hosted(&s, f.c_str(), bad, 0, nullptr, err, sizeof err));
    const gr_host_key_t type[] = {{"a", 9, "", NULL}, {NULL, 0, NULL, NULL}};
    EXPECT_EQ(GR_EINVAL, gr_server_create_hosted(&s, f.c_str(), type, 0, nullptr, err, sizeof err));
    EXPECT_EQ(nullptr, s);
}

/* A reload checks them again (the table goes with it) and keeps the values
 * the server was created with: the host read them at its start. */
TEST(HostKeys, ReloadChecksAndKeeps)
{
    Dir d;
    std::string f = d.write("r.ini", "daemon = false\npid_file = one.pid\n");
    gr_server_t *s = nullptr;
    char err[GR_SERVER_ERR_LEN] = "";
    ASSERT_EQ(GR_OK, gr_server_create_hosted(&s, f.c_str(), kHostKeys, 0, nullptr, err, sizeof err)) << err;
    EXPECT_EQ(GR_OK, gr_server_reload(s, nullptr, err, sizeof err)) << err;
    std::string g = d.write("r2.ini", "daemon = true\npid_file = two.pid\n");
    EXPECT_EQ(GR_OK, gr_server_reload(s, g.c_str(), err, sizeof err)) << err;
    EXPECT_EQ("false", setting(s, "daemon"));
    EXPECT_EQ(d.path + kSep + "one.pid", setting(s, "pid_file"));
    std::string bad = d.write("r3.ini", "pid_file = x\ndaemon = sometimes\n");
    EXPECT_EQ(GR_ECONFIG, gr_server_reload(s, bad.c_str(), err, sizeof err));
    EXPECT_EQ(bad + ":4: daemon: invalid value 'sometimes' (expected true or false (also yes/no, on/off, 1/0))",
              std::string(err));
    std::string unknown = d.write("r4.ini", "daemons = true\n");
    EXPECT_EQ(GR_ECONFIG, gr_server_reload(s, unknown.c_str(), err, sizeof err));
    EXPECT_EQ(unknown + ":3: daemons: unknown key in [server]", std::string(err));
    gr_server_destroy(s);
}

} // namespace
