#!/usr/bin/env python3
"""soak_clients.py - the client side of scripts/soak.sh: loads that verify
what they get back, and clients that misbehave. Loopback only, every loop
bounded by --duration; each subcommand ends with one line

    RESULT <name> key=value ... errors=N

and exits 0 when errors is 0, 1 otherwise.

  http     keep-alive HTTP connections, pipelined; every reply is matched to
           its request (GET /debug/request?c=CONN&s=SEQ on the demo module):
           a reply lost, duplicated or out of order is an error
  chaos    clients that disconnect mid-request (some with a reset), send
           garbage (HTTP: must get a 4xx and a close; echo: must get the
           bytes back), stall in a request head (must be closed after
           http.header_timeout) or read their replies late (all must come)
  storm    open --count connections at once and hold them (more than the
           server's descriptor limit); reports how many got through
  noread   send echo requests without ever reading a reply; reports the
           bytes the server took before it stopped reading or closed
"""
import argparse
import os
import random
import re
import resource
import selectors
import socket
import struct
import sys
import threading
import time

HOST = '127.0.0.1'


def result(name, errors, **kv):
    fields = ' '.join('%s=%s' % (k, v) for k, v in kv.items())
    print('RESULT %s %s errors=%d' % (name, fields, errors), flush=True)
    return 0 if errors == 0 else 1


def connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def reset_close(s):
    """Close with a reset (SO_LINGER 0), as a client that crashed."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    except OSError:
        pass
    s.close()


# ---- http: verified keep-alive load -----------------------------------------

HEAD_END = b'\r\n\r\n'
CL_RE = re.compile(rb'\r\ncontent-length: *(\d+)\r\n', re.I)


class HttpConn:
    """One keep-alive connection with up to depth requests in flight."""

    def __init__(self, port, cid, depth):
        self.cid, self.depth = cid, depth
        self.sock = connect(port)
        self.sock.setblocking(False)
        self.next_seq = 0      # next request to send
        self.want_seq = 0      # next reply expected
        self.out = b''
        self.inbuf = b''

    def fill(self):
        while self.next_seq - self.want_seq < self.depth:
            self.out += (b'GET /debug/request?c=%d&s=%d HTTP/1.1\r\nHost: soak\r\n\r\n'
                         % (self.cid, self.next_seq))
            self.next_seq += 1

    def replies(self):
        """The complete replies received so far, taken from inbuf."""
        out, self.inbuf = split_replies(self.inbuf)
        return out


def cmd_http(a):
    deadline = time.monotonic() + a.duration
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(a.conns):
        c = HttpConn(a.port, i, a.depth)
        c.fill()
        conns.append(c)
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    done = errors = 0
    last_progress = time.monotonic()
    stopping = False
    while conns:
        now = time.monotonic()
        if now >= deadline:
            stopping = True  # no new requests; collect the ones in flight
        if now - last_progress > a.timeout:
            print('http: no reply for %.0f s' % a.timeout, file=sys.stderr)
            errors += sum(c.next_seq - c.want_seq for c in conns)
            break
        for key, ev in sel.select(timeout=0.5):
            c = key.data
            if ev & selectors.EVENT_WRITE and c.out:
                try:
                    n = c.sock.send(c.out)
                    c.out = c.out[n:]
                except BlockingIOError:
                    pass
                except OSError as e:
                    print('http: conn %d: send: %s' % (c.cid, e), file=sys.stderr)
                    errors += 1
            if ev & selectors.EVENT_READ:
                try:
                    data = c.sock.recv(65536)
                except BlockingIOError:
                    data = None
                except OSError as e:
                    print('http: conn %d: recv: %s' % (c.cid, e), file=sys.stderr)
                    data = b''
                if data == b'':
                    print('http: conn %d closed by the server with %d replies owed'
                          % (c.cid, c.next_seq - c.want_seq), file=sys.stderr)
                    errors += 1 + (c.next_seq - c.want_seq)
                    sel.unregister(c.sock)
                    c.sock.close()
                    conns.remove(c)
                    continue
                if data:
                    c.inbuf += data
                    for head, body in c.replies():
                        want = b'query: c=%d\nquery: s=%d\n' % (c.cid, c.want_seq)
                        if not head.startswith(b'HTTP/1.1 200 ') or want not in body:
                            print('http: conn %d: reply %d does not match: %r'
                                  % (c.cid, c.want_seq, (head + body)[:200]), file=sys.stderr)
                            errors += 1
                        c.want_seq += 1
                        done += 1
                        last_progress = time.monotonic()
            if not stopping:
                c.fill()
            if c.want_seq == c.next_seq and stopping:
                sel.unregister(c.sock)
                c.sock.close()
                conns.remove(c)
                continue
            sel.modify(c.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if c.out else 0), c)
    return result('http', errors, conns=a.conns, depth=a.depth, requests=done)


# ---- chaos: misbehaving clients ---------------------------------------------

class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n


def read_until_close(s, limit_s):
    """Everything the peer sends until it closes (or resets); None when it
    is still open after limit_s seconds."""
    s.settimeout(0.5)
    data = b''
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data
        if not d:
            return data
        data += d
    return None


POST = (b'POST /debug/request HTTP/1.1\r\nHost: soak\r\nContent-Type: application/x-www-form-urlencoded\r\n'
        b'Content-Length: 40\r\n\r\nname=value&other=' + b'x' * 23)


def chaos_disconnect(a, cnt, deadline, rnd):
    """Half a request (HTTP or echo), then gone: a close or a reset."""
    while time.monotonic() < deadline:
        try:
            http = rnd.random() < 0.7
            s = connect(a.http_port if http else a.tcp_port)
            data = POST if http else os.urandom(rnd.randint(1, 4096))
            s.sendall(data[:rnd.randint(1, len(data) - 1)] if len(data) > 1 else data)
            if rnd.random() < 0.3:
                time.sleep(rnd.random() * 0.05)
            (reset_close if rnd.random() < 0.5 else socket.socket.close)(s)
            cnt.add('disconnects')
        except OSError as e:
            cnt.add('errors')
            print('chaos: disconnect: %s' % e, file=sys.stderr)
            time.sleep(0.1)
        time.sleep(0.002)


def chaos_garbage(a, cnt, deadline, rnd):
    """Garbage: the HTTP listener answers 4xx and closes; the echo
    listener (the demo module) sends the bytes back."""
    while time.monotonic() < deadline:
        try:
            if rnd.random() < 0.5:
                s = connect(a.http_port)
                junk = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 300)))
                if not junk.strip(b'\r\n'):
                    # Only CR and LF: blank lines a server skips before a
                    # request (RFC 7230 3.5), so no answer is due; a stalled
                    # head is closed silently after http.header_timeout.
                    junk = b'\x01' + junk
                if rnd.random() < 0.3:
                    junk = b'GET /' + junk  # garbage inside a request line
                s.sendall(junk + b'\r\n\r\n')
                got = read_until_close(s, 12)
                s.close()
                if got is None or not re.match(rb'HTTP/1\.1 4\d\d ', got):
                    cnt.add('errors')
                    print('chaos: garbage to HTTP got %r' % (got[:80] if got else got), file=sys.stderr)
                else:
                    cnt.add('garbage_http')
            else:
                s = connect(a.tcp_port)
                junk = os.urandom(rnd.randint(1, 8192))
                s.sendall(junk)
                s.settimeout(5)
                got = b''
                while len(got) < len(junk):
                    d = s.recv(65536)
                    if not d:
                        break
                    got += d
                s.close()
                if got != junk:
                    cnt.add('errors')
                    print('chaos: echo of %d garbage bytes came back as %d bytes' % (len(junk), len(got)),
                          file=sys.stderr)
                else:
                    cnt.add('garbage_echo')
        except OSError as e:
            cnt.add('errors')
            print('chaos: garbage: %s' % e, file=sys.stderr)
            time.sleep(0.1)
        time.sleep(0.005)


def chaos_stall(a, cnt, deadline, rnd):
    """A request head begun and never finished: the server must close it
    within http.header_timeout (plus its once-a-second sweep)."""
    while time.monotonic() < deadline - a.header_timeout - 3:
        try:
            s = connect(a.http_port)
            s.sendall(b'GET /stall HTTP/1.1\r\nHost: soak\r\nX-Slow: ')
            t0 = time.monotonic()
            got = read_until_close(s, a.header_timeout + 4)
            s.close()
            took = time.monotonic() - t0
            if got is None:
                cnt.add('errors')
                print('chaos: a stalled head still open after %.1f s' % took, file=sys.stderr)
            else:
                cnt.add('stalls_closed')
        except OSError as e:
            cnt.add('errors')
            print('chaos: stall: %s' % e, file=sys.stderr)
            time.sleep(0.1)


def chaos_idle_echo(a, cnt, deadline, rnd):
    """Echo connections that go quiet for a while, then must still work."""
    while time.monotonic() < deadline - 2:
        try:
            s = connect(a.tcp_port)
            time.sleep(min(rnd.uniform(1, 5), max(0.0, deadline - time.monotonic() - 1)))
            s.sendall(b'still here')
            s.settimeout(5)
            got = b''
            while len(got) < 10:
                d = s.recv(100)
                if not d:
                    break
                got += d
            s.close()
            if got != b'still here':
                cnt.add('errors')
                print('chaos: idle echo connection answered %r' % got, file=sys.stderr)
            else:
                cnt.add('idle_echo')
        except OSError as e:
            cnt.add('errors')
            print('chaos: idle: %s' % e, file=sys.stderr)
            time.sleep(0.1)


def split_replies(buf):
    """Complete HTTP replies at the start of buf (framed by Content-Length):
    ([(head, body), ...], the rest)."""
    out = []
    while True:
        end = buf.find(HEAD_END)
        if end < 0:
            break
        m = CL_RE.search(buf[:end + 2])
        total = end + 4 + (int(m.group(1)) if m else 0)
        if len(buf) < total:
            break
        out.append((buf[:end + 2], buf[end + 4:total]))
        buf = buf[total:]
    return out, buf


def chaos_late_reader(a, cnt, deadline, rnd):
    """Many pipelined requests, replies read only after a pause: all must
    come, in order."""
    n = 200
    while time.monotonic() < deadline - 3:
        try:
            s = connect(a.http_port)
            s.sendall(b''.join(b'GET /debug/request?s=%d HTTP/1.1\r\nHost: soak\r\n\r\n' % i for i in range(n)))
            time.sleep(rnd.uniform(0.2, 2))
            s.settimeout(10)
            buf, seq, bad = b'', 0, False
            while seq < n and not bad:
                d = s.recv(65536)
                if not d:
                    break
                replies, buf = split_replies(buf + d)
                for head, body in replies:
                    if not head.startswith(b'HTTP/1.1 200 ') or (b'query: s=%d\n' % seq) not in body:
                        bad = True
                        break
                    seq += 1
            s.close()
            if seq != n:
                cnt.add('errors')
                print('chaos: late reader got %d of %d replies in order' % (seq, n), file=sys.stderr)
            else:
                cnt.add('late_readers')
        except OSError as e:
            cnt.add('errors')
            print('chaos: late reader: %s' % e, file=sys.stderr)
            time.sleep(0.1)


def cmd_chaos(a):
    deadline = time.monotonic() + a.duration
    cnt = Counts()
    kinds = [chaos_disconnect, chaos_garbage, chaos_stall, chaos_stall, chaos_idle_echo, chaos_late_reader]
    threads = [threading.Thread(target=k, args=(a, cnt, deadline, random.Random(a.seed + i)), daemon=True)
               for i, k in enumerate(kinds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.duration + a.header_timeout + 30)
    c = dict(cnt.c)
    errors = c.pop('errors', 0)
    if any(t.is_alive() for t in threads):
        print('chaos: a client thread did not finish', file=sys.stderr)
        errors += 1
    keys = ['disconnects', 'garbage_http', 'garbage_echo', 'stalls_closed', 'idle_echo', 'late_readers']
    return result('chaos', errors, **{k: c.get(k, 0) for k in keys})


# ---- storm: more connections than the server has descriptors --------------------

def cmd_storm(a):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    socks = []
    refused = 0
    t0 = time.monotonic()
    for _ in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((HOST, a.port))
        except BlockingIOError:
            pass
        except OSError:
            refused += 1
            s.close()
            continue
        socks.append(s)
    # Wait for the handshakes (connections past the backlog may never finish).
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE)
    connected = 0
    end = time.monotonic() + 5
    while time.monotonic() < end and len(sel.get_map()):
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            sel.unregister(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
    print('storm: %d connections open (%d refused) after %.1f s; holding %.0f s'
          % (connected, refused, time.monotonic() - t0, a.hold), flush=True)
    # The driver measures the server meanwhile (signal: the line above).
    time.sleep(a.hold)
    for s in socks:
        s.close()
    return result('storm', 0, asked=a.count, connected=connected, refused=refused)


# ---- noread: a client that never reads its replies ------------------------------

def cmd_noread(a):
    s = connect(a.port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.setblocking(False)
    chunk = os.urandom(65536)
    sent = 0
    closed_by_server = False
    last_progress = t0 = time.monotonic()
    deadline = t0 + a.duration
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_WRITE)
    while time.monotonic() < deadline:
        if not sel.select(timeout=0.2):
            continue
        try:
            n = s.send(chunk)
            sent += n
            last_progress = time.monotonic()
        except BlockingIOError:
            pass
        except OSError:
            closed_by_server = True
            break
    stalled_for = time.monotonic() - last_progress
    reset_close(s)
    print('noread: sent %d bytes in %.1f s; %s' % (sent, time.monotonic() - t0,
          'closed by the server' if closed_by_server else
          'the server stopped reading %.1f s before the end' % stalled_for), flush=True)
    return result('noread', 0, sent=sent, closed_by_server=int(closed_by_server),
                  stalled_s='%.1f' % stalled_for)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    h = sub.add_parser('http')
    h.add_argument('--port', type=int, required=True)
    h.add_argument('--conns', type=int, default=8)
    h.add_argument('--depth', type=int, default=4)
    h.add_argument('--duration', type=float, required=True)
    h.add_argument('--timeout', type=float, default=30)
    c = sub.add_parser('chaos')
    c.add_argument('--tcp-port', type=int, required=True)
    c.add_argument('--http-port', type=int, required=True)
    c.add_argument('--duration', type=float, required=True)
    c.add_argument('--header-timeout', type=float, default=10)
    c.add_argument('--seed', type=int, default=1)
    s = sub.add_parser('storm')
    s.add_argument('--port', type=int, required=True)
    s.add_argument('--count', type=int, required=True)
    s.add_argument('--hold', type=float, default=5)
    n = sub.add_parser('noread')
    n.add_argument('--port', type=int, required=True)
    n.add_argument('--duration', type=float, required=True)
    a = p.parse_args()
    return {'http': cmd_http, 'chaos': cmd_chaos, 'storm': cmd_storm, 'noread': cmd_noread}[a.cmd](a)


if __name__ == '__main__':
    sys.exit(main())
