#!/usr/bin/env bash
# The podscaler command line contract: help lists every subcommand, every
# subcommand has --help, usage errors are one line and exit 2.
set -u
ps=${1:?usage: test_cli.sh PODSCALER}
fail=0
check() { # check DESC EXPECTED_STATUS CMD...
  local desc=$1 want=$2; shift 2
  "$@" >"$out" 2>"$err"; local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $desc: exit $got, want $want"; sed 's/^/  stdout: /' "$out"; sed 's/^/  stderr: /' "$err"; fail=1
    return 1
  fi
  return 0
}
out=$(mktemp); err=$(mktemp); trap 'rm -f "$out" "$err"' EXIT

check "--help" 0 "$ps" --help
for sub in controller report replay record version help; do
  grep -qE "^  $sub " "$out" || { echo "FAIL --help does not list $sub"; fail=1; }
done
check "help" 0 "$ps" help
check "no arguments" 2 "$ps"
check "unknown subcommand" 2 "$ps" frobnicate
[ "$(wc -l <"$err")" = 1 ] || { echo "FAIL unknown subcommand: error is not one line"; fail=1; }

for sub in controller report replay record version; do
  check "$sub --help" 0 "$ps" "$sub" --help && grep -q "Usage: podscaler $sub" "$out" ||
    { echo "FAIL $sub --help prints no usage"; fail=1; }
  check "help $sub" 0 "$ps" help "$sub"
  check "$sub with a wrong flag" 2 "$ps" "$sub" --no-such-flag
  [ "$(wc -l <"$err")" = 1 ] || { echo "FAIL $sub --no-such-flag: error is not one line:"; cat "$err"; fail=1; }
  grep -q "podscaler $sub" "$err" || { echo "FAIL $sub --no-such-flag: error does not name the subcommand"; fail=1; }
done
check "version" 0 "$ps" version
grep -q '^podscaler [0-9]' "$out" || { echo "FAIL version prints no version"; fail=1; }
check "help of unknown" 2 "$ps" help frobnicate
check "help help" 0 "$ps" help help
check "help of two" 2 "$ps" help replay record

[ $fail -eq 0 ] && echo "cli: ok"
exit $fail
