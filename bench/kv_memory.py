#!/usr/bin/env python3
"""kv_memory.py PID PORT [KEYS] - memory per key of a Redis-protocol server.

Writes KEYS (default 1,000,000) keys "key:%012d" (16 bytes) with 16-byte
values through one pipelined connection, and prints the growth of the
server's resident set (VmRSS of /proc/PID/status) and of INFO's
used_memory, each per key. Run it against grocketd with conf/kv.ini and
against redis-server (--save '' --appendonly no), each freshly started.
Linux only (reads /proc)."""
import socket
import sys


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def command(s, f, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    return read(f)


def read(f):
    line = f.readline()
    if line[:1] == b"$":
        n = int(line[1:])
        return f.read(n + 2)[:-2] if n >= 0 else None
    return line


def used_memory(s, f):
    info = command(s, f, b"INFO", b"memory").decode()
    for line in info.split("\r\n"):
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return 0


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    keys = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    rss0, used0 = rss(pid), used_memory(s, f)
    value = b"v" * 16
    batch = 1000
    for start in range(0, keys, batch):
        req = b"".join(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\n%s\r\n" % (i, value)
                       for i in range(start, min(start + batch, keys)))
        s.sendall(req)
        for _ in range(start, min(start + batch, keys)):
            f.readline()
    rss1, used1 = rss(pid), used_memory(s, f)
    print("keys %d: rss +%d bytes (%.1f per key), used_memory +%d bytes (%.1f per key), used/rss %.3f"
          % (keys, rss1 - rss0, (rss1 - rss0) / keys, used1 - used0, (used1 - used0) / keys,
             (used1 - used0) / max(rss1 - rss0, 1)))


if __name__ == "__main__":
    main()
