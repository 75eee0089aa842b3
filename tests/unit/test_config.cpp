/* test_config.cpp - configuration: inih parsing with line numbers, the
 * typed look-ups, [server] and [listen] validation with file:line:key
 * messages, path resolution, and the shipped conf/grocketd.ini and
 * docs/configuration.md kept in step with the defaults in
 * gr_settings_keys.cpp and grocketd's own keys (grocketd/grocketd_keys.h),
 * thread counts of "auto". */
#include <gtest/gtest.h>

#include "gr_config.h"
#include "gr_config_value.h"
#include "gr_error.h"
#include "gr_settings.h"
#include "gr_settings_keys.h"
#include "gr_path.h"
#include "gr_socket.h" /* gr_udp_can_share_port */
#include "gr_thread.h"
#include "grocket.h"
#include "../../grocketd/grocketd_keys.h" /* grocketd's own [server] keys */
#include "gr_test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

const char *kMinimal = "[listen]\n0 = tcp://127.0.0.1:0\n";

/* Load text and validate it; returns the rc of whichever step failed. */
int settings_of(const std::string &text, gr_settings_t *s, std::string *err)
{
    char buf[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    int rc = gr_config_load_string(&cfg, text.c_str(), "test.ini", buf, sizeof(buf));
    if (rc == 0) {
        rc = gr_settings_from_config(s, cfg, buf, sizeof(buf));
        gr_config_free(cfg);
    }
    *err = buf;
    return rc;
}

/* The error text for a [server] block plus a valid [listen]. */
std::string server_error(const std::string &server_lines)
{
    gr_settings_t s;
    std::string err;
    int rc = settings_of("[server]\n" + server_lines + kMinimal, &s, &err);
    EXPECT_EQ(rc, GR_ECONFIG) << server_lines;
    return err;
}

std::string listen_error(const std::string &value)
{
    gr_settings_t s;
    std::string err;
    int rc = settings_of("[listen]\nweb = " + value + "\n", &s, &err);
    EXPECT_EQ(rc, GR_ECONFIG) << value;
    return err;
}

std::string cwd()
{
    char buf[4096];
    EXPECT_NE(getcwd(buf, sizeof(buf)), nullptr);
    return buf;
}

/* How the system joins a relative path to its directory, and what it makes
 * of a path rooted without a drive ("/opt/m.so"): Windows puts its
 * separator in between and gives a rooted path the current drive (these
 * tests' source and build paths are Linux ones, which Wine maps on a drive). */
#ifdef _WIN32
const char *kSep = "\\";
std::string rooted(const std::string &p) { return p[0] == '/' ? cwd().substr(0, 2) + p : p; }
#else
const char *kSep = "/";
std::string rooted(const std::string &p) { return p; }
#endif

/* A scratch directory under the test's temp dir, removed at the end. */
struct TempDir {
    std::string path;
    TempDir()
    {
        path = gr_test_mkdtemp("gr_config_");
        EXPECT_NE(path, "");
    }
    ~TempDir() { gr_test_rmtree(path); }
    std::string write(const char *name, const std::string &text)
    {
        std::string f = path + "/" + name;
        FILE *fp = fopen(f.c_str(), "w");
        EXPECT_NE(fp, nullptr);
        fputs(text.c_str(), fp);
        fclose(fp);
        return f;
    }
};

const std::string kSource = GR_TEST_SOURCE_DIR;
const std::string kShipped = kSource + "/conf/grocketd.ini";

} // namespace

// ---------------------------------------------------------------- values

TEST(ConfigParse, Int)
{
    int64_t v = 0;
    EXPECT_EQ(gr_parse_int("0", &v), 0);
    EXPECT_EQ(v, 0);
    EXPECT_EQ(gr_parse_int("+42", &v), 0);
    EXPECT_EQ(v, 42);
    EXPECT_EQ(gr_parse_int("-17", &v), 0);
    EXPECT_EQ(v, -17);
    EXPECT_EQ(gr_parse_int("9223372036854775807", &v), 0);
    EXPECT_EQ(v, INT64_MAX);
    EXPECT_EQ(gr_parse_int("-9223372036854775808", &v), 0);
    EXPECT_EQ(v, INT64_MIN);
    v = 5;
    for (const char *bad : { "", "+", "-", "12x", "1k", " 1", "1 ", "0x10", "1.5", "9223372036854775808",
                             "-9223372036854775809", "99999999999999999999" }) {
        EXPECT_EQ(gr_parse_int(bad, &v), GR_EINVAL) << bad;
    }
    EXPECT_EQ(v, 5); /* untouched on error */
    EXPECT_EQ(gr_parse_int(NULL, &v), GR_EINVAL);
}

TEST(ConfigParse, Bool)
{
    int b = -1;
    for (const char *t : { "true", "TRUE", "Yes", "on", "1" }) {
        EXPECT_EQ(gr_parse_bool(t, &b), 0) << t;
        EXPECT_EQ(b, 1) << t;
    }
    for (const char *f : { "false", "False", "NO", "off", "0" }) {
        EXPECT_EQ(gr_parse_bool(f, &b), 0) << f;
        EXPECT_EQ(b, 0) << f;
    }
    for (const char *bad : { "", "2", "y", "tru", "truee", "enable" })
        EXPECT_EQ(gr_parse_bool(bad, &b), GR_EINVAL) << bad;
}

// ---------------------------------------------------------------- raw config

TEST(ConfigLoad, EntriesLinesAndLookups)
{
    const char *text = "; comment\n"
                       "[demo]\n"
                       "greeting = hello world\n"
                       "  count = 42   ; inline comment\n"
                       "\n"
                       "# another comment\n"
                       "on = yes\n"
                       "count = 43\n"
                       "bad = 12x\n"
                       "url = tcp://a;b\n"
                       "[other]\n"
                       "count: 7\n";
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    ASSERT_EQ(gr_config_load_string(&cfg, text, "mod.ini", err, sizeof(err)), 0) << err;
    EXPECT_STREQ(gr_config_name(cfg), "mod.ini");

    EXPECT_STREQ(gr_config_get(cfg, "demo", "greeting"), "hello world");
    EXPECT_EQ(gr_config_line(cfg, "demo", "greeting"), 3);
    /* Repeated: the last one wins, with its line. */
    EXPECT_STREQ(gr_config_get(cfg, "demo", "count"), "43");
    EXPECT_EQ(gr_config_line(cfg, "demo", "count"), 8);
    EXPECT_EQ(gr_config_get_int(cfg, "demo", "count", -1), 43);
    EXPECT_EQ(gr_config_get_int(cfg, "other", "count", -1), 7);
    EXPECT_EQ(gr_config_get_int(cfg, "demo", "bad", -1), -1);     /* unparsable: def */
    EXPECT_EQ(gr_config_get_int(cfg, "demo", "absent", -2), -2);  /* absent: def */
    EXPECT_EQ(gr_config_get_bool(cfg, "demo", "on", 0), 1);
    EXPECT_EQ(gr_config_get_bool(cfg, "demo", "greeting", 7), 7);
    EXPECT_EQ(gr_config_get_bool(cfg, "demo", "absent", 0), 0);
    EXPECT_STREQ(gr_config_get(cfg, "demo", "url"), "tcp://a;b"); /* ';' not after a blank */
    EXPECT_EQ(gr_config_get(cfg, "demo", "absent"), nullptr);
    EXPECT_EQ(gr_config_get(cfg, "absent", "count"), nullptr);
    EXPECT_EQ(gr_config_line(cfg, "demo", "absent"), 0);

    /* Iteration in file order, repeats included. */
    const char *want_keys[] = { "greeting", "count", "on", "count", "bad", "url" };
    const int want_lines[] = { 3, 4, 7, 8, 9, 10 };
    int i = 0;
    const char *value = NULL;
    int line = 0;
    for (const char *key; (key = gr_config_key_at(cfg, "demo", i, &value, &line)) != NULL; i++) {
        ASSERT_LT(i, 6);
        EXPECT_STREQ(key, want_keys[i]);
        EXPECT_EQ(line, want_lines[i]) << key;
    }
    EXPECT_EQ(i, 6);
    EXPECT_STREQ(gr_config_key_at(cfg, "demo", 1, &value, NULL), "count");
    EXPECT_STREQ(value, "42");
    EXPECT_EQ(gr_config_key_at(cfg, "demo", -1, NULL, NULL), nullptr);
    EXPECT_EQ(gr_config_key_at(cfg, "nothing", 0, NULL, NULL), nullptr);
    gr_config_free(cfg);
}

TEST(ConfigLoad, SyntaxErrorNamesLine)
{
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = (gr_config_t *)&err; /* must be reset to NULL */
    EXPECT_EQ(gr_config_load_string(&cfg, "[server]\nlog.level = info\n\nthis is not ini\nx = 1\n", "bad.ini", err,
                                    sizeof(err)),
              GR_ECONFIG);
    EXPECT_EQ(cfg, nullptr);
    EXPECT_NE(strstr(err, "bad.ini:4: syntax error"), nullptr) << err;

    EXPECT_EQ(gr_config_load_string(&cfg, "[server\n", "bad.ini", err, sizeof(err)), GR_ECONFIG);
    EXPECT_NE(strstr(err, "bad.ini:1: syntax error"), nullptr) << err;
}

TEST(ConfigLoad, LongLineIsAnErrorNotASplit)
{
    std::string text = "[demo]\nok = 1\nlong = " + std::string(5000, 'x') + "\nafter = 2\n";
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    EXPECT_EQ(gr_config_load_string(&cfg, text.c_str(), "long.ini", err, sizeof(err)), GR_ECONFIG);
    EXPECT_NE(strstr(err, "long.ini:3: line too long"), nullptr) << err;

    /* The limit the message gives holds for LF and CRLF lines alike. */
    int max = atoi(strstr(err, "at most ") + 8);
    ASSERT_GT(max, 100);
    for (const char *eol : { "\n", "\r\n" }) {
        std::string fits = "[d]" + std::string(eol) + "k = " + std::string(max - 4, 'v') + eol;
        ASSERT_EQ(gr_config_load_string(&cfg, fits.c_str(), "fits.ini", err, sizeof(err)), 0) << err;
        EXPECT_EQ(strlen(gr_config_get(cfg, "d", "k")), (size_t)max - 4);
        gr_config_free(cfg);
        std::string over = "[d]" + std::string(eol) + "k = " + std::string(max - 3, 'v') + eol;
        EXPECT_EQ(gr_config_load_string(&cfg, over.c_str(), "over.ini", err, sizeof(err)), GR_ECONFIG);
    }
}

TEST(ConfigLoad, CrLfAndNoFinalNewline)
{
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    ASSERT_EQ(gr_config_load_string(&cfg, "[a]\r\nk = v\r\n\r\nj = w", "crlf.ini", err, sizeof(err)), 0) << err;
    EXPECT_STREQ(gr_config_get(cfg, "a", "k"), "v");
    EXPECT_STREQ(gr_config_get(cfg, "a", "j"), "w");
    EXPECT_EQ(gr_config_line(cfg, "a", "j"), 4);
    gr_config_free(cfg);
}

TEST(ConfigLoad, UnreadableFileGivesErrno)
{
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    EXPECT_EQ(gr_config_load_file(&cfg, "/nonexistent/grocketd.ini", err, sizeof(err)), -ENOENT);
    EXPECT_EQ(cfg, nullptr);
    EXPECT_STREQ(err, (std::string("/nonexistent/grocketd.ini: ") + strerror(ENOENT)).c_str());

    /* A directory opens but does not read (Windows does not open it as a
     * file at all: access denied). */
#ifdef _WIN32
    const int kDirErr = EACCES;
#else
    const int kDirErr = EISDIR;
#endif
    TempDir d;
    EXPECT_EQ(gr_config_load_file(&cfg, d.path.c_str(), err, sizeof(err)), -kDirErr);
    EXPECT_EQ(std::string(err), d.path + ": " + strerror(kDirErr));
}

TEST(ConfigLoad, FileLinesAndSyntaxError)
{
    TempDir d;
    std::string f = d.write("x.ini", "[demo]\n\nk = 1\n[bad\n");
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    EXPECT_EQ(gr_config_load_file(&cfg, f.c_str(), err, sizeof(err)), GR_ECONFIG);
    EXPECT_EQ(std::string(err).rfind(f + ":4: syntax error", 0), 0u) << err;

    f = d.write("y.ini", "[demo]\n\nk = 1\n");
    ASSERT_EQ(gr_config_load_file(&cfg, f.c_str(), err, sizeof(err)), 0) << err;
    EXPECT_EQ(gr_config_line(cfg, "demo", "k"), 3);
    EXPECT_STREQ(gr_config_name(cfg), f.c_str());
    gr_config_free(cfg);
}

// ---------------------------------------------------------------- settings

TEST(ConfigSettings, Defaults)
{
    gr_settings_t s;
    memset(&s, 0x5a, sizeof(s));
    gr_settings_defaults(&s);
    EXPECT_EQ(s.log_level, GR_LOG_INFO);
    EXPECT_STREQ(s.log_file, "");
    EXPECT_STREQ(s.module, ""); /* no default: a server loading a module by path needs the key */
    EXPECT_EQ(s.cpu_affinity, 0);
    EXPECT_EQ(s.tcp_accept_threads, 1);
    EXPECT_EQ(s.tcp_accept_backlog, 511);
    EXPECT_EQ(s.tcp_in_threads, gr_cpu_count()); /* auto */
    EXPECT_EQ(s.recv_buf_init, 256);
    EXPECT_EQ(s.recv_buf_max, 10485760);
    EXPECT_EQ(s.tcp_out_threads, 1);
    EXPECT_EQ(s.tcp_out_disabled, 1);
    EXPECT_EQ(s.worker_threads, 1);
    EXPECT_EQ(s.worker_disabled, 1);
    EXPECT_EQ(s.queue_size, 4096);
    EXPECT_EQ(s.listen_count, 0);
}

/* An empty [server] gives the defaults, paths resolved against the cwd. */
TEST(ConfigSettings, EmptyServerIsDefaults)
{
    gr_settings_t s, d;
    std::string err;
    ASSERT_EQ(settings_of(kMinimal, &s, &err), 0) << err;
    gr_settings_defaults(&d);
    EXPECT_EQ(s.log_level, d.log_level);
    EXPECT_EQ(s.recv_buf_max, d.recv_buf_max);
    EXPECT_STREQ(s.module, ""); /* empty stays empty */
    EXPECT_STREQ(s.log_file, "");
    ASSERT_EQ(s.listen_count, 1);
}

TEST(ConfigSettings, EveryKeyParsed)
{
    const char *text = "[server]\n"
                       "log.level = DEBUG\n"
                       "log.file = /var/log/g.log\n"
                       "module = /opt/m.so\n"
                       "cpu_affinity = on\n"
                       "tcp.accept.thread_count = 64\n"
                       "tcp.accept.backlog = 65535\n"
                       "tcp.in.thread_count = 256\n"
                       "tcp.in.recv_buf.init = 64\n"
                       "tcp.in.recv_buf.max = 1073741824\n"
                       "tcp.out.thread_count = 3\n"
                       "tcp.out.disabled = false\n"
                       "worker.thread_count = 5\n"
                       "worker.disabled = 0\n"
                       "queue.size = 2\n"
                       "[listen]\n"
                       "a = tcp://127.0.0.1:8000\n";
    gr_settings_t s;
    std::string err;
    ASSERT_EQ(settings_of(text, &s, &err), 0) << err;
    EXPECT_EQ(s.log_level, GR_LOG_DEBUG);
    EXPECT_EQ(s.log_file, rooted("/var/log/g.log"));
    EXPECT_EQ(s.module, rooted("/opt/m.so"));
    EXPECT_EQ(s.cpu_affinity, 1);
    EXPECT_EQ(s.tcp_accept_threads, 64);
    EXPECT_EQ(s.tcp_accept_backlog, 65535);
    EXPECT_EQ(s.tcp_in_threads, 256);
    EXPECT_EQ(s.recv_buf_init, 64);
    EXPECT_EQ(s.recv_buf_max, (int64_t)1 << 30);
    EXPECT_EQ(s.tcp_out_threads, 3);
    EXPECT_EQ(s.tcp_out_disabled, 0);
    EXPECT_EQ(s.worker_threads, 5);
    EXPECT_EQ(s.worker_disabled, 0);
    EXPECT_EQ(s.queue_size, 2);

    /* The other levels. */
    for (auto lv : { std::make_pair("warn", GR_LOG_WARN), std::make_pair("Error", GR_LOG_ERROR),
                     std::make_pair("info", GR_LOG_INFO) }) {
        ASSERT_EQ(settings_of(std::string("[server]\nlog.level = ") + lv.first + "\n" + kMinimal, &s, &err), 0)
            << err;
        EXPECT_EQ(s.log_level, (int)lv.second) << lv.first;
    }
}

TEST(ConfigSettings, UdpKeysParsedAndBounded)
{
    /* 4 udp_in threads on one listen where the system can spread a port
     * over sockets; elsewhere (macOS, Windows) a listen takes one. */
    const int kUdpIn = gr_udp_can_share_port() ? 4 : 1;
    std::string text = "[server]\n"
                       "udp.in.thread_count = " + std::to_string(kUdpIn) + "\n"
                       "udp.in.batch = 1024\n"
                       "udp.in.datagram_max = 1\n"
                       "udp.out.thread_count = 2\n"
                       "udp.out.disabled = no\n"
                       "udp.recv_buf = 1073741824\n"
                       "udp.send_buf = 0\n"
                       "[listen]\n"
                       "a = udp://[::]:53\n";
    gr_settings_t s;
    std::string err;
    ASSERT_EQ(settings_of(text, &s, &err), 0) << err;
    EXPECT_EQ(s.udp_in_threads, kUdpIn);
    EXPECT_EQ(s.udp_in_batch, 1024);
    EXPECT_EQ(s.udp_datagram_max, 1);
    EXPECT_EQ(s.udp_out_threads, 2);
    EXPECT_EQ(s.udp_out_disabled, 0);
    EXPECT_EQ(s.udp_recv_buf, 1 << 30);
    EXPECT_EQ(s.udp_send_buf, 0);
    EXPECT_EQ(s.listens[0].is_udp, 1);
    EXPECT_EQ(server_error("udp.in.batch = 0\n"),
              "test.ini:2: udp.in.batch: invalid value '0' (expected an integer 1..1024)");
    EXPECT_EQ(server_error("udp.in.datagram_max = 65536\n"),
              "test.ini:2: udp.in.datagram_max: invalid value '65536' (expected an integer 1..65535)");
    EXPECT_EQ(server_error("udp.recv_buf = -1\n"),
              "test.ini:2: udp.recv_buf: invalid value '-1' (expected an integer 0..1073741824)");
}

TEST(ConfigSettings, UnknownKeyNamesFileLineKey)
{
    std::string err = server_error("log.level = info\ntcp.in.threads = 4\n");
    EXPECT_EQ(err, "test.ini:3: tcp.in.threads: unknown key in [server]");
    /* grocketd's own keys are no keys of the library's (test_host_keys.cpp). */
    EXPECT_EQ(server_error("daemon = false\n"), "test.ini:2: daemon: unknown key in [server]");
    EXPECT_EQ(server_error("pid_file =\n"), "test.ini:2: pid_file: unknown key in [server]");
}

TEST(ConfigSettings, BadValues)
{
    EXPECT_EQ(server_error("tcp.accept.thread_count = 4x\n"),
              "test.ini:2: tcp.accept.thread_count: invalid value '4x' (expected an integer 1..64 or auto)");
    EXPECT_EQ(server_error("tcp.accept.thread_count = 65\n"),
              "test.ini:2: tcp.accept.thread_count: invalid value '65' (expected an integer 1..64 or auto)");
    EXPECT_EQ(server_error("\ntcp.in.thread_count = 0\n"),
              "test.ini:3: tcp.in.thread_count: invalid value '0' (expected an integer 1..256 or auto)");
    EXPECT_NE(server_error("tcp.accept.backlog = 65536\n").find("test.ini:2: tcp.accept.backlog: invalid value"),
              std::string::npos);
    EXPECT_NE(server_error("tcp.in.recv_buf.init = 63\n").find("expected an integer 64..1073741824"),
              std::string::npos);
    EXPECT_NE(server_error("tcp.in.recv_buf.max = 1073741825\n").find("tcp.in.recv_buf.max: invalid value"),
              std::string::npos);
    EXPECT_NE(server_error("queue.size = 1\n").find("queue.size: invalid value '1' (expected an integer 2..1048576)"),
              std::string::npos);
    EXPECT_NE(server_error("tcp.out.thread_count =\n").find("tcp.out.thread_count: invalid value ''"),
              std::string::npos);

    std::string err = server_error("cpu_affinity = maybe\n");
    EXPECT_EQ(err, "test.ini:2: cpu_affinity: invalid value 'maybe' (expected true or false (also yes/no, on/off, 1/0))");
    err = server_error("worker.disabled = 2\n");
    EXPECT_EQ(err.rfind("test.ini:2: worker.disabled: invalid value '2'", 0), 0u) << err;

    EXPECT_EQ(server_error("log.level = verbose\n"),
              "test.ini:2: log.level: invalid value 'verbose' (expected debug, info, warn or error)");

}

TEST(ConfigSettings, OutputCloseBelowPause)
{
    EXPECT_EQ(server_error("tcp.out.pause_bytes = 4096\ntcp.out.close_bytes = 2048\n"),
              "test.ini:3: tcp.out.close_bytes: 2048 is less than tcp.out.pause_bytes (4096)");
    EXPECT_EQ(server_error("tcp.out.pause_bytes = 33554432\n"),
              "test.ini:2: tcp.out.pause_bytes: 33554432 is more than tcp.out.close_bytes (16777216)");
    EXPECT_EQ(server_error("tcp.max_connections = 0\n").rfind("test.ini:2: tcp.max_connections: invalid value '0'", 0), 0u);
    gr_settings_t s;
    std::string err;
    ASSERT_EQ(settings_of(std::string("[server]\ntcp.out.pause_bytes = 2048\ntcp.out.close_bytes = 2048\n"
                                      "tcp.max_connections = 5\ntcp.idle_timeout = 0\n") + kMinimal, &s, &err), 0) << err;
    EXPECT_EQ(s.out_pause_bytes, 2048);
    EXPECT_EQ(s.out_close_bytes, 2048);
    EXPECT_EQ(s.max_connections, 5);
    EXPECT_EQ(s.tcp_idle_timeout, 0);
}

TEST(ConfigSettings, RecvBufMaxBelowInit)
{
    EXPECT_EQ(server_error("tcp.in.recv_buf.init = 1024\ntcp.in.recv_buf.max = 512\n"),
              "test.ini:3: tcp.in.recv_buf.max: 512 is less than tcp.in.recv_buf.init (1024)");
    /* Only init written: blame init. */
    EXPECT_EQ(server_error("\ntcp.in.recv_buf.init = 20971520\n"),
              "test.ini:3: tcp.in.recv_buf.init: 20971520 is more than tcp.in.recv_buf.max (10485760)");
    gr_settings_t s;
    std::string err;
    EXPECT_EQ(settings_of(std::string("[server]\ntcp.in.recv_buf.init = 4096\ntcp.in.recv_buf.max = 4096\n") +
                              kMinimal, &s, &err), 0) << err;
}

TEST(ConfigSettings, RepeatedServerKey)
{
    EXPECT_EQ(server_error("cpu_affinity = false\nlog.level = info\ncpu_affinity = true\n"),
              "test.ini:4: cpu_affinity: repeated (first on line 2)");
    /* In a module's section a repeat is fine: last wins. */
    gr_settings_t s;
    std::string err;
    EXPECT_EQ(settings_of(std::string("[demo]\nx = 1\nx = 2\n") + kMinimal, &s, &err), 0) << err;
    /* A [listen] name written twice is a mistake too. */
    err.clear();
    EXPECT_EQ(settings_of("[listen]\na = tcp://1.2.3.4:1\na = tcp://1.2.3.4:2\n", &s, &err), GR_ECONFIG);
    EXPECT_EQ(err, "test.ini:3: a: repeated (first on line 2)");
}

TEST(ConfigSettings, KeyOutsideSection)
{
    gr_settings_t s;
    std::string err;
    EXPECT_EQ(settings_of(std::string("cpu_affinity = true\n") + kMinimal, &s, &err), GR_ECONFIG);
    EXPECT_EQ(err, "test.ini:1: cpu_affinity: key outside any section");
}

TEST(ConfigSettings, ModuleSectionsNotValidated)
{
    const char *text = "[server]\n"
                       "cpu_affinity = false\n"
                       "[demo]\n"
                       "anything = goes\n"
                       "size = 12\n"
                       "verbose = off\n"
                       "[listen]\n"
                       "0 = tcp://127.0.0.1:0\n";
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    ASSERT_EQ(gr_config_load_string(&cfg, text, "m.ini", err, sizeof(err)), 0) << err;
    gr_settings_t s;
    ASSERT_EQ(gr_settings_from_config(&s, cfg, err, sizeof(err)), 0) << err;
    EXPECT_STREQ(gr_config_get(cfg, "demo", "anything"), "goes");
    EXPECT_EQ(gr_config_get_int(cfg, "demo", "size", 0), 12);
    EXPECT_EQ(gr_config_get_bool(cfg, "demo", "verbose", 1), 0);
    const char *v = NULL;
    int line = 0;
    EXPECT_STREQ(gr_config_key_at(cfg, "demo", 2, &v, &line), "verbose");
    EXPECT_STREQ(v, "off");
    EXPECT_EQ(line, 6);
    /* The server's own sections are readable the same way. */
    EXPECT_STREQ(gr_config_key_at(cfg, "listen", 0, &v, &line), "0");
    EXPECT_EQ(line, 8);
    gr_config_free(cfg);
}

// ---------------------------------------------------------------- [listen]

TEST(ConfigListen, Addresses)
{
    const char *text = "[listen]\n"
                       "v4 = tcp://0.0.0.0:8000\n"
                       "v6 = tcp://[::1]:0\n"
                       "name = tcp://localhost:65535\n"
                       "dgram = udp://127.0.0.1:53\n"
                       "any6 = TCP://[::]:80\n"
                       "web = http://127.0.0.1:8080\n";
    gr_settings_t s;
    std::string err;
    ASSERT_EQ(settings_of(text, &s, &err), 0) << err;
    ASSERT_EQ(s.listen_count, 6);
    EXPECT_STREQ(s.listens[5].host_port, "127.0.0.1:8080");
    EXPECT_EQ(s.listens[5].is_http, 1);
    EXPECT_EQ(s.listens[0].is_http, 0);
    EXPECT_STREQ(s.listens[0].url, "tcp://0.0.0.0:8000");
    EXPECT_STREQ(s.listens[0].host_port, "0.0.0.0:8000");
    EXPECT_EQ(s.listens[0].is_udp, 0);
    EXPECT_STREQ(s.listens[1].url, "tcp://[::1]:0");
    EXPECT_STREQ(s.listens[1].host_port, "[::1]:0");
    EXPECT_STREQ(s.listens[2].host_port, "localhost:65535");
    EXPECT_STREQ(s.listens[3].host_port, "127.0.0.1:53");
    EXPECT_EQ(s.listens[3].is_udp, 1);
    EXPECT_STREQ(s.listens[4].host_port, "[::]:80");
}

TEST(ConfigListen, Invalid)
{
    const char *expect = "(expected tcp://, http:// or udp://HOST:PORT)";
    EXPECT_EQ(listen_error("ftp://0.0.0.0:80"),
              std::string("test.ini:2: web: invalid listen address 'ftp://0.0.0.0:80' ") + expect);
    EXPECT_EQ(listen_error("http://0.0.0.0"),
              std::string("test.ini:2: web: invalid listen address 'http://0.0.0.0' ") + expect);
    for (const char *bad : { "tcp://0.0.0.0", "tcp://0.0.0.0:", "tcp://0.0.0.0:-1", "tcp://0.0.0.0:8o", "tcp://:80", "tcp://::1:80", "tcp://[::1]80",
                             "tcp://[::1:80", "tcp://[nothex]:80", "tcp://300.1.1.1:80", "tcp://a b:80",
                             "0.0.0.0:80", "tcp:/0.0.0.0:80" }) {
        std::string err = listen_error(bad);
        EXPECT_EQ(err, std::string("test.ini:2: web: invalid listen address '") + bad + "' " + expect);
    }
}

TEST(ConfigListen, NoneOrTooMany)
{
    gr_settings_t s;
    std::string err;
    EXPECT_EQ(settings_of("[server]\ncpu_affinity = false\n", &s, &err), GR_ECONFIG);
    EXPECT_EQ(err, "test.ini: [listen]: no listen address");

    std::string text = "[listen]\n";
    for (int i = 0; i <= GR_MAX_LISTEN; i++)
        text += std::to_string(i) + " = tcp://127.0.0.1:" + std::to_string(9000 + i) + "\n";
    EXPECT_EQ(settings_of(text, &s, &err), GR_ECONFIG);
    EXPECT_EQ(err, "test.ini:" + std::to_string(GR_MAX_LISTEN + 2) + ": " + std::to_string(GR_MAX_LISTEN) +
                       ": too many listen addresses (at most " + std::to_string(GR_MAX_LISTEN) + ")");
}

// ---------------------------------------------------------------- paths

TEST(ConfigPaths, RelativeToTheFile)
{
    TempDir d;
    std::string f = d.write("g.ini", "[server]\n"
                                     "module = mods/m.so\n"
                                     "log.file = ../run/g.log\n"
                                     "[listen]\n0 = tcp://127.0.0.1:0\n");
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    ASSERT_EQ(gr_config_load_file(&cfg, f.c_str(), err, sizeof(err)), 0) << err;
    gr_settings_t s;
    ASSERT_EQ(gr_settings_from_config(&s, cfg, err, sizeof(err)), 0) << err;
    gr_config_free(cfg);
    /* d.path may be relative when TMPDIR is; the result is absolute. */
    std::string dir = gr_path_is_absolute(d.path.c_str()) ? d.path : cwd() + kSep + d.path;
    EXPECT_EQ(std::string(s.module), dir + kSep + "mods/m.so");
    EXPECT_EQ(std::string(s.log_file), dir + kSep + "../run/g.log");

    /* A relative config path: made absolute through the cwd at load. */
    std::string old = cwd();
    ASSERT_EQ(chdir(dir.c_str()), 0);
    ASSERT_EQ(gr_config_load_file(&cfg, "g.ini", err, sizeof(err)), 0) << err;
    ASSERT_EQ(chdir(old.c_str()), 0);
    ASSERT_EQ(gr_settings_from_config(&s, cfg, err, sizeof(err)), 0) << err;
    gr_config_free(cfg);
    EXPECT_EQ(std::string(s.module), dir + kSep + "mods/m.so");
}

TEST(ConfigPaths, StringAgainstCwdAndEmptyStaysEmpty)
{
    gr_settings_t s;
    std::string err;
    ASSERT_EQ(settings_of(std::string("[server]\nmodule = m.so\nlog.file =\n") + kMinimal, &s, &err), 0) << err;
    EXPECT_EQ(std::string(s.module), cwd() + kSep + "m.so");
    EXPECT_STREQ(s.log_file, "");
}

/* A path too long once resolved is a bad value, not a truncated path. */
TEST(ConfigPaths, TooLongOnceResolved)
{
#ifdef _WIN32
    GTEST_SKIP() << "a directory tree 4000 characters deep needs long-path support (\\\\?\\ paths) on Windows; "
                    "the length rule itself is the same code, and test_path checks the Windows rules";
#endif
    TempDir d;
    std::string deep = d.path[0] == '/' ? d.path : cwd() + "/" + d.path;
    while (deep.size() < GR_PATH_MAX - 50) {
        deep += "/" + std::string(100, 'd');
        ASSERT_TRUE(std::filesystem::create_directory(deep)) << deep;
    }
    std::string old = cwd();
    ASSERT_EQ(chdir(deep.c_str()), 0);
    gr_settings_t s;
    std::string err;
    std::string name(100, 'm');
    int rc = settings_of("[server]\nmodule = " + name + "\n" + kMinimal, &s, &err);
    ASSERT_EQ(chdir(old.c_str()), 0);
    EXPECT_EQ(rc, GR_ECONFIG);
    EXPECT_EQ(err.rfind("test.ini:2: module: invalid value '" + name + "' (expected a path of at most", 0), 0u)
        << err;
}

// ---------------------------------------------------------------- shipped files

/* conf/grocketd.ini loads, validates and repeats every default: the
 * library's keys, and grocketd's own with grocketd's table attached. */
TEST(ConfigShipped, DefaultFileEqualsDefaults)
{
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    ASSERT_EQ(gr_config_load_file(&cfg, kShipped.c_str(), err, sizeof(err)), 0) << err;
    gr_settings_t s, d;
    /* The library alone refuses grocketd's keys. */
    EXPECT_EQ(gr_settings_from_config(&s, cfg, err, sizeof(err)), GR_ECONFIG);
    EXPECT_NE(strstr(err, ": daemon: unknown key in [server]"), nullptr) << err;
    gr_config_set_host_keys(cfg, grocketd_host_keys);
    ASSERT_EQ(gr_settings_from_config(&s, cfg, err, sizeof(err)), 0) << err;
    gr_settings_defaults(&d);

    std::string conf_dir = kSource + "/conf";
    char v[GR_PATH_MAX];
    ASSERT_EQ(gr_host_key_value(cfg, gr_host_key_find(cfg, "pid_file"), v, sizeof v), 0);
    EXPECT_EQ(std::string(v), rooted(conf_dir) + kSep + "grocketd.pid");
    ASSERT_EQ(gr_host_key_value(cfg, gr_host_key_find(cfg, "daemon"), v, sizeof v), 0);
    EXPECT_STREQ(v, "false");
    for (const gr_host_key_t *k = grocketd_host_keys; k->name != NULL; k++) {
        const char *shipped = gr_config_get(cfg, "server", k->name);
        ASSERT_NE(shipped, nullptr) << k->name << " is grocketd's key missing from conf/grocketd.ini";
        EXPECT_STREQ(shipped, k->def) << k->name;
    }
    gr_config_free(cfg);
    /* module has no default; the shipped file names the demo of the build tree. */
    EXPECT_EQ(std::string(s.module), rooted(conf_dir) + kSep + "../build/modules/libdemo.so");
    EXPECT_STREQ(s.log_file, d.log_file); /* empty: stays empty */
    /* Everything else byte for byte: blank out the paths and listens. */
    memset(s.module, 0, sizeof(s.module));
    memset(d.module, 0, sizeof(d.module));
    ASSERT_EQ(s.listen_count, 3);
    EXPECT_STREQ(s.listens[0].url, "tcp://0.0.0.0:8000");
    EXPECT_STREQ(s.listens[1].url, "http://0.0.0.0:8080");
    EXPECT_EQ(s.listens[1].is_http, 1);
    EXPECT_STREQ(s.listens[2].url, "udp://0.0.0.0:8000");
    EXPECT_EQ(s.listens[2].is_udp, 1);
    s.listen_count = 0;
    memset(s.listens, 0, sizeof(s.listens));
    memset(d.listens, 0, sizeof(d.listens));
    EXPECT_EQ(memcmp(&s, &d, sizeof(s)), 0);
}

namespace {

struct DocRow {
    std::string key, def;
    std::string reload; /* the last column: "yes" or "restart" */
};

/* Rows "| `key` | `default` | ..." of the key table under the heading
 * (a line beginning with heading) of docs/configuration.md, up to the
 * next "## " heading. */
std::vector<DocRow> doc_rows(const std::string &heading)
{
    std::vector<DocRow> rows;
    FILE *fp = fopen((kSource + "/docs/configuration.md").c_str(), "r");
    EXPECT_NE(fp, nullptr);
    if (fp == NULL)
        return rows;
    char line[4096];
    bool in = false, seen = false;
    while (fgets(line, sizeof(line), fp)) {
        std::string l = line;
        if (l.rfind("## ", 0) == 0) {
            in = l.rfind(heading, 0) == 0;
            seen = seen || in;
        }
        if (!in || l.rfind("| `", 0) != 0)
            continue;
        size_t k1 = 3, k2 = l.find('`', k1);
        size_t bar = l.find('|', k2);
        size_t d1 = l.find('`', bar);
        size_t d2 = d1 == std::string::npos ? d1 : l.find('`', d1 + 1);
        EXPECT_NE(d2, std::string::npos) << l;
        if (d2 == std::string::npos)
            continue;
        size_t end = l.rfind('|'), last = end == std::string::npos ? end : l.rfind('|', end - 1);
        std::string reload = last == std::string::npos ? "" : l.substr(last + 1, end - last - 1);
        reload.erase(0, reload.find_first_not_of(' '));
        reload.erase(reload.find_last_not_of(' ') + 1);
        rows.push_back({ l.substr(k1, k2 - k1), l.substr(d1 + 1, d2 - d1 - 1), reload });
    }
    fclose(fp);
    EXPECT_TRUE(seen) << "no heading '" << heading << "' in docs/configuration.md";
    return rows;
}

const char kLibraryKeys[] = "## `[server]`";
const char kGrocketdKeys[] = "## grocketd's own keys";

} // namespace

/* Every key the docs list is in conf/grocketd.ini with the same default, and
 * the other way round: the library's keys in the [server] table, grocketd's
 * own in theirs. */
TEST(ConfigShipped, DocsTableMatchesDefaultFile)
{
    std::vector<DocRow> rows = doc_rows(kLibraryKeys), own = doc_rows(kGrocketdKeys);
    char err[GR_CONFIG_ERR_LEN] = "";
    gr_config_t *cfg = NULL;
    ASSERT_EQ(gr_config_load_file(&cfg, kShipped.c_str(), err, sizeof(err)), 0) << err;
    /* Every key the server knows is shipped (documented: checked below). */
    size_t known = (size_t)gr_settings_key_count();
    for (int i = 0; i < gr_settings_key_count(); i++)
        EXPECT_NE(gr_config_get(cfg, "server", gr_settings_key_name(i)), nullptr)
            << gr_settings_key_name(i) << " is a known key missing from conf/grocketd.ini";
    EXPECT_EQ(rows.size(), known);
    for (const DocRow &r : rows) {
        const char *v = gr_config_get(cfg, "server", r.key.c_str());
        ASSERT_NE(v, nullptr) << r.key << " is documented but missing from conf/grocketd.ini";
        if (r.key == "module") {
            EXPECT_EQ(r.def, "") << "module has no default (the shipped file names the demo)";
        } else {
            EXPECT_EQ(r.def, v) << r.key;
        }
        /* A documented key is a key of the library's: the documented
         * default validates without grocketd's table. */
        gr_settings_t s;
        std::string e;
        EXPECT_EQ(settings_of("[server]\n" + r.key + " = " + r.def + "\n" + kMinimal, &s, &e), 0) << e;
    }
    /* grocketd's own: its table, documented and shipped with its defaults. */
    size_t n = 0;
    for (const gr_host_key_t *k = grocketd_host_keys; k->name != NULL; k++, n++) {
        bool found = false;
        for (const DocRow &r : own)
            found = found || (r.key == k->name && r.def == k->def);
        EXPECT_TRUE(found) << k->name << " (default '" << k->def << "') is not under grocketd's own keys";
        EXPECT_LT(gr_settings_key_find(k->name), 0) << k->name << " is the library's too";
    }
    EXPECT_EQ(own.size(), n);
    const char *key;
    for (int i = 0; (key = gr_config_key_at(cfg, "server", i, NULL, NULL)) != NULL; i++) {
        bool found = false;
        for (const DocRow &r : rows)
            found = found || r.key == key;
        for (const DocRow &r : own)
            found = found || r.key == key;
        EXPECT_TRUE(found) << key << " is in conf/grocketd.ini but not in docs/configuration.md";
    }
    gr_config_free(cfg);
}

/* The docs' column "Reload" says what the key table says (GR_RELOAD), for
 * every key of the library's; grocketd reads its own at its start. */
TEST(ConfigShipped, DocsReloadColumnMatchesTheTable)
{
    std::vector<DocRow> rows = doc_rows(kLibraryKeys);
    ASSERT_EQ(rows.size(), (size_t)gr_settings_key_count());
    for (const DocRow &r : rows) {
        int reloadable = gr_settings_key_reloadable_by_name(r.key.c_str());
        ASSERT_GE(reloadable, 0) << r.key;
        EXPECT_EQ(r.reload, reloadable ? "yes" : "restart") << r.key;
    }
    for (const DocRow &r : doc_rows(kGrocketdKeys))
        EXPECT_EQ(r.reload, "restart") << r.key;
    EXPECT_EQ(gr_settings_key_reloadable_by_name("log.level"), 1);
    EXPECT_EQ(gr_settings_key_reloadable_by_name("tcp.in.thread_count"), 0);
    EXPECT_EQ(gr_settings_key_reloadable_by_name("no.such.key"), -1);
}

/* The per-key helpers a reload uses: difference, text, copy. */
TEST(ConfigKeys, DiffFormatAndCopy)
{
    gr_settings_t a, b;
    gr_settings_defaults(&a);
    gr_settings_defaults(&b);
    b.http_max_body_size = 50;
    b.log_level = GR_LOG_DEBUG;
    snprintf(b.log_file, sizeof b.log_file, "/var/log/g.log");
    std::vector<std::string> changed;
    for (int i = 0; i < gr_settings_key_count(); i++) {
        if (!gr_settings_key_differs(i, &a, &b))
            continue;
        char was[GR_PATH_MAX + 8], now[GR_PATH_MAX + 8];
        gr_settings_key_format(i, &a, was, sizeof was);
        gr_settings_key_format(i, &b, now, sizeof now);
        changed.push_back(std::string(gr_settings_key_name(i)) + ":" + was + "->" + now);
        gr_settings_key_copy(i, &a, &b);
    }
    std::vector<std::string> expected = { "log.level:info->debug", "log.file:''->'/var/log/g.log'",
                                          "http.max_body_size:1048576->50" };
    EXPECT_EQ(changed, expected);
    EXPECT_EQ(memcmp(&a, &b, sizeof a), 0);
}
