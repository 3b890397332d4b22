/* segment.c: placeholder until the segment binding lands. */
#include "lsynack.h"

void lsynack_open_segment(lua_State *L) { (void)L; }
