#!/bin/sh
# bench/profile.sh: where the time goes on the bulk and churn paths. Uses
# perf when the machine counts instructions (`perf stat -e instructions true`
# works), else valgrind's callgrind (instruction counts: exact, and blind to
# the load of the moment). Writes $SYNACK_BUILD/bench/profile-*.txt and prints the
# top of each. Sizes are small: callgrind runs some 50 times slower.
#
#   SYNACK_BUILD=build/lua5.4 bench/profile.sh
set -eu
cd "$(dirname "$0")/.."
BUILD=${SYNACK_BUILD:-build/$(basename "${LUA:-lua5.4}")}
out=$BUILD/bench
mkdir -p "$out"
LUA=${LUA:-lua5.4}
# What bin/synack sets, so that the profiler sees Lua itself and not a shell.
export LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$BUILD/?.so;;"

if perf stat -e instructions true 2>&1 | grep -q '[0-9][0-9,]* *instructions'; then
  tool=perf
else
  tool=callgrind
fi

profile() { # name, then the Lua arguments
  name=$1
  shift
  if [ "$tool" = perf ]; then
    perf record -q -g -o "$out/perf-$name.data" "$LUA" "$@" >/dev/null
    perf report -i "$out/perf-$name.data" --no-children --stdio --sort dso,sym 2>/dev/null |
      grep '%' | head -n 40 >"$out/profile-$name.txt"
  else
    valgrind -q --tool=callgrind --callgrind-out-file="$out/callgrind-$name.out" \
      "$LUA" "$@" >/dev/null
    callgrind_annotate --inclusive=no "$out/callgrind-$name.out" 2>/dev/null |
      grep -E '^ *[0-9,]+ \(' | grep -v '<counts for' |
      sed -e 's/ \[[^]]*\]$//' -e 's|  [^ ]*/\([^/: ]*\):\([^ ]*\)$|  \2 (\1)|' |
      head -n 40 >"$out/profile-$name.txt"
  fi
  echo "== $name ($tool): $LUA $*"
  head -n 15 "$out/profile-$name.txt"
}

profile bulk65535 bench/bulk.lua 65535 32
profile bulk1500 bench/bulk.lua 1500 8
profile churn bench/churn.lua 2000
profile hook bench/hook.lua 4
