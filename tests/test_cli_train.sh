#!/usr/bin/env bash
# test_cli_train.sh - modelgov train / predict / evaluate end to end, and their bad-input errors.
set -uo pipefail
bin=${MG_BINARY:-modelgov}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect_error NAME PATTERN CMD...: exit 1 and stderr matching PATTERN.
expect_error() {
    local name=$1 pattern=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -eq 1 ] && grep -Eq -- "$pattern" "$tmp/err"; then ok
    else bad "$name: exit $rc, stderr: $(cat "$tmp/err")"; fi
}

printf 'x1,x2,y\n1,2,a\n3,4\n5,6,b\n' >"$tmp/ragged.csv"
expect_error "ragged row" "ragged.csv:3" \
    "$bin" train --data "$tmp/ragged.csv" --label y --model logistic
printf 'x1,x2,y\n1,2,a\n3,oops,b\n5,6,a\n' >"$tmp/text.csv"
expect_error "non-numeric with --schema" "text.csv:3:3" \
    "$bin" train --data "$tmp/text.csv" --label y --model logistic --schema x2:numeric
: >"$tmp/empty.csv"
expect_error "empty file" "empty" "$bin" train --data "$tmp/empty.csv" --label y --model logistic
printf 'x1,x2,y\n1,2,a\n3,4,b\n' >"$tmp/small.csv"
expect_error "unknown label" "no column 'nope'" \
    "$bin" train --data "$tmp/small.csv" --label nope --model logistic
printf 'x1,x2,y\n1,2,a\n3,4,a\n5,6,a\n' >"$tmp/one.csv"
expect_error "one class" "only one value 'a'" \
    "$bin" train --data "$tmp/one.csv" --label y --model logistic
expect_error "dp without noise" "--dp needs exactly one of --noise-multiplier" \
    "$bin" train --data "$tmp/small.csv" --label y --model logistic --dp
expect_error "unknown model" "--model: 'tree'" \
    "$bin" train --data "$tmp/small.csv" --label y --model tree
expect_error "missing file" "nofile.csv" \
    "$bin" train --data "$tmp/nofile.csv" --label y --model logistic
expect_error "text label for linear" "holds text" \
    "$bin" train --data "$tmp/small.csv" --label y --model linear
expect_error "hidden for logistic" "--hidden applies to --model mlp" \
    "$bin" train --data "$tmp/small.csv" --label y --model logistic --hidden 4
expect_error "bad positive" "no value 'c'" \
    "$bin" train --data "$tmp/small.csv" --label y --model logistic --positive c
printf 'x1,caf\xe9\n1,2\n' >"$tmp/latin1.csv"
expect_error "Latin-1 header" "latin1.csv:1:4: byte 0xE9 at offset 3 of the field is not UTF-8" \
    "$bin" train --data "$tmp/latin1.csv" --label x1 --model linear

# A label and classes holding commas: the prediction CSV's header quotes them.
{
    echo 'x1,"risk,class"'
    for i in $(seq 1 30); do echo "$i,\"low,ish\""; echo "$((i + 40)),high"; echo "$((i + 80)),mid"; done
} >"$tmp/commas.csv"
if "$bin" train --data "$tmp/commas.csv" --label 'risk,class' --model softmax --epochs 2 \
    --out "$tmp/c.mgm" >/dev/null && "$bin" predict --model "$tmp/c.mgm" --data "$tmp/commas.csv" \
    --out "$tmp/cp.csv" 2>/dev/null &&
    [ "$(head -1 "$tmp/cp.csv")" = '"predicted_risk,class",p_high,"p_low,ish",p_mid' ] &&
    [ "$(sed -n 2p "$tmp/cp.csv" | /usr/bin/python3 -c 'import csv,sys; print(len(next(csv.reader(sys.stdin))))')" = 4 ]
then ok; else bad "predict CSV header with commas: $(head -2 "$tmp/cp.csv" 2>&1)"; fi

# A real round trip on the synthetic credit data.
"$bin" gen-data credit --rows 3000 --seed 4 --out "$tmp/credit.csv" || bad "gen-data"
train() {
    "$bin" train --data "$tmp/credit.csv" --label approved --positive yes --model "$1" \
        --hidden 16,8 --epochs 4 --seed 7 --out "$2" --format json >"$tmp/train.json"
}
if train mlp "$tmp/a.mgm" && train mlp "$tmp/b.mgm"; then ok; else bad "train mlp"; fi
if cmp -s "$tmp/a.mgm" "$tmp/b.mgm"; then ok; else bad "same seed gave different artifacts"; fi
if grep -q '"accuracy"' "$tmp/train.json" && grep -q '"eval_loss"' "$tmp/train.json"; then ok
else bad "train JSON lacks metrics or curves: $(head -c 300 "$tmp/train.json")"; fi
if "$bin" predict --model "$tmp/a.mgm" --data "$tmp/credit.csv" --out "$tmp/p.csv" 2>/dev/null &&
    [ "$(head -1 "$tmp/p.csv")" = "predicted_approved,score" ] &&
    [ "$(wc -l <"$tmp/p.csv")" -eq 3001 ]; then ok; else bad "predict CSV"; fi
if "$bin" evaluate --model "$tmp/a.mgm" --data "$tmp/credit.csv" --label approved \
    --positive yes --format json >"$tmp/eval.json" &&
    grep -q '"metrics"' "$tmp/eval.json" && grep -q '"auc"' "$tmp/eval.json"; then ok
else bad "evaluate JSON: $(cat "$tmp/eval.json")"; fi
expect_error "evaluate: unknown label" "no column 'nope'" \
    "$bin" evaluate --model "$tmp/a.mgm" --data "$tmp/credit.csv" --label nope
printf '{"format":"something-else"}' >"$tmp/foreign.mgm"
expect_error "foreign model" "field 'format'" \
    "$bin" predict --model "$tmp/foreign.mgm" --data "$tmp/credit.csv"
head -c 2000 "$tmp/a.mgm" >"$tmp/cut.mgm"
expect_error "truncated model" "cut.mgm:1:" \
    "$bin" predict --model "$tmp/cut.mgm" --data "$tmp/credit.csv"
cut -d, -f1-3 "$tmp/credit.csv" >"$tmp/narrow.csv"
expect_error "predict: missing column" "not in" \
    "$bin" predict --model "$tmp/a.mgm" --data "$tmp/narrow.csv"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
