/* test_embed.cpp - the embedding API (libgrocket.h) as an embedder sees it:
 * linked against the shared library and using nothing but its exported
 * functions.
 *  - configuration by calls: each bad key or value is reported by its own
 *    set call, with the text a file gets for the same line; checks between
 *    keys at create; a set replaces;
 *  - a module of function pointers, reading its own section;
 *  - request_stop / wait from another thread, from a signal handler, and
 *    before the wait; stop and wait twice; servers one after another. */
#include <gtest/gtest.h>

#include <atomic>
#ifndef _WIN32
#include <signal.h>
#endif
#include <string.h>
#include <string>
#include <thread>
#include <time.h>

#include "gr_test_util.h"
#include "libgrocket.h"

namespace {

/* ---------------------------------------------------------------- a module */

const gr_services_t *gr;
std::atomic<int> inits{0}, terms{0};
std::string greeting; /* [fx] greeting, read in init */

int fx_init(const gr_services_t *s)
{
    gr = s;
    greeting = s->config_str("fx", "greeting", "none");
    inits++;
    return 0;
}

void fx_term(void) { terms++; }

long fx_check(gr_conn_t *, const char *data, size_t len)
{
    const char *nl = (const char *)memchr(data, '\n', len);
    return nl ? (long)(nl - data + 1) : GR_CHECK_NEED_MORE;
}

/* "<greeting>:<line>" */
int fx_proc(gr_conn_t *c, const char *line, size_t len)
{
    if (gr->reply(c, greeting.data(), greeting.size()) != 0 || gr->reply(c, ":", 1) != 0)
        return GR_PROC_CLOSE;
    return gr->reply(c, line, len) == 0 ? GR_PROC_OK : GR_PROC_CLOSE;
}

int fx_http(gr_conn_t *c, const gr_http_request_t *)
{
    gr->http_reply_text(c, 200, "fx over http");
    return GR_PROC_OK;
}

gr_module_t make_module()
{
    gr_module_t m{};
    m.abi_version = GR_ABI_VERSION;
    m.size = sizeof m;
    m.name = "fx_embed";
    m.init = fx_init;
    m.term = fx_term;
    m.check = fx_check;
    m.proc = fx_proc;
    m.proc_http = fx_http;
    return m;
}
const gr_module_t kModule = make_module();

/* ---------------------------------------------------------------- helpers */

struct Config {
    gr_server_config_t *c = nullptr;
    char err[GR_SERVER_ERR_LEN] = "";
    explicit Config(const char *name)
    {
        EXPECT_EQ(gr_server_config_create(&c, name, err, sizeof err), GR_OK) << err;
    }
    ~Config() { gr_server_config_destroy(c); }
    /* The set's error text, "" when it succeeded. */
    std::string set(const char *section, const char *key, const char *value)
    {
        err[0] = '\0';
        int rc = gr_server_config_set(c, section, key, value, err, sizeof err);
        EXPECT_EQ(rc == GR_OK, err[0] == '\0') << rc << " " << err;
        if (rc != GR_OK) {
            EXPECT_EQ(rc, GR_ECONFIG);
        }
        return rc == GR_OK ? "" : err;
    }
};

/* What gr_server_create_from_string reports for text under name. */
std::string file_error(const std::string &text, const char *name)
{
    gr_server_t *s = nullptr;
    char err[GR_SERVER_ERR_LEN] = "";
    int rc = gr_server_create_from_string(&s, text.c_str(), name, &kModule, 0, nullptr, err, sizeof err);
    EXPECT_NE(rc, GR_OK);
    gr_server_destroy(s);
    return err;
}

/* A server on 127.0.0.1:0 (tcp, and http when asked) with kModule, started. */
gr_server_t *start_server(bool with_http = false)
{
    Config cfg("embedded");
    EXPECT_EQ(cfg.set("server", "log.level", "warn"), "");
    EXPECT_EQ(cfg.set("listen", "0", "tcp://127.0.0.1:0"), "");
    if (with_http) {
        EXPECT_EQ(cfg.set("listen", "1", "http://127.0.0.1:0"), "");
    }
    EXPECT_EQ(cfg.set("fx", "greeting", "hi"), "");
    gr_server_t *s = nullptr;
    char err[GR_SERVER_ERR_LEN] = "";
    EXPECT_EQ(gr_server_create_from_config(&s, cfg.c, &kModule, 0, nullptr, err, sizeof err), GR_OK) << err;
    if (!s)
        return nullptr;
    EXPECT_EQ(gr_server_start(s, err, sizeof err), GR_OK) << err;
    return s;
}

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
}

} // namespace

/* ---------------------------------------------------------------- configuration by calls */

/* A bad entry given by the second set call reads exactly as the same entry
 * on line 2 of a file (line 1 being its section header). */
TEST(EmbedConfig, SetErrorsReadAsFileErrors)
{
    struct Case {
        const char *section, *key, *value;
    } cases[] = {
        {"server", "tcp.in.threads", "2"},            /* unknown key */
        {"server", "tcp.in.thread_count", "0"},       /* out of range */
        {"server", "tcp.in.thread_count", "2x"},      /* not a number */
        {"server", "daemon", "maybe"},                /* not a boolean */
        {"server", "log.level", "loud"},              /* not a level */
        {"server", "tcp.in.recv_buf.max", "-1"},
        {"listen", "0", "tcp://0.0.0.0"},             /* no port */
        {"listen", "web", "ftp://127.0.0.1:21"},      /* unknown scheme */
    };
    for (const Case &k : cases) {
        Config cfg("app.ini");
        ASSERT_EQ(cfg.set("fx", "greeting", "hello"), ""); /* call 1 */
        std::string set_err = cfg.set(k.section, k.key, k.value); /* call 2 */
        std::string text = std::string("[") + k.section + "]\n" + k.key + " = " + k.value + "\n";
        EXPECT_FALSE(set_err.empty()) << k.key << " = " << k.value;
        EXPECT_EQ(set_err, file_error(text, "app.ini")) << text;
        EXPECT_NE(set_err.find(std::string(": ") + k.key + ": "), std::string::npos) << set_err;
    }
}

TEST(EmbedConfig, ErrorNamesTheKeyAndTheCall)
{
    Config cfg(nullptr); /* default name */
    EXPECT_EQ(cfg.set("server", "tcp.in.thread_count", "0"),
              "embedded:1: tcp.in.thread_count: invalid value '0' (expected an integer 1..256 or auto)");
    EXPECT_EQ(cfg.set("server", "worker.disabled", "false"), "");
    EXPECT_EQ(cfg.set("server", "no.such.key", "1"), "embedded:3: no.such.key: unknown key in [server]");
    EXPECT_EQ(cfg.set("", "daemon", "true"), "embedded:4: daemon: key outside any section");
    char err[GR_SERVER_ERR_LEN];
    EXPECT_EQ(gr_server_config_set_int(cfg.c, "server", "queue.size", 1, err, sizeof err), GR_ECONFIG);
    EXPECT_STREQ(err, "embedded:5: queue.size: invalid value '1' (expected an integer 2..1048576)");
    EXPECT_EQ(gr_server_config_set_int(cfg.c, "server", "queue.size", 1024, err, sizeof err), GR_OK) << err;
    EXPECT_EQ(gr_server_config_set(cfg.c, "server", nullptr, "1", err, sizeof err), GR_EINVAL);
    EXPECT_STREQ(gr_server_strerror(GR_ECONFIG), "configuration error");
}

/* A module's section is the module's: anything goes, as in a file. */
TEST(EmbedConfig, ModuleSectionsAreNotChecked)
{
    Config cfg("app");
    EXPECT_EQ(cfg.set("fx", "anything", "at all"), "");
    EXPECT_EQ(cfg.set("fx", "anything", "again"), "");
}

/* Checks between keys wait for create, and still name the key and the call
 * that set it. */
TEST(EmbedConfig, CrossChecksAtCreate)
{
    char err[GR_SERVER_ERR_LEN] = "";
    gr_server_t *s = nullptr;
    {
        Config cfg("app");
        EXPECT_EQ(cfg.set("listen", "0", "tcp://127.0.0.1:0"), "");
        EXPECT_EQ(cfg.set("server", "tcp.in.recv_buf.init", "4096"), "");
        EXPECT_EQ(cfg.set("server", "tcp.in.recv_buf.max", "1024"), ""); /* fine alone */
        EXPECT_EQ(gr_server_create_from_config(&s, cfg.c, &kModule, 0, nullptr, err, sizeof err), GR_ECONFIG);
        EXPECT_EQ(s, nullptr);
        EXPECT_STREQ(err, "app:3: tcp.in.recv_buf.max: 1024 is less than tcp.in.recv_buf.init (4096)");
        /* Fixed by setting it again: the later value replaces. */
        EXPECT_EQ(cfg.set("server", "tcp.in.recv_buf.max", "8192"), "");
        EXPECT_EQ(gr_server_create_from_config(&s, cfg.c, &kModule, 0, nullptr, err, sizeof err), GR_OK) << err;
        gr_server_destroy(s);
    }
    Config empty("app");
    EXPECT_EQ(gr_server_create_from_config(&s, empty.c, &kModule, 0, nullptr, err, sizeof err), GR_ECONFIG);
    EXPECT_STREQ(err, "app: [listen]: no listen address");
    /* Without a function-pointer module, [server] module is loaded as
     * grocketd would. */
    EXPECT_EQ(empty.set("listen", "0", "tcp://127.0.0.1:0"), "");
    EXPECT_EQ(empty.set("server", "module", "/nonexistent/libnothing.so"), "");
    EXPECT_EQ(gr_server_create_from_config(&s, empty.c, nullptr, 0, nullptr, err, sizeof err), GR_EMODULE);
    EXPECT_NE(strstr(err, "/nonexistent/libnothing.so"), nullptr) << err;
}

/* Setting a listen again replaces it in place: one listen, the new one. */
TEST(EmbedConfig, SetReplaces)
{
    Config cfg("app");
    EXPECT_EQ(cfg.set("listen", "main", "tcp://127.0.0.1:0"), "");
    EXPECT_EQ(cfg.set("listen", "main", "http://127.0.0.1:0"), "");
    gr_server_t *s = nullptr;
    char err[GR_SERVER_ERR_LEN] = "";
    ASSERT_EQ(gr_server_create_from_config(&s, cfg.c, &kModule, 0, nullptr, err, sizeof err), GR_OK) << err;
    ASSERT_EQ(gr_server_start(s, err, sizeof err), GR_OK) << err;
    EXPECT_EQ(gr_server_listen_count(s), 1);
    std::string r = gr_test_roundtrip(gr_server_listen_port(s, 0), "GET / HTTP/1.0\r\n\r\n", 4096);
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("fx over http"), std::string::npos) << r;
    gr_server_destroy(s);
}

/* ---------------------------------------------------------------- running */

/* Function pointers, a module section read through the services, the
 * configuration destroyed before the server starts (the server has a copy). */
/* [server] keys read back as the server runs them, as a host program
 * reads them (its own keys: test_host_keys.cpp). */
TEST(Embed, SettingsReadBackAsText)
{
    char err[GR_SERVER_ERR_LEN];
    gr_server_t *s = nullptr;
    const char *ini = "[server]\ncpu_affinity = yes\nlog.file = run/g.log\nstop.grace_period = 7\nlog.level = warn\n"
                      "[listen]\n0 = tcp://127.0.0.1:0\n";
    ASSERT_EQ(GR_OK, gr_server_create_from_string(&s, ini, "host", &kModule, 0, nullptr, err, sizeof err)) << err;
    char v[4096];
    ASSERT_EQ(GR_OK, gr_server_setting(s, "cpu_affinity", v, sizeof v));
    EXPECT_STREQ("true", v);
    ASSERT_EQ(GR_OK, gr_server_setting(s, "stop.grace_period", v, sizeof v));
    EXPECT_STREQ("7", v);
    ASSERT_EQ(GR_OK, gr_server_setting(s, "log.level", v, sizeof v));
    EXPECT_STREQ("warn", v);
    ASSERT_EQ(GR_OK, gr_server_setting(s, "log.file", v, sizeof v));
    char cwd[4096];
    ASSERT_NE(nullptr, getcwd(cwd, sizeof cwd));
#ifdef _WIN32
    const char *sep = "\\"; /* the system's separator between the directory and the path */
#else
    const char *sep = "/";
#endif
    EXPECT_EQ(std::string(cwd) + sep + "run/g.log", v) << "resolved, unquoted";
    EXPECT_EQ(GR_EINVAL, gr_server_setting(s, "pid_file", v, sizeof v)) << "grocketd's, not the library's";
    EXPECT_EQ(GR_EINVAL, gr_server_setting(s, "no.such.key", v, sizeof v));
    EXPECT_EQ(GR_EINVAL, gr_server_setting(s, nullptr, v, sizeof v));
    gr_server_destroy(s);
}

TEST(Embed, FunctionPointerModule)
{
    int before = inits, terms_before = terms;
    gr_server_t *s = start_server(true);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(inits, before + 1);
    EXPECT_EQ(greeting, "hi");
    EXPECT_EQ(gr_server_listen_count(s), 2);
    int port = gr_server_listen_port(s, 0);
    EXPECT_GT(port, 0);
    EXPECT_EQ(gr_server_listen_port(s, 2), -1);
    EXPECT_EQ(gr_test_roundtrip(port, "one\ntwo\n", 14), "hi:one\nhi:two\n");
    std::string r = gr_test_roundtrip(gr_server_listen_port(s, 1), "GET / HTTP/1.0\r\n\r\n", 4096);
    EXPECT_NE(r.find("fx over http"), std::string::npos) << r;
    gr_server_stop(s);
    EXPECT_EQ(terms, terms_before + 1);
    gr_server_stop(s); /* twice: nothing more */
    EXPECT_EQ(terms, terms_before + 1);
    gr_server_destroy(s);
}

TEST(Embed, WaitReturnsWhenAnotherThreadAsks)
{
    int terms_before = terms;
    gr_server_t *s = start_server();
    ASSERT_NE(s, nullptr);
    std::atomic<int> asked{0};
    std::thread t([&] {
        sleep_ms(100);
        asked = 1;
        gr_server_request_stop(s);
        gr_server_request_stop(s); /* twice is fine */
    });
    EXPECT_EQ(gr_server_wait(s), GR_OK);
    EXPECT_EQ(asked, 1); /* did not return before it was asked */
    EXPECT_EQ(terms, terms_before + 1); /* and stopped the server */
    t.join();
    /* Stopped: no more serving, and waiting again returns at once. */
    EXPECT_EQ(gr_server_wait(s), GR_OK);
    gr_server_stop(s);
    char err[GR_SERVER_ERR_LEN];
    EXPECT_EQ(gr_server_start(s, err, sizeof err), GR_EINVAL);
    EXPECT_NE(strstr(err, "stopped"), nullptr) << err;
    gr_server_destroy(s);
}

TEST(Embed, RequestBeforeWaitIsNotLost)
{
    gr_server_t *s = start_server();
    ASSERT_NE(s, nullptr);
    gr_server_request_stop(s);
    EXPECT_EQ(gr_server_wait(s), GR_OK);
    gr_server_destroy(s);
}

#ifndef _WIN32
namespace {
gr_server_t *g_signal_server;
void on_sigusr1(int) { gr_server_request_stop(g_signal_server); }
} // namespace
#endif

/* The way an embedder stops on SIGTERM: the handler asks, the main thread
 * waits and stops. */
TEST(Embed, RequestFromASignalHandler)
{
#ifdef _WIN32
    GTEST_SKIP() << "no signals on Windows: a console control handler runs on a thread of its own, which "
                    "Embed.WaitReturnsWhenAnotherThreadAsks covers";
#else
    gr_server_t *s = start_server();
    ASSERT_NE(s, nullptr);
    g_signal_server = s;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    std::thread t([] {
        sleep_ms(100);
        kill(getpid(), SIGUSR1);
    });
    EXPECT_EQ(gr_server_wait(s), GR_OK);
    t.join();
    sigaction(SIGUSR1, &old, nullptr);
    gr_server_destroy(s);
#endif
}

TEST(Embed, WaitOnAServerNeverStarted)
{
    Config cfg("app");
    EXPECT_EQ(cfg.set("listen", "0", "tcp://127.0.0.1:0"), "");
    gr_server_t *s = nullptr;
    char err[GR_SERVER_ERR_LEN];
    ASSERT_EQ(gr_server_create_from_config(&s, cfg.c, &kModule, 0, nullptr, err, sizeof err), GR_OK) << err;
    EXPECT_EQ(gr_server_wait(s), GR_EINVAL);
    gr_server_destroy(s);
}

/* One server at a time, as many as you like one after the other. */
TEST(Embed, ServersOneAfterAnother)
{
    for (int round = 0; round < 2; round++) {
        gr_server_t *s = start_server();
        ASSERT_NE(s, nullptr);
        /* A second one cannot start while the first runs. */
        Config cfg("second");
        EXPECT_EQ(cfg.set("listen", "0", "tcp://127.0.0.1:0"), "");
        gr_server_t *second = nullptr;
        char err[GR_SERVER_ERR_LEN];
        ASSERT_EQ(gr_server_create_from_config(&second, cfg.c, &kModule, 0, nullptr, err, sizeof err), GR_OK);
        EXPECT_EQ(gr_server_start(second, err, sizeof err), GR_EINVAL);
        EXPECT_STREQ(err, "a grocket server is already running in this process");
        gr_server_destroy(second);
        EXPECT_EQ(gr_test_roundtrip(gr_server_listen_port(s, 0), "x\n", 5), "hi:x\n") << "round " << round;
        gr_server_request_stop(s);
        EXPECT_EQ(gr_server_wait(s), GR_OK);
        gr_server_destroy(s);
    }
}
