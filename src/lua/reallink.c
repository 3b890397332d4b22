/*
 * reallink.c: the userdata of the real links, net:udp{...} and net:tun{...}
 * (lrealtime.h). Both hold an lsynack_wire ({ln, link}) so that net:host{link
 * = ...} takes them like a wire; the network owns the link itself. Their one
 * method, capture, is the wire's (wire.c).
 */
#include <string.h>

#include "lrealtime.h"
#include "tun.h"
#include "udp.h"

lsynack_wire *lsynack_rt_testlink(lua_State *L, int idx) {
  lsynack_wire *w = luaL_testudata(L, idx, LSYNACK_UDP_MT);
  if (!w)
    w = luaL_testudata(L, idx, LSYNACK_TUN_MT);
  return w;
}

/* The clock of the network at 1, raising when it runs in virtual time. */
static synack_clock *check_real(lua_State *L, const char *what) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  synack_clock *clk = lsynack_rt_clock(lsynack_rt_get(L, 1));
  lsynack_nothook(L, ln, what);
  if (!clk)
    luaL_error(L, "synack: %s needs a network with clock = \"real\"", what);
  return clk;
}

/* String field `k` of the table at idx, or NULL; raises when not a string. */
static const char *opt_string(lua_State *L, int idx, const char *k) {
  const char *s = NULL;
  lua_getfield(L, idx, k);
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pushfstring(L, "field '%s' must be a string", k);
      luaL_argerror(L, idx, lua_tostring(L, -1));
    }
    s = lua_tostring(L, -1);
  }
  lua_pop(L, 1); /* the string stays alive: the table holds it */
  return s;
}

/* Raise on fields of the table at idx that are not in `known`. */
static void check_fields(lua_State *L, int idx, const char *const *known) {
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    int i, ok = 0;
    for (i = 0; known[i]; i++)
      ok |= strcmp(k, known[i]) == 0;
    if (!ok) {
      lua_pushfstring(L, "unknown field '%s'", k);
      luaL_argerror(L, idx, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
}

/* Make the link's userdata and list it in the network's "wires". */
static void push_link(lua_State *L, synack_link *link, const char *mt) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  lsynack_wire *w = lsynack_newobj(L, sizeof *w, mt, ln, 0);
  w->ln = ln;
  w->link = link;
  lsynack_net_field(L, ln, "wires");
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, (lua_Integer)synack_net_link_count(ln->n));
  lua_pop(L, 1);
  lsynack_rt_kick(L, lsynack_rt_get(L, 1)); /* its socket gets watched */
}

/* __index: push the method named by the key at 2 (from the methods table,
 * upvalue 1) and return 1, or return 0. */
static int method(lua_State *L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1))
    return 1;
  lua_pop(L, 1);
  return 0;
}

static int push_link_error(lua_State *L, int err, int uverr, const char *what) {
  if (uverr == 0)
    return lsynack_pusherror(L, err);
  lua_pushnil(L);
  lua_pushfstring(L, "%s: %s: %s", synack_err_name(err), what,
                  uv_strerror(uverr));
  lua_pushstring(L, synack_err_name(err));
  return 3;
}

/* UDP -------------------------------------------------------------------------
 */

/* net:udp{bind = "127.0.0.1:7000", peer = "127.0.0.1:7001"} -> link | nil, err,
 * code */
int lsynack_net_udp(lua_State *L) {
  static const char *const known[] = {"bind", "peer", NULL};
  synack_clock *clk = check_real(L, "net:udp");
  const char *bind, *peer;
  synack_link *link;
  int err = 0, uverr = 0;
  luaL_checktype(L, 2, LUA_TTABLE);
  check_fields(L, 2, known);
  bind = opt_string(L, 2, "bind");
  peer = opt_string(L, 2, "peer");
  if (!bind)
    luaL_argerror(L, 2, "field 'bind' is required (\"127.0.0.1:7000\")");
  link = synack_udp_new(clk, bind, peer, &err, &uverr);
  if (!link)
    return push_link_error(L, err, uverr, bind);
  push_link(L, link, LSYNACK_UDP_MT);
  return 1;
}

static int udp_index(lua_State *L) {
  lsynack_wire *w = luaL_checkudata(L, 1, LSYNACK_UDP_MT);
  const char *k = luaL_checkstring(L, 2);
  uint64_t sent, received, failed;
  char text[80];
  if (method(L))
    return 1;
  if (strcmp(k, "net") == 0) {
    lsynack_getuv(L, 1, "net");
    return 1;
  }
  if (!w->ln->n)
    return 0;
  synack_udp_counts(w->link, &sent, &received, &failed);
  if (strcmp(k, "sockname") == 0) {
    if (synack_udp_sockname(w->link, text, sizeof text) != 0)
      return 0;
    lua_pushstring(L, text);
  } else if (strcmp(k, "sent") == 0) {
    lua_pushinteger(L, (lua_Integer)sent);
  } else if (strcmp(k, "received") == 0) {
    lua_pushinteger(L, (lua_Integer)received);
  } else if (strcmp(k, "failed") == 0) {
    lua_pushinteger(L, (lua_Integer)failed);
  } else {
    return 0;
  }
  return 1;
}

static int udp_tostring(lua_State *L) {
  lsynack_wire *w = luaL_checkudata(L, 1, LSYNACK_UDP_MT);
  char text[80];
  if (!w->ln->n || synack_udp_sockname(w->link, text, sizeof text) != 0)
    lua_pushliteral(L, "synack.udp (closed)");
  else
    lua_pushfstring(L, "synack.udp %s", text);
  return 1;
}

/* TUN -------------------------------------------------------------------------
 */

/* Read addr = "198.18.0.1/24" or {"198.18.0.1/24", "2001:db8::1/64"}. */
static int read_cidrs(lua_State *L, int idx, const char **out, int max) {
  int n = 0;
  lua_getfield(L, idx, "addr");
  if (lua_type(L, -1) == LUA_TSTRING) {
    out[n++] = lua_tostring(L, -1);
  } else if (lua_istable(L, -1)) {
    int i;
    for (i = 1; i <= max; i++) {
      lua_rawgeti(L, -1, i);
      if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        break;
      }
      if (lua_type(L, -1) != LUA_TSTRING)
        luaL_argerror(L, idx,
                      "field 'addr' must be a string or a list of strings");
      out[n++] = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
  } else if (!lua_isnil(L, -1)) {
    luaL_argerror(L, idx, "field 'addr' must be a string or a list of strings");
  }
  lua_pop(L, 1);
  return n;
}

/* net:tun{name = "synack0", addr = "198.18.0.1/24", mtu = 1500} -> link | nil,
 * err, code */
int lsynack_net_tun(lua_State *L) {
  static const char *const known[] = {"name", "addr", "mtu", NULL};
  synack_clock *clk = check_real(L, "net:tun");
  const char *name, *cidrs[SYNACK_TUN_MAX_ADDRS];
  int ncidr, mtu = 0, err = 0, sys = 0;
  synack_link *link;
  luaL_checktype(L, 2, LUA_TTABLE);
  check_fields(L, 2, known);
  name = opt_string(L, 2, "name");
  ncidr = read_cidrs(L, 2, cidrs, SYNACK_TUN_MAX_ADDRS);
  lua_getfield(L, 2, "mtu");
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < 68 ||
        lua_tonumber(L, -1) > 65535)
      luaL_argerror(L, 2, "field 'mtu' must be a number in 68..65535");
    mtu = (int)lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  link = synack_tun_new(clk, name, cidrs, ncidr, mtu, &err, &sys);
  if (!link) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: cannot open TUN device %s: %s",
                    synack_err_name(err), name ? name : "",
                    sys ? strerror(sys) : synack_strerror(err));
    lua_pushstring(L, synack_err_name(err));
    return 3;
  }
  push_link(L, link, LSYNACK_TUN_MT);
  return 1;
}

static int tun_index(lua_State *L) {
  lsynack_wire *w = luaL_checkudata(L, 1, LSYNACK_TUN_MT);
  const char *k = luaL_checkstring(L, 2);
  if (method(L))
    return 1;
  if (strcmp(k, "net") == 0) {
    lsynack_getuv(L, 1, "net");
    return 1;
  }
  if (!w->ln->n)
    return 0;
  if (strcmp(k, "name") == 0) {
    lua_pushstring(L, synack_tun_name(w->link));
  } else if (strcmp(k, "received") == 0 || strcmp(k, "sent") == 0 ||
             strcmp(k, "failed") == 0) {
    uint64_t sent, received, failed;
    synack_tun_counts(w->link, &sent, &received, &failed);
    lua_pushinteger(L, (lua_Integer)(k[0] == 'r'   ? received
                                     : k[0] == 's' ? sent
                                                   : failed));
  } else {
    return 0;
  }
  return 1;
}

static int tun_tostring(lua_State *L) {
  lsynack_wire *w = luaL_checkudata(L, 1, LSYNACK_TUN_MT);
  if (!w->ln->n)
    lua_pushliteral(L, "synack.tun (closed)");
  else
    lua_pushfstring(L, "synack.tun %s", synack_tun_name(w->link));
  return 1;
}

/* The network owns its links: nothing to do when the userdata goes. */
static int link_gc(lua_State *L) {
  (void)L;
  return 0;
}

static const luaL_Reg link_methods[] = {{"capture", lsynack_link_capture},
                                        {NULL, NULL}};

/* Metatable `mt`; its methods table (the upvalue of __index) goes to field
 * `kind` of the table at `methods`. */
static void link_metatable(lua_State *L, const char *mt, lua_CFunction index,
                           lua_CFunction tostring, int methods,
                           const char *kind) {
  lsynack_newclass(L, mt, link_methods, index, link_gc, NULL, tostring);
  lua_setfield(L, methods, kind); /* pops the methods table */
  lua_pop(L, 1);
}

void lsynack_open_reallink(lua_State *L, int methods) {
  methods = lua_absindex(L, methods);
  link_metatable(L, LSYNACK_UDP_MT, udp_index, udp_tostring, methods, "udp");
  link_metatable(L, LSYNACK_TUN_MT, tun_index, tun_tostring, methods, "tun");
}
