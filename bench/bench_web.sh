#!/usr/bin/env bash
# bench_web.sh - the API under wrk on loopback: GET of a model version (requests/s, p99 at 64
# connections) next to nginx serving the same JSON as a static file, and signed durable writes
# (version registrations, stage transitions) per second. Prints one table.
set -uo pipefail
build=${1:-build}
bin=${MG_BINARY:-$build/modelgov}
secs=${MG_BENCH_SECONDS:-5}
conns=${MG_BENCH_CONNECTIONS:-64}
for tool in wrk nginx curl; do
    if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
        echo "SKIP bench_web: $tool not installed (MG_DEPS_EXTRA=bench bash scripts/install-deps.sh)"
        exit 0
    fi
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
tmp=$(mktemp -d)
chmod 755 "$tmp" # nginx's workers run as another user and read $tmp/www
pid=
npid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$npid" ] && kill "$npid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "bench_web: $*" >&2; exit 1; }
secret() { "$bin" token create --store "$tmp/store" --name "$1" --role "$2" --format json |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])'; }

# --- a store with one model version ----------------------------------------------------------
"$bin" init --store "$tmp/store" >/dev/null || die "init failed"
sub=$(secret sam submitter)
rev=$(secret rita reviewer)
"$bin" gen-data credit --rows 2000 --seed 1 --out "$tmp/credit.csv"
"$bin" train --data "$tmp/credit.csv" --label approved --positive yes --model logistic \
    --epochs 1 --out "$tmp/m.mgm" >/dev/null || die "train failed"
"$bin" serve --store "$tmp/store" --listen 127.0.0.1:0 --port-file "$tmp/port" \
    --threads "${MG_BENCH_THREADS:-2}" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
base="http://127.0.0.1:$(cat "$tmp/port")"
auth="Authorization: Bearer $sub"
curl -sf -H "$auth" -H 'Content-Type: application/json' -d '{"name":"bench"}' \
    "$base/api/v1/models" >/dev/null || die "model create failed"
curl -sf -H "$auth" -H 'Content-Type: application/octet-stream' --data-binary @"$tmp/m.mgm" \
    "$base/api/v1/models/bench/versions" >/dev/null || die "version upload failed"
url="$base/api/v1/models/bench/versions/1"
curl -sf -H "$auth" "$url" -o "$tmp/www/version.json" --create-dirs || die "GET failed"
chmod 755 "$tmp/www" && chmod 644 "$tmp/www/version.json"

# --- nginx serving the same bytes ------------------------------------------------------------
nport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $tmp/nginx-body;
    proxy_temp_path $tmp/nginx-proxy;
    fastcgi_temp_path $tmp/nginx-fastcgi;
    uwsgi_temp_path $tmp/nginx-uwsgi;
    scgi_temp_path $tmp/nginx-scgi;
    server {
        listen 127.0.0.1:$nport;
        root $tmp/www;
        default_type application/json;
    }
}
EOF
"$nginx_bin" -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx.out" &
npid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$nport/version.json" >/dev/null && break; sleep 0.05; done

# wrk's "Requests/sec" and its 99th percentile in ms, from its --latency output.
rate() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() {
    awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
         else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
         printf "%.2f", v }' "$1"
}
non2xx() { awk 'BEGIN { n = 0 } /Non-2xx/ { n = $5 } END { print n }' "$1"; }

wrk -t2 -c"$conns" -d"${secs}s" --latency -H "$auth" "$url" >"$tmp/ours.txt"
wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$nport/version.json" >"$tmp/nginx.txt"

# --- signed durable writes -------------------------------------------------------------------
# Version registrations: each POST stores the artifact and appends a signed log entry.
cat >"$tmp/register.lua" <<EOF
local f = io.open("$tmp/m.mgm", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Authorization"] = "Bearer $sub"
wrk.headers["Content-Type"] = "application/octet-stream"
EOF
# Twice as long as the transitions run, so that they never run out of versions to move.
wrk -t2 -c16 -d"$((2 * secs))s" -s "$tmp/register.lua" "$base/api/v1/models/bench/versions" \
    >"$tmp/register.txt"
registered=$(curl -sf -H "$auth" "$base/api/v1/models/bench/versions" |
    /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["versions"]))')
# Transitions registered -> pending_review, each version once: thread t takes t, t+T, ...
cat >"$tmp/transition.lua" <<EOF
local threads, counter = 2, 0
function setup(thread)
    counter = counter + 1
    thread:set("first", counter + 1) -- version 1 was moved by nobody; start at 2
end
function init(args) n = first - threads end
function response(status)
    if status ~= 201 then wrk.thread:stop() end -- out of versions to move
end
function request()
    n = n + threads
    return wrk.format("POST", "/api/v1/models/bench/versions/" .. n .. "/transitions",
        {["Authorization"] = "Bearer $sub", ["Content-Type"] = "application/json"},
        '{"to":"pending_review","comment":"bench"}')
end
EOF
wrk -t2 -c16 -d"${secs}s" -s "$tmp/transition.lua" "$base" >"$tmp/transition.txt"
tr_total=$(awk '/requests in/ {print $1}' "$tmp/transition.txt")
tr_secs=$(awk '/requests in/ { v = $4; sub(/,$/, "", v); if (v ~ /ms$/) { sub(/ms$/, "", v); v /= 1000 }
          else if (v ~ /m$/) { sub(/m$/, "", v); v *= 60 } else sub(/s$/, "", v); print v }' \
          "$tmp/transition.txt")
tr_ok=$(( tr_total - $(non2xx "$tmp/transition.txt") ))
kill -TERM "$pid"
wait "$pid"
pid=

ours=$(rate "$tmp/ours.txt")
theirs=$(rate "$tmp/nginx.txt")
printf '%-52s %14s %14s %8s\n' "figure (loopback, $conns connections, ${secs}s)" modelgov nginx ratio
printf '%-52s %14.0f %14.0f %8.2f\n' "GET /models/{name}/versions/{v}: requests/s" "$ours" "$theirs" \
    "$(echo "$ours $theirs" | awk '{print $1 / $2}')"
printf '%-52s %14s %14s %8.2f\n' "GET /models/{name}/versions/{v}: p99 latency (ms)" \
    "$(p99 "$tmp/ours.txt")" "$(p99 "$tmp/nginx.txt")" \
    "$(echo "$(p99 "$tmp/ours.txt") $(p99 "$tmp/nginx.txt")" | awk '{ if ($2 > 0) print $1 / $2; else print 0 }')"
printf '%-52s %14.0f %14s %8s\n' "version registrations/s (16 conns, signed, fsync'd)" \
    "$(rate "$tmp/register.txt")" "-" "-"
printf '%-52s %14.0f %14s %8s\n' "transitions/s (16 conns, signed, fsync'd)" \
    "$(echo "$tr_ok $tr_secs" | awk '{print $1 / $2}')" "-" "-"
echo "(non-2xx GETs: modelgov $(non2xx "$tmp/ours.txt"), nginx $(non2xx "$tmp/nginx.txt");" \
    "versions registered $registered; $tr_ok transitions in ${tr_secs}s)"
