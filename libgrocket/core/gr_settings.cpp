/* gr_settings.cpp - validate [server] and [listen] of a configuration into
 * the settings the server runs with: each entry on its own (the same check
 * for a file's line and an embedder's set call), then the checks between
 * entries. */
#include "gr_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_config_near.h"
#include "gr_error.h"
#include "gr_settings_keys.h"
#include "gr_socket.h"

/* One entry checked and applied the way a file's is, with the same
 * message naming file:line:key: a listen address into *l, a [server] key
 * into s (*key_out: its index in the table, else -1), a host key only
 * checked (the host reads it with gr_server_setting). Entries of a
 * module's section pass untouched (gr_module_config.cpp checks them). */
static int entry_apply(const gr_config_t *cfg, const char *section, const char *key, const char *value, int line,
                       gr_settings_t *s, gr_listen_t *l, int *key_out, char *err, size_t errlen)
{
    const char *name = gr_config_name(cfg);
    char why[GR_CONFIG_ERR_LEN];
    *key_out = -1;
    if (section[0] == '\0') {
        /* Most likely a [server] key whose header was forgotten; it would
         * otherwise be silently ignored. */
        gr_config_err(err, errlen, "%s:%d: %s: key outside any section", name, line, key);
        return GR_ECONFIG;
    }
    if (strcmp(section, "listen") == 0) {
        if (gr_listen_parse(value, l, why, sizeof why) != 0) {
            gr_config_err(err, errlen, "%s:%d: %s: %s", name, line, key, why);
            return GR_ECONFIG;
        }
        snprintf(l->name, sizeof l->name, "%s", key);
        return 0;
    }
    if (strcmp(section, "server") != 0)
        return 0;
    int k = gr_settings_key_find(key);
    const struct gr_host_key_t *hk = k < 0 ? gr_host_key_find(cfg, key) : NULL;
    if (k < 0 && hk == NULL) {
        gr_config_err(err, errlen, "%s:%d: %s: unknown key in [server]", name, line, key);
        return GR_ECONFIG;
    }
    char host_value[GR_PATH_MAX];
    if (hk != NULL ? gr_host_key_apply(hk, value, gr_config_dir(cfg), host_value, sizeof host_value, why, sizeof why)
                   : gr_settings_key_apply(k, value, gr_config_dir(cfg), s, why, sizeof why)) {
        gr_config_err(err, errlen, "%s:%d: %s: invalid value '%s' (expected %s)", name, line, key, value, why);
        return GR_ECONFIG;
    }
    *key_out = k;
    return 0;
}

/* Default paths not overridden resolve against the config's directory. */
static int resolve_default_paths(gr_settings_t *s, const gr_config_t *cfg, const int *set, char *err, size_t errlen)
{
    char why[128];
    for (int i = 0; i < gr_settings_key_count(); i++) {
        if (set[i] || !gr_settings_key_is_path(i))
            continue;
        const char *def = gr_settings_key_default(i);
        if (gr_settings_key_apply(i, def, gr_config_dir(cfg), s, why, sizeof why) != 0) {
            /* Only a very long config directory gets here. */
            gr_config_err(err, errlen, "%s: %s: default '%s' (expected %s)", gr_config_name(cfg),
                          gr_settings_key_name(i), def, why);
            return GR_ECONFIG;
        }
    }
    return 0;
}

/* [listen]: at least one address, and no two that would clash at bind. */
static int check_listens(const gr_settings_t *s, const gr_config_t *cfg, char *err, size_t errlen)
{
    const char *name = gr_config_name(cfg);
    if (s->listen_count == 0) {
        gr_config_err(err, errlen, "%s: [listen]: no listen address", name);
        return GR_ECONFIG;
    }
    int earlier, i = gr_listen_find_clash(s->listens, s->listen_count, &earlier);
    if (i < 0)
        return 0;
    const char *key = gr_config_key_at(cfg, "listen", i, NULL, NULL);
    const char *first = gr_config_key_at(cfg, "listen", earlier, NULL, NULL);
    gr_config_err(err, errlen, "%s:%d: %s: '%s' listens on the address of %s (line %d, '%s')", name,
                  gr_config_line(cfg, "listen", key), key, s->listens[i].url, first,
                  gr_config_line(cfg, "listen", first), s->listens[earlier].url);
    return GR_ECONFIG;
}

/* Several udp_in threads share a udp:// listen through several sockets on
 * one address, which needs the kernel to spread datagrams over them by
 * sender; where it cannot (macOS, Windows), a listen takes one thread. */
static int check_udp_threads(const gr_settings_t *s, const gr_config_t *cfg, char *err, size_t errlen)
{
    if (s->udp_in_threads <= 1 || gr_udp_can_share_port())
        return 0;
    for (int i = 0; i < s->listen_count; i++) {
        if (!s->listens[i].is_udp)
            continue;
        gr_config_err(err, errlen,
                      "%s:%d: udp.in.thread_count = %d: this system cannot spread one UDP port over several "
                      "sockets by sender, so a udp:// listen is served by one udp_in thread: set it to 1",
                      gr_config_name(cfg), gr_config_line(cfg, "server", "udp.in.thread_count"), s->udp_in_threads);
        return GR_ECONFIG;
    }
    return 0;
}

int gr_settings_from_config(gr_settings_t *s, const gr_config_t *cfg, char *err, size_t errlen)
{
    const char *name = gr_config_name(cfg);
    int set[64]; /* the line that gave each key a value; 0: none */
    if (gr_settings_key_count() > (int)(sizeof set / sizeof set[0]))
        abort(); /* the table outgrew this array */
    memset(set, 0, sizeof(set));
    gr_settings_defaults(s);

    const char *section, *key, *value;
    int line;
    for (int i = 0; gr_config_entry_at(cfg, i, &section, &key, &value, &line); i++) {
        int listen = strcmp(section, "listen") == 0;
        if (section[0] != '\0' && !listen && strcmp(section, "server") != 0)
            continue; /* a module's section: gr_module_config.cpp */
        if (section[0] != '\0') {
            /* Last-wins is right for a module's look-ups, but in the
             * server's own sections a repeat is almost always an edit gone
             * wrong. */
            int first = gr_config_entry_repeats(cfg, i);
            if (first != 0) {
                gr_config_err(err, errlen, "%s:%d: %s: repeated (first on line %d)", name, line, key, first);
                return GR_ECONFIG;
            }
            if (listen && s->listen_count == GR_MAX_LISTEN) {
                gr_config_err(err, errlen, "%s:%d: %s: too many listen addresses (at most %d)", name, line, key,
                              GR_MAX_LISTEN);
                return GR_ECONFIG;
            }
        }
        int k;
        int rc = entry_apply(cfg, section, key, value, line, s, listen ? &s->listens[s->listen_count] : NULL, &k,
                             err, errlen);
        if (rc != 0)
            return rc;
        if (listen)
            s->listen_count++;
        else if (k >= 0) /* -1: a host key */
            set[k] = line;
    }
    int rc = resolve_default_paths(s, cfg, set, err, errlen);
    if (rc == 0)
        rc = gr_settings_keys_check_order(s, set, name, err, errlen);
    if (rc == 0)
        rc = check_listens(s, cfg, err, errlen);
    if (rc == 0)
        rc = check_udp_threads(s, cfg, err, errlen);
    return rc;
}

int gr_settings_check_entry(const gr_config_t *cfg, const char *section, const char *key, const char *value,
                            int line, char *err, size_t errlen)
{
    /* Applied to scratch settings: only the value's own check matters here;
     * cross-checks between keys wait for gr_settings_from_config. */
    gr_settings_t *s = (gr_settings_t *)malloc(sizeof(*s));
    if (s == NULL) {
        gr_config_err(err, errlen, "%s: out of memory", gr_config_name(cfg));
        return GR_ENOMEM;
    }
    gr_listen_t l;
    int k;
    int rc = entry_apply(cfg, section, key, value, line, s, &l, &k, err, errlen);
    free(s);
    return rc;
}

int gr_settings_require_module(const gr_settings_t *s, const gr_config_t *cfg, char *err, size_t errlen)
{
    if (s->module[0] != '\0')
        return 0;
    const char *name = gr_config_name(cfg), *sec;
    for (int i = 0; (sec = gr_config_section_at(cfg, i)) != NULL; i++) {
        if (strcmp(sec, "server") != 0 && gr_config_near_miss(sec, "server")) {
            gr_config_err(err, errlen, "%s:%d: [%s]: unknown section, probably meant [server] (which names no module)",
                          name, gr_config_section_line(cfg, sec), sec);
            return GR_ECONFIG;
        }
    }
    int line = gr_config_line(cfg, "server", "module");
    if (line != 0)
        gr_config_err(err, errlen, "%s:%d: module: empty (expected the path of the module to serve)", name, line);
    else
        gr_config_err(err, errlen, "%s: module: missing in [server] (the path of the module to serve)", name);
    return GR_ECONFIG;
}
