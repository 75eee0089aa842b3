/* gr_config.cpp - configuration: inih parses the text into a flat list of
 * entries (section, key, value, line) kept in file order; the settings layer
 * checks [server] against the one table of known keys below and [listen]
 * against the listen-address syntax.
 *
 * Line numbers: Debian's inih is built without INI_HANDLER_LINENO, so the
 * handler is not told the line. We feed inih through ini_parse_stream with a
 * reader of our own that hands over exactly one source line per call and
 * counts them; inih runs the handler for a line before it asks for the next,
 * so the reader's count is the handler's line, and inih's own error line
 * (one per reader call) agrees with it. */
#include "gr_config.h"

#include "gr_error.h"
#include "gr_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* One name = value line, in file order. */
typedef struct gr_config_entry_t {
    const char *section; /* all three point into one allocation, owned here */
    const char *key;
    const char *value;
    int line;            /* 1-based line in the source */
} gr_config_entry_t;

struct gr_config_t {
    char *name;                 /* the path or name given at load, for messages */
    char *dir;                  /* absolute directory relative paths resolve against */
    gr_config_entry_t *entries; /* every entry, in file order */
    int count;
    int cap;
};

/* ---------------------------------------------------------------- errors */

static void cfg_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cfg_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- reading */

/* Where the reader takes its characters from: a FILE or a string. */
typedef struct gr_cfg_reader_t {
    FILE *fp;          /* NULL for a string */
    const char *text;  /* read position in the string */
    int line;          /* lines handed to inih so far = current line */
    int too_long;      /* stopped on a line longer than inih's buffer... */
    int max_len;       /* ...which holds lines of at most this many characters */
    int io_errno;      /* stopped on a read error (errno) */
} gr_cfg_reader_t;

static int reader_getc(gr_cfg_reader_t *r)
{
    if (r->fp != NULL)
        return getc(r->fp);
    if (*r->text == '\0')
        return EOF;
    return (unsigned char)*r->text++;
}

/* inih's ini_reader: one whole line per call, fgets-style. A line that does
 * not fit is an error rather than being split: inih would read the rest as
 * a line of its own and both the content and the line numbers would go
 * wrong. Leading blanks are dropped so that an indented line never becomes
 * an inih "continuation" of the previous value: values are one line. */
static char *cfg_reader(char *str, int num, void *stream)
{
    gr_cfg_reader_t *r = (gr_cfg_reader_t *)stream;
    if (r->too_long || r->io_errno)
        return NULL;
    int c = reader_getc(r);
    if (c == EOF) {
        if (r->fp != NULL && ferror(r->fp))
            r->io_errno = errno ? errno : EIO;
        return NULL;
    }
    r->line++;
    while (c == ' ' || c == '\t')
        c = reader_getc(r);
    /* Up to num - 1 characters, so that a CRLF line as long as an LF one
     * fits once its '\r' is gone; then room must remain for '\n', '\0'. */
    int n = 0;
    while (c != EOF && c != '\n' && n < num - 1) {
        str[n++] = (char)c;
        c = reader_getc(r);
    }
    if (c == EOF && r->fp != NULL && ferror(r->fp)) {
        r->io_errno = errno ? errno : EIO;
        return NULL;
    }
    if (c == '\n' && n > 0 && str[n - 1] == '\r')
        n--;
    if ((c != EOF && c != '\n') || n > num - 2) {
        r->too_long = 1;
        r->max_len = num - 2;
        return NULL;
    }
    if (c == '\n')
        str[n++] = '\n';
    str[n] = '\0';
    return str;
}

typedef struct gr_cfg_parse_t {
    gr_config_t *cfg;
    gr_cfg_reader_t *reader;
    int nomem; /* an allocation failed in the handler */
} gr_cfg_parse_t;

static int cfg_handler(void *user, const char *section, const char *key, const char *value)
{
    gr_cfg_parse_t *p = (gr_cfg_parse_t *)user;
    gr_config_t *cfg = p->cfg;
    if (value == NULL) /* only with ini_allow_no_value, a process-wide switch */
        value = "";
    if (cfg->count == cfg->cap) {
        int cap = cfg->cap ? cfg->cap * 2 : 32;
        gr_config_entry_t *e = (gr_config_entry_t *)realloc(cfg->entries, (size_t)cap * sizeof(*e));
        if (e == NULL) {
            p->nomem = 1;
            return 0;
        }
        cfg->entries = e;
        cfg->cap = cap;
    }
    size_t ls = strlen(section) + 1, lk = strlen(key) + 1, lv = strlen(value) + 1;
    char *mem = (char *)malloc(ls + lk + lv);
    if (mem == NULL) {
        p->nomem = 1;
        return 0;
    }
    memcpy(mem, section, ls);
    memcpy(mem + ls, key, lk);
    memcpy(mem + ls + lk, value, lv);
    gr_config_entry_t *e = &cfg->entries[cfg->count++];
    e->section = mem;
    e->key = mem + ls;
    e->value = mem + ls + lk;
    e->line = p->reader->line;
    return 1;
}

/* The absolute directory that relative paths resolve against: the config
 * file's directory, or the current one for a string. Made absolute now
 * because grocketd may chdir("/") when it daemonizes. */
static char *cfg_dir(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (slash != NULL && path[0] == '/') {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        return strndup(path, n);
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return NULL;
    if (slash == NULL)
        return strdup(cwd);
    size_t lc = strlen(cwd), lp = (size_t)(slash - path);
    char *dir = (char *)malloc(lc + 1 + lp + 1);
    if (dir == NULL)
        return NULL;
    memcpy(dir, cwd, lc);
    dir[lc] = '/';
    memcpy(dir + lc + 1, path, lp);
    dir[lc + 1 + lp] = '\0';
    return dir;
}

/* Parse from r into a new config; shared by file and string. */
static int cfg_load(gr_config_t **out, gr_cfg_reader_t *r, const char *name, const char *path_for_dir,
                    char *err, size_t errlen)
{
    int rc;
    gr_config_t *cfg = (gr_config_t *)calloc(1, sizeof(*cfg));
    if (cfg == NULL || (cfg->name = strdup(name)) == NULL) {
        cfg_err(err, errlen, "%s: out of memory", name);
        rc = GR_ENOMEM;
        goto fail;
    }
    errno = 0;
    cfg->dir = cfg_dir(path_for_dir);
    if (cfg->dir == NULL) {
        rc = errno ? -errno : GR_ENOMEM;
        cfg_err(err, errlen, "%s: cannot resolve its directory: %s", name, gr_strerror(rc));
        goto fail;
    }

    gr_cfg_parse_t p;
    p.cfg = cfg;
    p.reader = r;
    p.nomem = 0;
    rc = ini_parse_stream(cfg_reader, r, cfg_handler, &p);
    if (r->io_errno) {
        cfg_err(err, errlen, "%s: %s", name, strerror(r->io_errno));
        rc = -r->io_errno;
        goto fail;
    }
    if (p.nomem || rc == -2) {
        cfg_err(err, errlen, "%s: out of memory", name);
        rc = GR_ENOMEM;
        goto fail;
    }
    if (r->too_long) {
        cfg_err(err, errlen, "%s:%d: line too long (at most %d characters)", name, r->line, r->max_len);
        rc = GR_ECONFIG;
        goto fail;
    }
    if (rc != 0) {
        cfg_err(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", name, rc);
        rc = GR_ECONFIG;
        goto fail;
    }
    *out = cfg;
    return 0;

fail:
    gr_config_free(cfg);
    *out = NULL;
    return rc;
}

int gr_config_load_file(gr_config_t **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        int e = errno;
        cfg_err(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    gr_cfg_reader_t r;
    memset(&r, 0, sizeof(r));
    r.fp = fp;
    int rc = cfg_load(out, &r, path, path, err, errlen);
    fclose(fp);
    return rc;
}

int gr_config_load_string(gr_config_t **out, const char *text, const char *name, char *err, size_t errlen)
{
    gr_cfg_reader_t r;
    memset(&r, 0, sizeof(r));
    r.text = text ? text : "";
    return cfg_load(out, &r, name ? name : "<string>", NULL, err, errlen);
}

void gr_config_free(gr_config_t *cfg)
{
    if (cfg == NULL)
        return;
    for (int i = 0; i < cfg->count; i++)
        free((void *)cfg->entries[i].section); /* the entry's one allocation */
    free(cfg->entries);
    free(cfg->dir);
    free(cfg->name);
    free(cfg);
}

/* ---------------------------------------------------------------- look-up */

const char *gr_config_name(const gr_config_t *cfg)
{
    return cfg->name;
}

/* The last entry of [section] key: the one that wins. */
static const gr_config_entry_t *cfg_find(const gr_config_t *cfg, const char *section, const char *key)
{
    for (int i = cfg->count - 1; i >= 0; i--) {
        const gr_config_entry_t *e = &cfg->entries[i];
        if (strcmp(e->key, key) == 0 && strcmp(e->section, section) == 0)
            return e;
    }
    return NULL;
}

const char *gr_config_get(const gr_config_t *cfg, const char *section, const char *key)
{
    const gr_config_entry_t *e = cfg_find(cfg, section, key);
    return e ? e->value : NULL;
}

int gr_config_line(const gr_config_t *cfg, const char *section, const char *key)
{
    const gr_config_entry_t *e = cfg_find(cfg, section, key);
    return e ? e->line : 0;
}

int64_t gr_config_get_int(const gr_config_t *cfg, const char *section, const char *key, int64_t def)
{
    const char *v = gr_config_get(cfg, section, key);
    int64_t n;
    if (v == NULL || gr_parse_int(v, &n) != 0)
        return def;
    return n;
}

int gr_config_get_bool(const gr_config_t *cfg, const char *section, const char *key, int def)
{
    const char *v = gr_config_get(cfg, section, key);
    int b;
    if (v == NULL || gr_parse_bool(v, &b) != 0)
        return def;
    return b;
}

const char *gr_config_key_at(const gr_config_t *cfg, const char *section, int i, const char **value, int *line)
{
    if (i < 0)
        return NULL;
    for (int k = 0; k < cfg->count; k++) {
        const gr_config_entry_t *e = &cfg->entries[k];
        if (strcmp(e->section, section) != 0 || i-- > 0)
            continue;
        if (value)
            *value = e->value;
        if (line)
            *line = e->line;
        return e->key;
    }
    return NULL;
}

const char *gr_config_section_at(const gr_config_t *cfg, int i)
{
    for (int k = 0; k < cfg->count && i >= 0; k++) {
        const char *sec = cfg->entries[k].section;
        int seen = 0;
        for (int j = 0; j < k && !seen; j++)
            seen = strcmp(cfg->entries[j].section, sec) == 0;
        if (!seen && i-- == 0)
            return sec;
    }
    return NULL;
}

/* ---------------------------------------------------------------- values */

int gr_parse_int(const char *s, int64_t *out)
{
    if (s == NULL)
        return GR_EINVAL;
    int neg = 0;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (*s == '\0')
        return GR_EINVAL;
    /* Accumulate the magnitude unsigned so INT64_MIN is reachable. */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return GR_EINVAL;
        unsigned d = (unsigned)(*s - '0');
        if (v > (limit - d) / 10)
            return GR_EINVAL;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int gr_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    if (s == NULL)
        return GR_EINVAL;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return GR_EINVAL;
}

/* ---------------------------------------------------------------- [server] */

enum gr_cfg_key_type_t {
    GR_KEY_INT,   /* int field, min..max */
    GR_KEY_INT64, /* int64_t field, min..max */
    GR_KEY_BOOL,  /* int field, 0 or 1 */
    GR_KEY_LEVEL, /* int field, GR_LOG_* */
    GR_KEY_PATH   /* char[GR_PATH_MAX] field, resolved against the config's directory */
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

#define GR_GIB ((int64_t)1 << 30)
#define GR_FIELD(f) offsetof(gr_settings_t, f)

/* Every [server] key, once. Keep conf/grocketd.ini and docs/configuration.md
 * in step: tests/unit/test_config.cpp compares all three. */
static const gr_cfg_key_t gr_server_keys[] = {
    { "log.level", GR_KEY_LEVEL | GR_RELOAD, "info", 0, 0, GR_FIELD(log_level) },
    { "log.file", GR_KEY_PATH | GR_RELOAD, "", 0, 0, GR_FIELD(log_file) },
    { "daemon", GR_KEY_BOOL, "false", 0, 0, GR_FIELD(daemon) },
    { "pid_file", GR_KEY_PATH, "grocketd.pid", 0, 0, GR_FIELD(pid_file) },
    { "module", GR_KEY_PATH, "../build/modules/libdemo.so", 0, 0, GR_FIELD(module) },
    { "cpu_affinity", GR_KEY_BOOL, "false", 0, 0, GR_FIELD(cpu_affinity) },
    { "tcp.accept.thread_count", GR_KEY_INT, "1", 1, 64, GR_FIELD(tcp_accept_threads) },
    { "tcp.accept.backlog", GR_KEY_INT, "511", 1, 65535, GR_FIELD(tcp_accept_backlog) },
    { "tcp.in.thread_count", GR_KEY_INT, "1", 1, 256, GR_FIELD(tcp_in_threads) },
    { "tcp.in.recv_buf.init", GR_KEY_INT64 | GR_RELOAD, "256", 64, GR_GIB, GR_FIELD(recv_buf_init) },
    { "tcp.in.recv_buf.max", GR_KEY_INT64 | GR_RELOAD, "10485760", 64, GR_GIB, GR_FIELD(recv_buf_max) },
    { "tcp.max_connections", GR_KEY_INT | GR_RELOAD, "10000", 1, 10000000, GR_FIELD(max_connections) },
    { "tcp.idle_timeout", GR_KEY_INT | GR_RELOAD, "300", 0, 86400, GR_FIELD(tcp_idle_timeout) },
    { "tcp.lingering_time", GR_KEY_INT | GR_RELOAD, "30", 0, 3600, GR_FIELD(lingering_time) },
    { "tcp.lingering_timeout", GR_KEY_INT | GR_RELOAD, "5", 1, 3600, GR_FIELD(lingering_timeout) },
    { "tcp.out.pause_bytes", GR_KEY_INT64 | GR_RELOAD, "1048576", 1024, GR_GIB, GR_FIELD(out_pause_bytes) },
    { "tcp.out.close_bytes", GR_KEY_INT64 | GR_RELOAD, "16777216", 1024, 64 * GR_GIB, GR_FIELD(out_close_bytes) },
    { "tcp.out.send_timeout", GR_KEY_INT | GR_RELOAD, "60", 0, 86400, GR_FIELD(send_timeout) },
    { "tcp.out.thread_count", GR_KEY_INT, "1", 1, 256, GR_FIELD(tcp_out_threads) },
    { "tcp.out.disabled", GR_KEY_BOOL, "true", 0, 0, GR_FIELD(tcp_out_disabled) },
    { "worker.thread_count", GR_KEY_INT, "1", 1, 256, GR_FIELD(worker_threads) },
    { "worker.disabled", GR_KEY_BOOL, "true", 0, 0, GR_FIELD(worker_disabled) },
    { "queue.size", GR_KEY_INT, "4096", 2, 1048576, GR_FIELD(queue_size) },
    { "http.max_header_size", GR_KEY_INT | GR_RELOAD, "16384", 256, 1048576, GR_FIELD(http_max_header_size) },
    { "http.max_headers", GR_KEY_INT | GR_RELOAD, "100", 1, 10000, GR_FIELD(http_max_headers) },
    { "http.max_body_size", GR_KEY_INT64 | GR_RELOAD, "1048576", 0, GR_GIB, GR_FIELD(http_max_body_size) },
    { "http.keepalive_timeout", GR_KEY_INT | GR_RELOAD, "75", 1, 86400, GR_FIELD(http_keepalive_timeout) },
    { "http.header_timeout", GR_KEY_INT | GR_RELOAD, "10", 1, 3600, GR_FIELD(http_header_timeout) },
    { "stop.grace_period", GR_KEY_INT | GR_RELOAD, "10", 0, 3600, GR_FIELD(stop_grace_period) },
    { "udp.in.thread_count", GR_KEY_INT, "1", 1, 256, GR_FIELD(udp_in_threads) },
    { "udp.in.batch", GR_KEY_INT, "32", 1, 1024, GR_FIELD(udp_in_batch) },
    { "udp.in.datagram_max", GR_KEY_INT, "65535", 1, 65535, GR_FIELD(udp_datagram_max) },
    { "udp.out.thread_count", GR_KEY_INT, "1", 1, 256, GR_FIELD(udp_out_threads) },
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
    return NULL;
}

static const gr_cfg_key_t *key_find(const char *key)
{
    for (size_t i = 0; i < GR_SERVER_KEY_COUNT; i++)
        if (strcmp(gr_server_keys[i].key, key) == 0)
            return &gr_server_keys[i];
    return NULL;
}

/* Store value into k's field of s. dir (NULL: leave paths as written) is
 * where relative paths resolve. On GR_EINVAL, what was expected goes to
 * expect ("an integer 1..64", ...). */
static int key_apply(const gr_cfg_key_t *k, const char *value, const char *dir, gr_settings_t *s, char *expect,
                     size_t expectlen)
{
    char *field = (char *)s + k->offset;
    int64_t n;
    int b;
    switch (k->type & GR_KEY_TYPE_MASK) {
    case GR_KEY_INT:
    case GR_KEY_INT64:
        if (gr_parse_int(value, &n) != 0 || n < k->min || n > k->max) {
            snprintf(expect, expectlen, "an integer %lld..%lld", (long long)k->min, (long long)k->max);
            return GR_EINVAL;
        }
        if ((k->type & GR_KEY_TYPE_MASK) == GR_KEY_INT)
            *(int *)field = (int)n;
        else
            *(int64_t *)field = n;
        return 0;
    case GR_KEY_BOOL:
        if (gr_parse_bool(value, &b) != 0) {
            snprintf(expect, expectlen, "true or false (also yes/no, on/off, 1/0)");
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
        int len;
        if (value[0] == '\0' || value[0] == '/' || dir == NULL)
            len = snprintf(field, GR_PATH_MAX, "%s", value);
        else
            len = snprintf(field, GR_PATH_MAX, "%s/%s", dir, value);
        if (len < 0 || len >= GR_PATH_MAX) {
            field[0] = '\0';
            snprintf(expect, expectlen, "a path of at most %d characters once resolved", GR_PATH_MAX - 1);
            return GR_EINVAL;
        }
        return 0;
    }
    default:
        abort(); /* a type missing from this switch is a bug in the table */
    }
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

/* ---------------------------------------------------------------- [listen] */

/* HOST of HOST:PORT: an IPv4 literal, or a host name. (Bracketed IPv6 is
 * checked by the caller.) A name made of digits and dots only must be a
 * valid IPv4 address, so "300.1.1.1" is refused rather than looked up. */
static int listen_host_ok(const char *host, size_t len)
{
    if (len == 0 || len > 253)
        return 0;
    char buf[256];
    memcpy(buf, host, len);
    buf[len] = '\0';
    int numeric = 1;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c >= '0' && c <= '9')
            continue;
        if (c == '.')
            continue;
        numeric = 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
            return 0;
    }
    if (numeric) {
        struct in_addr a4;
        return inet_pton(AF_INET, buf, &a4) == 1;
    }
    return 1;
}

/* Parse "tcp://HOST:PORT", "http://HOST:PORT" or "udp://HOST:PORT" into l;
 * 0 or GR_EINVAL. */
static int listen_parse(const char *value, gr_listen_t *l)
{
    int is_udp = 0, is_http = 0;
    const char *hp;
    if (strncasecmp(value, "tcp://", 6) == 0)
        hp = value + 6;
    else if (strncasecmp(value, "udp://", 6) == 0)
        hp = value + 6, is_udp = 1;
    else if (strncasecmp(value, "http://", 7) == 0)
        hp = value + 7, is_http = 1;
    else
        return GR_EINVAL;
    const char *colon; /* the ':' before PORT */
    if (hp[0] == '[') {
        const char *close = strchr(hp, ']');
        if (close == NULL || close[1] != ':')
            return GR_EINVAL;
        size_t len = (size_t)(close - hp - 1);
        char buf[INET6_ADDRSTRLEN];
        struct in6_addr a6;
        if (len == 0 || len >= sizeof(buf))
            return GR_EINVAL;
        memcpy(buf, hp + 1, len);
        buf[len] = '\0';
        if (inet_pton(AF_INET6, buf, &a6) != 1)
            return GR_EINVAL;
        colon = close + 1;
    } else {
        colon = strchr(hp, ':');
        if (colon == NULL || strchr(colon + 1, ':') != NULL) /* IPv6 needs brackets */
            return GR_EINVAL;
        if (!listen_host_ok(hp, (size_t)(colon - hp)))
            return GR_EINVAL;
    }
    const char *port = colon + 1;
    size_t plen = strlen(port);
    if (plen == 0 || plen > 5 || strspn(port, "0123456789") != plen || atoi(port) > 65535)
        return GR_EINVAL;
    if (strlen(value) >= sizeof(l->url))
        return GR_EINVAL;
    snprintf(l->url, sizeof(l->url), "%s", value);
    snprintf(l->host_port, sizeof(l->host_port), "%s", hp);
    l->is_udp = is_udp;
    l->is_http = is_http;
    return 0;
}

/* ---------------------------------------------------------------- settings */

/* The earlier entry of the same section and key as entries[i], or NULL. */
static const gr_config_entry_t *entry_repeated(const gr_config_t *cfg, int i)
{
    const gr_config_entry_t *e = &cfg->entries[i];
    for (int k = 0; k < i; k++) {
        const gr_config_entry_t *p = &cfg->entries[k];
        if (strcmp(p->key, e->key) == 0 && strcmp(p->section, e->section) == 0)
            return p;
    }
    return NULL;
}

/* One entry checked and applied the way a file's is, with the same
 * message naming file:line:key: a listen address into *l, a [server] key
 * into s (*key_out: its table entry, else NULL). Entries of a module's
 * section pass untouched (the module checks them). Used by a file's load
 * and by embedding's set calls, so both say exactly the same. */
static int entry_apply(const gr_config_t *cfg, const char *section, const char *key, const char *value, int line,
                       gr_settings_t *s, gr_listen_t *l, const gr_cfg_key_t **key_out, char *err, size_t errlen)
{
    const char *name = cfg->name;
    *key_out = NULL;
    if (section[0] == '\0') {
        /* Most likely a [server] key whose header was forgotten; it would
         * otherwise be silently ignored. */
        cfg_err(err, errlen, "%s:%d: %s: key outside any section", name, line, key);
        return GR_ECONFIG;
    }
    if (strcmp(section, "listen") == 0) {
        if (listen_parse(value, l) != 0) {
            cfg_err(err, errlen,
                    "%s:%d: %s: invalid listen address '%s' (expected tcp://, http:// or udp://HOST:PORT)", name,
                    line, key, value);
            return GR_ECONFIG;
        }
        return 0;
    }
    if (strcmp(section, "server") != 0)
        return 0;
    const gr_cfg_key_t *k = key_find(key);
    if (k == NULL) {
        cfg_err(err, errlen, "%s:%d: %s: unknown key in [server]", name, line, key);
        return GR_ECONFIG;
    }
    char expect[128];
    if (key_apply(k, value, cfg->dir, s, expect, sizeof(expect)) != 0) {
        cfg_err(err, errlen, "%s:%d: %s: invalid value '%s' (expected %s)", name, line, key, value, expect);
        return GR_ECONFIG;
    }
    *key_out = k;
    return 0;
}

int gr_settings_from_config(gr_settings_t *s, const gr_config_t *cfg, char *err, size_t errlen)
{
    const char *name = cfg->name;
    char expect[128];
    const gr_cfg_key_t *k;
    int set[GR_SERVER_KEY_COUNT]; /* the line that gave each key a value; 0: none */
    memset(set, 0, sizeof(set));
    gr_settings_defaults(s);

    for (int i = 0; i < cfg->count; i++) {
        const gr_config_entry_t *e = &cfg->entries[i];
        int listen = strcmp(e->section, "listen") == 0;
        if (e->section[0] != '\0' && !listen && strcmp(e->section, "server") != 0)
            continue; /* a module's section: the module checks it */
        if (e->section[0] != '\0') {
            /* Last-wins is right for a module's look-ups, but in the
             * server's own sections a repeat is almost always an edit gone
             * wrong. */
            const gr_config_entry_t *first = entry_repeated(cfg, i);
            if (first != NULL) {
                cfg_err(err, errlen, "%s:%d: %s: repeated (first on line %d)", name, e->line, e->key, first->line);
                return GR_ECONFIG;
            }
            if (listen && s->listen_count == GR_MAX_LISTEN) {
                cfg_err(err, errlen, "%s:%d: %s: too many listen addresses (at most %d)", name, e->line, e->key,
                        GR_MAX_LISTEN);
                return GR_ECONFIG;
            }
        }
        int rc = entry_apply(cfg, e->section, e->key, e->value, e->line, s,
                             listen ? &s->listens[s->listen_count] : NULL, &k, err, errlen);
        if (rc != 0)
            return rc;
        if (listen)
            s->listen_count++;
        else
            set[k - gr_server_keys] = e->line;
    }

    /* Default paths not overridden resolve against the same directory. */
    for (size_t i = 0; i < GR_SERVER_KEY_COUNT; i++) {
        k = &gr_server_keys[i];
        if (set[i] || (k->type & GR_KEY_TYPE_MASK) != GR_KEY_PATH)
            continue;
        if (key_apply(k, k->def, cfg->dir, s, expect, sizeof(expect)) != 0) {
            /* Only a very long config directory gets here. */
            cfg_err(err, errlen, "%s: %s: default '%s' (expected %s)", name, k->key, k->def, expect);
            return GR_ECONFIG;
        }
    }

    /* Pairs of keys where one may not be less than the other. */
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
        int hline = set[hi - gr_server_keys], lline = set[lo - gr_server_keys];
        if (hline != 0)
            cfg_err(err, errlen, "%s:%d: %s: %lld is less than %s (%lld)", name, hline, hi->key, (long long)hv,
                    lo->key, (long long)lv);
        else
            cfg_err(err, errlen, "%s:%d: %s: %lld is more than %s (%lld)", name, lline, lo->key, (long long)lv,
                    hi->key, (long long)hv);
        return GR_ECONFIG;
    }
    if (s->listen_count == 0) {
        cfg_err(err, errlen, "%s: [listen]: no listen address", name);
        return GR_ECONFIG;
    }
    return 0;
}

/* ---------------------------------------------------------------- built by calls */

/* Embedding builds a configuration by calls instead of INI text
 * (gr_embed_config.cpp). The entries live in the same table as parsed ones,
 * so the services and gr_settings_from_config see no difference; "line" is
 * the number of the call that set the entry, standing for a line of the
 * file the calls replace. */

int gr_config_new(gr_config_t **out, const char *name, char *err, size_t errlen)
{
    gr_cfg_reader_t r;
    memset(&r, 0, sizeof(r));
    r.text = "";
    return cfg_load(out, &r, name ? name : "<config>", NULL, err, errlen);
}

int gr_config_set(gr_config_t *cfg, const char *section, const char *key, const char *value, int line)
{
    for (int i = 0; i < cfg->count; i++) {
        gr_config_entry_t *e = &cfg->entries[i];
        if (strcmp(e->key, key) != 0 || strcmp(e->section, section) != 0)
            continue;
        /* A set replaces: the entry keeps its place (a listen keeps its
         * index) and takes the new value and line. */
        size_t ls = strlen(section) + 1, lk = strlen(key) + 1, lv = strlen(value) + 1;
        char *mem = (char *)malloc(ls + lk + lv);
        if (mem == NULL)
            return GR_ENOMEM;
        memcpy(mem, section, ls);
        memcpy(mem + ls, key, lk);
        memcpy(mem + ls + lk, value, lv);
        free((void *)e->section);
        e->section = mem;
        e->key = mem + ls;
        e->value = mem + ls + lk;
        e->line = line;
        return 0;
    }
    gr_cfg_reader_t r;
    memset(&r, 0, sizeof(r));
    r.line = line;
    gr_cfg_parse_t p;
    p.cfg = cfg;
    p.reader = &r;
    p.nomem = 0;
    return cfg_handler(&p, section, key, value) ? 0 : GR_ENOMEM;
}

gr_config_t *gr_config_copy(const gr_config_t *src)
{
    gr_config_t *cfg = (gr_config_t *)calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return NULL;
    cfg->name = strdup(src->name);
    cfg->dir = strdup(src->dir);
    if (cfg->name == NULL || cfg->dir == NULL) {
        gr_config_free(cfg);
        return NULL;
    }
    gr_cfg_reader_t r;
    memset(&r, 0, sizeof(r));
    gr_cfg_parse_t p;
    p.cfg = cfg;
    p.reader = &r;
    p.nomem = 0;
    for (int i = 0; i < src->count; i++) {
        const gr_config_entry_t *e = &src->entries[i];
        r.line = e->line;
        if (!cfg_handler(&p, e->section, e->key, e->value)) {
            gr_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

int gr_settings_check_entry(const gr_config_t *cfg, const char *section, const char *key, const char *value,
                            int line, char *err, size_t errlen)
{
    /* Applied to scratch settings: only the value's own check matters here;
     * cross-checks between keys wait for gr_settings_from_config. */
    gr_settings_t *s = (gr_settings_t *)malloc(sizeof(*s));
    if (s == NULL) {
        cfg_err(err, errlen, "%s: out of memory", cfg->name);
        return GR_ENOMEM;
    }
    gr_listen_t l;
    const gr_cfg_key_t *k;
    int rc = entry_apply(cfg, section, key, value, line, s, &l, &k, err, errlen);
    free(s);
    return rc;
}

/* ---------------------------------------------------------------- keys */

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
    const gr_cfg_key_t *k = key_find(key);
    return k ? (k->type & GR_RELOAD) != 0 : -1;
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

void gr_settings_key_format(int i, const gr_settings_t *s, char *buf, size_t len)
{
    const gr_cfg_key_t *k = &gr_server_keys[i];
    const char *field = (const char *)s + k->offset;
    switch (k->type & GR_KEY_TYPE_MASK) {
    case GR_KEY_INT: snprintf(buf, len, "%d", *(const int *)field); break;
    case GR_KEY_INT64: snprintf(buf, len, "%lld", (long long)*(const int64_t *)field); break;
    case GR_KEY_BOOL: snprintf(buf, len, "%s", *(const int *)field ? "true" : "false"); break;
    case GR_KEY_LEVEL: {
        static const char *const names[] = { "debug", "info", "warn", "error" };
        int v = *(const int *)field;
        snprintf(buf, len, "%s", v >= 0 && v <= 3 ? names[v] : "?");
        break;
    }
    case GR_KEY_PATH: snprintf(buf, len, "'%s'", field); break;
    default: abort();
    }
}

void gr_settings_key_copy(int i, gr_settings_t *dst, const gr_settings_t *src)
{
    const gr_cfg_key_t *k = &gr_server_keys[i];
    memcpy((char *)dst + k->offset, (const char *)src + k->offset, key_size(k));
}
