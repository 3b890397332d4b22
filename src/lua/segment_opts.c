/*
 * segment_opts.c: a segment's TCP options between their wire bytes and the
 * two Lua forms of seg.options: the keyed view {mss=, wscale=,
 * sack_permitted=, timestamp={val, ecr}, sack={{l, r}, ...}} laid out as Linux
 * does, and the ordered list that gives exact layouts.
 */
#include <string.h>

#include "lsynack.h"
#include "segment_opts.h"

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
    lsynack__field_type_error(L, name, "table {left, right}", -1);
  for (i = 0; i < 2; i++) {
    lua_rawgeti(L, -1, i + 1);
    edge[i] = lsynack__check_uint(L, -1, name, 0xffffffffu);
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
      v.mss = (uint16_t)lsynack__check_uint(L, -1, "options.mss", 65535);
    } else if (strcmp(k, "wscale") == 0) {
      v.has_wscale = 1;
      v.wscale = (uint8_t)lsynack__check_uint(L, -1, "options.wscale", 255);
    } else if (strcmp(k, "sack_permitted") == 0) {
      v.sack_permitted =
          (uint8_t)lsynack__check_bool(L, -1, "options.sack_permitted");
    } else if (strcmp(k, "timestamp") == 0) {
      if (lua_type(L, -1) != LUA_TTABLE)
        lsynack__field_type_error(L, "options.timestamp", "table {val, ecr}",
                                  -1);
      v.has_timestamp = 1;
      lua_rawgeti(L, -1, 1);
      v.ts_val = lsynack__check_uint(L, -1, "options.timestamp", 0xffffffffu);
      lua_rawgeti(L, -2, 2);
      v.ts_ecr = lsynack__check_uint(L, -1, "options.timestamp", 0xffffffffu);
      lua_pop(L, 2);
    } else if (strcmp(k, "sack") == 0) {
      if (lua_type(L, -1) != LUA_TTABLE)
        lsynack__field_type_error(L, "options.sack", "table of {left, right}",
                                  -1);
      n = (int)lua_rawlen(L, -1);
      if (n > SYNACK_MAX_SACK)
        lsynack__field_error(L, "options.sack", "at most 4 blocks");
      v.nsack = (uint8_t)n;
      for (i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        check_sack_block(L, "options.sack", v.sack[i]);
        lua_pop(L, 1);
      }
    } else if (strcmp(k, "list") != 0) {
      lua_pushfstring(L, "options.%s", k);
      lsynack__field_error(L, lua_tostring(L, -1), "unknown option");
    }
    lua_pop(L, 1);
  }
  n = synack_opts_encode(&v, o);
  if (n < 0 || !store_opts(seg, o, (size_t)n))
    lsynack__field_error(L, "options", "options do not fit in 40 bytes");
}

/* Append bytes to the list form's buffer, raising when past 40. */
static size_t append(lua_State *L, uint8_t *o, size_t n, const void *p,
                     size_t len) {
  if (n + len > SYNACK_MAX_TCP_OPTS)
    lsynack__field_error(L, "options", "options do not fit in 40 bytes");
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
    uint32_t v = lsynack__check_uint(L, -1, name, 65535);
    b[0] = SYNACK_OPT_MSS, b[1] = 4, b[2] = (uint8_t)(v >> 8),
    b[3] = (uint8_t)v;
    n = append(L, o, n, b, 4);
  } else if (strcmp(what, "wscale") == 0) {
    b[0] = SYNACK_OPT_WSCALE, b[1] = 3,
    b[2] = (uint8_t)lsynack__check_uint(L, -1, name, 255);
    n = append(L, o, n, b, 3);
  } else if (strcmp(what, "ts") == 0) {
    b[0] = SYNACK_OPT_TIMESTAMP, b[1] = 10;
    put32(b + 2, lsynack__check_uint(L, -1, name, 0xffffffffu));
    lua_rawgeti(L, -2, 3);
    put32(b + 6, lsynack__check_uint(L, -1, name, 0xffffffffu));
    lua_pop(L, 1);
    n = append(L, o, n, b, 10);
  } else if (strcmp(what, "sack") == 0) {
    if (cnt - 1 > SYNACK_MAX_SACK)
      lsynack__field_error(L, name, "at most 4 SACK blocks");
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
    lsynack__field_error(L, name, "unknown option name");
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
    s = lsynack__check_str(L, -1, name, &len);
    n = append(L, o, n, s, len);
    lua_pop(L, 1);
    return n;
  }
  lua_pop(L, 1);
  lua_getfield(L, -1, "kind");
  b[0] = (uint8_t)lsynack__check_uint(L, -1, name, 255);
  lua_getfield(L, -2, "data");
  s = lua_isnil(L, -1) ? "" : lsynack__check_str(L, -1, name, &len);
  if (len > SYNACK_MAX_TCP_OPTS - 2)
    lsynack__field_error(L, name, "option data over 38 bytes");
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
        lsynack__field_error(L, name, "unknown option name");
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
      lsynack__field_type_error(L, name, "string or table", -1);
    }
    lua_pop(L, 2);
  }
  if (!store_opts(seg, o, n))
    lsynack__field_error(L, "options", "options do not fit in 40 bytes");
}

void lsynack__set_options(lua_State *L, int idx, synack_segment *seg) {
  size_t len;
  const char *s;
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    seg->optlen = 0;
    break;
  case LUA_TSTRING: /* raw option bytes */
    s = lua_tolstring(L, idx, &len);
    if (!store_opts(seg, (const uint8_t *)s, len))
      lsynack__field_error(L, "options", "options do not fit in 40 bytes");
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
    lsynack__field_type_error(L, "options", "table", idx);
  }
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static void push_pair(lua_State *L, uint32_t a, uint32_t b) {
  lua_createtable(L, 2, 0);
  lsynack__push_u32(L, a);
  lua_rawseti(L, -2, 1);
  lsynack__push_u32(L, b);
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
    lsynack__push_u32(L, (uint32_t)(o[2] << 8 | o[3]));
    lua_rawseti(L, -2, 2);
    return;
  case SYNACK_OPT_WSCALE:
    if (l != 3)
      break;
    lua_createtable(L, 2, 0);
    lua_pushliteral(L, "wscale");
    lua_rawseti(L, -2, 1);
    lsynack__push_u32(L, o[2]);
    lua_rawseti(L, -2, 2);
    return;
  case SYNACK_OPT_TIMESTAMP:
    if (l != 10)
      break;
    lua_createtable(L, 3, 0);
    lua_pushliteral(L, "ts");
    lua_rawseti(L, -2, 1);
    lsynack__push_u32(L, get32(o + 2));
    lua_rawseti(L, -2, 2);
    lsynack__push_u32(L, get32(o + 6));
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
  lsynack__push_u32(L, o[0]);
  lua_setfield(L, -2, "kind");
  lua_pushlstring(L, (const char *)o + 2, l - 2);
  lua_setfield(L, -2, "data");
}

/*
 * seg.options: the keyed view (synack_opts_parse) plus `list`, every option
 * byte for byte: after an EOL, zero bytes list as "eol" and anything else as
 * one {raw = "..."} entry, so that seg.options = seg.options.list is exact.
 */
void lsynack__push_options(lua_State *L, const synack_segment *seg) {
  synack_tcpopts v;
  size_t off = 0, l = 0;
  int i, n = 0, after_eol = 0;
  lua_createtable(L, 0, 6);
  if (synack_opts_parse(seg->opts, seg->optlen, &v) == 0) {
    if (v.has_mss) {
      lsynack__push_u32(L, v.mss);
      lua_setfield(L, -2, "mss");
    }
    if (v.has_wscale) {
      lsynack__push_u32(L, v.wscale);
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
