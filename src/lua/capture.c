/*
 * capture.c: synack.pcap(path) -> a capture object (:write, :flush, :close),
 * and synack.write_pcap(path, segments [, times]). The file format is
 * src/link/capture.c's; this file only moves values between Lua and it.
 */
#include <errno.h>
#include <string.h>

#include "capture.h"
#include "lsynack.h"

#define CAPTURE_MT "synack.pcap"

typedef struct lcap {
  synack_capture *c; /* NULL once closed */
  uint64_t last_us;  /* the time of the previous record */
} lcap;

/* errno values a file can fail with, named the way luv names them. */
static const struct {
  int code;
  const char *name;
} errno_names[] = {{ENOENT, "ENOENT"},   {EACCES, "EACCES"},
                   {EPERM, "EPERM"},     {EISDIR, "EISDIR"},
                   {ENOTDIR, "ENOTDIR"}, {EROFS, "EROFS"},
                   {ENOSPC, "ENOSPC"},   {EDQUOT, "EDQUOT"},
                   {EMFILE, "EMFILE"},   {ENAMETOOLONG, "ENAMETOOLONG"},
                   {EIO, "EIO"}};

/* nil, "ENAME: path: message", "ENAME" for a negative errno or synack code. */
static int push_file_error(lua_State *L, const char *path, int err) {
  const char *name = "EIO";
  size_t i;
  if (err <= SYNACK__ERR_BASE)
    return lsynack_pusherror(L, err);
  for (i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
    if (errno_names[i].code == -err)
      name = errno_names[i].name;
  lua_pushnil(L);
  lua_pushfstring(L, "%s: %s: %s", name, path, strerror(-err));
  lua_pushstring(L, name);
  return 3;
}

static lcap *check_open(lua_State *L) {
  lcap *u = (lcap *)luaL_checkudata(L, 1, CAPTURE_MT);
  if (u->c == NULL)
    luaL_error(L, "synack.pcap: capture is closed");
  return u;
}

/*
 * The packet bytes of the segment or string at idx; a segment is built into
 * a scratch userdata left on the stack. Raises when it is neither.
 */
static const uint8_t *packet_bytes(lua_State *L, int idx, size_t *len) {
  synack_segment *s = lsynack_tosegment(L, idx);
  uint8_t *p;
  int r;
  if (s == NULL) {
    if (lua_type(L, idx) != LUA_TSTRING)
      luaL_argerror(L, idx,
                    lua_pushfstring(L, "segment or string expected, got %s",
                                    luaL_typename(L, idx)));
    return (const uint8_t *)lua_tolstring(L, idx, len);
  }
  *len = synack_build_len(s);
  p = (uint8_t *)lua_newuserdata(L, *len ? *len : 1);
  r = synack_build(s, p, *len);
  if (r < 0)
    luaL_argerror(L, idx, synack_strerror(r));
  return p;
}

/* Seconds (a number >= 0) at idx to microseconds; `dflt` when absent. */
static uint64_t check_time(lua_State *L, int idx, uint64_t dflt) {
  lua_Number t;
  if (lua_isnoneornil(L, idx))
    return dflt;
  t = luaL_checknumber(L, idx);
  luaL_argcheck(L, t >= 0 && t < 1.8e13, idx, "time in seconds >= 0 expected");
  return (uint64_t)(t * 1e6 + 0.5);
}

/* cap:write(seg_or_bytes [, t_seconds]) -> cap | nil, err, code. The time
 * defaults to the previous record's (0 at first). */
static int cap_write(lua_State *L) {
  lcap *u = check_open(L);
  size_t len = 0;
  uint64_t t = check_time(L, 3, u->last_us);
  const uint8_t *p = packet_bytes(L, 2, &len);
  int r = synack_capture_write(u->c, p, len, t);
  if (r < 0)
    return push_file_error(L, "pcap", r);
  u->last_us = t;
  lua_settop(L, 1);
  return 1;
}

static int cap_flush(lua_State *L) {
  lcap *u = check_open(L);
  int r = synack_capture_flush(u->c);
  if (r < 0)
    return push_file_error(L, "pcap", r);
  lua_settop(L, 1);
  return 1;
}

/* cap:close() -> true; closing twice is harmless (and is what __gc does). */
static int cap_close(lua_State *L) {
  lcap *u = (lcap *)luaL_checkudata(L, 1, CAPTURE_MT);
  synack_capture_close(u->c);
  u->c = NULL;
  lua_pushboolean(L, 1);
  return 1;
}

static int cap_tostring(lua_State *L) {
  lcap *u = (lcap *)luaL_checkudata(L, 1, CAPTURE_MT);
  lua_pushfstring(L, "synack.pcap (%s)", u->c ? "open" : "closed");
  return 1;
}

/*
 * A file name argument: a string and nothing else. Lua would turn a number
 * into a name silently, and a script passing 1.5 by mistake should not get a
 * file called "1.5".
 */
const char *lsynack_checkpath(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_argerror(
        L, idx,
        lua_pushfstring(L, "string expected, got %s", luaL_typename(L, idx)));
  return lua_tostring(L, idx);
}

/* synack.pcap(path) -> capture | nil, err, code */
static int l_pcap(lua_State *L) {
  const char *path = lsynack_checkpath(L, 1);
  int err = 0;
  lcap *u = (lcap *)lua_newuserdata(L, sizeof *u);
  u->c = NULL;
  u->last_us = 0;
  luaL_setmetatable(L, CAPTURE_MT);
  u->c = synack_capture_open(path, &err);
  if (u->c == NULL)
    return push_file_error(L, path, err);
  return 1;
}

/* synack.write_pcap(path, {seg_or_bytes, ...} [, {t, ...}]) -> true | nil, err,
 * code */
static int l_write_pcap(lua_State *L) {
  const char *path = lsynack_checkpath(L, 1);
  int i, n, err = 0, r = 0;
  synack_capture *c;
  luaL_checktype(L, 2, LUA_TTABLE);
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  n = (int)lua_rawlen(L, 2);
  for (i = 1; i <= n; i++) { /* check every argument before touching the file */
    size_t len;
    lua_rawgeti(L, 2, i);
    packet_bytes(L, lua_gettop(L), &len);
    lua_settop(L, 3);
    if (!lua_isnil(L, 3)) { /* converting a time out of range is UB */
      lua_Number x;
      lua_rawgeti(L, 3, i);
      x = lua_tonumber(L, -1);
      if (!lua_isnil(L, -1) &&
          (lua_type(L, -1) != LUA_TNUMBER || !(x >= 0 && x < 1.8e13)))
        luaL_argerror(L, 3, "times must be seconds >= 0");
      lua_settop(L, 3);
    }
  }
  c = synack_capture_open(path, &err);
  if (c == NULL)
    return push_file_error(L, path, err);
  for (i = 1; i <= n && r == 0; i++) {
    size_t len;
    const uint8_t *p;
    uint64_t t = 0;
    if (!lua_isnil(L, 3)) {
      lua_rawgeti(L, 3, i);
      if (!lua_isnil(L, -1)) {
        lua_Number x = lua_tonumber(L, -1);
        t = x > 0 ? (uint64_t)(x * 1e6 + 0.5) : 0;
      }
    }
    lua_rawgeti(L, 2, i);
    p = packet_bytes(L, lua_gettop(L), &len);
    r = synack_capture_write(c, p, len, t);
    lua_settop(L, 3);
  }
  synack_capture_close(c);
  if (r < 0)
    return push_file_error(L, path, r);
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg cap_methods[] = {{"write", cap_write},
                                       {"flush", cap_flush},
                                       {"close", cap_close},
                                       {NULL, NULL}};

void lsynack_open_capture(lua_State *L) {
  luaL_newmetatable(L, CAPTURE_MT);
  lua_newtable(L);
  luaL_setfuncs(L, cap_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, cap_close);
  lua_setfield(L, -2, "__gc");
#if LUA_VERSION_NUM >= 504
  lua_pushcfunction(L, cap_close);
  lua_setfield(L, -2, "__close");
#endif
  lua_pushcfunction(L, cap_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, CAPTURE_MT);
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_pcap);
  lua_setfield(L, -2, "pcap");
  lua_pushcfunction(L, l_write_pcap);
  lua_setfield(L, -2, "write_pcap");
}
