#!/usr/bin/env python3
"""gen_corpus.py - write the seed corpora of the fuzz targets into
fuzz/corpus/<target>/ (committed; run again after changing a seed).

Seeds are small and each stands for one thing the target must handle: a
valid request of each kind, pipelining, chunked bodies, every limit, the
framing tricks the HTTP glue refuses, and for module framing each kind of
check() answer. libFuzzer adds what it finds to a working copy
(scripts/fuzz.sh), not to these directories."""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))

# ---- fuzz_http: 8-byte header, then the client's bytes ----------------------
# [0] max_header_size = 256 + 32*b  [1] max_headers = 1 + b%64
# [2] max_body_size = b*b           [3] module flags  [4] largest read 1+b*b
# [5..7] seed of the read sizes
BODY_TEXT, BODY_ECHO, BODY_ALLOC, BODY_NONE = 0, 1, 2, 3
STATUS, HEADERS, CLOSE, WORKER, PARTIAL = 4, 8, 16, 32, 64


def http(name, stream, hdr=248, nhdr=63, body=255, flags=0, read=255, seed=1):
    head = bytes([hdr, nhdr, body, flags, read]) + struct.pack('<I', seed)[:3]
    return name, head + stream


GET = b'GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1.0\r\n\r\n'
POST = b'POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world'
CLOSE_REQ = b'GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'
CHUNKED = (b'POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
           b'5;name=value\r\nhello\r\n1\r\n \r\nA;a=b;c\r\nworld, and\r\n'
           b'0\r\nTrailer-A: 1\r\n\r\n')

HTTP_SEEDS = [
    http('get', GET),
    http('get_bytewise', GET, read=0),
    http('pipelined', GET + POST + CLOSE_REQ, flags=BODY_ECHO, read=7, seed=99),
    http('pipelined_worker', GET + POST + GET, flags=BODY_ECHO | WORKER | PARTIAL, read=3, seed=5),
    http('chunked', CHUNKED, flags=BODY_ECHO),
    http('chunked_slow', CHUNKED + GET, flags=BODY_ECHO | WORKER, read=2, seed=7),
    http('expect_continue', b'PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n'
         b'Content-Length: 4\r\n\r\nbody', flags=BODY_ECHO, read=6, seed=3),
    http('http10_keepalive', b'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n'),
    http('head', b'HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n'),
    http('query_status_headers', b'GET /a%20b?s=201&X-Note=yes&bad%0D%0AName=1&Set%3A=2&v=a%0Ab HTTP/1.1\r\n'
         b'Host: h\r\n\r\n', flags=STATUS | HEADERS),
    http('status_bad', b'GET /?s=42 HTTP/1.1\r\nHost: h\r\n\r\nGET /?s=999 HTTP/1.1\r\nHost: h\r\n\r\n',
         flags=STATUS | BODY_NONE),
    http('content_type_set', b'GET /?Content-Type=text/html HTTP/1.1\r\nHost: h\r\n\r\n', flags=HEADERS),
    http('form', b'POST /form?a=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n'
         b'Content-Length: 27\r\n\r\nname=gr+rocket&x=%41%4&empty', flags=BODY_ALLOC),
    http('absolute_form', b'GET http://example.com:80/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n'
         b'GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n'),
    http('options_star', b'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n'),
    http('module_close', GET + GET, flags=CLOSE),
    http('connect', b'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n'),
    # http-parser reads no body for CONNECT: the "body" must never be served
    http('connect_with_body', b'CONNECT h:443 HTTP/1.1\r\nHost: h\r\nContent-Length: 27\r\n\r\n'
         b'GET /smuggled HTTP/1.1\r\n\r\n', read=3),
    http('no_host', b'GET / HTTP/1.1\r\n\r\n'),
    http('two_hosts', b'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'),
    # limits
    http('limit_head', b'GET / HTTP/1.1\r\nHost: h\r\nX-Long: ' + b'a' * 300 + b'\r\n\r\n', hdr=0),
    http('limit_head_slow', b'GET / HTTP/1.1\r\nHost: h\r\nX-Long: ' + b'a' * 300, hdr=0, read=4),
    http('limit_headers', b'GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n', nhdr=1),
    http('limit_body_cl', b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n' + b'b' * 101, body=10),
    http('limit_body_chunked', b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'
         b'40\r\n' + b'c' * 64 + b'\r\n40\r\n' + b'c' * 64 + b'\r\n0\r\n\r\n', body=10),
    http('limit_chunk_ext', b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'
         b'1;' + b'e' * 400 + b'\r\nx\r\n0\r\n\r\n', hdr=0),
    http('limit_trailers', b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'
         b'0\r\nT: ' + b't' * 400 + b'\r\n\r\n', hdr=0),
    # framing the glue refuses
    http('cl_and_te', b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'
         b'0\r\n\r\n'),
    http('two_cl', b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx'),
    http('cl_space_name', b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 1\r\n\r\nx'),
    http('bad_cl', b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\nx'),
    http('te_gzip_chunked', b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'),
    http('bare_cr', b'GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n'),
    http('obs_fold', b'GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n'),
    http('lf_only', b'GET / HTTP/1.1\nHost: h\n\nGET /2 HTTP/1.1\nHost: h\n\n'),
    http('chunk_lf_in_ext', b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'
         b'3;a\nb\r\nxyz\r\n0\r\n\r\n', flags=BODY_ECHO),
    http('chunk_no_crlf', b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'
         b'3\r\nxyzXY0\r\n\r\n'),
    http('http09', b'GET /\r\n\r\n'),
    http('version_2', b'GET / HTTP/2.0\r\nHost: h\r\n\r\n'),
    http('garbage', bytes(range(256))),
]

# ---- fuzz_framing: a header, then the client's bytes ------------------------
# [0] bit0: worker (not inline); bit1: tcp_out on  [1] largest write 1+b*b
# [2..3] seed of the write sizes. The stream is packages the fake module's
# check() reads as: op byte, then a 4-byte little-endian value:
OP_LEN, OP_NEED_MORE, OP_BAD, OP_CLAIM, OP_ALL, OP_CLOSE, OP_BIG_REPLY = range(7)


def framing(name, stream, mode=0, write=255, seed=1):
    return name, bytes([mode, write]) + struct.pack('<H', seed) + stream


def pkg(op, value, payload=b''):
    """A package of op whose value is value; OP_LEN/OP_CLOSE/OP_BIG_REPLY
    count the header, value = total length."""
    return bytes([op]) + struct.pack('<I', value & 0xffffffff) + payload


def sized(op, payload):
    return pkg(op, 5 + len(payload), payload)


FRAMING_SEEDS = [
    framing('one', sized(OP_LEN, b'hello')),
    framing('pipelined', sized(OP_LEN, b'a') + sized(OP_LEN, b'bb' * 20) + sized(OP_LEN, b'')),
    framing('bytewise', sized(OP_LEN, b'slow') + sized(OP_LEN, b'x' * 100), write=0),
    framing('worker', sized(OP_LEN, b'w' * 300) + sized(OP_LEN, b'v'), mode=1, write=3),
    framing('worker_tcp_out', sized(OP_BIG_REPLY, b'big') + sized(OP_LEN, b'after'), mode=3),
    framing('inline_big_reply', sized(OP_BIG_REPLY, b'big') + sized(OP_LEN, b'after'), mode=0),
    framing('incomplete_tail', sized(OP_LEN, b'ok') + pkg(OP_LEN, 50, b'part')),
    framing('need_more', sized(OP_LEN, b'ok') + pkg(OP_NEED_MORE, 0, b'never')),
    framing('need_more_past_max', pkg(OP_NEED_MORE, 0, b'n' * 5000), write=40),
    framing('bad', sized(OP_LEN, b'ok') + pkg(OP_BAD, 0) + sized(OP_LEN, b'lost')),
    framing('claim_past_len', pkg(OP_CLAIM, 100, b'short')),
    framing('claim_huge', pkg(OP_CLAIM, 0xffffffff, b'h')),
    framing('claim_past_max', pkg(OP_CLAIM, 5000, b'c' * 4995), write=30),
    framing('claim_fits', pkg(OP_CLAIM, 9, b'four') + sized(OP_LEN, b'next')),
    framing('all', sized(OP_LEN, b'first') + pkg(OP_ALL, 0, b'rest of it')),
    framing('proc_close', sized(OP_LEN, b'a') + sized(OP_CLOSE, b'bye') + sized(OP_LEN, b'dropped')),
    framing('garbage', bytes(range(256))),
]


# ---- fuzz_kv: a header, then the received bytes -----------------------------
# [0] max_bulk_len: one of 1, 3, 16, 1024, 1m, 512m (index b % 6)
# [1] max_args: one of 1, 2, 3, 16, 1024, 1048576   [2] seed of the splits
BULK_16, BULK_1K, BULK_1M = 2, 3, 4
ARGS_3, ARGS_1K, ARGS_1M = 2, 4, 5


def kv(name, stream, bulk=BULK_1M, args=ARGS_1M, seed=1):
    return name, bytes([bulk, args, seed]) + stream


def mb(*args):
    out = b'*%d\r\n' % len(args)
    for a in args:
        out += b'$%d\r\n%s\r\n' % (len(a), a)
    return out


KV_SEEDS = [
    kv('multibulk', mb(b'SET', b'greeting', b'hello world')),
    kv('multibulk_empty_arg', mb(b'GET', b'') + b'*0\r\n*-1\r\n'),
    kv('inline', b'SET k v\r\n'),
    kv('inline_quotes', b'SET "a b\\x41\\n\\"q\\"" \'it\\\'s\'\r\nECHO "\\xzz\\t"\n'),
    kv('inline_unbalanced', b'SET "open k\r\nGET \'x\'y\r\n'),
    kv('inline_blank', b'\r\n  \t \r\nPING\n'),
    kv('pipelined', mb(b'SET', b'a', b'1') + b'GET a\r\n' + mb(b'INCR', b'a') + mb(b'MGET', b'a', b'b', b'c')),
    kv('partial_value', mb(b'SET', b'k', b'v' * 200)[:-50]),
    kv('partial_header', b'*3\r\n$3\r\nSET\r\n$1'),
    kv('bad_bulk_length', b'*2\r\n$3\r\nGET\r\n$-5\r\nk\r\n'),
    kv('bad_bulk_over_max', mb(b'SET', b'k', b'v' * 20), bulk=BULK_16),
    kv('bad_mbulk_length', b'*1x\r\n$4\r\nPING\r\n'),
    kv('bad_mbulk_over_max', mb(b'MSET', b'a', b'1', b'b', b'2'), args=ARGS_3),
    kv('bad_mbulk_huge', b'*99999999999999999999\r\n'),
    kv('bad_expected_dollar', b'*2\r\n$4\r\nECHO\r\n:5\r\n'),
    kv('bad_leading_zero', b'*1\r\n$04\r\nPING\r\n'),
    kv('value_not_crlf', b'*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n'),
    kv('many_args', mb(*[b'%d' % i for i in range(40)]), args=ARGS_1K, bulk=BULK_1K),
    # past KV_RESP_INLINE_MAX (64 KiB) without a line end: the "too big" errors
    kv('too_big_inline', b'A' * (64 * 1024 + 8)),
    kv('too_big_bulk_count', b'*1\r\n$' + b'9' * (64 * 1024 + 8)),
    # its line end in the same read: an error all the same (a bug fuzz_kv found)
    kv('too_big_inline_one_read', b'SET k ' + b'v' * (64 * 1024) + b'\r\nPING\r\n'),
    kv('garbage', bytes(range(256))),
]


def write(target, seeds):
    d = os.path.join(ROOT, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds:
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


def main():
    write('fuzz_http', HTTP_SEEDS)
    write('fuzz_framing', FRAMING_SEEDS)
    write('fuzz_kv', KV_SEEDS)
    return 0


if __name__ == '__main__':
    sys.exit(main())
