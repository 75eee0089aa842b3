#!/usr/bin/env bash
# test.sh - install what is missing, then build and run the whole suite
# five times: Release, ASan+UBSan and TSan (every test crosses threads) on
# the default poll backend (epoll), Release on the poll(2) backend, and
# Release on the kqueue backend against the tests' kqueue shim
# (tests/kqueue_shim: the BSD/macOS backend's logic, on Linux; its install
# test shows as Disabled, a shim build is never installed); then the short
# soak and fault runs on the Release build (scripts/soak.sh --short, about a
# minute) and each libFuzzer target for GR_FUZZ_SECONDS (60)
# (scripts/fuzz.sh, clang, build-fuzz); and the Windows cross-build
# (scripts/build-windows.sh: mingw-w64, the iocp backend, build-windows)
# with its unit tests run under Wine and the integration tests driving its
# grocketd.exe under Wine (Wine is not Windows: see README.md).
# Set GR_TEST_CONFIGS to a subset ("release asan tsan poll kqueue soak fuzz
# windows") to run fewer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The platform seam holds before anything is built (no OS header above it).
scripts/check_seam.sh

configs=${GR_TEST_CONFIGS:-release asan tsan poll kqueue soak fuzz windows}
jobs=$(nproc)
for c in $configs; do
    case $c in
        soak)
            echo "=== soak: short soak and fault runs on the Release build (build)"
            BUILD_DIR=build scripts/soak.sh --short
            continue ;;
        fuzz)
            echo "=== fuzz: ${GR_FUZZ_SECONDS:-60} s per target"
            scripts/fuzz.sh "${GR_FUZZ_SECONDS:-60}"
            continue ;;
        windows)
            # A Wine prefix of the build's own unless the caller has one;
            # ctest starts each test program through cmake/wine-run.sh.
            export WINEPREFIX=${WINEPREFIX:-$PWD/build-windows/wineprefix}
            echo "=== windows: cross-building in build-windows (mingw-w64), testing under Wine ($WINEPREFIX)"
            scripts/build-windows.sh build-windows
            ctest --test-dir build-windows --output-on-failure -j"$jobs" --timeout 300
            # The integration tests: the Linux build's test_integration and
            # clients drive build-windows's grocketd.exe and .dll modules
            # under Wine (tests/integration/gr_test_server.h), in two of the
            # four TCP pipeline modes, the extremes (Wine's sockets go
            # through wineserver: all four would take too long for CI).
            echo "=== windows: integration tests against grocketd.exe under Wine"
            scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
            GR_TEST_WINE_BUILD=$PWD/build-windows \
                ctest --test-dir build -L integration -E '/(WorkerDirectOut|InlineTcpOut)( |$)' \
                    --output-on-failure -j"$jobs" --timeout 300
            # The prefix's wineserver and its background programs go with
            # the tests (a server left after killed programs was seen to
            # spin on a core for hours).
            wineserver -k 2>/dev/null || true
            continue ;;
        release) dir=build;      args=(-DCMAKE_BUILD_TYPE=Release) ;;
        poll)    dir=build-poll; args=(-DCMAKE_BUILD_TYPE=Release -DGR_POLL_BACKEND=poll) ;;
        kqueue)  dir=build-kqueue; args=(-DCMAKE_BUILD_TYPE=Release -DGR_POLL_BACKEND=kqueue) ;;
        asan)    dir=build-asan; args=(-DCMAKE_BUILD_TYPE=Debug -DGR_SANITIZE=address) ;;
        tsan)    dir=build-tsan; args=(-DCMAKE_BUILD_TYPE=Debug -DGR_SANITIZE=thread) ;;
        *) echo "test.sh: unknown configuration '$c'" >&2; exit 2 ;;
    esac
    echo "=== $c: building in $dir"
    scripts/build.sh "$dir" "${args[@]}"
    echo "=== $c: testing"
    # Sanitizers: fail on the first report, keep stacks readable.
    ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
        ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600
done
echo "=== all configurations passed: $configs"
