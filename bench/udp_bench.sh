#!/usr/bin/env bash
# udp_bench.sh - UDP echo of 44-byte datagrams from 16 client sockets (one
# client thread), depth 1 and 8: grocketd with one udp:// listen (modes as in
# echo_bench.sh; "out" enables udp_out) against the bare recvmmsg/sendmmsg
# loop bench/ref_udp_echo.c, A/B alternated in the same run, server on CPU 0
# and client on CPU 1. Reports datagrams/s, server CPU µs per datagram (from
# /proc, as echo_bench.sh does), their ratios to the reference, and the
# requests the client counted lost. See docs/benchmarks.md, "UDP echo".
#
#   bench/udp_bench.sh [BUILD_DIR]                       (default: build)
#   ROUNDS=5 S=5 MODES="inline worker out" bench/udp_bench.sh build
#
# It is echo_bench.sh with PROTO=udp: the same method, knobs and output
# (results in BUILD_DIR/udp_bench/results.tsv, TABLE=FILE reprints one).
# Defaults here: CONNS 16, DEPTHS "1 8", SIZE 44, MODES "inline worker out".
# Build first: cmake --build BUILD_DIR --target grocketd test_tcp_client demo
set -euo pipefail
export PROTO=udp BENCH_NAME=udp_bench.sh
export CONNS=${CONNS:-16} DEPTHS=${DEPTHS:-"1 8"} MODES=${MODES:-"inline worker out"}
exec "$(cd "$(dirname "$0")" && pwd)/echo_bench.sh" "$@"
