/* kv_resp.h - the RESP2 request grammar: multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
 * and inline ("GET k\r\n") commands, as Redis reads them.
 *
 * One walker does both jobs, so the two cannot disagree: it finds where a
 * command ends (for check) and splits it into arguments (for proc), in one
 * walk where it can (kv_split_t below). A protocol
 * error is cut as a package of its own (through the bad line), so proc can
 * answer it with Redis's words before the connection closes. Pure C, no
 * allocation except the argument vector's growth. */
#ifndef KV_RESP_H
#define KV_RESP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Redis's PROTO_INLINE_MAX_SIZE: an inline command, or a multibulk or
 * bulk header line, longer than this without its line end is an error. */
#define KV_RESP_INLINE_MAX (64 * 1024)

typedef struct kv_resp_limits_t {
    size_t max_bulk; /* bytes of one argument ([kv] max_bulk_len) */
    size_t max_args; /* arguments of one command ([kv] max_args) */
} kv_resp_limits_t;

/* One argument: a view into the package, or into args->scratch for an
 * inline command whose quotes were undone. */
typedef struct kv_arg_t {
    const char *p;
    size_t n;
} kv_arg_t;

/* The arguments of one command; grown by kv_resp_parse, freed by
 * kv_args_free. One per proc thread (in its kv_split_t). */
typedef struct kv_args_t {
    kv_arg_t *v;
    size_t n, cap;
    char *scratch; /* inline commands are unescaped here */
    size_t scratch_cap;
    char errbuf[64]; /* a protocol error's text when it names a byte */
} kv_args_t;

/* Framing, for check: > 0 and <= len, the first N bytes are one package
 * (a command, an empty one, or a protocol error for proc to report);
 * > len, no package yet but at least N bytes are needed; 0, need more. */
long kv_resp_frame(const char *data, size_t len, const kv_resp_limits_t *lim);

/* Split a package kv_resp_frame cut into args. 0 with args->n arguments
 * (0: an empty command, answered with nothing); -1 on a protocol error
 * with *err set to Redis's text ("Protocol error: invalid bulk length");
 * -2 when out of memory. */
int kv_resp_parse(const char *pkg, size_t len, const kv_resp_limits_t *lim, kv_args_t *args, const char **err);

void kv_args_free(kv_args_t *args);

/* Framing and splitting in one walk: check splits the package it cuts, and
 * proc takes those arguments instead of walking the package again (each
 * walk parsed every count and length: ~40% of a SET's instructions).
 *
 * The hand-over is a per-thread record, and proc takes it only when it
 * names the same connection, the same bytes (address and length), and no
 * other proc on this thread came between (each record serves one proc;
 * each check replaces it). That holds wherever check and proc run on one
 * thread back to back: a tcp.in thread running proc inline (check cuts a
 * package, proc runs it at once), or a datagram's last package. Anything
 * else misses and splits the package again, as before: proc on a worker
 * thread (the record is the worker's own, never filled), earlier packages
 * of a datagram, a package check cut but proc never got. A miss costs one
 * walk, never a wrong command; so a per-connection record was not needed
 * (it would be shared by a tcp.in thread still cutting and a worker
 * running proc, and need a lock). */
typedef struct kv_split_t {
    kv_args_t args;    /* the arguments of the package recorded */
    const void *owner; /* the connection it came on */
    const char *pkg;   /* its bytes */
    size_t len;
    const char *err;   /* its protocol error, or NULL */
    int ready;         /* set by kv_split_frame, cleared by kv_split_take */
} kv_split_t;

/* kv_resp_frame, also splitting a whole package into s and recording it
 * for kv_split_take. */
long kv_split_frame(kv_split_t *s, const void *owner, const char *data, size_t len, const kv_resp_limits_t *lim);

/* kv_resp_parse's result for the package pkg of owner, into s->args: the
 * record kv_split_frame made when it matches, else a new walk. Clears
 * the record either way. */
int kv_split_take(kv_split_t *s, const void *owner, const char *pkg, size_t len, const kv_resp_limits_t *lim,
                  const char **err);

void kv_split_free(kv_split_t *s);

/* Redis's string2ll: all of p (n bytes) is a decimal integer, optional
 * '-', no '+', no blanks, no leading zero but "0" itself. 0 or -1. */
int kv_parse_ll(const char *p, size_t n, long long *out);

#ifdef __cplusplus
}
#endif

#endif
