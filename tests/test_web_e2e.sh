#!/usr/bin/env bash
# test_web_e2e.sh - the whole story over HTTP with curl, against the real server on a free
# loopback port: tokens, a data set, a model, a plain and a DP version trained as jobs, bias
# and explain reports, the approval workflow with its gates (403, 409, 201), an inclusion
# proof checked independently, events (SSE and a signed webhook), a restart that fails the
# interrupted job, and `modelgov verify` of the store.
set -euo pipefail
bin=${MG_BINARY:?MG_BINARY is not set}
py=/usr/bin/python3
tmp=$(mktemp -d)
pid=
side_pids=()
passed=0
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    for p in "${side_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; [ -f "$tmp/serve.log" ] && tail -n 20 "$tmp/serve.log"; exit 1; }
ok() { passed=$((passed + 1)); echo "ok $passed - $*"; }
# jget EXPR < json: print d<EXPR> of the JSON on stdin
jget() { "$py" -c 'import json,sys; d=json.load(sys.stdin); v=eval("d"+sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1"; }

start_server() {
    rm -f "$tmp/port"
    "$bin" serve --store "$tmp/store" --listen 127.0.0.1:0 --port-file "$tmp/port" \
        --workers 2 2>>"$tmp/serve.log" &
    pid=$!
    for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
    [ -s "$tmp/port" ] || fail "server did not start"
    base="http://127.0.0.1:$(cat "$tmp/port")"
}

stop_server() {
    kill -TERM "$pid"
    local st=0
    wait "$pid" || st=$?
    pid=
    [ "$st" -eq 0 ] || fail "serve exited $st after SIGTERM"
}

# req TOKEN METHOD PATH [curl args...]: body to $tmp/body, status printed
req() {
    local tok=$1 method=$2 path=$3
    shift 3
    curl -s -o "$tmp/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $tok" \
        "$@" "$base$path"
}
json() { req "$1" "$2" "$3" -H 'Content-Type: application/json' --data-binary "$4"; }
expect() { # expect WANT GOT WHAT
    [ "$2" = "$1" ] || fail "$3: HTTP $2, want $1: $(cat "$tmp/body")"
    ok "$3 -> $1"
}

# Wait for job $1 to finish; fail unless it succeeded. Prints the job JSON.
wait_job() {
    local state
    for _ in $(seq 600); do
        req "$viewer" GET "/api/v1/jobs/$1" >/dev/null
        state=$(jget '["state"]' <"$tmp/body")
        case $state in succeeded) cat "$tmp/body"; return 0 ;; failed | cancelled)
            fail "job $1 $state: $(cat "$tmp/body")" ;; esac
        sleep 0.1
    done
    fail "job $1 did not finish"
}

# --- a store, tokens, the server -------------------------------------------------------------
"$bin" init --store "$tmp/store" >/dev/null
token() { "$bin" token create --store "$tmp/store" --name "$1" --role "$2" --format json | jget '["secret"]'; }
admin=$(token ada admin)
sub=$(token sam submitter)
rev=$(token rita reviewer)
viewer=$(token vera viewer)
ok "tokens created (admin, submitter, reviewer, viewer)"
start_server

# A path that is not UTF-8 still gets a JSON error naming it, each such byte as \xNN.
st=$(curl -s -o "$tmp/body" -w '%{http_code}' "$base/nosuch%FF" || true) # empty reply: 000
expect 404 "$st" "GET /nosuch%FF"
[ "$(jget '["error"]["message"]' <"$tmp/body")" = 'no such resource: /nosuch\xff' ] ||
    fail "404 body: $(cat "$tmp/body")"
st=$(req "$sub" PUT "/api/v1/models/%FFx" || true)
expect 405 "$st" "PUT /api/v1/models/%FFx"
[ "$(jget '["error"]["message"]' <"$tmp/body")" = 'method PUT not allowed on /api/v1/models/\xffx (allowed: GET, PATCH)' ] ||
    fail "405 body: $(cat "$tmp/body")"
ok "error messages quoting a non-UTF-8 path are valid JSON"

# Events: an SSE subscriber from the start, and a webhook receiver checking HMAC-SHA256.
curl -sN -H "Authorization: Bearer $viewer" "$base/api/v1/events" >"$tmp/events" &
side_pids+=($!)
cat >"$tmp/hook.py" <<'EOF'
import hashlib, hmac, http.server, sys
secret, out = sys.argv[1].encode(), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        stamp = self.headers["X-Modelgov-Timestamp"].encode()
        want = "sha256=" + hmac.new(secret, stamp + b"." + body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(want, self.headers["X-Modelgov-Signature"])
        with open(out, "a") as f:
            f.write(("good " if good else "bad ") + self.headers["X-Modelgov-Event"] + "\n")
        self.send_response(200 if good else 400); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(out + ".port", "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
"$py" "$tmp/hook.py" hook-secret "$tmp/hooks" &
side_pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/hooks.port" ] && break; sleep 0.05; done
st=$(json "$admin" POST /api/v1/webhooks \
    "{\"url\":\"http://127.0.0.1:$(cat "$tmp/hooks.port")/hook\",\"events\":[\"version.transition\"],\"secret\":\"hook-secret\"}")
expect 201 "$st" "admin registers a webhook"

# --- data set and model ----------------------------------------------------------------------
# No approval-rate gap between men and women, so a fair model passes the default DI gate.
"$bin" gen-data credit --rows 3000 --seed 7 --gap 0 --out "$tmp/credit.csv"
st=$(req "$sub" POST "/api/v1/datasets?name=credit&description=synthetic" \
    -H 'Content-Type: text/csv' --data-binary @"$tmp/credit.csv")
expect 201 "$st" "submitter uploads the credit data set"
ds=$(jget '["id"]' <"$tmp/body")
sha=$(sha256sum "$tmp/credit.csv" | cut -d' ' -f1)
[ "$(jget '["sha256"]' <"$tmp/body")" = "$sha" ] || fail "data set sha256 differs from the file's"
ok "data set stored by its sha256"
st=$(req "$sub" POST "/api/v1/datasets?name=again" -H 'Content-Type: text/csv' \
    --data-binary @"$tmp/credit.csv")
expect 409 "$st" "the same bytes again"
st=$(json "$sub" POST /api/v1/models '{"name":"credit","description":"loan approvals","risk_tier":"high"}')
expect 201 "$st" "submitter registers a model"

# --- versions trained as jobs ----------------------------------------------------------------
st=$(json "$sub" POST /api/v1/models/credit/versions \
    "{\"dataset\":\"$ds\",\"label\":\"approved\",\"positive\":\"yes\",\"model\":\"logistic\",\"epochs\":5,\"seed\":3}")
expect 202 "$st" "plain training job accepted"
job=$(jget '["id"]' <"$tmp/body")
v1=$(wait_job "$job" | jget '["result"]["version"]')
ok "plain version $v1 trained"
st=$(json "$sub" POST /api/v1/models/credit/versions \
    "{\"dataset\":\"$ds\",\"label\":\"approved\",\"positive\":\"yes\",\"model\":\"logistic\",\"epochs\":3,\"batch\":150,\"dp\":{\"max_grad_norm\":1.0,\"noise_multiplier\":1.1,\"delta\":1e-5}}")
expect 202 "$st" "DP training job accepted"
job=$(jget '["id"]' <"$tmp/body")
wait_job "$job" >"$tmp/dpjob"
v2=$(jget '["result"]["version"]' <"$tmp/dpjob")
eps=$(jget '["result"]["dp"]["epsilon"]' <"$tmp/dpjob")
ok "DP version $v2 trained, epsilon $eps"

# --- reports ---------------------------------------------------------------------------------
report() { # report VERSION SPEC
    local st
    st=$(json "$sub" POST "/api/v1/models/credit/versions/$1/reports" "$2")
    expect 202 "$st" "report job accepted for version $1"
    wait_job "$(jget '["id"]' <"$tmp/body")" >/dev/null
}
for v in "$v1" "$v2"; do
    report "$v" "{\"kind\":\"bias\",\"dataset\":\"$ds\",\"label\":\"approved\",\"positive\":\"yes\",\"facet\":\"gender=Female\"}"
    report "$v" "{\"kind\":\"explain\",\"dataset\":\"$ds\",\"method\":\"kernel-shap\",\"rows\":\"0-4\",\"background\":20}"
done
req "$viewer" GET "/api/v1/models/credit/versions/$v1/reports" >/dev/null
[ "$(jget '["reports"].__len__()' <"$tmp/body")" = 2 ] || fail "version $v1 should have 2 reports"
ok "bias and explain reports stored for both versions"

# --- the workflow ----------------------------------------------------------------------------
st=$(json "$sub" POST "/api/v1/models/credit/versions/$v1/transitions" '{"to":"pending_review","comment":"ready"}')
expect 201 "$st" "submitter submits version $v1 for review"
st=$(json "$sub" POST "/api/v1/models/credit/versions/$v1/transitions" '{"to":"approved"}')
expect 403 "$st" "the submitter cannot approve"
st=$(req "$rev" GET "/api/v1/models/credit/versions/$v1/gates")
expect 200 "$st" "the reviewer previews the gates"
[ "$(jget '["passed"]' <"$tmp/body")" = True ] || fail "gates preview: $(cat "$tmp/body")"
st=$(json "$rev" POST "/api/v1/models/credit/versions/$v1/transitions" '{"to":"approved","comment":"reports fine"}')
expect 201 "$st" "a reviewer approves version $v1 with passing gates"
approval=$(jget '["log_index"]' <"$tmp/body")
grep -q '"separation_of_duties","passed":true' "$tmp/body" || fail "gates not shown: $(cat "$tmp/body")"

# A reviewer who registered a version may not approve it (separation of duties): rita
# uploads an artifact trained on the command line, submits it and tries.
"$bin" train --data "$tmp/credit.csv" --label approved --positive yes --model logistic \
    --epochs 2 --out "$tmp/cli.mgm" >/dev/null
st=$(req "$rev" POST "/api/v1/models/credit/versions?description=from+the+CLI" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$tmp/cli.mgm")
expect 201 "$st" "reviewer uploads a .mgm artifact as a new version"
v3=$(jget '["version"]' <"$tmp/body")
st=$(req "$rev" POST "/api/v1/models/credit/versions?description=junk" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$tmp/credit.csv")
expect 422 "$st" "a file that is no model artifact"
json "$rev" POST "/api/v1/models/credit/versions/$v3/transitions" '{"to":"pending_review"}' >/dev/null
st=$(json "$rev" POST "/api/v1/models/credit/versions/$v3/transitions" '{"to":"approved"}')
expect 409 "$st" "the reviewer who registered version $v3 cannot approve it"
grep -q "rita" "$tmp/body" && grep -qi "submit" "$tmp/body" ||
    fail "409 does not explain separation of duties: $(cat "$tmp/body")"
ok "409 lists the gates: $(jget '["error"]["message"]' <"$tmp/body" | head -c 200)"

# A strict policy (admin): the DP version, reports and all, now fails its accuracy gate.
st=$(json "$sub" PATCH /api/v1/models/credit '{"policy":{"metrics":{"accuracy":{"min":0.999}}}}')
expect 403 "$st" "a submitter may not set a policy"
st=$(json "$admin" PATCH /api/v1/models/credit '{"policy":{"bias":{"DI":{"min":0.8,"max":1.25}},"metrics":{"accuracy":{"min":0.999}}}}')
expect 200 "$st" "admin sets a strict policy"
json "$sub" POST "/api/v1/models/credit/versions/$v2/transitions" '{"to":"pending_review"}' >/dev/null
st=$(json "$rev" POST "/api/v1/models/credit/versions/$v2/transitions" '{"to":"approved"}')
expect 409 "$st" "approval under the strict policy"
grep -q "accuracy" "$tmp/body" || fail "409 does not list the accuracy gate: $(cat "$tmp/body")"
ok "409 lists the failing policy gate: $(jget '["error"]["message"]' <"$tmp/body" | head -c 200)"

# --- predict ---------------------------------------------------------------------------------
row=$(head -2 "$tmp/credit.csv" | "$py" -c 'import csv,json,sys; r=list(csv.DictReader(sys.stdin))[0]; r.pop("approved"); print(json.dumps({"instances":[r]}))')
st=$(json "$viewer" POST "/api/v1/models/credit/versions/$v1/predict" "$row")
expect 200 "$st" "predict in TF Serving's shape"
"$py" -c 'import json,sys; p=json.load(open(sys.argv[1]))["predictions"]; assert len(p)==1 and 0<=p[0]<=1, p' "$tmp/body" ||
    fail "predictions: $(cat "$tmp/body")"
ok "one probability per instance"

# --- the approval's inclusion proof, checked here (RFC 6962 / RFC 9162 §2.1.3.2) --------------
req "$viewer" GET "/api/v1/log/entries/$approval" >/dev/null
cp "$tmp/body" "$tmp/entry"
grep -q '"version.transition"' "$tmp/entry" || fail "entry $approval is not the transition"
st=$(req "$viewer" GET "/api/v1/log/proof/inclusion?index=$approval")
expect 200 "$st" "inclusion proof of the approval (entry $approval)"
"$py" - "$tmp/entry" "$tmp/body" <<'EOF' || fail "the inclusion proof does not verify"
import hashlib, json, sys
entry, proof = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
leaf = bytes.fromhex(entry["leaf_hash"])
assert leaf == bytes.fromhex(proof["leaf_hash"])
i, n = proof["index"], proof["size"]
fn, sn, r = i, n - 1, leaf
for p in proof["proof"]:
    p = bytes.fromhex(p)
    if sn == 0: sys.exit(1)
    if fn & 1 or fn == sn:
        r = hashlib.sha256(b"\x01" + p + r).digest()
        while not fn & 1 and fn:
            fn >>= 1; sn >>= 1
    else:
        r = hashlib.sha256(b"\x01" + r + p).digest()
    fn >>= 1; sn >>= 1
assert sn == 0 and r.hex() == proof["root"], "root mismatch"
assert proof["tree_head"]["root"] == proof["root"]
EOF
ok "the proof leads from the entry's leaf to the signed tree head's root"
# ...and that tree head is signed by the log's key: plain `openssl pkeyutl` checks it.
cp "$tmp/body" "$tmp/proof"
st=$(req "$viewer" GET /api/v1/log/keys)
expect 200 "$st" "the log's public keys"
"$py" - "$tmp/proof" "$tmp/body" "$tmp" <<'EOF' || fail "could not extract the tree head"
import base64, json, sys
head = json.load(open(sys.argv[1]))["tree_head"]
keys = {k["key_id"]: k["public_key"] for k in json.load(open(sys.argv[2]))["keys"]}
out = sys.argv[3]
open(out + "/head.bin", "w").write(json.dumps({"root": head["root"], "size": head["size"],
                                               "time": head["time"]}, separators=(",", ":"),
                                              sort_keys=True))
open(out + "/head.sig", "wb").write(base64.b64decode(head["signature"]))
open(out + "/key.pem", "w").write(keys[head["key_id"]])
EOF
openssl pkeyutl -verify -pubin -inkey "$tmp/key.pem" -rawin -in "$tmp/head.bin" \
    -sigfile "$tmp/head.sig" >/dev/null || fail "openssl does not verify the tree head"
ok "openssl pkeyutl -verify accepts the tree head's Ed25519 signature"

# --- lineage and the model card ------------------------------------------------------------
st=$(req "$viewer" GET "/api/v1/lineage/version/credit:$v1")
expect 200 "$st" "lineage of version $v1"
grep -q "\"dataset:$ds\"" "$tmp/body" && grep -q '"used"' "$tmp/body" && grep -q '"agent:sam"' "$tmp/body" ||
    fail "lineage lacks the data set, a used edge or the submitter: $(head -c 400 "$tmp/body")"
ok "lineage: the version's run used data set $ds, associated with sam"
st=$(req "$viewer" GET "/api/v1/models/credit/versions/$v1/card")
expect 200 "$st" "model card as Markdown"
grep -q "credit" "$tmp/body" || fail "card: $(head -c 300 "$tmp/body")"

# --- events ----------------------------------------------------------------------------------
for e in dataset.registered version.registered report.ready version.transition version.submitted; do
    for _ in $(seq 100); do grep -q "^event: $e" "$tmp/events" && break; sleep 0.05; done
    grep -q "^event: $e" "$tmp/events" || fail "no '$e' on the SSE stream"
done
ok "SSE stream carried dataset, version, report and transition events"
for _ in $(seq 50); do [ -s "$tmp/hooks" ] && grep -q "good version.transition" "$tmp/hooks" && break; sleep 0.1; done
grep -q "good version.transition" "$tmp/hooks" || fail "no signed webhook delivery"
! grep -q "^bad" "$tmp/hooks" || fail "a webhook signature did not verify"
ok "webhook deliveries carry a valid HMAC-SHA256 signature"

# --- cancelling a job ------------------------------------------------------------------------
st=$(json "$sub" POST /api/v1/models/credit/versions \
    "{\"dataset\":\"$ds\",\"label\":\"approved\",\"positive\":\"yes\",\"model\":\"mlp\",\"hidden\":[64,64],\"epochs\":5000,\"batch\":8}")
expect 202 "$st" "a training job to cancel"
victim=$(jget '["id"]' <"$tmp/body")
st=$(req "$rev" DELETE "/api/v1/jobs/$victim")
expect 403 "$st" "someone else's job cannot be cancelled"
st=$(req "$sub" DELETE "/api/v1/jobs/$victim")
expect 202 "$st" "its submitter cancels it"
for _ in $(seq 200); do
    req "$viewer" GET "/api/v1/jobs/$victim" >/dev/null
    [ "$(jget '["state"]' <"$tmp/body")" = cancelled ] && break
    sleep 0.05
done
[ "$(jget '["state"]' <"$tmp/body")" = cancelled ] || fail "job not cancelled: $(cat "$tmp/body")"
ok "the job stopped between two training steps: cancelled"

# --- a restart fails the job it interrupted --------------------------------------------------
st=$(json "$sub" POST /api/v1/models/credit/versions \
    "{\"dataset\":\"$ds\",\"label\":\"approved\",\"positive\":\"yes\",\"model\":\"mlp\",\"hidden\":[64,64],\"epochs\":5000,\"batch\":8}")
expect 202 "$st" "a long training job"
long=$(jget '["id"]' <"$tmp/body")
# A second server on the same store (another port) refuses to start, and leaves the first
# one's running job and its upload in flight alone.
for _ in $(seq 200); do
    req "$viewer" GET "/api/v1/jobs/$long" >/dev/null
    [ "$(jget '["state"]' <"$tmp/body")" = running ] && break
    sleep 0.05
done
[ "$(jget '["state"]' <"$tmp/body")" = running ] || fail "job $long is not running: $(cat "$tmp/body")"
echo "arriving" >"$tmp/store/tmp/upload.e2eAbc"
st=0
timeout 20 "$bin" serve --store "$tmp/store" --listen 127.0.0.1:0 --port-file "$tmp/port2" \
    2>"$tmp/second.err" || st=$?
[ "$st" -eq 1 ] || fail "a second serve on the store exited $st: $(cat "$tmp/second.err")"
[ "$(cat "$tmp/second.err")" = "modelgov: store $tmp/store is served by another process ($tmp/store/serve.lock is locked)" ] ||
    fail "second serve: $(cat "$tmp/second.err")"
[ ! -e "$tmp/port2" ] || fail "the second serve wrote a port file"
[ -f "$tmp/store/tmp/upload.e2eAbc" ] || fail "the second serve removed the first one's upload"
[ "$(jget '["state"]' <"$tmp/store/jobs/$long.json")" = running ] ||
    fail "the second serve touched job $long: $(cat "$tmp/store/jobs/$long.json")"
st=$(req "$viewer" GET /health)
expect 200 "$st" "the first server still answers"
ok "a second serve on the store refuses to start (exit 1), the first one's files intact"
# An upload still arriving when SIGTERM comes is finished, not cut.
"$bin" gen-data credit --rows 3000 --seed 8 --out "$tmp/more.csv"
curl -s -o "$tmp/slow.body" -w '%{http_code}' --limit-rate 100k -H "Authorization: Bearer $sub" \
    -H 'Content-Type: text/csv' --data-binary @"$tmp/more.csv" \
    "$base/api/v1/datasets?name=slow-upload" >"$tmp/slow.status" &
slow=$!
sleep 0.5
stop_server
ok "SIGTERM: server stopped cleanly with a job running and an upload arriving"
wait "$slow" || true
[ "$(cat "$tmp/slow.status")" = 201 ] || fail "in-flight upload: HTTP $(cat "$tmp/slow.status") $(cat "$tmp/slow.body")"
ok "the upload in flight at SIGTERM completed (201)"
start_server
req "$viewer" GET "/api/v1/jobs/$long" >/dev/null
[ "$(jget '["state"]' <"$tmp/body")" = failed ] || fail "interrupted job: $(cat "$tmp/body")"
grep -q "interrupted" "$tmp/body" || fail "no reason: $(cat "$tmp/body")"
ok "after the restart the interrupted job is failed with its reason"
[ ! -e "$tmp/store/tmp/upload.e2eAbc" ] || fail "the restart left a stale upload in tmp/"
ok "the restart removed the upload the first server left in tmp/"

# A crash (SIGKILL) mid-training: at the next start the job is failed and its governance run
# closed as failed, so no run stays "running" forever.
st=$(json "$sub" POST /api/v1/models/credit/versions \
    "{\"dataset\":\"$ds\",\"label\":\"approved\",\"positive\":\"yes\",\"model\":\"mlp\",\"hidden\":[64,64],\"epochs\":5000,\"batch\":8}")
expect 202 "$st" "another long training job"
crashed=$(jget '["id"]' <"$tmp/body")
for _ in $(seq 100); do
    req "$viewer" GET "/api/v1/jobs/$crashed" >/dev/null
    grep -q '"run_id"' "$tmp/body" && break
    sleep 0.05
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
pid=
start_server
req "$viewer" GET "/api/v1/jobs/$crashed" >/dev/null
[ "$(jget '["state"]' <"$tmp/body")" = failed ] || fail "crashed job: $(cat "$tmp/body")"
req "$viewer" GET "/api/v1/datasets/$ds" >/dev/null
! grep -q '"status":"running"' "$tmp/body" || fail "a run is still running: $(cat "$tmp/body")"
ok "after a crash the job is failed and its run closed"
stop_server

# --- offline verification of the whole store -------------------------------------------------
if "$bin" verify --store "$tmp/store" >"$tmp/verify" 2>&1; then
    ok "modelgov verify --store: $(head -n 1 "$tmp/verify")"
else
    cat "$tmp/verify"; fail "modelgov verify --store"
fi
echo "$passed passed, 0 failed"
