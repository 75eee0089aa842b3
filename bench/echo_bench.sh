#!/usr/bin/env bash
# echo_bench.sh - echo of 44-byte packets over 64 connections, depth 1 and 16:
# grocketd (all four worker/tcp_out modes) against the reference floor
# ref_echo, A/B alternated in the same run. See docs/benchmarks.md.
#
#   bench/echo_bench.sh [BUILD_DIR]          (default: $BUILD_DIR or build)
#   ROUNDS=5 S=5 bench/echo_bench.sh build-bench
#
# Builds nothing but ref_echo (gcc -O2, from bench/ref_echo.c, into
# BUILD_DIR/echo_bench/); build grocketd, test_tcp_client and demo first:
#   cmake --build BUILD_DIR --target grocketd test_tcp_client demo
#
# Per round, per depth: ref_echo, then grocketd in each mode, each a fresh
# server pinned to CPU SERVER_CPU (0); the client (one thread) is pinned to
# CLIENT_CPU (1). Each run: WARMUP s of load (its own client invocation), then
# sample, then S s of measured load, then sample. Recorded per run: req/s
# (client RESULT line), server CPU per request (utime+stime of the server from
# /proc/PID/stat over the window / requests of the window) and the CPU used by
# everything else (busy jiffies of /proc/stat minus server minus client);
# runs where others took more than OTHERS_MAX (0.10) of a core are flagged
# and repeated up to RETRIES (3) times. Before each run the script waits (at
# most QUIET_WAIT, 120 s) for a second in which the machine is idle.
#
# Environment (defaults): ROUNDS 5, S 5, WARMUP 1, CONNS 64, SIZE 44,
# DEPTHS "1 16", MODES "inline worker out worker+out" (inline: worker and
# tcp_out disabled; worker: worker enabled; out: tcp_out enabled; worker+out:
# both; enabled groups get thread_count 1), SERVER_CPU 0,
# CLIENT_CPU 1, OTHERS_MAX 0.10, RETRIES 3, QUIET_WAIT 120,
# WORK_DIR BUILD_DIR/echo_bench,
# BASE_BUILD=DIR adds the server "base": grocketd inline (worker and tcp_out
# off) from another build, measured in the same rounds for an A/B,
# GROCKETD_EXTRA (empty): extra [server] lines for every grocketd mode, e.g.
# GROCKETD_EXTRA="tcp.in.recv_buf.init = 65536".
# PROTO=udp (what bench/udp_bench.sh sets) measures the same over UDP:
# test_tcp_client --udp, grocketd's one listen udp:// (out: udp_out
# enabled), against bench/ref_udp_echo.c, into BUILD_DIR/udp_bench/; the
# table then also gives the requests lost (counted after the client's
# timeout).
# Shared functions (servers, sampling, idle wait): bench/lib.sh.
# Exit status: 0 done; 1 a server or a client failed; 2 bad setup.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=${BENCH_NAME:-echo_bench.sh}
. "$SCRIPT_DIR/lib.sh"   # die, servers, sampling, wait_quiet, run_pinned, AWK_LIB

PROTO=${PROTO:-tcp}
case $PROTO in
    tcp) REF_NAME=ref_echo; REF_SRC=$SCRIPT_DIR/ref_echo.c; CLIENT_ARGS=(); WHAT=echo; UNIT=conns ;;
    udp) REF_NAME=ref_udp_echo; REF_SRC=$SCRIPT_DIR/ref_udp_echo.c; CLIENT_ARGS=(--udp); WHAT="udp echo"; UNIT=sockets ;;
    *) die "PROTO must be tcp or udp, not $PROTO" ;;
esac

BUILD_DIR=$(abs_build_dir "${1:-${BUILD_DIR:-build}}")
SIZE=${SIZE:-44}
DEPTHS=${DEPTHS:-"1 16"}
MODES=${MODES:-"inline worker out worker+out"}
SERVER_CPU=${SERVER_CPU:-0}
RETRIES=${RETRIES:-3}
WORK_DIR=${WORK_DIR:-$BUILD_DIR/${BENCH_NAME%.sh}}
GROCKETD_EXTRA=${GROCKETD_EXTRA:-}
BASE_BUILD=${BASE_BUILD:+$(abs_build_dir "$BASE_BUILD")}

GROCKETD=$BUILD_DIR/bin/grocketd
CLIENT=$BUILD_DIR/bin/test_tcp_client
MODULE=$BUILD_DIR/modules/libdemo.so
REF=$WORK_DIR/$REF_NAME

for f in "$GROCKETD" "$CLIENT" "$MODULE" ${BASE_BUILD:+"$BASE_BUILD/bin/grocketd" "$BASE_BUILD/modules/libdemo.so"}; do
    [ -e "$f" ] || die "$f not found; build first: cmake --build $BUILD_DIR --target grocketd test_tcp_client demo"
done
[ -r "$REF_SRC" ] || die "$REF_SRC not found"
need_tools taskset timeout gcc awk getconf
need_cpus "$SERVER_CPU" "$CLIENT_CPU"

mkdir -p "$WORK_DIR"
gcc -O2 -o "$REF" "$REF_SRC" || die "could not build $REF_NAME"

# ---- servers --------------------------------------------------------------

# start_server NAME -> sets SERVER_PID, PORT; 1 on failure
start_server() {
    local name=$1 log=$WORK_DIR/server.log i
    PORT=
    if [ "$name" = "$REF_NAME" ]; then
        local try
        for try in 1 2 3 4 5; do  # a port taken meanwhile: try another
            PORT=$(free_port) || return 1
            taskset -c "$SERVER_CPU" "$REF" "$PORT" 2>"$log" &
            SERVER_PID=$!
            wait_listening "$PORT" "$SERVER_PID" 50 "$PROTO" && return 0
            grep -q 'in use' "$log" || break
            stop_server
        done
    elif [ "$name" = base ]; then
        local g=$GROCKETD m=$MODULE rc=0
        GROCKETD=$BASE_BUILD/bin/grocketd MODULE=$BASE_BUILD/modules/libdemo.so
        start_grocketd inline "$PROTO" "$log" || rc=1
        GROCKETD=$g MODULE=$m
        [ $rc = 0 ] && return 0
    else
        start_grocketd "$name" "$PROTO" "$log" && return 0
    fi
    echo "$BENCH_NAME: $name did not start listening:" >&2
    cat "$log" >&2
    stop_server
    return 1
}

# ---- sampling -------------------------------------------------------------

# run_client OUTFILE ARGS... : the client pinned to CLIENT_CPU, bounded; its
# CPU time (ticks, utime+stime of the waited children of a wrapper shell) is
# appended to OUTFILE as "CLIENT_TICKS n".
run_client() {
    local out=$1 limit
    shift
    limit=$(awk -v s="$S" -v w="$WARMUP" 'BEGIN { printf "%d", (s > w ? s : w) + 30 }')
    run_pinned "$out" "$limit" "$CLIENT" "${CLIENT_ARGS[@]}" --port "$PORT" --threads 1 --connections "$CONNS" \
        --size "$SIZE" --quiet "$@"
}

result_field() { # FILE KEY -> value from the RESULT line
    sed -n "s/^RESULT .*$2=\([0-9.]*\).*/\1/p" "$1" | tail -n 1
}

# ---- table ----------------------------------------------------------------

print_table() {
awk -F'\t' -v conns="$CONNS" -v size="$SIZE" -v rounds="$ROUNDS" -v servers="$servers" -v depths="$DEPTHS" \
    -v ref="$REF_NAME" -v what="$WHAT" -v unit="$UNIT" -v udp="$([ "$PROTO" = udp ] && echo 1 || echo 0)" "$AWK_LIB"'
function label(s,   o) {
    o = udp ? "udp_out" : "tcp_out"
    if (s == "inline") return "grocketd, worker off, " o " off"
    if (s == "worker") return "grocketd, worker on, " o " off"
    if (s == "out") return "grocketd, worker off, " o " on"
    if (s == "worker+out") return "grocketd, worker on, " o " on"
    if (s == "base") return "grocketd of BASE_BUILD, worker off, " o " off"
    return s
}
NR > 1 {
    key = $2 SUBSEP $3; c = ++cnt[key]
    R[key, c] = $4; U[key, c] = $11; if ($13 != "") noisy[key]++; lost[key] += $14
    PR[$2, $3, $1] = $4; PU[$2, $3, $1] = $11; if (!($1 in seen)) { seen[$1] = 1; rl[++nr] = $1 }
}
END {
    ns = split(servers, sv, " "); nd = split(depths, dv, " ")
    print "| workload | server | req/s median (min–max) | CPU µs/req median (min–max) | ratio vs " ref ": req/s, CPU/req | same-round ratio: req/s, CPU/req | noisy runs |" (udp ? " lost |" : "")
    print "|---|---|---|---|---|---|---|" (udp ? "---|" : "")
    for (i = 1; i <= nd; i++) {
        d = dv[i]
        for (j = 1; j <= ns; j++) {
            s = sv[j]; key = d SUBSEP s; k = cnt[key]
            if (!k) continue
            delete a; delete b
            for (c = 1; c <= k; c++) { a[c] = R[key, c]; b[c] = U[key, c] }
            mr = med(a, k); mu = med(b, k)
            rmin = a[1]; rmax = a[k]; umin = b[1]; umax = b[k]
            if (s == ref) { refr[d] = mr; refu[d] = mu; ratio = "1 (reference)"; paired = "—" }
            else {
                ratio = sprintf("%.2f×, %.2f×", mr / refr[d], mu / refu[d])
                # the ratio to the reference of the same round, median over rounds
                delete pa; delete pb; m = 0
                for (q = 1; q <= nr; q++) {
                    rr = rl[q]
                    if ((d, s, rr) in PR && (d, ref, rr) in PR) {
                        m++; pa[m] = PR[d, s, rr] / PR[d, ref, rr]; pb[m] = PU[d, s, rr] / PU[d, ref, rr]
                    }
                }
                paired = m ? sprintf("%.2f×, %.2f×", med(pa, m), med(pb, m)) : "—"
            }
            name = label(s)
            printf "| %s %d B, %d %s, depth %d | %s | %s (%s–%s) | %.2f (%.2f–%.2f) | %s | %s | %d/%d |%s\n",
                what, size, conns, unit, d, name, rate(mr), rate(rmin), rate(rmax), mu, umin, umax, ratio, paired,
                noisy[key] + 0, k, udp ? sprintf(" %d |", lost[key]) : ""
        }
    }
}' "$RAW"
}

servers="$REF_NAME $MODES${BASE_BUILD:+ base}"

# TABLE=FILE: only print the table of an earlier run's results.tsv
if [ -n "${TABLE:-}" ]; then
    RAW=$TABLE
    print_table
    exit 0
fi

# ---- correctness ----------------------------------------------------------

echo "# ${BENCH_NAME%.sh}: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), HZ=$HZ"
echo "# build $BUILD_DIR, ref $REF, rounds $ROUNDS, S $S s, warm-up $WARMUP s, $CONNS $UNIT, $SIZE B, depths $DEPTHS"
echo "# server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU"
[ -z "$GROCKETD_EXTRA" ] || echo "# grocketd extra config: $(echo "$GROCKETD_EXTRA" | tr '\n' ';')"
echo "# correctness: every reply compared byte for byte (test_tcp_client)"
count=500
for srv in $servers; do
    for d in $DEPTHS; do
        start_server "$srv" || exit 1
        f=$WORK_DIR/check.out
        if ! run_client "$f" --count "$count" --depth "$d" ||
           [ "$(result_field "$f" requests)" != "$((CONNS * count))" ] ||
           [ "$(result_field "$f" errors)" != 0 ]; then
            echo "$BENCH_NAME: correctness check failed: $srv depth $d" >&2
            cat "$f" >&2
            exit 1
        fi
        stop_server
        echo "#   ok: $srv depth $d: $((CONNS * count)) echoes verified"
    done
done

# ---- measurement ----------------------------------------------------------

RAW=$WORK_DIR/results.tsv
printf 'round\tdepth\tserver\treq_per_s\trequests\tserver_ticks\tclient_ticks\tothers_ticks\tsteal_ticks\twindow_s\tcpu_us_per_req\tothers_core\tflag\tlost\n' >"$RAW"
# UDP: a loss while measuring is counted (the lost column), not a failure;
# the correctness check above allows none.
MEASURE_ARGS=()
[ "$PROTO" = udp ] && MEASURE_ARGS=(--max-loss 100)
echo
printf '%-5s %-5s %-11s %10s %8s %7s %7s %6s\n' round depth server req/s us/req others steal flag

measure() { # ROUND DEPTH SERVER
    local r=$1 d=$2 srv=$3 f=$WORK_DIR/run.out attempt=0
    while :; do
        wait_quiet
        start_server "$srv" || exit 1
        if ! run_client "$f" --duration "$WARMUP" --depth "$d" "${MEASURE_ARGS[@]}"; then
            echo "$BENCH_NAME: warm-up failed: $srv depth $d" >&2; cat "$f" >&2; exit 1
        fi
        local t0 s0 t1 s1 ct n rps el lost
        t0=$(proc_ticks "$SERVER_PID"); s0=$(sys_ticks)
        if ! run_client "$f" --duration "$S" --depth "$d" "${MEASURE_ARGS[@]}"; then
            echo "$BENCH_NAME: run failed: $srv depth $d" >&2; cat "$f" >&2; exit 1
        fi
        t1=$(proc_ticks "$SERVER_PID"); s1=$(sys_ticks)
        stop_server
        ct=$(sed -n 's/^CLIENT_TICKS //p' "$f")
        n=$(result_field "$f" requests)
        rps=$(result_field "$f" req_per_s)
        el=$(result_field "$f" elapsed_ms)
        lost=$(result_field "$f" lost)
        local win us oth steal core flag line
        win=$(awk -v el="$el" 'BEGIN { w = el / 1000; if (w <= 0) w = 1; printf "%.3f", w }')
        read -r us oth steal core flag <<<"$(run_stats $((t1 - t0)) "$ct" "$s0" "$s1" "$win" "$n")"
        if [ "$flag" = - ]; then flag=; fi
        line=$(printf '%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s' \
            "$r" "$d" "$srv" "$rps" "$n" $((t1 - t0)) "$ct" "$oth" "$steal" "$win" "$us" "$core" "$flag" "${lost:-0}")
        if [ -n "$flag" ] && [ "$attempt" -lt "$RETRIES" ]; then
            attempt=$((attempt + 1))
            echo "$line" | awk -F'\t' '{ printf "%-5s %-5s %-11s %10s %8s %6.0f%% %7s %6s (repeating)\n", $1, $2, $3, $4, $11, $12 * 100, $9, $13 }'
            continue
        fi
        printf '%s\n' "$line" >>"$RAW"
        echo "$line" | awk -F'\t' '{ printf "%-5s %-5s %-11s %10s %8s %6.0f%% %7s %6s\n", $1, $2, $3, $4, $11, $12 * 100, $9, $13 }'
        return 0
    done
}

for r in $(seq 1 "$ROUNDS"); do
    for d in $DEPTHS; do
        for srv in $servers; do
            measure "$r" "$d" "$srv"
        done
    done
done

echo
echo "Raw results: $RAW"
echo
print_table
