/* test_stats_render.cpp - the counters as text (services->stats_render,
 * ABI 1.7; gr_stats_render.cpp): JSON and Prometheus's text format from a
 * given list, exactly; snprintf's contract on a buffer too small; and on
 * an in-process server, every counter stat_list lists present once in
 * each format, with its kind and help, under a name Prometheus accepts. */
#include <gtest/gtest.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <string>
#include <vector>

#include "gr_error.h"
#include "gr_stats.h"
#include "libgrocket.h"

namespace {

const gr_services_t *svc;

int stats_init(const gr_services_t *s)
{
    svc = s;
    return 0;
}

long whole_check(gr_conn_t *, const char *, size_t len) { return (long)len; }
int echo_proc(gr_conn_t *c, const char *pkg, size_t len)
{
    return svc->reply(c, pkg, len) == 0 ? GR_PROC_OK : GR_PROC_CLOSE;
}

struct Server {
    gr_server_t *s = nullptr;
    char err[2048] = "";
    gr_module_t m{};
    Server()
    {
        m.abi_version = GR_ABI_VERSION;
        m.size = sizeof m;
        m.name = "stats";
        m.init = stats_init;
        m.check = whole_check;
        m.proc = echo_proc;
        const char ini[] = "[server]\nlog.level = warn\n[listen]\n0 = tcp://127.0.0.1:0\n";
        EXPECT_EQ(GR_OK, gr_server_create_from_string(&s, ini, "stats.ini", &m, 0, nullptr, err, sizeof err)) << err;
        if (s) {
            EXPECT_EQ(GR_OK, gr_server_start(s, err, sizeof err)) << err;
        }
    }
    ~Server() { gr_server_destroy(s); }
};

std::string render(const std::vector<gr_stat_t> &list, int format)
{
    int n = gr_stats_render_list(list.data(), list.size(), format, nullptr, 0);
    EXPECT_GE(n, 0);
    std::string text((size_t)n + 1, '\0');
    EXPECT_EQ(n, gr_stats_render_list(list.data(), list.size(), format, &text[0], text.size()));
    text.resize((size_t)n);
    return text;
}

/* Through the services table, as a module calls it. */
std::string render_served(int format)
{
    int n = svc->stats_render(format, nullptr, 0);
    EXPECT_GT(n, 0);
    std::string text((size_t)n + 4096, '\0'); /* room for counters that move meanwhile */
    int got = svc->stats_render(format, &text[0], text.size());
    EXPECT_GT(got, 0);
    EXPECT_LT((size_t)got, text.size());
    text.resize((size_t)got);
    return text;
}

std::vector<gr_stat_t> served_list()
{
    std::vector<gr_stat_t> list(svc->stat_list(nullptr, 0));
    EXPECT_EQ(list.size(), svc->stat_list(list.data(), list.size()));
    return list;
}

/* The text rendered between two lists of the counters: a counter with the
 * same value in both (an idle server's stand still, uptime aside) must
 * show that value. */
struct Served {
    std::vector<gr_stat_t> before, after;
    std::string text;
    bool still(size_t i) const
    {
        return i < after.size() && before[i].value == after[i].value && strcmp(before[i].name, "uptime_ms") != 0;
    }
};

Served served(int format)
{
    Served s;
    s.before = served_list();
    s.text = render_served(format);
    s.after = served_list();
    EXPECT_EQ(s.before.size(), s.after.size());
    return s;
}

std::vector<std::string> lines_of(const std::string &text)
{
    std::vector<std::string> lines;
    size_t at = 0;
    for (size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
        lines.push_back(text.substr(at, nl - at));
    EXPECT_EQ(text.size(), at) << "the text does not end with a newline";
    return lines;
}

size_t count_of(const std::string &s, const std::string &what)
{
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size()))
        n++;
    return n;
}

/* The text format's grammar: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label
 * names the same without ':'. Ours use no ':' (reserved for recording
 * rules) and no capitals. */
bool is_name(const std::string &s)
{
    if (s.empty() || isdigit((unsigned char)s[0]))
        return false;
    for (char c : s)
        if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '_'))
            return false;
    return true;
}

std::string family_of(const gr_stat_t &st)
{
    const gr_stat_meta_t *m = gr_stats_meta(st.name);
    if (!m)
        return "";
    return std::string("grocket_") + m->metric + (m->kind == GR_STAT_COUNTER ? "_total" : "");
}

std::string sample_of(const gr_stat_t &st)
{
    return family_of(st) + (st.group ? std::string("{group=\"") + st.group + "\"}" : "") + " ";
}

/* A fixed list: server-wide counters, two groups, and a counter with no
 * line in the meta table (shown as a counter with a stand-in help). */
const std::vector<gr_stat_t> kList = {
    {nullptr, "uptime_ms", 12345}, {nullptr, "lingering", 2},   {"tcp_in", "packages", 7}, {"tcp_in", "bytes_in", 300},
    {"worker", "packages", 5},     {"worker", "bytes_in", 0},   {"worker", "no_line_yet", 9},
};

TEST(StatsRender, JsonOfAGivenList)
{
    EXPECT_EQ("{\n"
              "  \"uptime_ms\": 12345,\n"
              "  \"lingering\": 2,\n"
              "  \"tcp_in\": {\"packages\": 7, \"bytes_in\": 300},\n"
              "  \"worker\": {\"packages\": 5, \"bytes_in\": 0, \"no_line_yet\": 9}\n"
              "}\n",
              render(kList, GR_STATS_JSON));
    EXPECT_EQ("{\n}\n", render({}, GR_STATS_JSON));
}

TEST(StatsRender, PrometheusOfAGivenList)
{
    EXPECT_EQ("# HELP grocket_uptime_seconds Time since the server started.\n"
              "# TYPE grocket_uptime_seconds gauge\n"
              "grocket_uptime_seconds 12.345\n"
              "# HELP grocket_lingering Connections lingering now: answered, write side shut, input discarded.\n"
              "# TYPE grocket_lingering gauge\n"
              "grocket_lingering 2\n"
              "# HELP grocket_packages_total Packages (requests) cut from the streams.\n"
              "# TYPE grocket_packages_total counter\n"
              "grocket_packages_total{group=\"tcp_in\"} 7\n"
              "grocket_packages_total{group=\"worker\"} 5\n"
              "# HELP grocket_received_bytes_total Bytes received.\n"
              "# TYPE grocket_received_bytes_total counter\n"
              "grocket_received_bytes_total{group=\"tcp_in\"} 300\n"
              "grocket_received_bytes_total{group=\"worker\"} 0\n"
              "# HELP grocket_no_line_yet_total The counter no_line_yet (no help written yet).\n"
              "# TYPE grocket_no_line_yet_total counter\n"
              "grocket_no_line_yet_total{group=\"worker\"} 9\n",
              render(kList, GR_STATS_PROMETHEUS));
    EXPECT_EQ("", render({}, GR_STATS_PROMETHEUS));
    /* Milliseconds below one second keep their leading zeros. */
    EXPECT_EQ(1u, count_of(render({{nullptr, "uptime_ms", 7}}, GR_STATS_PROMETHEUS), "grocket_uptime_seconds 0.007\n"));
}

/* As snprintf: the needed length whatever cap is; at most cap bytes
 * written, the last a NUL; nothing past cap touched. */
TEST(StatsRender, TooSmallABufferGetsAPrefixAndTheLengthNeeded)
{
    for (int format : {GR_STATS_JSON, GR_STATS_PROMETHEUS}) {
        std::string full = render(kList, format);
        ASSERT_GT(full.size(), 10u);
        for (size_t cap : {(size_t)1, (size_t)2, full.size() / 2, full.size(), full.size() + 1}) {
            std::string buf(cap + 8, '#');
            EXPECT_EQ((int)full.size(), gr_stats_render_list(kList.data(), kList.size(), format, &buf[0], cap))
                << "cap " << cap;
            size_t kept = cap - 1 < full.size() ? cap - 1 : full.size();
            EXPECT_EQ(full.substr(0, kept), buf.substr(0, kept)) << "cap " << cap;
            EXPECT_EQ('\0', buf[kept]) << "cap " << cap;
            EXPECT_EQ(std::string(cap + 8 - kept - 1, '#'), buf.substr(kept + 1)) << "cap " << cap;
        }
        char untouched = '#';
        EXPECT_EQ((int)full.size(), gr_stats_render_list(kList.data(), kList.size(), format, &untouched, 0));
        EXPECT_EQ('#', untouched);
    }
}

TEST(StatsRender, BadArgumentsAreRefused)
{
    char buf[16];
    EXPECT_EQ(GR_EINVAL, gr_stats_render_list(kList.data(), kList.size(), 2, buf, sizeof buf));
    EXPECT_EQ(GR_EINVAL, gr_stats_render_list(kList.data(), kList.size(), -1, buf, sizeof buf));
    EXPECT_EQ(GR_EINVAL, gr_stats_render_list(kList.data(), kList.size(), GR_STATS_JSON, nullptr, 5));
    Server srv;
    ASSERT_NE(nullptr, srv.s);
    EXPECT_EQ(GR_EINVAL, svc->stats_render(7, buf, sizeof buf));
    EXPECT_EQ(GR_EINVAL, svc->stats_render(GR_STATS_PROMETHEUS, nullptr, 1));
}

/* Each counter this grocket lists has its line: a kind, a Prometheus name
 * that fits the grammar and the conventions promtool checks, and help. */
TEST(StatsRender, EveryListedCounterHasAKindANameAndHelp)
{
    Server srv;
    ASSERT_NE(nullptr, srv.s);
    std::vector<gr_stat_t> list = served_list();
    ASSERT_GE(list.size(), 5u + 6 * 26);
    for (const gr_stat_t &st : list) {
        const gr_stat_meta_t *m = gr_stats_meta(st.name);
        ASSERT_NE(nullptr, m) << st.name << ": no line in gr_stats_list.h";
        EXPECT_TRUE(m->kind == GR_STAT_COUNTER || m->kind == GR_STAT_GAUGE || m->kind == GR_STAT_GAUGE_MS) << st.name;
        std::string metric = m->metric;
        EXPECT_TRUE(is_name(metric)) << metric;
        EXPECT_EQ(std::string::npos, metric.find("total")) << metric << ": _total is the renderer's to add";
        EXPECT_EQ(std::string::npos, metric.find("_ms")) << metric << ": base units (seconds)";
        EXPECT_TRUE(m->help && *m->help && !strpbrk(m->help, "\\\n")) << st.name;
        if (strstr(st.name, "bytes")) {
            EXPECT_EQ(GR_STAT_COUNTER, m->kind) << st.name;
            EXPECT_EQ("_bytes", metric.substr(metric.size() - 6)) << metric;
        }
        if (st.group) {
            EXPECT_TRUE(is_name(st.group)) << st.group;
        }
    }
}

/* Both formats show each listed counter exactly once, with its value. */
TEST(StatsRender, ServedJsonHoldsEveryCounterOnce)
{
    Server srv;
    ASSERT_NE(nullptr, srv.s);
    Served got = served(GR_STATS_JSON);
    const std::vector<gr_stat_t> &before = got.before;
    const std::string &json = got.text;
    ASSERT_EQ("{\n", json.substr(0, 2));
    ASSERT_EQ("\n}\n", json.substr(json.size() - 3));
    EXPECT_EQ(count_of(json, "{"), count_of(json, "}"));
    for (size_t i = 0; i < before.size(); i++) {
        const gr_stat_t &st = before[i];
        /* The counter's object: the group's, or the top level before the first group. */
        std::string opening = st.group ? std::string("\n  \"") + st.group + "\": {" : "";
        size_t from = json.find(opening);
        ASSERT_NE(std::string::npos, from) << st.group;
        from += opening.size();
        size_t to = st.group ? json.find('}', from) : json.find(": {");
        std::string scope = json.substr(from, to - from);
        std::string key = std::string("\"") + st.name + "\": ";
        ASSERT_EQ(1u, count_of(scope, key)) << (st.group ? st.group : "-") << "." << st.name << " in " << scope;
        if (got.still(i)) {
            unsigned long long shown = strtoull(scope.c_str() + scope.find(key) + key.size(), nullptr, 10);
            EXPECT_EQ((unsigned long long)st.value, shown) << st.name;
        }
    }
    /* And nothing else: as many values as counters. */
    EXPECT_EQ(before.size(), count_of(json, "\": ") - count_of(json, "\": {"));
}

TEST(StatsRender, ServedPrometheusHoldsEveryCounterOnceUnderItsFamily)
{
    Server srv;
    ASSERT_NE(nullptr, srv.s);
    Served got = served(GR_STATS_PROMETHEUS);
    const std::vector<gr_stat_t> &before = got.before;
    const std::string &text = got.text;
    /* Line by line: HELP then TYPE open a family; its samples follow. */
    std::map<std::string, std::string> type_of; /* family -> counter|gauge */
    std::map<std::string, int> help_count;
    std::map<std::string, std::string> value_of; /* "name{labels}" -> value */
    std::string family;
    for (const std::string &line : lines_of(text)) {
        if (line.compare(0, 7, "# HELP ") == 0) {
            family = line.substr(7, line.find(' ', 7) - 7);
            EXPECT_TRUE(is_name(family)) << line;
            EXPECT_EQ(0u, type_of.count(family)) << "HELP after TYPE, or a family twice: " << line;
            help_count[family]++;
            EXPECT_GT(line.size(), 8 + family.size()) << "empty help: " << line;
            continue;
        }
        if (line.compare(0, 7, "# TYPE ") == 0) {
            std::string name = line.substr(7, line.find(' ', 7) - 7), type = line.substr(8 + name.size());
            EXPECT_EQ(family, name) << "TYPE without its HELP: " << line;
            EXPECT_TRUE(type == "counter" || type == "gauge") << line;
            EXPECT_EQ(type == "counter", name.size() > 6 && name.substr(name.size() - 6) == "_total") << line;
            EXPECT_TRUE(type_of.emplace(name, type).second) << "a second TYPE: " << line;
            continue;
        }
        size_t sp = line.find(' ');
        ASSERT_NE(std::string::npos, sp) << line;
        std::string series = line.substr(0, sp), name = series.substr(0, series.find('{'));
        EXPECT_EQ(family, name) << "a sample outside its family: " << line;
        EXPECT_TRUE(value_of.emplace(series, line.substr(sp + 1)).second) << "a series twice: " << line;
    }
    EXPECT_EQ(before.size(), value_of.size());
    for (size_t i = 0; i < before.size(); i++) {
        std::string s = sample_of(before[i]);
        s.pop_back(); /* the space */
        ASSERT_EQ(1u, value_of.count(s)) << s;
        EXPECT_EQ(1, help_count[family_of(before[i])]) << s;
        if (strcmp(before[i].name, "uptime_ms") == 0) {
            const std::string &v = value_of[s];
            EXPECT_TRUE(v.size() >= 5 && v[v.size() - 4] == '.') << "seconds with milliseconds: " << v;
        } else if (got.still(i)) {
            EXPECT_EQ(std::to_string(before[i].value), value_of[s]) << s;
        }
    }
}

} // namespace
