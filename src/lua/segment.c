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
#include "segment_opts.h"

#define SEGMENT_MT "synack.segment"

typedef struct lseg {
  synack_segment seg;
  uint8_t *buf; /* the owned payload; seg.payload points here (or is NULL) */
} lseg;

/* The fields scripts see; the order is only for the switch statements. */
/* clang-format off */
enum field {
  F_SRC, F_DST, F_SPORT, F_DPORT, F_FLAGS, F_SEQ, F_ACK, F_WIN, F_URP,
  F_OPTIONS, F_PAYLOAD, F_TTL, F_TOS, F_IP_ID, F_FLOW, F_DF, F_RESERVED,
  F_IP_OPTIONS, F_SYN, F_FIN, F_RST, F_PSH, F_URG, F_ECE, F_CWR, F_HAS_ACK,
  /* read-only from here */
  F_LEN, F_KIND, F_FAMILY, F_CHECKSUM_OK, F_IP_CHECKSUM_OK, F_TCP_CHECKSUM_OK,
  F_IP_CHECKSUM, F_TCP_CHECKSUM, F_BYTES, F_COPY, F_COUNT
};

static const char *const field_names[F_COUNT] = {
  "src", "dst", "sport", "dport", "flags", "seq", "ack", "win", "urp",
  "options", "payload", "ttl", "tos", "ip_id", "flow", "df", "reserved",
  "ip_options", "syn", "fin", "rst", "psh", "urg", "ece", "cwr", "has_ack",
  "len", "kind", "family", "checksum_ok", "ip_checksum_ok", "tcp_checksum_ok",
  "ip_checksum", "tcp_checksum", "bytes", "copy"};
/* clang-format on */

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

int lsynack__field_error(lua_State *L, const char *name, const char *why) {
  return luaL_error(L, "bad field '%s' (%s)", name, why);
}

int lsynack__field_type_error(lua_State *L, const char *name, const char *want,
                              int idx) {
  return luaL_error(L, "bad field '%s' (%s expected, got %s)", name, want,
                    luaL_typename(L, idx));
}

/*
 * An integer in 0..max from a number value. Lua 5.1 and LuaJIT have only
 * doubles, 5.3+ has both kinds: either way the value must be integral and in
 * range, and strings are not converted.
 */
uint32_t lsynack__check_uint(lua_State *L, int idx, const char *name,
                             uint32_t max) {
  lua_Number n;
  if (lua_type(L, idx) != LUA_TNUMBER)
    lsynack__field_type_error(L, name, "number", idx);
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

int lsynack__check_bool(lua_State *L, int idx, const char *name) {
  if (lua_type(L, idx) != LUA_TBOOLEAN)
    lsynack__field_type_error(L, name, "boolean", idx);
  return lua_toboolean(L, idx);
}

const char *lsynack__check_str(lua_State *L, int idx, const char *name,
                               size_t *len) {
  if (lua_type(L, idx) != LUA_TSTRING)
    lsynack__field_type_error(L, name, "string", idx);
  return lua_tolstring(L, idx, len);
}

void lsynack__push_u32(lua_State *L, uint32_t v) {
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
    lsynack__push_u32(L, s->sport);
    break;
  case F_DPORT:
    lsynack__push_u32(L, s->dport);
    break;
  case F_FLAGS:
    synack_flags_format(s->flags, flags);
    lua_pushstring(L, flags);
    break;
  case F_SEQ:
    lsynack__push_u32(L, s->seq);
    break;
  case F_ACK:
    lsynack__push_u32(L, s->ack);
    break;
  case F_WIN:
    lsynack__push_u32(L, s->win);
    break;
  case F_URP:
    lsynack__push_u32(L, s->urp);
    break;
  case F_OPTIONS:
    lsynack__push_options(L, s);
    break;
  case F_PAYLOAD:
    lua_pushlstring(L, (const char *)s->payload, s->payload ? s->paylen : 0);
    break;
  case F_TTL:
    lsynack__push_u32(L, s->ttl);
    break;
  case F_TOS:
    lsynack__push_u32(L, s->tos);
    break;
  case F_IP_ID:
    lsynack__push_u32(L, s->ip_id);
    break;
  case F_FLOW:
    lsynack__push_u32(L, s->flow);
    break;
  case F_DF:
    lua_pushboolean(L, (s->ip_frag & SYNACK_IP_DF) != 0);
    break;
  case F_RESERVED:
    lsynack__push_u32(L, s->reserved);
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
    lsynack__push_u32(L, (uint32_t)s->paylen);
    break;
  case F_KIND:
    lua_pushstring(L, seg_kind(s));
    break;
  case F_FAMILY:
    lsynack__push_u32(L, s->src.family);
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
    lsynack__push_u32(L, s->ip_checksum);
    break;
  case F_TCP_CHECKSUM:
    lsynack__push_u32(L, s->tcp_checksum);
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
    str = lsynack__check_str(L, idx, name, NULL);
    if (synack_addr_parse(str, f == F_SRC ? &s->src : &s->dst) < 0)
      lsynack__field_error(L, name, "IPv4 or IPv6 address expected");
    break;
  case F_SPORT:
    s->sport = (uint16_t)lsynack__check_uint(L, idx, name, 65535);
    break;
  case F_DPORT:
    s->dport = (uint16_t)lsynack__check_uint(L, idx, name, 65535);
    break;
  case F_FLAGS:
    str = lsynack__check_str(L, idx, name, NULL);
    if (synack_flags_parse(str, &s->flags) < 0)
      lsynack__field_error(L, name,
                           "tcpdump flag letters S F R P . U E W expected");
    break;
  case F_SEQ:
    s->seq = lsynack__check_uint(L, idx, name, 0xffffffffu);
    break;
  case F_ACK:
    s->ack = lsynack__check_uint(L, idx, name, 0xffffffffu);
    break;
  case F_WIN:
    s->win = (uint16_t)lsynack__check_uint(L, idx, name, 65535);
    break;
  case F_URP:
    s->urp = (uint16_t)lsynack__check_uint(L, idx, name, 65535);
    break;
  case F_OPTIONS:
    lsynack__set_options(L, idx, s);
    break;
  case F_PAYLOAD:
    str = lsynack__check_str(L, idx, name, &len);
    if (len > SYNACK_MAX_PACKET)
      lsynack__field_error(L, name, "payload over 65535 bytes");
    set_payload(L, u, str, len);
    break;
  case F_TTL:
    s->ttl = (uint8_t)lsynack__check_uint(L, idx, name, 255);
    break;
  case F_TOS:
    s->tos = (uint8_t)lsynack__check_uint(L, idx, name, 255);
    break;
  case F_IP_ID:
    s->ip_id = (uint16_t)lsynack__check_uint(L, idx, name, 65535);
    break;
  case F_FLOW:
    s->flow = lsynack__check_uint(L, idx, name, 0xfffff);
    break;
  case F_DF:
    if (lsynack__check_bool(L, idx, name))
      s->ip_frag |= SYNACK_IP_DF;
    else
      s->ip_frag &= (uint16_t)~SYNACK_IP_DF;
    break;
  case F_RESERVED:
    s->reserved = (uint8_t)lsynack__check_uint(L, idx, name, 15);
    break;
  case F_IP_OPTIONS:
    str = lsynack__check_str(L, idx, name, &len);
    if (len > SYNACK_MAX_IP_OPTS || len % 4)
      lsynack__field_error(L, name, "0 to 40 bytes, a multiple of 4, expected");
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
    if (lsynack__check_bool(L, idx, name))
      s->flags |= flag_bits[f - F_SYN];
    else
      s->flags &= (uint8_t)~flag_bits[f - F_SYN];
    break;
  default:
    lsynack__field_error(L, name, f < 0 ? "unknown field" : "read-only");
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
      lsynack__field_error(L, "?", "string keys expected");
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
    lsynack__field_error(L, "dst", "address family differs from src");
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
