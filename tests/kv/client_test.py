#!/usr/bin/env python3
"""client_test.py PORT - Python's redis package (Debian's python3-redis)
against grocketd's kv module: round trips, pipelines, expiry, counters,
INFO. Exit 0 when every check holds; exit 77 when the package is missing
(the caller skips)."""
import sys
import time

try:
    import redis
except ImportError:
    sys.exit(77)


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


def main():
    r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_timeout=10)
    check(r.ping() is True, "ping")
    r.flushall()
    check(r.set("greeting", "hello") is True, "set")
    check(r.get("greeting") == b"hello", "get")
    check(r.get("missing") is None, "get missing")
    check(r.set("greeting", "x", nx=True) is None, "set nx on an existing key")
    check(r.set("fresh", "x", xx=True) is None, "set xx on a missing key")
    check(r.append("greeting", ", world") == 12, "append")
    check(r.strlen("greeting") == 12, "strlen")
    check(r.incr("n") == 1 and r.incrby("n", 41) == 42 and r.decr("n") == 41 and r.decrby("n", 1) == 40, "incr family")
    try:
        r.incr("greeting")
        check(False, "incr of a non-integer must fail")
    except redis.ResponseError as e:
        check(str(e) == "value is not an integer or out of range", "incr error text: %s" % e)
    check(r.mset({"a": "1", "b": "2"}) is True, "mset")
    check(r.mget(["a", "missing", "b"]) == [b"1", None, b"2"], "mget")
    check(r.exists("a", "b", "missing") == 2, "exists")
    check(r.delete("a", "missing") == 1, "del")
    # Binary-safe values.
    blob = bytes(range(256)) * 4
    r.set("blob", blob)
    check(r.get("blob") == blob, "binary value")
    # Pipelines, with and without MULTI (kv has no MULTI: transaction=False).
    p = r.pipeline(transaction=False)
    for i in range(1000):
        p.set("p%d" % i, i)
    for i in range(1000):
        p.get("p%d" % i)
    out = p.execute()
    check(out[:1000] == [True] * 1000, "pipelined sets")
    check(out[1000:] == [str(i).encode() for i in range(1000)], "pipelined gets")
    # Expiry.
    check(r.set("short", "v", px=150) is True, "set px")
    pttl = r.pttl("short")
    check(0 < pttl <= 150, "pttl %s" % pttl)
    check(r.set("long", "v", ex=100) is True and r.ttl("long") == 100, "set ex / ttl")
    check(r.expire("greeting", 100) is True and r.ttl("greeting") == 100, "expire")
    check(r.persist("greeting") is True and r.ttl("greeting") == -1, "persist")
    check(r.ttl("missing") == -2, "ttl of a missing key")
    time.sleep(0.3)
    check(r.get("short") is None, "expired key")
    check(r.exists("short") == 0, "expired key does not exist")
    # INFO and DBSIZE.
    info = r.info()
    for key in ("redis_version", "used_memory", "maxmemory", "total_commands_processed", "keyspace_hits",
                "keyspace_misses", "connected_clients"):
        check(key in info, "INFO has %s" % key)
    check(info["db0"]["keys"] == r.dbsize(), "INFO keyspace agrees with DBSIZE")
    check(r.dbsize() == 1000 + 5, "dbsize %d" % r.dbsize())  # p0..p999, greeting, n, b, blob, long
    check(r.flushdb() is True and r.dbsize() == 0, "flushdb")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
