/*
 * conn.c: the connection userdata: send, recv, close, shutdown, abort,
 * info, state, hooks.
 *
 * Lifetime: the userdata holds one retain on the core connection; the
 * network anchors it while the connection has Lua hooks and is not CLOSED
 * (reanchor). Unreferenced, __gc releases it: the core runs the connection
 * to its end on its own and frees it once CLOSED. When the core frees a
 * connection first (its network is freed), `c` becomes NULL and the methods
 * answer ENOTCONN.
 */
#include <stdio.h>
#include <string.h>

#include "lnet.h"

#define RECV_MAX_DEFAULT 65536

void lsynack_conn_tuple(const synack_conn *c, char *out, size_t cap) {
  struct synack_conn_info info;
  char la[48], ra[48];
  synack_conn_info(c, &info);
  synack_addr_format(&info.local_addr, la, sizeof la);
  synack_addr_format(&info.remote_addr, ra, sizeof ra);
  if (info.local_addr.family == 6)
    snprintf(out, cap, "[%s]:%u > [%s]:%u", la, info.local_port, ra,
             info.remote_port);
  else
    snprintf(out, cap, "%s:%u > %s:%u", la, info.local_port, ra,
             info.remote_port);
}

static char conn_mt_key; /* registry: the metatable (lsynack_testudata) */

static lsynack_conn *toconn(lua_State *L, int idx) {
  return (lsynack_conn *)lsynack_checkudata(L, idx, &conn_mt_key,
                                            LSYNACK_CONN_MT);
}

/* The live connection at idx; raises when its network is closed. */
static lsynack_conn *checkconn(lua_State *L, int idx) {
  lsynack_conn *p = toconn(L, idx);
  if (!p->ln->n)
    luaL_error(L, "synack: the network is closed");
  return p;
}

/*
 * The network anchors a connection's userdata while the connection is not
 * CLOSED and has Lua hooks of its own or from its listener: the hooks must
 * keep running after the script dropped the connection. Without hooks the
 * core runs the connection to its end by itself; the userdata can go, its
 * __gc releases the core connection, and the core then knows nobody holds
 * it (an orphan in FIN-WAIT-2 does not wait for the peer's FIN forever).
 */
static void reanchor(lua_State *L, int idx) {
  lsynack_conn *p = (lsynack_conn *)lua_touserdata(L, idx);
  int on = p->c && p->ln->n && synack_conn_state(p->c) != SYNACK_CLOSED &&
           ((p->mask | p->inherit) & (SYNACK_HOOK_ALL | LSYNACK_HOOK_STATE));
  if (on == p->anchored)
    return;
  lsynack_anchor(L, p->ln, idx, on);
  p->anchored = on;
}

/*
 * A new userdata for c. Its uservalue holds the network, which the userdata
 * keeps alive; `hooks` comes with the first c:on(), `parent` when it
 * inherits a listener's hooks, and c.host is looked up when asked for:
 * connections come and go by the thousand, most never hooked.
 */
static lsynack_conn *newconn(lua_State *L, lsynack_net *ln, synack_conn *c) {
  lsynack_conn *p = (lsynack_conn *)lua_newuserdata(L, sizeof *p);
  memset(p, 0, sizeof *p);
  luaL_setmetatable(L, LSYNACK_CONN_MT);
  lua_createtable(L, 0, 2);
  if (lsynack_getobj(L, ln) == LUA_TNIL)
    luaL_error(L, "synack: network is gone");
  lua_setfield(L, -2, "net");
  lua_setuservalue(L, -2);
  p->ln = ln;
  p->c = c;
  p->host = synack_net_host_index(ln->n, synack_conn_host(c));
  return p;
}

void lsynack_pushconn(lua_State *L, lsynack_net *ln, synack_conn *c,
                      int adopt) {
  lsynack_conn *p;
  synack_listener *l;
  /* c's data is its userdata while that lives (conn_gc clears it) */
  if (synack_conn_get_data(c)) {
    if (lsynack_getobj(L, c) == LUA_TUSERDATA &&
        ((lsynack_conn *)lua_touserdata(L, -1))->c == c) {
      if (adopt)
        synack_conn_release(c); /* it holds a retain already */
      return;
    }
    lua_pop(L, 1);
  }
  p = newconn(L, ln, c);
  if (!adopt)
    synack_conn_retain(c);
  synack_conn_set_data(c, p);
  lsynack_setobj(L, c, -1);
  /* a connection a listener has not handed out yet inherits its hooks */
  l = synack_conn_listener(c);
  if (l) {
    if (lsynack_getobj(L, l) == LUA_TUSERDATA)
      lsynack_inherit(L, -2, -1);
    lua_pop(L, 1);
  }
  reanchor(L, -1);
}

void lsynack_inherit(lua_State *L, int connidx, int listeneridx) {
  lsynack_conn *p = toconn(L, connidx);
  /* the callers hand a listener (listener_accept's self, or the userdata
     registered for a connection's listener) */
  lsynack_listener *pl = (lsynack_listener *)lua_touserdata(L, listeneridx);
  connidx = lua_absindex(L, connidx);
  listeneridx = lua_absindex(L, listeneridx);
  lua_getuservalue(L, connidx);
  lsynack_getuv(L, listeneridx, "hooks");
  lua_setfield(L, -2, "parent");
  lua_pop(L, 1);
  p->has_parent = 1;
  p->inherit = pl->mask;
  if (p->c)
    synack_conn_set_hooks(p->c, (p->mask | p->inherit) & SYNACK_HOOK_ALL);
  reanchor(L, connidx);
}

void lsynack_conn_closed(lua_State *L, lsynack_net *ln, synack_conn *c) {
  lsynack_conn *p = synack_conn_get_data(c);
  if (!p || !p->anchored)
    return;
  if (lsynack_getobj(L, c) == LUA_TUSERDATA &&
      lua_touserdata(L, -1) == (void *)p) {
    lsynack_anchor(L, ln, -1, 0);
    p->anchored = 0;
  }
  lua_pop(L, 1);
}

void lsynack_conn_freed(synack_conn *c) {
  lsynack_conn *p = synack_conn_get_data(c);
  if (p && p->c == c)
    p->c = NULL;
  synack_conn_set_data(c, NULL);
}

static int conn_gc(lua_State *L) {
  lsynack_conn *p = toconn(L, 1);
  if (p->c && p->ln->n) {
    if (synack_conn_get_data(p->c) == p)
      synack_conn_set_data(p->c, NULL);
    synack_conn_release(p->c);
  }
  p->c = NULL;
  return 0;
}

/* Push the result of a core call returning 0 or an error: true | nil, err,
 * code. */
static int push_status(lua_State *L, int rc) {
  if (rc < 0)
    return lsynack_pusherror(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* The core connection, entering the network from L; NULL when freed. */
static synack_conn *enter(lua_State *L, lsynack_conn *p, const char *what) {
  lsynack_nothook(L, p->ln, what);
  p->ln->L = L;
  return p->c;
}

static size_t note(lsynack_conn *p, const char *text) {
  return synack_net_record_app(p->ln->n, p->host, text);
}

/* The flags of c:send's optional table: {push = true, urgent = true}. */
static unsigned send_flags(lua_State *L, int idx) {
  unsigned flags = 0;
  if (lua_isnoneornil(L, idx))
    return 0;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    unsigned bit = !k                         ? 0
                   : strcmp(k, "push") == 0   ? SYNACK_SEND_PUSH
                   : strcmp(k, "urgent") == 0 ? SYNACK_SEND_URGENT
                                              : 0;
    if (!bit) {
      lua_pushfstring(L, "unknown send option '%s'",
                      k ? k : luaL_typename(L, -2));
      luaL_argerror(L, idx, lua_tostring(L, -1));
    }
    if (lua_toboolean(L, -1))
      flags |= bit;
    lua_pop(L, 1);
  }
  return flags;
}

/* c:send(data [, {push =, urgent =}]) -> bytes accepted | nil, err, code */
static int conn_send(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  unsigned flags = send_flags(L, 3);
  synack_conn *c = enter(L, p, "c:send");
  long n;
  char text[48];
  size_t ev;
  if (!c)
    return lsynack_pusherror(L, SYNACK_ENOTCONN);
  { /* "send 1234", without snprintf's cost on every send */
    char *q = text + sizeof text;
    size_t v = len;
    *--q = '\0';
    do
      *--q = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    q -= 5;
    memcpy(q, "send ", 5);
    ev = note(p, q);
  }
  n = synack_conn_send_flags(c, (const uint8_t *)data, len, flags,
                             lsynack_now(p->ln));
  if (n <= 0)
    synack_net_unrecord(p->ln->n, ev); /* nothing came of it */
  if (n < 0)
    return lsynack_pusherror(L, (int)n);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/*
 * c:_recv([max]) -> string (maybe "") | nil, "EOF", "EOF" | nil, err, code.
 * Never waits; lua/synack/sched.lua builds the blocking c:recv() on it.
 */
static int conn_recv(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  lua_Integer max = luaL_optinteger(L, 2, RECV_MAX_DEFAULT);
  synack_conn *c;
  uint8_t *buf;
  long n;
  luaL_argcheck(L, max >= 1, 2, "max bytes >= 1 expected");
  c = enter(L, p, "c:recv");
  if (!c)
    return lsynack_pusherror(L, SYNACK_ENOTCONN);
  { /* the buffer holds what is there, not `max` (which may be huge) */
    size_t queued = synack_conn_recv_queued(c);
    if ((lua_Integer)queued < max)
      max = queued > 0 ? (lua_Integer)queued : 1;
  }
  buf = lsynack_netbuf(p->ln, (size_t)max);
  if (!buf)
    return lsynack_pusherror(L, SYNACK_ENOMEM);
  n = synack_conn_recv(c, buf, (size_t)max, lsynack_now(p->ln));
  if (n == SYNACK_EOF) {
    lua_pushnil(L);
    lua_pushliteral(L, "EOF");
    lua_pushliteral(L, "EOF");
    return 3;
  }
  if (n < 0)
    return lsynack_pusherror(L, (int)n);
  lua_pushlstring(L, (const char *)buf, (size_t)n);
  return 1;
}

static int conn_close(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  synack_conn *c = enter(L, p, "c:close");
  if (!c)
    return lsynack_pusherror(L, SYNACK_ENOTCONN);
  note(p, "close");
  return push_status(L, synack_conn_close(c, lsynack_now(p->ln)));
}

static int conn_shutdown(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  synack_conn *c = enter(L, p, "c:shutdown");
  if (!c)
    return lsynack_pusherror(L, SYNACK_ENOTCONN);
  note(p, "shutdown");
  return push_status(L, synack_conn_shutdown(c, lsynack_now(p->ln)));
}

/* Options fixed once the connection is open (negotiated or sized at open). */
static const char *const fixed_opts[] = {
    "isn",        "port",   "mss",    "wscale", "sack",
    "timestamps", "sndbuf", "rcvbuf", "cc",     NULL};

/*
 * c:set{nagle =, delayed_ack =, keepalive =, user_timeout =, ttl =, tos =}
 * -> true | nil, err, code: change options of an open connection, with the
 * values and defaults of host:connect's. Any other option raises.
 */
static int conn_set(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  synack_conn_opts o;
  synack_conn *c;
  int i;
  luaL_checktype(L, 2, LUA_TTABLE);
  for (i = 0; fixed_opts[i]; i++) {
    lua_getfield(L, 2, fixed_opts[i]);
    if (!lua_isnil(L, -1)) {
      lua_pushfstring(L, "option '%s' cannot change on an open connection",
                      fixed_opts[i]);
      luaL_argerror(L, 2, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
  lsynack_checkopts(L, 2, &o, NULL);
  c = enter(L, p, "c:set");
  if (!c)
    return lsynack_pusherror(L, SYNACK_ENOTCONN);
  return push_status(L, synack_conn_set_opts(c, &o, lsynack_now(p->ln)));
}

static int conn_abort(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  synack_conn *c = enter(L, p, "c:abort");
  if (!c)
    return lsynack_pusherror(L, SYNACK_ENOTCONN);
  note(p, "abort");
  return push_status(L, synack_conn_abort(c, lsynack_now(p->ln)));
}

/* __close (Lua 5.4): c:close(), unless it is already closed (after a shutdown
   too: the application is done with it either way). */
static int conn_toclose(lua_State *L) {
  lsynack_conn *p = toconn(L, 1);
  if (p->c && p->ln->n && !p->ln->in_hook &&
      synack_conn_state(p->c) != SYNACK_CLOSED) {
    p->ln->L = L;
    (void)synack_conn_close(p->c, lsynack_now(p->ln));
  }
  return 0;
}

static void set_int(lua_State *L, const char *k, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

static void set_secs(lua_State *L, const char *k, uint64_t us) {
  lua_pushnumber(L, (lua_Number)us / 1e6);
  lua_setfield(L, -2, k);
}

/* "198.18.0.1:80" or "[2001:db8::1]:80" */
static void push_endpoint(lua_State *L, const synack_addr *a, unsigned port) {
  char text[64], both[80];
  synack_addr_format(a, text, sizeof text);
  snprintf(both, sizeof both, a->family == 6 ? "[%s]:%u" : "%s:%u", text, port);
  lua_pushstring(L, both);
}

static void set_endpoint(lua_State *L, const char *k, const synack_addr *a,
                         unsigned port) {
  push_endpoint(L, a, port);
  lua_setfield(L, -2, k);
}

/* c:info() -> a table of the connection's variables (RFC 9293 3.3.1 and more).
 */
static int conn_info(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  struct synack_conn_info i;
  if (!p->c)
    return lsynack_pusherror(L, SYNACK_ENOTCONN);
  synack_conn_info(p->c, &i);
  lua_createtable(L, 0, 40);
  lua_pushstring(L, synack_state_name(i.state));
  lua_setfield(L, -2, "state");
  set_int(L, "iss", i.iss);
  set_int(L, "irs", i.irs);
  set_int(L, "snd_una", i.snd_una);
  set_int(L, "snd_nxt", i.snd_nxt);
  set_int(L, "snd_wnd", i.snd_wnd);
  set_int(L, "rcv_nxt", i.rcv_nxt);
  set_int(L, "rcv_wnd", i.rcv_wnd);
  set_int(L, "mss", i.mss);
  set_int(L, "wscale", i.snd_wscale);
  set_int(L, "snd_wscale", i.snd_wscale);
  set_int(L, "rcv_wscale", i.rcv_wscale);
  lua_pushboolean(L, i.sack_ok);
  lua_setfield(L, -2, "sack");
  lua_pushboolean(L, i.ts_ok);
  lua_setfield(L, -2, "timestamps");
  set_int(L, "cwnd", i.cwnd);
  set_int(L, "ssthresh", i.ssthresh);
  set_secs(L, "srtt", i.srtt_us);
  set_secs(L, "rttvar", i.rttvar_us);
  set_secs(L, "rto", i.rto_us);
  set_int(L, "retransmits", i.retransmits);
  set_int(L, "bytes_sent", (lua_Integer)i.bytes_sent);
  set_int(L, "bytes_received", (lua_Integer)i.bytes_received);
  set_int(L, "bytes_acked", (lua_Integer)i.bytes_acked);
  set_int(L, "send_queued", i.send_queued);
  set_int(L, "recv_queued", i.recv_queued);
  set_int(L, "urgent_queued", i.urgent_queued);
  lua_pushstring(L, i.cc ? "cubic" : "newreno");
  lua_setfield(L, -2, "cc");
  lua_pushboolean(L, i.in_recovery);
  lua_setfield(L, -2, "in_recovery");
  set_int(L, "snd_max", i.snd_max);
  set_int(L, "pipe", i.pipe);
  set_int(L, "dupacks", i.dupacks);
  set_int(L, "fast_recoveries", i.fast_recoveries);
  set_int(L, "timeouts", i.timeouts);
  set_int(L, "sacked_bytes", i.sacked_bytes);
  set_int(L, "sack_blocks", i.sack_blocks);
  set_int(L, "rcv_ooo_blocks", i.rcv_ooo_blocks);
  set_int(L, "lost_retransmits", i.lost_retransmits);
  set_int(L, "ts_recent", i.ts_recent);
  set_int(L, "paws_drops", i.paws_drops);
  set_int(L, "buffer_bytes", i.buffer_bytes);
  lua_pushboolean(L, i.r1_reached);
  lua_setfield(L, -2, "r1_reached");
  set_int(L, "push_queued", i.push_queued);
  if (i.error) {
    lua_pushstring(L, synack_err_name(i.error));
    lua_setfield(L, -2, "error");
  }
  set_endpoint(L, "local", &i.local_addr, i.local_port);
  set_endpoint(L, "remote", &i.remote_addr, i.remote_port);
  lsynack_pushaddr(L, &i.local_addr);
  lua_setfield(L, -2, "local_addr");
  lsynack_pushaddr(L, &i.remote_addr);
  lua_setfield(L, -2, "remote_addr");
  set_int(L, "local_port", i.local_port);
  set_int(L, "remote_port", i.remote_port);
  return 1;
}

/* c:_error() -> "ECONNRESET: connection reset by peer", "ECONNRESET" or
 * nothing. */
static int conn_error(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  struct synack_conn_info i;
  if (!p->c)
    return 0;
  synack_conn_info(p->c, &i);
  if (!i.error)
    return 0;
  lsynack_pusherror(L, i.error);
  lua_remove(L, -3);
  return 2;
}

static int conn_on(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  p->mask = lsynack_hook_add(L);
  if (p->c)
    synack_conn_set_hooks(p->c, (p->mask | p->inherit) & SYNACK_HOOK_ALL);
  lua_settop(L, 1);
  reanchor(L, 1);
  return 1;
}

static int conn_off(lua_State *L) {
  lsynack_conn *p = checkconn(L, 1);
  p->mask = lsynack_hook_remove(L);
  if (p->c)
    synack_conn_set_hooks(p->c, (p->mask | p->inherit) & SYNACK_HOOK_ALL);
  lua_settop(L, 1);
  reanchor(L, 1);
  return 1;
}

static int conn_tostring(lua_State *L) {
  lsynack_conn *p = toconn(L, 1);
  char tuple[128];
  if (!p->c || !p->ln->n) {
    lua_pushliteral(L, "synack.conn (freed)");
    return 1;
  }
  lsynack_conn_tuple(p->c, tuple, sizeof tuple);
  lua_pushfstring(L, "synack.conn %s %s", tuple,
                  synack_state_name(synack_conn_state(p->c)));
  return 1;
}

/* __index: the methods (first: every method call comes here), then fields. */
static int conn_index(lua_State *L) {
  lsynack_conn *p;
  const char *k;
  struct synack_conn_info i;
  lua_settop(L, 2);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1) || lua_type(L, 2) != LUA_TSTRING)
    return 1;
  p = toconn(L, 1);
  k = lua_tostring(L, 2);
  if (strcmp(k, "net") == 0) {
    lsynack_getuv(L, 1, k);
    return 1;
  }
  if (strcmp(k, "host") == 0) {
    lsynack_pushhost(L, p->ln, p->host);
    return 1;
  }
  if (strcmp(k, "state") == 0) {
    lua_pushstring(L, p->c && p->ln->n
                          ? synack_state_name(synack_conn_state(p->c))
                          : "CLOSED");
    return 1;
  }
  if (!p->c || !p->ln->n)
    return 0;
  if (strcmp(k, "local") == 0 || strcmp(k, "remote") == 0) {
    synack_conn_info(p->c, &i);
    if (k[0] == 'l')
      push_endpoint(L, &i.local_addr, i.local_port);
    else
      push_endpoint(L, &i.remote_addr, i.remote_port);
    return 1;
  }
  return 0;
}

static const luaL_Reg conn_methods[] = {
    {"send", conn_send},         {"_recv", conn_recv},  {"close", conn_close},
    {"shutdown", conn_shutdown}, {"abort", conn_abort}, {"info", conn_info},
    {"_error", conn_error},      {"on", conn_on},       {"off", conn_off},
    {"set", conn_set},           {NULL, NULL}};

void lsynack_open_conn(lua_State *L) {
  lsynack_newclass(L, LSYNACK_CONN_MT, conn_methods, conn_index, conn_gc,
                   conn_toclose, conn_tostring);
  lsynack_register_mt(L, LSYNACK_CONN_MT, &conn_mt_key);
  lua_setfield(L, -3, "conn");
  lua_pop(L, 1);
}
