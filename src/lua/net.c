/*
 * net.c: synack.network{...} and the network userdata: running it (step,
 * run), its trace, its pcap tap, network-level hooks, and the callbacks the
 * core makes (lnet.h describes the object graph).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "lnet.h"
#include "lrealtime.h"

static char objs_key;   /* registry: weak table, C pointer -> userdata */
static char net_mt_key; /* registry: the network metatable */

/* Type checks ------------------------------------------------------------ */

void lsynack_register_mt(lua_State *L, const char *mt, const void *key) {
  luaL_getmetatable(L, mt);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

void *lsynack_testudata(lua_State *L, int idx, const void *key) {
  void *p = lua_touserdata(L, idx);
  int ok;
  if (!p || !lua_getmetatable(L, idx))
    return NULL;
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  ok = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return ok ? p : NULL;
}

void *lsynack_checkudata(lua_State *L, int idx, const void *key,
                         const char *mt) {
  void *p = lsynack_testudata(L, idx, key);
  return p ? p : luaL_checkudata(L, idx, mt); /* raises, as it words it */
}

/* Registry of objects --------------------------------------------------- */

static void push_objs(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &objs_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &objs_key);
  }
}

int lsynack_getobj(lua_State *L, const void *p) {
  int t;
  push_objs(L);
  t = lua_rawgetp(L, -1, p);
  lua_replace(L, -2);
  return t;
}

void lsynack_setobj(lua_State *L, const void *p, int idx) {
  idx = lua_absindex(L, idx);
  push_objs(L);
  lua_pushvalue(L, idx);
  lua_rawsetp(L, -2, p);
  lua_pop(L, 1);
}

void lsynack_getuv(lua_State *L, int idx, const char *name) {
  lua_getuservalue(L, idx);
  if (lua_type(L, -1) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return;
  }
  lua_getfield(L, -1, name);
  lua_replace(L, -2);
}

void lsynack_net_field(lua_State *L, lsynack_net *ln, const char *name) {
  if (lsynack_getobj(L, ln) == LUA_TNIL)
    return; /* nil stays */
  lsynack_getuv(L, -1, name);
  lua_replace(L, -2);
}

void lsynack_net_hooks(lua_State *L, lsynack_net *ln) {
  lsynack_getobj(L, &ln->hooks_key); /* registered by net_new */
}

void lsynack_anchor(lua_State *L, lsynack_net *ln, int idx, int on) {
  idx = lua_absindex(L, idx);
  lsynack_net_field(L, ln, "anchors");
  if (lua_istable(L, -1)) {
    lua_pushvalue(L, idx);
    if (on)
      lua_pushboolean(L, 1);
    else
      lua_pushnil(L);
    lua_rawset(L, -3);
  }
  lua_pop(L, 1);
}

void *lsynack_newobj(lua_State *L, size_t size, const char *mt, lsynack_net *ln,
                     int hostidx) {
  void *p;
  hostidx = hostidx ? lua_absindex(L, hostidx) : 0;
  p = lua_newuserdata(L, size);
  memset(p, 0, size);
  luaL_setmetatable(L, mt);
  lua_createtable(L, 0, 4);
  if (lsynack_getobj(L, ln) == LUA_TNIL)
    luaL_error(L, "synack: network is gone");
  lua_setfield(L, -2, "net");
  if (hostidx) {
    lua_pushvalue(L, hostidx);
    lua_setfield(L, -2, "host");
  }
  lua_newtable(L);
  lua_setfield(L, -2, "hooks");
  lua_setuservalue(L, -2);
  return p;
}

uint64_t lsynack_checktime(lua_State *L, int idx, uint64_t dflt) {
  lua_Number t;
  if (lua_isnoneornil(L, idx))
    return dflt;
  t = luaL_checknumber(L, idx);
  luaL_argcheck(L, t >= 0 && t < 1.8e13, idx, "seconds >= 0 expected");
  return (uint64_t)(t * 1e6 + 0.5);
}

uint8_t *lsynack_netbuf(lsynack_net *ln, size_t n) {
  if (n > ln->bufcap) {
    uint8_t *b = realloc(ln->buf, n);
    if (!b)
      return NULL;
    ln->buf = b;
    ln->bufcap = n;
  }
  return ln->buf;
}

void lsynack_pushaddr(lua_State *L, const synack_addr *a) {
  char text[64];
  synack_addr_format(a, text, sizeof text);
  lua_pushstring(L, text);
}

/* Errors in callbacks ----------------------------------------------------- */

void lsynack_report(lua_State *L, lsynack_net *ln, const char *what,
                    int msgidx) {
  int handled = 0;
  msgidx = lua_absindex(L, msgidx);
  if (ln->mask & LSYNACK_HOOK_ERROR) {
    lsynack_net_hooks(L, ln);
    if (lua_istable(L, -1)) {
      lua_rawgeti(L, -1, LSYNACK_HOOKS_ERROR);
      if (lua_istable(L, -1)) {
        lua_Integer i, len = (lua_Integer)lua_rawlen(L, -1);
        for (i = 1; i <= len; i++) {
          lua_rawgeti(L, -1, i);
          lua_pushvalue(L, msgidx);
          lua_pushstring(L, what);
          if (lua_pcall(L, 2, 0, 0) != 0) {
            fprintf(stderr, "synack: error in on(\"error\") handler: %s\n",
                    lua_tostring(L, -1));
            lua_pop(L, 1);
          }
          handled = 1;
        }
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  if (!handled && !lsynack_rt_report(L, ln, what, msgidx)) {
    const char *msg = lua_tostring(L, msgidx);
    fprintf(stderr, "synack: error in %s: %s\n", what,
            msg ? msg : "(error object)");
    fflush(stderr);
  }
}

void lsynack_nothook(lua_State *L, lsynack_net *ln, const char *what) {
  if (ln->in_hook)
    luaL_error(L,
               "synack: %s cannot be called from inside a hook or callback "
               "(hooks must not run or change the network re-entrantly)",
               what);
}

static lsynack_net *tonet(lua_State *L, int idx) {
  return (lsynack_net *)lsynack_checkudata(L, idx, &net_mt_key, LSYNACK_NET_MT);
}

/* Callbacks from the core ------------------------------------------------- */

static void on_state(void *ud, synack_net *n, uint32_t host, synack_conn *c,
                     synack_state from, synack_state to,
                     const synack_segment *seg, uint64_t now) {
  lsynack_net *ln = ud;
  lua_State *L = ln->L;
  (void)n;
  (void)now;
  ln->woken = 1;
  if (!ln->n || !L)
    return; /* being freed */
  if (to == SYNACK_CLOSED)
    lsynack_conn_closed(L, ln, c);
  lsynack_hook_state(L, ln, host, c, from, to, seg);
}

static void on_notify(void *ud, synack_net *n, uint32_t host, synack_conn *c,
                      synack_listener *l, unsigned notices, uint64_t now) {
  lsynack_net *ln = ud;
  (void)n;
  (void)host;
  (void)l;
  (void)now;
  ln->woken = 1;
  if ((notices & SYNACK_NOTICE_FREED) && c)
    lsynack_conn_freed(c);
}

/* A packet on link `link`: to the network's capture and to the link's. */
static void on_tap(void *ud, synack_net *n, uint32_t link, const uint8_t *pkt,
                   size_t len, uint64_t now) {
  lsynack_net *ln = ud;
  uint64_t t = now + lsynack_rt_epoch(ln);
  (void)n;
  if (ln->cap)
    synack_capture_write(ln->cap, pkt, len, t);
  if (link < ln->nlinkcap && ln->linkcap[link])
    synack_capture_write(ln->linkcap[link], pkt, len, t);
}

/* The network userdata ---------------------------------------------------- */

lsynack_net *lsynack_checknet(lua_State *L, int idx) {
  lsynack_net *ln = tonet(L, idx);
  if (!ln->n)
    luaL_error(L, "synack: the network is closed");
  return ln;
}

/*
 * Read synack.network{clock =, seed =, trace =, wait_limit =}; *trace and
 * *wait_limit are -1 when not given, *wait_limit 0 for false (no limit).
 */
static void read_net_opts(lua_State *L, uint64_t *seed, int *trace,
                          double *wait_limit) {
  *seed = 1;
  *trace = -1;
  *wait_limit = -1;
  if (lua_isnoneornil(L, 1))
    return;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    if (strcmp(k, "clock") == 0) {
      const char *clock = lua_tostring(L, -1);
      if (!clock || (strcmp(clock, "virtual") && strcmp(clock, "real")))
        luaL_argerror(L, 1, "field 'clock' must be \"virtual\" or \"real\"");
    } else if (strcmp(k, "seed") == 0) {
      lua_Number x = lua_tonumber(L, -1);
      /* an integer that fits (a float-to-integer overflow would be UB) */
      if (lua_type(L, -1) != LUA_TNUMBER || !(x >= -9.2e18 && x <= 9.2e18) ||
          x != (lua_Number)(int64_t)x)
        luaL_argerror(L, 1, "field 'seed' must be an integer");
      *seed = lua_isinteger(L, -1) ? (uint64_t)lua_tointeger(L, -1)
                                   : (uint64_t)(int64_t)x;
    } else if (strcmp(k, "trace") == 0) {
      *trace = lua_toboolean(L, -1);
    } else if (strcmp(k, "wait_limit") == 0) {
      lua_Number x = lua_tonumber(L, -1);
      if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1))
        *wait_limit = 0;
      else if (lua_type(L, -1) == LUA_TNUMBER && x > 0 && x < 1e12)
        *wait_limit = (double)x;
      else
        luaL_argerror(L, 1, "field 'wait_limit' must be seconds > 0 or false");
    } else {
      lua_pushfstring(L, "unknown field '%s'", k);
      luaL_argerror(L, 1, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
}

/*
 * synack.network{clock = "virtual", seed = 1, trace = (not real),
 *                wait_limit = (real: false, virtual: one day)}
 */
static int net_new(lua_State *L) {
  synack_net_callbacks cb;
  lsynack_net *ln;
  uint64_t seed;
  double wait_limit;
  int trace, real, rc;
  read_net_opts(L, &seed, &trace, &wait_limit);
  real = lsynack_rt_wanted(L, 1); /* before the userdata: see lrealtime.h */
  if (trace < 0)
    trace = !real; /* a real network may run for days: no trace unless asked */
  /* A blocking call without a timeout on a virtual network that never goes
   * idle (keepalive, zero-window probes) would run virtual time for ever;
   * in real time waiting for ever is what a blocking socket does. */
  if (wait_limit < 0)
    wait_limit = real ? 0 : LSYNACK_WAIT_LIMIT;
  ln = (lsynack_net *)lua_newuserdata(L, sizeof *ln);
  memset(ln, 0, sizeof *ln);
  luaL_setmetatable(L, LSYNACK_NET_MT);
  memset(&cb, 0, sizeof cb);
  cb.hook = lsynack_hook_segment;
  cb.state = on_state;
  cb.notify = on_notify;
  cb.tap = on_tap;
  ln->n = synack_net_new(seed, &cb, ln);
  if (!ln->n)
    return lsynack_pusherror(L, SYNACK_ENOMEM);
  synack_net_set_tracing(ln->n, trace);
  ln->L = L;
  lua_createtable(L, 0, 6);
  lua_newtable(L);
  lua_setfield(L, -2, "hosts");
  lua_newtable(L);
  lua_setfield(L, -2, "wires");
  lua_newtable(L);
  lua_setfield(L, -2, "anchors");
  lua_newtable(L);
  lsynack_setobj(L, &ln->hooks_key, -1); /* (weakly: the uservalue holds it) */
  lua_setfield(L, -2, "hooks");
  lua_newtable(L);
  lua_setfield(L, -2, "trace");
  lua_newtable(L); /* for the Lua side (lua/synack): tasks and the like */
  if (wait_limit > 0) {
    lua_pushnumber(L, (lua_Number)wait_limit);
    lua_setfield(L, -2, "wait_limit");
  }
  lua_setfield(L, -2, "lua");
  lua_setuservalue(L, -2);
  lsynack_setobj(L, ln, -1);
  if (real && (rc = lsynack_rt_open(L, ln, -1)) != 0) {
    synack_net_free(ln->n);
    ln->n = NULL;
    return rc;
  }
  return 1;
}

static void net_free(lua_State *L, lsynack_net *ln) {
  if (ln->n) {
    ln->L = NULL; /* callbacks during the free must not run Lua */
    synack_net_free(ln->n);
    ln->n = NULL;
  }
  synack_capture_close(ln->cap);
  ln->cap = NULL;
  while (ln->nlinkcap > 0)
    synack_capture_close(ln->linkcap[--ln->nlinkcap]);
  free(ln->linkcap);
  ln->linkcap = NULL;
  free(ln->buf);
  ln->buf = NULL;
  ln->bufcap = 0;
  free(ln->hookpay);
  ln->hookpay = NULL;
  ln->hookpaycap = 0;
  free(ln->hostmask);
  ln->hostmask = NULL;
  ln->nhostmask = 0;
  (void)L;
}

static int net_gc(lua_State *L) {
  lsynack_net *ln = tonet(L, 1);
  if (ln->n)
    lsynack_rt_close(L, 1, 1);
  net_free(L, ln);
  return 0;
}

/* net:close(): free everything now; every object of the network is dead after.
 */
static int net_close(lua_State *L) {
  lsynack_net *ln = tonet(L, 1);
  if (ln->n) {
    lsynack_nothook(L, ln, "net:close");
    lsynack_rt_close(L, 1, 0);
  }
  net_free(L, ln);
  return 0;
}

static int net_tostring(lua_State *L) {
  lsynack_net *ln = tonet(L, 1);
  if (!ln->n) {
    lua_pushliteral(L, "synack.network (closed)");
    return 1;
  }
  lua_pushfstring(L, "synack.network %s %f s, %d hosts",
                  lsynack_rt_get(L, 1) ? "real" : "virtual",
                  (double)synack_net_now(ln->n) / 1e6,
                  (int)synack_net_host_count(ln->n));
  return 1;
}

static void push_step_event(lua_State *L, lsynack_net *ln, size_t idx) {
  if (idx == SIZE_MAX) {
    ln->woken = 1;
    lsynack_pushalarm(L, ln);
  } else {
    lsynack_pushevent(L, ln, idx);
  }
}

/*
 * In real time, a step waits for the next event (lsynack_rt_stepq); the
 * event it returns is the first one recorded meanwhile.
 */
static int real_step(lua_State *L, lsynack_net *ln, lsynack_rt *rt) {
  size_t before = synack_net_trace_base(ln->n) + synack_net_trace_len(ln->n);
  size_t base, len;
  lsynack_rt_wait_event(L, rt); /* as long as it takes, not run_until's 50 ms */
  if (!lua_toboolean(L, -1))
    return 0;
  base = synack_net_trace_base(ln->n);
  len = synack_net_trace_len(ln->n);
  if (before < base)
    before = base;            /* tracing off: the trace restarted */
  if (before - base >= len) { /* nothing recorded: a wake-up */
    lsynack_pushalarm(L, ln);
    return 1;
  }
  lsynack_pushevent(L, ln, before - base);
  return 1;
}

/* net:step() -> the event it processed, or nil when nothing is pending. */
static int net_step(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  size_t idx = SIZE_MAX;
  lsynack_rt *rt;
  lsynack_nothook(L, ln, "net:step");
  ln->L = L;
  if ((rt = ln->rt) != NULL)
    return real_step(L, ln, rt);
  if (!synack_net_step(ln->n, &idx))
    return 0;
  push_step_event(L, ln, idx);
  return 1;
}

/* net:_stepq() -> true if it processed an event (no event table). */
static int net_stepq(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  size_t idx = SIZE_MAX;
  int r;
  lsynack_rt *rt;
  lsynack_nothook(L, ln, "net:step");
  ln->L = L;
  if ((rt = ln->rt) != NULL)
    return lsynack_rt_stepq(L, rt);
  r = synack_net_step(ln->n, &idx);
  if (r && idx == SIZE_MAX)
    ln->woken = 1;
  lua_pushboolean(L, r);
  return 1;
}

/*
 * net:_run([limit_seconds [, stop_on_wake]]) -> "idle" | "limit" | "woken".
 * Steps until nothing is pending (the clock stays at the last event), or the
 * next event is past the limit (then the clock moves to the limit), or
 * (stop_on_wake) something happened that a waiting coroutine may care about.
 */
static int net_run_raw(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  int has_limit = !lua_isnoneornil(L, 2);
  uint64_t limit = lsynack_checktime(L, 2, SYNACK_NEVER);
  int stop_on_wake = lua_toboolean(L, 3);
  lsynack_rt *rt;
  lsynack_nothook(L, ln, "net:run");
  ln->L = L;
  if ((rt = ln->rt) != NULL)
    return lsynack_rt_run(L, rt);
  if (stop_on_wake)
    ln->woken = 0;
  for (;;) {
    uint64_t d = synack_net_next_deadline(ln->n);
    size_t idx;
    if (d == SYNACK_NEVER) {
      lua_pushliteral(L, "idle");
      return 1;
    }
    if (has_limit && d > limit) {
      synack_net_set_now(ln->n, limit);
      lua_pushliteral(L, "limit");
      return 1;
    }
    ln->L = L;
    if (synack_net_step(ln->n, &idx) && idx == SIZE_MAX)
      ln->woken = 1;
    if (stop_on_wake && ln->woken) {
      lua_pushliteral(L, "woken");
      return 1;
    }
  }
}

/* net:_woken() -> whether something happened since last asked; clears it. */
static int net_woken(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  lua_pushboolean(L, ln->woken);
  ln->woken = 0;
  return 1;
}

/* net:_alarm(t_seconds): queue a wake-up at absolute time t. */
static int net_alarm(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  synack_net_alarm(ln->n, lsynack_checktime(L, 2, 0));
  return 0;
}

/* net:_setnow(t_seconds): move the clock forward (never back). */
static int net_setnow(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  lsynack_rt *rt = ln->rt;
  if (rt)
    return lsynack_rt_setnow(L, rt);
  synack_net_set_now(ln->n, lsynack_checktime(L, 2, 0));
  return 0;
}

/* net:_deadline() -> seconds of the next event, or nil. */
static int net_deadline(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  uint64_t d = synack_net_next_deadline(ln->n);
  if (d == SYNACK_NEVER)
    return 0;
  lua_pushnumber(L, (lua_Number)d / 1e6);
  return 1;
}

/* net:_in_hook() -> true while a hook or callback of this network runs. */
static int net_in_hook(lua_State *L) {
  lsynack_net *ln = tonet(L, 1);
  lua_pushboolean(L, ln->in_hook > 0);
  return 1;
}

/* net:_lua() -> a table the Lua side keeps per network. */
static int net_lua(lua_State *L) {
  tonet(L, 1);
  lsynack_getuv(L, 1, "lua");
  return 1;
}

/*
 * net:trace() -> the list of events so far. Tables are built once, on first
 * ask, and kept; with trace = false it is the events of the last step.
 */
static int net_trace(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  size_t i, len = synack_net_trace_len(ln->n);
  size_t base = synack_net_trace_base(ln->n);
  lsynack_getuv(L, 1, "trace");
  if (base > 0) { /* not kept: build the window afresh */
    lua_createtable(L, (int)len, 0);
    for (i = 0; i < len; i++) {
      lsynack_pushevent(L, ln, i);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
  }
  for (i = (size_t)luaL_len(L, -1); i < len; i++) {
    lsynack_pushevent(L, ln, i);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  /* a copy, so that a script may change its list freely */
  lua_createtable(L, (int)len, 0);
  for (i = 1; i <= len; i++) {
    lua_rawgeti(L, -2, (lua_Integer)i);
    lua_rawseti(L, -2, (lua_Integer)i);
  }
  return 1;
}

/* net:_trace_len() -> how many events the trace holds. */
static int net_trace_len(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  lua_pushinteger(L, (lua_Integer)synack_net_trace_len(ln->n));
  return 1;
}

/* The tap is on while a capture of the network or of any link is open. */
static void sync_tap(lsynack_net *ln) {
  int on = ln->cap != NULL;
  size_t i;
  for (i = 0; !on && i < ln->nlinkcap; i++)
    on = ln->linkcap[i] != NULL;
  synack_net_set_tap(ln->n, on);
}

int lsynack_net_capture(lua_State *L, lsynack_net *ln, const synack_link *link,
                        int arg) {
  const char *path = lua_isnoneornil(L, arg) ? NULL : lsynack_checkpath(L, arg);
  synack_capture **slot = &ln->cap;
  int err = 0;
  if (link && link->index >= ln->nlinkcap) {
    size_t n = synack_net_link_count(ln->n);
    synack_capture **caps;
    if (!path) { /* nothing open on that link */
      lua_pushboolean(L, 1);
      return 1;
    }
    caps = realloc(ln->linkcap, n * sizeof *caps);
    if (!caps)
      return lsynack_pusherror(L, SYNACK_ENOMEM);
    memset(caps + ln->nlinkcap, 0, (n - ln->nlinkcap) * sizeof *caps);
    ln->linkcap = caps;
    ln->nlinkcap = n;
  }
  if (link)
    slot = &ln->linkcap[link->index];
  /* closed first: the same path may be opened again (truncated) */
  synack_capture_close(*slot);
  *slot = path ? synack_capture_open(path, &err) : NULL;
  sync_tap(ln);
  if (path && !*slot) {
    if (err > SYNACK__ERR_BASE) {
      lua_pushnil(L);
      lua_pushfstring(L, "EIO: %s: %s", path, strerror(-err));
      lua_pushliteral(L, "EIO");
      return 3;
    }
    return lsynack_pusherror(L, err);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* net:capture(path) -> true | nil, err, code; net:capture() stops. */
static int net_capture(lua_State *L) {
  return lsynack_net_capture(L, lsynack_checknet(L, 1), NULL, 2);
}

/* net:app(text [, host]): record an "app" event (for scripts' own notes). */
static int net_app(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  const char *text = luaL_checkstring(L, 2);
  uint32_t host = SYNACK_NOHOST;
  if (!lua_isnoneornil(L, 3))
    host = lsynack_checkhost(L, 3)->index;
  synack_net_record_app(ln->n, host, text);
  return 0;
}

void lsynack_net_sync_masks(lua_State *L, lsynack_net *ln) {
  size_t i, nh = synack_net_host_count(ln->n);
  if (nh > ln->nhostmask) {
    unsigned *hm = realloc(ln->hostmask, nh * sizeof *hm);
    if (!hm)
      luaL_error(L, "synack: out of memory");
    memset(hm + ln->nhostmask, 0, (nh - ln->nhostmask) * sizeof *hm);
    ln->hostmask = hm;
    ln->nhostmask = nh;
  }
  for (i = 0; i < nh; i++) {
    unsigned m = 0;
    lsynack_net_field(L, ln, "hosts");
    if (lua_istable(L, -1)) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      if (lua_isuserdata(L, -1))
        m = ((lsynack_host *)lua_touserdata(L, -1))->mask;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    ln->hostmask[i] = m;
    m = (m | ln->mask) & SYNACK_HOOK_ALL;
    if (synack_net_host_raw(ln->n, (uint32_t)i))
      synack_net_set_raw_hooks(ln->n, (uint32_t)i, m);
    else
      synack_host_set_hooks(synack_net_tcp(ln->n, (uint32_t)i), m);
  }
}

/* net:on(event, fn) / net:off(event [, fn]) */
static int net_on(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  ln->mask = lsynack_hook_add(L);
  lsynack_net_sync_masks(L, ln);
  lua_settop(L, 1);
  return 1;
}

static int net_off(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  ln->mask = lsynack_hook_remove(L);
  lsynack_net_sync_masks(L, ln);
  lua_settop(L, 1);
  return 1;
}

/* net:_report(msg [, what]): report an error the way hook errors are reported.
 */
static int net_report(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  luaL_checkany(L, 2);
  lsynack_report(L, ln, luaL_optstring(L, 3, "a task"), 2);
  return 0;
}

/* net:hosts() -> the list of hosts, in the order they were added. */
static int net_hosts(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  size_t i, nh = synack_net_host_count(ln->n);
  lua_createtable(L, (int)nh, 0);
  for (i = 0; i < nh; i++) {
    lsynack_pushhost(L, ln, (uint32_t)i);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

int lsynack_net_host(lua_State *L); /* host.c */

static const luaL_Reg net_methods[] = {{"wire", lsynack_net_wire},
                                       {"host", lsynack_net_host},
                                       {"step", net_step},
                                       {"_stepq", net_stepq},
                                       {"_run", net_run_raw},
                                       {"_woken", net_woken},
                                       {"_alarm", net_alarm},
                                       {"_setnow", net_setnow},
                                       {"_deadline", net_deadline},
                                       {"_in_hook", net_in_hook},
                                       {"_lua", net_lua},
                                       {"trace", net_trace},
                                       {"_trace_len", net_trace_len},
                                       {"capture", net_capture},
                                       {"app", net_app},
                                       {"on", net_on},
                                       {"off", net_off},
                                       {"hosts", net_hosts},
                                       {"close", net_close},
                                       {"_report", net_report},
                                       {NULL, NULL}};

/* __index: methods first, then the fields `now`, `seed`-less properties. */
static int net_index(lua_State *L) {
  lsynack_net *ln;
  const char *k;
  lua_settop(L, 2);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1) || lua_type(L, 2) != LUA_TSTRING)
    return 1;
  ln = tonet(L, 1);
  k = lua_tostring(L, 2);
  if (strcmp(k, "now") == 0) {
    if (!ln->n)
      return 0;
    lsynack_rt_sync(ln->rt); /* real time: read the clock */
    lua_pushnumber(L, (lua_Number)synack_net_now(ln->n) / 1e6);
    return 1;
  }
  if (strcmp(k, "closed") == 0) {
    lua_pushboolean(L, ln->n == NULL);
    return 1;
  }
  if (strcmp(k, "wait_limit") == 0) { /* seconds, or false */
    lua_getuservalue(L, 1);
    lua_getfield(L, -1, "lua");
    lua_getfield(L, -1, "wait_limit");
    if (lua_isnil(L, -1))
      lua_pushboolean(L, 0);
    return 1;
  }
  return 0;
}

/* Make metatable `mt` with __index = index(methods as upvalue); leaves the
 * methods table on the stack. */
static void net_metatable(lua_State *L) {
  lsynack_newclass(L, LSYNACK_NET_MT, net_methods, net_index, net_gc, net_close,
                   net_tostring);
  lsynack_register_mt(L, LSYNACK_NET_MT, &net_mt_key);
}

void lsynack_open_net(lua_State *L) {
  /* the table of method tables Lua code extends: core._methods.net, ... */
  lua_newtable(L);
  net_metatable(L);
  lsynack_open_realtime(L); /* net:udp, net:tun, net:stop, net:_real */
  lua_setfield(L, -3, "net");
  lua_pop(L, 1);
  lsynack_open_host(L);
  lsynack_open_conn(L);
  lsynack_open_listener(L);
  lsynack_open_wire(L);
  lsynack_open_event(L);
  lua_setfield(L, -2, "_methods");
  lua_pushcfunction(L, net_new);
  lua_setfield(L, -2, "network");
  lsynack_open_realtime_core(L);
}
