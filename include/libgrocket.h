/* libgrocket.h - the embedding API: run a grocket server inside your own
 * process. grocketd is a thin program on top of it.
 *
 * Pure C. One server may run per process at a time (the module services
 * reach it without a context argument). */
#ifndef LIBGROCKET_H
#define LIBGROCKET_H

#include <stddef.h>

#include "grocket.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define GR_API __declspec(dllexport)
#else
#define GR_API __attribute__((visibility("default")))
#endif

typedef struct gr_server_t gr_server_t;

/* Load and validate the configuration file and the module it names.
 * argv is kept for services->server_info. 0, or a negative code with the
 * reason (file:line:key, or the module's path and versions) in err. */
GR_API int gr_server_create(gr_server_t **out, const char *config_path, int argc, char **argv,
                            char *err, size_t errlen);
/* The same, from INI text; name stands for the file in messages, and
 * module, when not NULL, is used instead of loading [server] module. */
GR_API int gr_server_create_from_string(gr_server_t **out, const char *ini_text, const char *name,
                                        const gr_module_t *module, int argc, char **argv,
                                        char *err, size_t errlen);
/* Bind the listen addresses, call module init, start every thread. Returns
 * when serving, or with an error (nothing left running). */
GR_API int gr_server_start(gr_server_t *s, char *err, size_t errlen);
/* Stop accepting, close every connection, join every thread, call the
 * module's term. Safe to call twice. The hard stop: replies not yet sent
 * are lost; see gr_server_stop_graceful. */
GR_API void gr_server_stop(gr_server_t *s);

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

/* The bound port of listen entry i (the real one when port 0 was asked),
 * or -1. */
GR_API int gr_server_listen_port(const gr_server_t *s, int i);
/* Text for an error code returned above. */
GR_API const char *gr_server_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
