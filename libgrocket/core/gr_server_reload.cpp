/* gr_server_reload.cpp - re-read the configuration of a running server
 * (grocketd's SIGHUP): the keys marked GR_RELOAD in gr_settings_keys.cpp's table
 * take their new values at once, every other change is logged as needing a
 * restart, and a file with an error changes nothing.
 *
 * The running threads read reloadable keys from an immutable snapshot
 * (gr_live_t, gr_server.h): a reload builds a new one and publishes it with
 * one release store, so no reader takes a lock or sees half a reload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_module_config.h"
#include "gr_server.h"

static void live_limits(gr_live_t *l)
{
    l->http_limits.max_header_size = (uint32_t)l->settings.http_max_header_size;
    l->http_limits.max_headers = (uint32_t)l->settings.http_max_headers;
    l->http_limits.max_body_size = (uint64_t)l->settings.http_max_body_size;
}

int gr_live_init(gr_server_t *s)
{
    gr_live_t *l = (gr_live_t *)calloc(1, sizeof *l);
    if (!l)
        return GR_ENOMEM;
    l->settings = s->settings;
    live_limits(l);
    l->older = s->live.load(std::memory_order_relaxed);
    s->live.store(l, std::memory_order_release);
    return GR_OK;
}

void gr_live_free(gr_server_t *s)
{
    gr_live_t *l = s->live.exchange(nullptr, std::memory_order_acq_rel);
    while (l) {
        gr_live_t *older = l->older;
        free(l);
        l = older;
    }
}

/* Do the values of [section] differ between a and b? (A key repeated in a
 * module section keeps its last value, as the module sees it.) */
static bool section_differs(const gr_config_t *a, const gr_config_t *b, const char *section)
{
    const char *key;
    for (int i = 0; (key = gr_config_key_at(a, section, i, NULL, NULL)) != NULL; i++) {
        const char *vb = gr_config_get(b, section, key);
        if (!vb || strcmp(gr_config_get(a, section, key), vb) != 0)
            return true;
    }
    for (int i = 0; (key = gr_config_key_at(b, section, i, NULL, NULL)) != NULL; i++)
        if (!gr_config_get(a, section, key))
            return true;
    return false;
}

/* Log every module section that changed: the module read it at init. */
static int report_module_sections(const gr_config_t *old_cfg, const gr_config_t *new_cfg, const char *name)
{
    int changed = 0;
    const gr_config_t *cfgs[2] = {new_cfg, old_cfg};
    for (int c = 0; c < 2; c++) {
        const char *sec;
        for (int i = 0; (sec = gr_config_section_at(cfgs[c], i)) != NULL; i++) {
            if (!strcmp(sec, "server") || !strcmp(sec, "listen"))
                continue;
            bool in_new = gr_config_key_at(new_cfg, sec, 0, NULL, NULL) != NULL;
            if (c == 1 && in_new)
                continue; /* seen from the new side already */
            if (section_differs(old_cfg, new_cfg, sec)) {
                GR_WARN("reload %s: [%s] changed: the module reads its configuration at start; needs a restart",
                        name, sec);
                changed++;
            }
        }
    }
    return changed;
}

static bool listens_differ(const gr_settings_t *a, const gr_settings_t *b)
{
    if (a->listen_count != b->listen_count)
        return true;
    for (int i = 0; i < a->listen_count; i++)
        if (strcmp(a->listens[i].url, b->listens[i].url) != 0)
            return true;
    return false;
}

/* Switch the log as the new settings say; on failure the old file stays
 * (and so does its name in the snapshot). */
static void apply_log(const gr_settings_t *old_st, gr_settings_t *st, const char *name)
{
    if (old_st->log_level != st->log_level)
        gr_log_set_level(st->log_level);
    if (strcmp(old_st->log_file, st->log_file) != 0) {
        int rc = gr_log_open(st->log_file);
        if (rc != 0) {
            GR_ERROR("reload %s: log.file %s: %s; the log stays %s", name, st->log_file, gr_strerror(rc),
                     old_st->log_file[0] ? old_st->log_file : "standard error");
            memcpy(st->log_file, old_st->log_file, sizeof st->log_file);
        }
    }
}

/* The host program's keys (gr_server_create_hosted) are read by it at its
 * start: a change is checked, logged as needing a restart, and
 * gr_server_setting keeps answering the old value. */
static int report_host_keys(const gr_config_t *old_cfg, const gr_config_t *cfg, const char *path)
{
    int restart = 0;
    for (const gr_host_key_t *k = gr_config_host_keys(old_cfg); k != NULL && k->name != NULL; k++) {
        char was[GR_PATH_MAX], now[GR_PATH_MAX];
        gr_host_key_value(old_cfg, k, was, sizeof was);
        gr_host_key_value(cfg, k, now, sizeof now);
        if (strcmp(was, now) == 0)
            continue;
        GR_WARN("reload %s: %s: '%s' -> '%s': needs a restart (keeping '%s')", path, k->name, was, now, was);
        restart++;
    }
    return restart;
}

int gr_server_reload(gr_server_t *s, const char *path, char *err, size_t errlen)
{
    if (!path)
        path = s->config_path;
    if (!path) {
        snprintf(err, errlen, "this server was configured from a string: name a file to reload");
        return GR_EINVAL;
    }
    gr_config_t *cfg = NULL;
    int rc = gr_config_load_file(&cfg, path, err, errlen);
    if (rc != GR_OK)
        return rc;
    gr_config_set_host_keys(cfg, gr_config_host_keys(s->config));
    gr_settings_t *next = (gr_settings_t *)malloc(sizeof *next);
    gr_live_t *fresh = (gr_live_t *)malloc(sizeof *fresh);
    if (!next || !fresh) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = GR_ENOMEM;
        goto out;
    }
    rc = gr_settings_from_config(next, cfg, err, errlen);
    /* The same checks as a start: a module loaded from a file needs the
     * key, and the module's sections must fit what it declares. */
    if (rc == GR_OK && s->module.handle)
        rc = gr_settings_require_module(next, cfg, err, errlen);
    if (rc == GR_OK)
        rc = gr_module_config_check(cfg, &s->module.m, err, errlen);
    if (rc != GR_OK)
        goto out;
    {
        const gr_live_t *cur = gr_server_live(s);
        *fresh = *cur;
        fresh->older = (gr_live_t *)cur;
        int applied = 0, restart = 0;
        for (int i = 0; i < gr_settings_key_count(); i++) {
            if (!gr_settings_key_differs(i, &cur->settings, next))
                continue;
            char was[GR_PATH_MAX + 8], now[GR_PATH_MAX + 8];
            gr_settings_key_format(i, &cur->settings, was, sizeof was);
            gr_settings_key_format(i, next, now, sizeof now);
            if (gr_settings_key_reloadable(i)) {
                gr_settings_key_copy(i, &fresh->settings, next);
                if (!s->running) /* nothing reads s->settings yet: start takes it from there */
                    gr_settings_key_copy(i, &s->settings, next);
                GR_INFO("reload %s: %s: %s -> %s: applied", path, gr_settings_key_name(i), was, now);
                applied++;
            } else {
                GR_WARN("reload %s: %s: %s -> %s: needs a restart (keeping %s)", path, gr_settings_key_name(i), was,
                        now, was);
                restart++;
            }
        }
        if (listens_differ(&cur->settings, next)) {
            GR_WARN("reload %s: [listen] changed: needs a restart", path);
            restart++;
        }
        restart += report_host_keys(s->config, cfg, path);
        restart += report_module_sections(s->config, cfg, path);
        if (applied) {
            apply_log(&cur->settings, &fresh->settings, path);
            live_limits(fresh);
            s->live.store(fresh, std::memory_order_release);
            fresh = NULL; /* published: freed with the server */
        }
        GR_INFO("reload %s: %d key(s) applied, %d change(s) need a restart", path, applied, restart);
    }
out:
    free(fresh);
    free(next);
    gr_config_free(cfg);
    return rc;
}

int gr_server_reopen_log(gr_server_t *s)
{
    (void)s;
    char path[GR_PATH_MAX];
    int rc = gr_log_reopen();
    if (rc != 0)
        GR_ERROR("reopening the log %s: %s; still writing to the old file", gr_log_path(path, sizeof path),
                 gr_strerror(rc));
    else if (gr_log_path(path, sizeof path)[0])
        GR_INFO("log reopened: %s", path);
    return rc;
}
