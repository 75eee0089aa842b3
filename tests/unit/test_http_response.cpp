/* test_http_response.cpp - unit tests of the HTTP response side
 * (libgrocket/http/gr_http_response.cpp) without sockets or threads: a request
 * parsed by the glue is answered by gr_http_process with a test proc_http,
 * and the reply bytes are read back from the connection's buffer. Covers
 * what the services refuse (header lines that would break the head or its
 * framing, interim statuses) and bodiless statuses - the fixes that
 * fuzz/fuzz_http led to. */
#include <gtest/gtest.h>

#include <stdlib.h>
#include <string.h>

#include <functional>
#include <string>

#include "gr_error.h"
#include "gr_http.h"
#include "gr_server.h"

static std::function<int(gr_conn_t *, const gr_http_request_t *)> test_handler;

static int test_proc_http(gr_conn_t *c, const gr_http_request_t *req) { return test_handler(c, req); }

/* A processing thread's world: one server, its only tcp_in context (the
 * worker is disabled, so it processes), one connection. */
class HttpResponse : public ::testing::Test {
protected:
    gr_server_t *server = NULL;
    gr_thread_ctx_t *ctx = NULL;
    gr_conn_t *conn = NULL;
    gr_proc_state_t proc = {};
    const gr_services_t *svc = gr_services_get();

    void SetUp() override
    {
        server = (gr_server_t *)calloc(1, sizeof *server);
        ctx = (gr_thread_ctx_t *)calloc(1, sizeof *ctx);
        ASSERT_TRUE(server && ctx);
        server->settings.worker_disabled = 1;
        server->groups[GR_GROUP_IN] = ctx;
        server->counts[GR_GROUP_IN] = 1;
        server->module.m.proc_http = test_proc_http;
        ctx->server = server;
        ctx->group = GR_GROUP_IN;
        ctx->proc = &proc;
        proc.http_resp = gr_http_resp_new();
        ASSERT_TRUE(proc.http_resp);
        conn = gr_conn_new(server, GR_INVALID_SOCKET, NULL);
        ASSERT_TRUE(conn);
        conn->is_http = 1;
        conn->proc_ctx = ctx;
    }

    void TearDown() override
    {
        gr_buf_free(&conn->out);
        conn->~gr_conn_t();
        free(conn);
        gr_http_resp_free(proc.http_resp);
        free(ctx);
        free(server);
        test_handler = nullptr;
    }

    /* gr_http_process as gr_process_one runs it: the services accept conn
     * only inside a callback for it. */
    void process(const std::string &request, gr_http_parser_t *hp)
    {
        gr_cb_t prev = gr_cb_enter(conn, GR_CB_PROC);
        gr_http_process(ctx, conn, request.data(), &hp->msg);
        gr_cb_leave(prev);
    }

    /* Answer one request with handler; returns the reply bytes. */
    std::string answer(const std::string &request, std::function<int(gr_conn_t *, const gr_http_request_t *)> handler)
    {
        test_handler = handler;
        gr_http_limits_t lim = {8192, 64, 1 << 20};
        gr_http_parser_t hp;
        gr_http_parser_init(&hp);
        long rc = gr_http_parser_feed(&hp, request.data(), request.size(), &lim);
        EXPECT_EQ(rc, (long)request.size());
        if (rc > 0)
            process(request, &hp);
        gr_http_parser_free(&hp);
        std::string out(conn->out.data ? conn->out.data + conn->out.off : "", conn->out.len - conn->out.off);
        conn->out.off = conn->out.len = 0;
        return out;
    }

    static std::string get() { return "GET / HTTP/1.1\r\nHost: h\r\n\r\n"; }
};

static bool has_line(const std::string &reply, const std::string &line)
{
    return reply.find("\r\n" + line + "\r\n") != std::string::npos;
}

TEST_F(HttpResponse, AddHeaderRefusesWhatWouldBreakTheHead)
{
    std::string reply = answer(get(), [this](gr_conn_t *c, const gr_http_request_t *) {
        EXPECT_EQ(svc->http_add_header(c, "X-Ok", "a value\twith tab"), GR_OK);
        EXPECT_EQ(svc->http_add_header(c, "X!#$%&'*+-.^_`|~9", "v"), GR_OK); /* every tchar */
        EXPECT_EQ(svc->http_add_header(c, "", "v"), GR_EINVAL);
        EXPECT_EQ(svc->http_add_header(c, "Bad Name", "v"), GR_EINVAL);
        EXPECT_EQ(svc->http_add_header(c, "Bad:Name", "v"), GR_EINVAL);
        EXPECT_EQ(svc->http_add_header(c, "Bad(Name)", "v"), GR_EINVAL);
        EXPECT_EQ(svc->http_add_header(c, "Caf\xc3\xa9", "v"), GR_EINVAL);
        EXPECT_EQ(svc->http_add_header(c, "X-Inject", "a\r\nSet-Cookie: x"), GR_EINVAL);
        EXPECT_EQ(svc->http_add_header(c, "X-Ctl", "a\x01"), GR_EINVAL);
        EXPECT_EQ(svc->http_add_header(c, "X-Del", "a\x7f"), GR_EINVAL);
        /* The body's framing is grocket's. */
        EXPECT_EQ(svc->http_add_header(c, "Content-Length", "5"), GR_EINVAL);
        EXPECT_EQ(svc->http_add_header(c, "transfer-encoding", "chunked"), GR_EINVAL);
        return svc->http_reply_text(c, 200, "ok") == GR_OK ? GR_PROC_OK : GR_PROC_CLOSE;
    });
    EXPECT_TRUE(has_line(reply, "X-Ok: a value\twith tab")) << reply;
    EXPECT_TRUE(has_line(reply, "X!#$%&'*+-.^_`|~9: v")) << reply;
    EXPECT_EQ(reply.find("Bad"), std::string::npos) << reply;
    EXPECT_EQ(reply.find("Set-Cookie"), std::string::npos) << reply;
    EXPECT_EQ(reply.find("chunked"), std::string::npos) << reply;
    EXPECT_TRUE(has_line(reply, "Content-Length: 2")) << reply;
    EXPECT_EQ(reply.find("Content-Length", reply.find("Content-Length") + 1), std::string::npos) << reply;
}

TEST_F(HttpResponse, InterimStatusesRefused)
{
    std::string reply = answer(get(), [this](gr_conn_t *c, const gr_http_request_t *) {
        EXPECT_EQ(svc->http_set_status(c, 100), GR_EINVAL);
        EXPECT_EQ(svc->http_set_status(c, 101), GR_EINVAL);
        EXPECT_EQ(svc->http_set_status(c, 199), GR_EINVAL);
        EXPECT_EQ(svc->http_set_status(c, 1000), GR_EINVAL);
        EXPECT_EQ(svc->http_reply_text(c, 103, "early"), GR_EINVAL);
        EXPECT_EQ(svc->http_set_status(c, 999), GR_OK);
        EXPECT_EQ(svc->http_set_status(c, 201), GR_OK);
        return GR_PROC_OK;
    });
    EXPECT_EQ(reply.compare(0, 13, "HTTP/1.1 201 "), 0) << reply;
    EXPECT_TRUE(has_line(reply, "Content-Length: 0")) << reply;
}

TEST_F(HttpResponse, NoBodyNoLengthFor204And304)
{
    for (int status : {204, 304}) {
        std::string reply = answer(get() + "", [this, status](gr_conn_t *c, const gr_http_request_t *) {
            EXPECT_EQ(svc->http_reply_text(c, status, "dropped"), GR_OK);
            return GR_PROC_OK;
        });
        EXPECT_EQ(reply.compare(0, 13, "HTTP/1.1 " + std::to_string(status) + " "), 0) << reply;
        EXPECT_EQ(reply.find("Content-Length"), std::string::npos) << reply;
        ASSERT_GE(reply.size(), 4u);
        EXPECT_EQ(reply.substr(reply.size() - 4), "\r\n\r\n") << reply; /* ends with the head */
        EXPECT_EQ(reply.find("dropped"), std::string::npos) << reply;
    }
    /* The next reply is framed as usual. */
    std::string reply = answer(get(), [this](gr_conn_t *c, const gr_http_request_t *) {
        return svc->http_reply_text(c, 200, "body") == GR_OK ? GR_PROC_OK : GR_PROC_CLOSE;
    });
    EXPECT_TRUE(has_line(reply, "Content-Length: 4")) << reply;
    EXPECT_EQ(reply.substr(reply.size() - 8), "\r\n\r\nbody") << reply;
}

/* frame() sends the last head again while nothing in it changes: every
 * part that can change must make a new one. */
TEST_F(HttpResponse, HeadReusedOnlyWhileNothingInItChanges)
{
    auto text = [this](int status, const char *body, const char *header = nullptr) {
        return [this, status, body, header](gr_conn_t *c, const gr_http_request_t *) {
            if (header) {
                EXPECT_EQ(svc->http_add_header(c, header, "1"), GR_OK);
            }
            return svc->http_reply_text(c, status, body) == GR_OK ? GR_PROC_OK : GR_PROC_CLOSE;
        };
    };
    std::string first = answer(get(), text(200, "abc"));
    EXPECT_TRUE(has_line(first, "Content-Length: 3")) << first;
    EXPECT_EQ(first.substr(first.size() - 7), "\r\n\r\nabc") << first;
    auto without_date = [](std::string s) { /* the second may turn between two replies */
        size_t d = s.find("\r\nDate: ");
        EXPECT_NE(d, std::string::npos) << s;
        return d == std::string::npos ? s : s.erase(d, s.find("\r\n", d + 2) - d);
    };
    EXPECT_EQ(without_date(answer(get(), text(200, "abc"))), without_date(first));

    std::string longer = answer(get(), text(200, "abcdef"));
    EXPECT_TRUE(has_line(longer, "Content-Length: 6")) << longer;
    EXPECT_EQ(longer.substr(longer.size() - 10), "\r\n\r\nabcdef") << longer;

    std::string one_oh = answer("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", text(200, "abcdef"));
    EXPECT_TRUE(has_line(one_oh, "Connection: keep-alive")) << one_oh;
    std::string closing = answer("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", text(200, "abcdef"));
    EXPECT_TRUE(has_line(closing, "Connection: close")) << closing;
    EXPECT_FALSE(has_line(closing, "Connection: keep-alive")) << closing;
    std::string plain = answer(get(), text(200, "abcdef"));
    EXPECT_EQ(plain.find("Connection:"), std::string::npos) << plain;

    std::string with_header = answer(get(), text(200, "abcdef", "X-A"));
    EXPECT_TRUE(has_line(with_header, "X-A: 1")) << with_header;
    std::string without = answer(get(), text(200, "abcdef"));
    EXPECT_EQ(without.find("X-A"), std::string::npos) << without;

    std::string missing = answer(get(), text(404, "abcdef"));
    EXPECT_EQ(missing.compare(0, 13, "HTTP/1.1 404 "), 0) << missing;
    std::string found = answer(get(), text(200, "abcdef"));
    EXPECT_EQ(found.compare(0, 13, "HTTP/1.1 200 "), 0) << found;

    std::string head = answer("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", text(200, "abcdef"));
    EXPECT_TRUE(has_line(head, "Content-Length: 6")) << head;
    EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << head;
    EXPECT_EQ(head.find("abcdef"), std::string::npos) << head;
}

/* The body is written after room for the last reusable head; a head of
 * another length moves it (either way), a dropped body leaves nothing of
 * it, and replies after earlier ones in the buffer stay intact. */
TEST_F(HttpResponse, BodyLandsRightWhateverTheHeadLength)
{
    auto text = [this](int status, const char *body) {
        return [this, status, body](gr_conn_t *c, const gr_http_request_t *) {
            return svc->http_reply_text(c, status, body) == GR_OK ? GR_PROC_OK : GR_PROC_CLOSE;
        };
    };
    std::string expected;
    const char *bodies[] = {"123456789", "1234567890", "12345678", "1234567890", "1234567890"};
    gr_http_limits_t lim = {8192, 64, 1 << 20};
    for (const char *b : bodies) {
        test_handler = text(200, b);
        gr_http_parser_t hp;
        gr_http_parser_init(&hp);
        std::string req = get();
        ASSERT_EQ(gr_http_parser_feed(&hp, req.data(), req.size(), &lim), (long)req.size());
        size_t before = conn->out.len - conn->out.off;
        process(req, &hp);
        gr_http_parser_free(&hp);
        std::string reply(conn->out.data + conn->out.off + before, conn->out.len - conn->out.off - before);
        EXPECT_TRUE(has_line(reply, "Content-Length: " + std::to_string(strlen(b)))) << reply;
        EXPECT_EQ(reply.substr(reply.size() - strlen(b) - 4), "\r\n\r\n" + std::string(b)) << reply;
        EXPECT_EQ(reply.compare(0, 17, "HTTP/1.1 200 OK\r\n"), 0) << reply;
        expected += reply;
    }
    /* All five replies, back to back, as each was when it was made. */
    EXPECT_EQ(std::string(conn->out.data + conn->out.off, conn->out.len - conn->out.off), expected);
    conn->out.off = conn->out.len = 0;
    std::string none = answer(get(), text(204, "dropped"));
    EXPECT_EQ(none.find("dropped"), std::string::npos) << none;
    EXPECT_EQ(none.find("Content-Length"), std::string::npos) << none;
    EXPECT_EQ(none.substr(none.size() - 4), "\r\n\r\n") << none;
    std::string after = answer(get(), text(200, "abc"));
    EXPECT_EQ(after.substr(after.size() - 7), "\r\n\r\nabc") << after;
}

/* http_reply_text replaces what the response has so far: the body written
 * with reply/reply_alloc and any Content-Type the module added; it sets the
 * status and keeps the other header lines. A reply after it appends, a
 * Content-Type after it replaces its text/plain. Earlier replies in the
 * buffer, and the room kept for a reused head, are not touched. */
TEST_F(HttpResponse, ReplyTextReplacesBodyAndContentType)
{
    /* A first reply stays in the buffer; its head is kept for reuse, so the
     * next response's body starts after room for a head. */
    test_handler = [this](gr_conn_t *c, const gr_http_request_t *) {
        return svc->http_reply_text(c, 200, "first") == GR_OK ? GR_PROC_OK : GR_PROC_CLOSE;
    };
    gr_http_limits_t lim = {8192, 64, 1 << 20};
    gr_http_parser_t hp;
    gr_http_parser_init(&hp);
    std::string req = get();
    ASSERT_EQ(gr_http_parser_feed(&hp, req.data(), req.size(), &lim), (long)req.size());
    process(req, &hp);
    gr_http_parser_free(&hp);
    std::string first(conn->out.data + conn->out.off, conn->out.len - conn->out.off);
    EXPECT_EQ(first.substr(first.size() - 9), "\r\n\r\nfirst") << first;

    test_handler = [this](gr_conn_t *c, const gr_http_request_t *) {
        EXPECT_EQ(svc->http_set_status(c, 201), GR_OK);
        EXPECT_EQ(svc->http_add_header(c, "X-Before", "1"), GR_OK);
        EXPECT_EQ(svc->http_add_header(c, "content-type", "application/json"), GR_OK);
        EXPECT_EQ(svc->http_add_header(c, "X-Between", "2"), GR_OK);
        EXPECT_EQ(svc->http_add_header(c, "Content-Type", "text/html"), GR_OK);
        EXPECT_EQ(svc->reply(c, "{\"junk\": 1}", 11), GR_OK);
        char *p = (char *)svc->reply_alloc(c, 4000); /* past the room the buffer had */
        EXPECT_NE(p, nullptr);
        if (p)
            memset(p, 'j', 4000);
        EXPECT_EQ(svc->http_reply_text(c, 404, nullptr), GR_EINVAL); /* refused: nothing changes */
        EXPECT_EQ(svc->http_reply_text(c, 404, "not found\n"), GR_OK);
        return GR_PROC_OK;
    };
    gr_http_parser_init(&hp);
    ASSERT_EQ(gr_http_parser_feed(&hp, req.data(), req.size(), &lim), (long)req.size());
    process(req, &hp);
    gr_http_parser_free(&hp);
    std::string all(conn->out.data + conn->out.off, conn->out.len - conn->out.off);
    EXPECT_EQ(all.compare(0, first.size(), first), 0) << all; /* the first reply, untouched */
    std::string reply = all.substr(first.size());
    EXPECT_EQ(reply.compare(0, 13, "HTTP/1.1 404 "), 0) << reply;
    EXPECT_TRUE(has_line(reply, "X-Before: 1")) << reply;
    EXPECT_TRUE(has_line(reply, "X-Between: 2")) << reply;
    EXPECT_TRUE(has_line(reply, "Content-Type: text/plain; charset=utf-8")) << reply;
    EXPECT_EQ(reply.find("json"), std::string::npos) << reply;
    EXPECT_EQ(reply.find("text/html"), std::string::npos) << reply;
    EXPECT_EQ(reply.find("Content-Type", reply.find("Content-Type") + 1), std::string::npos) << reply;
    EXPECT_TRUE(has_line(reply, "Content-Length: 10")) << reply;
    EXPECT_EQ(reply.substr(reply.size() - 14), "\r\n\r\nnot found\n") << reply;
    EXPECT_EQ(reply.find("junk"), std::string::npos) << reply;
    EXPECT_EQ(reply.find("jjjj"), std::string::npos) << reply;
    conn->out.off = conn->out.len = 0;

    /* Twice: the second wins; then reply appends to it. */
    reply = answer(get(), [this](gr_conn_t *c, const gr_http_request_t *) {
        EXPECT_EQ(svc->http_reply_text(c, 500, "one"), GR_OK);
        EXPECT_EQ(svc->http_reply_text(c, 200, "two"), GR_OK);
        EXPECT_EQ(svc->reply(c, "+three", 6), GR_OK);
        return GR_PROC_OK;
    });
    EXPECT_EQ(reply.compare(0, 13, "HTTP/1.1 200 "), 0) << reply;
    EXPECT_TRUE(has_line(reply, "Content-Length: 9")) << reply;
    EXPECT_EQ(reply.substr(reply.size() - 13), "\r\n\r\ntwo+three") << reply;
    EXPECT_EQ(reply.find("one"), std::string::npos) << reply;

    /* A Content-Type added after it replaces its text/plain. */
    reply = answer(get(), [this](gr_conn_t *c, const gr_http_request_t *) {
        EXPECT_EQ(svc->http_reply_text(c, 200, "<p>hi</p>"), GR_OK);
        EXPECT_EQ(svc->http_add_header(c, "Content-Type", "text/html"), GR_OK);
        return GR_PROC_OK;
    });
    EXPECT_TRUE(has_line(reply, "Content-Type: text/html")) << reply;
    EXPECT_EQ(reply.find("text/plain"), std::string::npos) << reply;
    EXPECT_EQ(reply.substr(reply.size() - 13), "\r\n\r\n<p>hi</p>") << reply;
}
