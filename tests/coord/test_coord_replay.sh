#!/usr/bin/env bash
# The coordinator in replay, end to end:
# 1. on every trace of ../shared/traces, the decisions of `coordinated` never
#    change the request of a resource the horizontal scaler owned at that time,
#    and never make more changes counted against the daily cap in 24 hours than
#    it allows (checked from --decisions alone); planted violations are caught;
# 2. with no horizontal scaler, a coordinated policy's vertical decisions are
#    exactly the upstream VPA's on recorded histories.
set -u
ps=${1:?podscaler binary}
shared=${2:?shared dir}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

check() { # NAME CSV [replay args...]
  local name=$1 csv=$2; shift 2
  if ! "$ps" replay "$csv" --policy coordinated -q --decisions "$tmp/$name.jsonl" "$@" >/dev/null 2>"$tmp/err"; then
    echo "FAIL $name: replay failed: $(cat "$tmp/err")"; fail=1; return
  fi
  if out=$(python3 "$here/check_decisions.py" "$tmp/$name.jsonl" coordinated); then
    echo "ok $name: $out"
  else
    echo "FAIL $name: $out"; fail=1
  fi
}
# The checker must be able to fail: each planted file must make it fail.
expect_caught() { # WHAT FILE [CAP]
  if python3 "$here/check_decisions.py" "$2" coordinated ${3:+"$3"} >/dev/null; then
    echo "FAIL the checker missed $1"; fail=1
  else
    echo "ok the checker catches $1"
  fi
}
for csv in "$shared"/traces/*/usage.csv; do
  check "$(basename "$(dirname "$csv")")" "$csv"
done
# From requests a user would set, above the peak: the HPA idles at minReplicas
# and both resources are released to the vertical scaler and taken back.
check bitbrains-user-requests "$shared/traces/bitbrains-rnd/usage.csv" \
  --initial-requests cpu=max*1.2,memory=max*1.2
for r in cpu memory; do
  n=$(grep -c "\"reason\":\"$r released to the vertical" "$tmp/bitbrains-user-requests.jsonl")
  if [ "$n" -gt 0 ]; then echo "ok bitbrains-user-requests: $n releases of $r"
  else echo "FAIL bitbrains-user-requests: no release of $r"; fail=1; fi
done

# The checker must be able to fail: plant a cpu change under horizontal cpu.
first=$(ls "$tmp"/*.jsonl | grep -v user-requests | head -n 1)
python3 - "$first" "$tmp/planted.jsonl" <<'PY'
import json, sys
out = open(sys.argv[2], "w")
done = False
for line in open(sys.argv[1]):
    d = json.loads(line)
    if not done and d["kind"] == "resources" and d["owners"]["cpu"] == "horizontal":
        c = next(iter(d["after"]))
        d["after"][c]["cpu_request_milli"] += 1
        done = True
    out.write(json.dumps(d) + "\n")
assert done, "no resources decision with a horizontal cpu owner to plant in"
PY
expect_caught "a planted violation" "$tmp/planted.jsonl"

# ... and a day with one change more than the cap allows.
python3 - "$first" "$tmp/planted-cap.jsonl" <<'PY'
import json, sys
out = open(sys.argv[2], "w")
done = False
for line in open(sys.argv[1]):
    d = json.loads(line)
    out.write(line)
    if not done and d["kind"] == "resources" and d.get("daily_cap") == "counted":
        for _ in range(4):
            out.write(line)
        done = True
assert done, "no counted resources decision to plant copies of"
PY
expect_caught "a planted fifth change in a day" "$tmp/planted-cap.jsonl" 4

# ... and a raise for a scale-out under the 10% that makes it one.
python3 - "$tmp/bitbrains-rnd.jsonl" "$tmp/planted-raise.jsonl" <<'PY'
import json, sys
out = open(sys.argv[2], "w")
done = False
for line in open(sys.argv[1]):
    d = json.loads(line)
    if not done and "the HPA scales out from" in d.get("reason", ""):
        for c, b in d["before"].items():
            key = "memory_request_bytes"
            if not done and b.get(key) is not None and b[key] != d["after"][c].get(key):
                d["after"][c][key] = b[key] + 1
                done = True
    out.write(json.dumps(d) + "\n")
assert done, "no scale-out raise of memory to plant in"
PY
expect_caught "a planted scale-out raise under 10%" "$tmp/planted-raise.jsonl"

# Rule 5 for the handover where it restarts pods (Recreate): but for memory taken
# back after an outrun, no handover restarts pods within the disruption window
# (300 s) after a scale event, or leaves fewer than minReplicas (1) running.
sed 's/InPlaceOrRecreate/Recreate/; s/name: coordinated-auto/name: coord-recreate/' \
  "$here/../../examples/policies/coordinated-auto.yaml" >"$tmp/coord-recreate.yaml"
if ! "$ps" replay "$shared/traces/bitbrains-rnd/usage.csv" -q --policy "$tmp/coord-recreate.yaml" \
    --decisions "$tmp/recreate.jsonl" >/dev/null 2>"$tmp/err"; then
  echo "FAIL recreate: replay failed: $(cat "$tmp/err")"; fail=1
elif out=$(python3 - "$tmp/recreate.jsonl" <<'PY'
import json, sys
last_scale, last_own, bad, gated, outrun = {}, {}, [], 0, 0
for n, line in enumerate(open(sys.argv[1]), 1):
    d = json.loads(line)
    w = d["workload"]
    if d["kind"] == "ownership":
        last_own[w] = (d["time"], d["reason"])
    elif d["kind"] == "scale":
        last_scale[w] = d["time"]
    elif d["kind"] == "resources" and d["reason"].startswith("handover"):
        t, why = last_own.get(w, (None, ""))
        if t == d["time"] and "memory taken back" in why and "pass the memory request" in why:
            outrun += 1
            continue
        gated += 1
        if d["pods_restarted"] > 0 and w in last_scale and d["time"] - last_scale[w] < 300:
            bad.append(f"{n}: restarting handover {d['time'] - last_scale[w]} s after a scale")
        if d["pods_restarted"] > 0 and d["pods_restarted"] - 1 < 1:
            bad.append(f"{n}: restarting handover of the only pod")
if bad or gated == 0:
    print("; ".join(bad[:5]) or "no gated handover to check")
    sys.exit(1)
print(f"{gated} restarting handovers within rule 5, {outrun} outrun take-backs exempt")
PY
); then
  echo "ok recreate: $out"
else
  echo "FAIL recreate: $out"; fail=1
fi

# No horizontal scaler: the coordinated policy's vertical part is upstream's VPA.
cat >"$tmp/vertical-only.yaml" <<'YAML'
apiVersion: podscaler.io/v1alpha1
kind: PodScaler
metadata: {name: vertical-only}
spec:
  vertical: {updateMode: Recreate, minReplicas: 1}
  coordination: {bottleneck: Auto}
YAML
strip() { # the vertical decisions of one policy, without the policy's name and owners
  python3 - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["policy"] != sys.argv[2] or d["kind"] != "resources":
        continue
    d.pop("policy"); d.pop("owners", None)
    print(json.dumps(d, sort_keys=True))
PY
}
for csv in "$here/../../examples/demo/usage.csv" "$shared/traces/k8s-socialnetwork/usage.csv"; do
  name=$(basename "$(dirname "$csv")")
  if ! "$ps" replay "$csv" --policy vpa --policy "$tmp/vertical-only.yaml" -q \
      --decisions "$tmp/v.jsonl" >/dev/null 2>"$tmp/err"; then
    echo "FAIL $name vertical-only: $(cat "$tmp/err")"; fail=1; continue
  fi
  strip "$tmp/v.jsonl" vpa >"$tmp/a"
  strip "$tmp/v.jsonl" vertical-only >"$tmp/b"
  if [ ! -s "$tmp/a" ]; then
    echo "FAIL $name: the vpa policy made no decision: nothing compared"; fail=1
  elif cmp -s "$tmp/a" "$tmp/b"; then
    echo "ok $name: $(wc -l <"$tmp/a") vertical decisions identical to the upstream VPA's"
  else
    echo "FAIL $name: coordinated without a horizontal scaler differs from the VPA:"
    diff "$tmp/a" "$tmp/b" | head -n 6; fail=1
  fi
done
exit $fail
