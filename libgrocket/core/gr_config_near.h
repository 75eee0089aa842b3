/* gr_config_near.h - is a name in a configuration a misspelling of another
 * (`[sever]` for `[server]`, `gretting` for `greeting`)? */
#ifndef GR_CONFIG_NEAR_H
#define GR_CONFIG_NEAR_H

/* 1 when written differs from meant, but only in case or by at most two
 * edits (a character inserted, deleted or replaced); else 0. */
int gr_config_near_miss(const char *written, const char *meant);
/* The first of names[0..n) that written is a near miss of, or NULL. */
const char *gr_config_nearest(const char *written, const char *const *names, int n);

#endif
