/* gr_listen.h - one [listen] entry: SCHEME://HOST:PORT, where SCHEME says
 * how the address is served and HOST:PORT is gr_addr_parse's grammar
 * (platform/gr_socket.h), the one the server binds with. */
#ifndef GR_LISTEN_H
#define GR_LISTEN_H

#include <stddef.h>

#define GR_MAX_LISTEN 64

/* One [listen] entry. */
typedef struct gr_listen_t {
    char name[64];       /* its key in [listen] ("0", "relay"): services->conn_listen */
    char url[256];       /* as written, e.g. tcp://0.0.0.0:8000 */
    char host_port[256]; /* the part after "tcp://" */
    int is_udp;          /* udp://: datagrams, served by the udp_in threads */
    int is_http;         /* http://: built-in HTTP/1.1, the module's proc_http */
} gr_listen_t;

/* Parse value into l. 0, or GR_ECONFIG with why into why[whylen], e.g.
 * "invalid listen address 'x' (expected ...)" or "port 70000 out of range
 * 0-65535 in 'tcp://0.0.0.0:70000'"; the caller adds file, line and key.
 * HOST is resolved now, as a start would. */
int gr_listen_parse(const char *value, gr_listen_t *l, char *why, size_t whylen);
/* Of listens[0..n), the first that asks for the same transport (TCP for
 * tcp:// and http://, UDP) and the same address and port as an earlier one,
 * or overlaps it (a wildcard address and another of its family on one
 * port): its index, with the earlier one's in *earlier; -1 when none. Port
 * 0 never clashes (each gets a port of its own). */
int gr_listen_find_clash(const gr_listen_t *listens, int n, int *earlier);

#endif
