/* gr_tc_options.cpp - parse the command line of test_tcp_client.
 *
 * Hand-written rather than getopt_long: every option takes one value (or
 * none), and a hand parser can name the option and the value it rejects,
 * which is most of what a user of a benchmark tool needs from an error. */
#include "gr_tc_options.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void gr_tc_options_usage(FILE *out, const char *prog)
{
    fprintf(out,
        "usage: %s --port P [options]\n"
        "\n"
        "Benchmark and verify a TCP (or, with --udp, UDP) echo server: every reply\n"
        "is compared, byte for byte, with the request it answers.\n"
        "\n"
        "  --host H          server address (default 127.0.0.1; IPv6 literals such as ::1)\n"
        "  --port P          server port (required)\n"
        "  --threads T       client threads, each with its own event loop (default 1)\n"
        "  --connections C   total connections, spread over the threads (default T)\n"
        "  --size BYTES      request size, header included (default 44, minimum %d)\n"
        "  --count N         requests per connection (default 10000)\n"
        "  --duration S      issue requests for S seconds instead (decimals allowed);\n"
        "                    give at most one of --count and --duration\n"
        "  --depth D         requests in flight per connection (default 1)\n"
        "  --timeout S       fail a connection that makes no progress for S seconds\n"
        "                    (default 10); --udp: count a request lost when its reply\n"
        "                    has not come in S seconds (default 1)\n"
        "  --udp             UDP: each connection is a UDP socket, each request one\n"
        "                    datagram (--size at most %u), each reply one datagram\n"
        "  --max-loss PCT    --udp: pass with up to PCT %% of the requests lost\n"
        "                    (default 0)\n"
        "  --quiet           no per-second progress lines\n"
        "  --help            show this text\n"
        "\n"
        "A request is seq (u64 LE), connection id (u32 LE), size (u32 LE), then filler\n"
        "derived from connection and seq. Byte offsets in messages count from 0.\n"
        "UDP replies may come in any order; one that comes after its request was\n"
        "counted lost is counted late (it does not undo the loss), a second reply to\n"
        "one request is an error. The summary gives the loss rate:\n"
        "lost / (replies + lost).\n"
        "Exit status: 0 every reply arrived and matched (--udp: every reply that came\n"
        "matched, and at most --max-loss %% of the requests were lost); 1 a mismatch,\n"
        "a connection error, a timeout (TCP), or more loss than allowed (UDP); 2 bad\n"
        "usage.\n",
        prog, GR_TC_HEADER_SIZE, GR_TC_MAX_UDP_SIZE);
}

/* Strict unsigned parse: the whole string must be a decimal number in
 * [lo, hi]. strtoull alone accepts "-1" (wrapping it) and trailing junk. */
static int gr_tc_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Percent: a finite decimal from 0 to 100. */
static int gr_tc_parse_percent(const char *s, double *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0.0 || v > 100.0)
        return -1;
    *out = v;
    return 0;
}

/* Seconds: a positive finite decimal, at most a day (a bounded run). */
static int gr_tc_parse_seconds(const char *s, double *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v <= 0.0 || v > 86400.0)
        return -1;
    *out = v;
    return 0;
}

int gr_tc_options_parse(gr_tc_options_t *opt, int argc, char **argv)
{
    const char *prog = argc > 0 ? argv[0] : "test_tcp_client";
    memset(opt, 0, sizeof *opt);
    strcpy(opt->host, "127.0.0.1");
    opt->threads = 1;
    opt->size = 44;
    opt->depth = 1;
    opt->timeout = 10.0;
    int have_port = 0, have_count = 0, have_duration = 0, have_timeout = 0, have_max_loss = 0;
    uint64_t connections = 0; /* 0: not given, defaults to threads */

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            gr_tc_options_usage(stdout, prog);
            return GR_TC_OPT_HELP;
        }
        if (strcmp(arg, "--quiet") == 0) {
            opt->quiet = 1;
            continue;
        }
        if (strcmp(arg, "--udp") == 0) {
            opt->udp = 1;
            continue;
        }
        /* Every other option takes a value, as "--opt V" or "--opt=V". */
        char name[32];
        const char *val = NULL;
        const char *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) != 0 || (eq != NULL && (size_t)(eq - arg) >= sizeof name)) {
            fprintf(stderr, "%s: unknown argument '%s'\n", prog, arg);
            goto bad;
        }
        if (eq != NULL) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
            if (i + 1 < argc)
                val = argv[++i];
        }

        uint64_t u = 0;
        int invalid = 0;
        if (strcmp(name, "--host") == 0) {
            /* Accept "[::1]" as well as "::1": people copy URLs. */
            size_t n = val ? strlen(val) : 0;
            if (n >= 2 && val[0] == '[' && val[n - 1] == ']') {
                val++;
                n -= 2;
            }
            invalid = n == 0 || n >= sizeof opt->host;
            if (!invalid) {
                memcpy(opt->host, val, n);
                opt->host[n] = '\0';
            }
        } else if (strcmp(name, "--port") == 0) {
            invalid = gr_tc_parse_u64(val, 1, 65535, &u);
            opt->port = (int)u;
            have_port = 1;
        } else if (strcmp(name, "--threads") == 0) {
            invalid = gr_tc_parse_u64(val, 1, 1024, &u);
            opt->threads = (int)u;
        } else if (strcmp(name, "--connections") == 0) {
            invalid = gr_tc_parse_u64(val, 1, 1000000, &connections);
        } else if (strcmp(name, "--size") == 0) {
            invalid = gr_tc_parse_u64(val, GR_TC_HEADER_SIZE, GR_TC_MAX_SIZE, &u);
            opt->size = (uint32_t)u;
        } else if (strcmp(name, "--count") == 0) {
            invalid = gr_tc_parse_u64(val, 1, UINT64_MAX / 2, &opt->count);
            have_count = 1;
        } else if (strcmp(name, "--duration") == 0) {
            invalid = gr_tc_parse_seconds(val, &opt->duration);
            have_duration = 1;
        } else if (strcmp(name, "--depth") == 0) {
            invalid = gr_tc_parse_u64(val, 1, 65536, &u);
            opt->depth = (uint32_t)u;
        } else if (strcmp(name, "--timeout") == 0) {
            invalid = gr_tc_parse_seconds(val, &opt->timeout);
            have_timeout = 1;
        } else if (strcmp(name, "--max-loss") == 0) {
            invalid = gr_tc_parse_percent(val, &opt->max_loss);
            have_max_loss = 1;
        } else {
            fprintf(stderr, "%s: unknown option '%s'\n", prog, name);
            goto bad;
        }
        if (invalid) {
            if (val == NULL)
                fprintf(stderr, "%s: option %s needs a value\n", prog, name);
            else
                fprintf(stderr, "%s: bad value '%s' for %s\n", prog, val, name);
            goto bad;
        }
    }

    if (!have_port) {
        fprintf(stderr, "%s: --port is required\n", prog);
        goto bad;
    }
    if (have_count && have_duration) {
        fprintf(stderr, "%s: give --count or --duration, not both\n", prog);
        goto bad;
    }
    if (!have_count && !have_duration)
        opt->count = 10000;
    if (opt->udp && opt->size > GR_TC_MAX_UDP_SIZE) {
        fprintf(stderr, "%s: --size %u does not fit in one UDP datagram (at most %u)\n", prog, opt->size,
                GR_TC_MAX_UDP_SIZE);
        goto bad;
    }
    if (have_max_loss && !opt->udp) {
        fprintf(stderr, "%s: --max-loss goes with --udp\n", prog);
        goto bad;
    }
    /* A lost datagram is only known by its silence: wait a second, not ten. */
    if (opt->udp && !have_timeout)
        opt->timeout = 1.0;
    if (connections == 0)
        connections = (uint64_t)opt->threads;
    /* A thread without a connection would only skew the per-thread lines. */
    if (connections < (uint64_t)opt->threads) {
        fprintf(stderr, "%s: --connections (%llu) must be at least --threads (%d)\n",
                prog, (unsigned long long)connections, opt->threads);
        goto bad;
    }
    opt->connections = (int)connections;
    return GR_TC_OPT_RUN;

bad:
    gr_tc_options_usage(stderr, prog);
    return GR_TC_OPT_BAD;
}
