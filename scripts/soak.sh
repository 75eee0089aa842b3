#!/usr/bin/env bash
# soak.sh - soak and fault runs against a Release grocketd, bounded in time.
#
#   scripts/soak.sh [--short] [DURATION_S]     (default 600 s; --short: 30 s)
#
# Three parts (SOAK_PARTS, default "soak storm noread"), each on a fresh
# grocketd with the demo module, a config written to a temporary directory
# and tcp:// + http:// listens on ephemeral loopback ports:
#
# soak    DURATION_S of mixed load, all at once: test_tcp_client echo (every
#         reply checked byte for byte and in order), wrk HTTP keep-alive load,
#         a verified pipelined HTTP client (every reply matched to its
#         request: none lost, duplicated or misordered), and misbehaving
#         clients (scripts/soak_clients.py chaos: disconnect mid-request,
#         with a close or a reset; garbage to both listens; heads that stall
#         past http.header_timeout; late readers; idle echo connections).
#         "Start" RSS is taken after a warm-up of WARMUP_S (a tenth of the
#         run, at least 10 s; 15 short) of the same load and SETTLE_S (3) of
#         quiet: tcmalloc's caches fill as the load touches more size
#         classes (a long run climbs about 15% over its first minutes, then
#         stays flat), so the process's first RSS is not the baseline. RSS,
#         descriptors, threads and CPU are sampled every SAMPLE_S (10; 2
#         short) into soak-rss.csv. Passes when: every client reports zero
#         errors, the server never died, RSS comes back within RSS_TOL
#         (0.10) of the start within SETTLE_MAX_S (30) after the load, runs
#         of 300 s or more stay flat (mean RSS of the last third of the
#         samples within RSS_FLAT_TOL, 0.02, of the middle third's: no
#         leak), descriptors come back to the start, the server idles (< 5%
#         of a core) once the load is gone, and it stops cleanly on SIGTERM.
# storm   grocketd under `prlimit --nofile=STORM_NOFILE` (256), STORM_COUNT
#         (1000) connections opened at once and held STORM_HOLD_S (10; 4
#         short): the server must stay up, not spin while out of descriptors
#         (< STORM_CPU_MAX, 0.25 of a core), and serve again after the storm.
# noread  a client that sends echo requests and never reads a reply, for
#         NOREAD_S (20; 8 short), with tcp.out.pause_bytes (1 MiB) and
#         tcp.out.close_bytes (4 MiB) set, worker and tcp_out threads on:
#         the server's RSS may grow by at most close_bytes + 8 MiB. Skipped
#         (with a message, not failed) when this grocketd does not know
#         those keys yet.
#
# Environment: BUILD_DIR (build; built with scripts/build.sh when a binary
# is missing), SOAK_MODE (worker+out: which of worker / tcp_out threads run
# in the soak part: inline | worker | out | worker+out), OUT_DIR
# (BUILD_DIR/soak: CSV, logs and soak-summary.txt), ECHO_CONNS (16),
# HTTP_CONNS (16), plus the names above.
# Exit status: 0 every part passed (or skipped); 1 a check failed; 2 bad setup.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=soak.sh
. "$SCRIPT_DIR/../bench/lib.sh"   # die, stop_server, rss_kb, proc_ticks, grocketd_port, HZ

short=0
if [ "${1:-}" = --short ]; then
    short=1
    shift
fi
DURATION_S=${1:-$([ $short = 1 ] && echo 30 || echo 600)}
case $DURATION_S in ''|*[!0-9]*) die "DURATION_S must be whole seconds, not '$DURATION_S'" ;; esac
if [ $short = 1 ]; then
    d_warm=15 d_sample=2 d_hold=4 d_noread=8
else
    d_warm=$((DURATION_S / 10 > 10 ? DURATION_S / 10 : 10)) d_sample=10 d_hold=10 d_noread=20
fi
WARMUP_S=${WARMUP_S:-$d_warm}
SAMPLE_S=${SAMPLE_S:-$d_sample}
SETTLE_S=${SETTLE_S:-3}
SETTLE_MAX_S=${SETTLE_MAX_S:-30}
RSS_TOL=${RSS_TOL:-0.10}
RSS_FLAT_TOL=${RSS_FLAT_TOL:-0.02}
SOAK_PARTS=${SOAK_PARTS:-soak storm noread}
SOAK_MODE=${SOAK_MODE:-worker+out}
STORM_NOFILE=${STORM_NOFILE:-256}
STORM_COUNT=${STORM_COUNT:-1000}
STORM_HOLD_S=${STORM_HOLD_S:-$d_hold}
STORM_CPU_MAX=${STORM_CPU_MAX:-0.25}
NOREAD_S=${NOREAD_S:-$d_noread}
PAUSE_BYTES=${PAUSE_BYTES:-1048576}
CLOSE_BYTES=${CLOSE_BYTES:-4194304}
ECHO_CONNS=${ECHO_CONNS:-16}
HTTP_CONNS=${HTTP_CONNS:-16}

BUILD_DIR=$(abs_build_dir "${BUILD_DIR:-build}")
OUT_DIR=${OUT_DIR:-$BUILD_DIR/soak}
GROCKETD=$BUILD_DIR/bin/grocketd
CLIENT=$BUILD_DIR/bin/test_tcp_client
MODULE=$BUILD_DIR/modules/libdemo.so
CLIENTS_PY=$SCRIPT_DIR/soak_clients.py

need_tools python3 wrk prlimit timeout awk
if [ ! -x "$GROCKETD" ] || [ ! -x "$CLIENT" ] || [ ! -e "$MODULE" ]; then
    "$SCRIPT_DIR/build.sh" "$BUILD_DIR" >/dev/null
fi
mkdir -p "$OUT_DIR"
WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/grocket-soak.XXXXXX")
LOAD_PIDS=()
cleanup() {
    local p
    for p in "${LOAD_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK_DIR"
}

SUMMARY=$OUT_DIR/soak-summary.txt
: >"$SUMMARY"
failures=0 passes=0
say() { echo "$*" | tee -a "$SUMMARY"; }
check() { # check OK_EXPR MESSAGE: record a pass or a failure
    if [ "$1" = 1 ]; then
        say "  ok:   $2"
        passes=$((passes + 1))
    else
        say "  FAIL: $2"
        failures=$((failures + 1))
    fi
}
fcmp() { awk -v a="$1" -v b="$2" "BEGIN { exit !(a $3 b) }" && echo 1 || echo 0; }

fds_of() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
threads_of() { awk '$1 == "Threads:" { print $2 }' "/proc/$1/status"; }
alive() { kill -0 "$SERVER_PID" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$SERVER_PID/stat" 2>/dev/null)" != Z ]; }

# cpu_core PID SECONDS: the fraction of one core PID used over SECONDS
cpu_core() {
    local t0 t1
    t0=$(proc_ticks "$1") || { echo 0; return; }
    sleep "$2"
    t1=$(proc_ticks "$1") || { echo 0; return; }
    awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$2" 'BEGIN { printf "%.3f\n", d / hz / s }'
}

# result_field FILE KEY: KEY=value from the RESULT line of FILE
result_field() { sed -n "s/.*RESULT.* $2=\([^ ]*\).*/\1/p" "$1" | tail -n 1; }

# start_server NAME MODE "EXTRA KEY LINES" [PRLIMIT_NOFILE] -> SERVER_PID,
# TCP_PORT, HTTP_PORT; 1 on failure (the log is WORK_DIR/NAME.log)
start_server() {
    local name=$1 mode=$2 extra=$3 nofile=${4:-} w=true o=true i
    local conf=$WORK_DIR/$name.ini log=$WORK_DIR/$name.log
    case $mode in
        inline) ;; worker) w=false ;; out) o=false ;; worker+out) w=false; o=false ;;
        *) die "unknown mode $mode" ;;
    esac
    cat >"$conf" <<EOF
; written by scripts/soak.sh ($name)
[server]
module = $MODULE
pid_file =
log.level = info
worker.disabled = $w
tcp.out.disabled = $o
$extra
[listen]
0 = tcp://127.0.0.1:0
1 = http://127.0.0.1:0
EOF
    if [ -n "$nofile" ]; then
        prlimit --nofile="$nofile:$nofile" -- "$GROCKETD" -c "$conf" 2>"$log" &
    else
        "$GROCKETD" -c "$conf" 2>"$log" &
    fi
    SERVER_PID=$!
    for i in $(seq 1 100); do
        TCP_PORT=$(grocketd_port "$log" tcp)
        HTTP_PORT=$(grocketd_port "$log" http)
        [ -n "$TCP_PORT" ] && [ -n "$HTTP_PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "soak.sh: grocketd ($name) did not start:" >&2
    cat "$log" >&2
    return 1
}

# stop_checked NAME: SIGTERM, and check it exits 0 within 10 s
stop_checked() {
    local rc=0 i
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -9 "$SERVER_PID" 2>/dev/null || true
        rc=137
    fi
    wait "$SERVER_PID" 2>/dev/null || rc=$?
    SERVER_PID=
    check "$([ $rc = 0 ] && echo 1 || echo 0)" "$1: grocketd stopped cleanly on SIGTERM (exit $rc)"
    cp "$WORK_DIR/$1.log" "$OUT_DIR/$1-grocketd.log" 2>/dev/null || true
}

# echo_ok PORT COUNT: a short verified echo run
echo_ok() {
    timeout 60 "$CLIENT" --port "$1" --connections 4 --count "$2" --depth 4 --timeout 10 --quiet \
        >"$WORK_DIR/echo_ok.out" 2>&1 && echo 1 || echo 0
}

# ---- soak -------------------------------------------------------------------

# mixed_load SECONDS TAG: every load at once, in the background (LOAD_PIDS)
mixed_load() {
    local s=$1 tag=$2 lim=$(($1 + 90))
    LOAD_PIDS=()
    timeout "$lim" "$CLIENT" --port "$TCP_PORT" --connections "$ECHO_CONNS" --depth 4 --size 64 \
        --duration "$s" --timeout 30 --quiet >"$OUT_DIR/$tag-echo.out" 2>&1 &
    LOAD_PIDS+=($!)
    timeout "$lim" wrk -t1 -c"$HTTP_CONNS" -d"${s}s" --timeout 10s "http://127.0.0.1:$HTTP_PORT/" \
        >"$OUT_DIR/$tag-wrk.out" 2>&1 &
    LOAD_PIDS+=($!)
    timeout "$lim" python3 "$CLIENTS_PY" http --port "$HTTP_PORT" --conns 8 --depth 4 --duration "$s" \
        >"$OUT_DIR/$tag-http.out" 2>&1 &
    LOAD_PIDS+=($!)
    timeout "$((lim + 30))" python3 "$CLIENTS_PY" chaos --tcp-port "$TCP_PORT" --http-port "$HTTP_PORT" \
        --duration "$s" --header-timeout 10 >"$OUT_DIR/$tag-chaos.out" 2>&1 &
    LOAD_PIDS+=($!)
}

# wait_load: 0 when every load process exited 0
wait_load() {
    local p rc=0
    for p in "${LOAD_PIDS[@]}"; do wait "$p" || rc=1; done
    LOAD_PIDS=()
    return $rc
}

# wrk_summary FILE: "requests non2xx socket_errors"
wrk_summary() {
    awk '/requests in/ { r = $1 }
         /Non-2xx/ { n = $NF }
         /Socket errors/ { gsub(/,/, ""); e = $4 + $6 + $8 + $10 }
         END { printf "%d %d %d\n", r, n, e }' "$1"
}

part_soak() {
    say "== soak: ${DURATION_S} s of mixed load, mode $SOAK_MODE (warm-up ${WARMUP_S} s, samples every ${SAMPLE_S} s)"
    start_server soak "$SOAK_MODE" "" || { check 0 "soak: grocketd started"; return; }
    mixed_load "$WARMUP_S" warmup
    wait_load || true
    sleep "$SETTLE_S"
    local rss0 fds0 csv=$OUT_DIR/soak-rss.csv
    rss0=$(rss_kb "$SERVER_PID")
    fds0=$(fds_of "$SERVER_PID")
    say "  start (after the warm-up): RSS ${rss0} KiB, ${fds0} descriptors, $(threads_of "$SERVER_PID") threads"

    echo "t_s,rss_kb,fds,threads,cpu_ticks" >"$csv"
    local t0=$SECONDS
    mixed_load "$DURATION_S" soak
    local died=0
    while :; do
        local running=0 p
        for p in "${LOAD_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
        if ! alive; then died=1; break; fi
        echo "$((SECONDS - t0)),$(rss_kb "$SERVER_PID"),$(fds_of "$SERVER_PID"),$(threads_of "$SERVER_PID"),$(proc_ticks "$SERVER_PID")" >>"$csv"
        [ $running = 1 ] || break
        sleep "$SAMPLE_S"
    done
    local load_ok=1
    wait_load || load_ok=0
    check "$((1 - died))" "soak: grocketd alive through the load"
    [ $died = 1 ] && { cat "$WORK_DIR/soak.log" >&2; return; }

    # The clients' own verdicts.
    local e_req e_err h_req h_err c_err w
    e_req=$(result_field "$OUT_DIR/soak-echo.out" requests)
    e_err=$(result_field "$OUT_DIR/soak-echo.out" errors)
    h_req=$(result_field "$OUT_DIR/soak-http.out" requests)
    h_err=$(result_field "$OUT_DIR/soak-http.out" errors)
    c_err=$(result_field "$OUT_DIR/soak-chaos.out" errors)
    read -r w_req w_non2xx w_sock <<<"$(wrk_summary "$OUT_DIR/soak-wrk.out")"
    check "$(grep -q '^OK: all' "$OUT_DIR/soak-echo.out" && [ "${e_err:-1}" = 0 ] && echo 1 || echo 0)" \
        "soak: echo ${e_req:-?} requests verified, ${e_err:-?} errors"
    check "$([ "${h_err:-1}" = 0 ] && echo 1 || echo 0)" \
        "soak: pipelined HTTP ${h_req:-?} replies matched in order, ${h_err:-?} lost/misordered/errors"
    check "$([ "${w_req:-0}" -gt 0 ] && [ "$w_non2xx" = 0 ] && [ "$w_sock" = 0 ] && echo 1 || echo 0)" \
        "soak: wrk ${w_req} requests, ${w_non2xx} non-2xx, ${w_sock} socket errors"
    check "$([ "${c_err:-1}" = 0 ] && echo 1 || echo 0)" \
        "soak: misbehaving clients $(sed -n 's/^RESULT chaos //p' "$OUT_DIR/soak-chaos.out")"
    [ $load_ok = 1 ] || say "  (a load process exited non-zero; see $OUT_DIR/soak-*.out)"

    # After the load: memory and descriptors back, no spinning.
    local rss1 fds1 waited=0 limit
    limit=$(awk -v r="$rss0" -v t="$RSS_TOL" 'BEGIN { printf "%d", r * (1 + t) }')
    sleep "$SETTLE_S"
    while :; do
        rss1=$(rss_kb "$SERVER_PID")
        fds1=$(fds_of "$SERVER_PID")
        [ "$rss1" -le "$limit" ] && [ "$fds1" -le "$fds0" ] && break
        [ $waited -ge "$SETTLE_MAX_S" ] && break
        sleep 1
        waited=$((waited + 1))
    done
    local stats
    stats=$(awk -F, 'NR > 1 { n++; s += $2; if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2; last = $2 }
                     END { printf "%d samples, min %d, mean %d, max %d, last under load %d KiB", n, min, s / n, max, last }' "$csv")
    say "  RSS under load: $stats"
    check "$([ "$rss1" -le "$limit" ] && echo 1 || echo 0)" \
        "soak: RSS after the load ${rss1} KiB, start ${rss0} KiB ($(awk -v a="$rss1" -v b="$rss0" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }'), limit +$(awk -v t="$RSS_TOL" 'BEGIN { print t * 100 }')%; $((SETTLE_S + waited)) s after)"
    if [ "$DURATION_S" -ge 300 ]; then
        local flat
        flat=$(awk -F, 'NR > 1 { v[++n] = $2 }
                        END { a = int(n / 3); for (i = a + 1; i <= 2 * a; i++) m += v[i]
                              for (i = 2 * a + 1; i <= n; i++) l += v[i]
                              m /= a; l /= n - 2 * a; printf "%d %d %.4f\n", m, l, (l - m) / m }' "$csv")
        read -r flat_mid flat_last flat_growth <<<"$flat"
        check "$(fcmp "$flat_growth" "$RSS_FLAT_TOL" '<=')" \
            "soak: RSS flat under load (no leak): mean ${flat_last} KiB over the last third, ${flat_mid} KiB over the middle third ($(awk -v g="$flat_growth" 'BEGIN { printf "%+.1f%%", g * 100 }'), limit +$(awk -v t="$RSS_FLAT_TOL" 'BEGIN { print t * 100 }')%)"
    fi
    check "$([ "$fds1" -le "$fds0" ] && echo 1 || echo 0)" "soak: descriptors after the load ${fds1}, start ${fds0}"
    local idle
    idle=$(cpu_core "$SERVER_PID" 3)
    check "$(fcmp "$idle" 0.05 '<')" "soak: idle after the load: ${idle} of a core"
    stop_checked soak
    say "  server totals: $(sed -n 's/.*totals: //p' "$OUT_DIR/soak-grocketd.log" | tail -n 1)"
    say "  RSS series: $csv"
}

# ---- storm ------------------------------------------------------------------

part_storm() {
    say "== storm: ${STORM_COUNT} connections at once against nofile=${STORM_NOFILE}, held ${STORM_HOLD_S} s"
    start_server storm inline "" "$STORM_NOFILE" || { check 0 "storm: grocketd started"; return; }
    check "$(echo_ok "$TCP_PORT" 100)" "storm: echo works before the storm"
    local out=$OUT_DIR/storm-clients.out
    timeout $((STORM_HOLD_S + 60)) python3 "$CLIENTS_PY" storm --port "$TCP_PORT" --count "$STORM_COUNT" \
        --hold "$STORM_HOLD_S" >"$out" 2>&1 &
    local storm_pid=$! i
    for i in $(seq 1 200); do grep -q '^storm:' "$out" && break; sleep 0.1; done
    sleep 1 # into the hold
    local cpu fds
    cpu=$(cpu_core "$SERVER_PID" 2)
    fds=$(fds_of "$SERVER_PID")
    check "$(alive && echo 1 || echo 0)" "storm: grocketd alive while out of descriptors (${fds} open)"
    check "$(fcmp "$cpu" "$STORM_CPU_MAX" '<')" "storm: no busy loop: ${cpu} of a core while stalled (max ${STORM_CPU_MAX})"
    wait "$storm_pid" || true
    say "  $(grep '^storm:' "$out" || echo 'storm: no report')"
    sleep 2
    check "$(echo_ok "$TCP_PORT" 1000)" "storm: serves again after the storm"
    local emfile
    emfile=$(grep -c 'accept on' "$WORK_DIR/storm.log" || true)
    say "  accept errors logged: ${emfile} ($(grep -m1 'accept on' "$WORK_DIR/storm.log" | sed 's/^.*accept on/accept on/' || true))"
    stop_checked storm
}

# ---- noread ----------------------------------------------------------------

part_noread() {
    say "== noread: a client that never reads, ${NOREAD_S} s, pause_bytes ${PAUSE_BYTES}, close_bytes ${CLOSE_BYTES}"
    local keys="tcp.out.pause_bytes = $PAUSE_BYTES
tcp.out.close_bytes = $CLOSE_BYTES"
    printf '[server]\nmodule = %s\npid_file =\n%s\n[listen]\n0 = tcp://127.0.0.1:0\n' "$MODULE" "$keys" >"$WORK_DIR/noread-t.ini"
    if ! "$GROCKETD" -t -c "$WORK_DIR/noread-t.ini" >"$WORK_DIR/noread-t.out" 2>&1; then
        say "  SKIP: this grocketd does not take tcp.out.pause_bytes / tcp.out.close_bytes yet:"
        say "        $(head -n 1 "$WORK_DIR/noread-t.out")"
        return
    fi
    start_server noread worker+out "$keys" || { check 0 "noread: grocketd started"; return; }
    sleep 1
    local rss0 max=0 r out=$OUT_DIR/noread-client.out
    rss0=$(rss_kb "$SERVER_PID")
    timeout $((NOREAD_S + 30)) python3 "$CLIENTS_PY" noread --port "$TCP_PORT" --duration "$NOREAD_S" >"$out" 2>&1 &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        alive || break
        r=$(rss_kb "$SERVER_PID")
        [ "$r" -gt "$max" ] && max=$r
        sleep 0.5
    done
    wait "$pid" || true
    local growth=$((max - rss0)) bound=$(((CLOSE_BYTES + 8 * 1048576) / 1024))
    say "  $(grep '^noread:' "$out" || echo 'noread: no report')"
    check "$(alive && echo 1 || echo 0)" "noread: grocketd alive"
    check "$([ "$growth" -le "$bound" ] && echo 1 || echo 0)" \
        "noread: RSS grew by ${growth} KiB at most (start ${rss0} KiB, bound ${bound} KiB)"
    check "$(echo_ok "$TCP_PORT" 1000)" "noread: other clients served"
    stop_checked noread
}

say "soak.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for part in $SOAK_PARTS; do
    case $part in
        soak) part_soak ;;
        storm) part_storm ;;
        noread) part_noread ;;
        *) die "unknown part '$part' (soak, storm, noread)" ;;
    esac
done
[ $failures = 0 ] || say "soak.sh: checks failed; logs in $OUT_DIR"
say "soak: $passes passed, $failures failed"
[ $failures = 0 ]
