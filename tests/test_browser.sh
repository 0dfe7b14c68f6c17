#!/usr/bin/env bash
# test_browser.sh - the reviewer's page end to end in Debian's chromium (playwright-core from
# tests/browser/node_modules): scripts/demo.sh builds the scene on a free loopback port, then
# tests/browser/review.test.mjs signs in, approves the DP version and verifies its log entry.
# Screenshots: ui-inventory.png and ui-version.png in the build folder.
set -euo pipefail
src="${MG_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
bin=${MG_BINARY:?MG_BINARY is not set}
build=$(dirname "$bin")
chromium=${MG_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || ! command -v node >/dev/null ||
    [ ! -d "$src/tests/browser/node_modules/playwright-core" ]; then
    echo "SKIP: chromium/playwright-core not installed (MG_DEPS_EXTRA=browser bash scripts/install-deps.sh)"
    exit 77
fi
work=$(mktemp -d)
stop_server() {
    if [ -s "$work/demo/demo.env" ]; then
        # shellcheck disable=SC1091
        . "$work/demo/demo.env"
        kill -TERM "$MG_DEMO_PID" 2>/dev/null || true
        for _ in $(seq 150); do kill -0 "$MG_DEMO_PID" 2>/dev/null || break; sleep 0.1; done
    fi
}
trap 'stop_server; rm -rf "$work"' EXIT
MG_DEMO_DIR="$work/demo" MG_DEMO_LISTEN=127.0.0.1:0 MG_DEMO_DETACH=1 \
    bash "$src/scripts/demo.sh" "$build" >"$work/demo.out" 2>&1 || { cat "$work/demo.out"; exit 1; }
set -a
# shellcheck disable=SC1091
. "$work/demo/demo.env"
set +a
status=0
MG_SHOT_DIR="$build" node --test --test-reporter=spec "$src/tests/browser/review.test.mjs" || status=$?
# The server ran the whole scene: under the sanitizers its report (leaks at exit too) fails the test.
stop_server
if grep -q "Sanitizer" "$work/demo/serve.log"; then
    cat "$work/demo/serve.log"
    echo "FAIL: the server's sanitizer report above"
    exit 1
fi
exit "$status"
