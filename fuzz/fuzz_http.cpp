/* fuzz_http.cpp - libFuzzer target: bytes -> the HTTP parser glue
 * (gr_http_parse) -> the module's view of a request (gr_http_request) ->
 * the response framing (gr_http_response), driven the way tcp_in and a
 * processing thread drive them (gr_tcp_in.cpp cut_packages, gr_reply.cpp
 * gr_process_one / gr_process_job), without sockets or threads.
 *
 * Input: a 8-byte header, then the bytes a client sends.
 *   [0] max_header_size = 256 + 32 * b      [1] max_headers = 1 + b % 64
 *   [2] max_body_size = b * b (0 .. 65025)  [3] what the module does (FZ_*)
 *   [4] the largest read: 1 + b * b bytes   [5..7] seed of the read sizes
 * The stream is fed in reads of pseudo-random sizes (as recv would cut it)
 * and, separately, in one piece; both must cut the same requests.
 *
 * Checked on every request: the verdict is a request length, "more", or
 * 400/413/414/431/501/505; a request is never accepted past a limit; every offset lies
 * within the request and the framing agrees with an independent strict
 * reading (Content-Length, chunked); a request description survives the
 * packing for a worker; every view the module gets points into the request,
 * the decoded scratch or the de-chunked body; the response is one
 * well-formed HTTP/1.1 message whose Content-Length matches its body, whose
 * status is the one the module set, with exactly the module's header lines
 * (no line injection), and earlier replies waiting in the buffer are never
 * touched. A broken invariant aborts with a message (a libFuzzer crash). */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <new>
#include <string>
#include <vector>

#include "gr_error.h"
#include "gr_http.h"
#include "gr_log.h"
#include "gr_server.h"
#include "fuzz_rng.h"

#define FAIL(...) fail(__LINE__, __VA_ARGS__)
#define CHECK(cond)                      \
    do {                                 \
        if (!(cond))                     \
            FAIL("check failed: %s", #cond); \
    } while (0)

[[noreturn]] static void fail(int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_http.cpp:%d: ", line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* What the fake module does, bits of header byte 3. */
enum {
    FZ_BODY_MASK = 3,     /* 0 reply_text(path), 1 reply(body), 2 reply_alloc, 3 no body */
    FZ_STATUS = 1 << 2,   /* http_set_status(query "s") */
    FZ_HEADERS = 1 << 3,  /* http_add_header(name, value) for every query pair */
    FZ_CLOSE = 1 << 4,    /* proc_http returns GR_PROC_CLOSE */
    FZ_WORKER = 1 << 5,   /* the request travels packed, as to a worker */
    FZ_PARTIAL = 1 << 6,  /* earlier replies are half sent when the next is framed */
};

/* ---- the fake module ---------------------------------------------------- */

/* What proc_http did, for the response checks. */
struct mod_record_t {
    int status;                    /* expected status of the reply */
    std::string body;              /* the body it wrote */
    std::vector<std::string> lines; /* header lines accepted, "Name: value" */
    bool content_type;             /* some Content-Type was added */
    int rc;
};

static const gr_services_t *svc;
static unsigned mod_flags;
static mod_record_t mod_rec;
static const char *req_lo, *req_hi;   /* the request bytes the views may point into */
static const gr_http_resp_t *cur_resp; /* its decoded scratch */
static const gr_http_msg_t *cur_msg;

static bool in_range(const char *p, size_t n, const char *lo, const char *hi)
{
    return n == 0 || (p && p >= lo && p + n <= hi && p + n >= p);
}

/* A view the module gets: into the request, the decoded scratch or the
 * de-chunked body. */
static void check_view(gr_str_t s, const char *what)
{
    if (s.len == 0)
        return;
    const gr_buf_t *d = &cur_resp->decoded;
    bool ok = in_range(s.ptr, s.len, req_lo, req_hi) || in_range(s.ptr, s.len, d->data, d->data + d->len) ||
              (cur_msg->chunked && in_range(s.ptr, s.len, cur_msg->body_buf, cur_msg->body_buf + cur_msg->body_len));
    if (!ok)
        FAIL("%s view (%p, %zu) outside the request, the scratch and the body", what, (const void *)s.ptr, s.len);
}

/* RFC 7230 3.2.6 tchar, written out (not the library's formulation). */
static bool tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool valid_name(const std::string &s)
{
    for (unsigned char ch : s)
        if (!tchar(ch))
            return false;
    return !s.empty();
}

/* field-value: VCHAR, obs-text, SP, HTAB. */
static bool valid_value(const std::string &s)
{
    for (unsigned char ch : s)
        if (!(ch == ' ' || ch == '\t' || (ch > 32 && ch != 127)))
            return false;
    return true;
}

static int fake_proc_http(gr_conn_t *c, const gr_http_request_t *req)
{
    mod_record_t *m = &mod_rec;
    m->status = 200;
    m->body.clear();
    m->lines.clear();
    m->content_type = false;
    CHECK(req->size == sizeof *req);
    CHECK(req->method.ptr && req->method.len == strlen(req->method.ptr));
    CHECK(req->path.len >= 1);
    check_view(req->target, "target");
    check_view(req->query_string, "query_string");
    check_view(req->body, "body");
    if (!(req->path.len == 1 && req->path.ptr[0] == '/')) /* "/" may be a literal */
        check_view(req->path, "path");
    CHECK(req->query_string.len <= req->target.len);
    /* An origin-form target splits at its first '?'; the path is the part
     * before it, as sent when it holds no escape, no longer when decoded. */
    if (req->target.len && req->target.ptr[0] == '/') {
        std::string t(req->target.ptr, req->target.len);
        size_t q = t.find('?');
        std::string raw_path = t.substr(0, q);
        CHECK(std::string(req->query_string.ptr, req->query_string.len) == (q == std::string::npos ? "" : t.substr(q + 1)));
        if (raw_path.find('%') == std::string::npos)
            CHECK(std::string(req->path.ptr, req->path.len) == raw_path);
        else
            CHECK(req->path.len <= raw_path.size()); /* a broken escape stays as sent */
    }
    CHECK(req->header_count == cur_msg->header_count);
    for (size_t i = 0; i < req->header_count; i++) {
        check_view(req->headers[i].name, "header name");
        check_view(req->headers[i].value, "header value");
    }
    for (size_t i = 0; i < req->query_count; i++) {
        check_view(req->query[i].name, "query name");
        check_view(req->query[i].value, "query value");
    }
    for (size_t i = 0; i < req->form_count; i++) {
        check_view(req->form[i].name, "form name");
        check_view(req->form[i].value, "form value");
    }
    /* The services see what the request holds. */
    for (size_t i = 0; i < req->header_count; i++) {
        std::string name(req->headers[i].name.ptr, req->headers[i].name.len);
        if (name.find('\0') != std::string::npos)
            continue;
        gr_str_t v = svc->http_header(req, name.c_str());
        CHECK(v.ptr != NULL);
    }

    if (mod_flags & FZ_STATUS) {
        gr_str_t s = svc->http_query(req, "s");
        int st = 0;
        for (size_t i = 0; s.ptr && i < s.len && i < 6; i++)
            st = st * 10 + (s.ptr[i] >= '0' && s.ptr[i] <= '9' ? s.ptr[i] - '0' : 1);
        int rc = svc->http_set_status(c, st);
        bool valid = st >= 200 && st <= 999; /* 1xx: interim, grocket's own */
        CHECK((rc == 0) == valid);
        if (valid)
            m->status = st;
    }
    if (mod_flags & FZ_HEADERS) {
        for (size_t i = 0; i < req->query_count && i < 8; i++) {
            /* C strings: an embedded NUL ends them. */
            std::string n(req->query[i].name.ptr ? req->query[i].name.ptr : "", req->query[i].name.len);
            std::string v(req->query[i].value.ptr ? req->query[i].value.ptr : "", req->query[i].value.len);
            n = n.c_str();
            v = v.c_str();
            int rc = svc->http_add_header(c, n.c_str(), v.c_str());
            /* The framing headers are the framework's alone. */
            bool valid = valid_name(n) && valid_value(v) && strcasecmp(n.c_str(), "Content-Length") != 0 &&
                         strcasecmp(n.c_str(), "Transfer-Encoding") != 0;
            if ((rc == 0) != valid)
                FAIL("http_add_header(\"%s\", \"%s\") returned %d", n.c_str(), v.c_str(), rc);
            if (valid) {
                m->lines.push_back(n + ": " + v);
                if (strcasecmp(n.c_str(), "Content-Type") == 0)
                    m->content_type = true;
            }
        }
    }
    switch (mod_flags & FZ_BODY_MASK) {
    case 0: {
        std::string text(req->path.ptr, req->path.len);
        text = text.c_str();
        CHECK(svc->http_reply_text(c, m->status, text.c_str()) == 0);
        /* It replaces the module's Content-Type lines (and the body). */
        for (size_t i = m->lines.size(); i-- > 0;)
            if (strncasecmp(m->lines[i].c_str(), "Content-Type:", 13) == 0)
                m->lines.erase(m->lines.begin() + (long)i);
        m->lines.push_back("Content-Type: text/plain; charset=utf-8");
        m->content_type = true;
        m->body = text;
        break;
    }
    case 1:
        CHECK(svc->reply(c, req->body.ptr, req->body.len) == 0);
        m->body.assign(req->body.ptr ? req->body.ptr : "", req->body.len);
        break;
    case 2: {
        size_t n = req->body.len % 3000;
        char *p = (char *)svc->reply_alloc(c, n);
        CHECK(p != NULL);
        for (size_t i = 0; i < n; i++)
            p[i] = (char)('a' + i % 26);
        m->body.assign(p, n);
        break;
    }
    default:
        break;
    }
    m->rc = (mod_flags & FZ_CLOSE) ? GR_PROC_CLOSE : GR_PROC_OK;
    return m->rc;
}

/* ---- a processing thread's world, without threads ------------------------ */

static gr_server_t *server;
static gr_thread_ctx_t *ctx;

static void world_init(void)
{
    gr_log_set_level(GR_LOG_ERROR);
    server = (gr_server_t *)calloc(1, sizeof *server);
    ctx = (gr_thread_ctx_t *)calloc(1, sizeof *ctx);
    if (!server || !ctx)
        abort();
    server->settings.worker_disabled = 1; /* inline: ctx is the owner and processes */
    server->groups[GR_GROUP_IN] = ctx;
    server->counts[GR_GROUP_IN] = 1;
    server->module.m.abi_version = GR_ABI_VERSION;
    server->module.m.size = sizeof(gr_module_t);
    server->module.m.name = "fuzz";
    server->module.m.proc_http = fake_proc_http;
    ctx->server = server;
    ctx->group = GR_GROUP_IN;
    ctx->proc_id = 0;
    ctx->proc = (gr_proc_state_t *)calloc(1, sizeof *ctx->proc);
    if (!ctx->proc || !(ctx->proc->http_resp = gr_http_resp_new()))
        abort();
    svc = gr_services_get();
}

/* ---- response checks ------------------------------------------------------ */

/* resp is exactly one response, laid out as frame() promises: the status
 * line, Server, Date, Content-Length (the body's length, or for HEAD the
 * length of the body dropped), the module's lines in order (for a
 * framework error: one Content-Type), then Connection where needed. Every
 * line is a token, ": " and a field value. */
static void check_response(const std::string &resp, int status, const std::string &body, bool head_only,
                           bool close, bool keep_alive_1_0, const std::vector<std::string> *module_lines)
{
    size_t end = resp.find("\r\n\r\n");
    if (end == std::string::npos)
        FAIL("response without an end of head: %s", resp.c_str());
    std::string head = resp.substr(0, end + 2), got_body = resp.substr(end + 4);
    char want_line[32];
    snprintf(want_line, sizeof want_line, "HTTP/1.1 %d ", status);
    if (head.compare(0, strlen(want_line), want_line) != 0)
        FAIL("status line is not \"%s...\": %s", want_line, head.c_str());
    std::vector<std::string> lines;
    size_t pos = head.find("\r\n") + 2;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        CHECK(e != std::string::npos);
        lines.push_back(head.substr(pos, e - pos));
        pos = e + 2;
    }
    for (const std::string &l : lines) {
        size_t colon = l.find(": ");
        if (colon == std::string::npos || !valid_name(l.substr(0, colon)) || !valid_value(l.substr(colon + 2)))
            FAIL("response head line is not a token, \": \" and a field value: %s", l.c_str());
    }
    std::string conn = close ? "Connection: close" : keep_alive_1_0 ? "Connection: keep-alive" : "";
    std::vector<std::string> want_module;
    if (module_lines)
        want_module = *module_lines;
    else
        want_module.push_back("Content-Type: text/plain; charset=utf-8");
    /* 204 and 304 end with their head: no body, no Content-Length. */
    bool bodiless = status == 204 || status == 304;
    size_t first = bodiless ? 2 : 3; /* the module's first line */
    size_t want_count = first + want_module.size() + (conn.empty() ? 0 : 1);
    if (lines.size() != want_count)
        FAIL("%zu header lines, want %zu: %s", lines.size(), want_count, head.c_str());
    CHECK(lines[0] == "Server: grocket");
    CHECK(lines[1].compare(0, 6, "Date: ") == 0 && lines[1].size() == 35);
    if (!bodiless && lines[2] != "Content-Length: " + std::to_string(body.size()))
        FAIL("\"%s\" for a body of %zu bytes", lines[2].c_str(), body.size());
    for (size_t i = 0; i < want_module.size(); i++)
        if (lines[first + i] != want_module[i])
            FAIL("header line %zu is \"%s\", the module added \"%s\"", first + i, lines[first + i].c_str(),
                 want_module[i].c_str());
    if (bodiless)
        head_only = true;
    if (!conn.empty() && lines.back() != conn)
        FAIL("last header line is \"%s\", want \"%s\"", lines.back().c_str(), conn.c_str());
    if (got_body != (head_only ? std::string() : body))
        FAIL("body differs: got %zu bytes, want %zu%s", got_body.size(), head_only ? 0 : body.size(),
             head_only ? " (HEAD)" : "");
}

/* ---- the connection ------------------------------------------------------- */

/* One request's verdict: its length, or -status. */
typedef std::vector<long> verdicts_t;

struct conn_state_t {
    gr_conn_t *c;
    gr_http_parser_t hp;
    std::string pending;   /* received, not yet cut (tcp_in's c->in) */
    std::string sent;      /* the replies as they must lie in c->out[off, len) */
    bool stopped;          /* nothing more is cut (error, close) */
    verdicts_t verdicts;
};

/* The earlier replies in c->out must be untouched; the new bytes follow. */
static std::string take_new_reply(conn_state_t *st)
{
    gr_buf_t *o = &st->c->out;
    CHECK(o->off <= o->len && o->len <= o->cap);
    std::string all(o->data ? o->data + o->off : "", o->len - o->off);
    if (all.compare(0, st->sent.size(), st->sent) != 0 || all.size() < st->sent.size())
        FAIL("replies waiting to be sent were changed");
    std::string fresh = all.substr(st->sent.size());
    st->sent = all;
    return fresh;
}

/* A strict, independent reading of the body framing: the length of the
 * request starting at data[0] whose head is head_len bytes, and its body.
 * Any line may end in LF or CRLF; chunk data must be followed by CRLF.
 * -1 when it does not parse. */
static long strict_chunked(const char *data, size_t len, size_t head_len, std::string *body)
{
    size_t p = head_len;
    for (;;) {
        uint64_t size = 0;
        size_t digits = 0;
        while (p < len && isxdigit((unsigned char)data[p])) {
            if (size >> 56)
                return -1;
            char ch = data[p];
            size = size * 16 + (uint64_t)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
            p++;
            digits++;
        }
        if (!digits)
            return -1;
        while (p < len && data[p] != '\n') /* extensions: whatever, up to the line's end */
            p++;
        if (p == len)
            return -1;
        p++;
        if (size == 0)
            break;
        if (size > len - p || len - p - size < 2)
            return -1;
        body->append(data + p, (size_t)size);
        p += (size_t)size;
        if (data[p] != '\r' || data[p + 1] != '\n')
            return -1;
        p += 2;
    }
    for (;;) { /* trailers, then an empty line */
        size_t e = p;
        while (e < len && data[e] != '\n')
            e++;
        if (e == len)
            return -1;
        bool empty = e == p || (e == p + 1 && data[p] == '\r');
        p = e + 1;
        if (empty)
            return (long)p;
    }
}

/* The Content-Length the head states (the glue refuses two). */
static long head_content_length(const char *data, const gr_http_msg_t *m)
{
    for (uint32_t i = 0; i < m->header_count; i++) {
        if (m->names[i].len == 14 && strncasecmp(data + m->names[i].off, "Content-Length", 14) == 0) {
            long v = 0;
            for (uint32_t k = 0; k < m->values[i].len; k++)
                v = v * 10 + (data[m->values[i].off + k] - '0');
            return v;
        }
    }
    return -1;
}

/* A complete request of rc bytes at data: every invariant of its
 * description. */
static void check_msg(const char *data, size_t len, long rc, const gr_http_msg_t *m, const gr_http_limits_t *lim)
{
    CHECK((size_t)rc <= len && m->total_len == (uint32_t)rc);
    CHECK(m->headers_done);
    CHECK(m->head_len > 0 && m->head_len <= m->total_len);
    if (m->head_len > lim->max_header_size)
        FAIL("accepted a head of %u bytes past max_header_size %u", m->head_len, lim->max_header_size);
    if (m->header_count > lim->max_headers)
        FAIL("accepted %u headers past max_headers %u", m->header_count, lim->max_headers);
    if (m->body_len > lim->max_body_size)
        FAIL("accepted a body of %zu bytes past max_body_size %llu", m->body_len,
             (unsigned long long)lim->max_body_size);
    CHECK(m->version_major == 1 && m->version_minor <= 9);
    CHECK(m->method <= HTTP_SOURCE); /* http-parser 2.9's last method */
    CHECK(m->url.len > 0 && (uint64_t)m->url.off + m->url.len <= m->head_len);
    CHECK(m->header_count <= m->header_cap || m->header_count == 0);
    for (uint32_t i = 0; i < m->header_count; i++) {
        CHECK((uint64_t)m->names[i].off + m->names[i].len <= m->head_len);
        CHECK((uint64_t)m->values[i].off + m->values[i].len <= m->head_len);
        CHECK(m->names[i].len > 0);
    }
    /* The head ends with an empty line. */
    CHECK(data[m->head_len - 1] == '\n');
    /* No bare CR (a proxy may end a line there, or not) and no folded
     * line (a line that starts with a blank continues the one before). */
    for (uint32_t i = 0; i + 1 < m->head_len; i++) {
        if (data[i] == '\r' && data[i + 1] != '\n')
            FAIL("accepted a head with a bare CR at byte %u", i);
        if (data[i] == '\n' && (data[i + 1] == ' ' || data[i + 1] == '\t'))
            FAIL("accepted a head with a folded line at byte %u", i + 1);
    }
    if (m->method == HTTP_CONNECT) {
        /* http-parser ends a CONNECT with its head, whatever its framing
         * headers say (what follows would be the tunnel). grocket answers
         * 405 and closes, so those bytes are never read as requests (the
         * keep/close checks in process and on_bytes hold it to that). */
        CHECK(m->total_len == m->head_len && m->body_len == 0);
    } else if (m->chunked) {
        std::string body;
        long end = strict_chunked(data, len, m->head_len, &body);
        if (end != rc)
            FAIL("chunked request accepted as %ld bytes, a strict reading says %ld", rc, end);
        if (body.size() != m->body_len || (m->body_len && memcmp(body.data(), m->body_buf, m->body_len) != 0))
            FAIL("chunked body differs from a strict reading (%zu vs %zu bytes)", m->body_len, body.size());
    } else {
        CHECK(m->body.len == m->total_len - m->head_len);
        CHECK(m->body.len == 0 || m->body.off == m->head_len);
        CHECK(m->body_len == m->body.len);
        long cl = head_content_length(data, m);
        if (cl >= 0 ? (uint64_t)cl != m->body.len : m->body.len != 0)
            FAIL("body of %u bytes, Content-Length says %ld", m->body.len, cl);
    }
}

/* The status the framework answers itself without calling the module
 * (CONNECT: 405; RFC 7230 5.4, Host missing on 1.1 or repeated: 400), or 0. */
static int framework_status(const char *bytes, const gr_http_msg_t *msg)
{
    int hosts = 0;
    for (uint32_t i = 0; i < msg->header_count; i++)
        hosts += msg->names[i].len == 4 && strncasecmp(bytes + msg->names[i].off, "Host", 4) == 0;
    if (msg->method == HTTP_CONNECT)
        return 405;
    return hosts > 1 || (hosts == 0 && msg->version_minor >= 1) ? 400 : 0;
}

/* Does the connection stay open after this request's reply? */
static bool expect_keep(const char *bytes, const gr_http_msg_t *msg)
{
    return framework_status(bytes, msg) == 0 && !(mod_flags & FZ_CLOSE) && msg->keep_alive;
}

/* Answer one complete request as gr_process_one would, then check the reply. */
static bool process(conn_state_t *st, const char *bytes, const gr_http_msg_t *msg_in)
{
    gr_conn_t *c = st->c;
    gr_http_msg_t unpacked;
    const gr_http_msg_t *msg = msg_in;
    std::vector<uint64_t> packed; /* 8-aligned, exact size: ASan sees overruns */
    if (mod_flags & FZ_WORKER) {
        size_t size = gr_http_msg_packed_size(msg_in);
        packed.resize((size + 7) / 8);
        gr_http_msg_pack(msg_in, (char *)packed.data());
        gr_http_msg_unpack((const char *)packed.data(), &unpacked);
        CHECK(unpacked.total_len == msg_in->total_len && unpacked.head_len == msg_in->head_len);
        CHECK(unpacked.header_count == msg_in->header_count && unpacked.body_len == msg_in->body_len);
        for (uint32_t i = 0; i < unpacked.header_count; i++)
            CHECK(unpacked.names[i].off == msg_in->names[i].off && unpacked.values[i].len == msg_in->values[i].len);
        if (msg_in->chunked && msg_in->body_len)
            CHECK(memcmp(unpacked.body_buf, msg_in->body_buf, msg_in->body_len) == 0);
        msg = &unpacked;
    }
    if ((mod_flags & FZ_PARTIAL) && c->out.len > c->out.off) {
        size_t sent = (c->out.len - c->out.off + 1) / 2; /* a send took half */
        c->out.off += sent;
        st->sent.erase(0, sent);
    }
    req_lo = bytes;
    req_hi = bytes + msg->total_len;
    cur_resp = ctx->proc->http_resp;
    cur_msg = msg;
    mod_rec = mod_record_t();
    mod_rec.status = -1;
    gr_cb_t prev = gr_cb_enter(c, GR_CB_PROC); /* as gr_process_one runs it */
    int rc = gr_http_process(ctx, c, bytes, msg);
    gr_cb_leave(prev);
    std::string reply = take_new_reply(st);

    /* What the framework answers itself, before the module. */
    int status = framework_status(bytes, msg);
    if (status) {
        CHECK(mod_rec.status == -1); /* the module was not called */
        CHECK(rc == GR_PROC_CLOSE);
        char text[64];
        snprintf(text, sizeof text, "%d %s\n", status, http_status_str((enum http_status)status));
        check_response(reply, status, text, false, true, false, NULL);
        return false;
    }
    CHECK(mod_rec.status != -1);
    bool close = mod_rec.rc != GR_PROC_OK || !msg->keep_alive;
    CHECK(rc == (close ? GR_PROC_CLOSE : GR_PROC_OK));
    CHECK(close == !expect_keep(bytes, msg));
    bool ka10 = !close && msg->version_minor == 0;
    check_response(reply, mod_rec.status, mod_rec.body, msg->method == HTTP_HEAD, close, ka10, &mod_rec.lines);
    return !close;
}

/* One read's worth of new bytes: cut every complete request (as
 * cut_packages does), answer it, keep the rest pending. */
static void on_bytes(conn_state_t *st, const char *bytes, size_t n, const gr_http_limits_t *lim, bool answer)
{
    if (st->stopped)
        return;
    st->pending.append(bytes, n);
    while (!st->pending.empty() && !st->stopped) {
        /* The bytes move between reads (scratch, a grown buffer): a copy in
         * an exact-size allocation, so a pointer kept across feeds or a
         * read past the end shows. */
        size_t len = st->pending.size();
        char *buf = (char *)malloc(len);
        CHECK(buf);
        memcpy(buf, st->pending.data(), len);
        long rc = gr_http_parser_feed(&st->hp, buf, len, lim);
        if (rc == 0) {
            if (answer && gr_http_parser_wants_continue(&st->hp)) {
                st->hp.continue_sent = 1;
                gr_http_continue(st->c);
                CHECK(take_new_reply(st) == "HTTP/1.1 100 Continue\r\n\r\n");
            }
            CHECK(!gr_http_parser_wants_continue(&st->hp) || !answer);
            free(buf);
            break;
        }
        st->verdicts.push_back(rc);
        if (rc < 0) {
            if (rc != -400 && rc != -413 && rc != -414 && rc != -431 && rc != -501 && rc != -505)
                FAIL("feed returned %ld", rc);
            if (answer) {
                gr_http_error(ctx, st->c, (int)-rc);
                char text[64];
                snprintf(text, sizeof text, "%ld %s\n", -rc, http_status_str((enum http_status)-rc));
                check_response(take_new_reply(st), (int)-rc, text, false, true, false, NULL);
            }
            st->stopped = true;
            free(buf);
            break;
        }
        check_msg(buf, len, rc, &st->hp.msg, lim);
        /* A second feed of a complete request only repeats its length. */
        CHECK(gr_http_parser_feed(&st->hp, buf, len, lim) == rc);
        bool keep = answer ? process(st, buf, &st->hp.msg) : expect_keep(buf, &st->hp.msg);
        if (!keep) /* the reply closes: later requests are not served */
            st->stopped = true;
        gr_http_parser_next(&st->hp);
        st->pending.erase(0, (size_t)rc);
        free(buf);
    }
    if (st->pending.empty()) /* tcp_in gives the parser back: it must be clean */
        gr_http_parser_next(&st->hp);
}

static void conn_open(conn_state_t *st)
{
    st->c = gr_conn_new(server, GR_INVALID_SOCKET, NULL);
    CHECK(st->c);
    st->c->is_http = 1;
    st->c->proc_ctx = ctx;
    gr_http_parser_init(&st->hp);
    st->stopped = false;
}

static void conn_close(conn_state_t *st)
{
    gr_http_parser_free(&st->hp);
    gr_buf_free(&st->c->out);
    st->c->~gr_conn_t();
    free(st->c);
    st->c = NULL;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!server)
        world_init();
    if (size < 8)
        return 0;
    gr_http_limits_t lim;
    lim.max_header_size = 256 + 32u * data[0];
    lim.max_headers = 1 + data[1] % 64u;
    lim.max_body_size = (uint64_t)data[2] * data[2];
    mod_flags = data[3];
    uint32_t max_read = 1 + (uint32_t)data[4] * data[4];
    uint32_t seed = (uint32_t)data[5] | (uint32_t)data[6] << 8 | (uint32_t)data[7] << 16 | 1u << 24;
    const char *stream = (const char *)data + 8;
    size_t n = size - 8;

    /* In reads of pseudo-random sizes, answered. */
    conn_state_t a;
    conn_open(&a);
    for (size_t pos = 0; pos < n && !a.stopped;) {
        size_t r = 1 + rng_next(&seed) % max_read;
        if (r > n - pos)
            r = n - pos;
        on_bytes(&a, stream + pos, r, &lim, true);
        pos += r;
    }
    conn_close(&a);

    /* In one piece: the same requests, the same verdict at the end. */
    conn_state_t b;
    conn_open(&b);
    on_bytes(&b, stream, n, &lim, false);
    conn_close(&b);
    /* Where one stream ends in an error, the other may name another 4xx
     * (a head too large is seen before the character that is bad in it). */
    bool same = a.verdicts.size() == b.verdicts.size();
    for (size_t i = 0; same && i < a.verdicts.size(); i++)
        same = a.verdicts[i] == b.verdicts[i] || (a.verdicts[i] < 0 && b.verdicts[i] < 0);
    if (!same) {
        fprintf(stderr, "in reads:");
        for (long v : a.verdicts)
            fprintf(stderr, " %ld", v);
        fprintf(stderr, "\nin one piece:");
        for (long v : b.verdicts)
            fprintf(stderr, " %ld", v);
        fprintf(stderr, "\n");
        FAIL("cutting the stream in reads changed the requests");
    }
    return 0;
}
