#!/usr/bin/env bash
# podscaler replay from the command line: golden decisions, scores, every output
# format, the JSON keys on every shared trace, and every bad input.
#
# usage: test_replay_cli.sh PODSCALER TEST_DIR SHARED_DIR SOURCE_DIR
set -u
ps=${1:?podscaler binary}
here=${2:?tests/replay dir}
shared=${3:?shared dir}
src=${4:?source dir}
data=$here/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); }
bad() {
  n=$((n + 1))
  fails=$((fails + 1))
  echo "FAIL: $*" >&2
}

# expect_rc WANT NAME CMD...: runs CMD, stdout to $tmp/out, stderr to $tmp/err.
expect_rc() {
  local want=$1 name=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" = "$want" ]; then ok; else
    bad "$name: exit $rc, wanted $want; stderr: $(head -c 400 "$tmp/err")"
  fi
}

# expect_err SUBSTRING NAME: the last command's stderr contains SUBSTRING.
expect_err() {
  if grep -qF -- "$1" "$tmp/err"; then ok; else
    bad "$2: stderr lacks '$1': $(head -c 400 "$tmp/err")"
  fi
}

# ---- help and usage errors (exit 2, one line) ----
expect_rc 0 help "$ps" replay --help
for flag in --policy --format --decisions --initial-requests --quiet --skip-bad-rows --from --to -o --per-workload --model-fallback; do
  grep -qF -- "$flag" "$tmp/out" && ok || bad "help lacks $flag"
done
expect_rc 2 "no input" "$ps" replay
expect_err "missing INPUT" "no input"
expect_rc 2 "unknown flag" "$ps" replay "$data/golden-hpa.csv" --bogus
expect_err "unknown flag '--bogus'" "unknown flag"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "usage error is not one line"
expect_rc 2 "bad format" "$ps" replay "$data/golden-hpa.csv" --format xml
expect_err "--format 'xml'" "bad format"
expect_rc 2 "flag without value" "$ps" replay "$data/golden-hpa.csv" --format
expect_err "--format needs a value" "flag without value"
expect_rc 2 "unknown policy" "$ps" replay "$data/golden-hpa.csv" --policy nosuch
expect_err "unknown policy 'nosuch'" "unknown policy"
expect_rc 2 "policy twice" "$ps" replay "$data/golden-hpa.csv" --policy static --policy static
expect_err "given twice" "policy twice"
expect_rc 2 "bad rule" "$ps" replay "$data/golden-hpa.csv" --initial-requests p200
expect_err "--initial-requests" "bad rule"
expect_rc 2 "two inputs" "$ps" replay "$data/golden-hpa.csv" "$data/golden-vpa.csv"
expect_err "more than one INPUT" "two inputs"
expect_rc 2 "bad duration" "$ps" replay "$data/golden-hpa.csv" --from 5x
expect_err "--from '5x'" "bad duration"
expect_rc 2 "to before from" "$ps" replay "$data/golden-hpa.csv" --from 2h --to 1h
expect_err "--to is before --from" "to before from"
# The coordinated policy runs, and says who owns what in its decisions.
if "$ps" replay "$data/golden-hpa.csv" --policy coordinated -q --decisions "$tmp/coord.jsonl" \
    >/dev/null 2>"$tmp/err" && grep -q '"kind":"ownership"' "$tmp/coord.jsonl" &&
    grep -q '"owners":{"cpu":"horizontal","memory":"vertical"}' "$tmp/coord.jsonl"; then
  ok
else
  bad "coordinated replay: $(cat "$tmp/err")"
fi

# ---- bad inputs (exit 1, the file, line and field named) ----
expect_rc 1 "missing file" "$ps" replay "$tmp/nope.csv" -o "$tmp/never.txt"
expect_err "$tmp/nope.csv" "missing file"
[ ! -e "$tmp/never.txt" ] && ok || bad "a failed replay left its -o file"
printf 't_seconds,workload,pod,container,cpu_millicores,memory_bytes\n0,w,p,main,10,100\n60,w,p,main,abc,100\n120,w,p,main,10,100\n' >"$tmp/bad.csv"
expect_rc 1 "bad row" "$ps" replay "$tmp/bad.csv"
expect_err "bad.csv:3: cpu_millicores" "bad row"
expect_rc 0 "skip bad rows" "$ps" replay "$tmp/bad.csv" --skip-bad-rows --policy static
expect_err "1 bad rows skipped" "skip bad rows"
printf 'foo,bar\n1,2\n' >"$tmp/badhdr.csv"
expect_rc 1 "bad header" "$ps" replay "$tmp/badhdr.csv"
expect_err "badhdr.csv:1" "bad header"
: >"$tmp/empty.csv"
expect_rc 1 "empty file" "$ps" replay "$tmp/empty.csv"
expect_err "empty.csv" "empty file"
printf 't_seconds,workload,pod,container,cpu_millicores,memory_bytes\n' >"$tmp/hdr.csv"
expect_rc 1 "no samples" "$ps" replay "$tmp/hdr.csv"
expect_err "no samples" "no samples"
expect_rc 1 "range without samples" "$ps" replay "$data/golden-hpa.csv" --from 1d
expect_err "time range" "range without samples"
expect_rc 1 "recorded without requests" "$ps" replay "$data/golden-hpa.csv" --initial-requests recorded
expect_err "has no requests" "recorded without requests"
printf 'spec:\n  horizontal: {maxReplicas: 0}\n' >"$tmp/badpol.yaml"
expect_rc 1 "bad policy file" "$ps" replay "$data/golden-hpa.csv" --policy "$tmp/badpol.yaml"
expect_err "badpol.yaml: spec.horizontal.maxReplicas" "bad policy file"
printf 'spec:\n  horizontal: {maxReplicas: 3\n' >"$tmp/badyaml.yaml"
expect_rc 1 "bad policy yaml" "$ps" replay "$data/golden-hpa.csv" --policy "$tmp/badyaml.yaml"
expect_err "badyaml.yaml: YAML" "bad policy yaml"
expect_rc 1 "unwritable output" "$ps" replay "$data/golden-hpa.csv" --policy static -o "$tmp/no/such/dir/out"
expect_err "$tmp/no/such/dir/out" "unwritable output"
expect_rc 1 "unwritable decisions" "$ps" replay "$data/golden-hpa.csv" --policy static --decisions "$tmp/no/dir/d"
expect_err "$tmp/no/dir/d" "unwritable decisions"

# Output files appear whole or not at all, and never replace the input or what a
# path names that is not a regular file.
cp "$data/golden-hpa.csv" "$tmp/victim.csv"
for flag in -o --decisions; do
  expect_rc 1 "$flag is the input" "$ps" replay "$tmp/victim.csv" --policy static -q "$flag" "$tmp/victim.csv"
  expect_err "is the input itself" "$flag is the input"
  cmp -s "$tmp/victim.csv" "$data/golden-hpa.csv" && ok || bad "$flag: the input was changed"
done
echo "the report before" >"$tmp/report.txt"
echo "the decisions before" >"$tmp/dec-before.jsonl"
expect_rc 1 "failed run keeps old outputs" "$ps" replay "$tmp/bad.csv" -o "$tmp/report.txt" \
  --decisions "$tmp/dec-before.jsonl"
[ "$(cat "$tmp/report.txt")" = "the report before" ] && ok || bad "a failed run changed an existing -o file"
[ "$(cat "$tmp/dec-before.jsonl")" = "the decisions before" ] && ok || bad "a failed run changed an existing --decisions file"
mkfifo "$tmp/fifo"
cat "$tmp/fifo" >"$tmp/from-fifo" &
expect_rc 1 "failed run into a FIFO" "$ps" replay "$tmp/bad.csv" -o "$tmp/fifo"
wait
[ -p "$tmp/fifo" ] && ok || bad "a failed run removed the FIFO it was to write to"
ln -s report.txt "$tmp/link.txt"
expect_rc 0 "output through a symlink" "$ps" replay "$data/golden-hpa.csv" --policy static -q -o "$tmp/link.txt"
[ -L "$tmp/link.txt" ] && grep -q "^static" "$tmp/report.txt" && ok || bad "-o through a symlink: the link replaced, or its target not written"
# A container without a sample where its pod has one keeps its last sample (not
# 0: its whole request as slack); two samples of one container nearest one step
# keep the larger (a spike is not lost to the grid). Usage equals the request
# everywhere but in the spike, so slack is 0 and 1 of 5 pod-samples is over.
printf 't_seconds,workload,pod,container,cpu_millicores,memory_bytes\n0,w,p,main,100,104857600\n0,w,p,side,100,104857600\n60,w,p,main,100,104857600\n120,w,p,main,100,104857600\n120,w,p,side,100,104857600\n' >"$tmp/gap.csv"
printf 't_seconds,workload,pod,container,cpu_millicores,memory_bytes\n0,w,p,c,100,104857600\n60,w,p,c,100,104857600\n120,w,p,c,100,104857600\n180,w,p,c,500,104857600\n190,w,p,c,0,104857600\n240,w,p,c,100,104857600\n' >"$tmp/grid.csv"
for f in gap grid; do
  "$ps" replay "$tmp/$f.csv" --policy static --initial-requests cpu=100m,memory=100Mi -q \
    --format json -o "$tmp/$f.json" 2>"$tmp/err" || bad "$f: $(cat "$tmp/err")"
done
if python3 - "$tmp/gap.json" "$tmp/grid.json" <<'PY'
import json, sys
gap = json.load(open(sys.argv[1]))["policies"][0]["totals"]
grid = json.load(open(sys.argv[2]))["policies"][0]["totals"]
assert gap["cpu_slack"] == 0 and gap["mem_slack"] == 0, gap
assert abs(grid["cpu_under_fraction"] - 0.2) < 1e-9, grid
PY
then ok; else bad "gaps and collisions on the step grid"; fi
# Flags: --flag=VALUE as --flag VALUE; a valued flag given twice is a usage error,
# as are one file for both outputs and a key given twice in --model-fallback.
expect_rc 0 "--flag=value" "$ps" replay "$data/golden-hpa.csv" --policy=static --format=csv -q
grep -q '^policy,workload' "$tmp/out" && ok || bad "--format=csv did not give CSV"
expect_rc 2 "flag twice" "$ps" replay "$data/golden-hpa.csv" --format json --format csv
expect_err "--format is given twice" "flag twice"
expect_rc 2 "one file for both outputs" "$ps" replay "$data/golden-hpa.csv" -o "$tmp/both" \
  --decisions "$tmp/../$(basename "$tmp")/both"
expect_err "name the same file" "one file for both outputs"
expect_rc 2 "fallback key twice" "$ps" replay "$data/golden-hpa.csv" --model-fallback cpu=load,cpu=fixed
expect_err "cpu is given twice" "fallback key twice"
# -o through a link to a file not there yet creates that file, as a shell would.
ln -s made-by-link.txt "$tmp/dangling"
expect_rc 0 "-o through a dangling symlink" "$ps" replay "$data/golden-hpa.csv" --policy static -q -o "$tmp/dangling"
[ -L "$tmp/dangling" ] && [ -s "$tmp/made-by-link.txt" ] && ok || bad "-o through a dangling symlink: link replaced or target not created"
# The table pads a policy name by its characters, not its bytes.
accent="$tmp/caf$(printf '\303\251').yaml"
printf 'spec: {}\n' >"$accent"
if "$ps" replay "$data/golden-hpa.csv" --policy static --policy "$accent" -q >"$tmp/acc.txt" 2>"$tmp/err" &&
  python3 - "$tmp/acc.txt" <<'PY'
import sys
rows = [l for l in open(sys.argv[1], encoding="utf-8") if l.startswith(("static", "caf"))]
assert len(rows) == 2 and rows[0].index("%") == rows[1].index("%"), rows
PY
then ok; else bad "the columns after a non-ASCII policy name shift: $(cat "$tmp/err")"; fi
# A trace from a pipe is read whole: the database sniff reads only regular files.
if cat "$data/golden-hpa.csv" | "$ps" replay /dev/stdin --policy static -q --format csv \
    >"$tmp/pipe.csv" 2>"$tmp/err" &&
  "$ps" replay "$data/golden-hpa.csv" --policy static -q --format csv >"$tmp/file.csv" &&
  [ "$(grep -c . "$tmp/pipe.csv")" -gt 1 ] && diff -q <(tail -n +2 "$tmp/pipe.csv") <(tail -n +2 "$tmp/file.csv") >/dev/null; then
  ok
else
  bad "a trace from a pipe: $(cat "$tmp/err")"
fi
# A path that is not UTF-8 still names the input in JSON (as U+FFFD where it must).
latin=$(printf 'n\351.csv')
cp "$data/golden-hpa.csv" "$tmp/$latin"
if "$ps" replay "$tmp/$latin" --policy static -q --format json -o "$tmp/latin.json" 2>"$tmp/err" &&
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "\ufffd.csv" in d["input"]["source"], d["input"]' "$tmp/latin.json"; then
  ok
else
  bad "JSON of an input whose path is not UTF-8: $(cat "$tmp/err")"
fi
ls -A "$tmp" | grep -q '^\.' && bad "temporary output files left: $(ls -A "$tmp" | grep '^\.')" || ok

# Absurd but well-formed values (9e18 bytes and millicores, zeros) never crash or
# overflow, in any policy and format (the sanitizer build runs this too).
for fmt in table json csv html; do
  expect_rc 0 "absurd values $fmt" "$ps" replay "$data/absurd.csv" -q --format "$fmt" \
    --decisions "$tmp/absurd.jsonl" --initial-requests 'max*1000'
done

# ---- sparse inputs: memory by each workload's own steps, not by the input's span ----
# under_256m CMD...: runs CMD with 256 MB of address space (not under AddressSanitizer,
# whose shadow memory alone is terabytes of it).
under_256m() {
  if grep -q __asan_init "$ps" 2>/dev/null; then "$@"; else (ulimit -v 262144 && exec "$@"); fi
}
# 20 workloads sampled at 0 and 10 s, one more once at 9e8 s: 9e7 steps of 10 s. Step
# tables as long as the span for every workload were 7 GB; each workload's own are 2 steps.
{
  echo "t_seconds,workload,pod,container,cpu_millicores,memory_bytes"
  for w in $(seq 0 19); do
    echo "0,w$w,w$w-p0,main,100,1000000"
    echo "10,w$w,w$w-p0,main,120,1000000"
  done
  echo "900000000,far,far-p0,main,100,1000000"
} >"$tmp/sparse.csv"
for fmt in json html; do
  expect_rc 0 "sparse input $fmt" under_256m "$ps" replay "$tmp/sparse.csv" -q --format "$fmt" \
    --decisions "$tmp/sparse.jsonl" -o "$tmp/sparse.$fmt"
done
check_sparse() {
  python3 - "$tmp/sparse.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
i = d["input"]
assert (i["workloads"], i["samples"], i["steps"]) == (21, 41, 90000001), i
for p in d["policies"]:
    assert abs(p["totals"]["pod_hours"] - 41 * 10 / 3600) < 1e-9, p["totals"]
PY
}
check_sparse && ok || bad "sparse input: the JSON report"
grep -qs '<section class="workload"><h2>far</h2>' "$tmp/sparse.html" && ok || bad "sparse input: no chart of far"
# 30 workloads each sampled at 0, 10 s and 9e8 s: 2.7e9 workload-steps, more than replay
# takes (2^28): refused before any of it is allocated, the file, steps and workloads named.
{
  echo "t_seconds,workload,pod,container,cpu_millicores,memory_bytes"
  for w in $(seq 0 29); do
    for t in 0 10 900000000; do echo "$t,w$w,w$w-p0,main,100,1000000"; done
  done
} >"$tmp/wide.csv"
expect_rc 1 "too many workload-steps" under_256m "$ps" replay "$tmp/wide.csv" -q
expect_err "wide.csv: its 30 workloads span 2700000030 steps of 10s in all, more than the 268435456" "too many workload-steps"
expect_err "(the longest, w0: 90000001 steps, t=0s to t=900000000s)" "too many workload-steps"
expect_err "--from/--to" "too many workload-steps"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "too many workload-steps: the error is not one line"
expect_rc 0 "too many workload-steps, --to" under_256m "$ps" replay "$tmp/wide.csv" -q --to 1h
# A span of more than 1e8 steps is refused whatever the workloads.
printf 't_seconds,workload,pod,container,cpu_millicores,memory_bytes\n0,w,p,main,1,1\n10,w,p,main,1,1\n2500000000,x,q,main,1,1\n' >"$tmp/span.csv"
expect_rc 1 "span too long" under_256m "$ps" replay "$tmp/span.csv" -q
expect_err "span.csv: 250000001 steps of 10s: the span is too long for its step" "span too long"

# ---- golden decisions and scores ----
# golden <csv> <policy> <expected jsonl> <rule>
golden() {
  local csv=$1 pol=$2 want=$3 rule=$4
  # The expected figures were worked out by hand under the all-load model.
  if ! "$ps" replay "$csv" --policy static --policy "$pol" --initial-requests "$rule" \
      --model-fallback load --decisions "$tmp/dec.jsonl" --format json -o "$tmp/g.json" -q \
      2>"$tmp/err"; then
    if grep -qF "is not available in this build" "$tmp/err"; then
      echo "note: golden $pol skipped: $(cat "$tmp/err")" >&2
      return 1
    fi
    bad "golden $pol: $(cat "$tmp/err")"
    return 1
  fi
  if diff -u "$want" "$tmp/dec.jsonl" >"$tmp/diff"; then ok; else
    bad "golden $pol decisions differ: $(cat "$tmp/diff")"
  fi
  return 0
}
# check_json FILE PYTHON-ASSERTIONS: d is the document, t[name] a policy's totals.
check_json() {
  python3 - "$1" "$2" <<'EOF' >"$tmp/py" 2>&1
import json, math, sys
d = json.load(open(sys.argv[1]))
t = {p["name"]: p["totals"] for p in d["policies"]}
def near(a, b, eps=1e-9):
    assert abs(a - b) <= eps * max(1.0, abs(b)), (a, b)
exec(sys.argv[2])
EOF
  if [ $? = 0 ]; then ok; else bad "json check '$2': $(cat "$tmp/py")"; fi
}

if golden "$data/golden-hpa.csv" hpa "$data/golden-hpa.decisions.jsonl" cpu=100m,memory=64Mi; then
  check_json "$tmp/g.json" '
h = t["hpa"]; s = t["static"]
assert h["scale_events"] == 2 and h["vertical_changes"] == 0 and h["pod_restarts"] == 0
near(h["pod_hours"], 34 / 60)
near(h["cpu_slack"], 2020 / 3400)
near(h["cpu_under_fraction"], 0)
assert h["oom_events"] == 0
near(h["changes_per_day_p99"], 2)
near(h["cpu_core_hours_requested"], 34 * 0.1 / 60)
near(s["pod_hours"], 30 / 60)
near(s["cpu_slack"], (4 * 2 * 10 + 11 * 2 * 70) / 3000)
near(s["mem_slack"], 34 / 64)
assert s["scale_events"] == 0 and s["oom_events"] == 0
'
fi
# The model fallback: replicas never vary in golden-hpa.csv, so memory is all load
# with `load` (each of 3 pods holds 20 MiB, the last one 60 MiB) and all per pod
# with memory=fixed (30 MiB whatever the count); CPU, hence the decisions, unchanged.
# The default is floor, which the JSON model says.
"$ps" replay "$data/golden-hpa.csv" --policy static --format json -o "$tmp/fl.json" -q 2>"$tmp/err" ||
  bad "default fallback: $(cat "$tmp/err")"
check_json "$tmp/fl.json" '
assert d["model"]["fallback"] == {"cpu": "floor", "memory": "floor"}
c = d["model"]["workloads"][0]["containers"][0]
assert c["cpu_model"] == "floor" and c["memory_model"] == "floor"
'
if "$ps" replay "$data/golden-hpa.csv" --policy hpa --initial-requests cpu=100m,memory=64Mi \
    --model-fallback cpu=load,memory=fixed --decisions "$tmp/decf.jsonl" --format json \
    -o "$tmp/f.json" -q 2>"$tmp/err"; then
  diff -q "$data/golden-hpa.decisions.jsonl" "$tmp/decf.jsonl" >/dev/null && ok || bad "memory=fixed changed the decisions"
  check_json "$tmp/f.json" '
h = t["hpa"]
near(h["mem_slack"], 34 / 64)
assert d["model"]["fallback"] == {"cpu": "load", "memory": "fixed"}
c = d["model"]["workloads"][0]["containers"][0]
assert c["fitted"] is False and c["cpu_model"] == "load" and c["memory_model"] == "fixed"
'
  check_json "$tmp/g.json" '
near(t["hpa"]["mem_slack"], (2 * 34 + 9 * 3 * (64 - 20) + 5 * (64 - 60)) / (34 * 64))
' 2>/dev/null
else
  grep -qF "is not available in this build" "$tmp/err" || bad "model fallback: $(cat "$tmp/err")"
fi
expect_rc 2 "bad fallback" "$ps" replay "$data/golden-hpa.csv" --model-fallback cpu=half
expect_err "--model-fallback" "bad fallback"

# The fit's two guards. "perpod": memory stays 100 MiB per pod while the pods go
# from 1 to 4 (slope 0: per pod, not load), CPU is shared (load). "blip": one pod,
# 100 steps at 500 MiB after one start-up step at 5 MiB: the idle floor is the
# 1st percentile, 500 MiB, not the start-up step.
python3 - "$tmp/fit.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("t_seconds,workload,pod,container,cpu_millicores,memory_bytes\n")
    for j in range(4):
        for k in range(40):
            n = 1 + k // 10
            if j < n:
                f.write(f"{k*60},perpod,p{j},main,{400 // n},{100 << 20}\n")
    for k in range(101):
        f.write(f"{k*60},blip,b0,main,100,{(5 if k == 0 else 500) << 20}\n")
PY
if "$ps" replay "$tmp/fit.csv" --policy static --format json -o "$tmp/fit.json" -q 2>"$tmp/err"; then
  check_json "$tmp/fit.json" '
m = {w["name"]: w["containers"][0] for w in d["model"]["workloads"]}
assert m["perpod"]["memory_model"] == "fit: per pod", m["perpod"]
assert m["perpod"]["cpu_model"] == "fit", m["perpod"]
assert m["blip"]["memory_model"] == "floor", m["blip"]
assert abs(m["blip"]["memory_fixed_bytes"] - (500 << 20)) < 1, m["blip"]
'
else
  bad "fit guards: $(cat "$tmp/err")"
fi

if golden "$data/golden-vpa.csv" vpa "$data/golden-vpa.decisions.jsonl" cpu=2,memory=2Gi; then
  check_json "$tmp/g.json" '
v = t["vpa"]
assert v["vertical_changes"] == 2 and v["pod_restarts"] == 2 and v["scale_events"] == 0
near(v["pod_hours"], 577 * 300 / 3600)
near(v["changes_per_day_p99"], 2)
'
fi

if golden "$data/golden-oom.csv" vpa "$data/golden-oom.decisions.jsonl" cpu=100m,memory=300Mi; then
  check_json "$tmp/g.json" '
s = t["static"]; v = t["vpa"]
assert s["oom_events"] == 120 and s["mem_over_request_fraction"] == 1.0
near(s["oom_per_pod_day"], 120 / (2.0 / 24))
assert v["oom_events"] == 2 and v["vertical_changes"] == 1 and v["pod_restarts"] == 2
near(v["mem_over_request_fraction"], 2 / 120)
'
fi

# ---- formats on the bundled example ----
ex=$src/examples/demo/usage.csv
[ -f "$ex" ] || ex=$shared/traces/k8s-socialnetwork/usage.csv
expect_rc 0 "table" "$ps" replay "$ex" -q
for p in static hpa vpa hpa+vpa-naive; do
  if "$ps" replay "$ex" -q --policy "$p" >/dev/null 2>&1; then
    grep -qE "^$(printf '%s' "$p" | sed 's/+/\\+/g') " "$tmp/out" && ok || bad "table lacks row $p"
  fi
done
grep -qF "estimates under the closed-loop model" "$tmp/out" && ok || bad "table lacks the model caveat"
grep -qF "throttling or to being OOM-killed" "$tmp/out" && ok || bad "table lacks the reaction caveat"
expect_rc 0 "per-workload table" "$ps" replay "$ex" -q --policy static --per-workload
[ "$(grep -c '^workload ' "$tmp/out")" -ge 2 ] && ok || bad "per-workload table lacks workload blocks"
expect_rc 0 "csv" "$ps" replay "$ex" -q --format csv --policy static
head -1 "$tmp/out" | grep -qF "policy,workload,cpu_slack,mem_slack,cpu_under_fraction" && ok || bad "csv header"
rows=$(($(wc -l <"$tmp/out") - 1))
[ "$rows" -ge 2 ] && ok || bad "csv has $rows rows"
expect_rc 0 "html" "$ps" replay "$ex" -q --format html -o "$tmp/r.html"
grep -q "<svg" "$tmp/r.html" && ok || bad "html has no svg"
if grep -qiE '(src|href)=|url\(|<link|<script src' "$tmp/r.html"; then bad "html refers to external assets"; else ok; fi
expect_rc 0 "output file" "$ps" replay "$ex" -q --format json -o "$tmp/o.json"
[ ! -s "$tmp/out" ] && ok || bad "-o also wrote to stdout"

# ---- JSON keys on every shared trace ----
keys='["cpu_slack","mem_slack","cpu_under_fraction","mem_over_request_fraction","oom_events","oom_per_pod_day","scale_events","vertical_changes","pod_restarts","changes_per_day_p99","pod_hours","cpu_core_hours_requested","mem_gib_hours_requested"]'
for trace in "$shared"/traces/*/usage.csv; do
  name=$(basename "$(dirname "$trace")")
  if ! "$ps" replay "$trace" -q --format json -o "$tmp/$name.json" 2>"$tmp/err"; then
    bad "json on $name: $(cat "$tmp/err")"
    continue
  fi
  check_json "$tmp/$name.json" "
keys = $keys
assert set(d) == {'input', 'model', 'policies'}, list(d)
assert d['model']['estimate'] is True and 'caveat' in d['model'] and 'formula' in d['model']
assert len(d['policies']) >= 1
for p in d['policies']:
    assert set(p) == {'name', 'totals', 'workloads'}
    for k in keys:
        assert k in p['totals'], (p['name'], k)
    assert len(p['workloads']) == d['input']['workloads']
    for w in p['workloads']:
        for k in keys:
            assert k in w, (p['name'], w['name'], k)
        assert 0 <= w['cpu_slack'] <= 1 and 0 <= w['mem_over_request_fraction'] <= 1
"
done

# ---- policy files ----
for f in "$src"/examples/policies/*.yaml "$src"/examples/policies/*.json; do
  [ -f "$f" ] || continue
  if "$ps" replay "$data/golden-hpa.csv" -q --policy "$f" >/dev/null 2>"$tmp/err"; then ok
  elif grep -qF "is not available in this build" "$tmp/err"; then ok
  else bad "example policy $f: $(cat "$tmp/err")"; fi
done

# spec.vertical.podMinimum replaces the recommender's pod minimum (25m, 250Mi):
# a pod of 20 MiB gets 250Mi by default, and with no minimum the end of its
# histogram bucket (31.5 MB) plus the 15% margin.
python3 - "$tmp/tiny.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("t_seconds,workload,pod,container,cpu_millicores,memory_bytes\n")
    for k in range(60):
        f.write(f"{k*60},tiny,p0,main,10,{20 << 20}\n")
PY
cat >"$tmp/nomin.yaml" <<'EOF'
kind: PodScaler
metadata: {name: nomin}
spec:
  vertical: {updateMode: Recreate, minReplicas: 1, podMinimum: {cpu: 0, memory: 0}}
EOF
if "$ps" replay "$tmp/tiny.csv" -q --policy vpa --policy "$tmp/nomin.yaml" \
    --initial-requests cpu=100m,memory=64Mi --decisions "$tmp/nomin.jsonl" >/dev/null 2>"$tmp/err"; then
  python3 - "$tmp/nomin.jsonl" <<'PY' >"$tmp/py" 2>&1 && ok || bad "podMinimum: $(cat "$tmp/py")"
import json, sys
first = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    first.setdefault(d["policy"], d["after"]["main"])
assert first["vpa"] == {"cpu_request_milli": 25, "memory_request_bytes": 250 << 20}, first
assert first["nomin"] == {"cpu_request_milli": 23, "memory_request_bytes": 36253748}, first
PY
else
  bad "podMinimum replay: $(cat "$tmp/err")"
fi

echo "replay cli: $((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
