#!/bin/sh
# make check: the spec suite on every Lua found on this machine, the C code
# warning-free under gcc and clang (-Werror), luacheck, and the layer rule.
# Prints one "<what>: N passed, N failed" line per part; exits 1 on any failure.
cd "$(dirname "$0")/.." || exit 1
status=0
make_q() { make --no-print-directory "$@"; }

# The C unit tests do not depend on the Lua version: they run once, with lua5.4.
for lua in lua5.4 lua5.1 lua5.2 lua5.3 luajit; do
  command -v "$lua" >/dev/null 2>&1 || { echo "check: $lua not found, not run"; continue; }
  if [ "$lua" = lua5.4 ]; then
    make_q LUA="$lua" _test || status=1
  else
    make_q LUA="$lua" CTEST_BIN= _test || status=1
  fi
done

for cc in gcc clang; do
  command -v "$cc" >/dev/null 2>&1 || { echo "check: $cc not found, not run"; continue; }
  if make_q BUILD="build/werror-$cc" CC="$cc" CFLAGS=-Werror build >"build/werror-$cc.log" 2>&1; then
    echo "$cc -Wall -Wextra -Werror: 1 passed, 0 failed"
  else
    cat "build/werror-$cc.log"
    echo "$cc -Wall -Wextra -Werror: 0 passed, 1 failed"
    status=1
  fi
done

# The C code as .clang-format lays it out (`make format` rewrites it so).
if command -v clang-format >/dev/null 2>&1; then
  if clang-format --dry-run -Werror src/*/*.c src/*/*.h spec/c/*.c spec/c/*.h fuzz/*.c bench/*.c; then
    echo "clang-format: 1 passed, 0 failed"
  else
    echo "clang-format: 0 passed, 1 failed (run make format)"
    status=1
  fi
else
  echo "clang-format: 0 passed, 1 failed (clang-format not installed)"
  status=1
fi

if command -v luacheck >/dev/null 2>&1; then
  if luacheck -q lua spec bin examples bench tools types; then
    echo "luacheck: 1 passed, 0 failed"
  else
    echo "luacheck: 0 passed, 1 failed"
    status=1
  fi
else
  echo "luacheck: 0 passed, 1 failed (luacheck not installed)"
  status=1
fi
exit $status
