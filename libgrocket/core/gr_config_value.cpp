/* gr_config_value.cpp - value grammars (gr_config_value.h) and the typed
 * look-ups of gr_config.h built on them. */
#include "gr_config_value.h"

#include <string.h>

#include "gr_config.h"
#include "gr_error.h"

int gr_config_ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb || ca == 0)
            return ca - cb;
    }
    return 0;
}

static int casecmp(const char *a, const char *b)
{
    return gr_config_ncasecmp(a, b, (size_t)-1);
}

int gr_parse_int(const char *s, int64_t *out)
{
    if (s == NULL)
        return GR_EINVAL;
    int neg = 0;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (*s == '\0')
        return GR_EINVAL;
    /* Accumulate the magnitude unsigned so INT64_MIN is reachable. */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return GR_EINVAL;
        unsigned d = (unsigned)(*s - '0');
        if (v > (limit - d) / 10)
            return GR_EINVAL;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int gr_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    if (s == NULL)
        return GR_EINVAL;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (casecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (casecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return GR_EINVAL;
}

int gr_parse_size(const char *s, int64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9') /* no sign */
        return GR_EINVAL;
    char digits[32];
    size_t n = strlen(s);
    int shift = 0;
    switch (n > 0 ? s[n - 1] : 0) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    }
    if (shift)
        n--;
    if (n >= sizeof digits)
        return GR_EINVAL;
    memcpy(digits, s, n);
    digits[n] = '\0';
    int64_t v;
    if (gr_parse_int(digits, &v) != 0 || v > (INT64_MAX >> shift))
        return GR_EINVAL;
    *out = v << shift;
    return 0;
}

int gr_parse_threads(const char *s, int cpus, int64_t *out)
{
    if (s != NULL && casecmp(s, "auto") == 0) {
        *out = cpus;
        return 0;
    }
    return gr_parse_int(s, out);
}

int64_t gr_config_get_int(const gr_config_t *cfg, const char *section, const char *key, int64_t def)
{
    const char *v = gr_config_get(cfg, section, key);
    int64_t n;
    if (v == NULL || gr_parse_int(v, &n) != 0)
        return def;
    return n;
}

int gr_config_get_bool(const gr_config_t *cfg, const char *section, const char *key, int def)
{
    const char *v = gr_config_get(cfg, section, key);
    int b;
    if (v == NULL || gr_parse_bool(v, &b) != 0)
        return def;
    return b;
}
