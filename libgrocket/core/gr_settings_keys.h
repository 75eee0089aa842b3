/* gr_settings_keys.h - the table of [server] keys, for gr_settings.cpp:
 * find a key, store a value into its field, and the checks between keys.
 * (The per-key functions a reload uses are in gr_settings.h.) */
#ifndef GR_SETTINGS_KEYS_H
#define GR_SETTINGS_KEYS_H

#include <stddef.h>

#include "gr_settings.h"

/* Index of key in the table, -1 when unknown. */
int gr_settings_key_find(const char *key);
/* Store value into key i's field of s. dir (NULL: leave paths as written)
 * is where relative paths resolve. On GR_EINVAL, what was expected goes to
 * expect ("an integer 1..64", ...). */
int gr_settings_key_apply(int i, const char *value, const char *dir, gr_settings_t *s, char *expect, size_t len);
/* 1 when key i holds a path (resolved against the config's directory). */
int gr_settings_key_is_path(int i);
/* Key i's default as written in conf/grocketd.ini. */
const char *gr_settings_key_default(int i);
/* Pairs of keys where one may not be less than the other: GR_ECONFIG with
 * "NAME:LINE: KEY: ..." blaming the key that was written (line[i]: the
 * line that set key i, 0: its default). */
int gr_settings_keys_check_order(const gr_settings_t *s, const int *line, const char *name, char *err,
                                 size_t errlen);

#endif
