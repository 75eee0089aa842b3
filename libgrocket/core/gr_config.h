/* gr_config.h - a configuration as read: every entry (section, key, value,
 * line) of an INI file or string in file order, or of a table built by
 * calls (embedding), with look-ups for the services.
 *
 * What the entries mean is checked elsewhere: [server] and [listen] in
 * gr_settings.h, a module's own sections in gr_module_config.h. */
#ifndef GR_CONFIG_H
#define GR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct gr_config_t gr_config_t;

#define GR_CONFIG_ERR_LEN 512

/* Parse an INI file (gr_config_parse.cpp). On failure returns GR_ECONFIG
 * (or -errno when the file cannot be read) and writes "FILE:LINE: message"
 * into err. */
int gr_config_load_file(gr_config_t **out, const char *path, char *err, size_t errlen);
/* Parse INI text; name stands for the file in messages. Relative paths
 * resolve against the current directory. */
int gr_config_load_string(gr_config_t **out, const char *text, const char *name, char *err, size_t errlen);
/* An empty configuration to fill with gr_config_set (embedding); name
 * stands for the file in messages. */
int gr_config_new(gr_config_t **out, const char *name, char *err, size_t errlen);
void gr_config_free(gr_config_t *cfg);

/* ---- the entries (gr_config_entries.cpp) ---- */

/* An empty table; dir is the absolute directory relative paths resolve
 * against. NULL when out of memory. */
gr_config_t *gr_config_create(const char *name, const char *dir);
/* Append one entry. 0 or GR_ENOMEM. */
int gr_config_add(gr_config_t *cfg, const char *section, const char *key, const char *value, int line);
/* Set [section] key = value: an existing entry takes the new value and line
 * and keeps its place; otherwise the entry is appended. line is what
 * messages name (for calls: the call's number). 0 or GR_ENOMEM. */
int gr_config_set(gr_config_t *cfg, const char *section, const char *key, const char *value, int line);
/* A deep copy (entries, lines, name, directory); NULL when out of memory. */
gr_config_t *gr_config_copy(const gr_config_t *cfg);

/* The [server] keys of the program hosting the library (libgrocket.h's
 * gr_host_key_t table, NULL-name ended; NULL: none), checked with the
 * library's own (gr_settings.h). Not owned; gr_config_copy keeps it. */
struct gr_host_key_t;
void gr_config_set_host_keys(gr_config_t *cfg, const struct gr_host_key_t *keys);
const struct gr_host_key_t *gr_config_host_keys(const gr_config_t *cfg);

/* The file name given at load ("<string>" style names for strings). */
const char *gr_config_name(const gr_config_t *cfg);
/* The absolute directory relative paths resolve against. */
const char *gr_config_dir(const gr_config_t *cfg);
/* Raw value of [section] key, NULL when absent. A key repeated in one
 * section keeps its last value. */
const char *gr_config_get(const gr_config_t *cfg, const char *section, const char *key);
/* Line of [section] key in the source, 0 when absent. */
int gr_config_line(const gr_config_t *cfg, const char *section, const char *key);
/* Entry i of all, in file order (i from 0; 0 past the end, else 1). */
int gr_config_entry_at(const gr_config_t *cfg, int i, const char **section, const char **key, const char **value,
                       int *line);
/* The line of an earlier entry with entry i's section and key, 0 if none. */
int gr_config_entry_repeats(const gr_config_t *cfg, int i);
/* Iterate the keys of one section in file order; i from 0; NULL past the end. */
const char *gr_config_key_at(const gr_config_t *cfg, const char *section, int i, const char **value, int *line);
/* The distinct section names in order of first appearance; i from 0; NULL
 * past the end. */
const char *gr_config_section_at(const gr_config_t *cfg, int i);
/* The line of the first entry of [section], 0 when it has none. (inih
 * does not tell the line of a header, and a header without keys leaves no
 * trace.) */
int gr_config_section_line(const gr_config_t *cfg, const char *section);

/* Typed look-ups (gr_config_value.cpp): def when absent or unparsable. */
int64_t gr_config_get_int(const gr_config_t *cfg, const char *section, const char *key, int64_t def);
int gr_config_get_bool(const gr_config_t *cfg, const char *section, const char *key, int def);

/* "NAME: message" style error text into err[errlen] (err may be NULL). */
void gr_config_err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
