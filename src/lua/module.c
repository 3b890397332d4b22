/*
 * module.c: luaopen_synack_core, the C half of `require "synack"`.
 * lua/synack.lua loads this and adds the Lua-side API on top.
 */
#include "lsynack.h"

#if LUA_VERSION_NUM < 503
#include "compat-5.3.c"
#endif

int lsynack_pusherror(lua_State *L, int err) {
  lua_pushnil(L);
  lua_pushfstring(L, "%s: %s", synack_err_name(err), synack_strerror(err));
  lua_pushstring(L, synack_err_name(err));
  return 3;
}

/* synack.core.strerror(code_name_or_number) -> message; for scripts and tests.
 */
static int core_errors(lua_State *L) {
  int code;
  lua_newtable(L);
  for (code = SYNACK__ERR_BASE + 1; code < SYNACK__ERR_END; code++) {
    lua_pushstring(L, synack_strerror(code));
    lua_setfield(L, -2, synack_err_name(code));
  }
  return 1;
}

void lsynack_newclass(lua_State *L, const char *mt, const luaL_Reg *methods,
                      lua_CFunction index, lua_CFunction gc,
                      lua_CFunction close, lua_CFunction tostring) {
  luaL_newmetatable(L, mt);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, index, 1);
  lua_setfield(L, -3, "__index");
  lua_pushcfunction(L, gc);
  lua_setfield(L, -3, "__gc");
  if (close) {
    lua_pushcfunction(L, close);
    lua_setfield(L, -3, "__close");
  }
  lua_pushcfunction(L, tostring);
  lua_setfield(L, -3, "__tostring");
}

int luaopen_synack_core(lua_State *L);
int luaopen_synack_core(lua_State *L) {
  lua_newtable(L);
  core_errors(L);
  lua_setfield(L, -2, "errors");
  lsynack_open_segment(L);
  lsynack_open_capture(L);
  lsynack_open_net(L);
  lsynack_open_ksock(L);
  return 1;
}
