#!/usr/bin/env bash
# echo_bench.sh - echo of 44-byte packets over 64 connections, depth 1 and 16:
# grocketd (all four worker/tcp_out modes) against the reference floor
# ref_echo, A/B alternated in the same run. See docs/benchmarks.md.
#
#   bench/echo_bench.sh [BUILD_DIR]          (default: $BUILD_DIR or build)
#   ROUNDS=5 S=5 bench/echo_bench.sh build-bench
#
# Builds nothing but ref_echo (gcc -O2, from $SHARED_DIR/bench/ref_echo.c,
# into BUILD_DIR/echo_bench/); build grocketd, test_tcp_client and demo first:
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
# SHARED_DIR <repo root>/../shared, WORK_DIR BUILD_DIR/echo_bench,
# GROCKETD_EXTRA (empty): extra [server] lines for every grocketd mode, e.g.
# GROCKETD_EXTRA="tcp.in.recv_buf.init = 65536".
# Exit status: 0 done; 1 a server or a client failed; 2 bad setup.
set -euo pipefail

die() { echo "echo_bench.sh: $*" >&2; exit 2; }

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$SCRIPT_DIR" rev-parse --show-toplevel 2>/dev/null || (cd "$SCRIPT_DIR/.." && pwd))

BUILD_DIR=${1:-${BUILD_DIR:-build}}
case $BUILD_DIR in
    /*) ;;
    *) if [ -d "$BUILD_DIR" ]; then BUILD_DIR=$(cd "$BUILD_DIR" && pwd); else BUILD_DIR=$ROOT/$BUILD_DIR; fi ;;
esac
SHARED_DIR=${SHARED_DIR:-$ROOT/../shared}
ROUNDS=${ROUNDS:-5}
S=${S:-5}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-64}
SIZE=${SIZE:-44}
DEPTHS=${DEPTHS:-"1 16"}
MODES=${MODES:-"inline worker out worker+out"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OTHERS_MAX=${OTHERS_MAX:-0.10}
RETRIES=${RETRIES:-3}
QUIET_WAIT=${QUIET_WAIT:-120}
WORK_DIR=${WORK_DIR:-$BUILD_DIR/echo_bench}
GROCKETD_EXTRA=${GROCKETD_EXTRA:-}

GROCKETD=$BUILD_DIR/bin/grocketd
CLIENT=$BUILD_DIR/bin/test_tcp_client
MODULE=$BUILD_DIR/modules/libdemo.so
REF_SRC=$SHARED_DIR/bench/ref_echo.c
REF=$WORK_DIR/ref_echo

for f in "$GROCKETD" "$CLIENT" "$MODULE"; do
    [ -e "$f" ] || die "$f not found; build first: cmake --build $BUILD_DIR --target grocketd test_tcp_client demo"
done
[ -r "$REF_SRC" ] || die "$REF_SRC not found (set SHARED_DIR)"
for t in taskset timeout gcc awk getconf; do
    command -v "$t" >/dev/null || die "$t not found"
done
NCPU=$(getconf _NPROCESSORS_ONLN)
[ "$SERVER_CPU" -lt "$NCPU" ] && [ "$CLIENT_CPU" -lt "$NCPU" ] ||
    die "need CPUs $SERVER_CPU and $CLIENT_CPU, have $NCPU"
HZ=$(getconf CLK_TCK)

mkdir -p "$WORK_DIR"
gcc -O2 -o "$REF" "$REF_SRC" || die "could not build ref_echo"

# ---- servers --------------------------------------------------------------

SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        # give it 5 s to exit, then SIGKILL
        local i=0
        while kill -0 "$SERVER_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
trap 'stop_server' EXIT
trap 'stop_server; exit 130' INT TERM

# is something listening on 127.0.0.1:$1 (or 0.0.0.0)? (/proc/net/tcp, state 0A)
listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" '$4 == "0A" && ($2 == "0100007F" p || $2 == "00000000" p) { f = 1 } END { exit !f }' /proc/net/tcp
}

# is port $1 used locally by any socket (any state, IPv4 or IPv6)?
port_used() {
    local hex
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk -v p="$hex" '{ n = split($2, a, ":"); if (a[n] == p) { f = 1; exit } } END { exit !f }'
}

# the port of a fresh ref_echo: a random unused one below the ephemeral range
free_port() {
    local p i lo
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range || lo=32768
    [ "$lo" -gt 12000 ] || lo=32768
    for i in $(seq 1 50); do
        p=$((10000 + RANDOM % (lo - 10000)))
        port_used "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# start_server NAME -> sets SERVER_PID, PORT; 1 on failure
start_server() {
    local name=$1 log=$WORK_DIR/server.log i
    PORT=
    if [ "$name" = ref_echo ]; then
        local try
        for try in 1 2 3 4 5; do  # a port taken meanwhile: try another
            PORT=$(free_port) || return 1
            taskset -c "$SERVER_CPU" "$REF" "$PORT" 2>"$log" &
            SERVER_PID=$!
            for i in $(seq 1 50); do
                listening "$PORT" && kill -0 "$SERVER_PID" 2>/dev/null && return 0
                kill -0 "$SERVER_PID" 2>/dev/null || break
                sleep 0.1
            done
            grep -q 'in use' "$log" || break
            stop_server
        done
    else
        local w=true o=true conf=$WORK_DIR/grocketd-$name.ini
        case $name in
            inline) ;;
            worker) w=false ;;
            out) o=false ;;
            worker+out) w=false; o=false ;;
            *) die "unknown mode $name" ;;
        esac
        cat >"$conf" <<EOF
; written by bench/echo_bench.sh: mode $name
[server]
module = $MODULE
pid_file =
log.level = info
tcp.in.thread_count = 1
worker.disabled = $w
worker.thread_count = 1
tcp.out.disabled = $o
tcp.out.thread_count = 1
$GROCKETD_EXTRA
[listen]
0 = tcp://127.0.0.1:0
EOF
        taskset -c "$SERVER_CPU" "$GROCKETD" -c "$conf" 2>"$log" &
        SERVER_PID=$!
        for i in $(seq 1 50); do
            PORT=$(sed -n 's/.*listening on tcp:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
            [ -n "$PORT" ] && listening "$PORT" && return 0
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
    fi
    echo "echo_bench.sh: $name did not start listening:" >&2
    cat "$log" >&2
    stop_server
    return 1
}

# ---- sampling -------------------------------------------------------------

# utime+stime of a process, in ticks (fields 14 and 15; the name may hold spaces)
proc_ticks() {
    local s
    s=$(cat "/proc/$1/stat") || return 1
    s=${s##*) }
    set -- $s  # field 3 of stat is $1 here
    echo $(( ${12} + ${13} ))
}
# busy ticks of all CPUs (user nice system irq softirq steal) and steal alone
sys_ticks() {
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $9; exit }' /proc/stat
}

# wait_quiet: before a run (nothing of ours running), wait until the other
# processes of the machine used less than OTHERS_MAX of a core for a whole
# second; give up after QUIET_WAIT seconds (the run is then likely flagged).
wait_quiet() {
    local waited=0 b0 b1
    while :; do
        b0=$(sys_ticks); sleep 1; b1=$(sys_ticks)
        awk -v b="$(( ${b1% *} - ${b0% *} ))" -v hz="$HZ" -v max="$OTHERS_MAX" 'BEGIN { exit !(b <= max * hz) }' && return 0
        waited=$((waited + 1))
        if [ "$waited" -ge "$QUIET_WAIT" ]; then
            echo "# machine still busy after ${QUIET_WAIT} s; measuring anyway" >&2
            return 0
        fi
        [ "$waited" -eq 1 ] && echo "# machine busy (others running); waiting up to ${QUIET_WAIT} s" >&2
    done
}

# run_client OUTFILE ARGS... : the client pinned to CLIENT_CPU, bounded; its
# CPU time (ticks, utime+stime of the waited children of a wrapper shell) is
# appended to OUTFILE as "CLIENT_TICKS n".
run_client() {
    local out=$1 limit
    shift
    limit=$(awk -v s="$S" -v w="$WARMUP" 'BEGIN { printf "%d", (s > w ? s : w) + 30 }')
    sh -c '
        lim=$0 cpu=$1 bin=$2
        shift 2
        timeout "$lim" taskset -c "$cpu" "$bin" "$@" 2>&1 || rc=$?
        read -r st < /proc/$$/stat
        st=${st##*) }
        set -- $st
        echo "CLIENT_TICKS $(( ${14} + ${15} ))"
        exit ${rc:-0}
    ' "$limit" "$CLIENT_CPU" "$CLIENT" --port "$PORT" --threads 1 --connections "$CONNS" \
        --size "$SIZE" --quiet "$@" >"$out"
}

result_field() { # FILE KEY -> value from the RESULT line
    sed -n "s/^RESULT .*$2=\([0-9.]*\).*/\1/p" "$1" | tail -n 1
}

# ---- table ----------------------------------------------------------------

print_table() {
awk -F'\t' -v conns="$CONNS" -v size="$SIZE" -v rounds="$ROUNDS" -v servers="$servers" -v depths="$DEPTHS" '
function med(a, k,   i, j, t, m) {   # sorts a[1..k] in place
    for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    m = int((k + 1) / 2)
    return (k % 2) ? a[m] : (a[m] + a[m + 1]) / 2
}
function label(s) {
    if (s == "inline") return "grocketd, worker off, tcp_out off"
    if (s == "worker") return "grocketd, worker on, tcp_out off"
    if (s == "out") return "grocketd, worker off, tcp_out on"
    if (s == "worker+out") return "grocketd, worker on, tcp_out on"
    return s
}
function rate(x) { return x >= 1e6 ? sprintf("%.2fM", x / 1e6) : sprintf("%.0fk", x / 1e3) }
NR > 1 {
    key = $2 SUBSEP $3; c = ++cnt[key]
    R[key, c] = $4; U[key, c] = $11; if ($13 != "") noisy[key]++
    PR[$2, $3, $1] = $4; PU[$2, $3, $1] = $11; if (!($1 in seen)) { seen[$1] = 1; rl[++nr] = $1 }
}
END {
    ns = split(servers, sv, " "); nd = split(depths, dv, " ")
    print "| workload | server | req/s median (min–max) | CPU µs/req median (min–max) | ratio vs ref_echo: req/s, CPU/req | same-round ratio: req/s, CPU/req | noisy runs |"
    print "|---|---|---|---|---|---|---|"
    for (i = 1; i <= nd; i++) {
        d = dv[i]
        for (j = 1; j <= ns; j++) {
            s = sv[j]; key = d SUBSEP s; k = cnt[key]
            if (!k) continue
            delete a; delete b
            for (c = 1; c <= k; c++) { a[c] = R[key, c]; b[c] = U[key, c] }
            mr = med(a, k); mu = med(b, k)
            rmin = a[1]; rmax = a[k]; umin = b[1]; umax = b[k]
            if (s == "ref_echo") { refr[d] = mr; refu[d] = mu; ratio = "1 (reference)"; paired = "—" }
            else {
                ratio = sprintf("%.2f×, %.2f×", mr / refr[d], mu / refu[d])
                # the ratio to ref_echo of the same round, median over rounds
                delete pa; delete pb; m = 0
                for (q = 1; q <= nr; q++) {
                    rr = rl[q]
                    if ((d, s, rr) in PR && (d, "ref_echo", rr) in PR) {
                        m++; pa[m] = PR[d, s, rr] / PR[d, "ref_echo", rr]; pb[m] = PU[d, s, rr] / PU[d, "ref_echo", rr]
                    }
                }
                paired = m ? sprintf("%.2f×, %.2f×", med(pa, m), med(pb, m)) : "—"
            }
            name = label(s)
            printf "| echo %d B, %d conns, depth %d | %s | %s (%s–%s) | %.2f (%.2f–%.2f) | %s | %s | %d/%d |\n",
                size, conns, d, name, rate(mr), rate(rmin), rate(rmax), mu, umin, umax, ratio, paired, noisy[key] + 0, k
        }
    }
}' "$RAW"
}

servers="ref_echo $MODES"

# TABLE=FILE: only print the table of an earlier run's results.tsv
if [ -n "${TABLE:-}" ]; then
    RAW=$TABLE
    print_table
    exit 0
fi

# ---- correctness ----------------------------------------------------------

echo "# echo_bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), HZ=$HZ"
echo "# build $BUILD_DIR, ref $REF, rounds $ROUNDS, S $S s, warm-up $WARMUP s, $CONNS conns, $SIZE B, depths $DEPTHS"
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
            echo "echo_bench.sh: correctness check failed: $srv depth $d" >&2
            cat "$f" >&2
            exit 1
        fi
        stop_server
        echo "#   ok: $srv depth $d: $((CONNS * count)) echoes verified"
    done
done

# ---- measurement ----------------------------------------------------------

RAW=$WORK_DIR/results.tsv
printf 'round\tdepth\tserver\treq_per_s\trequests\tserver_ticks\tclient_ticks\tothers_ticks\tsteal_ticks\twindow_s\tcpu_us_per_req\tothers_core\tflag\n' >"$RAW"
echo
printf '%-5s %-5s %-11s %10s %8s %7s %7s %6s\n' round depth server req/s us/req others steal flag

measure() { # ROUND DEPTH SERVER
    local r=$1 d=$2 srv=$3 f=$WORK_DIR/run.out attempt=0
    while :; do
        wait_quiet
        start_server "$srv" || exit 1
        if ! run_client "$f" --duration "$WARMUP" --depth "$d"; then
            echo "echo_bench.sh: warm-up failed: $srv depth $d" >&2; cat "$f" >&2; exit 1
        fi
        local t0 s0 t1 s1 ct n rps el
        t0=$(proc_ticks "$SERVER_PID"); s0=$(sys_ticks)
        if ! run_client "$f" --duration "$S" --depth "$d"; then
            echo "echo_bench.sh: run failed: $srv depth $d" >&2; cat "$f" >&2; exit 1
        fi
        t1=$(proc_ticks "$SERVER_PID"); s1=$(sys_ticks)
        stop_server
        ct=$(sed -n 's/^CLIENT_TICKS //p' "$f")
        n=$(result_field "$f" requests)
        rps=$(result_field "$f" req_per_s)
        el=$(result_field "$f" elapsed_ms)
        local line
        line=$(awk -v r="$r" -v d="$d" -v srv="$srv" -v rps="$rps" -v n="$n" \
                   -v st=$((t1 - t0)) -v ct="$ct" -v b0="${s0% *}" -v b1="${s1% *}" \
                   -v x0="${s0#* }" -v x1="${s1#* }" -v el="$el" -v hz="$HZ" -v max="$OTHERS_MAX" 'BEGIN {
            busy = b1 - b0; steal = x1 - x0; oth = busy - st - ct; if (oth < 0) oth = 0
            win = el / 1000; if (win <= 0) win = 1
            us = st / hz * 1e6 / n
            core = oth / hz / win
            printf "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.3f\t%.4f\t%.3f\t%s\n",
                r, d, srv, rps, n, st, ct, oth, steal, win, us, core, (core > max ? "NOISY" : "")
        }')
        local flag=${line##*$'\t'}
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
