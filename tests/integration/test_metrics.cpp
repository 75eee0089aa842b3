/* test_metrics.cpp - the demo module's GET /metrics against the real
 * grocketd: the counters in Prometheus's text format (services->
 * reply_stats), clean under `promtool check metrics` (Debian's prometheus
 * package), with values that move as the server works; /debug/stats the
 * same counters as JSON; [demo] metrics = false turns /metrics off. */
#include "gr_http_test.h"

#include "grocket.h"

namespace {

HttpResponse fetch(int http_port, const std::string &path)
{
    RawHttp h(http_port);
    if (!h.ok() || !h.send(get_req(path)))
        return HttpResponse();
    return h.read_response();
}

/* The value of one series ("grocket_x_total{group=\"tcp_in\"}"); -1 when absent. */
double sample(const std::string &text, const std::string &series)
{
    std::string at = "\n" + series + " ";
    size_t k = text.find(at);
    return k == std::string::npos ? -1 : strtod(text.c_str() + k + at.size(), nullptr);
}

/* promtool's verdict on text (it reads the metrics on stdin): its exit
 * status, its complaints in *out. */
int promtool_check(TempDir &tmp, const std::string &text, std::string *out)
{
    std::string path = tmp.write("metrics.txt", text);
    gr_test_run_t r = sh("promtool check metrics < " + path + " 2>&1", 30);
    *out = r.output;
    return r.status;
}

const char kAccepted[] = "grocket_accepted_total{group=\"tcp_accept\"}";
const char kReceived[] = "grocket_received_bytes_total{group=\"tcp_in\"}";

TEST(Metrics, ServedCleanForPromtoolAndMoving)
{
    ASSERT_TRUE(have_tool("promtool")) << "promtool comes with Debian's prometheus package";
    TempDir tmp;
    /* promtool does complain: a counter without _total, a unit abbreviated. */
    std::string out;
    EXPECT_NE(0, promtool_check(tmp, "# HELP x_ms t\n# TYPE x_ms counter\nx_ms 1\n", &out)) << out;

    GrocketdProcess srv(gr_test_module("demo"));
    ASSERT_TRUE(srv.start()) << srv.log();
    HttpResponse r = fetch(srv.http_port(), "/metrics");
    ASSERT_TRUE(r.complete) << srv.log();
    EXPECT_EQ(200, r.status) << r.head;
    EXPECT_EQ(GR_STATS_PROMETHEUS_CONTENT_TYPE, header_of(r.head, "Content-Type")) << r.head;
    EXPECT_EQ(0, promtool_check(tmp, r.body, &out)) << "promtool: " << out << "\n" << r.body;
    EXPECT_EQ("", out) << r.body;
    EXPECT_EQ(1u, count_of(r.body, "# TYPE grocket_uptime_seconds gauge\n")) << r.body;
    EXPECT_EQ(1u, count_of(r.body, "# TYPE grocket_accepted_total counter\n")) << r.body;
    EXPECT_EQ(1u, count_of(r.body, "# TYPE grocket_connections_open gauge\n")) << r.body;
    double accepted = sample(r.body, kAccepted), received = sample(r.body, kReceived);
    EXPECT_GE(accepted, 1) << r.body; /* this very connection */
    EXPECT_GT(received, 0) << r.body;
    EXPECT_EQ(1, sample(r.body, "grocket_connections_open{group=\"tcp_in\"}")) << r.body;

    /* Three echo connections later, each seen. */
    for (int i = 0; i < 3; i++) {
        int fd = gr_test_connect("127.0.0.1", srv.port());
        ASSERT_GE(fd, 0);
        EXPECT_TRUE(gr_test_send(fd, "ping") && gr_test_recv(fd, 4) == "ping");
        gr_test_close(fd);
    }
    sleep_ms(20);
    HttpResponse again = fetch(srv.http_port(), "/metrics");
    ASSERT_TRUE(again.complete) << srv.log();
    EXPECT_GE(sample(again.body, kAccepted), accepted + 4) << again.body; /* three, then this fetch */
    EXPECT_GE(sample(again.body, kReceived), received + 12) << again.body;
    EXPECT_GT(sample(again.body, "grocket_uptime_seconds"), 0) << again.body;
    EXPECT_EQ(0, promtool_check(tmp, again.body, &out)) << "promtool: " << out;

    /* /debug/stats: the same counters, as JSON. */
    HttpResponse json = fetch(srv.http_port(), "/debug/stats");
    ASSERT_TRUE(json.complete);
    EXPECT_EQ(200, json.status);
    EXPECT_EQ("application/json", header_of(json.head, "Content-Type"));
    size_t g = json.body.find("\"tcp_accept\": {\"threads\": ");
    size_t k = json.body.find("\"accepted\": ", g);
    ASSERT_NE(std::string::npos, g) << json.body;
    ASSERT_NE(std::string::npos, k) << json.body;
    EXPECT_GE(atoll(json.body.c_str() + k + 12), (long long)accepted + 5) << json.body;
    stop_and_check(srv);
}

TEST(Metrics, TurnedOffByTheDemosKey)
{
    GrocketdProcess srv(gr_test_module("demo"), "", "[demo]\nmetrics = false\n");
    ASSERT_TRUE(srv.start()) << srv.log();
    EXPECT_TRUE(is_hello(fetch(srv.http_port(), "/metrics")));
    HttpResponse json = fetch(srv.http_port(), "/debug/stats");
    EXPECT_EQ(200, json.status);
    EXPECT_EQ("application/json", header_of(json.head, "Content-Type"));
    stop_and_check(srv);
}

} // namespace
