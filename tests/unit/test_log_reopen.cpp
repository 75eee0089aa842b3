/* test_log_reopen.cpp - the process log: lines whole and in one piece while other
 * threads log, also while the file is reopened (logrotate) or switched;
 * a failed open keeps the old log. Run under TSan by scripts/test.sh: a
 * descriptor closed while a thread still writes to it would be reported. */
#include <gtest/gtest.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gr_log.h"
#include "gr_test_util.h"

namespace {

std::string slurp(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string temp_dir()
{
    return gr_test_mkdtemp("grocket-log-");
}

/* Every line of text, checked for the "YYYY-MM-DD hh:mm:ss.mmm [LEVEL] "
 * prefix; counts of each message. */
void count_lines(const std::string &text, std::vector<int> *seen, int threads, int per_thread, int *malformed)
{
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() < 32 || line[4] != '-' || line[23] != ' ' || line.compare(24, 7, "[INFO] ") != 0) {
            ++*malformed;
            continue;
        }
        int t = -1, n = -1;
        char tail[8] = "";
        if (sscanf(line.c_str() + 31, "t%d n%d %7s", &t, &n, tail) == 3 && t >= 0 && t < threads && n >= 0 &&
            n < per_thread && strcmp(tail, "end") == 0)
            (*seen)[(size_t)(t * per_thread + n)]++;
        else if (line.find(" t") != std::string::npos)
            ++*malformed;
    }
}

TEST(LogReopen, ReopenWhileThreadsLogLosesAndTearsNothing)
{
    std::string dir = temp_dir(), path = dir + "/g.log";
    ASSERT_EQ(0, gr_log_open(path.c_str()));
    /* The threads log until every rotation is done, so each rotation
     * happens while they write. */
    const int kThreads = 4, kMax = 200000, kRotations = 20;
    std::atomic<bool> stop{false};
    std::vector<int> counts(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++)
        threads.emplace_back([t, &stop, &counts] {
            int n = 0;
            for (; n < kMax && (n < 100 || !stop.load()); n++)
                gr_log(GR_LOG_INFO, "t%d n%d end", t, n);
            counts[(size_t)t] = n;
        });
    std::vector<std::string> files;
    for (int r = 0; r < kRotations; r++) {
        std::string old = path + "." + std::to_string(r);
        ASSERT_EQ(0, rename(path.c_str(), old.c_str()));
        files.push_back(old);
        ASSERT_EQ(0, gr_log_reopen());
        usleep(1000);
    }
    stop = true;
    for (auto &th : threads)
        th.join();
    gr_log_close();
    files.push_back(path);

    std::vector<int> seen((size_t)(kThreads * kMax), 0);
    int malformed = 0, rotated_with_lines = 0;
    for (const auto &f : files) {
        std::string text = slurp(f);
        rotated_with_lines += text.find(" end\n") != std::string::npos;
        count_lines(text, &seen, kThreads, kMax, &malformed);
    }
    EXPECT_EQ(0, malformed);
    for (int t = 0; t < kThreads; t++)
        for (int n = 0; n < kMax; n++)
            ASSERT_EQ(n < counts[(size_t)t] ? 1 : 0, seen[(size_t)(t * kMax + n)]) << "line t" << t << " n" << n;
    EXPECT_GE(rotated_with_lines, 3) << "the rotations did not happen while the threads logged";
    for (const auto &f : files)
        unlink(f.c_str());
    rmdir(dir.c_str());
}

TEST(LogReopen, SwitchingFilesWhileThreadsLog)
{
    std::string dir = temp_dir(), a = dir + "/a.log", b = dir + "/b.log";
    const int kThreads = 3, kPer = 2000;
    std::atomic<int> running{kThreads};
    std::vector<std::thread> threads;
    ASSERT_EQ(0, gr_log_open(a.c_str()));
    for (int t = 0; t < kThreads; t++)
        threads.emplace_back([t, &running] {
            for (int n = 0; n < kPer; n++)
                gr_log(GR_LOG_INFO, "t%d n%d end", t, n);
            running--;
        });
    for (int i = 0; running.load() > 0 && i < 200; i++) {
        ASSERT_EQ(0, gr_log_open(i % 2 ? a.c_str() : b.c_str()));
        usleep(200);
    }
    for (auto &th : threads)
        th.join();
    ASSERT_EQ(0, gr_log_open(a.c_str()));
    gr_log_close(); /* back to stderr */
    std::vector<int> seen((size_t)(kThreads * kPer), 0);
    int malformed = 0;
    count_lines(slurp(a) + slurp(b), &seen, kThreads, kPer, &malformed);
    EXPECT_EQ(0, malformed);
    for (size_t i = 0; i < seen.size(); i++)
        ASSERT_EQ(1, seen[i]) << i;
    unlink(a.c_str());
    unlink(b.c_str());
    rmdir(dir.c_str());
}

TEST(LogReopen, FailedOpenOrReopenKeepsTheOldFile)
{
    std::string dir = temp_dir(), path = dir + "/g.log";
    ASSERT_EQ(0, gr_log_open(path.c_str()));
    char buf[4096];
    EXPECT_EQ(path, gr_log_path(buf, sizeof buf));
    EXPECT_EQ(-ENOENT, gr_log_open("/nonexistent/dir/g.log"));
    gr_log(GR_LOG_INFO, "still here 1");
    /* The directory goes: the file cannot be created again. */
    std::string moved = dir + ".moved";
    ASSERT_EQ(0, rename(dir.c_str(), moved.c_str()));
    EXPECT_EQ(-ENOENT, gr_log_reopen());
    gr_log(GR_LOG_INFO, "still here 2");
    gr_log_close();
    EXPECT_STREQ("", gr_log_path(buf, sizeof buf));
    EXPECT_EQ(0, gr_log_reopen()); /* nothing to reopen on stderr */
    std::string text = slurp(moved + "/g.log");
    EXPECT_NE(std::string::npos, text.find("still here 1")) << text;
    EXPECT_NE(std::string::npos, text.find("still here 2")) << text;
    unlink((moved + "/g.log").c_str());
    rmdir(moved.c_str());
}

} // namespace
