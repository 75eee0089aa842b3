#!/usr/bin/env bash
# http_bench.sh - HTTP "Hello, World!" with wrk, keep-alive and pipelined x16:
# grocketd (demo module; worker off and on, tcp_out off) against the floor
# ref_http and against nginx (1 worker), A/B alternated in the same run; then
# the memory each server holds per idle keep-alive connection (10,000 open).
# See docs/benchmarks.md.
#
#   bench/http_bench.sh [BUILD_DIR]          (default: $BUILD_DIR or build)
#   ROUNDS=5 S=5 bench/http_bench.sh build-bench
#
# Builds nothing but ref_http (gcc -O2, from bench/ref_http.c, into
# WORK_DIR); build grocketd and demo first:
#   cmake --build BUILD_DIR --target grocketd demo
# Needs wrk, curl, python3, and for the nginx peer nginx (1.19.5 or later:
# -e; configured from bench/nginx_hello.conf): without nginx the script says
# so and runs without that peer. The pipelined workload uses
# bench/pipeline.lua.
#
# Correctness first, per server: curl checks status 200 and the body; then
# http_tool.py sends 16 GETs in one write on a keep-alive connection and
# checks that exactly 16 complete 200 "Hello, World!" replies, each framed by
# its Content-Length, come back and nothing more.
#
# Throughput: per round, per workload, each server in turn (ref_http, nginx,
# grocketd modes), each a fresh server pinned to CPU SERVER_CPU (0), wrk
# (-t1 -c64, keep-alive) pinned to CLIENT_CPU (1). Workloads: keepalive
# (`wrk -t1 -c64 -dSs URL`), pipelined (`... -s pipeline.lua URL -- 16`),
# and close (`... -H 'Connection: close' URL`: one connection per request,
# closed by the server after its reply - the lingering close; not in the
# default list; ref_http ignores the header and keeps the connection).
# BASE_BUILD=DIR adds the server "base": grocketd inline from another build
# (the build before a change), for an A/B in the same run.
# Each run: WARMUP s of wrk (its own invocation), sample, S s of wrk, sample.
# Recorded per run: req/s (wrk's Requests/sec), requests (wrk's "N requests
# in"), server CPU per request = utime+stime of the server over the window
# (nginx: master + worker together, the worker alone also recorded) /
# requests, and the CPU used by everything else (busy jiffies of /proc/stat
# minus server minus wrk); runs where others took more than OTHERS_MAX (0.10)
# of a core are flagged and repeated up to RETRIES (3) times. Before each run
# the script waits (at most QUIET_WAIT, 120 s) for a second of idle machine.
#
# Memory (MEM_CONNS > 0): per server in MEM_SERVERS, MEM_ROUNDS times: start
# it, one curl request, RSS before (VmRSS; nginx: the worker's and the
# master's); http_tool.py (pinned to CLIENT_CPU) opens MEM_CONNS keep-alive
# connections, one request each, all replies read, then idle; after
# MEM_SETTLE s, RSS again; (after - before) / MEM_CONNS.
#
# Environment (defaults): ROUNDS 5, S 5, WARMUP 1, CONNS 64, DEPTH 16,
# WORKLOADS "keepalive pipelined", MODES "inline worker" (inline: worker and
# tcp_out disabled; worker: worker enabled, 1 thread), PEERS "ref_http nginx",
# MEM_CONNS 10000 (0: skip), MEM_SERVERS "ref_http nginx inline",
# MEM_ROUNDS 3, MEM_SETTLE 2, SERVER_CPU 0, CLIENT_CPU 1, OTHERS_MAX 0.10,
# RETRIES 3, QUIET_WAIT 120, WORK_DIR BUILD_DIR/http_bench,
# GROCKETD_EXTRA (empty): extra [server] lines.
# TABLE=FILE prints the throughput table of an earlier results.tsv,
# MEM_TABLE=FILE the memory table of an earlier memory.tsv.
# Shared functions (servers, sampling, idle wait): bench/lib.sh.
# Exit status: 0 done; 1 a server or a client failed; 2 bad setup.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=http_bench.sh
. "$SCRIPT_DIR/lib.sh"   # die, servers, sampling, wait_quiet, run_pinned, AWK_LIB

BUILD_DIR=$(abs_build_dir "${1:-${BUILD_DIR:-build}}")
DEPTH=${DEPTH:-16}
WORKLOADS=${WORKLOADS:-"keepalive pipelined"}
MODES=${MODES:-"inline worker"}
BASE_BUILD=${BASE_BUILD:+$(abs_build_dir "$BASE_BUILD")}
PEERS=${PEERS:-"ref_http nginx"}
MEM_CONNS=${MEM_CONNS:-10000}
MEM_SERVERS=${MEM_SERVERS:-"ref_http nginx inline"}
MEM_ROUNDS=${MEM_ROUNDS:-3}
MEM_SETTLE=${MEM_SETTLE:-2}
SERVER_CPU=${SERVER_CPU:-0}
RETRIES=${RETRIES:-3}
WORK_DIR=${WORK_DIR:-$BUILD_DIR/http_bench}
GROCKETD_EXTRA=${GROCKETD_EXTRA:-}

GROCKETD=$BUILD_DIR/bin/grocketd
MODULE=$BUILD_DIR/modules/libdemo.so
REF_SRC=$SCRIPT_DIR/ref_http.c
NGINX_TEMPLATE=$SCRIPT_DIR/nginx_hello.conf
PIPELINE_LUA=$SCRIPT_DIR/pipeline.lua
TOOL=$SCRIPT_DIR/http_tool.py
REF=$WORK_DIR/ref_http
NGINX_PREFIX=$WORK_DIR/nginx

servers="$PEERS $MODES${BASE_BUILD:+ base}"

label() {
    case $1 in
        inline) echo "grocketd, worker off, tcp_out off" ;;
        worker) echo "grocketd, worker on, tcp_out off" ;;
        out) echo "grocketd, worker off, tcp_out on" ;;
        worker+out) echo "grocketd, worker on, tcp_out on" ;;
        nginx) local v; v=$(nginx -v 2>&1 | sed -n 's/.*nginx\///p') || true; echo "nginx${v:+ $v}, 1 worker" ;;
        base) echo "grocketd of BASE_BUILD, worker off, tcp_out off" ;;
        *) echo "$1" ;;
    esac
}

# ---- tables ---------------------------------------------------------------

print_table() { # results.tsv
    local labels="" s
    for s in $servers; do labels="$labels$s=$(label "$s");"; done
    awk -F'\t' -v servers="$servers" -v workloads="$WORKLOADS" -v conns="$CONNS" -v depth="$DEPTH" \
        -v labels="$labels" "$AWK_LIB"'
NR > 1 {
    key = $2 SUBSEP $3; c = ++cnt[key]
    R[key, c] = $4; U[key, c] = $12; if ($14 != "") noisy[key]++
    PR[$2, $3, $1] = $4; PU[$2, $3, $1] = $12; if (!($1 in seen)) { seen[$1] = 1; rl[++nr] = $1 }
}
function pr(w, s, ref,   a, b) {
    a = paired(w, s, ref, "r"); b = paired(w, s, ref, "u")
    return a < 0 ? "—" : sprintf("%.2f×, %.2f×", a, b)
}
END {
    n = split(labels, lv, ";"); for (i = 1; i <= n; i++) { p = index(lv[i], "="); if (p) L[substr(lv[i], 1, p - 1)] = substr(lv[i], p + 1) }
    ns = split(servers, sv, " "); nw = split(workloads, wv, " ")
    print "| workload | server | req/s median (min–max) | CPU µs/req median (min–max) | vs ref_http, medians: req/s, CPU/req | vs ref_http, same round | vs nginx, same round | noisy runs |"
    print "|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= nw; i++) {
        w = wv[i]
        wl = w == "pipelined" ? sprintf("HTTP pipelined ×%d, wrk -t1 -c%d", depth, conns) : w == "close" ? sprintf("HTTP Connection: close, wrk -t1 -c%d", conns) : sprintf("HTTP keep-alive, wrk -t1 -c%d", conns)
        for (j = 1; j <= ns; j++) {
            s = sv[j]; key = w SUBSEP s; k = cnt[key]
            if (!k) continue
            delete a; delete b
            for (c = 1; c <= k; c++) { a[c] = R[key, c]; b[c] = U[key, c] }
            mr = med(a, k); mu = med(b, k)
            MR[w, s] = mr; MU[w, s] = mu
            vr = s == "ref_http" ? "1 (reference)" : (((w, "ref_http") in MR) ? sprintf("%.2f×, %.2f×", mr / MR[w, "ref_http"], mu / MU[w, "ref_http"]) : "—")
            printf "| %s | %s | %s (%s–%s) | %.2f (%.2f–%.2f) | %s | %s | %s | %d/%d |\n",
                wl, (s in L ? L[s] : s), rate(mr), rate(a[1]), rate(a[k]), mu, b[1], b[k], vr,
                s == "ref_http" ? "—" : pr(w, s, "ref_http"), s == "nginx" ? "—" : pr(w, s, "nginx"),
                noisy[key] + 0, k
        }
    }
}' "$1"
}

print_mem_table() { # memory.tsv
    local labels="" s
    for s in $MEM_SERVERS; do labels="$labels$s=$(label "$s");"; done
    awk -F'\t' -v servers="$MEM_SERVERS" -v labels="$labels" "$AWK_LIB"'
NR > 1 {
    k = ++cnt[$2]; B[$2, k] = $4; A[$2, k] = $5; P[$2, k] = $6
    if ($7 != "") { MB[$2, k] = $7; MA[$2, k] = $8 }
    conns[$2] = $3
}
END {
    n = split(labels, lv, ";"); for (i = 1; i <= n; i++) { p = index(lv[i], "="); if (p) L[substr(lv[i], 1, p - 1)] = substr(lv[i], p + 1) }
    ns = split(servers, sv, " ")
    print "| server | process measured | connections | RSS before, KiB | RSS with all open, KiB | bytes per idle connection, median (min–max) | runs |"
    print "|---|---|---|---|---|---|---|"
    for (j = 1; j <= ns; j++) {
        s = sv[j]; k = cnt[s]
        if (!k) continue
        delete x; delete y; delete z
        for (c = 1; c <= k; c++) { x[c] = B[s, c]; y[c] = A[s, c]; z[c] = P[s, c] }
        mb = med(x, k); ma = med(y, k); mp = med(z, k)
        printf "| %s | %s | %d | %d | %d | %.0f (%.0f–%.0f) | %d |\n", (s in L ? L[s] : s),
            s == "nginx" ? "worker" : "the process", conns[s], mb, ma, mp, z[1], z[k], k
        if ((s, 1) in MB) {
            delete x; delete y
            for (c = 1; c <= k; c++) { x[c] = MB[s, c]; y[c] = MA[s, c] }
            printf "| %s | master | %d | %d | %d | %.0f | %d |\n", (s in L ? L[s] : s), conns[s],
                med(x, k), med(y, k), (med(y, k) - med(x, k)) * 1024 / conns[s], k
        }
    }
}' "$1"
}

if [ -n "${TABLE:-}" ] || [ -n "${MEM_TABLE:-}" ]; then
    [ -z "${TABLE:-}" ] || print_table "$TABLE"
    [ -z "${MEM_TABLE:-}" ] || { [ -z "${TABLE:-}" ] || echo; print_mem_table "$MEM_TABLE"; }
    exit 0
fi

# ---- setup ----------------------------------------------------------------

for f in "$GROCKETD" "$MODULE" ${BASE_BUILD:+"$BASE_BUILD/bin/grocketd" "$BASE_BUILD/modules/libdemo.so"}; do
    [ -e "$f" ] || die "$f not found; build first: cmake --build $BUILD_DIR --target grocketd demo"
done
for f in "$REF_SRC" "$NGINX_TEMPLATE" "$PIPELINE_LUA"; do
    [ -r "$f" ] || die "$f not found"
done
need_tools taskset timeout gcc awk getconf wrk curl python3
# without nginx: run without that peer (throughput and memory), and say so
without() { # WORD LIST -> LIST less WORD
    local w out=
    for w in $2; do [ "$w" = "$1" ] || out="$out${out:+ }$w"; done
    echo "$out"
}
NGINX_NOTE=
if ! command -v nginx >/dev/null; then
    case " $PEERS $MEM_SERVERS " in
    *" nginx "*)
        NGINX_NOTE="nginx not found: measuring without the nginx peer"
        echo "$BENCH_NAME: $NGINX_NOTE" >&2
        PEERS=$(without nginx "$PEERS"); MEM_SERVERS=$(without nginx "$MEM_SERVERS")
        servers="$PEERS $MODES${BASE_BUILD:+ base}"
        ;;
    esac
fi
need_cpus "$SERVER_CPU" "$CLIENT_CPU"

# the servers (and the memory client) need more than 10,000 descriptors
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((MEM_CONNS + 200)) ]; then
    ulimit -n $((MEM_CONNS + 200)) 2>/dev/null || ulimit -n "$(ulimit -Hn)" ||
        die "could not raise the open-file limit to $((MEM_CONNS + 200))"
fi
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((MEM_CONNS + 200)) ] ||
    die "open-file limit $(ulimit -n) < $((MEM_CONNS + 200)); lower MEM_CONNS or raise the hard limit"

mkdir -p "$WORK_DIR" "$NGINX_PREFIX/tmp"
gcc -O2 -o "$REF" "$REF_SRC" || die "could not build ref_http"

# ---- servers --------------------------------------------------------------

NGINX_WORKER=
cleanup() {
    # nginx's worker exits with its master; kill it by pid if it did not
    if [ -n "$NGINX_WORKER" ]; then
        stop_server
        kill "$NGINX_WORKER" 2>/dev/null || true
        NGINX_WORKER=
    fi
}
stop() { stop_server; cleanup; }

# start_server NAME -> sets SERVER_PID, PORT, SERVER_PIDS (the processes
# whose CPU is counted: nginx master + worker); 1 on failure
start_server() {
    local name=$1 log=$WORK_DIR/server.log i try
    PORT=
    SERVER_PIDS=
    case $name in
    ref_http|nginx)
        for try in 1 2 3 4 5; do  # a port taken meanwhile: try another
            PORT=$(free_port) || return 1
            if [ "$name" = ref_http ]; then
                taskset -c "$SERVER_CPU" "$REF" "$PORT" 2>"$log" &
            else
                # worker_connections and worker_rlimit_nofile set for MEM_CONNS
                sed -e "s#@PORT@#$PORT#g" -e "s#@WORKERS@#1#g" -e "s#@PREFIX@#$NGINX_PREFIX#g" \
                    -e "s#^\( *worker_connections\) .*#\1 $((MEM_CONNS + 1000));#" \
                    -e "s#^\( *worker_rlimit_nofile\) .*#\1 $((MEM_CONNS + 2000));#" \
                    "$NGINX_TEMPLATE" >"$NGINX_PREFIX/nginx.conf"
                : >"$NGINX_PREFIX/error.log"
                taskset -c "$SERVER_CPU" nginx -p "$NGINX_PREFIX" -e "$NGINX_PREFIX/error.log" \
                    -c "$NGINX_PREFIX/nginx.conf" 2>"$log" &
            fi
            SERVER_PID=$!
            if wait_listening "$PORT" "$SERVER_PID"; then
                SERVER_PIDS=$SERVER_PID
                if [ "$name" = nginx ]; then
                    for i in $(seq 1 50); do
                        NGINX_WORKER=$(children_of "$SERVER_PID" | head -n 1)
                        [ -n "$NGINX_WORKER" ] && break
                        sleep 0.1
                    done
                    [ -n "$NGINX_WORKER" ] || { echo "$BENCH_NAME: no nginx worker" >&2; stop; return 1; }
                    SERVER_PIDS="$SERVER_PID $NGINX_WORKER"
                fi
                return 0
            fi
            cat "$NGINX_PREFIX/error.log" >>"$log" 2>/dev/null || true
            grep -q 'in use' "$log" || break
            stop
        done
        ;;
    base)
        local g=$GROCKETD m=$MODULE rc=0
        GROCKETD=$BASE_BUILD/bin/grocketd MODULE=$BASE_BUILD/modules/libdemo.so
        start_grocketd inline http "$log" || rc=1
        GROCKETD=$g MODULE=$m
        if [ $rc = 0 ]; then SERVER_PIDS=$SERVER_PID; return 0; fi
        ;;
    *)
        if start_grocketd "$name" http "$log"; then SERVER_PIDS=$SERVER_PID; return 0; fi
        ;;
    esac
    echo "$BENCH_NAME: $name did not start listening:" >&2
    cat "$log" >&2
    stop
    return 1
}

# run_wrk OUTFILE DURATION WORKLOAD
run_wrk() {
    local out=$1 dur=$2 url="http://127.0.0.1:$PORT/"
    if [ "$3" = pipelined ]; then
        run_pinned "$out" $((dur + 30)) wrk -t1 -c"$CONNS" -d"${dur}s" -s "$PIPELINE_LUA" "$url" -- "$DEPTH"
    elif [ "$3" = close ]; then
        run_pinned "$out" $((dur + 30)) wrk -t1 -c"$CONNS" -d"${dur}s" -H "Connection: close" "$url"
    else
        run_pinned "$out" $((dur + 30)) wrk -t1 -c"$CONNS" -d"${dur}s" "$url"
    fi
}

# wrk_field FILE requests|window|rps|errors|non2xx
wrk_field() {
    awk -v k="$2" '
        / requests in / { n = $1; w = $4; sub(/,$/, "", w)
            if (w ~ /ms$/) { sub(/ms$/, "", w); w /= 1000 } else if (w ~ /m$/) { sub(/m$/, "", w); w *= 60 } else sub(/s$/, "", w) }
        /^Requests\/sec:/ { r = $2 }
        /Socket errors:/ { e = $0; sub(/.*errors: */, "", e); gsub(/ /, "", e) }
        /Non-2xx or 3xx responses:/ { x = $NF }
        END {
            if (k == "requests") print n; else if (k == "window") print w; else if (k == "rps") print r
            else if (k == "errors") print (e == "" ? "none" : e); else print (x == "" ? 0 : x)
        }' "$1"
}

# ---- correctness ----------------------------------------------------------

echo "# http_bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), HZ=$HZ"
echo "# build $BUILD_DIR, ref $REF, $(command -v nginx >/dev/null && nginx -v 2>&1 || echo "no nginx"), $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
[ -z "$NGINX_NOTE" ] || echo "# $NGINX_NOTE"
echo "# rounds $ROUNDS, S $S s, warm-up $WARMUP s, wrk -t1 -c$CONNS, workloads $WORKLOADS (depth $DEPTH)"
echo "# server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU; nginx CPU = master + worker"
[ -z "$GROCKETD_EXTRA" ] || echo "# grocketd extra config: $(echo "$GROCKETD_EXTRA" | tr '\n' ';')"
for srv in $(echo "$servers $([ "$MEM_CONNS" -gt 0 ] && echo "$MEM_SERVERS")" | tr ' ' '\n' | awk 'NF && !seen[$0]++'); do
    start_server "$srv" || exit 1
    body=$(timeout 10 curl -s -o - -w ' %{http_code}' "http://127.0.0.1:$PORT/hello")
    if [ "$body" != "Hello, World! 200" ]; then
        echo "$BENCH_NAME: correctness check failed: $srv: curl got '$body'" >&2; exit 1
    fi
    if ! out=$(timeout 20 python3 "$TOOL" check "$PORT" "$DEPTH"); then
        echo "$BENCH_NAME: pipelined check failed: $srv: $out" >&2; exit 1
    fi
    stop
    echo "#   ok: $srv: curl 200 'Hello, World!'; $out"
done

# ---- throughput -----------------------------------------------------------

RAW=$WORK_DIR/results.tsv
printf 'round\tworkload\tserver\treq_per_s\trequests\twindow_s\tserver_ticks\tnginx_worker_ticks\tclient_ticks\tothers_ticks\tsteal_ticks\tcpu_us_per_req\tothers_core\tflag\twrk_errors\n' >"$RAW"

measure() { # ROUND WORKLOAD SERVER
    local r=$1 w=$2 srv=$3 f=$WORK_DIR/run.out attempt=0
    while :; do
        wait_quiet
        start_server "$srv" || exit 1
        if ! run_wrk "$f" "$WARMUP" "$w"; then
            echo "$BENCH_NAME: warm-up failed: $srv $w" >&2; cat "$f" >&2; exit 1
        fi
        local t0 s0 t1 s1 wt0=0 wt1=0 ct n rps win err x2
        [ -z "$NGINX_WORKER" ] || wt0=$(proc_ticks "$NGINX_WORKER")
        t0=$(proc_ticks $SERVER_PIDS); s0=$(sys_ticks)
        if ! run_wrk "$f" "$S" "$w"; then
            echo "$BENCH_NAME: run failed: $srv $w" >&2; cat "$f" >&2; exit 1
        fi
        t1=$(proc_ticks $SERVER_PIDS); s1=$(sys_ticks)
        [ -z "$NGINX_WORKER" ] || wt1=$(proc_ticks "$NGINX_WORKER")
        stop
        ct=$(sed -n 's/^CLIENT_TICKS //p' "$f")
        n=$(wrk_field "$f" requests); rps=$(wrk_field "$f" rps); win=$(wrk_field "$f" window)
        err=$(wrk_field "$f" errors); x2=$(wrk_field "$f" non2xx)
        if [ -z "$n" ] || [ "$n" -le 0 ] || [ "$x2" != 0 ]; then
            echo "$BENCH_NAME: bad wrk result: $srv $w (non-2xx: $x2)" >&2; cat "$f" >&2; exit 1
        fi
        local us oth steal core flag line
        read -r us oth steal core flag <<<"$(run_stats $((t1 - t0)) "$ct" "$s0" "$s1" "$win" "$n")"
        if [ "$flag" = - ]; then flag=; fi
        line=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s' \
            "$r" "$w" "$srv" "$rps" "$n" "$win" $((t1 - t0)) $((wt1 - wt0)) "$ct" "$oth" "$steal" "$us" "$core" "$flag" "$err")
        if [ -n "$flag" ] && [ "$attempt" -lt "$RETRIES" ]; then
            attempt=$((attempt + 1))
            echo "$line" | awk -F'\t' '{ printf "%-5s %-9s %-8s %10.0f %8.3f %6.0f%% %5s %s (repeating)\n", $1, $2, $3, $4, $12, $13 * 100, $11, $14 }'
            continue
        fi
        printf '%s\n' "$line" >>"$RAW"
        echo "$line" | awk -F'\t' '{ printf "%-5s %-9s %-8s %10.0f %8.3f %6.0f%% %5s %s\n", $1, $2, $3, $4, $12, $13 * 100, $11, $14 }'
        return 0
    done
}

if [ "$ROUNDS" -gt 0 ]; then
    echo
    printf '%-5s %-9s %-8s %10s %8s %7s %5s %s\n' round workload server req/s us/req others steal flag
    for r in $(seq 1 "$ROUNDS"); do
        for w in $WORKLOADS; do
            for srv in $servers; do
                measure "$r" "$w" "$srv"
            done
        done
    done
fi

# ---- memory per idle keep-alive connection --------------------------------

MEM=$WORK_DIR/memory.tsv
if [ "$MEM_CONNS" -gt 0 ]; then
    printf 'round\tserver\tconns\trss_before_kb\trss_after_kb\tbytes_per_conn\tmaster_before_kb\tmaster_after_kb\n' >"$MEM"
    echo
    printf '%-5s %-9s %12s %12s %10s\n' round server rss_before rss_after B/conn
    CLIENT_PID=
    stop_client() {
        if [ -n "$CLIENT_PID" ]; then
            kill "$CLIENT_PID" 2>/dev/null || true
            wait "$CLIENT_PID" 2>/dev/null || true
            CLIENT_PID=
        fi
    }
    cleanup() {
        stop_client
        if [ -n "$NGINX_WORKER" ]; then stop_server; kill "$NGINX_WORKER" 2>/dev/null || true; NGINX_WORKER=; fi
    }
    for r in $(seq 1 "$MEM_ROUNDS"); do
        for srv in $MEM_SERVERS; do
            wait_quiet
            start_server "$srv" || exit 1
            timeout 10 curl -s -o /dev/null "http://127.0.0.1:$PORT/" || { echo "$BENCH_NAME: curl failed: $srv" >&2; exit 1; }
            sleep 0.5
            mp=$SERVER_PID; [ -z "$NGINX_WORKER" ] || mp=$NGINX_WORKER
            b=$(rss_kb "$mp"); mb=; [ -z "$NGINX_WORKER" ] || mb=$(rss_kb "$SERVER_PID")
            f=$WORK_DIR/idle.out
            timeout 300 taskset -c "$CLIENT_CPU" python3 "$TOOL" idle "$PORT" "$MEM_CONNS" 240 >"$f" 2>&1 &
            CLIENT_PID=$!
            for i in $(seq 1 1200); do
                grep -q '^READY' "$f" && break
                kill -0 "$CLIENT_PID" 2>/dev/null || break
                sleep 0.1
            done
            if ! grep -q "^READY $MEM_CONNS\$" "$f"; then
                echo "$BENCH_NAME: idle client failed: $srv" >&2; cat "$f" >&2; exit 1
            fi
            sleep "$MEM_SETTLE"
            kill -0 "$mp" 2>/dev/null || { echo "$BENCH_NAME: $srv died" >&2; exit 1; }
            a=$(rss_kb "$mp"); ma=; [ -z "$NGINX_WORKER" ] || ma=$(rss_kb "$SERVER_PID")
            stop_client
            stop
            line=$(awk -v r="$r" -v s="$srv" -v n="$MEM_CONNS" -v b="$b" -v a="$a" -v mb="$mb" -v ma="$ma" \
                'BEGIN { printf "%s\t%s\t%d\t%d\t%d\t%.1f\t%s\t%s", r, s, n, b, a, (a - b) * 1024 / n, mb, ma }')
            printf '%s\n' "$line" >>"$MEM"
            echo "$line" | awk -F'\t' '{ printf "%-5s %-9s %9d KiB %9d KiB %10.1f\n", $1, $2, $4, $5, $6 }'
        done
    done
fi

echo
[ "$ROUNDS" -le 0 ] || { echo "Raw results: $RAW"; echo; print_table "$RAW"; echo; }
[ "$MEM_CONNS" -le 0 ] || { echo "Memory: $MEM"; echo; print_mem_table "$MEM"; }
