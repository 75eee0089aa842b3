// test_kv_resp.cpp - the kv module's RESP2 request walker (modules/kv/kv_resp.c):
// framing as check uses it (whole, partial, pipelined, size hints), splitting
// as proc uses it, and every protocol error cut as a package that splits into
// the same error, with Redis's words.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../modules/kv/kv_resp.h"

namespace {

const kv_resp_limits_t kLimits = {1024 * 1024, 1024};

struct Parsed {
    int rc;
    std::vector<std::string> args;
    std::string err;
};

Parsed parse(const std::string &pkg, const kv_resp_limits_t &lim = kLimits)
{
    kv_args_t a = {};
    const char *err = nullptr;
    Parsed p;
    p.rc = kv_resp_parse(pkg.data(), pkg.size(), &lim, &a, &err);
    for (size_t i = 0; i < a.n; i++)
        p.args.emplace_back(a.v[i].p, a.v[i].n);
    if (err)
        p.err = err;
    kv_args_free(&a);
    return p;
}

long frame(const std::string &data, const kv_resp_limits_t &lim = kLimits)
{
    return kv_resp_frame(data.data(), data.size(), &lim);
}

std::string mb(const std::vector<std::string> &args)
{
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto &a : args)
        out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return out;
}

// Frame, then split the package: the error text, or "" with the arguments.
std::string error_of(const std::string &data, const kv_resp_limits_t &lim = kLimits)
{
    long n = frame(data, lim);
    EXPECT_GT(n, 0) << data.substr(0, 40);
    EXPECT_LE(n, (long)data.size());
    if (n <= 0 || n > (long)data.size())
        return "<no package>";
    Parsed p = parse(data.substr(0, (size_t)n), lim);
    EXPECT_EQ(p.rc == 0, p.err.empty());
    return p.err;
}

TEST(KvResp, MultibulkWholeAndSplit)
{
    std::string cmd = mb({"SET", "key", "value"});
    EXPECT_EQ(frame(cmd), (long)cmd.size());
    Parsed p = parse(cmd);
    ASSERT_EQ(p.rc, 0);
    EXPECT_EQ(p.args, (std::vector<std::string>{"SET", "key", "value"}));
    // Every proper prefix: no package yet (0), or a hint past what is there.
    for (size_t i = 0; i < cmd.size(); i++) {
        long n = frame(cmd.substr(0, i));
        EXPECT_TRUE(n == 0 || n > (long)i) << "prefix " << i << " framed " << n;
        EXPECT_LE(n, (long)cmd.size()) << "a hint never passes the command's end";
    }
}

TEST(KvResp, SizeHintForALargeValue)
{
    std::string v(100000, 'x');
    std::string cmd = mb({"SET", "k", v});
    std::string head = cmd.substr(0, 30); // "*3 $3 SET $1 k $100000" and a few bytes
    EXPECT_EQ(frame(head), (long)cmd.size()) << "the bulk header gives the whole length";
}

TEST(KvResp, PipelinedCommandsAreCutOneAtATime)
{
    std::string a = mb({"PING"}), b = mb({"ECHO", "hi"}), c = "GET k\r\n";
    std::string all = a + b + c;
    size_t off = 0;
    std::vector<std::vector<std::string>> got;
    while (off < all.size()) {
        long n = frame(all.substr(off));
        ASSERT_GT(n, 0);
        got.push_back(parse(all.substr(off, (size_t)n)).args);
        off += (size_t)n;
    }
    EXPECT_EQ(got, (std::vector<std::vector<std::string>>{{"PING"}, {"ECHO", "hi"}, {"GET", "k"}}));
}

TEST(KvResp, InlineCommands)
{
    EXPECT_EQ(frame("PING"), 0) << "no line end yet";
    EXPECT_EQ(parse("set a \"b c\"\r\n").args, (std::vector<std::string>{"set", "a", "b c"}));
    EXPECT_EQ(parse("echo \"\\x41\\n\\\"\"\n").args, (std::vector<std::string>{"echo", "A\n\""}));
    EXPECT_EQ(parse("echo 'it\\'s'\r\n").args, (std::vector<std::string>{"echo", "it's"}));
    EXPECT_EQ(parse("  get\t k  \r\n").args, (std::vector<std::string>{"get", "k"}));
    Parsed empty = parse("\r\n");
    EXPECT_EQ(empty.rc, 0);
    EXPECT_TRUE(empty.args.empty()) << "an empty line is no command (no answer)";
    EXPECT_EQ(error_of("get \"a\r\n"), "Protocol error: unbalanced quotes in request");
    EXPECT_EQ(error_of("ping \"a\"b\r\n"), "Protocol error: unbalanced quotes in request");
}

TEST(KvResp, EmptyAndNegativeMultibulkCountsAreNoCommand)
{
    for (const char *s : {"*0\r\n", "*-1\r\n", "*-100\r\n"}) {
        EXPECT_EQ(frame(s), (long)strlen(s));
        Parsed p = parse(s);
        EXPECT_EQ(p.rc, 0);
        EXPECT_TRUE(p.args.empty());
    }
}

TEST(KvResp, ProtocolErrorsInRedisWords)
{
    EXPECT_EQ(error_of("*x\r\n"), "Protocol error: invalid multibulk length");
    EXPECT_EQ(error_of("*1025\r\n"), "Protocol error: invalid multibulk length") << "past max_args";
    EXPECT_EQ(error_of("*3000000000\r\n"), "Protocol error: invalid multibulk length");
    EXPECT_EQ(error_of("*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
    EXPECT_EQ(error_of("*1\r\n$1048577\r\n"), "Protocol error: invalid bulk length") << "past max_bulk";
    EXPECT_EQ(error_of("*1\r\n$abc\r\n"), "Protocol error: invalid bulk length");
    EXPECT_EQ(error_of("*1\r\nPING\r\n"), "Protocol error: expected '$', got 'P'");
    EXPECT_EQ(error_of(std::string(70000, 'x')), "Protocol error: too big inline request");
    EXPECT_EQ(error_of("*1\r\n$" + std::string(70000, '1')), "Protocol error: too big bulk count string");
    EXPECT_EQ(error_of("*" + std::string(70000, '1')), "Protocol error: too big mbulk count string");
    // Below the inline limit without a line end: wait for more.
    EXPECT_EQ(frame(std::string(60000, 'x')), 0);
}

// An inline line past the limit is an error even when its line end came in
// the same read (fuzz_kv found it accepted then, refused when cut before
// the limit); the error is the package, whatever the cut.
TEST(KvResp, InlineLimitWhateverTheCut)
{
    std::string line(KV_RESP_INLINE_MAX + 1, 'x');
    std::string whole = line + "\r\nPING\r\n";
    EXPECT_EQ(error_of(whole), "Protocol error: too big inline request");
    EXPECT_EQ(error_of(whole.substr(0, KV_RESP_INLINE_MAX + 1)), "Protocol error: too big inline request");
    // At the limit itself, the line is a command.
    std::string at(KV_RESP_INLINE_MAX, 'y');
    Parsed p = parse(at + "\n");
    EXPECT_EQ(p.rc, 0);
    ASSERT_EQ(p.args.size(), 1u);
    EXPECT_EQ(p.args[0], at);
    EXPECT_EQ(frame(at + "\nPING\r\n"), (long)KV_RESP_INLINE_MAX + 1);
}

TEST(KvResp, ErrorAfterGoodCommandsIsItsOwnPackage)
{
    std::string good = mb({"PING"});
    std::string all = good + "*1\r\n$-5\r\nrest";
    EXPECT_EQ(frame(all), (long)good.size()) << "the good command first";
    EXPECT_EQ(error_of(all.substr(good.size())), "Protocol error: invalid bulk length");
}

TEST(KvResp, ParseLongLongIsRedisString2ll)
{
    long long v;
    auto ok = [&](const char *s) { return kv_parse_ll(s, strlen(s), &v) == 0; };
    EXPECT_TRUE(ok("0") && v == 0);
    EXPECT_TRUE(ok("-12") && v == -12);
    EXPECT_TRUE(ok("9223372036854775807") && v == INT64_MAX);
    EXPECT_TRUE(ok("-9223372036854775808") && v == INT64_MIN);
    for (const char *bad : {"", "-", "+1", " 1", "1 ", "01", "-0", "1.5", "9223372036854775808",
                            "-9223372036854775809", "99999999999999999999", "abc"})
        EXPECT_FALSE(ok(bad)) << bad;
}

// Random bytes and random cuts of valid pipelines: framing never claims more
// than it was given except as a hint, and a framed package always splits (or
// errs) without reading past it (ASan watches the reads). Framing while
// splitting (check's kv_split_frame) cuts exactly what framing alone cuts,
// and hands proc what kv_resp_parse makes of the package.
TEST(KvResp, RandomInputNeverMisframes)
{
    std::mt19937 rng(17);
    const char alphabet[] = "*$\r\n0123456789-x \"'\\";
    kv_split_t sp = {};
    int owner;
    for (int round = 0; round < 40000; round++) {
        size_t len = rng() % 40;
        std::string s;
        if (round % 4 == 3) { // a valid pipeline cut anywhere
            while (s.size() < 60)
                s += mb({"SET", std::string(rng() % 12, 'k'), std::string(rng() % 120, 'v')});
            s.resize(rng() % s.size());
            len = s.size();
        }
        for (size_t i = s.size(); i < len; i++)
            s += round % 2 ? alphabet[rng() % (sizeof alphabet - 1)] : (char)rng();
        std::vector<char> heap(s.begin(), s.end()); // exact-size buffer: overreads show
        long n = kv_resp_frame(heap.data(), heap.size(), &kLimits);
        ASSERT_GE(n, 0);
        ASSERT_EQ(kv_split_frame(&sp, &owner, heap.data(), heap.size(), &kLimits), n) << s;
        if (n > 0 && n <= (long)len) {
            kv_args_t a = {};
            const char *err = nullptr, *split_err = nullptr;
            int rc = kv_resp_parse(heap.data(), (size_t)n, &kLimits, &a, &err);
            EXPECT_TRUE(rc == 0 || (rc == -1 && err != nullptr));
            ASSERT_EQ(kv_split_take(&sp, &owner, heap.data(), (size_t)n, &kLimits, &split_err), rc) << s;
            if (rc == 0) {
                ASSERT_EQ(sp.args.n, a.n) << s;
                for (size_t i = 0; i < a.n; i++)
                    EXPECT_EQ(std::string(sp.args.v[i].p, sp.args.v[i].n), std::string(a.v[i].p, a.v[i].n)) << s;
            } else {
                EXPECT_STREQ(split_err, err) << s;
            }
            kv_args_free(&a);
        }
    }
    kv_split_free(&sp);
}

// Lengths through the quick path (one and two digits) and the general one
// (three and more), the empty argument, and lengths Redis refuses.
TEST(KvResp, BulkLengthsOfEverySize)
{
    for (size_t n : {0, 1, 9, 10, 99, 100, 12345}) {
        std::string cmd = mb({"SET", "k", std::string(n, 'v')});
        EXPECT_EQ(frame(cmd), (long)cmd.size()) << n;
        Parsed p = parse(cmd);
        ASSERT_EQ(p.rc, 0) << n;
        EXPECT_EQ(p.args[2], std::string(n, 'v'));
    }
    EXPECT_EQ(frame("*1\r\n$1\r\nx"), 11) << "a hint: the value's line end is still to come";
    EXPECT_EQ(frame("*1\r\n$1\r"), 0) << "no line end yet";
    EXPECT_EQ(frame("*1\r\n$12"), 0) << "no line end yet";
    for (const char *bad : {"*1\r\n$01\r\nx\r\n", "*1\r\n$00\r\n\r\n", "*1\r\n$-0\r\n", "*1\r\n$+1\r\nx\r\n",
                            "*1\r\n$1x\r\n", "*1\r\n$\r\n"})
        EXPECT_EQ(error_of(bad), "Protocol error: invalid bulk length") << bad;
    EXPECT_EQ(error_of("*01\r\n$1\r\nx\r\n"), "Protocol error: invalid multibulk length");
}

// check's split reaches proc only for the package it was made for: the same
// connection, bytes and length, once, with no other check in between.
// Anything else walks the package again. The bytes are changed behind the
// record here (the framework never does) to see which of the two proc got.
TEST(KvResp, SplitHandOverIsTakenOnlyByItsPackage)
{
    const std::string a = mb({"GET", "k"}); // 20 bytes, arguments of 3 and 1
    const std::string b = "ECHO abcdefghijklm\r\n"; // 20 bytes inline, arguments of 4 and 13
    ASSERT_EQ(a.size(), b.size());
    int conn1, conn2;
    kv_split_t sp = {};
    const char *err;
    std::vector<char> buf(a.begin(), a.end());
    // What proc gets: the argument lengths.
    auto take = [&](const void *owner, const char *pkg, size_t len) {
        std::vector<size_t> lens;
        EXPECT_EQ(kv_split_take(&sp, owner, pkg, len, &kLimits, &err), 0);
        for (size_t i = 0; i < sp.args.n; i++)
            lens.push_back(sp.args.v[i].n);
        return lens;
    };
    const std::vector<size_t> recorded = {3, 1}, walked = {4, 13};
    auto frame_a_then_write_b = [&](const void *owner) {
        std::copy(a.begin(), a.end(), buf.begin());
        ASSERT_EQ(kv_split_frame(&sp, owner, buf.data(), buf.size(), &kLimits), (long)a.size());
        std::copy(b.begin(), b.end(), buf.begin());
    };

    frame_a_then_write_b(&conn1);
    EXPECT_EQ(take(&conn1, buf.data(), buf.size()), recorded) << "its package: the record";
    EXPECT_EQ(take(&conn1, buf.data(), buf.size()), walked) << "a record serves one proc";

    frame_a_then_write_b(&conn1);
    EXPECT_EQ(take(&conn2, buf.data(), buf.size()), walked) << "another connection";
    EXPECT_EQ(take(&conn1, buf.data(), buf.size()), walked) << "any proc clears the record";

    frame_a_then_write_b(&conn1);
    std::vector<char> copy(buf);
    EXPECT_EQ(take(&conn1, copy.data(), copy.size()), walked) << "other bytes (a worker's copy)";

    std::string longer = mb({"GET", "kk"}); // 21 bytes at the same address
    std::vector<char> big(longer.begin(), longer.end());
    ASSERT_EQ(kv_split_frame(&sp, &conn1, big.data(), big.size(), &kLimits), (long)longer.size());
    std::copy(b.begin(), b.end(), big.begin());
    EXPECT_EQ(take(&conn1, big.data(), b.size()), walked) << "another length";

    frame_a_then_write_b(&conn1);
    std::string other = mb({"PING"});
    ASSERT_EQ(kv_split_frame(&sp, &conn1, other.data(), other.size(), &kLimits), (long)other.size());
    EXPECT_EQ(take(&conn1, buf.data(), buf.size()), walked) << "a later check replaced the record";

    // A partial package records nothing.
    std::copy(a.begin(), a.end(), buf.begin());
    ASSERT_EQ(kv_split_frame(&sp, &conn1, buf.data(), 5, &kLimits), 0);
    std::copy(b.begin(), b.end(), buf.begin());
    EXPECT_EQ(take(&conn1, buf.data(), buf.size()), walked) << "need more: no record";
    std::copy(a.begin(), a.end(), buf.begin());
    ASSERT_EQ(kv_split_frame(&sp, &conn1, buf.data(), 10, &kLimits), 13);
    std::copy(b.begin(), b.end(), buf.begin());
    EXPECT_EQ(take(&conn1, buf.data(), buf.size()), walked) << "a size hint: no record";

    // A protocol error is handed over with its text.
    std::string bad = "*1\r\nPING\r\n";
    long n = kv_split_frame(&sp, &conn1, bad.data(), bad.size(), &kLimits);
    ASSERT_EQ(n, 5);
    EXPECT_EQ(kv_split_take(&sp, &conn1, bad.data(), (size_t)n, &kLimits, &err), -1);
    EXPECT_STREQ(err, "Protocol error: expected '$', got 'P'");
    kv_split_free(&sp);
}

} // namespace
