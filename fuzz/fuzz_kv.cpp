/* fuzz_kv.cpp - libFuzzer target: the kv module's RESP2 walker
 * (modules/kv/kv_resp.c), as the module uses it: kv_resp_frame cuts the
 * received bytes into packages (check), kv_resp_parse splits each package
 * into arguments (proc), one kv_args_t reused across packages (one per proc
 * thread), until a protocol error, which closes the connection.
 *
 * Input: a 3-byte header, then the received bytes.
 *   [0] [kv] max_bulk_len, [1] max_args: each one of a few values, from
 *       the smallest the configuration allows to the largest
 *   [2] seed of the split points checked on large inputs
 *
 * Invariants (a broken one aborts):
 *  - frame: need more (0), a package (1..len) or a size hint (> len);
 *  - a package parses to 0 or a protocol error (never "unexpected end",
 *    which means frame and parse disagree; never out of memory), and the
 *    parse consumes exactly it;
 *  - arguments lie inside the package (multibulk, with the "\r\n" taken on
 *    trust after each) or inside the scratch copy (inline), at most
 *    max_args of at most max_bulk bytes each (multibulk: the limits apply
 *    to it alone; an inline command is bounded by KV_RESP_INLINE_MAX, as in
 *    Redis);
 *  - framing a prefix (the bytes received so far, copied to a buffer of
 *    exactly that size so ASan sees any read past it) agrees with framing
 *    the whole: the same package once it is all there, else no package
 *    and a size hint no larger than what the whole turns out to need. The
 *    exception is a protocol error cut at what has arrived (a "too big"
 *    line): then both are errors, of different lengths;
 *  - no leak (libFuzzer's leak check): kv_args_free frees everything. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../modules/kv/kv_resp.h"
#include "fuzz_rng.h"

#define HDR 3
#define SPLITS_ALL 512  /* inputs up to this long: every split point */
#define SPLITS_SAMPLED 48 /* longer: this many, chosen by the seed */
#define MAX_PACKAGES 64 /* packages walked (and split-checked) per input */

static const size_t kBulk[] = {1, 3, 16, 1024, 1024 * 1024, 512 * 1024 * 1024};
static const size_t kArgs[] = {1, 2, 3, 16, 1024, 1048576};

static void fail(const char *what, size_t off, size_t k, long r)
{
    fprintf(stderr, "fuzz_kv: %s (package at %zu, prefix %zu, result %ld)\n", what, off, k, r);
    abort();
}

static bool is_pkg(long r, size_t len)
{
    return r > 0 && (size_t)r <= len;
}

/* Frame the first k bytes of d from a copy of exactly k bytes. */
static long frame_prefix(const char *d, size_t k, const kv_resp_limits_t *lim)
{
    char *c = (char *)malloc(k ? k : 1);
    if (!c)
        abort();
    memcpy(c, d, k);
    long r = kv_resp_frame(c, k, lim);
    free(c);
    return r;
}

/* Parse the package d[0..n) from a copy of exactly n bytes; check what the
 * arguments are. Returns 0 or -1 (a protocol error). */
static int parse_checked(const char *d, size_t n, const kv_resp_limits_t *lim, kv_args_t *args, size_t off)
{
    char *c = (char *)malloc(n);
    if (!c)
        abort();
    memcpy(c, d, n);
    const char *err = NULL;
    int rc = kv_resp_parse(c, n, lim, args, &err);
    if (rc == -1) {
        if (!err || strncmp(err, "Protocol error: ", 16) != 0)
            fail("a protocol error without Redis's text", off, n, rc);
        if (strcmp(err, "Protocol error: unexpected end of command") == 0)
            fail("parse does not end where frame did", off, n, rc);
    } else if (rc != 0) {
        fail("parse failed but for a protocol error", off, n, rc);
    } else {
        bool inline_cmd = c[0] != '*';
        size_t total = 0;
        if (!inline_cmd && args->n > lim->max_args)
            fail("more arguments than max_args", off, n, (long)args->n);
        for (size_t i = 0; i < args->n; i++) {
            const kv_arg_t *a = &args->v[i];
            total += a->n;
            if (inline_cmd) {
                if (a->n > KV_RESP_INLINE_MAX || a->p < args->scratch ||
                    a->p + a->n > args->scratch + args->scratch_cap)
                    fail("an inline argument outside the scratch copy", off, n, (long)i);
            } else {
                if (a->n > lim->max_bulk)
                    fail("an argument longer than max_bulk", off, n, (long)i);
                if (a->p < c || a->p + a->n + 2 > c + n)
                    fail("an argument outside its package", off, n, (long)i);
            }
        }
        if (total > n)
            fail("arguments longer than their package", off, n, (long)total);
    }
    free(c);
    return rc;
}

/* Whether the package d[0..n) is a protocol error. */
static bool is_error(const char *d, size_t n, const kv_resp_limits_t *lim, kv_args_t *args, size_t off)
{
    return parse_checked(d, n, lim, args, off) == -1;
}

/* The bytes d[0..len) as they would arrive: each prefix k framed against
 * the whole's result w. Past a package only a few prefixes: what follows
 * it is the next package's to check. */
static void check_prefixes(const char *d, size_t len, long w, const kv_resp_limits_t *lim, kv_args_t *args,
                           size_t off, uint32_t *seed)
{
    bool whole_pkg = is_pkg(w, len);
    size_t limit = whole_pkg && (size_t)w + 8 < len ? (size_t)w + 8 : len;
    size_t count = limit <= SPLITS_ALL ? limit : SPLITS_SAMPLED;
    for (size_t s = 0; s < count; s++) {
        size_t k = limit <= SPLITS_ALL ? s : rng_next(seed) % limit;
        if (limit > SPLITS_ALL && whole_pkg && s < 2)
            k = (size_t)w - s; /* the package whole, and one byte short */
        long r = frame_prefix(d, k, lim);
        if (r < 0)
            fail("frame returned a negative", off, k, r);
        if (is_pkg(r, k)) {
            if (whole_pkg && r == w)
                continue;
            /* a "too big" line cut where the bytes ended */
            if (!whole_pkg || !is_error(d, (size_t)r, lim, args, off) || !is_error(d, (size_t)w, lim, args, off))
                fail("a prefix frames a package the whole does not", off, k, r);
            continue;
        }
        if (whole_pkg && (size_t)w <= k)
            fail("the whole package is there but the prefix frames none", off, k, r);
        if (r > 0) { /* a size hint: at most what the whole needs */
            long need = whole_pkg || w > (long)len ? w : (long)len;
            if (r > need)
                fail("a size hint past what the whole needs", off, k, r);
        }
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR)
        return 0;
    kv_resp_limits_t lim = {kBulk[data[0] % (sizeof kBulk / sizeof kBulk[0])],
                            kArgs[data[1] % (sizeof kArgs / sizeof kArgs[0])]};
    uint32_t seed = data[2] + 1u;
    const char *d = (const char *)data + HDR;
    size_t len = size - HDR;

    kv_args_t args = {};
    size_t off = 0;
    for (int p = 0; p < MAX_PACKAGES && off < len; p++) {
        long w = kv_resp_frame(d + off, len - off, &lim);
        if (w < 0)
            fail("frame returned a negative", off, len - off, w);
        check_prefixes(d + off, len - off, w, &lim, &args, off, &seed);
        if (!is_pkg(w, len - off))
            break; /* need more, or a size hint: the rest has not come */
        if (parse_checked(d + off, (size_t)w, &lim, &args, off) != 0)
            break; /* a protocol error: answered, then the connection closes */
        off += (size_t)w;
    }
    kv_args_free(&args);
    return 0;
}
