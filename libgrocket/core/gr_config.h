/* gr_config.h - configuration: an INI file (or string) parsed by inih into
 * a table of entries, and the validated server settings drawn from it.
 *
 * Two layers:
 *  - gr_config_t keeps every entry of every section with the line it came
 *    from, so modules can look up their own sections (services->config_*).
 *  - gr_settings_t is what the server runs with: the [server] and [listen]
 *    sections checked against the table of known keys. An unknown key in
 *    those sections, or a bad value, is an error naming file:line and key.
 * Every key of [server] and its default is listed once, in gr_config.cpp,
 * and documented in conf/grocketd.ini and docs/configuration.md. */
#ifndef GR_CONFIG_H
#define GR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct gr_config_t gr_config_t;

#define GR_CONFIG_ERR_LEN 512
#define GR_MAX_LISTEN 64
#define GR_PATH_MAX 1024

/* Parse an INI file. On failure returns GR_ECONFIG (or -errno when the file
 * cannot be read) and writes "FILE:LINE: message" into err. */
int gr_config_load_file(gr_config_t **out, const char *path, char *err, size_t errlen);
/* Parse INI text; name stands for the file in messages. */
int gr_config_load_string(gr_config_t **out, const char *text, const char *name, char *err, size_t errlen);
void gr_config_free(gr_config_t *cfg);

/* The file name given at load ("<string>" style names for strings). */
const char *gr_config_name(const gr_config_t *cfg);
/* Raw value of [section] key, NULL when absent. A key repeated in one
 * section keeps its last value. */
const char *gr_config_get(const gr_config_t *cfg, const char *section, const char *key);
/* Line of [section] key in the source, 0 when absent. */
int gr_config_line(const gr_config_t *cfg, const char *section, const char *key);
/* Typed look-ups: def when absent or unparsable. */
int64_t gr_config_get_int(const gr_config_t *cfg, const char *section, const char *key, int64_t def);
int gr_config_get_bool(const gr_config_t *cfg, const char *section, const char *key, int def);
/* Iterate the keys of one section in file order; i from 0; NULL past the end. */
const char *gr_config_key_at(const gr_config_t *cfg, const char *section, int i, const char **value, int *line);
/* The distinct section names in order of first appearance; i from 0; NULL
 * past the end. */
const char *gr_config_section_at(const gr_config_t *cfg, int i);

/* Value parsers shared by the settings and the services; 0 or GR_EINVAL. */
int gr_parse_int(const char *s, int64_t *out);   /* decimal, optional sign, nothing trailing */
int gr_parse_bool(const char *s, int *out);      /* true/false yes/no on/off 1/0 */

/* One [listen] entry. */
typedef struct gr_listen_t {
    char url[256];   /* as written, e.g. tcp://0.0.0.0:8000 */
    char host_port[256]; /* the part after "tcp://" */
    int is_udp;      /* udp://: datagrams, served by the udp_in threads */
    int is_http;     /* http://: built-in HTTP/1.1, the module's proc_http */
} gr_listen_t;

/* The validated settings of the server. */
typedef struct gr_settings_t {
    int log_level;                 /* log.level: GR_LOG_* */
    char log_file[GR_PATH_MAX];    /* log.file: empty = stderr */
    int daemon;                    /* daemon */
    char pid_file[GR_PATH_MAX];    /* pid_file (resolved against the config's directory) */
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
/* Validate [server] and [listen] of cfg into s. GR_ECONFIG with
 * "FILE:LINE: KEY: message" in err on the first error (s then holds part
 * of the file). Relative paths become absolute, against the directory of
 * the config file (the current directory at load, for a string). */
int gr_settings_from_config(gr_settings_t *s, const gr_config_t *cfg, char *err, size_t errlen);

/* Configuration built by calls (embedding, gr_embed_config.cpp). */
/* An empty configuration; name stands for the file in messages. Relative
 * paths resolve against the current directory. */
int gr_config_new(gr_config_t **out, const char *name, char *err, size_t errlen);
/* Set [section] key = value: an existing entry takes the new value and line
 * and keeps its place; otherwise the entry is appended. line is what
 * messages name (for calls: the call's number). 0 or GR_ENOMEM. */
int gr_config_set(gr_config_t *cfg, const char *section, const char *key, const char *value, int line);
/* A deep copy (entries, lines, name, directory); NULL when out of memory. */
gr_config_t *gr_config_copy(const gr_config_t *cfg);
/* Check one entry the way gr_settings_from_config checks it in a file, with
 * the same message ("NAME:LINE: KEY: ..."): an unknown [server] key, a bad
 * value, a bad listen address, a key outside any section. Checks between
 * keys (recv_buf, no listen, too many listens) are left to
 * gr_settings_from_config. Entries of a module's section pass. */
int gr_settings_check_entry(const gr_config_t *cfg, const char *section, const char *key, const char *value,
                            int line, char *err, size_t errlen);
/* The [server] keys one by one, for a reload: i from 0 to
 * gr_settings_key_count() - 1. */
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
/* Copy key i's value from src into dst. */
void gr_settings_key_copy(int i, gr_settings_t *dst, const gr_settings_t *src);

#endif
