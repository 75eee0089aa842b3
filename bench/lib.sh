# shellcheck shell=bash
# lib.sh - shell functions shared by the benchmark scripts of bench/
# (echo_bench.sh and its UDP face udp_bench.sh, http_bench.sh). Source it from bash after `set -euo pipefail`:
#
#   . "$SCRIPT_DIR/lib.sh"
#
# It expects (and defaults) these variables: BENCH_NAME (the script's name,
# for messages), OTHERS_MAX (0.10), QUIET_WAIT (120), CLIENT_CPU (1).
# It sets HZ (CLK_TCK), ROOT (the repository root) and the shared run
# settings ROUNDS (5), S (5), WARMUP (1), CONNS (64).
# Servers: a script starts its server in the background, puts its pid in
# SERVER_PID and calls stop_server to end it (also from the EXIT trap set
# here, which calls the function `cleanup` if the script defines one).

BENCH_NAME=${BENCH_NAME:-$(basename "$0")}
OTHERS_MAX=${OTHERS_MAX:-0.10}
QUIET_WAIT=${QUIET_WAIT:-120}
CLIENT_CPU=${CLIENT_CPU:-1}

die() { echo "$BENCH_NAME: $*" >&2; exit 2; }

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$LIB_DIR" rev-parse --show-toplevel 2>/dev/null || (cd "$LIB_DIR/.." && pwd))

# Run settings both benchmarks share; each can be set from the environment.
ROUNDS=${ROUNDS:-5}
S=${S:-5}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-64}

# abs_build_dir DIR -> DIR as an absolute path (relative: to the current
# directory if it exists there, else to the repository root)
abs_build_dir() {
    case $1 in
        /*) echo "$1" ;;
        *) if [ -d "$1" ]; then (cd "$1" && pwd); else echo "$ROOT/$1"; fi ;;
    esac
}

# need_tools T... : die unless every command exists
need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || die "$t not found"
    done
}

# need_cpus A B : die unless CPUs A and B exist
need_cpus() {
    local n
    n=$(getconf _NPROCESSORS_ONLN)
    [ "$1" -lt "$n" ] && [ "$2" -lt "$n" ] || die "need CPUs $1 and $2, have $n"
}

HZ=$(getconf CLK_TCK)

# ---- servers --------------------------------------------------------------

SERVER_PID=
# stop_server: SIGTERM the server by pid, 5 s to exit, then SIGKILL
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        local i=0
        while kill -0 "$SERVER_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
lib_exit() {
    if declare -F cleanup >/dev/null; then cleanup; fi
    stop_server
}
trap 'lib_exit' EXIT
trap 'lib_exit; exit 130' INT TERM

# listening PORT [PROTO]: is something listening on 127.0.0.1:PORT (or
# 0.0.0.0)? PROTO tcp (default: /proc/net/tcp, state 0A) or udp (a socket
# bound there: /proc/net/udp, state 07)
listening() {
    local hex file=/proc/net/tcp state=0A
    hex=$(printf '%04X' "$1")
    if [ "${2:-tcp}" = udp ]; then file=/proc/net/udp; state=07; fi
    awk -v p=":$hex" -v st="$state" '$4 == st && ($2 == "0100007F" p || $2 == "00000000" p) { f = 1 } END { exit !f }' "$file"
}

# port_used PORT: is PORT used locally by any socket (any state, TCP or UDP,
# IPv4 or IPv6)?
port_used() {
    local hex
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null |
        awk -v p="$hex" '{ n = split($2, a, ":"); if (a[n] == p) { f = 1; exit } } END { exit !f }'
}

# free_port: a random unused port below the ephemeral range
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

# wait_listening PORT PID [TENTHS] [PROTO]: 0 once PORT listens (PROTO tcp,
# the default, or udp) and PID lives; 1 if PID died or TENTHS (50) tenths of
# a second passed
wait_listening() {
    local i
    for i in $(seq 1 "${3:-50}"); do
        listening "$1" "${4:-tcp}" && kill -0 "$2" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# kv_conf MODULE OUT: conf/kv.ini with MODULE, no pid file, one tcp.in
# thread running proc inline (worker and tcp_out off), and one listen on
# 127.0.0.1 (a free port), written to OUT; dies if conf/kv.ini's lines
# changed so that it cannot adapt them (kv_bench.sh, kv_instr.sh)
kv_conf() {
    awk -v module="$1" '
        /^\[/ { sec = $0 }
        sec == "[server]" && /^module *=/ { print "module = " module; next }
        sec == "[server]" && /^pid_file *=/ { print "pid_file ="; next }
        sec == "[server]" && /^tcp\.in\.thread_count *=/ { print "tcp.in.thread_count = 1"; next }
        sec == "[server]" && /^worker\.disabled *=/ { print "worker.disabled = true\ntcp.out.disabled = true"; next }
        sec == "[listen]" && /^0 *=/ { print "0 = tcp://127.0.0.1:0"; next }
        { print }' "$ROOT/conf/kv.ini" >"$2"
    if ! grep -q '^tcp\.in\.thread_count = 1$' "$2" || ! grep -q '^0 = tcp://127\.0\.0\.1:0$' "$2"; then
        die "could not adapt conf/kv.ini (its [server] or [listen] lines changed?)"
    fi
}

# grocketd_port LOG SCHEME: the port grocketd logged as "listening on
# SCHEME://127.0.0.1:PORT", empty if none yet
# start_grocketd MODE SCHEME LOG -> sets SERVER_PID, PORT; 1 on failure.
# MODE: inline | worker | out | worker+out (which of worker and tcp_out, or
# for udp udp_out, run); SCHEME: tcp | http | udp, the one listen on
# 127.0.0.1 (a free port).
start_grocketd() {
    local name=$1 scheme=$2 log=$3 w=true o=true conf=$WORK_DIR/grocketd-$1.ini i
    case $name in
        inline) ;;
        worker) w=false ;;
        out) o=false ;;
        worker+out) w=false; o=false ;;
        *) die "unknown grocketd mode $name" ;;
    esac
    cat >"$conf" <<EOF
; written by bench/$BENCH_NAME: mode $name
[server]
module = $MODULE
pid_file =
log.level = info
tcp.in.thread_count = 1
worker.disabled = $w
worker.thread_count = 1
tcp.out.disabled = $o
tcp.out.thread_count = 1
udp.in.thread_count = 1
udp.out.disabled = $o
udp.out.thread_count = 1
$GROCKETD_EXTRA
[listen]
0 = $scheme://127.0.0.1:0
EOF
    taskset -c "$SERVER_CPU" "$GROCKETD" -c "$conf" 2>"$log" &
    SERVER_PID=$!
    for i in $(seq 1 50); do
        PORT=$(grocketd_port "$log" "$scheme")
        [ -n "$PORT" ] && listening "$PORT" "$([ "$scheme" = udp ] && echo udp || echo tcp)" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

grocketd_port() {
    sed -n "s/.*listening on $2:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1
}

# children_of PID: the pids whose parent is PID
children_of() {
    cat /proc/[0-9]*/stat 2>/dev/null |
        awk -v p="$1" '{ pid = $1; sub(/.*\) /, ""); if ($2 == p) print pid }'
}

# ---- sampling -------------------------------------------------------------

# proc_ticks PID...: utime+stime of the processes (all their threads), in
# ticks (stat fields 14 and 15; the name may hold spaces)
proc_ticks() {
    local s p t=0
    for p in "$@"; do
        s=$(cat "/proc/$p/stat") || return 1
        s=${s##*) }
        set -- $s  # field 3 of stat is $1 here
        t=$(( t + ${12} + ${13} ))
    done
    echo "$t"
}

# rss_kb PID: resident set size in KiB (VmRSS of /proc/PID/status)
rss_kb() {
    awk '$1 == "VmRSS:" { print $2; f = 1 } END { exit !f }' "/proc/$1/status"
}

# sys_ticks: busy ticks of all CPUs (user nice system irq softirq steal) and
# steal alone, "BUSY STEAL"
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

# run_pinned OUTFILE LIMIT_S CMD ARGS... : CMD pinned to CLIENT_CPU, killed
# after LIMIT_S seconds, stdout+stderr to OUTFILE; its CPU time (ticks,
# utime+stime of the waited children of a wrapper shell) is appended to
# OUTFILE as "CLIENT_TICKS n". Returns CMD's exit status.
run_pinned() {
    local out=$1 limit=$2
    shift 2
    sh -c '
        lim=$0 cpu=$1
        shift 2
        timeout "$lim" taskset -c "$cpu" "$@" 2>&1 || rc=$?
        read -r st < /proc/$$/stat
        st=${st##*) }
        set -- $st
        echo "CLIENT_TICKS $(( ${14} + ${15} ))"
        exit ${rc:-0}
    ' "$limit" "$CLIENT_CPU" -- "$@" >"$out"
}

# run_stats SERVER_TICKS CLIENT_TICKS "SYS0" "SYS1" WINDOW_S REQUESTS:
# "CPU_US_PER_REQ OTHERS_TICKS STEAL_TICKS OTHERS_CORE FLAG" where others =
# busy ticks of the machine minus server minus client over the window,
# OTHERS_CORE = others as a fraction of one core, FLAG = NOISY when it is
# above OTHERS_MAX (else "-")
run_stats() {
    local s0=$3 s1=$4
    awk -v st="$1" -v ct="$2" -v b0="${s0% *}" -v b1="${s1% *}" -v x0="${s0#* }" -v x1="${s1#* }" \
        -v win="$5" -v n="$6" -v hz="$HZ" -v max="$OTHERS_MAX" 'BEGIN {
        oth = (b1 - b0) - st - ct; if (oth < 0) oth = 0
        if (win <= 0) win = 1
        us = n > 0 ? st / hz * 1e6 / n : 0
        core = oth / hz / win
        printf "%.4f %d %d %.3f %s\n", us, oth, x1 - x0, core, (core > max ? "NOISY" : "-")
    }'
}

# AWK_LIB: functions for the awk programs that print the tables
#   med(a, k): median of a[1..k], sorting a in place
#   rate(x): 155k / 2.08M
#   paired(w, s, ref, col): median over the rounds of server s / server ref
#     in workload w, of req/s (col "r") or CPU per request (else), from the
#     program's PR[w, s, round] and PU[w, s, round] and its rounds rl[1..nr]
#     (-1 if no round has both)
AWK_LIB='
function paired(w, s, ref, col,   q, rr, m, p) {   # median over rounds of s / ref
    m = 0
    for (q = 1; q <= nr; q++) {
        rr = rl[q]
        if ((w, s, rr) in PR && (w, ref, rr) in PR)
            p[++m] = col == "r" ? PR[w, s, rr] / PR[w, ref, rr] : PU[w, s, rr] / PU[w, ref, rr]
    }
    return m ? med(p, m) : -1
}
function med(a, k,   i, j, t, m) {
    for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    m = int((k + 1) / 2)
    return (k % 2) ? a[m] : (a[m] + a[m + 1]) / 2
}
function rate(x) { return x >= 1e6 ? sprintf("%.2fM", x / 1e6) : sprintf("%.0fk", x / 1e3) }
'
