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

/*
 * Register a userdata class: metatable `mt` whose __index is `index` with a
 * new table of `methods` as its upvalue, and __gc, __close (unless NULL) and
 * __tostring.
 * Leaves the metatable and then the methods table on the stack (methods on
 * top), so the caller can add to the methods and store them.
 */
void lsynack_newclass(lua_State *L, const char *mt, const luaL_Reg *methods,
                      lua_CFunction index, lua_CFunction gc,
                      lua_CFunction close, lua_CFunction tostring);

/* The file name at idx: raises unless it is a string (numbers aren't names). */
const char *lsynack_checkpath(lua_State *L, int idx);

/*
 * Segments (segment.c). lsynack_pushsegment pushes a new synack.segment
 * userdata holding a copy of *seg, payload included (seg->payload may point
 * anywhere; it is not kept). lsynack_checksegment returns the struct inside
 * the userdata at idx (raising a Lua error when it is not a segment); its
 * payload is owned by the userdata and stays valid while the userdata is
 * alive and its payload field is not reassigned from Lua.
 */
void lsynack_pushsegment(lua_State *L, const synack_segment *seg);
synack_segment *lsynack_checksegment(lua_State *L, int idx);
/* The same, or NULL (no error) when the value at idx is not a segment. */
synack_segment *lsynack_tosegment(lua_State *L, int idx);

/* Register each userdata type's metatable and functions into the table at -1.
 */
void lsynack_open_segment(lua_State *L);
void lsynack_open_capture(lua_State *L);
void lsynack_open_net(lua_State *L);
/* synack.ksock: the kernel's sockets, for synack.pkt's kernel target. */
void lsynack_open_ksock(lua_State *L);

#endif
