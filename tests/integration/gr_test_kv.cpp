/* gr_test_kv.cpp - gr_test_kv.h. */
#include "gr_test_kv.h"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <sstream>

#include "gr_test_server.h"
#include "gr_test_util.h"

std::string gr_test_find_tool(const char *name)
{
    const char *path = getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        std::string p = dir + "/" + name;
        if (!dir.empty() && access(p.c_str(), X_OK) == 0)
            return p;
    }
    return "";
}

std::string kv_test_python()
{
    for (const std::string &py : {std::string("/usr/bin/python3"), gr_test_find_tool("python3")}) {
        if (!py.empty() && access(py.c_str(), X_OK) == 0 && gr_test_run({py, "-c", "import redis"}, 30).status == 0)
            return py;
    }
    return "";
}

std::string kv_test_script(const char *name) { return std::string(GR_TEST_SOURCE_DIR) + "/tests/kv/" + name; }

std::string kv_test_cmd(const std::vector<std::string> &args)
{
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto &a : args)
        out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return out;
}

std::string kv_test_read_line(int fd)
{
    std::string out;
    while (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) {
        std::string c = gr_test_recv(fd, 1);
        if (c.empty())
            return out + "<closed>";
        out += c;
    }
    return out;
}

std::string kv_test_cli(int port, const std::vector<std::string> &args)
{
    std::vector<std::string> argv = {gr_test_find_tool("redis-cli"), "-h", "127.0.0.1", "-p", std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    gr_test_run_t r = gr_test_run(argv, 60);
    EXPECT_EQ(r.status, 0) << r.output;
    return r.output;
}

std::string kv_test_info_text(int port, const std::string &field)
{
    int fd = gr_test_connect("127.0.0.1", port);
    if (fd < 0)
        return "";
    gr_test_send(fd, kv_test_cmd({"INFO", "everything"}));
    std::string head = kv_test_read_line(fd);
    long long n = atoll(head.c_str() + 1);
    std::string body = n > 0 ? gr_test_recv(fd, (size_t)n + 2) : "";
    gr_test_close(fd);
    size_t at = body.find("\r\n" + field + ":");
    if (at == std::string::npos)
        return "";
    at += field.size() + 3;
    return body.substr(at, body.find("\r\n", at) - at);
}

long long kv_test_info(int port, const std::string &field)
{
    std::string v = kv_test_info_text(port, field);
    return v.empty() ? -1 : atoll(v.c_str());
}

long long kv_test_int(int fd, const std::vector<std::string> &args)
{
    gr_test_send(fd, kv_test_cmd(args));
    std::string l = kv_test_read_line(fd);
    return l[0] == ':' ? atoll(l.c_str() + 1) : -1000000;
}
