/* kv_reply.c - RESP2 reply writers and the small parsing helpers the
 * commands share. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kv.h"

void kv_reply_raw(kv_ctx_t *c, const char *p, size_t n)
{
    if (kv.gr->reply(c->conn, p, n) != 0)
        c->failed = 1;
}

void kv_reply_error(kv_ctx_t *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + 5, sizeof buf - 7, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof buf - 8)
        n = (int)(sizeof buf - 8);
    memcpy(buf, "-ERR ", 5);
    for (int i = 5; i < 5 + n; i++)
        if (buf[i] == '\r' || buf[i] == '\n')
            buf[i] = ' '; /* as Redis: an error is one line */
    memcpy(buf + 5 + n, "\r\n", 2);
    kv_reply_raw(c, buf, (size_t)n + 7);
}

/* "<type><v>\r\n" into buf (room for 24 bytes); its length. By hand, not
 * snprintf: a GET's bulk header through vfprintf was a quarter of the
 * module's instructions per GET (callgrind, docs/benchmarks.md). */
static size_t put_prefixed(char *buf, char type, long long v)
{
    char digits[20];
    size_t nd = 0, n = 0;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[nd++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    buf[n++] = type;
    if (v < 0)
        buf[n++] = '-';
    while (nd)
        buf[n++] = digits[--nd];
    buf[n++] = '\r';
    buf[n++] = '\n';
    return n;
}

static void reply_prefixed(kv_ctx_t *c, char type, long long v)
{
    char buf[32];
    kv_reply_raw(c, buf, put_prefixed(buf, type, v));
}

void kv_reply_int(kv_ctx_t *c, long long v) { reply_prefixed(c, ':', v); }
void kv_reply_array(kv_ctx_t *c, long long n) { reply_prefixed(c, '*', n); }

/* The header is written straight into the reply, digits from the last:
 * no header buffer to copy (GET's reply). */
void kv_reply_bulk(kv_ctx_t *c, const char *p, size_t n)
{
    size_t nd = 1;
    for (size_t u = n; u >= 10; u /= 10)
        nd++;
    char *out = (char *)kv.gr->reply_alloc(c->conn, 1 + nd + 2 + n + 2);
    if (!out) {
        c->failed = 1;
        return;
    }
    out[0] = '$';
    size_t u = n;
    for (size_t i = nd; i > 0; i--, u /= 10)
        out[i] = (char)('0' + u % 10);
    out[nd + 1] = '\r';
    out[nd + 2] = '\n';
    memcpy(out + nd + 3, p, n);
    out[nd + 3 + n] = '\r';
    out[nd + 4 + n] = '\n';
}

void kv_reply_arity(kv_ctx_t *c, const char *name)
{
    kv_reply_error(c, "wrong number of arguments for '%s' command", name);
}

/* Without strlen, and folding one side only: a mismatch in the first
 * byte, the usual case in the command look-up, returns at once. */
int kv_arg_is(const kv_arg_t *a, const char *word)
{
    const char *p = a->p;
    size_t n = a->n;
    for (size_t i = 0; i < n; i++) {
        char x = kv_fold(p[i]);
        if (x != word[i] || x == '\0') /* x == '\0': past word's end, or a NUL in the argument */
            return 0;
    }
    return word[n] == '\0';
}
