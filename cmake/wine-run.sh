#!/bin/sh
# wine-run.sh PROGRAM.exe [ARGS...] - how ctest (and gtest_discover_tests at
# build time) start a test program of the Windows cross-build: under Wine,
# quiet (WINEDEBUG=-all unless set), in the caller's WINEPREFIX.
#
# Wine starts a wineserver and its background programs (services.exe,
# explorer.exe...) for each program when none runs, and they stay until the
# server ends, about 3 s after the last program: 3 s per test program, 9
# minutes for the unit suite one after the other. So the first caller starts
# a server kept for 15 s after its last program and brings the background
# programs up with their output on /dev/null (they would otherwise hold the
# caller's pipes open, and ctest would wait for them); later callers find
# it running. The lock keeps two parallel callers from both doing so.
export WINEDEBUG="${WINEDEBUG:--all}"
prefix="${WINEPREFIX:-$HOME/.wine}"
mkdir -p "$prefix"
(
    flock 9
    if wineserver -p 15 >/dev/null 2>&1 9>&-; then
        wine cmd /c exit </dev/null >/dev/null 2>&1 9>&-
    fi
) 9>"$prefix/.grocket-wine-run.lock"
exec wine "$@"
