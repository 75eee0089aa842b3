#!/usr/bin/env bash
# install-deps.sh - install the Debian packages grocket needs to build and
# test, only those missing. Run as root (or with sudo available).
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libgoogle-perftools-dev libhttp-parser-dev libinih-dev
      libgtest-dev googletest
      curl apache2-utils wrk python3 gdb
      clang libclang-rt-14-dev
      redis-server redis-tools python3-redis nutcracker) # the kv module's tests: Redis's clients, Redis to compare with, twemproxy

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
