#!/usr/bin/env bash
# check.sh CXX SOURCE_DIR SYSTEM - TESTS ONLY: compile grocket's files for
# SYSTEM (freebsd or macos), which were never compiled on that system,
# with CXX -fsyntax-only on Linux against the declarations set in
# tests/bsd_decls/SYSTEM (gr_bsd_decls.h says what it catches and what
# not). Exits 1 and prints the compiler's message on the first failure.
set -euo pipefail
cxx=$1 src=$2 sys=$3
decls=$src/tests/bsd_decls/$sys
lib=$src/libgrocket
inc=(-I"$decls/include")
# FreeBSD's <sys/event.h> is the test shim's, which follows FreeBSD's
# kqueue(2); macOS has its own layout in the declarations set.
[[ $sys == freebsd ]] && inc+=(-I"$src/tests/kqueue_shim/include")
for d in util platform core pipeline udp http platform/posix platform/sockets platform/bsd "platform/bsd/$sys"; do
    inc+=(-I"$lib/$d")
done
inc+=(-I"$src/include" -I"$src" -I"$src/test_tcp_client")
files=(libgrocket/platform/bsd/gr_poll_kqueue.cpp libgrocket/platform/bsd/gr_thread_$sys.cpp
       libgrocket/platform/bsd/gr_dgram_$sys.cpp libgrocket/platform/posix/gr_socket_posix.cpp
       libgrocket/platform/posix/gr_thread_posix.cpp libgrocket/platform/posix/gr_clock_posix.cpp
       libgrocket/platform/posix/gr_connect_posix.cpp libgrocket/platform/sockets/gr_connect_sockets.cpp
       libgrocket/platform/sockets/gr_addr_sockets.cpp libgrocket/platform/gr_thread_boot.cpp
       grocketd/gr_daemon_posix.cpp)
# macOS's datagrams one per call (FreeBSD has recvmmsg).
[[ $sys == macos ]] && files+=(libgrocket/platform/gr_dgram_one.cpp)
# test_tcp_client's kqueue loop and its datagram batches.
files+=(test_tcp_client/gr_tc_ev_kqueue.cpp test_tcp_client/gr_tc_loop.cpp test_tcp_client/gr_tc_udp.cpp)
defs=()
if [[ $sys == macos ]]; then
    files+=(grocketd/gr_daemon_ctl_sigwait.cpp test_tcp_client/gr_tc_mmsg_loop.cpp)
    defs+=(-DGR_TC_MMSG_LOOP)
else
    files+=(grocketd/gr_daemon_ctl_sigtimedwait.cpp)
fi
for f in "${files[@]}"; do
    "$cxx" -std=c++17 -fsyntax-only -Wall -Wextra -Wno-unused-parameter -Werror "${defs[@]}" \
        -include "$decls/gr_bsd_decls.h" "${inc[@]}" "$src/$f"
done
echo "bsd_decls: ${#files[@]} files for $sys pass -fsyntax-only"
