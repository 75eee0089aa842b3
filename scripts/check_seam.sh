#!/usr/bin/env bash
# check_seam.sh - the platform seam holds: no file of libgrocket/ outside
# libgrocket/platform/ includes an operating-system header, and the seam's
# own headers (libgrocket/platform/*.h) include none either. Allowed: the C
# and C++ standard headers and the declared dependencies' headers
# (http_parser.h, ini.h). Quoted includes outside platform/ must not name a
# system-specific platform header (those in platform/<system>/). grocketd/
# includes libgrocket.h and its own headers, nothing of the library's.
# Exits 1 and names file, line and header on a breach.
set -euo pipefail
cd "$(dirname "$0")/../libgrocket"

c_std="assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal
stdalign stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn string tgmath threads
time uchar wchar wctype"
deps="http_parser.h ini.h"
allowed=" $deps "
for h in $c_std; do allowed+="$h.h "; done

# Files above the seam: everything but the per-system folders
# (platform/posix, linux, bsd, win, and sockets for what POSIX and Winsock
# share: any folder under platform/ is one).
mapfile -t files < <(find . -name '*.h' -o -name '*.cpp' | grep -v '^\./platform/[^/]*/' | sort)
# Headers that belong to one system's side of the seam.
mapfile -t private < <(find platform -mindepth 2 -name '*.h' -printf '%f\n' | sort -u)

bad=0
for f in "${files[@]}"; do
    while IFS=: read -r line text; do
        h=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<([^>]+)>.*/\1/' <<<"$text")
        # C++ standard headers have no extension (<atomic>, <cstdio>, <new>).
        [[ $h != */* && $h != *.* ]] && continue
        [[ $allowed == *" $h "* ]] && continue
        echo "libgrocket/${f#./}:$line: includes <$h>, an operating-system header: move the call behind libgrocket/platform/" >&2
        bad=1
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' "$f" || true)
    for p in "${private[@]}"; do
        if n=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"$p\"" "$f" | cut -d: -f1 | head -1) && [[ -n $n ]]; then
            echo "libgrocket/${f#./}:$n: includes \"$p\", a header of one system's side of the seam" >&2
            bad=1
        fi
    done
done
# grocketd is a thin program on the public API: libgrocket.h, its own
# headers (the system seam gr_daemon.h, its keys), and standard headers; only its per-system files
# (gr_daemon_<system>.cpp) include the system's headers.
for f in ../grocketd/*.cpp ../grocketd/*.h; do
    [[ $f == ../grocketd/gr_daemon_*.cpp ]] && continue
    while IFS=: read -r line text; do
        h=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"$text")
        [[ $h == libgrocket.h || $h == grocket.h ]] && continue
        [[ $h != */* && -e ../grocketd/$h ]] && continue # its own headers
        [[ $h != */* && $h != *.* ]] && continue
        [[ $allowed == *" $h "* ]] && continue
        echo "grocketd/${f##*/}:$line: includes $h: grocketd uses libgrocket.h and its own headers alone" >&2
        bad=1
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" || true)
done

if [[ $bad != 0 ]]; then
    echo "check_seam: the platform seam is breached (see above)" >&2
    exit 1
fi
echo "check_seam: ${#files[@]} files above the platform seam include no operating-system header; grocketd uses libgrocket.h alone"
