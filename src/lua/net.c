/* net.c: placeholder until the network binding lands. */
#include "lsynack.h"

void lsynack_open_net(lua_State *L) { (void)L; }
