#!/bin/sh
# Run the C unit tests given as arguments, then the busted specs under $LUA,
# and print one closing line "N passed, N failed". Exit 1 on any failure.
# SPEC (default: spec) narrows the busted run; BUSTED_ARGS adds to it.
#
# SANITIZE (as given to make, e.g. address,undefined): the C tests are
# instrumented programs and keep ASan's leak check; the specs run in
# $LUA_SAN, an interpreter built with the same sanitizers (tools/lua-san.c),
# so that no sanitizer runtime is preloaded into the programs specs start.
# --valgrind (first argument): each C test, then one Lua transfer
# (tools/soak.lua, small), run under $VALGRIND instead of the busted specs.
here=$(cd "$(dirname "$0")/.." && pwd)
LUA=${LUA:-lua5.4}
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
vg=""
if [ "${1-}" = "--valgrind" ]; then
  shift
  vg=${VALGRIND:-valgrind --error-exitcode=99 --leak-check=full --quiet}
fi

spec_lua=$LUA
if [ -n "${SANITIZE-}" ]; then
  if [ -z "${LUA_SAN-}" ] || [ ! -x "$LUA_SAN" ]; then
    echo "run-tests: SANITIZE=$SANITIZE but no sanitized interpreter (LUA_SAN=${LUA_SAN-})"
    echo "$LUA (sanitize=$SANITIZE): 0 passed, 1 failed"
    exit 1
  fi
  spec_lua=$(cd "$(dirname "$LUA_SAN")" && pwd)/$(basename "$LUA_SAN")
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
fi

# Under ASan every inlined test function keeps its own stack frame with
# redzones; spec/c harnesses hold ~1 MB each, so give the C tests more stack.
[ -n "${SANITIZE-}" ] && ulimit -s 262144 2>/dev/null

for t in "$@"; do
  # shellcheck disable=SC2086
  $vg "$t" >"$out" 2>&1
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
if [ -n "$vg" ]; then
  # shellcheck disable=SC2086
  LUA=$LUA $vg --trace-children=yes bin/synack tools/soak.lua 40 1 >"$out" 2>&1
  rc=$?
  cat "$out"
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  echo "valgrind $LUA: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
fi
# shellcheck disable=SC2086
LUA=$spec_lua bin/synack "$(command -v busted)" --output=utfTerminal ${BUSTED_ARGS-} ${SPEC:-spec} >"$out" 2>&1
rc=$?
cat "$out"
# busted closes with "N successes / N failures / N errors / N pending : T seconds"
line=$(grep -E '[0-9]+ success(es)? / [0-9]+ failures? / [0-9]+ errors?' "$out" | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')
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

echo "$LUA${SANITIZE:+ (sanitize=$SANITIZE)}: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
