/* test_loader.cpp - the module loader: version checks at load time, the
 * append-only ABI (a module built against ABI 1.0 still works, one built
 * against a newer minor loads when its min_abi_minor allows), C and C++
 * modules, the messages for a missing entry point, modules served in
 * process through libgrocket, and the counters read by name. */
#include <gtest/gtest.h>

#include <string>

#include "gr_dynlib.h" /* GR_MODULE_SUFFIX */
#include "gr_error.h"
#include "gr_module_loader.h"
#include "gr_test_util.h"
#include "libgrocket.h"

static std::string fixture(const char *name)
{
    return std::string(GR_TEST_FIXTURE_DIR) + "/lib" + name + GR_MODULE_SUFFIX;
}

TEST(Loader, LoadsTheDemoModule)
{
    gr_module_host_t h;
    char err[512] = "";
    std::string path = std::string(GR_TEST_MODULE_DIR) + "/libdemo" GR_MODULE_SUFFIX;
    ASSERT_EQ(GR_OK, gr_module_load(&h, path.c_str(), err, sizeof err)) << err;
    EXPECT_STREQ("demo", h.m.name);
    EXPECT_NE(nullptr, h.m.check);
    EXPECT_NE(nullptr, h.m.proc);
    EXPECT_NE(nullptr, h.handle);
    gr_module_unload(&h);
    EXPECT_EQ(nullptr, h.handle);
    gr_module_unload(&h); /* twice is harmless */
}

TEST(Loader, LoadsCAndCxxModules)
{
    const char *names[] = {"gr_fixture_c", "gr_fixture_cxx"};
    const char *expect[] = {"fixture_c", "fixture_cxx"};
    for (int i = 0; i < 2; i++) {
        gr_module_host_t h;
        char err[512] = "";
        ASSERT_EQ(GR_OK, gr_module_load(&h, fixture(names[i]).c_str(), err, sizeof err)) << err;
        EXPECT_STREQ(expect[i], h.m.name);
        gr_module_unload(&h);
    }
}

TEST(Loader, OldAbiModuleLoadsWithNewMembersAbsent)
{
    gr_module_host_t h;
    char err[512] = "";
    ASSERT_EQ(GR_OK, gr_module_load(&h, fixture("gr_fixture_abi_old").c_str(), err, sizeof err)) << err;
    EXPECT_EQ(1 << 16, (int)h.m.abi_version); /* 1.0 */
    EXPECT_LT(h.m.size, sizeof(gr_module_t));
    /* Members appended after 1.0 read as NULL, never as the module's bytes
     * past its own struct. */
    EXPECT_EQ(nullptr, h.m.thread_init);
    EXPECT_EQ(nullptr, h.m.thread_term);
    EXPECT_NE(nullptr, h.m.proc);
    gr_module_unload(&h);
}

TEST(Loader, NewerAbiModuleIsRefusedNamingBothVersions)
{
    gr_module_host_t h;
    char err[512] = "";
    std::string path = fixture("gr_fixture_abi_new");
    ASSERT_EQ(GR_EMODULE, gr_module_load(&h, path.c_str(), err, sizeof err));
    std::string msg = err;
    EXPECT_NE(std::string::npos, msg.find(path)) << msg;
    char theirs[32], ours[32];
    snprintf(theirs, sizeof theirs, "ABI %d.%d", GR_ABI_MAJOR, GR_ABI_MINOR + 1);
    snprintf(ours, sizeof ours, "ABI %d.%d", GR_ABI_MAJOR, GR_ABI_MINOR);
    EXPECT_NE(std::string::npos, msg.find(theirs)) << msg;
    EXPECT_NE(std::string::npos, msg.find(ours)) << msg;
    EXPECT_NE(std::string::npos, msg.find("without stating min_abi_minor")) << msg;
    EXPECT_EQ(nullptr, h.handle);
}

/* Built against the next minor, needing one below ours: loads, the member
 * it appends ignored. */
TEST(Loader, NewerMinorStatingAnOlderMinimumLoads)
{
    gr_module_host_t h;
    char err[512] = "";
    ASSERT_EQ(GR_OK, gr_module_load(&h, fixture("gr_fixture_abi_next_ok").c_str(), err, sizeof err)) << err;
    EXPECT_EQ(GR_ABI_MINOR + 1, GR_ABI_VERSION_MINOR(h.m.abi_version));
    EXPECT_EQ((uint32_t)GR_ABI_MINOR - 1, h.m.min_abi_minor);
    EXPECT_STREQ("0.7", h.m.version);
    EXPECT_NE(nullptr, h.m.proc);
    gr_module_unload(&h);
}

TEST(Loader, NewerMinorNeedingANewerAbiIsRefusedNamingBothVersions)
{
    gr_module_host_t h;
    char err[512] = "";
    std::string path = fixture("gr_fixture_abi_next_refused");
    ASSERT_EQ(GR_EMODULE, gr_module_load(&h, path.c_str(), err, sizeof err));
    char want[768];
    snprintf(want, sizeof want,
             "module %s: needs grocket ABI %d.%d or newer (min_abi_minor %d, built against ABI %d.%d), this grocket "
             "provides ABI %d.%d",
             path.c_str(), GR_ABI_MAJOR, GR_ABI_MINOR + 1, GR_ABI_MINOR + 1, GR_ABI_MAJOR, GR_ABI_MINOR + 1,
             GR_ABI_MAJOR, GR_ABI_MINOR);
    EXPECT_STREQ(want, err);
    EXPECT_EQ(nullptr, h.handle);
}

TEST(Loader, MissingFileAndMissingSymbolAreExplained)
{
    gr_module_host_t h;
    char err[512] = "";
    EXPECT_EQ(GR_EMODULE, gr_module_load(&h, "/nonexistent/libnothing.so", err, sizeof err));
    EXPECT_NE(nullptr, strstr(err, "/nonexistent/libnothing.so")) << err;
    EXPECT_NE(nullptr, strstr(err, "cannot load")) << err;

    std::string path = fixture("gr_fixture_nosym");
    EXPECT_EQ(GR_EMODULE, gr_module_load(&h, path.c_str(), err, sizeof err));
    EXPECT_EQ("module " + path + ": no exported symbol gr_module_entry: not a grocket module, or the function is not "
              "exported (mark it GR_MODULE_EXPORT: modules build with hidden visibility), or C++ defines it without "
              "extern \"C\"",
              std::string(err));

    /* C++ without extern "C": the mangled name is found and named. */
    path = fixture("gr_fixture_nosym_cxx");
    EXPECT_EQ(GR_EMODULE, gr_module_load(&h, path.c_str(), err, sizeof err));
    EXPECT_EQ("module " + path + ": no exported symbol gr_module_entry, but it exports _Z15gr_module_entryv, the C++ "
              "name of gr_module_entry(): declare the function extern \"C\"",
              std::string(err));
}

static long check_all(gr_conn_t *, const char *, size_t len) { return (long)len; }
static int proc_none(gr_conn_t *, const char *, size_t) { return GR_PROC_OK; }

TEST(Loader, AdoptChecksMajorSizeAndRequiredCallbacks)
{
    gr_module_host_t h;
    char err[512] = "";
    gr_module_t m{};
    m.abi_version = GR_ABI_VERSION;
    m.size = sizeof m;
    m.check = check_all;
    m.proc = proc_none;
    ASSERT_EQ(GR_OK, gr_module_adopt(&h, &m, "inline", err, sizeof err)) << err;
    EXPECT_STREQ("unnamed", h.m.name);

    gr_module_t major = m;
    major.abi_version = (2 << 16) | 0;
    EXPECT_EQ(GR_EMODULE, gr_module_adopt(&h, &major, "inline", err, sizeof err));
    EXPECT_NE(nullptr, strstr(err, "ABI 2.0")) << err;

    gr_module_t tiny = m;
    tiny.size = 8;
    EXPECT_EQ(GR_EMODULE, gr_module_adopt(&h, &tiny, "inline", err, sizeof err));
    EXPECT_NE(nullptr, strstr(err, "size is 8")) << err;

    gr_module_t noproc = m;
    noproc.proc = nullptr;
    EXPECT_EQ(GR_EMODULE, gr_module_adopt(&h, &noproc, "inline", err, sizeof err));
    EXPECT_NE(nullptr, strstr(err, "proc")) << err;

    EXPECT_EQ(GR_EMODULE, gr_module_adopt(&h, nullptr, "inline", err, sizeof err));

    /* A newer minor: refused unless it states a minimum we meet; then its
     * struct must hold all of ours. */
    gr_module_t next = m;
    next.abi_version = GR_ABI_VERSION + 1;
    EXPECT_EQ(GR_EMODULE, gr_module_adopt(&h, &next, "inline", err, sizeof err));
    EXPECT_NE(nullptr, strstr(err, "without stating min_abi_minor")) << err;
    next.min_abi_minor = GR_ABI_MINOR;
    EXPECT_EQ(GR_OK, gr_module_adopt(&h, &next, "inline", err, sizeof err)) << err;
    next.min_abi_minor = GR_ABI_MINOR + 1;
    EXPECT_EQ(GR_EMODULE, gr_module_adopt(&h, &next, "inline", err, sizeof err));
    EXPECT_NE(nullptr, strstr(err, "needs grocket ABI")) << err;
    next.min_abi_minor = 1;
    next.size = offsetof(gr_module_t, version);
    EXPECT_EQ(GR_EMODULE, gr_module_adopt(&h, &next, "inline", err, sizeof err));
    EXPECT_NE(nullptr, strstr(err, "expected at least")) << err;
}

/* Serve a module in process on an ephemeral port; returns the server. */
static gr_server_t *serve(const std::string &module_path, const char *extra = "")
{
    std::string ini = "[server]\nmodule = " + module_path + "\nlog.level = warn\n" + extra +
                      "[listen]\n0 = tcp://127.0.0.1:0\n";
    gr_server_t *s = nullptr;
    char err[1024] = "";
    int rc = gr_server_create_from_string(&s, ini.c_str(), "test.ini", nullptr, 0, nullptr, err, sizeof err);
    EXPECT_EQ(GR_OK, rc) << err;
    if (rc != GR_OK)
        return nullptr;
    rc = gr_server_start(s, err, sizeof err);
    EXPECT_EQ(GR_OK, rc) << err;
    if (rc != GR_OK) {
        gr_server_destroy(s);
        return nullptr;
    }
    return s;
}

TEST(Loader, OldAbiModuleServesRequests)
{
    gr_server_t *s = serve(fixture("gr_fixture_abi_old"));
    ASSERT_NE(nullptr, s);
    int port = gr_server_listen_port(s, 0);
    EXPECT_EQ("hello", gr_test_roundtrip(port, "hello", 5));
    /* It sees the full, larger table and reads only the 1.0 prefix. */
    char expect[96];
    snprintf(expect, sizeof expect, "abi=%d.%d size=%zu known=%zu", GR_ABI_MAJOR, GR_ABI_MINOR, sizeof(gr_services_t),
             offsetof(gr_services_t, reply_alloc) /* the 1.0 table ends there */);
    EXPECT_EQ(expect, gr_test_roundtrip(port, "?size", strlen(expect)));
    gr_server_destroy(s);
}

TEST(Loader, NewerMinorStatingAnOlderMinimumServesRequests)
{
    gr_server_t *s = serve(fixture("gr_fixture_abi_next_ok"));
    ASSERT_NE(nullptr, s);
    EXPECT_EQ("hello", gr_test_roundtrip(gr_server_listen_port(s, 0), "hello", 5));
    gr_server_destroy(s);
}

/* Counters by name (ABI 1.6): one at a time and the whole list. */
TEST(Loader, CountersReadByName)
{
    gr_server_t *s = serve(fixture("gr_fixture_c"));
    ASSERT_NE(nullptr, s);
    int port = gr_server_listen_port(s, 0);
    EXPECT_EQ("hello", gr_test_roundtrip(port, "hello", 5));
    /* This package is the second cut by tcp_in, on the second connection. */
    EXPECT_EQ("2", gr_test_roundtrip(port, "?stat tcp_in packages", 1));
    EXPECT_EQ("3", gr_test_roundtrip(port, "?stat tcp_accept accepted", 1));
    EXPECT_EQ("0", gr_test_roundtrip(port, "?stat - lingered", 1));
    std::string bad = "rc=" + std::to_string(GR_EINVAL);
    EXPECT_EQ(bad, gr_test_roundtrip(port, "?stat tcp_in no_such_counter", bad.size()));
    EXPECT_EQ(bad, gr_test_roundtrip(port, "?stat no_such_group packages", bad.size()));
    EXPECT_EQ(bad, gr_test_roundtrip(port, "?stat - packages", bad.size()));
    /* 5 server-wide counters, 6 groups of 26: at least, as counters only
     * get added. */
    std::string list = gr_test_roundtrip(port, "?stat_list", 128); /* answered, then closed */
    EXPECT_EQ(0u, list.find("n=")) << list;
    EXPECT_GE(atoi(list.c_str() + 2), 5 + 6 * 26) << list;
    EXPECT_NE(std::string::npos, list.find(" uptime_ms tcp_in.packages=8")) << list;
    gr_server_destroy(s);
}

TEST(Loader, CxxModuleGetsThreadInitAndUserPointer)
{
    gr_server_t *s = serve(fixture("gr_fixture_cxx"), "worker.disabled = false\nworker.thread_count = 3\n");
    ASSERT_NE(nullptr, s);
    int port = gr_server_listen_port(s, 0);
    int fd = gr_test_connect("127.0.0.1", port);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(gr_test_send(fd, "abc"));
    EXPECT_EQ("abc", gr_test_recv(fd, 3));
    ASSERT_TRUE(gr_test_send(fd, "?stats"));
    std::string stats = gr_test_recv(fd, strlen("threads=3 conns=1 packages=2"));
    /* three workers ran thread_init; the user pointer counted 2 packages */
    EXPECT_EQ("threads=3 conns=1 packages=2", stats);
    gr_test_close(fd);
    gr_server_destroy(s);
}

TEST(Loader, InProcessModuleAndServerInfo)
{
    gr_server_t *s = serve(fixture("gr_fixture_c"), "tcp.in.thread_count = 2\n");
    ASSERT_NE(nullptr, s);
    int port = gr_server_listen_port(s, 0);
    std::string want = "port=" + std::to_string(port) + " in=2";
    EXPECT_EQ(want, gr_test_roundtrip(port, "?info", want.size()));
    gr_server_destroy(s);
}

TEST(Loader, ModuleInitFailureStopsStartup)
{
    std::string ini = "[server]\nmodule = " + fixture("gr_fixture_c") +
                      "\nlog.level = error\n[fixture]\nfail_init = true\n[listen]\n0 = tcp://127.0.0.1:0\n";
    gr_server_t *s = nullptr;
    char err[1024] = "";
    ASSERT_EQ(GR_OK, gr_server_create_from_string(&s, ini.c_str(), "t.ini", nullptr, 0, nullptr, err, sizeof err));
    EXPECT_EQ(GR_EREFUSED, gr_server_start(s, err, sizeof err));
    EXPECT_NE(nullptr, strstr(err, "init failed")) << err;
    gr_server_destroy(s);
}

static int embedded_proc(gr_conn_t *c, const char *pkg, size_t len);
static const gr_services_t *embedded_gr;
static int embedded_init(const gr_services_t *svc)
{
    embedded_gr = svc;
    return 0;
}
static int embedded_proc(gr_conn_t *c, const char *pkg, size_t len)
{
    embedded_gr->reply(c, "[", 1);
    embedded_gr->reply(c, pkg, len);
    embedded_gr->reply(c, "]", 1);
    return GR_PROC_OK;
}

TEST(Loader, ModuleGivenAsFunctionPointers)
{
    gr_module_t m{};
    m.abi_version = GR_ABI_VERSION;
    m.size = sizeof m;
    m.name = "embedded";
    m.init = embedded_init;
    m.check = check_all;
    m.proc = embedded_proc;
    gr_server_t *s = nullptr;
    char err[1024] = "";
    const char *ini = "[server]\nlog.level = warn\n[listen]\n0 = tcp://127.0.0.1:0\n";
    ASSERT_EQ(GR_OK, gr_server_create_from_string(&s, ini, "embedded.ini", &m, 0, nullptr, err, sizeof err)) << err;
    ASSERT_EQ(GR_OK, gr_server_start(s, err, sizeof err)) << err;
    EXPECT_EQ("[xyz]", gr_test_roundtrip(gr_server_listen_port(s, 0), "xyz", 5));
    gr_server_destroy(s);
}
