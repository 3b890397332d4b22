rockspec_format = "3.0"
package = "synack"
version = "scm-1"
source = {
  url = "git+file:///dev/null", -- build from a checkout: `luarocks make synack-scm-1.rockspec`
}
description = {
  summary = "A userspace TCP endpoint whose every step a Lua script can see and steer",
  detailed = [[
synack holds a complete TCP endpoint (RFC 9293) written in C. A Lua script
opens connections, watches SYN, SYN/ACK and ACK go by, sends data, closes
with FIN or aborts with RST, and can stop, inspect, change, drop or inject any
segment, in deterministic virtual time or in real time on libuv.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, < 5.5",
}
external_dependencies = {
  LIBUV = { header = "uv.h", library = "uv" },
}
build = {
  type = "make",
  -- into the rock's directory (luarocks show --rock-dir synack): the docs,
  -- and the LuaCATS declarations for lua-language-server's workspace.library
  copy_directories = { "docs", "types" },
  build_target = "build",
  build_variables = {
    LUA = "$(LUA)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LIBUV_INCDIR = "$(LIBUV_INCDIR)",
    LIBUV_LIBDIR = "$(LIBUV_LIBDIR)",
    CFLAGS = "$(CFLAGS)",
  },
  install_variables = {
    LUA = "$(LUA)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LIBUV_INCDIR = "$(LIBUV_INCDIR)",
    LIBUV_LIBDIR = "$(LIBUV_LIBDIR)",
    PREFIX = "$(PREFIX)",
    LUA_LIBDIR = "$(LIBDIR)",
    LUA_SHAREDIR = "$(LUADIR)",
  },
}
