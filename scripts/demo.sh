#!/usr/bin/env bash
# demo.sh - `make demo` (DESIGN §2): a store, the synthetic credit data, a plain logistic and a
# DP MLP version trained through the API as jobs, bias and explain reports for both, both
# submitted for review, and the server left running with its URL and a reviewer token printed.
#
#   bash scripts/demo.sh BUILD_DIR
#
# Environment: MG_DEMO_DIR (default BUILD_DIR/demo, wiped first), MG_DEMO_LISTEN (default
# 127.0.0.1:8080; port 0 picks a free one), MG_DEMO_ROWS (default 6000), MG_DEMO_DETACH=1
# (leave the server in the background, write MG_DEMO_DIR/demo.env and exit: the browser test).
# Any missing piece (command, route, field) stops the script with a message naming it.
set -euo pipefail
shopt -s inherit_errexit

build=${1:-build}
bin="$build/modelgov"
dir=${MG_DEMO_DIR:-$build/demo}
listen=${MG_DEMO_LISTEN:-127.0.0.1:8080}
rows=${MG_DEMO_ROWS:-6000}
detach=${MG_DEMO_DETACH:-0}
t0=$(date +%s)

say() { printf 'demo: %s\n' "$*" >&2; }
fail() {
    printf '\ndemo: FAILED: %s\n' "$*" >&2
    [ -s "$dir/serve.log" ] && { echo "--- server log (last lines):" >&2; tail -n 15 "$dir/serve.log" >&2; }
    exit 1
}
for tool in curl jq; do
    command -v "$tool" >/dev/null || fail "'$tool' is not installed (run: make deps)"
done
[ -x "$bin" ] || fail "no binary at $bin (run: make build)"

pid=
stop_server() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; }
trap 'stop_server' EXIT

# A modelgov command; on failure say which step and what the binary said.
mg() {
    local what=$1 out
    shift
    out=$("$bin" "$@" 2>&1) || fail "$what: 'modelgov $1 $2 ...' failed: $out"
    printf '%s' "$out"
}

# call METHOD PATH TOKEN [JSON]: the answer's body on 2xx; otherwise fail naming the route.
call() {
    local method=$1 path=$2 token=$3 body=${4:-} code
    local args=(-sS -o "$dir/answer" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    code=$(curl "${args[@]}" "$base$path") || fail "$method $path: the server did not answer"
    case $code in
    2??) cat "$dir/answer" ;;
    *) fail "$method $path answered $code: $(cat "$dir/answer")" ;;
    esac
}

# wait_job ID TOKEN: poll /jobs/{id} until it succeeds (its JSON on stdout) or fail with its error.
wait_job() {
    local id=$1 token=$2 j state
    for _ in $(seq 1200); do
        j=$(call GET "/api/v1/jobs/$id" "$token")
        state=$(jq -r .state <<<"$j")
        case $state in
        succeeded) printf '%s' "$j"; return 0 ;;
        failed | cancelled) fail "job $id ($(jq -r .kind <<<"$j")) $state: $(jq -r '.error // "no reason given"' <<<"$j")" ;;
        esac
        sleep 0.2
    done
    fail "job $id still $state after 240 s"
}

# field JSON FILTER WHAT: a value the next step needs; fail naming it when absent.
field() {
    local v
    v=$(jq -r "$2 // empty" <<<"$1")
    [ -n "$v" ] || fail "the answer has no $3 ($2): $1"
    printf '%s' "$v"
}

rm -rf "$dir"
mkdir -p "$dir"
say "store in $dir/store"
mg "create the store" init --store "$dir/store" >/dev/null
# Two draws of the synthetic credit data (gender bias built in): the plain model's, and the DP
# model's own, so the DP model's data set has a finite privacy budget (a plain model trained on a
# data set leaves it with no privacy guarantee at all, and the policy's epsilon gate says so).
say "synthetic credit data: 2 x $rows rows (gender bias built in)"
mg "generate the credit data" gen-data credit --rows "$rows" --seed 7 --out "$dir/credit.csv" >/dev/null
mg "generate the credit data" gen-data credit --rows "$rows" --seed 8 --out "$dir/credit-private.csv" >/dev/null

# Tokens: the token is the last word modelgov prints (or its JSON's "token").
token() {
    local out
    out=$(mg "create the $2 token" token create --store "$dir/store" --name "$1" --role "$2" --format json)
    jq -r '.secret // .token // empty' <<<"$out" 2>/dev/null || true
}
admin=$(token admin admin)
alice=$(token alice submitter)
bob=$(token bob reviewer)
[ -n "$admin" ] && [ -n "$alice" ] && [ -n "$bob" ] ||
    fail "'modelgov token create --format json' printed no \"secret\""

say "starting the server on $listen"
"$bin" serve --store "$dir/store" --listen "$listen" --port-file "$dir/port" >"$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 200); do [ -s "$dir/port" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
[ -s "$dir/port" ] || fail "the server did not start (is $listen taken?)"
base="http://${listen%:*}:$(cat "$dir/port")"

# Every route the demo uses must be in the server's OpenAPI document; name the missing ones.
curl -sSf -H "Authorization: Bearer $admin" "$base/openapi.json" -o "$dir/openapi.json" ||
    fail "GET /openapi.json"
have=$(jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | "\(ascii_upcase) \($p)"' "$dir/openapi.json")
missing=()
for r in "POST /api/v1/datasets" "POST /api/v1/models" "POST /api/v1/models/{name}/versions" \
    "GET /api/v1/jobs/{id}" "POST /api/v1/models/{name}/versions/{v}/reports" \
    "POST /api/v1/models/{name}/versions/{v}/transitions" "GET /api/v1/models/{name}/versions/{v}" \
    "GET /api/v1/log/tree-head" "GET /api/v1/log/proof/inclusion" "GET /api/v1/log/entries/{index}" \
    "PATCH /api/v1/models/{name}" "GET /api/v1/models/{name}/versions/{v}/gates" \
    "GET /api/v1/runs/{id}" "GET /api/v1/log/keys" "GET /api/v1/reports/{id}"; do
    grep -qxF "$r" <<<"$have" || missing+=("$r")
done
[ ${#missing[@]} -eq 0 ] || fail "the API has no route for: $(printf '%s; ' "${missing[@]}")"

# upload NAME: stream the CSV to POST /datasets; prints the data set's id.
upload() {
    local code
    code=$(curl -sS -X POST -H "Authorization: Bearer $alice" -H 'Content-Type: text/csv' \
        --data-binary "@$dir/$1.csv" "$base/api/v1/datasets?name=$1" -o "$dir/answer" -w '%{http_code}')
    [[ $code == 2?? ]] || fail "POST /api/v1/datasets answered $code: $(cat "$dir/answer")"
    field "$(cat "$dir/answer")" '.id // .sha256' "data set id"
}
say "uploading the data sets"
plain_data=$(upload credit)
private_data=$(upload credit-private)

# A model: register it (with its policy, which only an admin may set), train one version as a
# job, ask for both reports on its data set, submit it.
demo_model() {
    local name=$1 desc=$2 dataset=$3 policy=$4 spec=$5 job v
    say "model $name: registering"
    call POST /api/v1/models "$alice" "$(jq -nc --arg n "$name" --arg d "$desc" \
        '{name:$n, owner:"credit-risk team", description:$d, risk_tier:"high",
          intended_use:"pre-screening of consumer credit applications, with a person deciding"}')" >/dev/null
    call PATCH "/api/v1/models/$name" "$admin" "{\"policy\":$policy}" >/dev/null
    say "model $name: training ($desc) as a job"
    job=$(call POST "/api/v1/models/$name/versions" "$alice" \
        "{\"dataset\":\"$dataset\",\"label\":\"approved\",\"positive\":\"yes\",\"seed\":7,\"test_fraction\":0.2,$spec}")
    job=$(wait_job "$(field "$job" '.job.id // .id' "job id")" "$alice")
    v=$(field "$job" '.result.version // .result.v' "trained version number")
    say "model $name: v$v trained; bias and explain reports as jobs"
    job=$(call POST "/api/v1/models/$name/versions/$v/reports" "$alice" \
        "{\"kind\":\"bias\",\"dataset\":\"$dataset\",\"label\":\"approved\",\"positive\":\"yes\",\"facet\":\"gender=Female\",\"bootstrap\":200}")
    wait_job "$(field "$job" '.job.id // .id' "job id")" "$alice" >/dev/null
    job=$(call POST "/api/v1/models/$name/versions/$v/reports" "$alice" \
        "{\"kind\":\"explain\",\"dataset\":\"$dataset\",\"method\":\"kernel-shap\",\"rows\":\"0-9\",\"background\":50,\"nsamples\":512}")
    wait_job "$(field "$job" '.job.id // .id' "job id")" "$alice" >/dev/null
    call POST "/api/v1/models/$name/versions/$v/transitions" "$alice" \
        '{"to":"pending_review","comment":"ready for review: reports attached"}' >/dev/null
    say "model $name: v$v submitted for review"
    printf '%s' "$v"
}
# The plain model sees every column, gender included; the DP model is trained without it.
v1=$(demo_model credit-logistic "plain logistic regression on every column" "$plain_data" \
    '{"bias":{"DI":{"min":0.8,"max":1.25}}}' \
    '"model":"logistic","epochs":15,"batch":64,"lr":0.05,"description":"logistic, all columns"')
v2=$(demo_model credit-dp "DP-SGD MLP without the gender column, epsilon 3 at delta 1e-5" "$private_data" \
    '{"bias":{"DI":{"min":0.8,"max":1.25}},"max_epsilon":5,"delta":1e-5}' \
    '"model":"mlp","hidden":[16],"epochs":8,"batch":128,"lr":0.05,"ignore":["gender"],"description":"DP MLP, gender not used","dp":{"max_grad_norm":1.0,"target_epsilon":3.0,"delta":1e-5}')

cat >"$dir/demo.env" <<ENV
MG_DEMO_URL=$base
MG_DEMO_PID=$pid
MG_DEMO_ADMIN=$admin
MG_DEMO_SUBMITTER=$alice
MG_DEMO_REVIEWER=$bob
MG_DEMO_PLAIN=credit-logistic/$v1
MG_DEMO_DP=credit-dp/$v2
ENV
chmod 600 "$dir/demo.env"
say "ready in $(($(date +%s) - t0)) s"
cat <<MSG

  The reviewer's page:  $base/
  Reviewer token (bob): $bob
  Waiting for review:   credit-logistic v$v1 (logistic), credit-dp v$v2 (DP MLP)

  Sign in with the token, open a version, read its reports, approve or reject.
  Ctrl-C stops the server; the store stays in $dir/store.
MSG
if [ "$detach" = 1 ]; then
    trap - EXIT
    exit 0
fi
trap 'stop_server; exit 0' INT TERM
wait "$pid"
