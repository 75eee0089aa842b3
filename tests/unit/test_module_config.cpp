/* test_module_config.cpp - a module's sections against the keys it declares
 * (gr_module_t.config_keys): undeclared sections and keys, bad values and
 * malformed tables are errors naming file, line and key; a module that
 * declares nothing gets a warning per section; config_int/str/bool give
 * declared defaults and log an undeclared key once; a server refuses such a
 * file at create and at a reload; the -t report names the module, its
 * version and its keys. */
#include <gtest/gtest.h>

#include "gr_config.h"
#include "gr_log.h"
#include "gr_module_config.h"
#include "grocket.h"
#include "libgrocket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

long check_len(gr_conn_t *, const char *, size_t len) { return (long)len; }

/* One declaration, the rest zero (C++17 has no designated initializers). */
gr_config_key_t key(const char *section, const char *name, int type, const char *def = NULL, int64_t min = 0,
                    int64_t max = 0)
{
    gr_config_key_t k{};
    k.section = section;
    k.name = name;
    k.type = type;
    k.def = def;
    k.min = min;
    k.max = max;
    return k;
}
const gr_config_key_t kEnd{};
int proc_none(gr_conn_t *, const char *, size_t) { return GR_PROC_OK; }

const gr_config_key_t kKeys[] = {
    key("shop", "name", GR_CONFIG_STRING, "corner", 1, 8),
    key("shop", "open", GR_CONFIG_BOOL, "yes"),
    key("shop", "tills", GR_CONFIG_INT, "2", 1, 16),
    key("shop", "cache", GR_CONFIG_SIZE, "4k", 1024, 1 << 20),
    key("shop", "offset", GR_CONFIG_INT), /* no default, any integer */
    key("stock", "file", GR_CONFIG_STRING, "stock.csv"),
    kEnd,
};

gr_module_t declaring(const gr_config_key_t *keys = kKeys)
{
    gr_module_t m;
    memset(&m, 0, sizeof m);
    m.abi_version = GR_ABI_VERSION;
    m.size = sizeof m;
    m.name = "shop";
    m.check = check_len;
    m.proc = proc_none;
    m.config_keys = keys;
    return m;
}

/* gr_module_config_check of text for m; "" when good, else the error. */
std::string check(const std::string &text, const gr_module_t &m, int *rc_out = nullptr)
{
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    EXPECT_EQ(0, gr_config_load_string(&cfg, text.c_str(), "m.ini", err, sizeof err)) << err;
    int rc = gr_module_config_check(cfg, &m, err, sizeof err);
    gr_config_free(cfg);
    if (rc_out)
        *rc_out = rc;
    return rc == 0 ? "" : err;
}

std::string slurp(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/* The log lines written while fn runs. */
template <typename F> std::string logged(F fn)
{
    char path[] = "/tmp/grocket-modcfg-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    close(fd);
    EXPECT_EQ(0, gr_log_open(path));
    fn();
    gr_log_close();
    std::string text = slurp(path);
    unlink(path);
    return text;
}

size_t count(const std::string &hay, const std::string &needle)
{
    size_t n = 0;
    for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1))
        n++;
    return n;
}

} // namespace

TEST(ModuleConfig, DeclaredSectionsAndValuesPass)
{
    gr_module_t m = declaring();
    EXPECT_EQ("", check("[server]\nbogus = 1\n[shop]\nname = deli\nopen = off\ntills = 16\ncache = 1M\n"
                        "offset = -3\n[stock]\nfile = x\n[listen]\nweird = stays for gr_settings\n",
                        m));
    EXPECT_EQ(6, gr_module_config_key_count(&m));
}

TEST(ModuleConfig, UndeclaredKeyNamesFileLineKey)
{
    gr_module_t m = declaring();
    int rc = 0;
    EXPECT_EQ("m.ini:3: tils: unknown key in [shop] (module shop does not declare it; did you mean tills?)",
              check("[shop]\nname = deli\ntils = 3\n", m, &rc));
    EXPECT_EQ(GR_ECONFIG, rc);
    EXPECT_EQ("m.ini:2: colour: unknown key in [shop] (module shop does not declare it)",
              check("[shop]\ncolour = red\n", m));
    /* A key of another declared section is not declared here. */
    EXPECT_EQ("m.ini:2: file: unknown key in [shop] (module shop does not declare it)",
              check("[shop]\nfile = x\n", m));
}

TEST(ModuleConfig, UndeclaredSectionIsAnError)
{
    gr_module_t m = declaring();
    EXPECT_EQ("m.ini:4: x: unknown section [shopp] (module shop does not declare it; did you mean [shop]?)",
              check("[shop]\nname = a\n[shopp]\nx = 1\n", m));
    EXPECT_EQ("m.ini:2: y: unknown section [other] (module shop does not declare it)", check("[other]\ny = 1\n", m));
}

TEST(ModuleConfig, BadValuesNamed)
{
    gr_module_t m = declaring();
    EXPECT_EQ("m.ini:2: tills: invalid value '17' (expected an integer 1..16)", check("[shop]\ntills = 17\n", m));
    EXPECT_EQ("m.ini:2: tills: invalid value 'two' (expected an integer 1..16)", check("[shop]\ntills = two\n", m));
    EXPECT_EQ("m.ini:2: open: invalid value 'maybe' (expected true or false (also yes/no, on/off, 1/0))",
              check("[shop]\nopen = maybe\n", m));
    EXPECT_EQ("m.ini:2: name: invalid value 'delicatessen' (expected 1..8 characters)",
              check("[shop]\nname = delicatessen\n", m));
    EXPECT_EQ("m.ini:2: name: invalid value '' (expected 1..8 characters)", check("[shop]\nname =\n", m));
    EXPECT_EQ("m.ini:2: cache: invalid value '2M' (expected a size 1024..1048576 bytes (digits, optionally k, m or g))",
              check("[shop]\ncache = 2M\n", m));
    EXPECT_EQ("m.ini:2: offset: invalid value '1.5' (expected an integer)", check("[shop]\noffset = 1.5\n", m));
    EXPECT_EQ("m.ini:3: tills: repeated (first on line 2)", check("[shop]\ntills = 1\ntills = 2\n", m));
}

/* A section that is a near miss of [server] or [listen] is an error unless
 * the module declares it: the likely mistake is the server's section. */
TEST(ModuleConfig, NearMissOfTheServersSections)
{
    gr_module_t m = declaring();
    EXPECT_EQ("m.ini:2: [sever]: unknown section, probably meant [server]", check("[sever]\nmodule = x\n", m));
    gr_module_t none = declaring(nullptr);
    EXPECT_EQ("m.ini:2: [Listen]: unknown section, probably meant [listen]", check("[Listen]\n0 = x\n", none));
    const gr_config_key_t lister[] = {key("lister", "k", GR_CONFIG_INT), kEnd};
    EXPECT_EQ("", check("[lister]\nk = 1\n", declaring(lister)));
}

TEST(ModuleConfig, MalformedTableIsTheModulesBug)
{
    int rc = 0;
    const gr_config_key_t bad_def[] = {
        key("a", "n", GR_CONFIG_INT, "0", 1, 9), kEnd};
    EXPECT_EQ("module shop: config_keys[0] ([a] n): its default does not fit its own type and range "
              "(expected an integer 1..9)",
              check("", declaring(bad_def), &rc));
    EXPECT_EQ(GR_EMODULE, rc);
    const gr_config_key_t server[] = {key("server", "n", GR_CONFIG_INT), kEnd};
    EXPECT_NE("", check("", declaring(server)));
    const gr_config_key_t no_section[] = {key(NULL, "n", GR_CONFIG_INT), kEnd};
    EXPECT_NE("", check("", declaring(no_section)));
    const gr_config_key_t bad_type[] = {key("a", "n", 99), kEnd};
    EXPECT_EQ("module shop: config_keys[0] ([a] n): unknown type (expected GR_CONFIG_INT, _BOOL, _STRING or _SIZE)",
              check("", declaring(bad_type)));
    const gr_config_key_t twice[] = {key("a", "n", GR_CONFIG_INT),
                                     key("a", "n", GR_CONFIG_BOOL),
                                     kEnd};
    EXPECT_EQ("module shop: config_keys[1] ([a] n): declared twice", check("", declaring(twice)));
    const gr_config_key_t upside[] = {key("a", "n", GR_CONFIG_INT, NULL, 5, 1),
                                      kEnd};
    EXPECT_EQ("module shop: config_keys[0] ([a] n): min is more than max", check("", declaring(upside)));
}

/* Modules built so far declare nothing: their sections pass, each with a
 * warning naming file and line. */
TEST(ModuleConfig, NothingDeclaredWarnsPerSection)
{
    gr_module_t none = declaring(nullptr);
    std::string result;
    std::string log = logged([&] { result = check("[server]\nx = 1\n\n[fixture]\nfail_init = true\n[more]\na = b\n", none); });
    EXPECT_EQ("", result);
    EXPECT_NE(std::string::npos,
              log.find("m.ini:5: [fixture]: not checked: module shop declares no configuration keys"))
        << log;
    EXPECT_NE(std::string::npos, log.find("m.ini:7: [more]: not checked")) << log;
    EXPECT_EQ(std::string::npos, log.find("[server]")) << log;
    /* An empty table is the same as none. */
    const gr_config_key_t empty[] = {kEnd};
    EXPECT_EQ("", check("[any]\nk = v\n", declaring(empty)));
}

TEST(ModuleConfig, LookupsGiveDeclaredDefaults)
{
    char err[GR_CONFIG_ERR_LEN];
    gr_config_t *cfg = NULL;
    ASSERT_EQ(0, gr_config_load_string(&cfg, "[shop]\ntills = 5\ncache = 8k\n[server]\nqueue.size = 64\n", "m.ini",
                                       err, sizeof err));
    gr_module_t m = declaring();
    EXPECT_EQ(5, gr_module_config_int(cfg, &m, "shop", "tills", -1));
    EXPECT_EQ(8192, gr_module_config_int(cfg, &m, "shop", "cache", -1)); /* a size, with its suffix */
    EXPECT_EQ(1, gr_module_config_bool(cfg, &m, "shop", "open", 0));     /* declared default "yes" */
    EXPECT_EQ(1, gr_module_config_int(cfg, &m, "shop", "open", -1));
    EXPECT_STREQ("corner", gr_module_config_str(cfg, &m, "shop", "name", "x"));
    EXPECT_EQ(-7, gr_module_config_int(cfg, &m, "shop", "offset", -7)); /* no declared default: the caller's */
    EXPECT_EQ(64, gr_module_config_int(cfg, &m, "server", "queue.size", -1)); /* the server's: as they are */
    /* A module that declares nothing reads as before: the file, else def. */
    gr_module_t none = declaring(nullptr);
    EXPECT_EQ(-1, gr_module_config_bool(cfg, &none, "shop", "open", -1));
    EXPECT_EQ(9, gr_module_config_int(cfg, &none, "shop", "typo", 9));
    EXPECT_EQ(5, gr_module_config_int(cfg, &none, "shop", "tills", 9));
    EXPECT_EQ(3, gr_module_config_int(NULL, &m, "shop", "tills", 3));
    gr_config_free(cfg);
}

/* A typo in the module's own code gets def and one error line, not two. */
TEST(ModuleConfig, UndeclaredLookupLogsOnce)
{
    char err[GR_CONFIG_ERR_LEN];
    gr_config_t *cfg = NULL;
    ASSERT_EQ(0, gr_config_load_string(&cfg, "[shop]\ntils = 5\n", "m.ini", err, sizeof err));
    gr_module_t m = declaring();
    int64_t a = 0, b = 0;
    const char *c = NULL;
    std::string log = logged([&] {
        a = gr_module_config_int(cfg, &m, "shop", "tils", 42);
        b = gr_module_config_int(cfg, &m, "shop", "tils", 43);
        c = gr_module_config_str(cfg, &m, "stock", "fiel", "d");
    });
    EXPECT_EQ(42, a);
    EXPECT_EQ(43, b);
    EXPECT_STREQ("d", c);
    EXPECT_EQ(1u, count(log, "module shop: config_int(\"shop\", \"tils\"): key not declared in its config_keys"))
        << log;
    EXPECT_EQ(1u, count(log, "config_str(\"stock\", \"fiel\")")) << log;
    gr_config_free(cfg);
}

/* At create: the module's declarations apply to the file (a bad value is
 * refused with file, line and key), and the -t report names the module,
 * its version and its keys. */
TEST(ModuleConfig, ServerCreateChecksAndReports)
{
    gr_module_t m = declaring();
    m.version = "9.9.1";
    gr_server_t *s = NULL;
    char err[1024] = "";
    const char *listen = "[listen]\n0 = tcp://127.0.0.1:0\n";
    std::string bad = std::string("[server]\nlog.level = error\n[shop]\ntills = 0\n") + listen;
    EXPECT_EQ(GR_ECONFIG, gr_server_create_from_string(&s, bad.c_str(), "s.ini", &m, 0, nullptr, err, sizeof err));
    EXPECT_STREQ("s.ini:4: tills: invalid value '0' (expected an integer 1..16)", err);
    EXPECT_EQ(nullptr, s);

    std::string good = std::string("[server]\nlog.level = error\ntcp.in.thread_count = 3\n[shop]\ntills = 4\n") + listen;
    ASSERT_EQ(GR_OK, gr_server_create_from_string(&s, good.c_str(), "s.ini", &m, 0, nullptr, err, sizeof err)) << err;
    char report[4096];
    int n = gr_server_check_report(s, report, sizeof report);
    EXPECT_EQ((size_t)n, strlen(report));
    std::string r = report;
    EXPECT_NE(std::string::npos, r.find("module: shop version 9.9.1, in process, built for ABI ")) << r;
    EXPECT_NE(std::string::npos, r.find("6 key(s) it declares:\n  [shop] name: string, default 'corner'\n"
                                        "  [shop] open: boolean, default 'yes'\n")) << r;
    EXPECT_NE(std::string::npos, r.find("  [shop] offset: integer\n")) << r;
    EXPECT_NE(std::string::npos, r.find("tcp.in 3,")) << r;
    EXPECT_NE(std::string::npos, r.find("not checked: that the listen ports are free")) << r;
    /* Truncated: still NUL-terminated, the full length returned. */
    char small[16];
    EXPECT_EQ(n, gr_server_check_report(s, small, sizeof small));
    EXPECT_EQ(15u, strlen(small));
    gr_server_destroy(s);
}

/* A reload runs the same checks: a bad value in a declared section is
 * refused with file, line and key, and nothing changes. */
TEST(ModuleConfig, ReloadChecksTheDeclaredKeys)
{
    gr_module_t m = declaring();
    gr_server_t *s = NULL;
    char err[1024] = "";
    const char *ini = "[server]\nlog.level = error\n[shop]\ntills = 4\n[listen]\n0 = tcp://127.0.0.1:0\n";
    ASSERT_EQ(GR_OK, gr_server_create_from_string(&s, ini, "s.ini", &m, 0, nullptr, err, sizeof err)) << err;
    char path[] = "/tmp/grocket-reload-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    const char *bad = "[server]\nlog.level = error\n[shop]\ntills = 4\ncolour = red\n[listen]\n0 = tcp://127.0.0.1:0\n";
    ASSERT_EQ((ssize_t)strlen(bad), write(fd, bad, strlen(bad)));
    close(fd);
    EXPECT_EQ(GR_ECONFIG, gr_server_reload(s, path, err, sizeof err));
    EXPECT_EQ(std::string(path) + ":5: colour: unknown key in [shop] (module shop does not declare it)", err);
    unlink(path);
    gr_server_destroy(s);
}
