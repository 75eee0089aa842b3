/* gr_settings_keys.cpp - the one table of [server] keys: name, type,
 * default, range and the gr_settings_t field each fills; storing a value,
 * the defaults, the checks between keys, and the per-key helpers a reload
 * uses. */
#include "gr_settings_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_config_value.h"
#include "gr_error.h"
#include "gr_log.h"
#include "gr_path.h"
#include "gr_thread.h"
#include "libgrocket.h"

enum gr_cfg_key_type_t {
    GR_KEY_INT,   /* int field, min..max */
    GR_KEY_INT64, /* int64_t field, min..max */
    GR_KEY_BOOL,  /* int field, 0 or 1 */
    GR_KEY_LEVEL, /* int field, GR_LOG_* */
    GR_KEY_PATH,  /* char[GR_PATH_MAX] field, resolved against the config's directory */
    GR_KEY_THREADS /* int field, min..max, or "auto": the CPUs this process may run on */
};
#define GR_KEY_TYPE_MASK 0xff
/* Or'ed into a key's type: a reload (SIGHUP, gr_server_reload) applies the
 * key to the running server. Only for keys whose readers take a change
 * safely and read it through gr_settings_live() (gr_server.h); every
 * other key is reported as needing a restart. */
#define GR_RELOAD 0x100

/* One [server] key: its type, its default as written in conf/grocketd.ini,
 * its range, and the gr_settings_t field it fills. */
typedef struct gr_cfg_key_t {
    const char *key;
    int type;        /* gr_cfg_key_type_t, | GR_RELOAD when a reload applies it */
    const char *def; /* default, parsed like a value from the file */
    int64_t min;     /* inclusive range, integer types only */
    int64_t max;
    size_t offset;   /* offsetof(gr_settings_t, field) */
} gr_cfg_key_t;

#define GR_EXPECT_BOOL "true or false (also yes/no, on/off, 1/0)"
#define GR_EXPECT_PATH_LEN "a path of at most %d characters once resolved"

#define GR_GIB ((int64_t)1 << 30)
#define GR_FIELD(f) offsetof(gr_settings_t, f)

/* Every [server] key, once. Keep conf/grocketd.ini and docs/configuration.md
 * in step: tests/unit/test_config.cpp compares all three. tcp.in's
 * thread count defaults to auto (one per CPU this process may run on);
 * the other groups keep 1: worker and tcp.out are off unless asked for.
 *
 * Making a key reloadable: give it `| GR_RELOAD` here, and make every
 * reader of it in the running server read it through gr_settings_live(s)
 * (gr_server.h): an immutable snapshot the reload publishes with a release
 * store, so a reader takes no lock and sees the old or the new values,
 * never half of a reload. Only keys whose readers can take a change between
 * two reads qualify (thread counts, queue sizes and listen sockets are
 * sized at start). Then mark the key "yes" under Reload in
 * docs/configuration.md (the test checks that they agree) and add it to
 * the list at the top of conf/grocketd.ini. */
static const gr_cfg_key_t gr_server_keys[] = {
    { "log.level", GR_KEY_LEVEL | GR_RELOAD, "info", 0, 0, GR_FIELD(log_level) },
    { "log.file", GR_KEY_PATH | GR_RELOAD, "", 0, 0, GR_FIELD(log_file) },
    /* No default: a library default would be a path of some build tree,
     * and a typo in [server] would then start the wrong module quietly. */
    { "module", GR_KEY_PATH, "", 0, 0, GR_FIELD(module) },
    { "cpu_affinity", GR_KEY_BOOL, "false", 0, 0, GR_FIELD(cpu_affinity) },
    { "tcp.accept.thread_count", GR_KEY_THREADS, "1", 1, 64, GR_FIELD(tcp_accept_threads) },
    { "tcp.accept.backlog", GR_KEY_INT, "511", 1, 65535, GR_FIELD(tcp_accept_backlog) },
    { "tcp.in.thread_count", GR_KEY_THREADS, "auto", 1, 256, GR_FIELD(tcp_in_threads) },
    { "tcp.in.recv_buf.init", GR_KEY_INT64 | GR_RELOAD, "256", 64, GR_GIB, GR_FIELD(recv_buf_init) },
    { "tcp.in.recv_buf.max", GR_KEY_INT64 | GR_RELOAD, "10485760", 64, GR_GIB, GR_FIELD(recv_buf_max) },
    { "tcp.max_connections", GR_KEY_INT | GR_RELOAD, "10000", 1, 10000000, GR_FIELD(max_connections) },
    { "tcp.idle_timeout", GR_KEY_INT | GR_RELOAD, "300", 0, 86400, GR_FIELD(tcp_idle_timeout) },
    { "tcp.lingering_time", GR_KEY_INT | GR_RELOAD, "30", 0, 3600, GR_FIELD(lingering_time) },
    { "tcp.lingering_timeout", GR_KEY_INT | GR_RELOAD, "5", 1, 3600, GR_FIELD(lingering_timeout) },
    { "tcp.out.pause_bytes", GR_KEY_INT64 | GR_RELOAD, "1048576", 1024, GR_GIB, GR_FIELD(out_pause_bytes) },
    { "tcp.out.close_bytes", GR_KEY_INT64 | GR_RELOAD, "16777216", 1024, 64 * GR_GIB, GR_FIELD(out_close_bytes) },
    { "tcp.max_pending_replies", GR_KEY_INT | GR_RELOAD, "1024", 1, 1000000, GR_FIELD(max_pending_replies) },
    { "tcp.out.send_timeout", GR_KEY_INT | GR_RELOAD, "60", 0, 86400, GR_FIELD(send_timeout) },
    { "tcp.out.thread_count", GR_KEY_THREADS, "1", 1, 256, GR_FIELD(tcp_out_threads) },
    { "tcp.out.disabled", GR_KEY_BOOL, "true", 0, 0, GR_FIELD(tcp_out_disabled) },
    { "worker.thread_count", GR_KEY_THREADS, "1", 1, 256, GR_FIELD(worker_threads) },
    { "worker.disabled", GR_KEY_BOOL, "true", 0, 0, GR_FIELD(worker_disabled) },
    { "queue.size", GR_KEY_INT, "4096", 2, 1048576, GR_FIELD(queue_size) },
    { "http.max_header_size", GR_KEY_INT | GR_RELOAD, "16384", 256, 1048576, GR_FIELD(http_max_header_size) },
    { "http.max_headers", GR_KEY_INT | GR_RELOAD, "100", 1, 10000, GR_FIELD(http_max_headers) },
    { "http.max_body_size", GR_KEY_INT64 | GR_RELOAD, "1048576", 0, GR_GIB, GR_FIELD(http_max_body_size) },
    { "http.keepalive_timeout", GR_KEY_INT | GR_RELOAD, "75", 1, 86400, GR_FIELD(http_keepalive_timeout) },
    { "http.header_timeout", GR_KEY_INT | GR_RELOAD, "10", 1, 3600, GR_FIELD(http_header_timeout) },
    { "stop.grace_period", GR_KEY_INT | GR_RELOAD, "10", 0, 3600, GR_FIELD(stop_grace_period) },
    { "udp.in.thread_count", GR_KEY_THREADS, "1", 1, 256, GR_FIELD(udp_in_threads) },
    { "udp.in.batch", GR_KEY_INT, "32", 1, 1024, GR_FIELD(udp_in_batch) },
    { "udp.in.datagram_max", GR_KEY_INT, "65535", 1, 65535, GR_FIELD(udp_datagram_max) },
    { "udp.out.thread_count", GR_KEY_THREADS, "1", 1, 256, GR_FIELD(udp_out_threads) },
    { "udp.out.disabled", GR_KEY_BOOL, "true", 0, 0, GR_FIELD(udp_out_disabled) },
    { "udp.recv_buf", GR_KEY_INT, "0", 0, GR_GIB, GR_FIELD(udp_recv_buf) },
    { "udp.send_buf", GR_KEY_INT, "0", 0, GR_GIB, GR_FIELD(udp_send_buf) },
};
#define GR_SERVER_KEY_COUNT (sizeof(gr_server_keys) / sizeof(gr_server_keys[0]))

static const gr_cfg_key_t *key_by_field(size_t offset)
{
    for (size_t i = 0; i < GR_SERVER_KEY_COUNT; i++)
        if (gr_server_keys[i].offset == offset)
            return &gr_server_keys[i];
    abort(); /* a field named in this file that the table lacks */
}

int gr_settings_key_find(const char *key)
{
    for (size_t i = 0; i < GR_SERVER_KEY_COUNT; i++)
        if (strcmp(gr_server_keys[i].key, key) == 0)
            return (int)i;
    return -1;
}

int gr_settings_key_is_path(int i)
{
    return (gr_server_keys[i].type & GR_KEY_TYPE_MASK) == GR_KEY_PATH;
}

const char *gr_settings_key_default(int i)
{
    return gr_server_keys[i].def;
}

/* An integer of k's range into n; "auto" too for a thread count, clamped
 * to the range (64 CPUs still mean at most 64 accept threads). */
static int key_integer(const gr_cfg_key_t *k, const char *value, int64_t *n, char *expect, size_t len)
{
    int threads = (k->type & GR_KEY_TYPE_MASK) == GR_KEY_THREADS;
    int rc = threads ? gr_parse_threads(value, gr_cpu_count(), n) : gr_parse_int(value, n);
    if (rc == 0 && threads && gr_config_ncasecmp(value, "auto", 5) == 0)
        *n = *n < k->min ? k->min : *n > k->max ? k->max : *n;
    if (rc != 0 || *n < k->min || *n > k->max) {
        snprintf(expect, len, "an integer %lld..%lld%s", (long long)k->min, (long long)k->max,
                 threads ? " or auto" : "");
        return GR_EINVAL;
    }
    return 0;
}

/* Store value into k's field of s. */
static int key_apply(const gr_cfg_key_t *k, const char *value, const char *dir, gr_settings_t *s, char *expect,
                     size_t expectlen)
{
    char *field = (char *)s + k->offset;
    int64_t n;
    int b;
    switch (k->type & GR_KEY_TYPE_MASK) {
    case GR_KEY_INT:
    case GR_KEY_THREADS:
    case GR_KEY_INT64:
        if (key_integer(k, value, &n, expect, expectlen) != 0)
            return GR_EINVAL;
        if ((k->type & GR_KEY_TYPE_MASK) == GR_KEY_INT64)
            *(int64_t *)field = n;
        else
            *(int *)field = (int)n;
        return 0;
    case GR_KEY_BOOL:
        if (gr_parse_bool(value, &b) != 0) {
            snprintf(expect, expectlen, "%s", GR_EXPECT_BOOL);
            return GR_EINVAL;
        }
        *(int *)field = b;
        return 0;
    case GR_KEY_LEVEL:
        b = gr_log_level_parse(value);
        if (b < 0) {
            snprintf(expect, expectlen, "debug, info, warn or error");
            return GR_EINVAL;
        }
        *(int *)field = b;
        return 0;
    case GR_KEY_PATH: {
        /* Empty stays empty (it means "none"); absolute stays as written. */
        int rc = gr_path_join(field, GR_PATH_MAX, value[0] == '\0' || dir == NULL ? "" : dir, value);
        if (rc != 0) {
            field[0] = '\0';
            snprintf(expect, expectlen, GR_EXPECT_PATH_LEN, GR_PATH_MAX - 1);
            return GR_EINVAL;
        }
        return 0;
    }
    default:
        abort(); /* a type missing from this switch is a bug in the table */
    }
}

int gr_settings_key_apply(int i, const char *value, const char *dir, gr_settings_t *s, char *expect, size_t len)
{
    return key_apply(&gr_server_keys[i], value, dir, s, expect, len);
}

/* Every key's default, paths as written: the table's defaults are valid by
 * construction (the tests load the shipped file, which repeats them). */
void gr_settings_defaults(gr_settings_t *s)
{
    char expect[128];
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < GR_SERVER_KEY_COUNT; i++)
        if (key_apply(&gr_server_keys[i], gr_server_keys[i].def, NULL, s, expect, sizeof(expect)) != 0)
            abort(); /* a default in the table that its own parser rejects */
}

int gr_settings_keys_check_order(const gr_settings_t *s, const int *line, const char *name, char *err,
                                 size_t errlen)
{
    static const size_t ordered[][2] = {
        {GR_FIELD(recv_buf_init), GR_FIELD(recv_buf_max)},
        {GR_FIELD(out_pause_bytes), GR_FIELD(out_close_bytes)},
    };
    for (size_t i = 0; i < sizeof ordered / sizeof ordered[0]; i++) {
        const gr_cfg_key_t *lo = key_by_field(ordered[i][0]), *hi = key_by_field(ordered[i][1]);
        int64_t lv = *(const int64_t *)((const char *)s + lo->offset);
        int64_t hv = *(const int64_t *)((const char *)s + hi->offset);
        if (hv >= lv)
            continue;
        /* Blame the key that was written; when both were, the larger. */
        int hline = line[hi - gr_server_keys], lline = line[lo - gr_server_keys];
        if (hline != 0)
            gr_config_err(err, errlen, "%s:%d: %s: %lld is less than %s (%lld)", name, hline, hi->key,
                          (long long)hv, lo->key, (long long)lv);
        else
            gr_config_err(err, errlen, "%s:%d: %s: %lld is more than %s (%lld)", name, lline, lo->key,
                          (long long)lv, hi->key, (long long)hv);
        return GR_ECONFIG;
    }
    return 0;
}

/* ---------------------------------------------------------------- per key, for a reload */

int gr_settings_key_count(void)
{
    return (int)GR_SERVER_KEY_COUNT;
}

const char *gr_settings_key_name(int i)
{
    return gr_server_keys[i].key;
}

int gr_settings_key_reloadable(int i)
{
    return (gr_server_keys[i].type & GR_RELOAD) != 0;
}

int gr_settings_key_reloadable_by_name(const char *key)
{
    int i = gr_settings_key_find(key);
    return i < 0 ? -1 : gr_settings_key_reloadable(i);
}

/* Bytes of key k's field in gr_settings_t. */
static size_t key_size(const gr_cfg_key_t *k)
{
    switch (k->type & GR_KEY_TYPE_MASK) {
    case GR_KEY_INT64: return sizeof(int64_t);
    case GR_KEY_PATH: return GR_PATH_MAX;
    default: return sizeof(int);
    }
}

int gr_settings_key_differs(int i, const gr_settings_t *a, const gr_settings_t *b)
{
    const gr_cfg_key_t *k = &gr_server_keys[i];
    const char *fa = (const char *)a + k->offset, *fb = (const char *)b + k->offset;
    if ((k->type & GR_KEY_TYPE_MASK) == GR_KEY_PATH)
        return strcmp(fa, fb) != 0; /* bytes past the NUL are not part of it */
    return memcmp(fa, fb, key_size(k)) != 0;
}

static void key_text(int i, const gr_settings_t *s, char *buf, size_t len, bool quote_paths);

void gr_settings_key_format(int i, const gr_settings_t *s, char *buf, size_t len) { key_text(i, s, buf, len, true); }
void gr_settings_key_value(int i, const gr_settings_t *s, char *buf, size_t len) { key_text(i, s, buf, len, false); }

static void key_text(int i, const gr_settings_t *s, char *buf, size_t len, bool quote_paths)
{
    const gr_cfg_key_t *k = &gr_server_keys[i];
    const char *field = (const char *)s + k->offset;
    switch (k->type & GR_KEY_TYPE_MASK) {
    case GR_KEY_INT:
    case GR_KEY_THREADS: snprintf(buf, len, "%d", *(const int *)field); break;
    case GR_KEY_INT64: snprintf(buf, len, "%lld", (long long)*(const int64_t *)field); break;
    case GR_KEY_BOOL: snprintf(buf, len, "%s", *(const int *)field ? "true" : "false"); break;
    case GR_KEY_LEVEL: {
        static const char *const names[] = { "debug", "info", "warn", "error" };
        int v = *(const int *)field;
        snprintf(buf, len, "%s", v >= 0 && v <= 3 ? names[v] : "?");
        break;
    }
    case GR_KEY_PATH: snprintf(buf, len, quote_paths ? "'%s'" : "%s", field); break;
    default: abort();
    }
}

void gr_settings_key_copy(int i, gr_settings_t *dst, const gr_settings_t *src)
{
    const gr_cfg_key_t *k = &gr_server_keys[i];
    memcpy((char *)dst + k->offset, (const char *)src + k->offset, key_size(k));
}

/* ---------------------------------------------------------------- the host program's keys */

const gr_host_key_t *gr_host_key_find(const gr_config_t *cfg, const char *key)
{
    const gr_host_key_t *k = gr_config_host_keys(cfg);
    for (; k != NULL && k->name != NULL; k++)
        if (strcmp(k->name, key) == 0)
            return k;
    return NULL;
}

int gr_host_key_apply(const gr_host_key_t *k, const char *value, const char *dir, char *buf, size_t len,
                      char *expect, size_t expectlen)
{
    int b;
    switch (k->type) {
    case GR_HOST_BOOL:
        if (gr_parse_bool(value, &b) != 0) {
            snprintf(expect, expectlen, "%s", GR_EXPECT_BOOL);
            return GR_EINVAL;
        }
        snprintf(buf, len, "%s", b ? "true" : "false");
        return 0;
    case GR_HOST_PATH: {
        /* As a library path: empty stays empty, the same length limit. */
        if (gr_path_join(buf, len, value[0] == '\0' || dir == NULL ? "" : dir, value) != 0) {
            buf[0] = '\0';
            snprintf(expect, expectlen, GR_EXPECT_PATH_LEN, (int)len - 1);
            return GR_EINVAL;
        }
        return 0;
    }
    default:
        snprintf(expect, expectlen, "a known type (GR_HOST_BOOL or GR_HOST_PATH), not %d", k->type);
        return GR_EINVAL;
    }
}

int gr_host_key_value(const gr_config_t *cfg, const gr_host_key_t *k, char *buf, size_t len)
{
    const char *v = gr_config_get(cfg, "server", k->name);
    char value[GR_PATH_MAX], why[128];
    int rc = gr_host_key_apply(k, v ? v : (k->def ? k->def : ""), gr_config_dir(cfg), value, sizeof value, why,
                               sizeof why);
    snprintf(buf, len, "%s", rc == 0 ? value : "");
    return rc;
}

int gr_host_keys_check(const gr_host_key_t *keys, char *err, size_t errlen)
{
    char buf[GR_PATH_MAX], why[128];
    for (const gr_host_key_t *k = keys; k != NULL && k->name != NULL; k++) {
        const char *what = NULL;
        if (gr_settings_key_find(k->name) >= 0)
            what = "a key of the library's";
        for (const gr_host_key_t *p = keys; what == NULL && p < k; p++)
            if (strcmp(p->name, k->name) == 0)
                what = "declared twice";
        if (what == NULL && gr_host_key_apply(k, k->def ? k->def : "", NULL, buf, sizeof buf, why, sizeof why) != 0)
            what = "default or type invalid";
        if (what != NULL) {
            gr_config_err(err, errlen, "host key %s: %s", k->name, what);
            return GR_EINVAL;
        }
    }
    return 0;
}
