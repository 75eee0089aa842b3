/* gr_listen.cpp - [listen] entries: the scheme on top of gr_addr_parse,
 * a clearer word when the port is out of range, and two listens that would
 * clash at bind. */
#include "gr_listen.h"

#include <stdio.h>
#include <string.h>

#include "gr_config_value.h"
#include "gr_error.h"
#include "gr_socket.h"

static const struct {
    const char *prefix;
    int is_udp, is_http;
} schemes[] = {
    {"tcp://", 0, 0},
    {"udp://", 1, 0},
    {"http://", 0, 1},
};

/* Why gr_addr_parse refused hp, when it is the port: digits past 65535.
 * Only a better message; the grammar stays gr_addr_parse's. */
static int port_out_of_range(const char *hp, char *port, size_t len)
{
    const char *close = hp[0] == '[' ? strchr(hp, ']') : NULL;
    const char *colon = close ? (close[1] == ':' ? close + 1 : NULL) : strrchr(hp, ':');
    if (colon == NULL || colon[1] == '\0' || strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return 0;
    const char *digits = colon + 1;
    while (digits[0] == '0' && digits[1] != '\0')
        digits++;
    if (strlen(digits) < 5 || (strlen(digits) == 5 && strcmp(digits, "65535") <= 0))
        return 0;
    snprintf(port, len, "%s", colon + 1);
    return 1;
}

int gr_listen_parse(const char *value, gr_listen_t *l, char *why, size_t whylen)
{
    int k = -1; /* index in schemes */
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && k < 0; i++)
        if (gr_config_ncasecmp(value, schemes[i].prefix, strlen(schemes[i].prefix)) == 0)
            k = (int)i;
    const char *hp = k >= 0 ? value + strlen(schemes[k].prefix) : NULL;
    gr_addr_t addr;
    char port[64];
    if (hp != NULL && port_out_of_range(hp, port, sizeof port)) {
        snprintf(why, whylen, "port %s out of range 0-65535 in '%s'", port, value);
        return GR_ECONFIG;
    }
    if (hp == NULL || strlen(value) >= sizeof l->url || gr_addr_parse(&addr, hp) != 0) {
        snprintf(why, whylen, "invalid listen address '%s' (expected tcp://, http:// or udp://HOST:PORT)", value);
        return GR_ECONFIG;
    }
    snprintf(l->url, sizeof l->url, "%s", value);
    snprintf(l->host_port, sizeof l->host_port, "%s", hp);
    l->is_udp = schemes[k].is_udp;
    l->is_http = schemes[k].is_http;
    return 0;
}

/* The address as gr_addr_format writes it, split: host ("1.2.3.4", "[::1]")
 * and port. 0 or GR_EINVAL. */
static int listen_addr(const gr_listen_t *l, char *host, size_t len, int *port)
{
    gr_addr_t a;
    if (gr_addr_parse(&a, l->host_port) != 0)
        return GR_EINVAL;
    char buf[128];
    gr_addr_format(&a, buf, sizeof buf);
    char *colon = strrchr(buf, ':');
    if (colon == NULL)
        return GR_EINVAL;
    *colon = '\0';
    snprintf(host, len, "%s", buf);
    *port = gr_addr_port(&a);
    return 0;
}

static int is_wildcard(const char *host)
{
    return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0;
}

int gr_listen_find_clash(const gr_listen_t *listens, int n, int *earlier)
{
    char host[GR_MAX_LISTEN][128];
    int port[GR_MAX_LISTEN];
    for (int i = 0; i < n && i < GR_MAX_LISTEN; i++) {
        if (listen_addr(&listens[i], host[i], sizeof host[i], &port[i]) != 0)
            port[i] = 0; /* checked when parsed; never clashes */
        for (int j = 0; j < i; j++) {
            if (port[i] == 0 || port[i] != port[j] || listens[i].is_udp != listens[j].is_udp)
                continue;
            int v6i = host[i][0] == '[', v6j = host[j][0] == '[';
            /* IPv6 sockets are V6ONLY (gr_tcp_listen, gr_udp_bind): the
             * families never overlap. */
            if (v6i == v6j && (strcmp(host[i], host[j]) == 0 || is_wildcard(host[i]) || is_wildcard(host[j]))) {
                *earlier = j;
                return i;
            }
        }
    }
    return -1;
}
