/*
 * host.c: net:host{...} and the host userdata: listen, connect, inject,
 * hooks; and the reading of connection options shared with listen.
 */
#include <stdio.h>
#include <string.h>

#include "lnet.h"

lsynack_host *lsynack_checkhost(lua_State *L, int idx) {
  lsynack_host *h = (lsynack_host *)luaL_checkudata(L, idx, LSYNACK_HOST_MT);
  if (!h->ln->n)
    luaL_error(L, "synack: the network is closed");
  return h;
}

void lsynack_pushhost(lua_State *L, lsynack_net *ln, uint32_t index) {
  lsynack_net_field(L, ln, "hosts");
  if (lua_istable(L, -1))
    lua_rawgeti(L, -1, (lua_Integer)index + 1);
  else
    lua_pushnil(L);
  lua_remove(L, -2);
}

/* Options ----------------------------------------------------------------- */

static void opt_error(lua_State *L, int arg, const char *key,
                      const char *want) {
  lua_pushfstring(L, "option '%s' must be %s", key, want);
  luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* The integer at -1 in [lo, hi], or an argument error naming the option. */
static lua_Integer opt_int(lua_State *L, int arg, const char *key,
                           lua_Integer lo, lua_Integer hi) {
  lua_Number x;
  if (lua_type(L, -1) != LUA_TNUMBER)
    opt_error(L, arg, key, "an integer");
  x = lua_tonumber(L, -1);
  if (!(x >= (lua_Number)lo && x <= (lua_Number)hi) ||
      x != (lua_Number)(lua_Integer)x) {
    char want[64];
    snprintf(want, sizeof want, "an integer in %lld..%lld", (long long)lo,
             (long long)hi);
    opt_error(L, arg, key, want);
  }
  return (lua_Integer)x;
}

static int opt_bool(lua_State *L, int arg, const char *key) {
  if (lua_type(L, -1) != LUA_TBOOLEAN)
    opt_error(L, arg, key, "a boolean");
  return lua_toboolean(L, -1);
}

/* Seconds at -1 (false: 0, true: dflt) into microseconds. */
static uint64_t opt_secs(lua_State *L, int arg, const char *key,
                         uint64_t dflt) {
  lua_Number x;
  if (lua_type(L, -1) == LUA_TBOOLEAN)
    return lua_toboolean(L, -1) ? dflt : 0;
  if (lua_type(L, -1) != LUA_TNUMBER)
    opt_error(L, arg, key, "seconds or a boolean");
  x = lua_tonumber(L, -1);
  if (!(x >= 0 && x < 1.8e13))
    opt_error(L, arg, key, "seconds >= 0");
  return (uint64_t)(x * 1e6 + 0.5);
}

/* One option `key` with its value at -1. Returns 0 when the key is unknown. */
static int read_opt(lua_State *L, int arg, const char *key,
                    synack_conn_opts *o) {
  if (strcmp(key, "isn") == 0) {
    o->isn = (uint32_t)opt_int(L, arg, key, 0, (lua_Integer)4294967295LL);
    o->set |= SYNACK_OPT_SET_ISN;
  } else if (strcmp(key, "port") == 0) {
    o->port = (uint16_t)opt_int(L, arg, key, 1, 65535);
    o->set |= SYNACK_OPT_SET_PORT;
  } else if (strcmp(key, "mss") == 0) {
    o->mss = (uint16_t)opt_int(L, arg, key, 1, 65535);
    o->set |= SYNACK_OPT_SET_MSS;
  } else if (strcmp(key, "wscale") == 0) {
    o->wscale =
        (int8_t)(lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)
                     ? -1
                     : opt_int(L, arg, key, 0, 14));
    o->set |= SYNACK_OPT_SET_WSCALE;
  } else if (strcmp(key, "sack") == 0) {
    o->sack = (uint8_t)opt_bool(L, arg, key);
    o->set |= SYNACK_OPT_SET_SACK;
  } else if (strcmp(key, "timestamps") == 0) {
    o->timestamps = (uint8_t)opt_bool(L, arg, key);
    o->set |= SYNACK_OPT_SET_TIMESTAMPS;
  } else if (strcmp(key, "nagle") == 0) {
    o->nagle = (uint8_t)opt_bool(L, arg, key);
    o->set |= SYNACK_OPT_SET_NAGLE;
  } else if (strcmp(key, "delayed_ack") == 0) {
    o->delayed_ack = (uint8_t)opt_bool(L, arg, key);
    o->set |= SYNACK_OPT_SET_DELAYED_ACK;
  } else if (strcmp(key, "sndbuf") == 0) {
    o->sndbuf = (uint32_t)opt_int(L, arg, key, 1, 1073741824);
    o->set |= SYNACK_OPT_SET_SNDBUF;
  } else if (strcmp(key, "rcvbuf") == 0) {
    o->rcvbuf = (uint32_t)opt_int(L, arg, key, 1, 1073741824);
    o->set |= SYNACK_OPT_SET_RCVBUF;
  } else if (strcmp(key, "keepalive") == 0) {
    o->keepalive_us = opt_secs(L, arg, key, (uint64_t)7200 * 1000000);
    o->set |= SYNACK_OPT_SET_KEEPALIVE;
  } else if (strcmp(key, "user_timeout") == 0) {
    o->user_timeout_us = opt_secs(L, arg, key, 0);
    o->set |= SYNACK_OPT_SET_USER_TIMEOUT;
  } else if (strcmp(key, "ttl") == 0) {
    o->ttl = (uint8_t)opt_int(L, arg, key, 1, 255);
    o->set |= SYNACK_OPT_SET_TTL;
  } else if (strcmp(key, "tos") == 0) {
    o->tos = (uint8_t)opt_int(L, arg, key, 0, 255);
    o->set |= SYNACK_OPT_SET_TOS;
  } else if (strcmp(key, "cc") == 0) {
    const char *cc = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING ||
        (strcmp(cc, "newreno") != 0 && strcmp(cc, "cubic") != 0))
      opt_error(L, arg, key, "\"newreno\" or \"cubic\"");
    o->cc = strcmp(cc, "cubic") == 0 ? 1 : 0;
    o->set |= SYNACK_OPT_SET_CC;
  } else {
    return 0;
  }
  return 1;
}

void lsynack_checkopts(lua_State *L, int idx, synack_conn_opts *o,
                       int *backlog) {
  memset(o, 0, sizeof *o);
  if (lua_isnoneornil(L, idx))
    return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    const char *key =
        lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    if (key && backlog && strcmp(key, "backlog") == 0) {
      *backlog = (int)opt_int(L, idx, key, 1, 65535);
    } else if (!key || !read_opt(L, idx, key, o)) {
      lua_pushfstring(L, "unknown option '%s'",
                      key ? key : luaL_typename(L, -2));
      luaL_argerror(L, idx, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
}

/* net:host{...} ------------------------------------------------------------ */

/* Host configuration fields beyond addr/link/raw, in seconds or counts. */
static int read_host_cfg(lua_State *L, const char *key, synack_host_config *c) {
  if (strcmp(key, "mtu") == 0)
    c->mtu = (uint32_t)opt_int(L, 1, key, 68, 65535);
  else if (strcmp(key, "msl") == 0)
    c->msl_us = opt_secs(L, 1, key, c->msl_us);
  else if (strcmp(key, "rto_init") == 0)
    c->rto_init_us = opt_secs(L, 1, key, c->rto_init_us);
  else if (strcmp(key, "rto_min") == 0)
    c->rto_min_us = opt_secs(L, 1, key, c->rto_min_us);
  else if (strcmp(key, "rto_max") == 0)
    c->rto_max_us = opt_secs(L, 1, key, c->rto_max_us);
  else if (strcmp(key, "delack") == 0)
    c->delack_us = opt_secs(L, 1, key, c->delack_us);
  else if (strcmp(key, "syn_retries") == 0)
    c->syn_retries = (uint32_t)opt_int(L, 1, key, 0, 255);
  else if (strcmp(key, "data_retries") == 0)
    c->data_retries = (uint32_t)opt_int(L, 1, key, 0, 255);
  else if (strcmp(key, "r1_retries") == 0)
    c->r1_retries = (uint32_t)opt_int(L, 1, key, 0, 255);
  else
    return 0;
  return 1;
}

/* net:host{addr = "198.18.0.1", link = wire, raw = false, mtu =, msl =, ...} */
int lsynack_net_host(lua_State *L);
int lsynack_net_host(lua_State *L) {
  lsynack_net *ln = lsynack_checknet(L, 1);
  synack_host_config cfg;
  synack_addr addr;
  synack_link *link = NULL;
  lsynack_host *h;
  uint32_t index;
  int raw = 0, rc, custom = 0, linkidx = 0;
  const char *text = NULL;
  size_t i;
  luaL_checktype(L, 2, LUA_TTABLE);
  lsynack_nothook(L, ln, "net:host");
  synack_host_config_init(&cfg);
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    const char *key =
        lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    if (strcmp(key, "addr") == 0) {
      text = lua_tostring(L, -1);
      if (lua_type(L, -1) != LUA_TSTRING || synack_addr_parse(text, &addr) != 0)
        luaL_argerror(L, 2, "field 'addr' must be an IPv4 or IPv6 address");
    } else if (strcmp(key, "link") == 0) {
      link = lsynack_testlink(L, lua_gettop(L));
      if (!link)
        luaL_argerror(L, 2, "field 'link' must be a link (net:wire{...})");
      linkidx = 1;
    } else if (strcmp(key, "raw") == 0) {
      raw = opt_bool(L, 2, key);
    } else if (read_host_cfg(L, key, &cfg)) {
      custom = 1;
    } else {
      lua_pushfstring(L, "unknown field '%s'", key);
      luaL_argerror(L, 2, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
  if (!text)
    luaL_argerror(L, 2, "field 'addr' is required");
  if (!linkidx)
    luaL_argerror(L, 2, "field 'link' is required (a net:wire{})");
  if (link->net != ln->n)
    luaL_argerror(L, 2, "field 'link' belongs to another network");
  if (custom)
    for (i = 0; i < sizeof cfg.isn_secret; i++)
      cfg.isn_secret[i] = (uint8_t)synack_prng_next(synack_net_prng(ln->n));
  rc = synack_net_add_host(ln->n, &addr, link, raw, custom ? &cfg : NULL,
                           &index);
  if (rc)
    return lsynack_pusherror(L, rc);
  h = (lsynack_host *)lsynack_newobj(L, sizeof *h, LSYNACK_HOST_MT, ln, 0);
  h->ln = ln;
  h->index = index;
  lsynack_net_field(L, ln, "hosts");
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, (lua_Integer)index + 1);
  lua_pop(L, 1);
  lsynack_net_sync_masks(L, ln);
  return 1;
}

/* host methods ---------------------------------------------------------------
 */

/* host:listen(port [, opts]) -> listener | nil, err, code */
int lsynack_host_listen(lua_State *L); /* listener.c */

/* host:connect(addr, port [, opts]) -> conn (in SYN-SENT) | nil, err, code */
static int host_connect(lua_State *L) {
  lsynack_host *h = lsynack_checkhost(L, 1);
  lsynack_net *ln = h->ln;
  const char *text = luaL_checkstring(L, 2);
  lua_Integer port = luaL_checkinteger(L, 3);
  synack_host *tcp = synack_net_tcp(ln->n, h->index);
  synack_conn_opts o;
  synack_addr dst;
  synack_conn *c;
  char note[96];
  int err = 0;
  if (synack_addr_parse(text, &dst) != 0)
    luaL_argerror(L, 2, "an IPv4 or IPv6 address expected");
  luaL_argcheck(L, port >= 1 && port <= 65535, 3, "port in 1..65535 expected");
  lsynack_checkopts(L, 4, &o, NULL);
  lsynack_nothook(L, ln, "host:connect");
  if (!tcp)
    luaL_error(L, "synack: host:connect on a raw host (it has no TCP)");
  ln->L = L;
  snprintf(note, sizeof note,
           dst.family == 6 ? "connect [%s]:%d" : "connect %s:%d", text,
           (int)port);
  synack_net_record_app(ln->n, h->index, note);
  c = synack_host_connect(tcp, &dst, (uint16_t)port, &o, lsynack_now(ln), &err);
  if (!c)
    return lsynack_pusherror(L, err ? err : SYNACK_ENOMEM);
  lsynack_pushconn(L, ln, c, 1);
  return 1;
}

/* host:inject(seg) -> true | nil, err, code: put seg on the link as it is. */
static int host_inject(lua_State *L) {
  lsynack_host *h = lsynack_checkhost(L, 1);
  synack_segment *seg = lsynack_checksegment(L, 2);
  int rc;
  lsynack_nothook(L, h->ln, "host:inject");
  h->ln->L = L;
  rc = synack_net_inject(h->ln->n, h->index, seg);
  if (rc)
    return lsynack_pusherror(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int host_on(lua_State *L) {
  lsynack_host *h = lsynack_checkhost(L, 1);
  h->mask = lsynack_hook_add(L);
  lsynack_net_sync_masks(L, h->ln);
  lua_settop(L, 1);
  return 1;
}

static int host_off(lua_State *L) {
  lsynack_host *h = lsynack_checkhost(L, 1);
  h->mask = lsynack_hook_remove(L);
  lsynack_net_sync_masks(L, h->ln);
  lua_settop(L, 1);
  return 1;
}

/* host:count() -> how many connections the host holds, in any state. */
static int host_count(lua_State *L) {
  lsynack_host *h = lsynack_checkhost(L, 1);
  synack_host *tcp = synack_net_tcp(h->ln->n, h->index);
  lua_pushinteger(L, tcp ? (lua_Integer)synack_host_conn_count(tcp) : 0);
  return 1;
}

static int host_tostring(lua_State *L) {
  lsynack_host *h = (lsynack_host *)luaL_checkudata(L, 1, LSYNACK_HOST_MT);
  char text[64];
  if (!h->ln->n) {
    lua_pushliteral(L, "synack.host (closed network)");
    return 1;
  }
  synack_addr_format(synack_net_host_addr(h->ln->n, h->index), text,
                     sizeof text);
  lua_pushfstring(L, "synack.host %s%s", text,
                  synack_net_host_raw(h->ln->n, h->index) ? " (raw)" : "");
  return 1;
}

/* The network owns hosts; the userdata holds nothing to free. */
static int host_gc(lua_State *L) {
  (void)L;
  return 0;
}

static int host_index(lua_State *L) {
  lsynack_host *h = (lsynack_host *)luaL_checkudata(L, 1, LSYNACK_HOST_MT);
  const char *k = lua_tostring(L, 2);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1) || !k)
    return 1;
  if (strcmp(k, "net") == 0) {
    lsynack_getuv(L, 1, "net");
    return 1;
  }
  if (!h->ln->n)
    return 0;
  if (strcmp(k, "addr") == 0) {
    lsynack_pushaddr(L, synack_net_host_addr(h->ln->n, h->index));
    return 1;
  }
  if (strcmp(k, "raw") == 0) {
    lua_pushboolean(L, synack_net_host_raw(h->ln->n, h->index));
    return 1;
  }
  if (strcmp(k, "index") == 0) {
    lua_pushinteger(L, (lua_Integer)h->index + 1);
    return 1;
  }
  return 0;
}

static const luaL_Reg host_methods[] = {{"listen", lsynack_host_listen},
                                        {"connect", host_connect},
                                        {"inject", host_inject},
                                        {"on", host_on},
                                        {"off", host_off},
                                        {"count", host_count},
                                        {NULL, NULL}};

void lsynack_open_host(lua_State *L) {
  lsynack_newclass(L, LSYNACK_HOST_MT, host_methods, host_index, host_gc,
                   host_gc, host_tostring);
  lua_setfield(L, -3, "host");
  lua_pop(L, 1);
}
