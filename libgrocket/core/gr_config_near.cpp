/* gr_config_near.cpp - near misses by Levenshtein distance, on the stack:
 * configuration names are short, and a longer one is compared by case
 * only. */
#include "gr_config_near.h"

#include <string.h>

#include "gr_config_value.h"

#define GR_NEAR_MAX_LEN 64 /* longer names: compared by case only */
#define GR_NEAR_EDITS 2

static int edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    int row[GR_NEAR_MAX_LEN + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0]; /* row[i-1][j-1] */
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

int gr_config_near_miss(const char *written, const char *meant)
{
    size_t nw = strlen(written), nm = strlen(meant);
    if (strcmp(written, meant) == 0)
        return 0;
    if (nw == nm && gr_config_ncasecmp(written, meant, nw) == 0)
        return 1;
    if (nw > GR_NEAR_MAX_LEN || nm > GR_NEAR_MAX_LEN)
        return 0;
    size_t diff = nw > nm ? nw - nm : nm - nw;
    return diff <= GR_NEAR_EDITS && edit_distance(written, nw, meant, nm) <= GR_NEAR_EDITS;
}

const char *gr_config_nearest(const char *written, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (gr_config_near_miss(written, names[i]))
            return names[i];
    return NULL;
}
