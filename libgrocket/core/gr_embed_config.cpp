/* gr_embed_config.cpp - configuration by calls for embedders
 * (libgrocket.h: gr_server_config_*): no INI text, the same table and the
 * same checks as a file. Each set is checked at once against gr_config's key
 * table (gr_settings_check_entry), so a bad key or value is reported by the
 * call that gave it, with the text a file would get; checks between keys
 * run when the server is created (gr_settings_from_config). Messages read
 * "NAME:N: KEY: ...", N being the number of the set call, as if each call
 * were one line of a file. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "gr_config.h"
#include "gr_error.h"
#include "gr_server.h"
#include "libgrocket.h"

struct gr_server_config_t {
    gr_config_t *cfg;
    int calls; /* set calls so far: the "line" of the next one */
};

int gr_server_config_create(gr_server_config_t **out, const char *name, char *err, size_t errlen)
{
    *out = NULL;
    gr_server_config_t *c = (gr_server_config_t *)calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return GR_ENOMEM;
    }
    int rc = gr_config_new(&c->cfg, name ? name : "embedded", err, errlen);
    if (rc != GR_OK) {
        free(c);
        return rc;
    }
    *out = c;
    return GR_OK;
}

int gr_server_config_set(gr_server_config_t *c, const char *section, const char *key, const char *value, char *err,
                         size_t errlen)
{
    if (!c || !section || !key || !value) {
        snprintf(err, errlen, "gr_server_config_set: NULL %s", !c ? "config" : !section ? "section" : !key ? "key" : "value");
        return GR_EINVAL;
    }
    int line = ++c->calls;
    int rc = gr_settings_check_entry(c->cfg, section, key, value, line, err, errlen);
    if (rc != GR_OK)
        return rc;
    rc = gr_config_set(c->cfg, section, key, value, line);
    if (rc != GR_OK)
        snprintf(err, errlen, "%s:%d: %s: out of memory", gr_config_name(c->cfg), line, key);
    return rc;
}

int gr_server_config_set_int(gr_server_config_t *c, const char *section, const char *key, int64_t value, char *err,
                             size_t errlen)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, value);
    return gr_server_config_set(c, section, key, buf, err, errlen);
}

void gr_server_config_destroy(gr_server_config_t *c)
{
    if (!c)
        return;
    gr_config_free(c->cfg);
    free(c);
}

int gr_server_create_from_config(gr_server_t **out, const gr_server_config_t *c, const gr_module_t *module, int argc,
                                 char **argv, char *err, size_t errlen)
{
    *out = NULL;
    if (!c) {
        snprintf(err, errlen, "gr_server_create_from_config: NULL config");
        return GR_EINVAL;
    }
    /* The server keeps its own copy: the services hand out its strings until
     * the module's term, and the caller may destroy or reuse c at once. */
    gr_config_t *copy = gr_config_copy(c->cfg);
    if (!copy) {
        snprintf(err, errlen, "%s: out of memory", gr_config_name(c->cfg));
        return GR_ENOMEM;
    }
    return gr_server_create_with_config(out, copy, module, argc, argv, err, errlen);
}

int gr_server_listen_count(const gr_server_t *s)
{
    return s ? s->listener_count : 0;
}
