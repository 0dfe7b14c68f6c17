#!/usr/bin/env bash
# run.sh - `make bench`: run every benchmark binary and script, each printing a table.
set -uo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
export MG_BINARY="$build/modelgov" MG_SHARED_DIR="${MG_SHARED_DIR:-$here/../../shared}"
status=0
for b in "$build"/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" || status=1
done
for s in "$here"/bench_*.sh; do
    [ -f "$s" ] || continue
    echo "== $(basename "$s")"
    bash "$s" "$build" || status=1
done
exit $status
