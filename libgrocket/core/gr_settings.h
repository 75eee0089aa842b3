/* gr_settings.h - what the server runs with: [server] checked against the
 * one table of known keys (gr_settings_keys.cpp) and [listen] against the
 * listen-address grammar (gr_listen.h). An unknown key or a bad value in
 * those sections is an error naming file:line and key. Every key and its
 * default is listed once, in gr_settings_keys.cpp, and documented in
 * conf/grocketd.ini and docs/configuration.md. */
#ifndef GR_SETTINGS_H
#define GR_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "gr_config.h"
#include "gr_listen.h"

#define GR_PATH_MAX 1024

/* The validated settings of the server. */
typedef struct gr_settings_t {
    int log_level;                 /* log.level: GR_LOG_* */
    char log_file[GR_PATH_MAX];    /* log.file: empty = stderr */
    char module[GR_PATH_MAX];      /* module (resolved against the config's directory) */
    int cpu_affinity;              /* cpu_affinity: pin threads to CPUs round-robin */
    int tcp_accept_threads;        /* tcp.accept.thread_count */
    int tcp_accept_backlog;        /* tcp.accept.backlog */
    int tcp_in_threads;            /* tcp.in.thread_count */
    int64_t recv_buf_init;         /* tcp.in.recv_buf.init */
    int64_t recv_buf_max;          /* tcp.in.recv_buf.max */
    int max_connections;           /* tcp.max_connections: open at once; past it accepted and closed */
    int tcp_idle_timeout;          /* tcp.idle_timeout: s a tcp:// connection may stay silent; 0: forever */
    int lingering_time;            /* tcp.lingering_time: s a closing connection's input is read and discarded at most; 0: no lingering */
    int lingering_timeout;         /* tcp.lingering_timeout: s a lingering connection may stay silent */
    int64_t out_pause_bytes;       /* tcp.out.pause_bytes: queued for one connection: stop reading it */
    int64_t out_close_bytes;       /* tcp.out.close_bytes: queued for one connection: close it */
    int max_pending_replies;       /* tcp.max_pending_replies: deferred replies owed to one connection: stop reading it */
    int send_timeout;              /* tcp.out.send_timeout: s replies may wait without a byte going out; 0: forever */
    int tcp_out_threads;           /* tcp.out.thread_count */
    int tcp_out_disabled;          /* tcp.out.disabled */
    int worker_threads;            /* worker.thread_count */
    int worker_disabled;           /* worker.disabled */
    int queue_size;                /* queue.size: slots per SPSC ring */
    int http_max_header_size;      /* http.max_header_size: bytes of request line + headers (431) */
    int http_max_headers;          /* http.max_headers: header lines (431) */
    int64_t http_max_body_size;    /* http.max_body_size: bytes of body (413) */
    int http_keepalive_timeout;    /* http.keepalive_timeout: s an idle HTTP connection stays open */
    int http_header_timeout;       /* http.header_timeout: s to receive a whole request head */
    int stop_grace_period;         /* stop.grace_period: s a graceful stop waits for busy connections */
    int udp_in_threads;            /* udp.in.thread_count */
    int udp_in_batch;              /* udp.in.batch: datagrams per receive call */
    int udp_datagram_max;          /* udp.in.datagram_max: longer datagrams are dropped */
    int udp_out_threads;           /* udp.out.thread_count */
    int udp_out_disabled;          /* udp.out.disabled */
    int udp_recv_buf;              /* udp.recv_buf: SO_RCVBUF bytes; 0 = the system's default */
    int udp_send_buf;              /* udp.send_buf: SO_SNDBUF bytes; 0 = the system's default */
    int listen_count;
    gr_listen_t listens[GR_MAX_LISTEN];
} gr_settings_t;

/* Fill s with the defaults (what an empty file gives, minus [listen]), with
 * paths as written: gr_settings_from_config resolves them. */
void gr_settings_defaults(gr_settings_t *s);
/* Validate [server] and [listen] of cfg into s (gr_settings.cpp). GR_ECONFIG
 * with "FILE:LINE: KEY: message" in err on the first error (s then holds
 * part of the file). Relative paths become absolute, against the directory
 * of the config file (the current directory at load, for a string). */
int gr_settings_from_config(gr_settings_t *s, const gr_config_t *cfg, char *err, size_t errlen);
/* Check one entry the way gr_settings_from_config checks it in a file, with
 * the same message ("NAME:LINE: KEY: ..."): an unknown [server] key, a bad
 * value, a bad listen address, a key outside any section. Checks between
 * keys (recv_buf, no listen, too many listens, clashing listens) are left
 * to gr_settings_from_config. Entries of a module's section pass. */
int gr_settings_check_entry(const gr_config_t *cfg, const char *section, const char *key, const char *value,
                            int line, char *err, size_t errlen);
/* A server that loads its module from a file needs the key `module`: the
 * library has no default. GR_ECONFIG naming the file and the key when it is
 * missing; when a section is a near miss of [server] (`[sever]`), that is
 * named instead, as the likely cause. */
int gr_settings_require_module(const gr_settings_t *s, const gr_config_t *cfg, char *err, size_t errlen);

/* The [server] keys one by one, for a reload (gr_settings_keys.cpp): i from
 * 0 to gr_settings_key_count() - 1. */
int gr_settings_key_count(void);
const char *gr_settings_key_name(int i);
/* 1 when a reload applies key i to the running server (GR_RELOAD in the
 * table), 0 when it needs a restart. -1 for an unknown name. */
int gr_settings_key_reloadable(int i);
int gr_settings_key_reloadable_by_name(const char *key);
/* 1 when key i holds different values in a and b. */
int gr_settings_key_differs(int i, const gr_settings_t *a, const gr_settings_t *b);
/* Key i's value in s as text, for messages. */
void gr_settings_key_format(int i, const gr_settings_t *s, char *buf, size_t len);
/* The same as a bare value (a path unquoted), as a host program reads it. */
void gr_settings_key_value(int i, const gr_settings_t *s, char *buf, size_t len);
/* Copy key i's value from src into dst. */
void gr_settings_key_copy(int i, gr_settings_t *dst, const gr_settings_t *src);

/* The [server] keys of the program hosting the library (gr_host_key_t,
 * libgrocket.h), attached to the configuration (gr_config_set_host_keys);
 * gr_settings_from_config checks them like the library's own. */
struct gr_host_key_t;
/* The host key named key of cfg's table, NULL when none. */
const struct gr_host_key_t *gr_host_key_find(const gr_config_t *cfg, const char *key);
/* Check value against k's type and write it into buf[len] (GR_PATH_MAX:
 * the limit of a library path) as gr_server_setting gives it: a boolean
 * "true" or "false", a path resolved against dir (NULL: as written). On GR_EINVAL, what was expected goes to
 * expect, worded as for the library's keys. */
int gr_host_key_apply(const struct gr_host_key_t *k, const char *value, const char *dir, char *buf, size_t len,
                      char *expect, size_t expectlen);
/* k's value in cfg (its default when cfg does not set it) as above. */
int gr_host_key_value(const gr_config_t *cfg, const struct gr_host_key_t *k, char *buf, size_t len);
/* A table fit to attach: known types, valid defaults, no name twice nor
 * one of the library's. GR_EINVAL with "host key NAME: ..." in err. */
int gr_host_keys_check(const struct gr_host_key_t *keys, char *err, size_t errlen);

#endif
