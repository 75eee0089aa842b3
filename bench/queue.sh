#!/bin/sh
# queue.sh - run build/bin/bench_queue a few times and print the median.
# Builds nothing: build first (cmake --build build --target bench_queue).
#   RUNS=5 ITEMS=100000000 CAPACITY=1024 BURST=32 BIN=build/bin/bench_queue bench/queue.sh
# Each run is limited to TIMEOUT seconds (default 120).
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin/bench_queue}
RUNS=${RUNS:-5}
ITEMS=${ITEMS:-100000000}
CAPACITY=${CAPACITY:-1024}
BURST=${BURST:-32}
TIMEOUT=${TIMEOUT:-120}

if [ ! -x "$BIN" ]; then
    echo "queue.sh: $BIN not found; build it first" >&2
    exit 2
fi

results=""
i=1
while [ "$i" -le "$RUNS" ]; do
    line=$(timeout "$TIMEOUT" "$BIN" "$ITEMS" "$CAPACITY" "$BURST") || {
        echo "queue.sh: run $i failed (exit $?)" >&2
        exit 1
    }
    echo "run $i: $line"
    # "... items/s N ns/item X"
    results="$results$(echo "$line" | awk '{for (k = 1; k < NF; k++) { if ($k == "items/s") r = $(k+1); if ($k == "ns/item") n = $(k+1) } print r, n}')
"
    i=$((i + 1))
done

printf '%s' "$results" | sort -n -k1,1 | awk -v runs="$RUNS" '
    { r[NR] = $1; n[NR] = $2 }
    END {
        m = int((NR + 1) / 2)
        printf "median of %d runs: %.0f items/s, %.3f ns/item\n", runs, r[m], n[m]
    }'
