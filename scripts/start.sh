#!/usr/bin/env bash
# start.sh - quick start: install what is missing, build, and run grocketd in
# the foreground with the demo module on conf/grocketd.ini (Ctrl-C stops).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
exec build/bin/grocketd -c conf/grocketd.ini
