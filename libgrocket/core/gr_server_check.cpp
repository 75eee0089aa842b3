/* gr_server_check.cpp - the report of grocketd -t: what gr_server_create
 * checked (it runs every check a start runs short of binding) and what is
 * left to a start. Written here, next to the checks, so the two do not
 * drift apart. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gr_module_config.h"
#include "gr_server.h"
#include "gr_thread.h"

/* Append to buf[len] at *at like snprintf; *at counts what did not fit too. */
static void add(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*at < len ? buf + *at : NULL, *at < len ? len - *at : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *at += (size_t)n;
}

static void add_module(const gr_server_t *s, char *buf, size_t len, size_t *at)
{
    const gr_module_t *m = &s->module.m;
    add(buf, len, at, "module: %s", m->name);
    if (m->version != NULL)
        add(buf, len, at, " version %s", m->version);
    if (s->module.handle != NULL)
        add(buf, len, at, " from %s", s->module.path);
    else
        add(buf, len, at, ", in process");
    add(buf, len, at, ", built for ABI %d.%d", GR_ABI_VERSION_MAJOR(m->abi_version),
        GR_ABI_VERSION_MINOR(m->abi_version));
    int keys = gr_module_config_key_count(m);
    if (keys == 0) {
        add(buf, len, at, "; it declares no configuration keys: its sections were not checked\n");
        return;
    }
    add(buf, len, at, "; its sections were checked against the %d key(s) it declares:\n", keys);
    static const char *const types[] = {"?", "integer", "boolean", "string", "size"};
    for (const gr_config_key_t *k = m->config_keys; k->name != NULL; k++) {
        add(buf, len, at, "  [%s] %s: %s", k->section, k->name, types[k->type]); /* types checked at create */
        if (k->def != NULL)
            add(buf, len, at, ", default '%s'", k->def);
        if (k->help != NULL)
            add(buf, len, at, " (%s)", k->help);
        add(buf, len, at, "\n");
    }
}

static void add_threads(const gr_server_t *s, char *buf, size_t len, size_t *at)
{
    const gr_settings_t *st = &s->settings;
    add(buf, len, at, "threads: tcp.accept %d, tcp.in %d, worker ", st->tcp_accept_threads, st->tcp_in_threads);
    if (st->worker_disabled)
        add(buf, len, at, "off, tcp.out ");
    else
        add(buf, len, at, "%d, tcp.out ", st->worker_threads);
    if (st->tcp_out_disabled)
        add(buf, len, at, "off");
    else
        add(buf, len, at, "%d", st->tcp_out_threads);
    add(buf, len, at, ", udp.in %d, udp.out ", st->udp_in_threads);
    if (st->udp_out_disabled)
        add(buf, len, at, "off");
    else
        add(buf, len, at, "%d", st->udp_out_threads);
    add(buf, len, at, " (auto: %d, the CPUs this process may run on)\n", gr_cpu_count());
}

/* The host program's own [server] keys (gr_server_create_hosted): their
 * values were checked; what the program does with them was not. */
static void add_host_keys(const gr_server_t *s, char *buf, size_t len, size_t *at)
{
    const gr_host_key_t *k = gr_config_host_keys(s->config);
    if (k == NULL || k->name == NULL)
        return;
    add(buf, len, at, "the program's own [server] keys, values checked:\n");
    for (; k->name != NULL; k++) {
        char v[GR_PATH_MAX];
        gr_host_key_value(s->config, k, v, sizeof v);
        add(buf, len, at, "  %s: %s, '%s'", k->name, k->type == GR_HOST_BOOL ? "boolean" : "path", v);
        if (k->help != NULL)
            add(buf, len, at, " (%s)", k->help);
        add(buf, len, at, "\n");
    }
}

int gr_server_check_report(const gr_server_t *s, char *buf, size_t len)
{
    size_t at = 0;
    if (len > 0)
        buf[0] = '\0';
    if (s == NULL)
        return 0;
    add_module(s, buf, len, &at);
    add_threads(s, buf, len, &at);
    add_host_keys(s, buf, len, &at);
    add(buf, len, &at,
        "checked: [server] and [listen] keys and values, every listen address resolved and none listened on "
        "twice, the module loaded with a compatible ABI, the module's sections\n"
        "not checked: that the listen ports are free and may be bound, the module's init and thread_init, "
        "that log.file can be written%s\n",
        gr_config_host_keys(s->config) != NULL ? ", what the program does with its own keys" : "");
    return (int)at;
}
