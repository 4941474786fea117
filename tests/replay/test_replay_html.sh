#!/usr/bin/env bash
# The HTML report in headless Chromium: it must load without console errors and
# show its charts (three per workload). The checker itself is first shown a page
# with a console error, so that a checker that sees nothing fails.
#
# usage: test_replay_html.sh PODSCALER TEST_DIR SHARED_DIR
# Exit 77 (skipped) only when Chromium is missing and cannot be installed.
set -u
ps=${1:?podscaler binary}
here=${2:?tests/replay dir}
shared=${3:?shared dir}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  # The Debian package, as scripts/bootstrap installs it for the test suite.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >"$tmp/apt.log" 2>&1 || true
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >"$tmp/apt.log" 2>&1 || true
  fi
  chrome=$(command -v chromium || true)
fi
if [ -z "$chrome" ]; then
  echo "SKIP: chromium is not installed and could not be installed (apt-get install chromium)" >&2
  exit 77
fi

# render FILE: the DOM after load to $tmp/dom, Chromium's log to $tmp/log.
render() {
  local profile
  profile=$(mktemp -d)
  timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --dump-dom "file://$1" >"$tmp/dom" 2>"$tmp/log"
  local rc=$?
  rm -rf "$profile"
  return $rc
}

# Console messages are logged as "...:CONSOLE:<line>] "<text>", source: ...".
console_errors() {
  grep -E ':CONSOLE[:(]|Uncaught|Failed to load resource|ERR_FILE_NOT_FOUND|net::ERR' "$tmp/log"
}

fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

# The checker must see an error when there is one.
printf '<!DOCTYPE html><html><body><script>console.error("boom"); nosuchfn();</script></body></html>\n' >"$tmp/bad.html"
render "$tmp/bad.html" || fail "chromium failed on the self-test page: $(tail -5 "$tmp/log")"
console_errors >/dev/null || fail "the checker does not see console errors: $(tail -5 "$tmp/log")"

trace=$here/data/golden-hpa.csv
[ -f "$shared/traces/k8s-socialnetwork/usage.csv" ] && trace=$shared/traces/k8s-socialnetwork/usage.csv
if ! "$ps" replay "$trace" -q --format html -o "$tmp/report.html" 2>"$tmp/err"; then
  fail "podscaler replay --format html: $(cat "$tmp/err")"
  exit 1
fi
workloads=$("$ps" replay "$trace" -q --policy static --format json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["input"]["workloads"])')
render "$tmp/report.html" || fail "chromium failed on the report: $(tail -5 "$tmp/log")"
if errs=$(console_errors); then fail "console errors on the report: $errs"; fi
[ -s "$tmp/dom" ] || fail "empty DOM"
for kind in cpu memory replicas; do
  got=$(grep -o "class=\"chart chart-$kind\"" "$tmp/dom" | wc -l)
  [ "$got" = "$workloads" ] || fail "$got $kind charts in the DOM, wanted $workloads"
done
lines=$(grep -o '<polyline' "$tmp/dom" | wc -l)
[ "$lines" -ge $((workloads * 3)) ] || fail "only $lines chart lines in the DOM"
grep -q 'id="totals"' "$tmp/dom" || fail "no totals table in the DOM"
grep -q 'id="caveat"' "$tmp/dom" || fail "no model caveat in the DOM"
# Self-contained: nothing fetched from anywhere.
if grep -qiE '(src|href)=|url\(|<link' "$tmp/report.html"; then fail "the report refers to external assets"; fi

if [ "$fails" = 0 ]; then
  echo "replay html: chromium rendered $workloads workloads' charts, no console errors"
fi
[ "$fails" = 0 ]
