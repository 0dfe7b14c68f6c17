#!/usr/bin/env bash
# test_ui_verify.sh - the reviewer page's in-browser verifier (web/ui/verify.js) under node's
# test runner: RFC 6962 vectors, tampered proofs, RFC 8785 bytes, Ed25519 tree heads.
set -euo pipefail
src="${MG_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: node not installed (MG_DEPS_EXTRA=browser bash scripts/install-deps.sh)"
    exit 77
fi
exec node --test "$src/tests/browser/verify.test.mjs"
