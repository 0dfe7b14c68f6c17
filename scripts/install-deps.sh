#!/usr/bin/env bash
# install-deps.sh - install the Debian packages modelgov builds and tests with.
# As root: apt-get installs what is missing. Otherwise: print the one apt-get
# line to run and stop with exit 1. Nothing else is downloaded, ever, but the npm
# linter that MG_DEPS_EXTRA=web asks for (installed here, never at test time).
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libsqlite3-dev libssl-dev libmicrohttpd-dev
            libjansson-dev liblapacke-dev libopenblas-dev libfftw3-dev check openssl
            sqlite3 curl jq python3)
# Optional extras: peers for `make bench` and the browser test. Asked for with
# MG_DEPS_EXTRA=bench and/or MG_DEPS_EXTRA=browser.
bench_pkgs=(python3 python3-sklearn python3-pandas python3-torch wrk nginx-light hyperfine)
browser_pkgs=(chromium)
# MG_DEPS_EXTRA=web: Node for the OpenAPI linter (@redocly/cli, from npm, below).
web_pkgs=(nodejs npm)

want=("${build_pkgs[@]}")
case " ${MG_DEPS_EXTRA:-} " in *" bench "*) want+=("${bench_pkgs[@]}") ;; esac
case " ${MG_DEPS_EXTRA:-} " in *" browser "*) want+=("${browser_pkgs[@]}") ;; esac
if ! command -v npm >/dev/null; then
    case " ${MG_DEPS_EXTRA:-} " in *" web "* | *" browser "*) want+=("${web_pkgs[@]}") ;; esac
fi

# MG_DEPS_EXTRA=browser: playwright-core (pinned in tests/browser/package-lock.json) drives
# Debian's chromium; `npm ci` fetches only that package, never a browser build.
install_playwright() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/browser"
    [ -d "$dir/node_modules/playwright-core" ] && return 0
    command -v npm >/dev/null || return 0
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent >/dev/null 2>&1) ||
        echo "note: could not install playwright-core; the browser test will be skipped" >&2
}

# The OpenAPI linter tests/test_web_openapi.sh runs, installed once here (never at test time).
install_redocly() {
    local prefix="${MG_NPM_PREFIX:-$HOME/.cache/modelgov/npm}"
    [ -x "$prefix/node_modules/.bin/redocly" ] && return 0
    command -v npm >/dev/null || return 0
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --silent @redocly/cli@2 >/dev/null 2>&1 ||
        echo "note: could not install @redocly/cli; the OpenAPI lint will be skipped" >&2
}
missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "modelgov needs these Debian packages; run:" >&2
        echo "  sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The npm extras, after the Debian packages that bring npm.
case " ${MG_DEPS_EXTRA:-} " in *" web "*) install_redocly ;; esac
case " ${MG_DEPS_EXTRA:-} " in *" browser "*) install_playwright ;; esac
exit 0
