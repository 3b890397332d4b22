#!/bin/sh
# Run the C unit tests given as arguments, then the busted specs under $LUA,
# and print one closing line "N passed, N failed". Exit 1 on any failure.
# SPEC (default: spec) narrows the busted run; BUSTED_ARGS adds to it.
here=$(cd "$(dirname "$0")/.." && pwd)
LUA=${LUA:-lua5.4}
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for t in "$@"; do
  "$t" >"$out" 2>&1
  rc=$?
  cat "$out"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
  if [ -z "$line" ]; then
    echo "ctest: $t printed no summary (exit $rc)"
    failed=$((failed + 1))
    continue
  fi
  p=${line%% passed*}
  f=${line#*passed, }
  f=${f%% failed*}
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
done

cd "$here" || exit 1
# shellcheck disable=SC2086
LUA=$LUA bin/synack "$(command -v busted)" --output=utfTerminal ${BUSTED_ARGS-} ${SPEC:-spec} >"$out" 2>&1
rc=$?
cat "$out"
# busted closes with "N successes / N failures / N errors / N pending : T seconds"
line=$(grep -E '[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors?' "$out" | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')
if [ -n "$line" ]; then
  s=$(echo "$line" | grep -oE '[0-9]+ success' | grep -oE '[0-9]+')
  fl=$(echo "$line" | grep -oE '[0-9]+ failure' | grep -oE '[0-9]+')
  er=$(echo "$line" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+')
  passed=$((passed + s))
  failed=$((failed + fl + er))
  [ "$rc" -ne 0 ] && [ "$fl" -eq 0 ] && [ "$er" -eq 0 ] && failed=$((failed + 1))
else
  echo "busted: no summary (exit $rc)"
  failed=$((failed + 1))
fi

echo "$LUA: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
