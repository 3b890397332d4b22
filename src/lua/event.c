/*
 * event.c: trace records (net.h's synack_event) as Lua tables, built only
 * when a script asks (net:step(), net:trace()), and their tcpdump-style
 * __tostring:
 *
 *   0.010000 In  198.18.0.1.49152 > 198.18.0.2.80: Flags [S], seq 0, ...
 *   0.010000 198.18.0.2:80 > 198.18.0.1:49152 LISTEN -> SYN-RECEIVED
 *   1.010000 198.18.0.1 timer
 *   0.000000 drop (loss) 198.18.0.1.49152 > 198.18.0.2.80: Flags [S], ...
 *   0.000000 198.18.0.1 connect 198.18.0.2:80
 */
#include <stdio.h>
#include <string.h>

#include "lnet.h"

static void set_str(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static void set_host(lua_State *L, lsynack_net *ln, const char *k,
                     uint32_t host) {
  const synack_addr *a = synack_net_host_addr(ln->n, host);
  if (!a)
    return;
  lsynack_pushaddr(L, a);
  lua_setfield(L, -2, k);
}

/* seg = the parsed packet, when it parses. */
static void set_segment(lua_State *L, const uint8_t *pkt, size_t len) {
  synack_segment seg;
  if (len == 0 || synack_parse(pkt, len, &seg) < 0)
    return;
  lsynack_pushsegment(L, &seg);
  lua_setfield(L, -2, "seg");
}

/*
 * conn = the connection's userdata while it lives, else its "a:p > b:p"
 * text. The table keeps only a light pointer (`_conn`) and the text, and
 * __index resolves `conn` when asked, so that a kept trace does not keep
 * connections alive.
 */
static void set_conn(lua_State *L, const synack_event *e, const char *tuple,
                     size_t len) {
  const char *sep = strstr(tuple, " > ");
  lua_pushlightuserdata(L, (void *)(uintptr_t)e->conn);
  lua_setfield(L, -2, "_conn");
  lua_pushlstring(L, tuple, len);
  lua_setfield(L, -2, "tuple");
  if (sep) {
    lua_pushlstring(L, tuple, (size_t)(sep - tuple));
    lua_setfield(L, -2, "local");
    lua_pushlstring(L, sep + 3, len - (size_t)(sep - tuple) - 3);
    lua_setfield(L, -2, "remote");
  }
}

/* event.conn: the live userdata of the connection, or the tuple text. */
static int event_index(lua_State *L) {
  const char *k = lua_tostring(L, 2);
  const void *c;
  size_t len;
  const char *tuple;
  if (!k || strcmp(k, "conn") != 0)
    return 0;
  lua_getfield(L, 1, "_conn");
  c = lua_touserdata(L, -1);
  lua_getfield(L, 1, "tuple");
  tuple = lua_tolstring(L, -1, &len);
  if (!c || !tuple)
    return 0;
  if (lsynack_getobj(L, c) == LUA_TUSERDATA) {
    lsynack_conn *p = (lsynack_conn *)lua_touserdata(L, -1);
    char now[128];
    if (p->c == c && p->ln->n) {
      lsynack_conn_tuple(p->c, now, sizeof now);
      if (strlen(now) == len && memcmp(now, tuple, len) == 0)
        return 1;
    }
  }
  lua_pushvalue(L, -2); /* the tuple */
  return 1;
}

void lsynack_pushevent(lua_State *L, lsynack_net *ln, size_t i) {
  const synack_event *e = synack_net_trace_get(ln->n, i);
  const uint8_t *bytes;
  if (!e) {
    lua_pushnil(L);
    return;
  }
  bytes = synack_net_trace_bytes(ln->n, e);
  lua_createtable(L, 0, 10);
  luaL_setmetatable(L, LSYNACK_EVENT_MT);
  lua_pushnumber(L, (lua_Number)e->t / 1e6);
  lua_setfield(L, -2, "t");
  lua_pushinteger(L, (lua_Integer)(synack_net_trace_base(ln->n) + i + 1));
  lua_setfield(L, -2, "n");
  set_host(L, ln, "host", e->host);
  switch (e->kind) {
  case SYNACK_EV_SEGMENT:
    set_str(L, "kind", "segment");
    set_str(L, "dir", e->dir == SYNACK_DIR_IN ? "in" : "out");
    set_host(L, ln, "from", e->dir == SYNACK_DIR_IN ? e->peer : e->host);
    set_host(L, ln, "to", e->dir == SYNACK_DIR_IN ? e->host : e->peer);
    lua_pushinteger(L, e->id);
    lua_setfield(L, -2, "id");
    set_segment(L, bytes, e->len);
    break;
  case SYNACK_EV_DROP:
    set_str(L, "kind", "drop");
    set_str(L, "why", synack_why_name((synack_why)e->why));
    set_host(L, ln, "from", e->host);
    set_host(L, ln, "to", e->peer);
    lua_pushinteger(L, e->id);
    lua_setfield(L, -2, "id");
    set_segment(L, bytes, e->len);
    break;
  case SYNACK_EV_STATE:
    set_str(L, "kind", "state");
    set_str(L, "from", synack_state_name((synack_state)e->from));
    set_str(L, "to", synack_state_name((synack_state)e->to));
    set_conn(L, e, (const char *)bytes, e->len);
    break;
  case SYNACK_EV_TIMER:
    set_str(L, "kind", "timer");
    break;
  case SYNACK_EV_APP:
  default:
    set_str(L, "kind", "app");
    lua_pushlstring(L, (const char *)bytes, e->len);
    lua_setfield(L, -2, "what");
    break;
  }
}

void lsynack_pushalarm(lua_State *L, lsynack_net *ln) {
  lua_createtable(L, 0, 3);
  luaL_setmetatable(L, LSYNACK_EVENT_MT);
  lua_pushnumber(L, (lua_Number)synack_net_now(ln->n) / 1e6);
  lua_setfield(L, -2, "t");
  set_str(L, "kind", "timer");
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "alarm");
}

/* The string field k of the table at 1, or dflt. */
static const char *field(lua_State *L, const char *k, const char *dflt) {
  const char *s;
  lua_getfield(L, 1, k);
  s = lua_tostring(L, -1);
  lua_pop(L, 1); /* the table still holds the string */
  return s ? s : dflt;
}

/* Append the tcpdump line of the segment in field "seg", or "from > to". */
static void add_segment(lua_State *L, luaL_Buffer *b) {
  synack_segment *seg;
  char line[512];
  lua_getfield(L, 1, "seg");
  seg = lsynack_tosegment(L, -1);
  if (seg) {
    synack_segment_format(seg, line, sizeof line);
    lua_pop(L, 1);
    luaL_addstring(b, line);
    return;
  }
  lua_pop(L, 1);
  lua_pushfstring(L, "%s > %s (unparsable)", field(L, "from", "?"),
                  field(L, "to", "?"));
  luaL_addvalue(b);
}

/* tostring(event): one line, the time in front. */
static int event_tostring(lua_State *L) {
  luaL_Buffer b;
  const char *kind;
  lua_Number t;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "t");
  t = lua_tonumber(L, -1);
  lua_pop(L, 1);
  kind = field(L, "kind", "?");
  luaL_buffinit(L, &b);
  {
    char stamp[32];
    snprintf(stamp, sizeof stamp, "%.6f ", (double)t);
    luaL_addstring(&b, stamp);
  }
  if (strcmp(kind, "segment") == 0) {
    luaL_addstring(&b,
                   strcmp(field(L, "dir", "in"), "in") == 0 ? "In  " : "Out ");
    add_segment(L, &b);
  } else if (strcmp(kind, "drop") == 0) {
    lua_pushfstring(L, "drop (%s) ", field(L, "why", "?"));
    luaL_addvalue(&b);
    add_segment(L, &b);
  } else if (strcmp(kind, "state") == 0) {
    lua_pushfstring(L, "%s %s -> %s", field(L, "tuple", "?"),
                    field(L, "from", "?"), field(L, "to", "?"));
    luaL_addvalue(&b);
  } else if (strcmp(kind, "timer") == 0) {
    lua_getfield(L, 1, "alarm");
    if (lua_toboolean(L, -1)) {
      lua_pop(L, 1);
      luaL_addstring(&b, "wake-up");
    } else {
      lua_pop(L, 1);
      lua_pushfstring(L, "%s timer", field(L, "host", "?"));
      luaL_addvalue(&b);
    }
  } else {
    lua_pushfstring(L, "%s %s", field(L, "host", "network"),
                    field(L, "what", ""));
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  return 1;
}

void lsynack_open_event(lua_State *L) {
  luaL_newmetatable(L, LSYNACK_EVENT_MT);
  lua_pushcfunction(L, event_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, event_index);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
