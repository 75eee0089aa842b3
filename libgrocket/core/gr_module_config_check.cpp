/* gr_module_config_check.cpp - a module's sections against the keys it
 * declares: the table itself first (a bug in the module, named by entry),
 * then every section of the configuration that is not the server's. */
#include "gr_module_config.h"

#include <stdio.h>
#include <string.h>

#include "gr_config_near.h"
#include "gr_config_value.h"
#include "gr_error.h"
#include "gr_log.h"

static int is_server_section(const char *sec)
{
    return strcmp(sec, "server") == 0 || strcmp(sec, "listen") == 0;
}

int gr_module_config_key_count(const gr_module_t *m)
{
    int n = 0;
    for (const gr_config_key_t *k = m->config_keys; k != NULL && k->name != NULL; k++)
        n++;
    return n;
}

const gr_config_key_t *gr_module_config_find(const gr_module_t *m, const char *section, const char *key)
{
    for (const gr_config_key_t *k = m->config_keys; k != NULL && k->name != NULL; k++)
        if (strcmp(k->name, key) == 0 && strcmp(k->section, section) == 0)
            return k;
    return NULL;
}

static int declares_section(const gr_module_t *m, const char *section)
{
    for (const gr_config_key_t *k = m->config_keys; k != NULL && k->name != NULL; k++)
        if (strcmp(k->section, section) == 0)
            return 1;
    return 0;
}

/* "an integer 1..100" and the like; lo == hi == 0: no range. */
static void expect_range(char *expect, size_t len, const char *what, int64_t lo, int64_t hi, const char *unit)
{
    if (lo == 0 && hi == 0)
        snprintf(expect, len, "%s%s", what, unit);
    else
        snprintf(expect, len, "%s %lld..%lld%s", what, (long long)lo, (long long)hi, unit);
}

int gr_module_config_value_ok(const gr_config_key_t *k, const char *value, char *expect, size_t len)
{
    int64_t n;
    int b;
    size_t chars = strlen(value);
    int any = k->min == 0 && k->max == 0;
    switch (k->type) {
    case GR_CONFIG_INT:
        if (gr_parse_int(value, &n) == 0 && (any || (n >= k->min && n <= k->max)))
            return 0;
        expect_range(expect, len, "an integer", k->min, k->max, "");
        return GR_EINVAL;
    case GR_CONFIG_SIZE:
        if (gr_parse_size(value, &n) == 0 && (any || (n >= k->min && n <= k->max)))
            return 0;
        expect_range(expect, len, "a size", k->min, k->max, " bytes (digits, optionally k, m or g)");
        return GR_EINVAL;
    case GR_CONFIG_BOOL:
        if (gr_parse_bool(value, &b) == 0)
            return 0;
        snprintf(expect, len, "true or false (also yes/no, on/off, 1/0)");
        return GR_EINVAL;
    case GR_CONFIG_STRING:
        if ((int64_t)chars >= k->min && (k->max == 0 || (int64_t)chars <= k->max))
            return 0;
        if (k->max == 0)
            snprintf(expect, len, "at least %lld characters", (long long)k->min);
        else
            snprintf(expect, len, "%lld..%lld characters", (long long)k->min, (long long)k->max);
        return GR_EINVAL;
    default:
        snprintf(expect, len, "a value of a known type");
        return GR_EINVAL;
    }
}

/* A malformed table is the module's bug: GR_EMODULE naming the entry. */
static int check_table(const gr_module_t *m, char *err, size_t errlen)
{
    int i = 0;
    for (const gr_config_key_t *k = m->config_keys; k != NULL && k->name != NULL; k++, i++) {
        const char *why = NULL;
        char expect[128] = "";
        if (k->section == NULL || k->section[0] == '\0' || is_server_section(k->section))
            why = "section must name one of the module's own (not empty, server or listen)";
        else if (k->name[0] == '\0')
            why = "empty name";
        else if (k->type < GR_CONFIG_INT || k->type > GR_CONFIG_SIZE)
            why = "unknown type (expected GR_CONFIG_INT, _BOOL, _STRING or _SIZE)";
        else if (k->min > k->max && !(k->type == GR_CONFIG_STRING && k->max == 0))
            why = "min is more than max";
        else if (gr_module_config_find(m, k->section, k->name) != k)
            why = "declared twice";
        else if (k->def != NULL && gr_module_config_value_ok(k, k->def, expect, sizeof expect) != 0)
            why = "its default does not fit its own type and range";
        if (why == NULL)
            continue;
        gr_config_err(err, errlen, "module %s: config_keys[%d] ([%s] %s): %s%s%s%s", m->name, i,
                      k->section ? k->section : "(null)", k->name, why, expect[0] ? " (expected " : "", expect,
                      expect[0] ? ")" : "");
        return GR_EMODULE;
    }
    return 0;
}

/* For "did you mean": the key names m declares in section, or with
 * section NULL the sections of its keys (repeats do no harm). */
static int declared_names(const gr_module_t *m, const char *section, const char **names, int max)
{
    int n = 0;
    for (const gr_config_key_t *k = m->config_keys; k != NULL && k->name != NULL && n < max; k++)
        if (section == NULL || strcmp(k->section, section) == 0)
            names[n++] = section == NULL ? k->section : k->name;
    return n;
}

/* Every entry of a declared section: declared, once, and a good value. */
static int check_section(const gr_config_t *cfg, const gr_module_t *m, const char *sec, char *err, size_t errlen)
{
    const char *name = gr_config_name(cfg), *key, *value, *section;
    int line;
    for (int i = 0; gr_config_entry_at(cfg, i, &section, &key, &value, &line); i++) {
        if (strcmp(section, sec) != 0)
            continue;
        const gr_config_key_t *k = gr_module_config_find(m, sec, key);
        if (k == NULL) {
            const char *names[64];
            const char *near = gr_config_nearest(key, names, declared_names(m, sec, names, 64));
            gr_config_err(err, errlen, "%s:%d: %s: unknown key in [%s] (module %s does not declare it%s%s%s)", name,
                          line, key, sec, m->name, near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
            return GR_ECONFIG;
        }
        int first = gr_config_entry_repeats(cfg, i);
        if (first != 0) {
            gr_config_err(err, errlen, "%s:%d: %s: repeated (first on line %d)", name, line, key, first);
            return GR_ECONFIG;
        }
        char expect[128];
        if (gr_module_config_value_ok(k, value, expect, sizeof expect) != 0) {
            gr_config_err(err, errlen, "%s:%d: %s: invalid value '%s' (expected %s)", name, line, key, value,
                          expect);
            return GR_ECONFIG;
        }
    }
    return 0;
}

int gr_module_config_check(const gr_config_t *cfg, const gr_module_t *m, char *err, size_t errlen)
{
    int rc = check_table(m, err, errlen);
    if (rc != 0)
        return rc;
    const char *name = gr_config_name(cfg), *sec;
    int declares = m->config_keys != NULL && m->config_keys[0].name != NULL;
    for (int i = 0; (sec = gr_config_section_at(cfg, i)) != NULL; i++) {
        if (sec[0] == '\0' || is_server_section(sec))
            continue; /* gr_settings.cpp */
        int line = gr_config_section_line(cfg, sec);
        if (declares_section(m, sec)) {
            if ((rc = check_section(cfg, m, sec, err, errlen)) != 0)
                return rc;
            continue;
        }
        static const char *const ours[] = {"server", "listen"};
        const char *meant = gr_config_nearest(sec, ours, 2);
        if (meant != NULL) {
            gr_config_err(err, errlen, "%s:%d: [%s]: unknown section, probably meant [%s]", name, line, sec, meant);
            return GR_ECONFIG;
        }
        if (declares) {
            const char *names[64];
            const char *near = gr_config_nearest(sec, names, declared_names(m, NULL, names, 64));
            gr_config_err(err, errlen, "%s:%d: %s: unknown section [%s] (module %s does not declare it%s%s%s)", name,
                          line, gr_config_key_at(cfg, sec, 0, NULL, NULL), sec, m->name,
                          near ? "; did you mean [" : "", near ? near : "", near ? "]?" : "");
            return GR_ECONFIG;
        }
        GR_WARN("%s:%d: [%s]: not checked: module %s declares no configuration keys", name, line, sec, m->name);
    }
    return 0;
}
