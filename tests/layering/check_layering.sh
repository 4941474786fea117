#!/usr/bin/env bash
# Layering check (DESIGN.md section 4): the pure cores neither include nor link
# libcurl, libuv, SQLite, jansson or libyaml, read no clock, and do no I/O.
#
# usage: check_layering.sh SOURCE_DIR [STATIC_LIB...]
#   Sources: every .c/.h under hpa/, vpa/, engine/coord/, the pure part of common
#   and the public headers they include are searched for forbidden includes and calls.
#   Libraries: the undefined symbols of each pure static library are searched for
#   the same libraries' symbols and for clock, environment and I/O calls.
set -u
src=${1:?usage: check_layering.sh SOURCE_DIR [STATIC_LIB...]}
shift
fail=0

pure_sources() {
  find "$src/hpa" "$src/vpa" "$src/engine/coord" -name '*.[ch]' 2>/dev/null
  # The pure part of common, as listed in common/CMakeLists.txt's ps_common_pure.
  sed -n '/add_library(ps_common_pure/,/)/p' "$src/common/CMakeLists.txt" |
    grep -oE '[A-Za-z0-9_/]+\.c' | sed "s|^|$src/common/|"
}

# Public headers reached from the pure sources, so a header cannot smuggle an include in.
headers_of() {
  grep -hoE '#[[:space:]]*include[[:space:]]*"podscaler/[^"]+"' "$@" 2>/dev/null |
    sed -E 's/.*"(podscaler\/[^"]+)"/\1/' | sort -u | sed "s|^|$src/include/|"
}

files=$(pure_sources)
hdrs=$(headers_of $files)
# Follow header-to-header includes to a fixed point.
while :; do
  more=$(headers_of $hdrs | sort -u)
  all=$(printf '%s\n%s\n' "$hdrs" "$more" | sort -u | grep -v '^$')
  [ "$all" = "$hdrs" ] && break
  hdrs=$all
done
files="$files $hdrs"

forbidden_include='#[[:space:]]*include[[:space:]]*[<"](curl/|uv\.h|uv/|sqlite3\.h|jansson\.h|jansson_|yaml\.h|microhttpd\.h|time\.h|sys/time\.h|stdio\.h|unistd\.h|fcntl\.h|sys/socket\.h|pthread\.h)'
forbidden_call='(^|[^A-Za-z0-9_.>])(time|clock_gettime|gettimeofday|clock|getenv|fopen|fread|fwrite|printf|fprintf|puts|open|read|write|socket|rand|srand|ps_clock_now_ms|ps_clock_mono_ms|ps_log)[[:space:]]*\('

for f in $files; do
  [ -f "$f" ] || { echo "layering: listed pure source missing: $f"; fail=1; continue; }
  if hits=$(grep -nE "$forbidden_include" "$f"); then
    while IFS= read -r h; do echo "layering: forbidden include in pure core: $f:$h"; done <<<"$hits"
    fail=1
  fi
  # Comments and strings may mention these names: strip them (block comments across
  # lines too, keeping the line count) before matching calls.
  if hits=$(perl -0777 -pe 's{/\*(.*?)\*/}{"\n" x ($1 =~ tr/\n//)}gse; s{//[^\n]*}{}g; s{"(?:\\.|[^"\\\n])*"}{""}g' "$f" | grep -nE "$forbidden_call"); then
    while IFS= read -r h; do echo "layering: clock, environment or I/O call in pure core: $f:$h"; done <<<"$hits"
    fail=1
  fi
done

forbidden_symbol='^(curl_|Curl_|uv_|sqlite3_|json_|jansson_|yaml_|MHD_|time$|clock_gettime|gettimeofday|clock$|getenv|secure_getenv|fopen|fread|fwrite|printf|fprintf|vfprintf|puts|open$|open64|read$|write$|socket|rand$|srand|ps_clock_|ps_log)'
for lib in "$@"; do
  [ -f "$lib" ] || { echo "layering: library not found: $lib"; fail=1; continue; }
  hits=$(nm -u "$lib" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' | grep -E "$forbidden_symbol" | sort -u)
  if [ -n "$hits" ]; then
    while IFS= read -r h; do echo "layering: pure library $(basename "$lib") needs forbidden symbol $h"; done <<<"$hits"
    fail=1
  fi
done

if [ $fail -eq 0 ]; then
  echo "layering: ok ($(echo $files | wc -w) pure sources and headers, $# libraries)"
fi
exit $fail
