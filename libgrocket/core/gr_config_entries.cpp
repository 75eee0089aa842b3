/* gr_config_entries.cpp - the table of entries a configuration is made of:
 * one (section, key, value, line) per line read or per set call, in file
 * order, and the look-ups over it. */
#include "gr_array.h"
#include "gr_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_error.h"

/* One name = value line, in file order. */
typedef struct gr_config_entry_t {
    const char *section; /* all three point into one allocation, owned here */
    const char *key;
    const char *value;
    int line;            /* 1-based line in the source */
} gr_config_entry_t;

struct gr_config_t {
    char *name;                 /* the path or name given at load, for messages */
    char *dir;                  /* absolute directory relative paths resolve against */
    const struct gr_host_key_t *host_keys; /* the host program's [server] keys, not owned; NULL: none */
    gr_config_entry_t *entries; /* every entry, in file order */
    int count;
    int cap;
};

void gr_config_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

gr_config_t *gr_config_create(const char *name, const char *dir)
{
    gr_config_t *cfg = (gr_config_t *)calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return NULL;
    cfg->name = strdup(name);
    cfg->dir = strdup(dir);
    if (cfg->name == NULL || cfg->dir == NULL) {
        gr_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void gr_config_free(gr_config_t *cfg)
{
    if (cfg == NULL)
        return;
    for (int i = 0; i < cfg->count; i++)
        free((void *)cfg->entries[i].section); /* the entry's one allocation */
    free(cfg->entries);
    free(cfg->dir);
    free(cfg->name);
    free(cfg);
}

/* Point e at one new allocation holding the three strings. */
static int entry_fill(gr_config_entry_t *e, const char *section, const char *key, const char *value, int line)
{
    size_t ls = strlen(section) + 1, lk = strlen(key) + 1, lv = strlen(value) + 1;
    char *mem = (char *)malloc(ls + lk + lv);
    if (mem == NULL)
        return GR_ENOMEM;
    memcpy(mem, section, ls);
    memcpy(mem + ls, key, lk);
    memcpy(mem + ls + lk, value, lv);
    e->section = mem;
    e->key = mem + ls;
    e->value = mem + ls + lk;
    e->line = line;
    return 0;
}

int gr_config_add(gr_config_t *cfg, const char *section, const char *key, const char *value, int line)
{
    if (!gr_array_reserve(&cfg->entries, &cfg->cap, (size_t)cfg->count + 1, 32))
        return GR_ENOMEM;
    int rc = entry_fill(&cfg->entries[cfg->count], section, key, value, line);
    if (rc == 0)
        cfg->count++;
    return rc;
}

int gr_config_set(gr_config_t *cfg, const char *section, const char *key, const char *value, int line)
{
    for (int i = 0; i < cfg->count; i++) {
        gr_config_entry_t *e = &cfg->entries[i];
        if (strcmp(e->key, key) != 0 || strcmp(e->section, section) != 0)
            continue;
        /* A set replaces: the entry keeps its place (a listen keeps its
         * index) and takes the new value and line. */
        gr_config_entry_t fresh;
        if (entry_fill(&fresh, section, key, value, line) != 0)
            return GR_ENOMEM;
        free((void *)e->section);
        *e = fresh;
        return 0;
    }
    return gr_config_add(cfg, section, key, value, line);
}

gr_config_t *gr_config_copy(const gr_config_t *src)
{
    gr_config_t *cfg = gr_config_create(src->name, src->dir);
    if (cfg != NULL)
        cfg->host_keys = src->host_keys;
    for (int i = 0; cfg != NULL && i < src->count; i++) {
        const gr_config_entry_t *e = &src->entries[i];
        if (gr_config_add(cfg, e->section, e->key, e->value, e->line) != 0) {
            gr_config_free(cfg);
            cfg = NULL;
        }
    }
    return cfg;
}

void gr_config_set_host_keys(gr_config_t *cfg, const struct gr_host_key_t *keys)
{
    cfg->host_keys = keys;
}

const struct gr_host_key_t *gr_config_host_keys(const gr_config_t *cfg)
{
    return cfg->host_keys;
}

const char *gr_config_name(const gr_config_t *cfg)
{
    return cfg->name;
}

const char *gr_config_dir(const gr_config_t *cfg)
{
    return cfg->dir;
}

/* The last entry of [section] key: the one that wins. */
static const gr_config_entry_t *cfg_find(const gr_config_t *cfg, const char *section, const char *key)
{
    for (int i = cfg->count - 1; i >= 0; i--) {
        const gr_config_entry_t *e = &cfg->entries[i];
        if (strcmp(e->key, key) == 0 && strcmp(e->section, section) == 0)
            return e;
    }
    return NULL;
}

const char *gr_config_get(const gr_config_t *cfg, const char *section, const char *key)
{
    const gr_config_entry_t *e = cfg_find(cfg, section, key);
    return e ? e->value : NULL;
}

int gr_config_line(const gr_config_t *cfg, const char *section, const char *key)
{
    const gr_config_entry_t *e = cfg_find(cfg, section, key);
    return e ? e->line : 0;
}

int gr_config_entry_at(const gr_config_t *cfg, int i, const char **section, const char **key, const char **value,
                       int *line)
{
    if (i < 0 || i >= cfg->count)
        return 0;
    const gr_config_entry_t *e = &cfg->entries[i];
    if (section)
        *section = e->section;
    if (key)
        *key = e->key;
    if (value)
        *value = e->value;
    if (line)
        *line = e->line;
    return 1;
}

int gr_config_entry_repeats(const gr_config_t *cfg, int i)
{
    const gr_config_entry_t *e = &cfg->entries[i];
    for (int k = 0; k < i; k++) {
        const gr_config_entry_t *p = &cfg->entries[k];
        if (strcmp(p->key, e->key) == 0 && strcmp(p->section, e->section) == 0)
            return p->line;
    }
    return 0;
}

const char *gr_config_key_at(const gr_config_t *cfg, const char *section, int i, const char **value, int *line)
{
    if (i < 0)
        return NULL;
    for (int k = 0; k < cfg->count; k++) {
        const gr_config_entry_t *e = &cfg->entries[k];
        if (strcmp(e->section, section) != 0 || i-- > 0)
            continue;
        if (value)
            *value = e->value;
        if (line)
            *line = e->line;
        return e->key;
    }
    return NULL;
}

const char *gr_config_section_at(const gr_config_t *cfg, int i)
{
    for (int k = 0; k < cfg->count && i >= 0; k++) {
        const char *sec = cfg->entries[k].section;
        int seen = 0;
        for (int j = 0; j < k && !seen; j++)
            seen = strcmp(cfg->entries[j].section, sec) == 0;
        if (!seen && i-- == 0)
            return sec;
    }
    return NULL;
}

int gr_config_section_line(const gr_config_t *cfg, const char *section)
{
    int line = 0;
    gr_config_key_at(cfg, section, 0, NULL, &line);
    return line;
}
