// test_kv_backup.cpp - the kv module's backup copy (`kv.backup`,
// modules/kv/kv_backup.c, docs/kv.md "Backup copy"): a primary grocketd
// forwards every write to another kv grocketd (or a redis-server); the
// backup is killed and restarted under write load and must end up holding
// what the primary holds; a backup that stops reading is dropped, not
// buffered without bound.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "gr_test_kv.h"
#include "gr_test_server.h"
#include "gr_test_util.h"

namespace {

const int kKeys = 2000;    // k0..: strings set, appended, deleted, expired
const int kCounters = 200; // c0..: INCR only

std::string key(int i) { return "k" + std::to_string(i); }
std::string counter(int i) { return "c" + std::to_string(i); }

// A kv grocketd; backup_port > 0 adds a listen on that fixed port (what the
// primary's kv.backup names, the same across restarts).
std::unique_ptr<GrocketdProcess> kv_server(int backup_port, const std::string &kv_keys,
                                           const std::string &server_keys = "")
{
    std::string listens = backup_port > 0 ? "9 = tcp://127.0.0.1:" + std::to_string(backup_port) + "\n" : "";
    return std::unique_ptr<GrocketdProcess>(new GrocketdProcess(
        gr_test_module("kv"), "tcp.idle_timeout = 0\n" + server_keys, "[kv]\n" + kv_keys, listens));
}

// Kill a backup as a crash would (SIGKILL); under Wine, where killing the
// wine process leaves its wineserver behind, a stop instead.
void kill_server(GrocketdProcess &s)
{
    if (gr_test_wine())
        EXPECT_EQ(s.stop(), 0) << s.log();
    else
        EXPECT_EQ(s.stop(SIGKILL), 128 + SIGKILL) << s.log();
}

// Whether the primary's link to its backup is up (its snapshot queued).
bool wait_link_up(int primary_port, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (kv_test_info_text(primary_port, "backup_link") == "up")
            return true;
        usleep(20 * 1000);
    }
    return false;
}

// Reads one RESP reply of any type from fd into out (its lines and bulks);
// false at end of stream.
bool read_reply(int fd, std::string &out)
{
    std::string line = kv_test_read_line(fd);
    if (line.find("<closed>") != std::string::npos)
        return false;
    out += line;
    if (line[0] == '$') {
        long long n = atoll(line.c_str() + 1);
        if (n >= 0)
            out += gr_test_recv(fd, (size_t)n + 2);
    } else if (line[0] == '*') {
        long long n = atoll(line.c_str() + 1);
        for (long long i = 0; i < n; i++)
            if (!read_reply(fd, out))
                return false;
    }
    return true;
}

// What a server holds of the test's keys: every value (one MGET) and each
// string key's PTTL.
struct dump_t {
    std::string values; // the MGET reply, raw
    std::vector<long long> ttl;
};

dump_t dump(int port)
{
    dump_t d;
    int fd = gr_test_connect("127.0.0.1", port);
    if (fd < 0)
        return d;
    std::vector<std::string> mget = {"MGET"};
    for (int i = 0; i < kKeys; i++)
        mget.push_back(key(i));
    for (int i = 0; i < kCounters; i++)
        mget.push_back(counter(i));
    std::string req = kv_test_cmd(mget);
    for (int i = 0; i < kKeys; i++)
        req += kv_test_cmd({"PTTL", key(i)});
    gr_test_send(fd, req);
    read_reply(fd, d.values);
    for (int i = 0; i < kKeys; i++) {
        std::string l = kv_test_read_line(fd);
        d.ttl.push_back(atoll(l.c_str() + 1));
    }
    gr_test_close(fd);
    return d;
}

// Whether two dumps agree: the same values, the same keys with a TTL, and
// TTLs within a second of each other (an expiry time travels as a moment
// of the wall clock, and the two dumps are taken moments apart).
bool same(const dump_t &a, const dump_t &b, std::string *why)
{
    if (a.values != b.values || a.ttl.size() != b.ttl.size()) {
        *why = "values differ";
        return false;
    }
    for (size_t i = 0; i < a.ttl.size(); i++) {
        bool ea = a.ttl[i] > 0, eb = b.ttl[i] > 0;
        if (ea != eb || (!ea && a.ttl[i] != b.ttl[i]) || (ea && std::labs(a.ttl[i] - b.ttl[i]) > 1000)) {
            *why = key((int)i) + ": PTTL " + std::to_string(a.ttl[i]) + " against " + std::to_string(b.ttl[i]);
            return false;
        }
    }
    return true;
}

// Wait until the backup holds what the primary holds; false (with why)
// past timeout_ms.
bool wait_same(int primary_port, int backup_port, int timeout_ms, std::string *why)
{
    for (int waited = 0;; waited += 100) {
        dump_t p = dump(primary_port), b = dump(backup_port);
        if (!p.values.empty() && same(p, b, why))
            return true;
        if (waited >= timeout_ms)
            return false;
        usleep(100 * 1000);
    }
}

// Clients writing random commands, pipelined 64 deep, until stopped: every
// write command kv forwards, on every thread of the primary.
class WriteLoad {
public:
    WriteLoad(int port, int clients)
    {
        for (int i = 0; i < clients; i++)
            threads_.emplace_back([this, port, i] { run(port, (unsigned)i); });
    }
    ~WriteLoad() { stop(); }
    long long stop()
    {
        stop_ = true;
        for (auto &t : threads_)
            if (t.joinable())
                t.join();
        return done_;
    }
    long long done() const { return done_; }
    int failures() const { return failures_; }

private:
    void run(int port, unsigned seed)
    {
        int fd = gr_test_connect("127.0.0.1", port);
        if (fd < 0) {
            failures_++;
            return;
        }
        std::mt19937 rng(seed * 7919u + 1);
        while (!stop_) {
            std::string req;
            const int depth = 64;
            for (int n = 0; n < depth; n++) {
                std::string k = key((int)(rng() % kKeys)), v = "v" + std::to_string(rng() % 100000);
                switch (rng() % 9) {
                case 0: req += kv_test_cmd({"SET", k, v}); break;
                case 1: req += kv_test_cmd({"SET", k, v, "PX", std::to_string(300000 + rng() % 300000)}); break;
                case 2: req += kv_test_cmd({"APPEND", k, "+a"}); break;
                case 3: req += kv_test_cmd({"DEL", k, key((int)(rng() % kKeys))}); break;
                case 4: req += kv_test_cmd({"EXPIRE", k, std::to_string(400 + rng() % 400)}); break;
                case 5: req += kv_test_cmd({"PERSIST", k}); break;
                case 6: req += kv_test_cmd({"MSET", k, v, key((int)(rng() % kKeys)), v}); break;
                default: req += kv_test_cmd({"INCRBY", counter((int)(rng() % kCounters)), std::to_string(rng() % 10)});
                }
            }
            if (!gr_test_send(fd, req)) {
                failures_++;
                break;
            }
            for (int n = 0; n < depth; n++) { // every reply here is one line
                std::string l = kv_test_read_line(fd);
                if (l.find("<closed>") != std::string::npos || l[0] == '-') {
                    failures_++;
                    stop_ = true;
                    break;
                }
            }
            done_ += depth;
        }
        gr_test_close(fd);
    }
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_{false};
    std::atomic<long long> done_{0};
    std::atomic<int> failures_{0};
};

void expect_clean_log(GrocketdProcess &s)
{
    EXPECT_EQ(s.log().find("ERROR"), std::string::npos) << s.log();
    EXPECT_EQ(s.log().find("Sanitizer"), std::string::npos) << s.log();
}

// The done criterion of issue 17 item 4: the backup is killed and
// restarted twice while three clients write; afterwards both hold the same
// keys, values and TTLs. With writes on several receiving threads, and on
// workers (the link is proc thread 0's either way).
class KvBackupThreads : public ::testing::TestWithParam<const char *> {};

TEST_P(KvBackupThreads, KilledAndRestartedUnderWriteLoadCatchesUp)
{
    int bport = gr_test_free_port();
    auto backup = kv_server(bport, "");
    ASSERT_TRUE(backup->start()) << backup->log();
    auto primary = kv_server(0, "backup = 127.0.0.1:" + std::to_string(bport) + "\n", GetParam());
    ASSERT_TRUE(primary->start()) << primary->log();
    ASSERT_TRUE(wait_link_up(primary->port(), 10000)) << primary->log();

    // First a FLUSHALL amid the writes (the backup gets a fresh snapshot in
    // place). Round 0: killed and restarted while the writes go on (the
    // snapshot and the stream overlap). Round 1: killed under load,
    // restarted after the writes stopped (what it holds then came by the
    // snapshot alone).
    WriteLoad load(primary->port(), 3);
    usleep(200 * 1000);
    EXPECT_EQ(kv_test_cli(primary->port(), {"FLUSHALL"}), "OK\n");
    for (int round = 0; round < 2; round++) {
        usleep(400 * 1000);
        long long before = load.done();
        kill_server(*backup);
        usleep(300 * 1000);
        EXPECT_GT(load.done(), before) << "the primary kept answering while its backup was gone";
        EXPECT_NE(kv_test_info_text(primary->port(), "backup_link"), "up");
        if (round == 1)
            load.stop();
        backup = kv_server(bport, "");
        ASSERT_TRUE(backup->start()) << backup->log();
        if (round == 0)
            usleep(600 * 1000);
    }
    long long ops = load.stop();
    EXPECT_EQ(load.failures(), 0);
    EXPECT_GT(ops, 1000);

    std::string why;
    EXPECT_TRUE(wait_same(primary->port(), backup->port(), 30000, &why)) << why << "\n" << primary->log();
    EXPECT_GE(kv_test_info(primary->port(), "backup_syncs"), 3) << "a snapshot at each (re)connect";
    EXPECT_EQ(kv_test_info(primary->port(), "backup_errors"), 0);
    int pf = gr_test_connect("127.0.0.1", primary->port()), bf = gr_test_connect("127.0.0.1", backup->port());
    long long pkeys = kv_test_int(pf, {"DBSIZE"}), bkeys = kv_test_int(bf, {"DBSIZE"});
    EXPECT_GT(pkeys, kKeys / 4);
    EXPECT_EQ(pkeys, bkeys) << "DBSIZE " << pkeys << " against " << bkeys;
    gr_test_close(pf);
    gr_test_close(bf);
    EXPECT_EQ(primary->stop(), 0) << primary->log();
    EXPECT_EQ(backup->stop(), 0) << backup->log();
    expect_clean_log(*primary);
    expect_clean_log(*backup);
}

INSTANTIATE_TEST_SUITE_P(Configs, KvBackupThreads,
                         ::testing::Values("tcp.in.thread_count = 2\n",
                                           "tcp.in.thread_count = 2\nworker.disabled = false\nworker.thread_count = 3\n"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                             return std::string(i.index == 0 ? "TwoTcpIn" : "Workers");
                         });

// Keys the primary evicts (max_memory) and a FLUSHALL reach the backup
// too, which has no memory limit of its own.
TEST(KvBackup, EvictionsAndFlushesAreForwarded)
{
    int bport = gr_test_free_port();
    auto backup = kv_server(bport, "");
    ASSERT_TRUE(backup->start()) << backup->log();
    auto primary = kv_server(0, "backup = 127.0.0.1:" + std::to_string(bport) + "\nmax_memory = 1m\n");
    ASSERT_TRUE(primary->start()) << primary->log();
    ASSERT_TRUE(wait_link_up(primary->port(), 10000)) << primary->log();

    int fd = gr_test_connect("127.0.0.1", primary->port());
    std::string req;
    for (int i = 0; i < kKeys; i++)
        req += kv_test_cmd({"SET", key(i), std::string(1000, (char)('a' + i % 26))});
    gr_test_send(fd, req);
    for (int i = 0; i < kKeys; i++)
        ASSERT_EQ(kv_test_read_line(fd), "+OK\r\n");
    EXPECT_GT(kv_test_info(primary->port(), "evicted_keys"), 0);
    std::string why;
    EXPECT_TRUE(wait_same(primary->port(), backup->port(), 10000, &why)) << why;

    gr_test_send(fd, kv_test_cmd({"FLUSHALL"}) + kv_test_cmd({"SET", "after", "flush"}));
    EXPECT_EQ(kv_test_read_line(fd), "+OK\r\n");
    EXPECT_EQ(kv_test_read_line(fd), "+OK\r\n");
    gr_test_close(fd);
    int bf = gr_test_connect("127.0.0.1", backup->port());
    long long keys = -1;
    for (int waited = 0; waited < 10000 && keys != 1; waited += 20, usleep(20 * 1000))
        keys = kv_test_int(bf, {"DBSIZE"});
    EXPECT_EQ(keys, 1);
    gr_test_send(bf, kv_test_cmd({"GET", "after"}));
    EXPECT_EQ(kv_test_read_line(bf), "$5\r\n");
    gr_test_close(bf);
    EXPECT_EQ(primary->stop(), 0) << primary->log();
    EXPECT_EQ(backup->stop(), 0) << backup->log();
    expect_clean_log(*primary);
}

// A backup that accepts and then never reads: once more than
// backup_max_pending waits, the primary drops the link (to resync later)
// instead of holding every write in memory, and keeps serving.
TEST(KvBackup, BackupThatStopsReadingIsDroppedNotBuffered)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(bind(lfd, (sockaddr *)&a, sizeof a), 0);
    ASSERT_EQ(listen(lfd, 16), 0);
    ASSERT_EQ(getsockname(lfd, (sockaddr *)&a, &len), 0);
    int bport = ntohs(a.sin_port);

    auto primary = kv_server(0, "backup = 127.0.0.1:" + std::to_string(bport) + "\nbackup_max_pending = 64k\n");
    ASSERT_TRUE(primary->start()) << primary->log();
    ASSERT_TRUE(wait_link_up(primary->port(), 10000)) << primary->log();
    int stuck = accept(lfd, nullptr, nullptr); // accepted, never read
    ASSERT_GE(stuck, 0);

    // 64 MB of writes: far more than the socket buffers and the limit.
    int fd = gr_test_connect("127.0.0.1", primary->port());
    std::string value(64 * 1024, 'x');
    long long drops = 0;
    for (int batch = 0; batch < 64 && drops < 1; batch++) {
        std::string req;
        for (int i = 0; i < 16; i++)
            req += kv_test_cmd({"SET", key(i), value});
        ASSERT_TRUE(gr_test_send(fd, req));
        for (int i = 0; i < 16; i++)
            ASSERT_EQ(kv_test_read_line(fd), "+OK\r\n");
        drops = kv_test_info(primary->port(), "backup_drops");
    }
    EXPECT_GE(drops, 1) << primary->log();
    EXPECT_LE(kv_test_info(primary->port(), "backup_pending_bytes"), 4 << 20);
    gr_test_send(fd, kv_test_cmd({"PING"}));
    EXPECT_EQ(kv_test_read_line(fd), "+PONG\r\n");
    EXPECT_NE(primary->log().find("more than backup_max_pending (65536 bytes)"), std::string::npos)
        << primary->log();
    gr_test_close(fd);
    close(stuck);
    close(lfd);
    EXPECT_EQ(primary->stop(), 0) << primary->log();
    expect_clean_log(*primary);
}

// Any Redis-protocol server can be the backup: what kv forwards (FLUSHALL,
// SET ... PXAT, DEL) is Redis 7's own commands.
TEST(KvBackup, RedisServerAsTheBackup)
{
    GR_TEST_NEED_TOOL("redis-server");
    int bport = gr_test_free_port();
    std::string dir = gr_test_mkdtemp("kv-backup-redis");
    pid_t redis = gr_test_spawn({gr_test_find_tool("redis-server"), "--port", std::to_string(bport), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir},
                                dir + "/redis.log");
    ASSERT_GT(redis, 0);
    int up = -1;
    for (int waited = 0; waited < 10000 && up < 0; waited += 20, usleep(20 * 1000))
        up = gr_test_connect("127.0.0.1", bport);
    ASSERT_GE(up, 0);
    gr_test_close(up);

    auto primary = kv_server(0, "backup = 127.0.0.1:" + std::to_string(bport) + "\n");
    ASSERT_TRUE(primary->start()) << primary->log();
    EXPECT_EQ(kv_test_cli(primary->port(), {"SET", "a", "1"}), "OK\n");
    EXPECT_EQ(kv_test_cli(primary->port(), {"SET", "b", "two", "EX", "1000"}), "OK\n");
    EXPECT_EQ(kv_test_cli(primary->port(), {"INCRBY", "c", "5"}), "5\n");
    EXPECT_EQ(kv_test_cli(primary->port(), {"APPEND", "a", "x"}), "2\n");
    std::string got;
    for (int waited = 0; waited < 10000 && got != "1x\ntwo\n5\n"; waited += 20, usleep(20 * 1000))
        got = kv_test_cli(bport, {"MGET", "a", "b", "c"});
    EXPECT_EQ(got, "1x\ntwo\n5\n");
    long long ttl = atoll(kv_test_cli(bport, {"TTL", "b"}).c_str());
    EXPECT_GE(ttl, 998);
    EXPECT_LE(ttl, 1000);
    EXPECT_EQ(kv_test_info(primary->port(), "backup_errors"), 0);
    EXPECT_EQ(primary->stop(), 0) << primary->log();
    expect_clean_log(*primary);
    kill(redis, SIGTERM);
    int status = 0;
    waitpid(redis, &status, 0);
    gr_test_rmtree(dir);
}

} // namespace
