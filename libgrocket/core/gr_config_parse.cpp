/* gr_config_parse.cpp - INI text into a configuration's entries, through
 * inih.
 *
 * Line numbers: Debian's inih is built without INI_HANDLER_LINENO, so the
 * handler is not told the line. We feed inih through ini_parse_stream with a
 * reader of our own that hands over exactly one source line per call and
 * counts them; inih runs the handler for a line before it asks for the next,
 * so the reader's count is the handler's line, and inih's own error line
 * (one per reader call) agrees with it. */
#include "gr_config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "gr_error.h"
#include "gr_path.h"

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
    if (value == NULL) /* only with ini_allow_no_value, a process-wide switch */
        value = "";
    if (gr_config_add(p->cfg, section, key, value, p->reader->line) != 0) {
        p->nomem = 1;
        return 0;
    }
    return 1;
}

/* Parse from r into a new config; shared by file, string and empty. file:
 * the path whose directory relative paths resolve against (NULL: the
 * current directory). */
static int cfg_load(gr_config_t **out, gr_cfg_reader_t *r, const char *name, const char *file, char *err,
                    size_t errlen)
{
    *out = NULL;
    char dir[4096];
    int rc = gr_path_dir_absolute(dir, sizeof dir, file);
    if (rc != 0) {
        gr_config_err(err, errlen, "%s: cannot resolve its directory: %s", name, gr_strerror(rc));
        return rc;
    }
    gr_config_t *cfg = gr_config_create(name, dir);
    if (cfg == NULL) {
        gr_config_err(err, errlen, "%s: out of memory", name);
        return GR_ENOMEM;
    }
    gr_cfg_parse_t p = {cfg, r, 0};
    rc = ini_parse_stream(cfg_reader, r, cfg_handler, &p);
    if (r->io_errno) {
        gr_config_err(err, errlen, "%s: %s", name, strerror(r->io_errno));
        rc = -r->io_errno;
    } else if (p.nomem || rc == -2) {
        gr_config_err(err, errlen, "%s: out of memory", name);
        rc = GR_ENOMEM;
    } else if (r->too_long) {
        gr_config_err(err, errlen, "%s:%d: line too long (at most %d characters)", name, r->line, r->max_len);
        rc = GR_ECONFIG;
    } else if (rc != 0) {
        gr_config_err(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", name, rc);
        rc = GR_ECONFIG;
    }
    if (rc != 0) {
        gr_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int gr_config_load_file(gr_config_t **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        int e = errno;
        gr_config_err(err, errlen, "%s: %s", path, strerror(e));
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

int gr_config_new(gr_config_t **out, const char *name, char *err, size_t errlen)
{
    return gr_config_load_string(out, "", name ? name : "<config>", err, errlen);
}
