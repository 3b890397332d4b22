/*
 * hook.c: Lua hooks on connections, listeners, hosts and the network.
 *
 * obj:on(event, fn) appends fn to the list of its event in the object's
 * hooks table (its uservalue's `hooks`), where lists are kept by number
 * (lnet.h): a segment finds its lists with lua_rawgeti rather than a lookup
 * by name. The object's mask (one bit per segment kind, plus "state" and
 * "error") tells the core which segments to call back for, so a segment
 * nobody hooks never reaches Lua.
 *
 * For a segment, levels run from the most specific: the connection's own
 * hooks, those it inherited from its listener, the host's, the network's; in
 * each level the hooks for the segment's kind, then the "segment" hooks, in
 * the order they were added. A hook returns nothing (pass), false (drop: the
 * rest are skipped), or a segment (the rest see that one instead); it may also
 * change fields of the segment it got, which is noticed by comparing it with
 * the original after the last hook. An error raised in a hook is reported
 * (lsynack_report) and the segment goes on as if the hook had returned
 * nothing. Hooks must not run the network (lsynack_nothook).
 */
#include <stdlib.h>
#include <string.h>

#include "lnet.h"

/* The events, by their place in a hooks table less one: the six segment
   kinds (tcp.h's SYNACK_KIND_* order), then the rest. */
static const char *const event_names[LSYNACK_HOOKS_ERROR] = {
    "rst", "syn", "synack", "fin", "data", "ack", "segment", "state", "error"};

/* The place in a hooks table of event `name`, or 0 when unknown. */
static int event_index(const char *name, int is_net) {
  int i;
  for (i = 0; i < LSYNACK_HOOKS_ERROR; i++)
    if (strcmp(name, event_names[i]) == 0)
      return i + 1 == LSYNACK_HOOKS_ERROR && !is_net ? 0 : i + 1;
  return 0;
}

/* The mask bits the event at place i stands for. */
static unsigned event_bits(int i) {
  if (i == LSYNACK_HOOKS_SEGMENT)
    return SYNACK_HOOK_ALL;
  if (i == LSYNACK_HOOKS_STATE)
    return LSYNACK_HOOK_STATE;
  if (i == LSYNACK_HOOKS_ERROR)
    return LSYNACK_HOOK_ERROR;
  return 1u << (i - 1);
}

/* The network of any of the binding's userdata at idx (all start with it). */
static lsynack_net *net_of(lua_State *L, int idx, int *is_net) {
  void *p = luaL_testudata(L, idx, LSYNACK_NET_MT);
  *is_net = p != NULL;
  if (p)
    return (lsynack_net *)p;
  if (!(p = luaL_testudata(L, idx, LSYNACK_CONN_MT)) &&
      !(p = luaL_testudata(L, idx, LSYNACK_LISTENER_MT)) &&
      !(p = luaL_testudata(L, idx, LSYNACK_HOST_MT)))
    luaL_argerror(L, idx,
                  "a synack network, host, listener or connection expected");
  return *(lsynack_net **)p;
}

/* The mask of the hooks table at idx. */
static unsigned mask_of(lua_State *L, int idx) {
  unsigned m = 0;
  int i;
  for (i = 1; i <= LSYNACK_HOOKS_ERROR; i++) {
    if (lua_rawgeti(L, idx, i) == LUA_TTABLE && lua_rawlen(L, -1) > 0)
      m |= event_bits(i);
    lua_pop(L, 1);
  }
  return m;
}

unsigned lsynack_hook_add(lua_State *L) {
  int is_net, ev;
  const char *name = luaL_checkstring(L, 2);
  unsigned m;
  net_of(L, 1, &is_net);
  if ((ev = event_index(name, is_net)) == 0) {
    lua_pushfstring(L,
                    "unknown event '%s' (syn, synack, ack, data, fin, rst, "
                    "segment, state%s)",
                    name, is_net ? ", error" : "");
    luaL_argerror(L, 2, lua_tostring(L, -1));
  }
  luaL_checktype(L, 3, LUA_TFUNCTION);
  lsynack_getuv(L, 1, "hooks");
  if (!lua_istable(L, -1)) { /* a connection gets its table on first use */
    lua_pop(L, 1);
    lua_newtable(L);
    lua_getuservalue(L, 1);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "hooks");
    lua_pop(L, 1);
  }
  if (lua_rawgeti(L, -1, ev) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, ev);
  }
  lua_pushvalue(L, 3);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pop(L, 1);
  m = mask_of(L, lua_gettop(L));
  lua_pop(L, 1);
  return m;
}

unsigned lsynack_hook_remove(lua_State *L) {
  int is_net, ev;
  const char *name = luaL_checkstring(L, 2);
  unsigned m;
  lua_settop(L, 3); /* fn, or nil: all of them (what is pushed comes after) */
  net_of(L, 1, &is_net);
  ev = event_index(name, is_net);
  lsynack_getuv(L, 1, "hooks");
  if (!lua_istable(L, -1)) /* never hooked */
    return 0;
  if (!ev)
    lua_pushnil(L); /* an unknown event has no hooks to remove */
  else if (lua_rawgeti(L, -1, ev) == LUA_TTABLE) {
    if (lua_isnoneornil(L, 3)) {
      lua_pushnil(L);
      lua_rawseti(L, -3, ev);
    } else { /* rebuild the list without fn */
      lua_Integer i, j = 0, len = (lua_Integer)lua_rawlen(L, -1);
      lua_newtable(L);
      for (i = 1; i <= len; i++) {
        lua_rawgeti(L, -2, i);
        if (lua_rawequal(L, -1, 3))
          lua_pop(L, 1);
        else
          lua_rawseti(L, -2, ++j);
      }
      lua_rawseti(L, -3, ev);
    }
  }
  lua_pop(L, 1);
  m = mask_of(L, lua_gettop(L));
  lua_pop(L, 1);
  return m;
}

/* Calling Lua safely ------------------------------------------------------ */

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg)
    msg =
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/*
 * Call the function below its nargs arguments with one result; `msgh` is the
 * stack index of traceback(), pushed once by the caller for all its calls. On
 * error the message is reported and nil left as the result. Returns 0 or 1
 * (error).
 */
static int call_hook(lua_State *L, lsynack_net *ln, int nargs, int msgh,
                     const char *what) {
  int rc;
  ln->in_hook++;
  rc = lua_pcall(L, nargs, 1, msgh);
  ln->in_hook--;
  if (rc != 0) {
    lsynack_report(L, ln, what, -1);
    lua_pop(L, 1);
    lua_pushnil(L);
    return 1;
  }
  return 0;
}

/* Segment hooks ---------------------------------------------------------------
 */

static int same_addr(const synack_addr *a, const synack_addr *b) {
  return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

/* Whether a hook changed anything a packet carries. */
static int same_segment(const synack_segment *a, const synack_segment *b) {
  return same_addr(&a->src, &b->src) && same_addr(&a->dst, &b->dst) &&
         a->tos == b->tos && a->ttl == b->ttl && a->ip_id == b->ip_id &&
         a->ip_frag == b->ip_frag && a->flow == b->flow &&
         a->ip_optlen == b->ip_optlen &&
         memcmp(a->ip_opts, b->ip_opts, a->ip_optlen) == 0 &&
         a->sport == b->sport && a->dport == b->dport && a->seq == b->seq &&
         a->ack == b->ack && a->flags == b->flags &&
         a->reserved == b->reserved && a->win == b->win && a->urp == b->urp &&
         a->optlen == b->optlen && memcmp(a->opts, b->opts, a->optlen) == 0 &&
         a->paylen == b->paylen &&
         (a->paylen == 0 || memcmp(a->payload, b->payload, a->paylen) == 0);
}

/* *dst = *src, the payload copied into the network's hook buffer. */
static int copy_back(lsynack_net *ln, synack_segment *dst,
                     const synack_segment *src) {
  if (src->paylen > ln->hookpaycap) {
    uint8_t *p = realloc(ln->hookpay, src->paylen);
    if (!p)
      return -1;
    ln->hookpay = p;
    ln->hookpaycap = src->paylen;
  }
  *dst = *src;
  if (src->paylen)
    memcpy(ln->hookpay, src->payload, src->paylen);
  dst->payload = ln->hookpay;
  return 0;
}

typedef struct seg_call {
  lsynack_net *ln;
  int msgh, conn, seg, dir; /* stack indices */
  int dropped;
} seg_call;

/* Run the list of event ev (its place) of the hooks table at idx. */
static void run_segment_list(lua_State *L, seg_call *sc, int idx, int ev) {
  lua_Integer i, len;
  if (lua_rawgeti(L, idx, ev) != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  len = (lua_Integer)lua_rawlen(L, -1);
  for (i = 1; i <= len && !sc->dropped; i++) {
    int t;
    lua_rawgeti(L, -1, i);
    lua_pushvalue(L, sc->conn);
    lua_pushvalue(L, sc->seg);
    lua_pushvalue(L, sc->dir);
    call_hook(L, sc->ln, 3, sc->msgh, "a segment hook");
    t = lua_type(L, -1);
    if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))
      sc->dropped = 1;
    else if (t == LUA_TUSERDATA && lsynack_tosegment(L, -1))
      lua_replace(L, sc->seg), lua_pushnil(L);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* ev: the segment kind's place in a hooks table. */
static void run_segment_level(lua_State *L, seg_call *sc, int idx, int ev) {
  if (!lua_istable(L, idx) || sc->dropped)
    return;
  run_segment_list(L, sc, idx, ev);
  if (!sc->dropped)
    run_segment_list(L, sc, idx, LSYNACK_HOOKS_SEGMENT);
}

/*
 * Push the hooks tables of every level, most specific first; returns how
 * many. Without a connection, `port` (> 0) names the listener whose hooks
 * apply (a segment arriving for a listener before any connection exists).
 */
static int push_levels(lua_State *L, lsynack_net *ln, uint32_t host,
                       int connidx, int port, unsigned bit) {
  int n = 0;
  if (!lua_isnil(L, connidx)) {
    const lsynack_conn *p = (const lsynack_conn *)lua_touserdata(L, connidx);
    /* a level whose mask lacks the kind has no hook to run: no lookups for it
     */
    if (p->mask & bit)
      lsynack_getuv(L, connidx, "hooks");
    else
      lua_pushnil(L);
    if (p->has_parent)
      lsynack_getuv(L, connidx, "parent");
    else
      lua_pushnil(L);
    n += 2;
    if (host < ln->nhostmask && !(ln->hostmask[host] & bit)) {
      lua_pushnil(L); /* the host's level */
      if (ln->mask & bit)
        lsynack_net_hooks(L, ln);
      else
        lua_pushnil(L);
      return n + 2;
    }
  }
  lsynack_pushhost(L, ln, host);
  if (!lua_isnil(L, -1) && lua_isnil(L, connidx) && port > 0) {
    lsynack_getuv(L, -1, "listeners");
    if (lua_istable(L, -1)) {
      lua_rawgeti(L, -1, port);
      lua_replace(L, -2);
    }
    if (lua_isuserdata(L, -1)) {
      lsynack_getuv(L, -1, "hooks");
      lua_replace(L, -2);
    }
    lua_insert(L, -2); /* the listener's hooks below the host */
    n++;
  }
  if (lua_isnil(L, -1))
    lua_pushnil(L);
  else
    lsynack_getuv(L, -1, "hooks");
  lua_replace(L, -2);
  lsynack_net_hooks(L, ln);
  return n + 2;
}

synack_verdict lsynack_hook_segment(void *ud, synack_net *n, uint32_t host,
                                    synack_conn *c, synack_segment *seg,
                                    synack_dir dir, uint64_t now) {
  lsynack_net *ln = ud;
  lua_State *L = ln->L;
  synack_verdict v = SYNACK_PASS;
  seg_call sc;
  int top, levels, i;
  int k;
  synack_segment *after;
  (void)n;
  (void)now;
  if (!L || !ln->n)
    return SYNACK_PASS;
  if (!lua_checkstack(L, 32))
    return SYNACK_PASS;
  top = lua_gettop(L);
  k = (seg->flags & SYNACK_RST)   ? 0
      : (seg->flags & SYNACK_SYN) ? ((seg->flags & SYNACK_ACK) ? 2 : 1)
      : (seg->flags & SYNACK_FIN) ? 3
      : seg->paylen               ? 4
                                  : 5;
  sc.ln = ln;
  lua_pushcfunction(L, traceback);
  sc.msgh = top + 1;
  if (c)
    lsynack_pushconn(L, ln, c, 0);
  else
    lua_pushnil(L);
  sc.conn = top + 2;
  lsynack_pushsegment(L, seg);
  sc.seg = top + 3;
  if (dir == SYNACK_DIR_IN)
    lua_pushliteral(L, "in");
  else
    lua_pushliteral(L, "out");
  sc.dir = top + 4;
  sc.dropped = 0;
  levels = push_levels(L, ln, host, sc.conn,
                       dir == SYNACK_DIR_IN ? seg->dport : 0, 1u << k);
  for (i = 0; i < levels; i++)
    run_segment_level(L, &sc, top + 5 + i, k + 1);
  if (sc.dropped) {
    v = SYNACK_DROP;
  } else {
    after = lsynack_tosegment(L, sc.seg);
    if (after && !same_segment(after, seg) && copy_back(ln, seg, after) == 0)
      v = SYNACK_CHANGED;
  }
  lua_settop(L, top);
  return v;
}

/* State hooks
 * ------------------------------------------------------------------ */

/* Whether any level has a state hook for c (C only, no Lua). */
static int wants_state(lsynack_net *ln, uint32_t host, synack_conn *c) {
  lsynack_conn *p = synack_conn_get_data(c);
  synack_listener *l;
  if (ln->mask & LSYNACK_HOOK_STATE)
    return 1;
  if (host < ln->nhostmask && (ln->hostmask[host] & LSYNACK_HOOK_STATE))
    return 1;
  if (p && ((p->mask | p->inherit) & LSYNACK_HOOK_STATE))
    return 1;
  l = synack_conn_listener(c);
  if (l) {
    lsynack_listener *pl = synack_listener_get_data(l);
    if (pl && (pl->mask & LSYNACK_HOOK_STATE))
      return 1;
  }
  return 0;
}

static void run_state_list(lua_State *L, lsynack_net *ln, int msgh, int idx,
                           int connidx, synack_state from, synack_state to,
                           int segidx) {
  lua_Integer i, len;
  if (!lua_istable(L, idx))
    return;
  if (lua_rawgeti(L, idx, LSYNACK_HOOKS_STATE) != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  len = (lua_Integer)lua_rawlen(L, -1);
  for (i = 1; i <= len; i++) {
    lua_rawgeti(L, -1, i);
    lua_pushvalue(L, connidx);
    lua_pushstring(L, synack_state_name(from));
    lua_pushstring(L, synack_state_name(to));
    lua_pushvalue(L, segidx);
    call_hook(L, ln, 4, msgh, "a state hook");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

void lsynack_hook_state(lua_State *L, lsynack_net *ln, uint32_t host,
                        synack_conn *c, synack_state from, synack_state to,
                        const synack_segment *seg) {
  int top, levels, i;
  if (!wants_state(ln, host, c) || !lua_checkstack(L, 32))
    return;
  top = lua_gettop(L);
  lua_pushcfunction(L, traceback);
  lsynack_pushconn(L, ln, c, 0);
  if (seg)
    lsynack_pushsegment(L, seg);
  else
    lua_pushnil(L);
  levels = push_levels(L, ln, host, top + 2, 0, LSYNACK_HOOK_STATE);
  for (i = 0; i < levels; i++)
    run_state_list(L, ln, top + 1, top + 4 + i, top + 2, from, to, top + 3);
  lua_settop(L, top);
}
