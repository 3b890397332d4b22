/*
 * segment_opts.h: what segment.c and segment_opts.c share: checked reads of
 * field values (each raises "bad field 'name' (...)") and the options field.
 * Internal to the segment binding.
 */
#ifndef LSYNACK_SEGMENT_OPTS_H
#define LSYNACK_SEGMENT_OPTS_H

#include "lsynack.h"

int lsynack__field_error(lua_State *L, const char *name, const char *why);
int lsynack__field_type_error(lua_State *L, const char *name, const char *want,
                              int idx);
/* An integral number in 0..max (no string coercion), on every Lua. */
uint32_t lsynack__check_uint(lua_State *L, int idx, const char *name,
                             uint32_t max);
int lsynack__check_bool(lua_State *L, int idx, const char *name);
const char *lsynack__check_str(lua_State *L, int idx, const char *name,
                               size_t *len);
/* A 32-bit unsigned as an integer (5.3+) or an exact double (5.1, LuaJIT). */
void lsynack__push_u32(lua_State *L, uint32_t v);

/* seg.options = v: nil, raw bytes, the keyed table or the ordered list. */
void lsynack__set_options(lua_State *L, int idx, synack_segment *seg);
/* seg.options: a fresh table, the keyed view plus `list`. */
void lsynack__push_options(lua_State *L, const synack_segment *seg);

#endif
