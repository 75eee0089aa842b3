#!/usr/bin/env bash
# relay_bench.sh - the cost of one hop: the demo module's relay ([listen]
# relay, [demo] relay.upstream) against a direct echo and against HAProxy
# in TCP mode (Debian's haproxy, one thread), the same upstream (a grocketd
# echo, inline), 44-byte packets over CONNS connections at depth DEPTH.
#
#   bench/relay_bench.sh [BUILD_DIR]            (default: $BUILD_DIR or build)
#   ROUNDS=1 S=1 bench/relay_bench.sh           (a short run: does it work)
#
# Build first: cmake --build BUILD_DIR --target grocketd test_tcp_client demo
#
# Per round, the three paths one after the other, loopback only, each run
# bounded (timeout): "direct" (the client to the upstream), "relay"
# (grocketd with the demo's relay) and "haproxy" (mode tcp, nbthread 1).
# The server under test (the relay or haproxy; for "direct", the upstream)
# is pinned to SERVER_CPU (0); the client and the upstream to CLIENT_CPU (1).
# Recorded per run: req/s (client RESULT line) and CPU per request of the
# server under test and of the upstream (utime+stime from /proc over the
# run / requests). The table gives the medians.
#
# Environment (defaults): ROUNDS 5, S 5, CONNS 64, DEPTH 16, SIZE 44,
# SERVER_CPU 0, CLIENT_CPU 1, WORK_DIR BUILD_DIR/relay_bench.
# Shared functions: bench/lib.sh. Exit status: 0 done; 1 a run failed;
# 2 bad setup.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=relay_bench.sh
. "$SCRIPT_DIR/lib.sh"

BUILD_DIR=$(abs_build_dir "${1:-${BUILD_DIR:-build}}")
DEPTH=${DEPTH:-16}
SIZE=${SIZE:-44}
SERVER_CPU=${SERVER_CPU:-0}
WORK_DIR=${WORK_DIR:-$BUILD_DIR/relay_bench}
HZ=$(getconf CLK_TCK)
mkdir -p "$WORK_DIR"
command -v haproxy >/dev/null || die "haproxy not found (Debian: apt-get install haproxy)"
command -v taskset >/dev/null || die "taskset not found (Debian: util-linux)"
[ -x "$BUILD_DIR/bin/grocketd" ] && [ -x "$BUILD_DIR/bin/test_tcp_client" ] || die "build grocketd and test_tcp_client first"

UP_PID=
cleanup() { [ -z "$UP_PID" ] || { kill "$UP_PID" 2>/dev/null; wait "$UP_PID" 2>/dev/null || true; }; }

# The upstream: a grocketd echo, inline, pinned with the client.
UP_PORT=$(free_port) || die "no free port"
cat >"$WORK_DIR/upstream.ini" <<INI
[server]
module = $BUILD_DIR/modules/libdemo.so
pid_file =
tcp.in.thread_count = 1
[listen]
0 = tcp://127.0.0.1:$UP_PORT
INI
taskset -c "$CLIENT_CPU" "$BUILD_DIR/bin/grocketd" -c "$WORK_DIR/upstream.ini" >"$WORK_DIR/upstream.log" 2>&1 &
UP_PID=$!
wait_listening "$UP_PORT" "$UP_PID" || die "the upstream did not start ($WORK_DIR/upstream.log)"

# start_target NAME -> SERVER_PID, PORT (the port the client connects to)
start_target() {
    PORT=$(free_port) || return 1
    case $1 in
    direct) SERVER_PID=$UP_PID; PORT=$UP_PORT; return 0 ;;
    relay)
        cat >"$WORK_DIR/relay.ini" <<INI
[server]
module = $BUILD_DIR/modules/libdemo.so
pid_file =
tcp.in.thread_count = 1
[listen]
relay = tcp://127.0.0.1:$PORT
[demo]
relay.upstream = 127.0.0.1:$UP_PORT
INI
        taskset -c "$SERVER_CPU" "$BUILD_DIR/bin/grocketd" -c "$WORK_DIR/relay.ini" >"$WORK_DIR/relay.log" 2>&1 &
        ;;
    haproxy)
        cat >"$WORK_DIR/haproxy.cfg" <<CFG
global
    nbthread 1
    maxconn 4096
defaults
    mode tcp
    timeout connect 3s
    timeout client 60s
    timeout server 60s
listen relay
    bind 127.0.0.1:$PORT
    server up 127.0.0.1:$UP_PORT
CFG
        taskset -c "$SERVER_CPU" haproxy -db -f "$WORK_DIR/haproxy.cfg" >"$WORK_DIR/haproxy.log" 2>&1 &
        ;;
    esac
    SERVER_PID=$!
    wait_listening "$PORT" "$SERVER_PID"
}

echo "# relay_bench: $CONNS conns, depth $DEPTH, $SIZE B, ${S} s x $ROUNDS rounds; server CPU $SERVER_CPU, client+upstream CPU $CLIENT_CPU"
results=$WORK_DIR/results.txt
: >"$results"
for round in $(seq 1 "$ROUNDS"); do
    for t in direct relay haproxy; do
        start_target "$t" || die "$t did not start (see $WORK_DIR)"
        s0=$(proc_ticks "$SERVER_PID"); u0=$(proc_ticks "$UP_PID")
        run_pinned "$WORK_DIR/client.out" $((S + 30)) "$BUILD_DIR/bin/test_tcp_client" --port "$PORT" \
            --connections "$CONNS" --depth "$DEPTH" --size "$SIZE" --duration "$S" ||
            { cat "$WORK_DIR/client.out" >&2; exit 1; }
        s1=$(proc_ticks "$SERVER_PID"); u1=$(proc_ticks "$UP_PID")
        [ "$t" = direct ] || stop_server
        SERVER_PID=
        n=$(sed -n 's/^RESULT requests=\([0-9]*\).*/\1/p' "$WORK_DIR/client.out")
        rps=$(sed -n 's/^RESULT .*req_per_s=\([0-9]*\).*/\1/p' "$WORK_DIR/client.out")
        grep -q "^OK: all" "$WORK_DIR/client.out" || { echo "$t: replies did not match" >&2; exit 1; }
        awk -v t="$t" -v n="$n" -v r="$rps" -v s=$((s1 - s0)) -v u=$((u1 - u0)) -v hz="$HZ" 'BEGIN {
            printf "%s %d %.3f %.3f\n", t, r, s / hz * 1e6 / n, (t == "direct" ? 0 : u / hz * 1e6 / n) }' >>"$results"
    done
done
awk "$AWK_LIB"'
{ k[$1]++; r[$1, k[$1]] = $2; c[$1, k[$1]] = $3; u[$1, k[$1]] = $4 }
END {
    printf "%-8s %12s %22s %20s\n", "path", "req/s", "server CPU us/req", "upstream us/req"
    n = split("direct relay haproxy", names, " ")
    for (i = 1; i <= n; i++) {
        t = names[i]; m = k[t]
        for (j = 1; j <= m; j++) { a[j] = r[t, j]; b[j] = c[t, j]; d[j] = u[t, j] }
        printf "%-8s %12d %22.3f %20s\n", t, med(a, m), med(b, m), t == "direct" ? "(is the server)" : sprintf("%.3f", med(d, m))
    }
}' "$results"
