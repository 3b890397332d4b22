#!/bin/sh
# The layers of DESIGN.md: only src/lua may include Lua's headers; only
# src/uv and src/link may include libuv's; src/core includes neither.
# /usr/include holds uv.h, so the include paths alone cannot catch a slip there.
cd "$(dirname "$0")/.." || exit 1
bad=0
lua_re='#[[:space:]]*include[[:space:]]*[<"](lua|lauxlib|lualib|luajit|compat-5\.3)\.h'
uv_re='#[[:space:]]*include[[:space:]]*[<"]uv\.h'
for f in src/core/*.[ch]; do
  [ -e "$f" ] || continue
  if grep -Eq "$lua_re|$uv_re" "$f"; then echo "layers: $f (src/core) includes Lua or libuv" >&2; bad=1; fi
done
for f in src/link/*.[ch] src/uv/*.[ch]; do
  [ -e "$f" ] || continue
  if grep -Eq "$lua_re" "$f"; then echo "layers: $f includes Lua" >&2; bad=1; fi
done
exit $bad
