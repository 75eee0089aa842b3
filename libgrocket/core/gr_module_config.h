/* gr_module_config.h - a module's own sections: checked against the keys
 * the module declares (gr_module_t.config_keys, grocket.h), and read by
 * the services' config_int/str/bool. */
#ifndef GR_MODULE_CONFIG_H
#define GR_MODULE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "gr_config.h"
#include "grocket.h"

/* Check every section of cfg other than [server] and [listen] against m
 * (gr_module_config_check.cpp):
 *  - m's table itself: GR_EMODULE naming the entry when it is malformed
 *    (no section, unknown type, a default its own type refuses, ...);
 *  - a section m does not declare that is a near miss of [server] or
 *    [listen]: GR_ECONFIG naming file, line and the section meant;
 *  - when m declares keys: an undeclared section or key, a repeated key
 *    or a bad value is GR_ECONFIG naming file, line and key;
 *  - when m declares none: each such section is logged as a warning
 *    naming file and line (it is not checked).
 * err gets the message. */
int gr_module_config_check(const gr_config_t *cfg, const gr_module_t *m, char *err, size_t errlen);
/* Keys m declares (0 for none), for messages such as grocketd -t's. */
int gr_module_config_key_count(const gr_module_t *m);

/* The services' look-ups (gr_module_config_get.cpp). cfg or m NULL: def.
 * A declared key absent from cfg gives its declared default when it has
 * one; a key m does not declare, when m declares keys, gives def and logs
 * an error once per key. [server] and [listen] are read as they are. */
int64_t gr_module_config_int(const gr_config_t *cfg, const gr_module_t *m, const char *section, const char *key,
                             int64_t def);
const char *gr_module_config_str(const gr_config_t *cfg, const gr_module_t *m, const char *section, const char *key,
                                 const char *def);
int gr_module_config_bool(const gr_config_t *cfg, const gr_module_t *m, const char *section, const char *key,
                          int def);
/* The declaration of [section] key in m's table, or NULL. */
const gr_config_key_t *gr_module_config_find(const gr_module_t *m, const char *section, const char *key);
/* Does value fit k's type and range? 0, or GR_EINVAL with what was
 * expected ("an integer 1..100") in expect. */
int gr_module_config_value_ok(const gr_config_key_t *k, const char *value, char *expect, size_t len);

#endif
