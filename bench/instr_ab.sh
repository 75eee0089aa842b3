#!/usr/bin/env bash
# instr_ab.sh - server instructions per request, A/B: grocketd inline (worker
# and tcp_out off, one tcp_in thread) of BUILD_DIR and of BASE_BUILD, under
# valgrind --tool=callgrind. Instructions are counted, not timed, so the
# figures repeat on a noisy machine; they do not see syscall time
# (bench/echo_bench.sh and http_bench.sh measure that). CACHE=1 adds
# callgrind's cache and branch simulation (a model, not the host's real
# caches and predictors): first-level data misses (D1mr + D1mw), last-level
# misses (ILmr + DLmr + DLmw) and mispredicted branches (Bcm + Bim) per
# request, beside the instructions.
#
#   BASE_BUILD=DIR bench/instr_ab.sh [BUILD_DIR]
#
# Per build and workload: one run of N requests and one of 2N, each a
# fresh server; (Ir(2N) - Ir(N)) / N cancels start-up and stop. Workloads:
# echo of 44-byte packets over 8 connections at depth 1 and 16
# (test_tcp_client), HTTP GET / keep-alive one at a time and pipelined x16
# over 8 connections (a python3 client that checks every response).
# Environment: N (2000: requests per connection in the short run), CONNS (8),
# CACHE (0).
# Build grocketd, demo and test_tcp_client in both builds first.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=instr_ab.sh
. "$SCRIPT_DIR/lib.sh"

BUILD_DIR=$(abs_build_dir "${1:-${BUILD_DIR:-build}}")
[ -n "${BASE_BUILD:-}" ] || die "set BASE_BUILD=DIR, the build to compare with"
BASE_BUILD=$(abs_build_dir "$BASE_BUILD")
N=${N:-2000}          # requests per connection in the short run (the long one: 2N)
CONNS=${CONNS:-8}
CACHE=${CACHE:-0}
CG_OPTS=(); [ "$CACHE" = 1 ] && CG_OPTS=(--cache-sim=yes --branch-sim=yes)
WORK_DIR=${WORK_DIR:-$BUILD_DIR/instr_ab}
need_tools valgrind python3 timeout awk
mkdir -p "$WORK_DIR"
CLIENT=$BUILD_DIR/bin/test_tcp_client
for b in "$BUILD_DIR" "$BASE_BUILD"; do
    for f in "$b/bin/grocketd" "$b/modules/libdemo.so"; do [ -e "$f" ] || die "$f not found"; done
done
[ -x "$CLIENT" ] || die "$CLIENT not found"

# http_client PORT CONNS COUNT DEPTH: COUNT GETs per connection, DEPTH in
# flight; every response framed by its Content-Length and counted.
http_client() {
    python3 - "$@" <<'PY'
import socket, sys
port, conns, count, depth = map(int, sys.argv[1:5])
req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(conns)]
for s in socks:
    buf = b""; done = 0
    while done < count:
        n = min(depth, count - done)
        s.sendall(req * n)
        got = 0
        while got < n:
            while True:
                h = buf.find(b"\r\n\r\n")
                if h >= 0:
                    head = buf[:h].decode()
                    cl = int([l.split(":")[1] for l in head.split("\r\n") if l.lower().startswith("content-length")][0])
                    if len(buf) >= h + 4 + cl:
                        assert head.startswith("HTTP/1.1 200"), head
                        buf = buf[h + 4 + cl:]; got += 1
                        break
                d = s.recv(65536)
                if not d: sys.exit("connection closed early")
                buf += d
        done += n
for s in socks: s.close()
PY
}

# run BUILD SCHEME WORKLOAD COUNT -> prints the server's counts: Ir, and
# with CACHE=1 also D1 misses, LL misses and mispredicted branches (callgrind's events: line names them)
run() {
    local build=$1 scheme=$2 wl=$3 count=$4 out=$WORK_DIR/callgrind.out conf=$WORK_DIR/grocketd.ini log=$WORK_DIR/server.log
    cat >"$conf" <<EOF2
[server]
module = $build/modules/libdemo.so
pid_file =
tcp.in.thread_count = 1
worker.disabled = true
tcp.out.disabled = true
stop.grace_period = 0
[listen]
0 = $scheme://127.0.0.1:0
EOF2
    rm -f "$out"
    valgrind --tool=callgrind "${CG_OPTS[@]}" --callgrind-out-file="$out" "$build/bin/grocketd" -c "$conf" 2>"$log" &
    local pid=$! port= i
    for i in $(seq 1 300); do
        port=$(grocketd_port "$log" "$scheme" || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$log" >&2; kill "$pid"; die "grocketd did not start under valgrind"; }
    case $wl in
        echo1) timeout 600 "$CLIENT" --port "$port" --connections "$CONNS" --count "$count" --depth 1 --quiet >/dev/null ;;
        echo16) timeout 600 "$CLIENT" --port "$port" --connections "$CONNS" --count "$count" --depth 16 --quiet >/dev/null ;;
        keepalive) timeout 600 bash -c "$(declare -f http_client); http_client $port $CONNS $count 1" ;;
        pipelined) timeout 600 bash -c "$(declare -f http_client); http_client $port $CONNS $count 16" ;;
    esac
    kill -TERM "$pid"
    wait "$pid" || true
    awk '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i }
         /^summary:/ { d1 = ll = bm = "-"
                       if ("D1mr" in col) { d1 = $col["D1mr"] + $col["D1mw"]; ll = $col["ILmr"] + $col["DLmr"] + $col["DLmw"] }
                       if ("Bcm" in col) bm = $col["Bcm"] + $col["Bim"]
                       print $col["Ir"], d1, ll, bm }' "$out"
}

printf '| workload | %s Ir/request | base Ir/request | ratio |' "$(basename "$BUILD_DIR")"
[ "$CACHE" = 1 ] && printf ' D1 misses/request (this, base) | LL misses/request (this, base) | mispredicts/request (this, base) |'
printf '\n|---|---|---|---|'; [ "$CACHE" = 1 ] && printf -- '---|---|---|'; echo
for wl in echo1 echo16 keepalive pipelined; do
    scheme=tcp; case $wl in keepalive|pipelined) scheme=http ;; esac
    declare -A per
    for b in "$BUILD_DIR" "$BASE_BUILD"; do
        a=$(run "$b" "$scheme" "$wl" "$N")
        z=$(run "$b" "$scheme" "$wl" $((2 * N)))
        # (long - short) / N per counted event; "-" where not simulated
        per[$b]=$(awk -v a="$a" -v z="$z" -v n=$((N * CONNS)) 'BEGIN {
            split(a, x, " "); split(z, y, " ")
            for (i = 1; i <= 4; i++) printf "%s ", (x[i] == "-" ? "-" : sprintf("%.1f", (y[i] - x[i]) / n)) }')
    done
    awk -v w="$wl" -v c="$CACHE" -v x="${per[$BUILD_DIR]}" -v y="${per[$BASE_BUILD]}" 'BEGIN {
        split(x, p, " "); split(y, q, " ")
        printf "| %s | %.0f | %.0f | %.3f |", w, p[1], q[1], p[1] / q[1]
        if (c == 1) printf " %s, %s | %s, %s | %s, %s |", p[2], q[2], p[3], q[3], p[4], q[4]
        printf "\n" }'
done
