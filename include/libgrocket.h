/* libgrocket.h - the embedding API: run a grocket server inside your own
 * process. grocketd is a thin program on top of it; docs/embedding.md walks
 * through it.
 *
 * Pure C. One server may run per process at a time (the module services
 * reach it without a context argument); create, stop and destroy as many as
 * you like one after the other.
 *
 * A server's life:
 *   configure   gr_server_create (an INI file), gr_server_create_from_string
 *               (INI text) or gr_server_create_from_config (set calls, no
 *               text); the module is a .so named by [server] module, or a
 *               gr_module_t of function pointers handed over directly.
 *   start       gr_server_start: returns once serving, in the background.
 *   stop        gr_server_stop (joins every thread), or
 *               gr_server_request_stop (any thread, a signal handler) plus
 *               gr_server_wait (blocks until asked, then stops).
 *   destroy     gr_server_destroy.
 * Errors are 0 or a negative GR_E* code (or -errno), with the reason written
 * into the caller's err buffer; gr_server_strerror names a code. */
#ifndef LIBGROCKET_H
#define LIBGROCKET_H

#include <stddef.h>
#include <stdint.h>

#include "grocket.h"

#ifdef __cplusplus
extern "C" {
#endif

/* GR_API marks the functions of this API. Building libgrocket
 * (GR_BUILDING_LIBGROCKET, set by its CMake): exported. Using it: imported
 * from the DLL on Windows, unless linking the static library (GR_STATIC,
 * which grocket::grocket_static sets); nothing elsewhere. */
#if defined(GR_BUILDING_LIBGROCKET)
#if defined(_WIN32)
#define GR_API __declspec(dllexport)
#else
#define GR_API __attribute__((visibility("default")))
#endif
#elif defined(_WIN32) && !defined(GR_STATIC)
#define GR_API __declspec(dllimport)
#else
#define GR_API
#endif

/* Return codes: 0, a GR_E* value below, or a negative errno (> GR_E_BASE).
 * (The same definitions as the library's own, libgrocket/gr_error.h.) */
#define GR_OK 0
#define GR_E_BASE (-10000)
#define GR_EINVAL (GR_E_BASE - 1)
#define GR_ENOMEM (GR_E_BASE - 2)
#define GR_EMODULE (GR_E_BASE - 3)
#define GR_ECONFIG (GR_E_BASE - 4)
#define GR_EFULL (GR_E_BASE - 5)
#define GR_EREFUSED (GR_E_BASE - 6)
#define GR_ESYS (GR_E_BASE - 7)

/* A buffer size that holds any message of this API. */
#define GR_SERVER_ERR_LEN 2048

typedef struct gr_server_t gr_server_t;

/* ---- configuration by calls (no INI text) ---- */

typedef struct gr_server_config_t gr_server_config_t;

/* An empty configuration. name stands for the file in messages ("embedded"
 * when NULL); relative paths (module, ...) resolve against the current
 * directory. */
GR_API int gr_server_config_create(gr_server_config_t **out, const char *name, char *err, size_t errlen);
/* [section] key = value, exactly as the line "key = value" under [section]
 * of a file: [server] keys are checked at once against the same table and
 * with the same message as a file ("NAME:N: KEY: invalid value ...", N
 * being the number of this set call), [listen] entries must be listen
 * addresses, any other section is the module's. Setting a key again
 * replaces its value. Checks between keys (recv_buf sizes, at least one
 * listen) happen at gr_server_create_from_config. 0 or GR_ECONFIG. */
GR_API int gr_server_config_set(gr_server_config_t *c, const char *section, const char *key, const char *value,
                                char *err, size_t errlen);
/* The same with a decimal integer value. */
GR_API int gr_server_config_set_int(gr_server_config_t *c, const char *section, const char *key, int64_t value,
                                    char *err, size_t errlen);
GR_API void gr_server_config_destroy(gr_server_config_t *c);

/* ---- create ---- */

/* Load and validate the configuration file and the module it names.
 * argv is kept for services->server_info. 0, or a negative code with the
 * reason (file:line:key, or the module's path and versions) in err. */
GR_API int gr_server_create(gr_server_t **out, const char *config_path, int argc, char **argv,
                            char *err, size_t errlen);
/* A [server] key of the program hosting the library (grocketd: daemon,
 * pid_file), which the library checks with the file but never acts on.
 * The host reads its value with gr_server_setting. */
#define GR_HOST_BOOL 1 /* true/false, yes/no, on/off, 1/0; read back "true" or "false" */
#define GR_HOST_PATH 2 /* a path, may be empty; relative: against the file's directory */
typedef struct gr_host_key_t {
    const char *name; /* NULL ends the table; not a key of the library's */
    int type;         /* GR_HOST_BOOL or GR_HOST_PATH */
    const char *def;  /* the value when the file does not set it */
    const char *help; /* a few words, for grocketd -t */
} gr_host_key_t;
/* gr_server_create that also takes host_keys in [server]: a bad value is an
 * error naming file:line and key as for the library's keys, a key in
 * neither table stays "unknown key in [server]". host_keys (NULL: none)
 * must outlive the server; a reload checks them again. */
GR_API int gr_server_create_hosted(gr_server_t **out, const char *config_path, const gr_host_key_t *host_keys,
                                   int argc, char **argv, char *err, size_t errlen);
/* The same, from INI text; name stands for the file in messages, and
 * module, when not NULL, is used instead of loading [server] module. */
GR_API int gr_server_create_from_string(gr_server_t **out, const char *ini_text, const char *name,
                                        const gr_module_t *module, int argc, char **argv,
                                        char *err, size_t errlen);
/* The same, from a configuration built by calls. The server keeps a copy:
 * c may be destroyed or changed afterwards. module as above. */
GR_API int gr_server_create_from_config(gr_server_t **out, const gr_server_config_t *c, const gr_module_t *module,
                                        int argc, char **argv, char *err, size_t errlen);

/* ---- run ---- */

/* Bind the listen addresses, call module init, start every thread. Returns
 * when serving, or with an error (nothing left running). A server runs
 * once: after a stop, create a new one. */
GR_API int gr_server_start(gr_server_t *s, char *err, size_t errlen);
/* Stop accepting, close every connection, join every thread, call the
 * module's term. Safe to call twice. The hard stop: replies not yet sent
 * are lost; see gr_server_stop_graceful. Not from a signal handler, nor
 * while another thread is in gr_server_wait on s (use
 * gr_server_request_stop). */
GR_API void gr_server_stop(gr_server_t *s);
/* Ask the server to stop; returns at once. Safe from any thread and from a
 * signal handler (async-signal-safe). The stop itself happens in
 * gr_server_wait. Asking before the server started, or twice, is fine. */
GR_API void gr_server_request_stop(gr_server_t *s);
/* Block until gr_server_request_stop is called (before or during the wait),
 * then stop the server as gr_server_stop does, and return 0. Returns 0 at
 * once on a server already stopped, GR_EINVAL on one never started. One
 * waiter per server. */
GR_API int gr_server_wait(gr_server_t *s);

/* The graceful stop: stop accepting (the listen sockets close), close idle
 * connections at once, let busy ones finish the requests they have begun
 * and send the replies (an HTTP reply then says "Connection: close"), and
 * stop as gr_server_stop once every connection is closed or grace_ms has
 * passed (< 0: stop.grace_period of the configuration; 0: at once).
 * Returns how many connections were still busy and were closed anyway (0
 * when all finished in time). */
GR_API int gr_server_stop_graceful(gr_server_t *s, int grace_ms);
/* The same in steps, for a caller that waits for other things meanwhile
 * (grocketd takes a second signal as "stop now"): gr_server_drain begins
 * it and returns at once; gr_server_drain_left says how many connections
 * are still open (0: done; -1: no drain under way); then gr_server_stop,
 * whenever the caller decides. */
GR_API void gr_server_drain(gr_server_t *s);
GR_API int gr_server_drain_left(const gr_server_t *s);

/* Re-read the configuration file (path NULL: the one given to
 * gr_server_create) and apply the keys that can change while running
 * (docs/configuration.md, column "Reload"); every other change is logged
 * as needing a restart. On an error (file:line:key in err) nothing
 * changes. Call from one thread at a time (grocketd: on SIGHUP). */
GR_API int gr_server_reload(gr_server_t *s, const char *path, char *err, size_t errlen);
/* Open log.file again, for logrotate (grocketd: on SIGUSR1): lines go to
 * the old file until the new one is in place, none is lost or torn. 0, or
 * a negative errno with the old file kept. */
GR_API int gr_server_reopen_log(gr_server_t *s);
/* Unload the module and free everything. Stops first when running. */
GR_API void gr_server_destroy(gr_server_t *s);

/* ---- inspect ---- */

/* Listen entries bound by gr_server_start (in [listen] order), 0 before. */
GR_API int gr_server_listen_count(const gr_server_t *s);
/* The bound port of listen entry i (the real one when port 0 was asked),
 * or -1. */
GR_API int gr_server_listen_port(const gr_server_t *s, int i);
/* Text for an error code returned above. */
GR_API const char *gr_server_strerror(int err);
/* What creating s checked and what only a start can tell, as lines of
 * text (grocketd -t prints them): the module loaded (name, version, path,
 * ABI, its declared keys), the thread counts with what auto gave, the
 * checks done and those left to a start (binding the ports, the module's
 * init, ...). Returns the length of the whole text; buf gets what fits. */
GR_API int gr_server_check_report(const gr_server_t *s, char *buf, size_t len);

/* ---- for a program hosting the library (grocketd uses nothing else) ---- */

/* The value of the [server] key named key as s runs it now (a reload's
 * latest for the reloadable keys), as text: integers in decimal, booleans
 * "true" or "false", a level by name, paths resolved against the file's
 * directory. A host key (gr_server_create_hosted) answers the value s was
 * created with, or its default. grocketd reads log.file, stop.grace_period
 * and its own daemon and pid_file this way. GR_OK, or GR_EINVAL for an
 * unknown key. */
GR_API int gr_server_setting(const gr_server_t *s, const char *key, char *buf, size_t len);
/* The process's log, shared by everything libgrocket does (log.level
 * filters it): send it to the file at path (appended; NULL or "": back to
 * standard error), 0 or a negative errno with the old one kept; close it;
 * write one line at level (GR_LOG_*). */
GR_API int gr_server_log_open(const char *path);
GR_API void gr_server_log_close(void);
GR_API void gr_server_log(int level, const char *fmt, ...) GR_PRINTF_FORMAT(2, 3);

#ifdef __cplusplus
}
#endif

#endif
