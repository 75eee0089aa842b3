/* kv_resp.c - the RESP2 request walker (see kv_resp.h). */
#include "kv_resp.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WALK_NEED_MORE 0
#define WALK_ERROR (-1)
#define WALK_NOMEM (-2)

int kv_parse_ll(const char *p, size_t n, long long *out)
{
    int neg = 0;
    unsigned long long v = 0;
    if (n == 0 || n > 20)
        return -1;
    if (*p == '-') {
        neg = 1;
        p++;
        n--;
    }
    if (n == 0 || n > 19 || (p[0] == '0' && (n > 1 || neg)))
        return -1; /* "", "-", "01", "-0", more digits than LLONG_MIN has */
    /* 19 digits fit an unsigned long long: no overflow test per digit (it was
     * the module's costliest function per SET; docs/benchmarks.md) */
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (unsigned long long)(p[i] - '0');
    }
    if (neg ? v > (unsigned long long)LLONG_MAX + 1 : v > (unsigned long long)LLONG_MAX)
        return -1;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

/* Room for one more argument: the vector doubles, so a proc thread's
 * stops growing after its first commands. */
static int args_grow(kv_args_t *a)
{
    size_t cap = a->cap ? a->cap * 2 : 16;
    kv_arg_t *v = (kv_arg_t *)realloc(a->v, cap * sizeof *v);
    if (!v)
        return -1;
    a->v = v;
    a->cap = cap;
    return 0;
}

static inline int args_push(kv_args_t *a, const char *p, size_t n)
{
    if (a->n == a->cap && args_grow(a) != 0)
        return -1;
    a->v[a->n].p = p;
    a->v[a->n].n = n;
    a->n++;
    return 0;
}

/* The "\r\n"-ended line starting at p (len bytes there): its length without
 * the line end, or -1 when the line end has not come yet. Redis looks for
 * the '\r' and takes the '\n' on trust; so do we. */
static long line_len(const char *p, size_t len)
{
    const char *cr = (const char *)memchr(p, '\r', len);
    if (!cr || (size_t)(cr - p) + 2 > len)
        return -1;
    return (long)(cr - p);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Whether position i of line (n bytes) ends a word: the end, or a blank. */
static int word_end(const char *line, size_t i, size_t n)
{
    return i == n || line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r';
}

/* Split an inline line as Redis's sdssplitargs does: blanks separate,
 * "..." with \n \r \t \b \a \\ \" \xHH escapes, '...' with \' only; a
 * closing quote must be followed by a blank or the end. */
static int split_inline(const char *line, size_t n, kv_args_t *a, const char **err)
{
    if (a->scratch_cap < n + 1) {
        char *s = (char *)realloc(a->scratch, n + 1);
        if (!s)
            return WALK_NOMEM;
        a->scratch = s;
        a->scratch_cap = n + 1;
    }
    char *out = a->scratch;
    size_t i = 0;
    for (;;) {
        while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r' || line[i] == '\v' ||
                         line[i] == '\f'))
            i++;
        if (i == n)
            return 0;
        char *start = out;
        int inq = 0, insq = 0, done = 0;
        while (!done) {
            if (inq) {
                if (i == n)
                    goto unbalanced;
                if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && hexval(line[i + 2]) >= 0 &&
                    hexval(line[i + 3]) >= 0) {
                    *out++ = (char)(hexval(line[i + 2]) * 16 + hexval(line[i + 3]));
                    i += 4;
                } else if (line[i] == '\\' && i + 1 < n) {
                    char c = line[++i];
                    *out++ = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b' : c == 'a' ? '\a' : c;
                    i++;
                } else if (line[i] == '"') {
                    if (!word_end(line, i + 1, n))
                        goto unbalanced;
                    i++;
                    done = 1;
                } else {
                    *out++ = line[i++];
                }
            } else if (insq) {
                if (i == n)
                    goto unbalanced;
                if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
                    *out++ = '\'';
                    i += 2;
                } else if (line[i] == '\'') {
                    if (!word_end(line, i + 1, n))
                        goto unbalanced;
                    i++;
                    done = 1;
                } else {
                    *out++ = line[i++];
                }
            } else if (word_end(line, i, n)) {
                done = 1;
            } else if (line[i] == '"') {
                inq = 1;
                i++;
            } else if (line[i] == '\'') {
                insq = 1;
                i++;
            } else {
                *out++ = line[i++];
            }
        }
        if (args_push(a, start, (size_t)(out - start)) != 0)
            return WALK_NOMEM;
    }
unbalanced:
    *err = "Protocol error: unbalanced quotes in request";
    return WALK_ERROR;
}

/* The common case of a count or length line, "<digits>\r\n" starting at p
 * (past the '*' or '$'; e is the data's end): its value, with *next the
 * byte after the line end; -1 for anything else (no line end yet, a sign,
 * a leading zero, more than 18 digits, garbage), for the general path to
 * word or wait for. A command has 3 to 5 such lines; memchr and
 * kv_parse_ll cost ~50 instructions each. */
static inline long long quick_num(const char *p, const char *e, const char **next)
{
    unsigned d0, d1;
    if (e - p >= 4 && (d0 = (unsigned)(p[0] - '0')) <= 9u) { /* one or two digits: most counts, keys and values */
        if (p[1] == '\r') {
            *next = p + 3;
            return d0;
        }
        d1 = (unsigned)(p[1] - '0');
        if (d0 && d1 <= 9u && p[2] == '\r') {
            *next = p + 4;
            return d0 * 10 + d1;
        }
    }
    const char *q = p, *lim = e - p > 18 ? p + 18 : e;
    unsigned long long v = 0;
    while (q < lim && (unsigned)(*q - '0') <= 9u) {
        v = v * 10 + (unsigned)(*q - '0');
        q++;
    }
    if (q == p || e - q < 2 || *q != '\r' || (*p == '0' && q - p > 1))
        return -1;
    *next = q + 2;
    return (long long)v;
}

/* The one walker. Returns the package's length (a protocol error too is a
 * package: it ends at the bad line, so that walking it again meets the
 * same error; *err then names it, else *err is NULL), a size hint past
 * len, 0 (need more), or WALK_NOMEM (args only). args NULL: frame only;
 * args set: also split the arguments into args (valid when *err is NULL
 * and the package is whole). Both ways cut the same packages. */
static inline long walk(const char *d, size_t len, const kv_resp_limits_t *lim, kv_args_t *args, const char **err)
{
    const char *e = "Protocol error"; /* framing only: proc words it */
    const char *de = d + len, *next;
    long ll_line;
    size_t end;
    long long count;
    *err = NULL;
    if (args)
        args->n = 0;
    if (len == 0)
        return WALK_NEED_MORE;
    if (d[0] != '*') {
        /* The line end looked for within the limit only: a longer line is
         * an error however its bytes were cut into reads. */
        const char *nl = (const char *)memchr(d, '\n', len <= KV_RESP_INLINE_MAX ? len : KV_RESP_INLINE_MAX + 1);
        if (!nl) {
            if (len <= KV_RESP_INLINE_MAX)
                return WALK_NEED_MORE;
            e = "Protocol error: too big inline request";
            end = len;
            goto fail;
        }
        end = (size_t)(nl - d) + 1;
        if (args) {
            int rc = split_inline(d, end, args, err);
            if (rc == WALK_NOMEM)
                return rc;
        }
        return (long)end;
    }
    count = quick_num(d + 1, de, &next);
    if (count >= 0 && (unsigned long long)count <= lim->max_args) {
        end = (size_t)(next - d);
    } else {
        ll_line = line_len(d, len);
        if (ll_line < 0) {
            if (len <= KV_RESP_INLINE_MAX)
                return WALK_NEED_MORE;
            e = "Protocol error: too big mbulk count string";
            end = len;
            goto fail;
        }
        end = (size_t)ll_line + 2;
        if (kv_parse_ll(d + 1, (size_t)ll_line - 1, &count) != 0 || count > (long long)lim->max_args) {
            e = "Protocol error: invalid multibulk length";
            goto fail;
        }
    }
    size_t pos = end;
    for (long long i = 0; i < count; i++) {
        if (pos >= len)
            return WALK_NEED_MORE;
        if (d[pos] != '$') {
            if (args) {
                snprintf(args->errbuf, sizeof args->errbuf, "Protocol error: expected '$', got '%c'", d[pos]);
                e = args->errbuf;
            }
            end = pos + 1;
            goto fail;
        }
        size_t start;
        long long n = quick_num(d + pos + 1, de, &next);
        if (n >= 0 && (unsigned long long)n <= lim->max_bulk) {
            start = (size_t)(next - d);
        } else {
            long bl = line_len(d + pos, len - pos);
            if (bl < 0) {
                if (len - pos <= KV_RESP_INLINE_MAX)
                    return WALK_NEED_MORE;
                e = "Protocol error: too big bulk count string";
                end = len;
                goto fail;
            }
            if (kv_parse_ll(d + pos + 1, (size_t)bl - 1, &n) != 0 || n < 0 || (unsigned long long)n > lim->max_bulk) {
                e = "Protocol error: invalid bulk length";
                end = pos + (size_t)bl + 2;
                goto fail;
            }
            start = pos + (size_t)bl + 2;
        }
        pos = start + (size_t)n + 2; /* the value and its "\r\n", taken on trust as Redis does */
        if (pos > len)
            return (long)pos; /* a size hint: at least this much */
        if (args && args_push(args, d + start, (size_t)n) != 0)
            return WALK_NOMEM;
    }
    return (long)pos;
fail:
    *err = e;
    return (long)end; /* a package of its own, for proc to report */
}

long kv_resp_frame(const char *data, size_t len, const kv_resp_limits_t *lim)
{
    const char *err;
    return walk(data, len, lim, NULL, &err);
}

int kv_resp_parse(const char *pkg, size_t len, const kv_resp_limits_t *lim, kv_args_t *args, const char **err)
{
    long rc = walk(pkg, len, lim, args, err);
    if (rc == WALK_NOMEM)
        return WALK_NOMEM;
    if (*err)
        return WALK_ERROR;
    if (rc <= 0 || (size_t)rc != len) {
        /* Not a whole package: framing said otherwise, which cannot be. */
        *err = "Protocol error: unexpected end of command";
        return WALK_ERROR;
    }
    return 0;
}

long kv_split_frame(kv_split_t *s, const void *owner, const char *data, size_t len, const kv_resp_limits_t *lim)
{
    const char *err;
    long rc = walk(data, len, lim, &s->args, &err);
    s->ready = 0;
    if (rc == WALK_NOMEM)
        return kv_resp_frame(data, len, lim); /* proc splits it again, and says so if memory is still short */
    if (rc > 0 && (size_t)rc <= len) {
        s->owner = owner;
        s->pkg = data;
        s->len = (size_t)rc;
        s->err = err;
        s->ready = 1;
    }
    return rc;
}

int kv_split_take(kv_split_t *s, const void *owner, const char *pkg, size_t len, const kv_resp_limits_t *lim,
                  const char **err)
{
    int ready = s->ready && s->owner == owner && s->pkg == pkg && s->len == len;
    s->ready = 0; /* one use: a later proc on this thread never meets it again */
    if (!ready)
        return kv_resp_parse(pkg, len, lim, &s->args, err);
    *err = s->err;
    return s->err ? WALK_ERROR : 0;
}

void kv_split_free(kv_split_t *s)
{
    kv_args_free(&s->args);
    s->ready = 0;
}

void kv_args_free(kv_args_t *args)
{
    free(args->v);
    free(args->scratch);
    memset(args, 0, sizeof *args);
}
