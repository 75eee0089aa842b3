/* demo_server.c - grocket embedded in a program of its own: no grocketd, no
 * INI file, no .so. The configuration is built by calls, the handlers are
 * plain functions handed over in a gr_module_t, and the program serves until
 * SIGINT or SIGTERM.
 *
 *   demo_server [-a ADDR] [-p PORT] [-w PORT] [-n THREADS]
 *
 * TCP (-p, default 8000): a line echo; every line, '\n' included, comes
 * back as sent. HTTP (-w, default 8080): "/" says hello, "/echo?text=..."
 * answers the text, anything else is 404. Port 0 takes a free port; the
 * bound ports are printed on one line once serving. Pure C99 on purpose:
 * libgrocket.h is a C API. */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libgrocket.h"

static const gr_services_t *gr;
static gr_server_t *server;

/* ---- the handlers: the same callbacks a module .so would export ---- */

static int on_init(const gr_services_t *services)
{
    gr = services;
    return 0;
}

/* One package per line. A line that does not fit the receive buffer
 * (tcp.in.recv_buf.max) closes the connection. */
static long on_check(gr_conn_t *conn, const char *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    return nl ? (long)(nl - data + 1) : GR_CHECK_NEED_MORE;
}

static int on_proc(gr_conn_t *conn, const char *line, size_t len)
{
    return gr->reply(conn, line, len) == 0 ? GR_PROC_OK : GR_PROC_CLOSE;
}

static int str_is(gr_str_t s, const char *text)
{
    return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static int on_http(gr_conn_t *conn, const gr_http_request_t *req)
{
    if (str_is(req->path, "/")) {
        gr->http_reply_text(conn, 200, "Hello from demo_server (grocket embedded)\n");
    } else if (str_is(req->path, "/echo")) {
        gr_str_t text = gr->http_query(req, "text");
        gr->http_add_header(conn, "Content-Type", "text/plain; charset=utf-8");
        if (text.ptr && gr->reply(conn, text.ptr, text.len) != 0)
            return GR_PROC_CLOSE;
    } else {
        gr->http_reply_text(conn, 404, "not found\n");
    }
    return GR_PROC_OK;
}

static gr_module_t demo_module(void)
{
    gr_module_t m;
    memset(&m, 0, sizeof m);
    m.abi_version = GR_ABI_VERSION;
    m.size = sizeof m;
    m.name = "demo_server";
    m.init = on_init;
    m.check = on_check;
    m.proc = on_proc;
    m.proc_http = on_http;
    return m;
}

/* ---- the program ---- */

/* gr_server_request_stop is async-signal-safe: the stop itself happens in
 * gr_server_wait on the main thread. */
static void on_signal(int sig)
{
    (void)sig;
    gr_server_request_stop(server);
}

static int usage(void)
{
    fprintf(stderr, "usage: demo_server [-a ADDR] [-p TCP_PORT] [-w HTTP_PORT] [-n THREADS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1", *tcp_port = "8000", *http_port = "8080", *threads = "1";
    int opt;
    while ((opt = getopt(argc, argv, "a:p:w:n:h")) != -1) {
        switch (opt) {
        case 'a': addr = optarg; break;
        case 'p': tcp_port = optarg; break;
        case 'w': http_port = optarg; break;
        case 'n': threads = optarg; break;
        default: return usage();
        }
    }
    if (optind < argc)
        return usage();

    /* The configuration, key by key: the keys of conf/grocketd.ini, checked
     * as a file's would be (a bad value is reported by its own set call). */
    char err[GR_SERVER_ERR_LEN];
    char tcp_url[300], http_url[300];
    snprintf(tcp_url, sizeof tcp_url, "tcp://%s:%s", addr, tcp_port);
    snprintf(http_url, sizeof http_url, "http://%s:%s", addr, http_port);
    gr_server_config_t *cfg = NULL;
    if (gr_server_config_create(&cfg, "demo_server", err, sizeof err) != GR_OK ||
        gr_server_config_set(cfg, "server", "tcp.in.thread_count", threads, err, sizeof err) != GR_OK ||
        gr_server_config_set(cfg, "server", "log.level", "warn", err, sizeof err) != GR_OK ||
        gr_server_config_set(cfg, "listen", "echo", tcp_url, err, sizeof err) != GR_OK ||
        gr_server_config_set(cfg, "listen", "web", http_url, err, sizeof err) != GR_OK) {
        fprintf(stderr, "demo_server: %s\n", err);
        gr_server_config_destroy(cfg);
        return 1;
    }

    gr_module_t module = demo_module();
    int rc = gr_server_create_from_config(&server, cfg, &module, argc, argv, err, sizeof err);
    gr_server_config_destroy(cfg); /* the server keeps its own copy */
    if (rc != GR_OK) {
        fprintf(stderr, "demo_server: %s\n", err);
        return 1;
    }

#ifdef _WIN32
    /* The C runtime's signal() on Windows: Ctrl-C arrives as SIGINT and
     * Ctrl-Break as SIGBREAK, on a thread of their own. */
    signal(SIGINT, on_signal);
    signal(SIGBREAK, on_signal);
#else
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
#endif

    if (gr_server_start(server, err, sizeof err) != GR_OK) {
        fprintf(stderr, "demo_server: %s\n", err);
        gr_server_destroy(server);
        return 1;
    }
    printf("demo_server: echo on tcp port %d, http on port %d (Ctrl-C stops)\n", gr_server_listen_port(server, 0),
           gr_server_listen_port(server, 1));
    fflush(stdout);

    gr_server_wait(server); /* until SIGINT/SIGTERM; stops the server */
    /* Only this thread is left: block the signals, so that a late one finds
     * no handler reaching for a server being destroyed. */
#ifdef _WIN32
    signal(SIGINT, SIG_IGN);
    signal(SIGBREAK, SIG_IGN);
#else
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, NULL);
#endif
    gr_server_destroy(server);
    printf("demo_server: stopped\n");
    return 0;
}
