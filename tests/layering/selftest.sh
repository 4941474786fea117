#!/usr/bin/env bash
# Plants violations in a scratch copy of the pure sources and checks that both
# the layering script and the compiler's poison headers reject each of them.
set -u
src=${1:?usage: selftest.sh SOURCE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

copy_tree() {
  rm -rf "$tmp/t" && mkdir -p "$tmp/t"
  cp -r "$src/include" "$src/hpa" "$src/vpa" "$src/common" "$src/cmake" "$tmp/t/"
  mkdir -p "$tmp/t/engine" && cp -r "$src/engine/coord" "$tmp/t/engine/" 2>/dev/null || mkdir -p "$tmp/t/engine/coord"
}

for bad in '#include <curl/curl.h>' '#include <jansson.h>' '#include <uv.h>' '#include <sqlite3.h>' \
           '#include <yaml.h>' '#include <time.h>' 'static long f(void) { return time(0); }'; do
  copy_tree
  printf '%s\n' "$bad" >"$tmp/t/hpa/planted.c"
  if "$here/check_layering.sh" "$tmp/t" >/dev/null 2>&1; then
    echo "selftest: layering check missed: $bad"
    fail=1
  fi
done

# The compiler must refuse the same includes through the poison headers.
for h in curl/curl.h jansson.h uv.h sqlite3.h yaml.h; do
  printf '#include <%s>\n' "$h" >"$tmp/p.c"
  if ${CC:-cc} -fsyntax-only -I "$src/cmake/poison" -I "$src/include" "$tmp/p.c" >/dev/null 2>&1; then
    echo "selftest: poison header did not stop <$h>"
    fail=1
  fi
done
[ $fail -eq 0 ] && echo "selftest: every planted violation was caught"
exit $fail
