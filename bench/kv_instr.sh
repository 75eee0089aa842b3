#!/usr/bin/env bash
# kv_instr.sh - the kv module's server instructions per request under
# valgrind --tool=callgrind: grocketd with conf/kv.ini adapted as
# kv_bench.sh adapts it (one tcp.in thread running proc inline, tcp_out
# off, 127.0.0.1 on a free port), driven by redis-benchmark -c 50 -t set or
# get at depth 1 and 16. Instructions are counted, not timed, so the figures
# repeat on a busy machine; they do not see the kernel (kv_bench.sh times
# that).
#
#   [BASE_BUILD=DIR] bench/kv_instr.sh [BUILD_DIR]
#
# Per build and workload: one run of N requests and one of 2N, each a
# fresh server; (Ir(2N) - Ir(N)) / N cancels start-up, redis-benchmark's
# CONFIG GETs and stop. A GET run first SETs the key redis-benchmark reads,
# so every GET is a hit. With BASE_BUILD a second column and the ratio.
# Environment: N (10000), CONNS (50), DEPTHS ("1 16").
# Build grocketd and kv first.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=kv_instr.sh
. "$SCRIPT_DIR/lib.sh"

BUILD_DIR=$(abs_build_dir "${1:-${BUILD_DIR:-build}}")
BASE_BUILD=${BASE_BUILD:+$(abs_build_dir "$BASE_BUILD")}
N=${N:-10000}
CONNS=${CONNS:-50}
DEPTHS=${DEPTHS:-"1 16"}
WORK_DIR=${WORK_DIR:-$BUILD_DIR/kv_instr}
need_tools valgrind redis-benchmark redis-cli timeout awk
mkdir -p "$WORK_DIR"
for b in "$BUILD_DIR" ${BASE_BUILD:+"$BASE_BUILD"}; do
    for f in "$b/bin/grocketd" "$b/modules/libkv.so"; do [ -e "$f" ] || die "$f not found"; done
done

# run BUILD TEST DEPTH COUNT -> prints the server's Ir
run() {
    local build=$1 test=$2 depth=$3 count=$4 out=$WORK_DIR/callgrind.out conf=$WORK_DIR/kv.ini log=$WORK_DIR/server.log
    kv_conf "$build/modules/libkv.so" "$conf"
    rm -f "$out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$build/bin/grocketd" -c "$conf" 2>"$log" &
    local pid=$! port= i
    for i in $(seq 1 300); do
        port=$(grocketd_port "$log" tcp || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$log" >&2; kill "$pid"; die "grocketd did not start under valgrind"; }
    if [ "$test" = get ]; then
        # redis-benchmark's GET reads "key:__rand_int__" (no -r): make it a hit
        redis-cli -p "$port" set key:__rand_int__ xxx >/dev/null
    fi
    timeout 600 redis-benchmark -h 127.0.0.1 -p "$port" -c "$CONNS" -P "$depth" -t "$test" -n "$count" -q >/dev/null
    kill -TERM "$pid"
    wait "$pid" || true
    awk '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i } /^summary:/ { print $col["Ir"] }' "$out"
}

printf '| workload | %s Ir/request |' "$(basename "$BUILD_DIR")"
[ -n "$BASE_BUILD" ] && printf ' %s Ir/request | ratio |' "$(basename "$BASE_BUILD")"
printf '\n|---|---|'; [ -n "$BASE_BUILD" ] && printf -- '---|---|'; echo
for depth in $DEPTHS; do
    for test in set get; do
        declare -A per
        for b in "$BUILD_DIR" ${BASE_BUILD:+"$BASE_BUILD"}; do
            a=$(run "$b" "$test" "$depth" "$N")
            z=$(run "$b" "$test" "$depth" $((2 * N)))
            per[$b]=$(awk -v a="$a" -v z="$z" -v n="$N" 'BEGIN { printf "%.0f", (z - a) / n }')
        done
        printf '| %s -P %s | %s |' "${test^^}" "$depth" "${per[$BUILD_DIR]}"
        [ -n "$BASE_BUILD" ] && awk -v x="${per[$BUILD_DIR]}" -v y="${per[$BASE_BUILD]}" 'BEGIN { printf " %s | %.3f |", y, x / y }'
        echo
    done
done
