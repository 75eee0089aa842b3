#!/usr/bin/env bash
# install-deps.sh - install the Debian packages grocket needs to build and
# test, only those missing. Run as root (or with sudo available).
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libgoogle-perftools-dev libhttp-parser-dev libinih-dev
      libgtest-dev googletest
      curl apache2-utils wrk python3 gdb
      clang libclang-rt-14-dev
      prometheus
      redis-server redis-tools python3-redis nutcracker) # the kv module's tests: Redis's clients, Redis to compare with, twemproxy
# prometheus: for promtool (test_metrics.cpp checks the demo's /metrics
# with it); Debian ships promtool only in the server's package (about
# 19 MB to fetch, 96 MB installed, a "prometheus" system user).
# Packages that bring a service are installed without starting it, nor
# enabling it for the next boot: a test dependency must not leave a server
# listening (prometheus on port 9090 of every address, redis-server on
# 6379, which conf/kv.ini serves).
SERVICES=(prometheus redis-server nutcracker)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
# policy-rc.d (Debian's policy layer for invoke-rc.d and deb-systemd-invoke)
# answering 101, "action forbidden", while the packages install.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
if command -v systemctl >/dev/null; then
    for svc in "${SERVICES[@]}"; do
        [[ " ${missing[*]} " == *" $svc "* ]] && $SUDO systemctl disable "$svc" >/dev/null 2>&1 || true
    done
fi
