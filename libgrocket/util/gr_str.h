/* gr_str.h - ASCII case-insensitive comparison: what HTTP field names and
 * configuration words need, the same in every locale and on every system
 * (strcasecmp is POSIX, Windows spells it _stricmp). */
#ifndef GR_STR_H
#define GR_STR_H

#include <stddef.h>

static inline int gr_ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

/* Like strncasecmp, for ASCII letters only. */
static inline int gr_strncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int x = gr_ascii_lower((unsigned char)a[i]), y = gr_ascii_lower((unsigned char)b[i]);
        if (x != y || x == 0)
            return x - y;
    }
    return 0;
}

static inline int gr_strcasecmp(const char *a, const char *b) { return gr_strncasecmp(a, b, (size_t)-1); }

#endif
