/*
 * lsynack.h: what the binding's files share. Each userdata type has its own
 * file (luv's layout) and an lsynack_open_* function that module.c calls.
 * Compatibility across Lua 5.1-5.4 and LuaJIT comes from lua-compat53.
 */
#ifndef LSYNACK_H
#define LSYNACK_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#if LUA_VERSION_NUM < 503
#define COMPAT53_PREFIX lsynack_compat53
#include "compat-5.3.h"
#endif

#include "err.h"
#include "segment.h"

/* Push `nil, "ENAME: message", "ENAME"` and return 3 (luv's error shape). */
int lsynack_pusherror(lua_State *L, int err);

/* Register each userdata type's metatable and functions into the table at -1. */
void lsynack_open_segment(lua_State *L);
void lsynack_open_capture(lua_State *L);
void lsynack_open_net(lua_State *L);

#endif
