/* gr_module_config_get.cpp - what config_int/str/bool give a module: the
 * value in the file, else a declared key's default, else the caller's def;
 * and for a module that declares its keys, an error logged once for a key
 * it did not declare, so a typo in the module's code does not pass as a
 * default unseen. */
#include "gr_module_config.h"

#include <atomic>
#include <string.h>

#include "gr_config_value.h"
#include "gr_error.h"
#include "gr_log.h"

/* Keys already reported, by hash: process-wide, lock-free, since the
 * services may be called from any thread; a full table only means a key
 * is reported again. */
#define GR_REPORTED_SLOTS 64
static std::atomic<uint64_t> reported[GR_REPORTED_SLOTS];

static uint64_t key_hash(const char *section, const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = section; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull; /* between the two: "a" "bc" is not "ab" "c" */
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h ? h : 1; /* 0 marks a free slot */
}

/* 1 the first time section/key is seen here, 0 afterwards. */
static int first_report(const char *section, const char *key)
{
    uint64_t h = key_hash(section, key);
    for (int i = 0; i < GR_REPORTED_SLOTS; i++) {
        uint64_t cur = 0;
        if (reported[i].compare_exchange_strong(cur, h, std::memory_order_relaxed))
            return 1;
        if (cur == h)
            return 0;
    }
    return 1;
}

/* The text config_* read for [section] key into *value (NULL: none) and
 * its declaration into *decl (NULL for a module that declares nothing, and
 * for the server's sections). GR_EINVAL for a key m should have declared. */
static int lookup(const gr_config_t *cfg, const gr_module_t *m, const char *section, const char *key,
                  const char *call, const char **value, const gr_config_key_t **decl)
{
    *value = NULL;
    *decl = NULL;
    if (cfg == NULL || m == NULL || section == NULL || key == NULL)
        return GR_EINVAL;
    int declares = m->config_keys != NULL && m->config_keys[0].name != NULL;
    if (declares && strcmp(section, "server") != 0 && strcmp(section, "listen") != 0) {
        *decl = gr_module_config_find(m, section, key);
        if (*decl == NULL) {
            if (first_report(section, key))
                GR_ERROR("module %s: %s(\"%s\", \"%s\"): key not declared in its config_keys; it gets the default "
                         "it passed",
                         m->name, call, section, key);
            return GR_EINVAL;
        }
    }
    *value = gr_config_get(cfg, section, key);
    if (*value == NULL && *decl != NULL)
        *value = (*decl)->def;
    return 0;
}

int64_t gr_module_config_int(const gr_config_t *cfg, const gr_module_t *m, const char *section, const char *key,
                             int64_t def)
{
    const char *v;
    const gr_config_key_t *k;
    int64_t n;
    int b;
    if (lookup(cfg, m, section, key, "config_int", &v, &k) != 0 || v == NULL)
        return def;
    if (k != NULL && k->type == GR_CONFIG_SIZE)
        return gr_parse_size(v, &n) == 0 ? n : def;
    if (k != NULL && k->type == GR_CONFIG_BOOL)
        return gr_parse_bool(v, &b) == 0 ? b : def;
    return gr_parse_int(v, &n) == 0 ? n : def;
}

const char *gr_module_config_str(const gr_config_t *cfg, const gr_module_t *m, const char *section, const char *key,
                                 const char *def)
{
    const char *v;
    const gr_config_key_t *k;
    if (lookup(cfg, m, section, key, "config_str", &v, &k) != 0 || v == NULL)
        return def;
    return v;
}

int gr_module_config_bool(const gr_config_t *cfg, const gr_module_t *m, const char *section, const char *key,
                          int def)
{
    const char *v;
    const gr_config_key_t *k;
    int b;
    if (lookup(cfg, m, section, key, "config_bool", &v, &k) != 0 || v == NULL)
        return def;
    return gr_parse_bool(v, &b) == 0 ? b : def;
}
