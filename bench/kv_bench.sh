#!/usr/bin/env bash
# kv_bench.sh - redis-benchmark SET and GET, 50 connections, at depth 1 and
# 16: grocketd with the kv module against redis-server 7 and against the bare
# RESP floor ref_resp, A/B/C alternated in the same run; then memory per key
# at one million keys with 16-byte values (kv and redis-server).
# See docs/benchmarks.md ("kv against Redis").
#
#   bench/kv_bench.sh [BUILD_DIR]          (default: $BUILD_DIR or build)
#   ROUNDS=5 bench/kv_bench.sh build
#
# Builds nothing but ref_resp (gcc -O2, from bench/ref_resp.c, into
# WORK_DIR); build grocketd and kv first:
#   cmake --build BUILD_DIR --target grocketd kv
# Needs redis-server (Debian's, 7), redis-benchmark, redis-cli, python3.
#
# Servers (each listening on 127.0.0.1 only, pinned to SERVER_CPU):
#   kv     grocketd -c (conf/kv.ini adapted): one tcp.in thread running proc
#          inline (worker off, tcp_out off), the listen on 127.0.0.1:0 (the
#          port it logs), everything else as conf/kv.ini (max_memory 0, hz 10)
#   redis  redis-server --save '' --appendonly no --io-threads 1 (its bio
#          threads count too: all of the process's CPU is counted)
#   ref    ref_resp, the floor (bench/ref_resp.c)
#
# Correctness first, per server: redis-cli SET then GET of the same key
# (ref: SET answers OK, GET its fixed 3-byte bulk).
#
# Throughput: per round, each server in turn (kv, redis, ref), one fresh
# server per round; after a warm-up (redis-benchmark -t set,get -n WARMUP_N),
# for each depth in DEPTHS and each test in TESTS: sample, one
# `redis-benchmark -h 127.0.0.1 -p PORT -c CONNS -P DEPTH -t TEST -n N --csv`
# pinned to CLIENT_CPU, sample. GET reads the key SET wrote (redis-benchmark's
# one key "key:__rand_int__", 3-byte value). N is N_1 for depth 1, N_16 for
# depth 16 (N_D for any other depth, else N_DEFAULT): size them for ~5 s.
# Recorded per run: req/s (redis-benchmark's), server CPU per request =
# utime+stime of the server's pid over the invocation / N, and the CPU used by
# everything else; runs where others took more than OTHERS_MAX (0.10) of a
# core are flagged NOISY and repeated up to RETRIES (3) times. Before each
# server start the script waits (at most QUIET_WAIT, 120 s) for a second of
# idle machine.
#
# Memory (MEM_KEYS > 0): per server in MEM_SERVERS ("kv redis"), MEM_ROUNDS
# (1) times, a fresh server and bench/kv_memory.py PID PORT MEM_KEYS:
# growth of VmRSS and of INFO used_memory, per key.
#
# Environment (defaults): ROUNDS 5, CONNS 50, DEPTHS "1 16", TESTS "set get",
# SERVERS "kv redis ref", N_1 300000, N_16 3000000, N_DEFAULT 1000000,
# WARMUP_N 100000, MEM_KEYS 1000000 (0: skip), MEM_SERVERS "kv redis",
# MEM_ROUNDS 1, SERVER_CPU 0, CLIENT_CPU 1, OTHERS_MAX 0.10, RETRIES 3,
# QUIET_WAIT 120, WORK_DIR BUILD_DIR/kv_bench.
# TABLE=FILE prints the throughput table of an earlier results.tsv,
# MEM_TABLE=FILE the memory table of an earlier memory.tsv.
# Shared functions (servers, sampling, idle wait): bench/lib.sh.
# Exit status: 0 done; 1 a server or a client failed; 2 bad setup.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=kv_bench.sh
CONNS=${CONNS:-50}
. "$SCRIPT_DIR/lib.sh"   # die, servers, sampling, wait_quiet, run_pinned, AWK_LIB

BUILD_DIR=$(abs_build_dir "${1:-${BUILD_DIR:-build}}")
DEPTHS=${DEPTHS:-"1 16"}
TESTS=${TESTS:-"set get"}
SERVERS=${SERVERS:-"kv redis ref"}
N_1=${N_1:-300000}
N_16=${N_16:-3000000}
N_DEFAULT=${N_DEFAULT:-1000000}
WARMUP_N=${WARMUP_N:-100000}
MEM_KEYS=${MEM_KEYS:-1000000}
MEM_SERVERS=${MEM_SERVERS:-"kv redis"}
MEM_ROUNDS=${MEM_ROUNDS:-1}
SERVER_CPU=${SERVER_CPU:-0}
RETRIES=${RETRIES:-3}
WORK_DIR=${WORK_DIR:-$BUILD_DIR/kv_bench}

GROCKETD=$BUILD_DIR/bin/grocketd
MODULE=$BUILD_DIR/modules/libkv.so
REF_SRC=$SCRIPT_DIR/ref_resp.c
MEM_TOOL=$SCRIPT_DIR/kv_memory.py
REF=$WORK_DIR/ref_resp

label() {
    case $1 in
        kv) echo "grocketd + kv, 1 tcp.in thread, inline" ;;
        redis) local v; v=$(redis-server --version 2>/dev/null | sed -n 's/.* v=\([^ ]*\).*/\1/p') || true
               echo "redis-server${v:+ $v}, io-threads 1" ;;
        ref) echo "ref_resp (floor)" ;;
        *) echo "$1" ;;
    esac
}

# ---- tables ---------------------------------------------------------------

print_table() { # results.tsv
    local labels="" s
    for s in $SERVERS; do labels="$labels$s=$(label "$s");"; done
    awk -F'\t' -v servers="$SERVERS" -v depths="$DEPTHS" -v tests="$TESTS" -v conns="$CONNS" \
        -v labels="$labels" "$AWK_LIB"'
NR > 1 {
    w = $2 SUBSEP $3; key = w SUBSEP $4; c = ++cnt[key]
    R[key, c] = $5; U[key, c] = $11; if ($13 != "") noisy[key]++
    PR[w, $4, $1] = $5; PU[w, $4, $1] = $11; if (!($1 in seen)) { seen[$1] = 1; rl[++nr] = $1 }
}
function pr(w, s, ref,   a, b) {
    if (s == ref || !((w, s) in MR) || !((w, ref) in MR)) return "—"
    a = paired(w, s, ref, "r"); b = paired(w, s, ref, "u")
    return a < 0 ? "—" : sprintf("%.2f×, %.2f×", a, b)
}
END {
    n = split(labels, lv, ";"); for (i = 1; i <= n; i++) { p = index(lv[i], "="); if (p) L[substr(lv[i], 1, p - 1)] = substr(lv[i], p + 1) }
    ns = split(servers, sv, " "); nd = split(depths, dv, " "); nt = split(tests, tv, " ")
    for (i = 1; i <= nd; i++) for (t = 1; t <= nt; t++) for (j = 1; j <= ns; j++) {
        w = dv[i] SUBSEP tv[t]; key = w SUBSEP sv[j]; k = cnt[key]
        if (!k) continue
        delete a; delete b
        for (c = 1; c <= k; c++) { a[c] = R[key, c]; b[c] = U[key, c] }
        MR[w, sv[j]] = med(a, k); MU[w, sv[j]] = med(b, k)
        AR1[key] = a[1]; ARk[key] = a[k]; BU1[key] = b[1]; BUk[key] = b[k]
    }
    print "| workload | server | req/s median (min–max) | CPU µs/req median (min–max) | vs redis, same round: req/s, CPU/req | vs ref_resp, same round: req/s, CPU/req | noisy runs |"
    print "|---|---|---|---|---|---|---|"
    for (i = 1; i <= nd; i++) for (t = 1; t <= nt; t++) for (j = 1; j <= ns; j++) {
        d = dv[i]; s = sv[j]; w = d SUBSEP tv[t]; key = w SUBSEP s; k = cnt[key]
        if (!k) continue
        printf "| %s, -c %d -P %d | %s | %s (%s–%s) | %.2f (%.2f–%.2f) | %s | %s | %d/%d |\n",
            toupper(tv[t]), conns, d, (s in L ? L[s] : s), rate(MR[w, s]), rate(AR1[key]), rate(ARk[key]),
            MU[w, s], BU1[key], BUk[key], pr(w, s, "redis"), pr(w, s, "ref"), noisy[key] + 0, k
    }
}' "$1"
}

print_mem_table() { # memory.tsv
    local labels="" s
    for s in $MEM_SERVERS; do labels="$labels$s=$(label "$s");"; done
    awk -F'\t' -v servers="$MEM_SERVERS" -v labels="$labels" "$AWK_LIB"'
NR > 1 { k = ++cnt[$2]; K[$2] = $3; P[$2, k] = $4; M[$2, k] = $5 }
END {
    n = split(labels, lv, ";"); for (i = 1; i <= n; i++) { p = index(lv[i], "="); if (p) L[substr(lv[i], 1, p - 1)] = substr(lv[i], p + 1) }
    ns = split(servers, sv, " ")
    print "| server | keys | RSS growth per key, median (min–max) | used_memory growth per key, median | runs |"
    print "|---|---|---|---|---|"
    for (j = 1; j <= ns; j++) {
        s = sv[j]; k = cnt[s]
        if (!k) continue
        delete x; delete y
        for (c = 1; c <= k; c++) { x[c] = P[s, c]; y[c] = M[s, c] }
        printf "| %s | %d | %.1f B (%.1f–%.1f) | %.1f B | %d |\n", (s in L ? L[s] : s), K[s], med(x, k), x[1], x[k], med(y, k), k
    }
}' "$1"
}

if [ -n "${TABLE:-}" ] || [ -n "${MEM_TABLE:-}" ]; then
    [ -z "${TABLE:-}" ] || print_table "$TABLE"
    [ -z "${MEM_TABLE:-}" ] || { [ -z "${TABLE:-}" ] || echo; print_mem_table "$MEM_TABLE"; }
    exit 0
fi

# ---- setup ----------------------------------------------------------------

case " $SERVERS $MEM_SERVERS " in
*" kv "*) for f in "$GROCKETD" "$MODULE"; do
              [ -e "$f" ] || die "$f not found; build first: cmake --build $BUILD_DIR --target grocketd kv"
          done ;;
esac
for f in "$REF_SRC" "$MEM_TOOL" "$ROOT/conf/kv.ini"; do [ -r "$f" ] || die "$f not found"; done
need_tools taskset timeout gcc awk getconf redis-server redis-benchmark redis-cli python3
need_cpus "$SERVER_CPU" "$CLIENT_CPU"
mkdir -p "$WORK_DIR"
gcc -O2 -o "$REF" "$REF_SRC" || die "could not build ref_resp"

# conf/kv.ini with the module of BUILD_DIR, no pid file, one tcp.in thread
# running proc inline, and one listen on 127.0.0.1 (a free port)
KV_CONF=$WORK_DIR/kv.ini
kv_conf "$MODULE" "$KV_CONF"

# ---- servers --------------------------------------------------------------

# start_server NAME -> sets SERVER_PID, PORT; 1 on failure
start_server() {
    local name=$1 log=$WORK_DIR/server.log
    PORT=
    if [ "$name" = kv ]; then
        taskset -c "$SERVER_CPU" "$GROCKETD" -c "$KV_CONF" 2>"$log" &
        SERVER_PID=$!
        for _ in $(seq 1 50); do
            PORT=$(grocketd_port "$log" tcp)
            [ -n "$PORT" ] && listening "$PORT" && return 0
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
    else
        for _ in 1 2 3 4 5; do  # a port taken meanwhile: try another
            PORT=$(free_port) || return 1
            if [ "$name" = ref ]; then
                taskset -c "$SERVER_CPU" "$REF" "$PORT" 3600 2>"$log" &
            else
                taskset -c "$SERVER_CPU" redis-server --bind 127.0.0.1 --port "$PORT" \
                    --save '' --appendonly no --io-threads 1 --daemonize no \
                    --dir "$WORK_DIR" --logfile '' >"$log" 2>&1 &
            fi
            SERVER_PID=$!
            wait_listening "$PORT" "$SERVER_PID" && return 0
            grep -qi 'in use' "$log" || break
            stop_server
        done
    fi
    echo "$BENCH_NAME: $name did not start listening:" >&2
    cat "$log" >&2
    stop_server
    return 1
}

n_for() { # DEPTH -> requests of one run
    local v="N_$1"
    echo "${!v:-$N_DEFAULT}"
}

# ---- correctness ----------------------------------------------------------

echo "# kv_bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), HZ=$HZ"
echo "# build $BUILD_DIR, ref $REF, $(redis-server --version | awk '{ print $1, $2, $3 }')"
echo "# rounds $ROUNDS, redis-benchmark -c $CONNS, depths $DEPTHS (requests: $(for d in $DEPTHS; do printf '%s ' "-P $d: $(n_for "$d")"; done)), tests $TESTS"
echo "# server on CPU $SERVER_CPU, redis-benchmark on CPU $CLIENT_CPU; kv: $KV_CONF (1 tcp.in thread, proc inline)"
rc_cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$PORT" "$@" 2>&1; }
for srv in $(echo "$SERVERS $([ "$MEM_KEYS" -gt 0 ] && echo "$MEM_SERVERS")" | tr ' ' '\n' | awk 'NF && !seen[$0]++'); do
    start_server "$srv" || exit 1
    a=$(rc_cli SET kv_bench:check abc) b=$(rc_cli GET kv_bench:check) want=abc
    [ "$srv" != ref ] || want=xxx
    if [ "$a" != OK ] || [ "$b" != "$want" ]; then
        echo "$BENCH_NAME: correctness check failed: $srv: SET got '$a', GET got '$b' (want OK, $want)" >&2; exit 1
    fi
    stop_server
    echo "#   ok: $srv: SET OK, GET '$b'"
done

# ---- throughput -----------------------------------------------------------

RAW=$WORK_DIR/results.tsv
printf 'round\tdepth\ttest\tserver\treq_per_s\trequests\twindow_s\tserver_ticks\tclient_ticks\tothers_ticks\tcpu_us_per_req\tothers_core\tflag\n' >"$RAW"

# bench OUTFILE N DEPTH TEST: one pinned redis-benchmark run, bounded
bench() {
    run_pinned "$1" $(( $2 / 5000 + 60 )) redis-benchmark -h 127.0.0.1 -p "$PORT" \
        -c "$CONNS" -P "$3" -t "$4" -n "$2" --csv
}
csv_rps() { # FILE TEST -> its requests per second
    awk -F'"' -v t="$(echo "$2" | tr '[:lower:]' '[:upper:]')" '$2 == t { print $4; f = 1 } END { exit !f }' "$1"
}

measure() { # ROUND SERVER
    local r=$1 srv=$2 f=$WORK_DIR/run.out d t n attempt t0 s0 t1 s1 ct rps win us oth core flag line
    wait_quiet
    start_server "$srv" || exit 1
    if ! bench "$f" "$WARMUP_N" 16 set,get; then
        echo "$BENCH_NAME: warm-up failed: $srv" >&2; cat "$f" >&2; exit 1
    fi
    for d in $DEPTHS; do
        for t in $TESTS; do
            n=$(n_for "$d"); attempt=0
            while :; do
                t0=$(proc_ticks "$SERVER_PID"); s0=$(sys_ticks)
                if ! bench "$f" "$n" "$d" "$t" || ! rps=$(csv_rps "$f" "$t"); then
                    echo "$BENCH_NAME: run failed: $srv -P $d $t" >&2; cat "$f" >&2; exit 1
                fi
                t1=$(proc_ticks "$SERVER_PID"); s1=$(sys_ticks)
                ct=$(sed -n 's/^CLIENT_TICKS //p' "$f")
                win=$(awk -v n="$n" -v r="$rps" 'BEGIN { printf "%.3f", (r > 0 ? n / r : 0) }')
                read -r us oth _ core flag <<<"$(run_stats $((t1 - t0)) "$ct" "$s0" "$s1" "$win" "$n")"
                [ "$flag" != - ] || flag=
                line=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s' \
                    "$r" "$d" "$t" "$srv" "$rps" "$n" "$win" $((t1 - t0)) "$ct" "$oth" "$us" "$core" "$flag")
                if [ -n "$flag" ] && [ "$attempt" -lt "$RETRIES" ]; then
                    attempt=$((attempt + 1))
                    echo "$line" | awk -F'\t' '{ printf "%-5s %-5s %-4s %-6s %10.0f %8.3f %6.0f%% %s (repeating)\n", $1, $2, $3, $4, $5, $11, $12 * 100, $13 }'
                    continue
                fi
                printf '%s\n' "$line" >>"$RAW"
                echo "$line" | awk -F'\t' '{ printf "%-5s %-5s %-4s %-6s %10.0f %8.3f %6.0f%% %s\n", $1, $2, $3, $4, $5, $11, $12 * 100, $13 }'
                break
            done
        done
    done
    stop_server
}

if [ "$ROUNDS" -gt 0 ]; then
    echo
    printf '%-5s %-5s %-4s %-6s %10s %8s %7s %s\n' round depth test server req/s us/req others flag
    for r in $(seq 1 "$ROUNDS"); do
        for srv in $SERVERS; do
            measure "$r" "$srv"
        done
    done
fi

# ---- memory per key ---------------------------------------------------------

MEM=$WORK_DIR/memory.tsv
if [ "$MEM_KEYS" -gt 0 ]; then
    printf 'round\tserver\tkeys\trss_bytes_per_key\tused_memory_bytes_per_key\n' >"$MEM"
    echo
    for r in $(seq 1 "$MEM_ROUNDS"); do
        for srv in $MEM_SERVERS; do
            wait_quiet
            start_server "$srv" || exit 1
            f=$WORK_DIR/mem.out
            if ! timeout $(( MEM_KEYS / 2000 + 120 )) taskset -c "$CLIENT_CPU" \
                    python3 "$MEM_TOOL" "$SERVER_PID" "$PORT" "$MEM_KEYS" >"$f" 2>&1; then
                echo "$BENCH_NAME: kv_memory.py failed: $srv" >&2; cat "$f" >&2; exit 1
            fi
            stop_server
            line=$(sed -n 's/.*(\([0-9.]*\) per key), used_memory.*(\([0-9.]*\) per key).*/\1\t\2/p' "$f")
            [ -n "$line" ] || { echo "$BENCH_NAME: unexpected kv_memory.py output: $srv" >&2; cat "$f" >&2; exit 1; }
            printf '%s\t%s\t%s\t%s\n' "$r" "$srv" "$MEM_KEYS" "$line" >>"$MEM"
            echo "mem $r $srv: $(cat "$f")"
        done
    done
fi

echo
[ "$ROUNDS" -le 0 ] || { echo "Raw results: $RAW"; echo; print_table "$RAW"; echo; }
[ "$MEM_KEYS" -le 0 ] || { echo "Memory: $MEM"; echo; print_mem_table "$MEM"; }
