/*
 * wire.c: net:wire{...}, the in-memory link's userdata. Fields, all optional:
 * delay, jitter, reorder_delay (seconds); loss, duplicate, reorder, corrupt
 * (probabilities); rate (bytes per second), queue (packets), mtu (bytes).
 * wire:set{...} changes some of them from now on; wire.loss etc. read them;
 * wire:capture(path) writes the packets put on the wire to a pcap file.
 */
#include <string.h>

#include "lnet.h"
#include "lrealtime.h"
#include "wire.h"

static lsynack_wire *towire(lua_State *L, int idx) {
  return (lsynack_wire *)luaL_checkudata(L, idx, LSYNACK_WIRE_MT);
}

/* The wire, udp or tun userdata at idx, or NULL (raises when its network is
 * closed). */
static lsynack_wire *testlink(lua_State *L, int idx) {
  lsynack_wire *w = luaL_testudata(L, idx, LSYNACK_WIRE_MT);
  if (!w)
    w = lsynack_rt_testlink(L, idx); /* net:udp{}, net:tun{} */
  if (w && !w->ln->n)
    luaL_error(L, "synack: the network is closed");
  return w;
}

static lsynack_wire *checklink(lua_State *L, int idx) {
  lsynack_wire *w = testlink(L, idx);
  if (!w)
    luaL_argerror(L, idx, "a link (net:wire, net:udp or net:tun) expected");
  return w;
}

synack_link *lsynack_testlink(lua_State *L, int idx) {
  lsynack_wire *w = testlink(L, idx);
  return w ? w->link : NULL;
}

synack_link *lsynack_checklink(lua_State *L, int idx) {
  return checklink(L, idx)->link;
}

/* link:capture(path) -> true | nil, err, code; link:capture() stops. */
int lsynack_link_capture(lua_State *L) {
  lsynack_wire *w = checklink(L, 1);
  return lsynack_net_capture(L, w->ln, w->link, 2);
}

static void field_error(lua_State *L, int arg, const char *key,
                        const char *want) {
  lua_pushfstring(L, "field '%s' must be %s", key, want);
  luaL_argerror(L, arg, lua_tostring(L, -1));
}

static double num(lua_State *L, int arg, const char *key, double lo, double hi,
                  const char *want) {
  double x;
  if (lua_type(L, -1) != LUA_TNUMBER)
    field_error(L, arg, key, want);
  x = (double)lua_tonumber(L, -1);
  if (!(x >= lo && x <= hi))
    field_error(L, arg, key, want);
  return x;
}

static uint64_t secs(lua_State *L, int arg, const char *key) {
  return (uint64_t)(num(L, arg, key, 0, 1e7, "seconds >= 0") * 1e6 + 0.5);
}

static double prob(lua_State *L, int arg, const char *key) {
  return num(L, arg, key, 0, 1, "a probability in [0, 1]");
}

/* Read the table at arg into *p (fields not given keep their values). */
static void read_params(lua_State *L, int arg, synack_wire_params *p) {
  if (lua_isnoneornil(L, arg))
    return;
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    if (strcmp(k, "delay") == 0)
      p->delay_us = secs(L, arg, k);
    else if (strcmp(k, "jitter") == 0)
      p->jitter_us = secs(L, arg, k);
    else if (strcmp(k, "reorder_delay") == 0)
      p->reorder_delay_us = secs(L, arg, k);
    else if (strcmp(k, "loss") == 0)
      p->loss = prob(L, arg, k);
    else if (strcmp(k, "duplicate") == 0)
      p->duplicate = prob(L, arg, k);
    else if (strcmp(k, "reorder") == 0)
      p->reorder = prob(L, arg, k);
    else if (strcmp(k, "corrupt") == 0)
      p->corrupt = prob(L, arg, k);
    else if (strcmp(k, "rate") == 0)
      p->rate = (uint64_t)num(L, arg, k, 0, 1e15, "bytes per second >= 0");
    else if (strcmp(k, "queue") == 0)
      p->queue = (uint32_t)num(L, arg, k, 0, 1e9, "a packet count >= 0");
    else if (strcmp(k, "mtu") == 0)
      p->mtu = (uint32_t)num(L, arg, k, 0, 65535, "bytes in 0..65535");
    else {
      lua_pushfstring(L, "unknown field '%s'", k);
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
}

/* net:wire{...} -> wire */
int lsynack_net_wire(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  synack_wire_params p;
  synack_link *link;
  lsynack_wire *w;
  int err = 0;
  synack_wire_params_init(&p);
  read_params(L, 2, &p);
  link = synack_wire_new(ln->n, &p, &err);
  if (!link)
    return lsynack_pusherror(L, err);
  w = (lsynack_wire *)lsynack_newobj(L, sizeof *w, LSYNACK_WIRE_MT, ln, 0);
  w->ln = ln;
  w->link = link;
  lsynack_net_field(L, ln, "wires");
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, (lua_Integer)synack_net_link_count(ln->n));
  lua_pop(L, 1);
  return 1;
}

/* wire:set{...} -> wire */
static int wire_set(lua_State *L) {
  synack_link *link = lsynack_checklink(L, 1);
  synack_wire_params p;
  synack_wire_get(link, &p);
  read_params(L, 2, &p);
  synack_wire_set(link, &p);
  lua_settop(L, 1);
  return 1;
}

static int wire_index(lua_State *L) {
  lsynack_wire *w = towire(L, 1);
  const char *k = lua_tostring(L, 2);
  synack_wire_params p;
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1) || !k)
    return 1;
  if (strcmp(k, "net") == 0) {
    lsynack_getuv(L, 1, "net");
    return 1;
  }
  if (!w->ln->n)
    return 0;
  synack_wire_get(w->link, &p);
  if (strcmp(k, "delay") == 0)
    lua_pushnumber(L, (lua_Number)p.delay_us / 1e6);
  else if (strcmp(k, "jitter") == 0)
    lua_pushnumber(L, (lua_Number)p.jitter_us / 1e6);
  else if (strcmp(k, "reorder_delay") == 0)
    lua_pushnumber(L, (lua_Number)p.reorder_delay_us / 1e6);
  else if (strcmp(k, "loss") == 0)
    lua_pushnumber(L, p.loss);
  else if (strcmp(k, "duplicate") == 0)
    lua_pushnumber(L, p.duplicate);
  else if (strcmp(k, "reorder") == 0)
    lua_pushnumber(L, p.reorder);
  else if (strcmp(k, "corrupt") == 0)
    lua_pushnumber(L, p.corrupt);
  else if (strcmp(k, "rate") == 0)
    lua_pushnumber(L, (lua_Number)p.rate);
  else if (strcmp(k, "queue") == 0)
    lua_pushinteger(L, p.queue);
  else if (strcmp(k, "mtu") == 0)
    lua_pushinteger(L, p.mtu);
  else
    return 0;
  return 1;
}

static int wire_tostring(lua_State *L) {
  lsynack_wire *w = towire(L, 1);
  synack_wire_params p;
  luaL_Buffer b;
  if (!w->ln->n) {
    lua_pushliteral(L, "synack.wire (closed network)");
    return 1;
  }
  synack_wire_get(w->link, &p);
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "synack.wire");
#define NUM(name, v)                                                           \
  if (v) {                                                                     \
    lua_pushfstring(L, " " name " %f", (lua_Number)(v));                       \
    luaL_addvalue(&b);                                                         \
  }
  NUM("delay", (double)p.delay_us / 1e6)
  NUM("jitter", (double)p.jitter_us / 1e6)
  NUM("loss", p.loss)
  NUM("duplicate", p.duplicate)
  NUM("reorder", p.reorder)
  NUM("corrupt", p.corrupt)
  NUM("rate", (double)p.rate)
  NUM("queue", (double)p.queue)
  NUM("mtu", (double)p.mtu)
#undef NUM
  luaL_pushresult(&b);
  return 1;
}

/* The network owns its links. */
static int wire_gc(lua_State *L) {
  (void)L;
  return 0;
}

static const luaL_Reg wire_methods[] = {
    {"set", wire_set}, {"capture", lsynack_link_capture}, {NULL, NULL}};

void lsynack_open_wire(lua_State *L) {
  lsynack_newclass(L, LSYNACK_WIRE_MT, wire_methods, wire_index, wire_gc,
                   wire_gc, wire_tostring);
  lua_setfield(L, -3, "wire");
  lua_pop(L, 1);
}
