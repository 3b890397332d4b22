/* capture.c: placeholder until the pcap binding lands. */
#include "lsynack.h"

void lsynack_open_capture(lua_State *L) { (void)L; }
