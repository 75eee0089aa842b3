/* gr_stats_render.cpp - every counter stat_list lists, as text: JSON (what
 * the demo serves on /debug/stats) or Prometheus's text exposition format
 * 0.0.4 (its /metrics). Both walk the same list, so a counter added to the
 * lists in gr_stats.cpp shows in both without code here; its kind and help
 * come from gr_stats_meta.
 *
 * Prometheus names: "grocket_" + the counter's metric name, "_total" for a
 * counter; one family per name, a group's counters labelled
 * group="tcp_in". Milliseconds are shown as seconds (base units). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_error.h"
#include "gr_stats.h"

/* Text written as snprintf writes it: what does not fit in cap is counted,
 * not written, so len ends as the length the whole text needs. */
typedef struct gr_text_t {
    char *buf;
    size_t cap;
    size_t len;
} gr_text_t;

static void text_printf(gr_text_t *t, const char *fmt, ...) GR_PRINTF_FORMAT(2, 3);
static void text_printf(gr_text_t *t, const char *fmt, ...)
{
    size_t room = t->len < t->cap ? t->cap - t->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? t->buf + t->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

/* {"uptime_ms": N, ..., "tcp_accept": {"threads": N, ...}, ...}: the
 * server-wide counters at the top, each group's in an object of its own,
 * one line each. */
static void render_json(gr_text_t *t, const gr_stat_t *list, size_t n)
{
    text_printf(t, "{");
    for (size_t i = 0; i < n; i++) {
        const char *g = list[i].group;
        bool opens = g && (i == 0 || !list[i - 1].group || strcmp(list[i - 1].group, g) != 0);
        bool closes = g && (i + 1 == n || !list[i + 1].group || strcmp(list[i + 1].group, g) != 0);
        if (!g || opens)
            text_printf(t, "%s\n  ", i ? "," : "");
        else
            text_printf(t, ", ");
        if (opens)
            text_printf(t, "\"%s\": {", g);
        text_printf(t, "\"%s\": %llu%s", list[i].name, (unsigned long long)list[i].value, closes ? "}" : "");
    }
    text_printf(t, "\n}\n");
}

static bool same_family(const gr_stat_t *a, const gr_stat_t *b)
{
    return strcmp(a->name, b->name) == 0;
}

/* One family per counter name: HELP and TYPE, then its one sample, or one
 * per group. The list holds each group's counters together, so the
 * samples of one name are gathered from across it. */
static void render_prometheus(gr_text_t *t, const gr_stat_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_family(&list[j], &list[i]);
        if (seen)
            continue;
        const gr_stat_meta_t *m = gr_stats_meta(list[i].name);
        int kind = m ? m->kind : GR_STAT_COUNTER;
        const char *metric = m ? m->metric : list[i].name;
        const char *suffix = kind == GR_STAT_COUNTER ? "_total" : "";
        if (m)
            text_printf(t, "# HELP grocket_%s%s %s\n", metric, suffix, m->help);
        else
            text_printf(t, "# HELP grocket_%s%s The counter %s (no help written yet).\n", metric, suffix, metric);
        text_printf(t, "# TYPE grocket_%s%s %s\n", metric, suffix, kind == GR_STAT_COUNTER ? "counter" : "gauge");
        for (size_t j = i; j < n; j++) {
            if (!same_family(&list[j], &list[i]))
                continue;
            unsigned long long v = (unsigned long long)list[j].value;
            text_printf(t, "grocket_%s%s", metric, suffix);
            if (list[j].group)
                text_printf(t, "{group=\"%s\"}", list[j].group);
            if (kind == GR_STAT_GAUGE_MS)
                text_printf(t, " %llu.%03llu\n", v / 1000, v % 1000);
            else
                text_printf(t, " %llu\n", v);
        }
    }
}

int gr_stats_render_list(const gr_stat_t *list, size_t n, int format, char *buf, size_t cap)
{
    if ((!buf && cap) || (format != GR_STATS_JSON && format != GR_STATS_PROMETHEUS))
        return GR_EINVAL;
    gr_text_t t = {buf, cap, 0};
    if (format == GR_STATS_JSON)
        render_json(&t, list, n);
    else
        render_prometheus(&t, list, n);
    if (cap)
        buf[t.len < cap ? t.len : cap - 1] = '\0';
    return t.len > INT_MAX ? GR_ENOMEM : (int)t.len; /* never near: a few KiB per counter group */
}

int gr_stats_render(const struct gr_server_t *s, int format, char *buf, size_t cap)
{
    size_t n = gr_stats_list(s, NULL, 0);
    gr_stat_t *list = (gr_stat_t *)malloc(n * sizeof *list);
    if (!list)
        return GR_ENOMEM;
    gr_stats_list(s, list, n);
    int rc = gr_stats_render_list(list, n, format, buf, cap);
    free(list);
    return rc;
}
