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
 * module's term. Safe to call twice. */
GR_API void gr_server_stop(gr_server_t *s);
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
