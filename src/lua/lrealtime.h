/*
 * lrealtime.h: the binding of real time (realtime.c) and of the real links
 * (reallink.c): synack.network{clock = "real"}, net:udp{...}, net:tun{...}.
 *
 * A real network has a clock (loop.h) on the Lua state's libuv loop, which
 * synack owns, embedded in luv's when luv is loaded (plain `require "luv"`,
 * luvit, Neovim's vim.uv): see luvbox.h. The network's uservalue holds the
 * realtime userdata under "realtime" (and ln->rt points to it); net.c hands
 * its loop-driving primitives (_run, _stepq, _setnow) to the functions below
 * when ln->rt is set.
 *
 * Who runs the loop:
 * - without luv: only net:run(), net:run_until(), net:advance() and the
 *   blocking-style calls, from the main chunk (or any coroutine the network
 *   does not run), run synack's loop;
 * - with luv: the same calls run luv's loop, when the script is not inside
 *   uv.run(); and when the host program runs it (uv.run(), Neovim), synack
 *   just progresses inside it: luv's callbacks step synack's loop (so Lua
 *   runs under luv's callback pcall), and the tasks of net:spawn() are
 *   resumed.
 * Driving the loop from a hook, a task or a libuv callback raises an error.
 */
#ifndef LSYNACK_REALTIME_H
#define LSYNACK_REALTIME_H

#include "lnet.h"
#include "loop.h"

#define LSYNACK_UDP_MT "synack.udp"
#define LSYNACK_TUN_MT "synack.tun"

typedef struct lsynack_rt lsynack_rt;

/*
 * Whether the options table at idx asks for clock = "real". When it does, the
 * state's loop record is made now (before the network's userdata, so that
 * it outlives the network when the state closes).
 */
int lsynack_rt_wanted(lua_State *L, int idx);
/*
 * Give the network at netidx a real clock. Returns 0, or pushes
 * `nil, err, code` and returns 3.
 */
int lsynack_rt_open(lua_State *L, lsynack_net *ln, int netidx);
/*
 * Close the clock of the network at netidx (a no-op for virtual ones). From
 * __gc (`collecting`) no Lua is called: the close callbacks then run the
 * next time the loop runs, or when the state closes.
 */
void lsynack_rt_close(lua_State *L, int netidx, int collecting);
/* Under luv: have luv's loop step synack's soon (after a link was made). */
void lsynack_rt_kick(lua_State *L, lsynack_rt *rt);
/*
 * Report an error (at msgidx, from `what`) of a network whose loop is
 * embedded in luv's through luv's callback pcall; returns 0 (nothing done)
 * when it is not: lsynack_report then prints it.
 */
int lsynack_rt_report(lua_State *L, lsynack_net *ln, const char *what,
                      int msgidx);
/* The realtime record of the network at netidx, or NULL (virtual time). */
lsynack_rt *lsynack_rt_get(lua_State *L, int netidx);
/* Move the network's clock to the real time. NULL is allowed. */
void lsynack_rt_sync(lsynack_rt *rt);
synack_clock *lsynack_rt_clock(lsynack_rt *rt);
/*
 * Microseconds since the epoch at the network's time 0 (real time), else 0:
 * added to capture timestamps so that a pcap of a real network shows wall
 * clock times, as tcpdump's would.
 */
uint64_t lsynack_rt_epoch(lsynack_net *ln);

/* net:_run([limit [, stop_on_wake]]), net:_stepq(), net:_setnow(t) in real
 * time. */
int lsynack_rt_run(lua_State *L, lsynack_rt *rt);
int lsynack_rt_stepq(lua_State *L, lsynack_rt *rt);
int lsynack_rt_setnow(lua_State *L, lsynack_rt *rt);
/* net:step() in real time: true once an event was processed, false when idle.
 */
int lsynack_rt_wait_event(lua_State *L, lsynack_rt *rt);

/*
 * Add udp, tun, stop, _real to the network methods table at -1; register
 * types (the methods of udp and tun links go to fields udp and tun of the
 * table of method tables at -3, synack.core._methods).
 */
void lsynack_open_realtime(lua_State *L);
/* Add _uv_handles and _uv_run to the synack.core table at -1 (for tests). */
void lsynack_open_realtime_core(lua_State *L);

/* reallink.c */
/* The link types; their methods tables go to the table at `methods`. */
void lsynack_open_reallink(lua_State *L, int methods);
int lsynack_net_udp(lua_State *L);
int lsynack_net_tun(lua_State *L);
/* The link of a udp or tun userdata at idx, or NULL when it is neither. */
lsynack_wire *lsynack_rt_testlink(lua_State *L, int idx);

#endif
