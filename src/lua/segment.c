/*
 * segment.c: the synack.segment userdata, synack.segment{...} and
 * synack.parse(bytes). A segment userdata holds a synack_segment by value and
 * owns a malloc'd copy of its payload, so the struct's `payload` pointer is
 * valid for as long as the userdata lives. Fields are read and written
 * through __index/__newindex; `options` is the only field that builds a
 * table, and only when it is read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsynack.h"

#define SEGMENT_MT "synack.segment"

typedef struct lseg {
  synack_segment seg;
  uint8_t *buf; /* the owned payload; seg.payload points here (or is NULL) */
} lseg;

/* The fields scripts see; the order is only for the switch statements. */
enum field {
  F_SRC,
  F_DST,
  F_SPORT,
  F_DPORT,
  F_FLAGS,
  F_SEQ,
  F_ACK,
  F_WIN,
  F_URP,
  F_OPTIONS,
  F_PAYLOAD,
  F_TTL,
  F_TOS,
  F_IP_ID,
  F_FLOW,
  F_DF,
  F_RESERVED,
  F_IP_OPTIONS,
  F_SYN,
  F_FIN,
  F_RST,
  F_PSH,
  F_URG,
  F_ECE,
  F_CWR,
  F_HAS_ACK,
  /* read-only from here */
  F_READONLY,
  F_LEN = F_READONLY,
  F_KIND,
  F_FAMILY,
  F_CHECKSUM_OK,
  F_IP_CHECKSUM_OK,
  F_TCP_CHECKSUM_OK,
  F_IP_CHECKSUM,
  F_TCP_CHECKSUM,
  F_BYTES,
  F_COPY,
  F_COUNT
};

static const char *const field_names[F_COUNT] = {"src",
                                                 "dst",
                                                 "sport",
                                                 "dport",
                                                 "flags",
                                                 "seq",
                                                 "ack",
                                                 "win",
                                                 "urp",
                                                 "options",
                                                 "payload",
                                                 "ttl",
                                                 "tos",
                                                 "ip_id",
                                                 "flow",
                                                 "df",
                                                 "reserved",
                                                 "ip_options",
                                                 "syn",
                                                 "fin",
                                                 "rst",
                                                 "psh",
                                                 "urg",
                                                 "ece",
                                                 "cwr",
                                                 "has_ack",
                                                 "len",
                                                 "kind",
                                                 "family",
                                                 "checksum_ok",
                                                 "ip_checksum_ok",
                                                 "tcp_checksum_ok",
                                                 "ip_checksum",
                                                 "tcp_checksum",
                                                 "bytes",
                                                 "copy"};

/* The flag bit behind each boolean field, F_SYN .. F_HAS_ACK. */
static const uint8_t flag_bits[] = {SYNACK_SYN, SYNACK_FIN, SYNACK_RST,
                                    SYNACK_PSH, SYNACK_URG, SYNACK_ECE,
                                    SYNACK_CWR, SYNACK_ACK};

static int field_lookup(const char *name) {
  int i;
  for (i = 0; i < F_COUNT; i++)
    if (strcmp(name, field_names[i]) == 0)
      return i;
  return -1;
}

/* ---- errors and checked reads of field values ---- */

static int field_error(lua_State *L, const char *name, const char *why) {
  return luaL_error(L, "bad field '%s' (%s)", name, why);
}

static int field_type_error(lua_State *L, const char *name, const char *want,
                            int idx) {
  return luaL_error(L, "bad field '%s' (%s expected, got %s)", name, want,
                    luaL_typename(L, idx));
}

/*
 * An integer in 0..max from a number value. Lua 5.1 and LuaJIT have only
 * doubles, 5.3+ has both kinds: either way the value must be integral and in
 * range, and strings are not converted.
 */
static uint32_t check_uint(lua_State *L, int idx, const char *name,
                           uint32_t max) {
  lua_Number n;
  if (lua_type(L, idx) != LUA_TNUMBER)
    field_type_error(L, name, "number", idx);
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx)) {
    lua_Integer i = lua_tointeger(L, idx);
    if (i >= 0 && (lua_Unsigned)i <= max)
      return (uint32_t)i;
  } else
#endif
  {
    n = lua_tonumber(L, idx);
    if (n >= 0 && n <= (lua_Number)max && (lua_Number)(uint32_t)n == n)
      return (uint32_t)n;
  }
  {
    char range[32];
    snprintf(range, sizeof range, "0..%lu", (unsigned long)max);
    lua_pushvalue(L, idx);
    return (uint32_t)luaL_error(L,
                                "bad field '%s' (integer %s expected, got %s)",
                                name, range, lua_tostring(L, -1));
  }
}

static int check_bool(lua_State *L, int idx, const char *name) {
  if (lua_type(L, idx) != LUA_TBOOLEAN)
    field_type_error(L, name, "boolean", idx);
  return lua_toboolean(L, idx);
}

static const char *check_str(lua_State *L, int idx, const char *name,
                             size_t *len) {
  if (lua_type(L, idx) != LUA_TSTRING)
    field_type_error(L, name, "string", idx);
  return lua_tolstring(L, idx, len);
}

static void push_u32(lua_State *L, uint32_t v) {
#if LUA_VERSION_NUM >= 503
  lua_pushinteger(L, (lua_Integer)v);
#else
  lua_pushnumber(
      L, (lua_Number)v); /* exact in a double; lua_Integer may be 32-bit */
#endif
}

/* ---- the userdata ---- */

static lseg *to_lseg(lua_State *L, int idx) {
  return (lseg *)luaL_checkudata(L, idx, SEGMENT_MT);
}

/* Replace the owned payload with a copy of data[0..len). */
static void set_payload(lua_State *L, lseg *u, const void *data, size_t len) {
  uint8_t *p = NULL;
  if (len > 0) {
    p = (uint8_t *)malloc(len);
    if (p == NULL)
      luaL_error(L, "synack.segment: out of memory");
    memcpy(p, data, len);
  }
  free(u->buf);
  u->buf = p;
  u->seg.payload = p;
  u->seg.paylen = len;
}

/* A new segment userdata on the stack, a copy of `seg` with its payload copied.
 */
static lseg *push_copy(lua_State *L, const synack_segment *seg) {
  lseg *u = (lseg *)lua_newuserdata(L, sizeof *u);
  u->seg = *seg;
  u->buf = NULL;
  u->seg.payload = NULL;
  u->seg.paylen = 0;
  luaL_setmetatable(L, SEGMENT_MT);
  set_payload(L, u, seg->payload, seg->payload ? seg->paylen : 0);
  return u;
}

void lsynack_pushsegment(lua_State *L, const synack_segment *seg) {
  push_copy(L, seg);
}

synack_segment *lsynack_checksegment(lua_State *L, int idx) {
  return &to_lseg(L, idx)->seg;
}

synack_segment *lsynack_tosegment(lua_State *L, int idx) {
  lseg *u = (lseg *)luaL_testudata(L, idx, SEGMENT_MT);
  return u ? &u->seg : NULL;
}

/* ---- options: wire bytes <-> the two Lua forms ---- */

/* Pad with EOL to a multiple of 4 and store; false when over 40 bytes. */
static int store_opts(synack_segment *seg, const uint8_t *o, size_t n) {
  uint8_t tmp[SYNACK_MAX_TCP_OPTS + 4];
  if (n > SYNACK_MAX_TCP_OPTS)
    return 0;
  memcpy(tmp, o, n);
  while (n % 4)
    tmp[n++] = SYNACK_OPT_EOL;
  if (n > SYNACK_MAX_TCP_OPTS)
    return 0;
  memcpy(seg->opts, tmp, n);
  seg->optlen = (uint8_t)n;
  return 1;
}

/* A {l, r} pair at the top of the stack into edges. */
static void check_sack_block(lua_State *L, const char *name,
                             synack_seq edge[2]) {
  int i;
  if (lua_type(L, -1) != LUA_TTABLE)
    field_type_error(L, name, "table {left, right}", -1);
  for (i = 0; i < 2; i++) {
    lua_rawgeti(L, -1, i + 1);
    edge[i] = check_uint(L, -1, name, 0xffffffffu);
    lua_pop(L, 1);
  }
}

/*
 * The keyed form {mss=, wscale=, sack_permitted=, timestamp={val, ecr},
 * sack={{l, r}, ...}} at idx, laid out by synack_opts_encode (Linux's order).
 * A `list` key (as found in a table read from seg.options) is ignored.
 */
static void set_opts_keyed(lua_State *L, int idx, synack_segment *seg) {
  synack_tcpopts v;
  uint8_t o[SYNACK_MAX_TCP_OPTS];
  int n, i;
  memset(&v, 0, sizeof v);
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    if (strcmp(k, "mss") == 0) {
      v.has_mss = 1;
      v.mss = (uint16_t)check_uint(L, -1, "options.mss", 65535);
    } else if (strcmp(k, "wscale") == 0) {
      v.has_wscale = 1;
      v.wscale = (uint8_t)check_uint(L, -1, "options.wscale", 255);
    } else if (strcmp(k, "sack_permitted") == 0) {
      v.sack_permitted = (uint8_t)check_bool(L, -1, "options.sack_permitted");
    } else if (strcmp(k, "timestamp") == 0) {
      if (lua_type(L, -1) != LUA_TTABLE)
        field_type_error(L, "options.timestamp", "table {val, ecr}", -1);
      v.has_timestamp = 1;
      lua_rawgeti(L, -1, 1);
      v.ts_val = check_uint(L, -1, "options.timestamp", 0xffffffffu);
      lua_rawgeti(L, -2, 2);
      v.ts_ecr = check_uint(L, -1, "options.timestamp", 0xffffffffu);
      lua_pop(L, 2);
    } else if (strcmp(k, "sack") == 0) {
      if (lua_type(L, -1) != LUA_TTABLE)
        field_type_error(L, "options.sack", "table of {left, right}", -1);
      n = (int)lua_rawlen(L, -1);
      if (n > SYNACK_MAX_SACK)
        field_error(L, "options.sack", "at most 4 blocks");
      v.nsack = (uint8_t)n;
      for (i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        check_sack_block(L, "options.sack", v.sack[i]);
        lua_pop(L, 1);
      }
    } else if (strcmp(k, "list") != 0) {
      lua_pushfstring(L, "options.%s", k);
      field_error(L, lua_tostring(L, -1), "unknown option");
    }
    lua_pop(L, 1);
  }
  n = synack_opts_encode(&v, o);
  if (n < 0 || !store_opts(seg, o, (size_t)n))
    field_error(L, "options", "options do not fit in 40 bytes");
}

/* Append bytes to the list form's buffer, raising when past 40. */
static size_t append(lua_State *L, uint8_t *o, size_t n, const void *p,
                     size_t len) {
  if (n + len > SYNACK_MAX_TCP_OPTS)
    field_error(L, "options", "options do not fit in 40 bytes");
  memcpy(o + n, p, len);
  return n + len;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* One named table entry of the list form, {"mss", 1460} etc., at the top. */
static size_t list_named(lua_State *L, const char *name, const char *what,
                         uint8_t *o, size_t n) {
  uint8_t b[SYNACK_MAX_TCP_OPTS];
  int i, cnt = (int)lua_rawlen(L, -1);
  lua_rawgeti(L, -1, 2);
  if (strcmp(what, "mss") == 0) {
    uint32_t v = check_uint(L, -1, name, 65535);
    b[0] = SYNACK_OPT_MSS, b[1] = 4, b[2] = (uint8_t)(v >> 8),
    b[3] = (uint8_t)v;
    n = append(L, o, n, b, 4);
  } else if (strcmp(what, "wscale") == 0) {
    b[0] = SYNACK_OPT_WSCALE, b[1] = 3,
    b[2] = (uint8_t)check_uint(L, -1, name, 255);
    n = append(L, o, n, b, 3);
  } else if (strcmp(what, "ts") == 0) {
    b[0] = SYNACK_OPT_TIMESTAMP, b[1] = 10;
    put32(b + 2, check_uint(L, -1, name, 0xffffffffu));
    lua_rawgeti(L, -2, 3);
    put32(b + 6, check_uint(L, -1, name, 0xffffffffu));
    lua_pop(L, 1);
    n = append(L, o, n, b, 10);
  } else if (strcmp(what, "sack") == 0) {
    if (cnt - 1 > SYNACK_MAX_SACK)
      field_error(L, name, "at most 4 SACK blocks");
    b[0] = SYNACK_OPT_SACK, b[1] = (uint8_t)(2 + 8 * (cnt - 1));
    for (i = 2; i <= cnt; i++) {
      synack_seq e[2];
      lua_rawgeti(L, -2, i);
      check_sack_block(L, name, e);
      put32(b + 2 + 8 * (i - 2), e[0]);
      put32(b + 6 + 8 * (i - 2), e[1]);
      lua_pop(L, 1);
    }
    n = append(L, o, n, b, b[1]);
  } else {
    field_error(L, name, "unknown option name");
  }
  lua_pop(L, 1);
  return n;
}

/* {kind = N, data = "..."} or {raw = "..."} at the top. */
static size_t list_raw(lua_State *L, const char *name, uint8_t *o, size_t n) {
  size_t len = 0;
  const char *s;
  uint8_t b[2];
  lua_getfield(L, -1, "raw");
  if (!lua_isnil(L, -1)) {
    s = check_str(L, -1, name, &len);
    n = append(L, o, n, s, len);
    lua_pop(L, 1);
    return n;
  }
  lua_pop(L, 1);
  lua_getfield(L, -1, "kind");
  b[0] = (uint8_t)check_uint(L, -1, name, 255);
  lua_getfield(L, -2, "data");
  s = lua_isnil(L, -1) ? "" : check_str(L, -1, name, &len);
  if (len > SYNACK_MAX_TCP_OPTS - 2)
    field_error(L, name, "option data over 38 bytes");
  b[1] = (uint8_t)(len + 2);
  n = append(L, o, n, b, 2);
  n = append(L, o, n, s, len);
  lua_pop(L, 2);
  return n;
}

/*
 * The ordered list form: each entry is laid out as written, in order, then
 * EOL bytes pad to a multiple of 4. Entries: "nop", "eol", "sackOK",
 * {"mss", n}, {"wscale", n}, {"ts", val, ecr}, {"sack", {l, r}, ...},
 * {kind = N, data = "bytes"}, {raw = "bytes"}.
 */
static void set_opts_list(lua_State *L, int idx, synack_segment *seg) {
  uint8_t o[SYNACK_MAX_TCP_OPTS];
  size_t n = 0;
  int i, cnt;
  idx = lua_absindex(L, idx);
  cnt = (int)lua_rawlen(L, idx);
  for (i = 1; i <= cnt; i++) {
    const char *name;
    uint8_t b;
    lua_pushfstring(L, "options[%d]", i);
    name = lua_tostring(L, -1);
    lua_rawgeti(L, idx, i);
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *s = lua_tostring(L, -1);
      if (strcmp(s, "nop") == 0) {
        b = SYNACK_OPT_NOP;
        n = append(L, o, n, &b, 1);
      } else if (strcmp(s, "eol") == 0) {
        b = SYNACK_OPT_EOL;
        n = append(L, o, n, &b, 1);
      } else if (strcmp(s, "sackOK") == 0) {
        n = append(L, o, n, "\x04\x02", 2);
      } else {
        field_error(L, name, "unknown option name");
      }
    } else if (lua_type(L, -1) == LUA_TTABLE) {
      lua_rawgeti(L, -1, 1);
      if (lua_type(L, -1) == LUA_TSTRING) {
        const char *what = lua_tostring(L, -1);
        lua_pop(L, 1);
        n = list_named(L, name, what, o, n);
      } else {
        lua_pop(L, 1);
        n = list_raw(L, name, o, n);
      }
    } else {
      field_type_error(L, name, "string or table", -1);
    }
    lua_pop(L, 2);
  }
  if (!store_opts(seg, o, n))
    field_error(L, "options", "options do not fit in 40 bytes");
}

static void set_options(lua_State *L, int idx, synack_segment *seg) {
  size_t len;
  const char *s;
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    seg->optlen = 0;
    break;
  case LUA_TSTRING: /* raw option bytes */
    s = lua_tolstring(L, idx, &len);
    if (!store_opts(seg, (const uint8_t *)s, len))
      field_error(L, "options", "options do not fit in 40 bytes");
    break;
  case LUA_TTABLE:
    lua_rawgeti(L, idx, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      set_opts_keyed(L, idx, seg);
    } else {
      lua_pop(L, 1);
      set_opts_list(L, idx, seg);
    }
    break;
  default:
    field_type_error(L, "options", "table", idx);
  }
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static void push_pair(lua_State *L, uint32_t a, uint32_t b) {
  lua_createtable(L, 2, 0);
  push_u32(L, a);
  lua_rawseti(L, -2, 1);
  push_u32(L, b);
  lua_rawseti(L, -2, 2);
}

/* One option o[0..l) as a list entry, in the form set_opts_list reads. */
static void push_list_entry(lua_State *L, const uint8_t *o, size_t l) {
  size_t i;
  switch (o[0]) {
  case SYNACK_OPT_EOL:
    lua_pushliteral(L, "eol");
    return;
  case SYNACK_OPT_NOP:
    lua_pushliteral(L, "nop");
    return;
  case SYNACK_OPT_SACK_PERM:
    if (l == 2) {
      lua_pushliteral(L, "sackOK");
      return;
    }
    break;
  case SYNACK_OPT_MSS:
    if (l != 4)
      break;
    lua_createtable(L, 2, 0);
    lua_pushliteral(L, "mss");
    lua_rawseti(L, -2, 1);
    push_u32(L, (uint32_t)(o[2] << 8 | o[3]));
    lua_rawseti(L, -2, 2);
    return;
  case SYNACK_OPT_WSCALE:
    if (l != 3)
      break;
    lua_createtable(L, 2, 0);
    lua_pushliteral(L, "wscale");
    lua_rawseti(L, -2, 1);
    push_u32(L, o[2]);
    lua_rawseti(L, -2, 2);
    return;
  case SYNACK_OPT_TIMESTAMP:
    if (l != 10)
      break;
    lua_createtable(L, 3, 0);
    lua_pushliteral(L, "ts");
    lua_rawseti(L, -2, 1);
    push_u32(L, get32(o + 2));
    lua_rawseti(L, -2, 2);
    push_u32(L, get32(o + 6));
    lua_rawseti(L, -2, 3);
    return;
  case SYNACK_OPT_SACK:
    if (l < 2 || (l - 2) % 8 != 0)
      break;
    lua_createtable(L, (int)(1 + (l - 2) / 8), 0);
    lua_pushliteral(L, "sack");
    lua_rawseti(L, -2, 1);
    for (i = 2; i + 8 <= l; i += 8) {
      push_pair(L, get32(o + i), get32(o + i + 4));
      lua_rawseti(L, -2, (int)(2 + (i - 2) / 8));
    }
    return;
  default:
    break;
  }
  lua_createtable(L, 0, 2);
  push_u32(L, o[0]);
  lua_setfield(L, -2, "kind");
  lua_pushlstring(L, (const char *)o + 2, l - 2);
  lua_setfield(L, -2, "data");
}

/*
 * seg.options: the keyed view (synack_opts_parse) plus `list`, every option
 * byte for byte: after an EOL, zero bytes list as "eol" and anything else as
 * one {raw = "..."} entry, so that seg.options = seg.options.list is exact.
 */
static void push_options(lua_State *L, const synack_segment *seg) {
  synack_tcpopts v;
  size_t off = 0, l = 0;
  int i, n = 0, after_eol = 0;
  lua_createtable(L, 0, 6);
  if (synack_opts_parse(seg->opts, seg->optlen, &v) == 0) {
    if (v.has_mss) {
      push_u32(L, v.mss);
      lua_setfield(L, -2, "mss");
    }
    if (v.has_wscale) {
      push_u32(L, v.wscale);
      lua_setfield(L, -2, "wscale");
    }
    if (v.sack_permitted) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "sack_permitted");
    }
    if (v.has_timestamp) {
      push_pair(L, v.ts_val, v.ts_ecr);
      lua_setfield(L, -2, "timestamp");
    }
    if (v.nsack) {
      lua_createtable(L, v.nsack, 0);
      for (i = 0; i < v.nsack; i++) {
        push_pair(L, v.sack[i][0], v.sack[i][1]);
        lua_rawseti(L, -2, i + 1);
      }
      lua_setfield(L, -2, "sack");
    }
  }
  lua_newtable(L);
  while (off < seg->optlen) {
    if (after_eol && seg->opts[off] != SYNACK_OPT_EOL)
      l = 0;
    else if (synack_opts_next(seg->opts, seg->optlen, off, &l) != 1)
      l = 0;
    if (l == 0) { /* the rest, raw */
      lua_createtable(L, 0, 1);
      lua_pushlstring(L, (const char *)seg->opts + off, seg->optlen - off);
      lua_setfield(L, -2, "raw");
      lua_rawseti(L, -2, ++n);
      break;
    }
    push_list_entry(L, seg->opts + off, l);
    lua_rawseti(L, -2, ++n);
    if (seg->opts[off] == SYNACK_OPT_EOL)
      after_eol = 1;
    off += l;
  }
  lua_setfield(L, -2, "list");
}

/* ---- __index / __newindex ---- */

static const char *seg_kind(const synack_segment *s) {
  if (s->flags & SYNACK_RST)
    return "rst";
  if (s->flags & SYNACK_SYN)
    return (s->flags & SYNACK_ACK) ? "synack" : "syn";
  if (s->flags & SYNACK_FIN)
    return "fin";
  if (s->paylen > 0)
    return "data";
  return "ack";
}

static void push_addr(lua_State *L, const synack_addr *a) {
  char t[64];
  synack_addr_format(a, t, sizeof t);
  lua_pushstring(L, t);
}

static int seg_bytes(lua_State *L);
static int seg_copy(lua_State *L);

static int seg_index(lua_State *L) {
  lseg *u = to_lseg(L, 1);
  const synack_segment *s = &u->seg;
  const char *k = lua_tostring(L, 2);
  int f = k ? field_lookup(k) : -1;
  char flags[16];
  switch (f) {
  case F_SRC:
    push_addr(L, &s->src);
    break;
  case F_DST:
    push_addr(L, &s->dst);
    break;
  case F_SPORT:
    push_u32(L, s->sport);
    break;
  case F_DPORT:
    push_u32(L, s->dport);
    break;
  case F_FLAGS:
    synack_flags_format(s->flags, flags);
    lua_pushstring(L, flags);
    break;
  case F_SEQ:
    push_u32(L, s->seq);
    break;
  case F_ACK:
    push_u32(L, s->ack);
    break;
  case F_WIN:
    push_u32(L, s->win);
    break;
  case F_URP:
    push_u32(L, s->urp);
    break;
  case F_OPTIONS:
    push_options(L, s);
    break;
  case F_PAYLOAD:
    lua_pushlstring(L, (const char *)s->payload, s->payload ? s->paylen : 0);
    break;
  case F_TTL:
    push_u32(L, s->ttl);
    break;
  case F_TOS:
    push_u32(L, s->tos);
    break;
  case F_IP_ID:
    push_u32(L, s->ip_id);
    break;
  case F_FLOW:
    push_u32(L, s->flow);
    break;
  case F_DF:
    lua_pushboolean(L, (s->ip_frag & SYNACK_IP_DF) != 0);
    break;
  case F_RESERVED:
    push_u32(L, s->reserved);
    break;
  case F_IP_OPTIONS:
    lua_pushlstring(L, (const char *)s->ip_opts, s->ip_optlen);
    break;
  case F_SYN:
  case F_FIN:
  case F_RST:
  case F_PSH:
  case F_URG:
  case F_ECE:
  case F_CWR:
  case F_HAS_ACK:
    lua_pushboolean(L, (s->flags & flag_bits[f - F_SYN]) != 0);
    break;
  case F_LEN:
    push_u32(L, (uint32_t)s->paylen);
    break;
  case F_KIND:
    lua_pushstring(L, seg_kind(s));
    break;
  case F_FAMILY:
    push_u32(L, s->src.family);
    break;
  case F_CHECKSUM_OK:
    lua_pushboolean(L, s->ip_checksum_ok && s->tcp_checksum_ok);
    break;
  case F_IP_CHECKSUM_OK:
    lua_pushboolean(L, s->ip_checksum_ok);
    break;
  case F_TCP_CHECKSUM_OK:
    lua_pushboolean(L, s->tcp_checksum_ok);
    break;
  case F_IP_CHECKSUM:
    push_u32(L, s->ip_checksum);
    break;
  case F_TCP_CHECKSUM:
    push_u32(L, s->tcp_checksum);
    break;
  case F_BYTES:
    lua_pushcfunction(L, seg_bytes);
    break;
  case F_COPY:
    lua_pushcfunction(L, seg_copy);
    break;
  default:
    lua_pushnil(L);
    break;
  }
  return 1;
}

/* Set field `name` of u from the value at idx, raising on a bad value. */
static void set_field(lua_State *L, lseg *u, const char *name, int idx) {
  synack_segment *s = &u->seg;
  int f = field_lookup(name);
  size_t len;
  const char *str;
  switch (f) {
  case F_SRC:
  case F_DST:
    str = check_str(L, idx, name, NULL);
    if (synack_addr_parse(str, f == F_SRC ? &s->src : &s->dst) < 0)
      field_error(L, name, "IPv4 or IPv6 address expected");
    break;
  case F_SPORT:
    s->sport = (uint16_t)check_uint(L, idx, name, 65535);
    break;
  case F_DPORT:
    s->dport = (uint16_t)check_uint(L, idx, name, 65535);
    break;
  case F_FLAGS:
    str = check_str(L, idx, name, NULL);
    if (synack_flags_parse(str, &s->flags) < 0)
      field_error(L, name, "tcpdump flag letters S F R P . U E W expected");
    break;
  case F_SEQ:
    s->seq = check_uint(L, idx, name, 0xffffffffu);
    break;
  case F_ACK:
    s->ack = check_uint(L, idx, name, 0xffffffffu);
    break;
  case F_WIN:
    s->win = (uint16_t)check_uint(L, idx, name, 65535);
    break;
  case F_URP:
    s->urp = (uint16_t)check_uint(L, idx, name, 65535);
    break;
  case F_OPTIONS:
    set_options(L, idx, s);
    break;
  case F_PAYLOAD:
    str = check_str(L, idx, name, &len);
    if (len > SYNACK_MAX_PACKET)
      field_error(L, name, "payload over 65535 bytes");
    set_payload(L, u, str, len);
    break;
  case F_TTL:
    s->ttl = (uint8_t)check_uint(L, idx, name, 255);
    break;
  case F_TOS:
    s->tos = (uint8_t)check_uint(L, idx, name, 255);
    break;
  case F_IP_ID:
    s->ip_id = (uint16_t)check_uint(L, idx, name, 65535);
    break;
  case F_FLOW:
    s->flow = check_uint(L, idx, name, 0xfffff);
    break;
  case F_DF:
    if (check_bool(L, idx, name))
      s->ip_frag |= SYNACK_IP_DF;
    else
      s->ip_frag &= (uint16_t)~SYNACK_IP_DF;
    break;
  case F_RESERVED:
    s->reserved = (uint8_t)check_uint(L, idx, name, 15);
    break;
  case F_IP_OPTIONS:
    str = check_str(L, idx, name, &len);
    if (len > SYNACK_MAX_IP_OPTS || len % 4)
      field_error(L, name, "0 to 40 bytes, a multiple of 4, expected");
    memcpy(s->ip_opts, str, len);
    s->ip_optlen = (uint8_t)len;
    break;
  case F_SYN:
  case F_FIN:
  case F_RST:
  case F_PSH:
  case F_URG:
  case F_ECE:
  case F_CWR:
  case F_HAS_ACK:
    if (check_bool(L, idx, name))
      s->flags |= flag_bits[f - F_SYN];
    else
      s->flags &= (uint8_t)~flag_bits[f - F_SYN];
    break;
  default:
    field_error(L, name, f < 0 ? "unknown field" : "read-only");
  }
}

static int seg_newindex(lua_State *L) {
  lseg *u = to_lseg(L, 1);
  const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
  set_field(L, u, k, 3);
  return 0;
}

/* ---- methods and metamethods ---- */

/* seg:bytes() -> the IP packet, checksums filled in. */
static int seg_bytes(lua_State *L) {
  lseg *u = to_lseg(L, 1);
  size_t n = synack_build_len(&u->seg);
  uint8_t *p;
  int r;
  if (u->seg.src.family != u->seg.dst.family)
    return luaL_error(L,
                      "synack.segment: src and dst differ in address family");
  if (n > SYNACK_MAX_PACKET)
    return luaL_error(L, "synack.segment: packet over 65535 bytes");
  p = (uint8_t *)lua_newuserdata(L, n); /* scratch, collected */
  r = synack_build(&u->seg, p, n);
  if (r < 0)
    return luaL_error(L, "synack.segment: %s", synack_strerror(r));
  lua_pushlstring(L, (const char *)p, (size_t)r);
  return 1;
}

static int seg_copy(lua_State *L) {
  push_copy(L, &to_lseg(L, 1)->seg);
  return 1;
}

static int seg_tostring(lua_State *L) {
  lseg *u = to_lseg(L, 1);
  char line[512];
  size_t n = synack_segment_format(&u->seg, line, sizeof line);
  if (n < sizeof line) {
    lua_pushlstring(L, line, n);
  } else {
    char *big = (char *)lua_newuserdata(L, n + 1);
    synack_segment_format(&u->seg, big, n + 1);
    lua_pushlstring(L, big, n);
  }
  return 1;
}

/* Equal when every field that reaches the wire is equal (checksums aside). */
static int seg_eq(lua_State *L) {
  const synack_segment *a = &to_lseg(L, 1)->seg, *b = &to_lseg(L, 2)->seg;
  int eq = synack_addr_equal(&a->src, &b->src) &&
           synack_addr_equal(&a->dst, &b->dst) && a->tos == b->tos &&
           a->ttl == b->ttl && a->sport == b->sport && a->dport == b->dport &&
           a->seq == b->seq && a->ack == b->ack && a->flags == b->flags &&
           a->reserved == b->reserved && a->win == b->win && a->urp == b->urp &&
           a->optlen == b->optlen && memcmp(a->opts, b->opts, a->optlen) == 0 &&
           a->paylen == b->paylen &&
           (a->paylen == 0 || memcmp(a->payload, b->payload, a->paylen) == 0);
  if (eq && a->src.family == 4)
    eq = a->ip_id == b->ip_id && a->ip_frag == b->ip_frag &&
         a->ip_optlen == b->ip_optlen &&
         memcmp(a->ip_opts, b->ip_opts, a->ip_optlen) == 0;
  if (eq && a->src.family == 6)
    eq = a->flow == b->flow;
  lua_pushboolean(L, eq);
  return 1;
}

static int seg_gc(lua_State *L) {
  lseg *u = to_lseg(L, 1);
  free(u->buf);
  u->buf = NULL;
  u->seg.payload = NULL;
  u->seg.paylen = 0;
  return 0;
}

/*
 * synack.segment{...}: defaults from synack_segment_init, then each field of
 * the table through the same setter as seg.field = v. When only one of src
 * and dst is given, the other is the unspecified address of its family.
 */
static int l_segment(lua_State *L) {
  synack_segment init;
  lseg *u;
  int has_src = 0, has_dst = 0;
  synack_segment_init(&init);
  if (lua_isnoneornil(L, 1))
    lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  u = push_copy(L, &init);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    const char *k;
    if (lua_type(L, -2) != LUA_TSTRING)
      field_error(L, "?", "string keys expected");
    k = lua_tostring(L, -2);
    set_field(L, u, k, -1);
    has_src |= strcmp(k, "src") == 0;
    has_dst |= strcmp(k, "dst") == 0;
    lua_pop(L, 1);
  }
  if (has_src && !has_dst)
    u->seg.dst.family = u->seg.src.family;
  if (has_dst && !has_src)
    u->seg.src.family = u->seg.dst.family;
  if (u->seg.src.family != u->seg.dst.family)
    field_error(L, "dst", "address family differs from src");
  return 1;
}

/* synack.parse(bytes) -> segment | nil, "ENAME: message", "ENAME". */
static int l_parse(lua_State *L) {
  size_t len;
  const char *b = luaL_checklstring(L, 1, &len);
  synack_segment seg;
  int r = synack_parse((const uint8_t *)b, len, &seg);
  if (r < 0)
    return lsynack_pusherror(L, r);
  push_copy(L, &seg);
  return 1;
}

static const luaL_Reg seg_meta[] = {{"__index", seg_index},
                                    {"__newindex", seg_newindex},
                                    {"__tostring", seg_tostring},
                                    {"__eq", seg_eq},
                                    {"__gc", seg_gc},
                                    {NULL, NULL}};

void lsynack_open_segment(lua_State *L) {
  luaL_newmetatable(L, SEGMENT_MT);
  luaL_setfuncs(L, seg_meta, 0);
  lua_pushliteral(L, SEGMENT_MT);
  lua_setfield(L, -2, "__name"); /* 5.1/5.2 do not set it */
  lua_pop(L, 1);
  lua_pushcfunction(L, l_segment);
  lua_setfield(L, -2, "segment");
  lua_pushcfunction(L, l_parse);
  lua_setfield(L, -2, "parse");
}
