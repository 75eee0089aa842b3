/* gr_tc_options.h - the command line of test_tcp_client: one struct holding
 * every setting, its parser and the usage text.
 *
 * Kept apart from the client loop so that the rules (defaults, ranges, "one
 * of --count and --duration") live in one place and main() stays short. */
#ifndef GR_TC_OPTIONS_H
#define GR_TC_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

/* Bytes of the request header: seq (u64 LE), connection id (u32 LE) and
 * request size (u32 LE). --size may not be smaller. */
#define GR_TC_HEADER_SIZE 16

/* Largest --size: requests are built in a 256 KiB scratch buffer in pieces,
 * so any size works; the cap only keeps typos (an extra zero or three) from
 * allocating a pattern of gigabytes. */
#define GR_TC_MAX_SIZE (64u * 1024u * 1024u)
/* Largest --size with --udp: one request is one datagram, and 65507 bytes
 * is what an IPv4 UDP datagram can carry. */
#define GR_TC_MAX_UDP_SIZE 65507u

typedef struct gr_tc_options_t {
    char host[256];       /* server address as given, IPv6 brackets stripped */
    int port;             /* server port, 1..65535 (required) */
    int threads;          /* client threads, each with its own event loop */
    int connections;      /* total connections, dealt round-robin to threads */
    uint32_t size;        /* bytes per request, and so per reply */
    uint64_t count;       /* requests per connection; 0 in duration mode */
    double duration;      /* seconds to keep issuing requests; 0 in count mode */
    uint32_t depth;       /* requests in flight per connection */
    double timeout;       /* seconds without progress before a connection fails;
                             --udp: seconds before a request without reply counts as lost */
    int quiet;            /* 1: no per-second progress lines */
    int udp;              /* 1: UDP, one datagram per request (--udp) */
    double max_loss;      /* --udp: percent of requests that may be lost and still pass */
} gr_tc_options_t;

/* What gr_tc_options_parse found. */
#define GR_TC_OPT_RUN 0   /* options are valid: run */
#define GR_TC_OPT_HELP 1  /* --help: usage went to stdout, exit 0 */
#define GR_TC_OPT_BAD 2   /* a bad or missing option: message and usage went to stderr, exit 2 */

int gr_tc_options_parse(gr_tc_options_t *opt, int argc, char **argv);
void gr_tc_options_usage(FILE *out, const char *prog);

#endif /* GR_TC_OPTIONS_H */
