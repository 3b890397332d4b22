/*
 * listener.c: host:listen(port, opts) and the listener userdata. The network
 * anchors a listener until l:close(); what a listener hands out through
 * accept inherits its hooks.
 */
#include <stdio.h>
#include <string.h>

#include "lnet.h"

static char listener_mt_key; /* registry: the metatable (lsynack_testudata) */

static lsynack_listener *tolistener(lua_State *L, int idx) {
  return (lsynack_listener *)lsynack_checkudata(L, idx, &listener_mt_key,
                                                LSYNACK_LISTENER_MT);
}

/* The open listener at idx; raises when it or its network is closed. */
static lsynack_listener *checklistener(lua_State *L, int idx) {
  lsynack_listener *p = tolistener(L, idx);
  if (!p->ln->n)
    luaL_error(L, "synack: the network is closed");
  if (!p->l)
    luaL_error(L, "synack: the listener is closed");
  return p;
}

/*
 * The host's uservalue keeps listeners[port] = listener, so that a segment
 * that no connection owns yet (a SYN) reaches its listener's hooks.
 * idx: the listener, or 0 to forget the port.
 */
static void set_port(lua_State *L, int hostidx, int port, int idx) {
  lua_getuservalue(L, hostidx);
  lua_getfield(L, -1, "listeners");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "listeners");
  }
  if (idx)
    lua_pushvalue(L, idx);
  else
    lua_pushnil(L);
  lua_rawseti(L, -2, port);
  lua_pop(L, 2);
}

/* host:listen(port [, opts]) -> listener | nil, err, code */
int lsynack_host_listen(lua_State *L);
int lsynack_host_listen(lua_State *L) {
  lsynack_host *h = lsynack_checkhost(L, 1);
  lua_Integer port = luaL_checkinteger(L, 2);
  synack_host *tcp = synack_net_tcp(h->ln->n, h->index);
  synack_conn_opts o;
  synack_listener *l;
  lsynack_listener *p;
  int backlog = 128, err = 0;
  char text[32];
  luaL_argcheck(L, port >= 1 && port <= 65535, 2, "port in 1..65535 expected");
  lsynack_checkopts(L, 3, &o, &backlog);
  lsynack_nothook(L, h->ln, "host:listen");
  if (!tcp)
    luaL_error(L, "synack: host:listen on a raw host (it has no TCP)");
  h->ln->L = L;
  l = synack_host_listen(tcp, (uint16_t)port, backlog, &o, &err);
  if (!l)
    return lsynack_pusherror(L, err ? err : SYNACK_ENOMEM);
  snprintf(text, sizeof text, "listen %d", (int)port);
  synack_net_record_app(h->ln->n, h->index, text);
  p = (lsynack_listener *)lsynack_newobj(L, sizeof *p, LSYNACK_LISTENER_MT,
                                         h->ln, 1);
  p->ln = h->ln;
  p->l = l;
  p->host = h->index;
  synack_listener_set_data(l, p);
  lsynack_setobj(L, l, -1);
  lsynack_anchor(L, h->ln, -1, 1);
  set_port(L, 1, (int)port, lua_gettop(L));
  return 1;
}

/* l:_accept() -> an established connection, or nil when none is ready. */
static int listener_accept(lua_State *L) {
  lsynack_listener *p = checklistener(L, 1);
  synack_conn *c;
  lsynack_nothook(L, p->ln, "l:accept");
  p->ln->L = L;
  c = synack_listener_accept(p->l);
  if (!c)
    return 0;
  lsynack_pushconn(L, p->ln, c, 1);
  lsynack_inherit(L, -1, 1);
  return 1;
}

/* l:close(): stop listening; connections not yet accepted are reset. */
static int listener_close(lua_State *L) {
  lsynack_listener *p = tolistener(L, 1);
  if (!p->l || !p->ln->n)
    return 0;
  lsynack_nothook(L, p->ln, "l:close");
  p->ln->L = L;
  lsynack_getuv(L, 1, "host");
  if (lua_isuserdata(L, -1))
    set_port(L, lua_gettop(L), synack_listener_port(p->l), 0);
  lua_pop(L, 1);
  synack_listener_close(p->l, lsynack_now(p->ln));
  p->l = NULL;
  lsynack_anchor(L, p->ln, 1, 0);
  return 0;
}

/* Listeners are anchored until closed: __gc runs only with their network. */
static int listener_gc(lua_State *L) {
  (void)L;
  return 0;
}

static int listener_on(lua_State *L) {
  lsynack_listener *p = checklistener(L, 1);
  p->mask = lsynack_hook_add(L);
  synack_listener_set_hooks(p->l, p->mask & SYNACK_HOOK_ALL);
  lua_settop(L, 1);
  return 1;
}

static int listener_off(lua_State *L) {
  lsynack_listener *p = checklistener(L, 1);
  p->mask = lsynack_hook_remove(L);
  synack_listener_set_hooks(p->l, p->mask & SYNACK_HOOK_ALL);
  lua_settop(L, 1);
  return 1;
}

static int listener_tostring(lua_State *L) {
  lsynack_listener *p = tolistener(L, 1);
  char addr[64];
  if (!p->l || !p->ln->n) {
    lua_pushliteral(L, "synack.listener (closed)");
    return 1;
  }
  synack_addr_format(synack_net_host_addr(p->ln->n, p->host), addr,
                     sizeof addr);
  lua_pushfstring(L, "synack.listener %s:%d LISTEN", addr,
                  (int)synack_listener_port(p->l));
  return 1;
}

/* __index: the methods (first: every method call comes here), then fields. */
static int listener_index(lua_State *L) {
  lsynack_listener *p;
  const char *k;
  lua_settop(L, 2);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1) || lua_type(L, 2) != LUA_TSTRING)
    return 1;
  p = tolistener(L, 1);
  k = lua_tostring(L, 2);
  if (strcmp(k, "net") == 0 || strcmp(k, "host") == 0) {
    lsynack_getuv(L, 1, k);
    return 1;
  }
  if (!p->l || !p->ln->n)
    return 0;
  if (strcmp(k, "port") == 0) {
    lua_pushinteger(L, synack_listener_port(p->l));
    return 1;
  }
  if (strcmp(k, "pending") == 0) {
    lua_pushinteger(L, (lua_Integer)synack_listener_pending(p->l));
    return 1;
  }
  return 0;
}

static const luaL_Reg listener_methods[] = {{"_accept", listener_accept},
                                            {"close", listener_close},
                                            {"on", listener_on},
                                            {"off", listener_off},
                                            {NULL, NULL}};

void lsynack_open_listener(lua_State *L) {
  lsynack_newclass(L, LSYNACK_LISTENER_MT, listener_methods, listener_index,
                   listener_gc, listener_close, listener_tostring);
  lsynack_register_mt(L, LSYNACK_LISTENER_MT, &listener_mt_key);
  lua_setfield(L, -3, "listener");
  lua_pop(L, 1);
}
