#!/usr/bin/env bash
# build-windows.sh [DIR] [cmake args...] - cross-build grocket for 64-bit
# Windows with mingw-w64 into DIR (default build-windows): DIR/bin/grocketd.exe,
# the demo module as DIR/modules/libdemo.dll, the unit test programs (run
# them with `ctest --test-dir DIR`: the toolchain file makes ctest start them
# under Wine).
#
# The third-party libraries come from Debian's source packages, built here
# for mingw as static libraries with the options Debian's own packages use,
# into DIR/third_party (include/, lib/), so that the Windows build feeds the
# same CMake targets as the Linux one does from the -dev packages:
#   http-parser 2.9.4-5 (bookworm): its own Makefile's `package` target, the
#     one debian/rules builds (HTTP_PARSER_STRICT=0, -O3);
#   libinih 59-1 (trixie; bookworm's 55 source is no longer served): ini.c
#     with the flags Debian's meson options give it (distro_install=true:
#     INI_HANDLER_LINENO=1, the other switches stay run-time variables at
#     their defaults: multi-line entries on, stack line buffer of 200 bytes);
#   GoogleTest from /usr/src/googletest (package googletest).
# The downloads are cached in DIR/third_party/src: a rebuild does not fetch
# again. The system's apt sources are never touched: the source lists live
# in DIR/third_party/apt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${1:-build-windows}
shift || true
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
tp=$dir/third_party
jobs=${GR_JOBS:-$(nproc)}

triple=x86_64-w64-mingw32
CC=$triple-gcc-posix
AR=$triple-gcc-ar-posix

# ---- Debian packages (only those missing), as install-deps.sh does ----
PKGS=(g++-mingw-w64-x86-64-posix wine64 wine dpkg-dev cmake pkg-config googletest make)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "build-windows: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- Debian source packages, through private apt lists ----
HTTP_PARSER=http-parser=2.9.4-5
INIH=libinih=59-1
src=$tp/src
mkdir -p "$src"
if [ ! -f "$src/http-parser_2.9.4-5.dsc" ] || [ ! -f "$src/libinih_59-1.dsc" ]; then
    apt=$tp/apt
    mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/cache"
    # The system's own mirror, with the deb-src lines it does not have.
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    uri=${uri:-http://deb.debian.org/debian}
    for s in bookworm trixie; do
        printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$uri" $s > "$apt/parts/$s.sources"
    done
    O=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$apt/parts"
       -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
    echo "build-windows: fetching Debian sources $HTTP_PARSER $INIH"
    apt-get "${O[@]}" update -qq
    (cd "$src" && apt-get "${O[@]}" source --download-only -qq "$HTTP_PARSER" "$INIH")
fi

# ---- build them for mingw (once; delete DIR/third_party/lib to redo) ----
mkdir -p "$tp/include" "$tp/lib/pkgconfig"
unpack() { # unpack DSC FOLDER: a fresh copy, Debian's patches applied
    rm -rf "$src/$2"
    # dpkg-source checks the tarballs against the .dsc's checksums (apt
    # checked the .dsc against the signed archive); it warns that it cannot
    # check the uploader's signature without debian-keyring, harmlessly.
    (cd "$src" && dpkg-source -x "$1" "$2" >/dev/null)
}
if [ ! -f "$tp/lib/libhttp_parser.a" ]; then
    echo "build-windows: http-parser for mingw"
    unpack http-parser_2.9.4-5.dsc http-parser-2.9.4
    make -s -C "$src/http-parser-2.9.4" package CC="$CC" AR="$AR"
    cp "$src/http-parser-2.9.4/libhttp_parser.a" "$tp/lib/"
    cp "$src/http-parser-2.9.4/http_parser.h" "$tp/include/"
fi
if [ ! -f "$tp/lib/libinih.a" ]; then
    echo "build-windows: inih for mingw"
    unpack libinih_59-1.dsc libinih-59
    # debian/rules: -Wall -pedantic, LTO left out (a static archive of
    # intermediate code would tie its users to this compiler's LTO).
    (cd "$src/libinih-59" && $CC -O2 -Wall -pedantic -DINI_HANDLER_LINENO=1 -c ini.c -o ini.o &&
        rm -f libinih.a && $AR rcs libinih.a ini.o)
    cp "$src/libinih-59/libinih.a" "$tp/lib/"
    cp "$src/libinih-59/ini.h" "$tp/include/"
    # What Debian's inih.pc says, for pkg_check_modules(INIH ... inih).
    printf 'prefix=%s\nincludedir=${prefix}/include\nlibdir=${prefix}/lib\n\nName: inih\nDescription: simple .INI file parser\nVersion: 59\nLibs: -L${libdir} -linih\nCflags: -I${includedir}\n' \
        "$tp" > "$tp/lib/pkgconfig/inih.pc"
fi
if [ ! -f "$tp/lib/cmake/GTest/GTestConfig.cmake" ]; then
    echo "build-windows: GoogleTest for mingw"
    cmake -S /usr/src/googletest -B "$tp/googletest-build" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-mingw-w64.cmake" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$tp" -DBUILD_GMOCK=OFF -Dgtest_disable_pthreads=OFF >/dev/null
    cmake --build "$tp/googletest-build" -j"$jobs" >/dev/null
    cmake --install "$tp/googletest-build" >/dev/null
fi

# ---- grocket ----
cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-mingw-w64.cmake" \
    -DGR_MINGW_PREFIX="$tp" -DCMAKE_BUILD_TYPE=Release \
    -DHTTP_PARSER_INCLUDE_DIR="$tp/include" -DHTTP_PARSER_LIBRARY="$tp/lib/libhttp_parser.a" \
    -DGTest_DIR="$tp/lib/cmake/GTest" "$@" >/dev/null
# Wine keeps its prefix in WINEPREFIX (default ~/.wine); the test programs
# run under it at build time (gtest_discover_tests).
cmake --build "$dir" -j"$jobs"
