#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...] - build the libFuzzer targets of fuzz/ with
# clang into build-fuzz (GR_FUZZ=ON: coverage, ASan and UBSan) and run each
# for SECONDS (default 60), one after the other, one process each.
#
#   scripts/fuzz.sh                 fuzz_http, fuzz_framing and fuzz_kv, 60 s each
#   scripts/fuzz.sh 900 fuzz_http   one target, 15 minutes
#
# Each target starts from its committed seeds (fuzz/corpus/TARGET) plus the
# working corpus it grew in earlier runs (build-fuzz/corpus/TARGET, where
# new inputs go; git-ignored). A crash, a sanitizer report, a broken
# invariant, a hang or a leak stops the target with the input saved as
# build-fuzz/artifacts/TARGET/crash-* (or leak-*, timeout-*): reproduce with
#   build-fuzz/bin/TARGET build-fuzz/artifacts/TARGET/crash-...
# and add it to fuzz/corpus/TARGET once fixed. Prints one line per target:
# runs, coverage (cov: code edges, ft: features), corpus size; then
# "fuzz: N passed, M failed" (a target passes when it found nothing).
# Exit status: 0 no target failed; 1 a target failed; 2 bad setup.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
case $secs in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;; esac
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_http fuzz_framing fuzz_kv)

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs it)" >&2; exit 2; }
dir=build-fuzz
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DGR_FUZZ=ON -DGR_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" -j"$(nproc)" --target "${targets[@]}"

failed=0 passed=0
for t in "${targets[@]}"; do
    seeds=fuzz/corpus/$t
    work=$dir/corpus/$t
    art=$dir/artifacts/$t
    [ -d "$seeds" ] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
    mkdir -p "$work" "$art"
    opts=(-max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$art/" -timeout=60 -rss_limit_mb=2560)
    case $t in
        fuzz_http) opts+=(-dict=fuzz/fuzz_http.dict -max_len=4096) ;;
        # past tcp.in.recv_buf.max (4096 there), so inputs can hit that limit
        fuzz_framing) opts+=(-max_len=12288) ;;
        # past KV_RESP_INLINE_MAX (64 KiB), so inputs can hit the "too big" errors
        fuzz_kv) opts+=(-max_len=70000) ;;
    esac
    log=$dir/$t.log
    echo "=== $t: ${secs} s (log: $log)"
    rc=0
    ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$dir/bin/$t" "${opts[@]}" "$work" "$seeds" >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -a -E '^#[0-9]+' "$log" | tail -n 1 || true)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p')
    echo "$t: ${runs:-?} runs in ${secs} s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, exit $rc"
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "fuzz.sh: $t FAILED; the end of its log:" >&2
        grep -a -v -E '^#[0-9]+.*(NEW|REDUCE|pulse)' "$log" | tail -n 40 >&2
        ls "$art" >&2 || true
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed = 0 ]
