#!/usr/bin/env python3
"""http_tool.py - small HTTP/1.1 clients for bench/http_bench.sh.

  http_tool.py check PORT [DEPTH]
      One keep-alive connection: a single GET, then DEPTH (16) GETs with
      distinct paths sent in one write. Every reply must be a complete
      `200` with body `Hello, World!` framed by Content-Length; exactly
      1 + DEPTH replies must come back, and no byte more. Exit 0 if so.

  http_tool.py idle PORT COUNT [HOLD_S]
      Opens COUNT keep-alive connections (in batches of 500), sends
      `GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n` on each and reads the whole
      reply, then leaves them idle. Prints `READY COUNT` once all replies
      are in, then holds the connections for HOLD_S (120) seconds or until
      killed. Raises RLIMIT_NOFILE.
"""
import errno
import resource
import selectors
import socket
import sys
import time

BODY = b"Hello, World!"


def parse_replies(buf):
    """Complete replies at the start of buf: (list of (status, body), rest)."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        head = buf[:end].decode("latin-1").split("\r\n")
        parts = head[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ValueError("bad status line %r" % head[0])
        length = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
            elif name.strip().lower() == "transfer-encoding":
                raise ValueError("unexpected Transfer-Encoding")
        if length is None:
            raise ValueError("reply without Content-Length")
        if len(buf) < end + 4 + length:
            return out, buf
        out.append((int(parts[1]), buf[end + 4:end + 4 + length]))
        buf = buf[end + 4 + length:]


def check(port, depth):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    want = 1 + depth
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    buf, got = b"", []
    deadline = time.time() + 5
    while len(got) < 1 and time.time() < deadline:
        data = s.recv(65536)
        if not data:
            break
        buf += data
        r, buf = parse_replies(buf)
        got += r
    reqs = b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(1, depth + 1))
    s.sendall(reqs)  # one write: DEPTH pipelined requests
    while len(got) < want and time.time() < deadline:
        data = s.recv(65536)
        if not data:
            break
        buf += data
        r, buf = parse_replies(buf)
        got += r
    # nothing more may follow
    s.settimeout(0.3)
    try:
        extra = s.recv(65536)
    except socket.timeout:
        extra = b""
    buf += extra
    s.close()
    bad = [i for i, (st, body) in enumerate(got) if st != 200 or body != BODY]
    if len(got) != want or bad or buf:
        print("FAIL: %d of %d replies, bad %s, %d stray bytes" % (len(got), want, bad, len(buf)))
        return 1
    print("OK: 1 + %d pipelined replies, each 200 %r, framed by Content-Length, nothing more"
          % (depth, BODY.decode()))
    return 0


def idle(port, count, hold):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = count + 100
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard) if hard != resource.RLIM_INFINITY else need, hard))
    req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    sel = selectors.DefaultSelector()
    conns = []
    pending = {}
    batch = 500
    deadline = time.time() + 60
    opened = 0
    while opened < count or pending:
        if time.time() > deadline:
            print("FAIL: timeout with %d open, %d pending" % (opened, len(pending)), flush=True)
            return 1
        while opened < count and len(pending) < batch:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex(("127.0.0.1", port))
            if rc not in (0, errno.EINPROGRESS):
                print("FAIL: connect #%d: %s" % (opened, errno.errorcode.get(rc, rc)), flush=True)
                return 1
            pending[s] = [b"", False]  # reply bytes, request sent
            sel.register(s, selectors.EVENT_WRITE)
            conns.append(s)
            opened += 1
        for key, ev in sel.select(timeout=1.0):
            s = key.fileobj
            st = pending[s]
            if not st[1]:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    print("FAIL: connect: %s" % errno.errorcode.get(err, err), flush=True)
                    return 1
                s.send(req)  # 26 bytes: fits any fresh socket buffer
                st[1] = True
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            if not data:
                print("FAIL: server closed a connection", flush=True)
                return 1
            st[0] += data
            r, rest = parse_replies(st[0])
            if r:
                if r[0][0] != 200 or rest:
                    print("FAIL: reply %d, %d stray bytes" % (r[0][0], len(rest)), flush=True)
                    return 1
                sel.unregister(s)
                del pending[s]
    print("READY %d" % len(conns), flush=True)
    time.sleep(hold)  # hold them idle; the caller kills us when done
    for s in conns:
        s.close()
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "check":
        return check(int(argv[2]), int(argv[3]) if len(argv) > 3 else 16)
    if len(argv) >= 4 and argv[1] == "idle":
        return idle(int(argv[2]), int(argv[3]), float(argv[4]) if len(argv) > 4 else 120.0)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
