/*
 * luvbox.h: the Lua state's loop record (uvbox.c): synack's own libuv loop,
 * and, when luv is loaded, that loop embedded in luv's.
 *
 * synack's handles (clock timers, UDP sockets, TUN polls) live only on a loop
 * synack owns, one per Lua state. Without luv, synack runs that loop itself
 * (net:run() and friends, realtime.c). With luv (plain `require "luv"`,
 * luvit, Neovim's vim.uv), the loop is embedded in luv's: synack asks luv,
 * through luv's own Lua API, for three ordinary luv handles on luv's loop,
 *
 *   a poll handle on synack's loop's backend descriptor (readable when one of
 *   synack's sockets is), a timer armed to synack's next timeout, and an
 *   unreferenced prepare handle that catches up before luv's loop blocks,
 *
 * and their callbacks step synack's loop without blocking. luv's loop thus
 * holds only handles luv made (uv.walk, and luv's own walk at exit, see
 * nothing else), and everything synack runs from the loop (hooks, the tasks
 * of net:spawn) runs inside a luv callback, under luv's callback pcall.
 *
 * The three handles stay while synack's loop has handles, and are closed
 * from luv's prepare phase (so their close callbacks run in the same loop
 * iteration: luv 1.44 frees a closed handle at exit without waiting for its
 * close callback) once the last one is gone; synack's loop is then closed.
 */
#ifndef LSYNACK_LUVBOX_H
#define LSYNACK_LUVBOX_H

#include <uv.h>

#include "loop.h"
#include "lsynack.h"

/* luv's callback pcall (luv.h's luv_CFpcall). */
typedef int (*lsynack_luv_pcall)(lua_State *L, int nargs, int nresults,
                                 int flags);

typedef struct lsynack_uvbox {
  synack_uvloop *ul; /* synack's loop; NULL before first use, after teardown */
  /* luv, while synack's loop is embedded in its loop (else NULL, 0) */
  uv_loop_t *hostloop;
  lua_State *mainL; /* luv's main thread: its callbacks run there */
  lsynack_luv_pcall pcall;
  int embedded;
  int stepping;       /* inside synack_uvloop_step from a luv callback */
  int busy;           /* talking to luv's handles (no re-entry) */
  int in_timer;       /* inside the callback of luv's timer */
  int timer_active;   /* luv's timer is armed ... */
  uint64_t timer_due; /* ... to this time of synack's loop (ms) */
  int poll_ref;       /* luv's poll handle keeps luv's loop alive */
  /* who runs Lua from synack's loop */
  lua_State *runL; /* the thread Lua callbacks of synack's loop run on */
  int depth;       /* net:run() and friends in progress (0 or 1) */
} lsynack_uvbox;

/*
 * The state's loop record, made on first use; when luv is loaded and
 * synack's loop is not yet embedded in luv's, it is embedded now (also when
 * luv came after synack's first real network). NULL with *err set (a libuv
 * error code or SYNACK_ENOMEM) on failure.
 */
lsynack_uvbox *lsynack_uvbox_get(lua_State *L, int *err);
/* The state's loop record, or NULL when none was made. */
lsynack_uvbox *lsynack_uvbox_peek(lua_State *L);

/*
 * Make luv's loop step synack's loop in its next iteration, so that what a
 * call just changed (a send, a new socket, a close) is picked up even when
 * luv's loop had nothing else to wait for. A no-op unless embedded.
 */
void lsynack_uvbox_kick(lua_State *L, lsynack_uvbox *box);
/* Re-arm every clock and bring luv's timer and poll handle up to date. */
void lsynack_uvbox_sync(lua_State *L, lsynack_uvbox *box);
/* Step synack's loop once, without blocking, on thread L. */
void lsynack_uvbox_step(lua_State *L, lsynack_uvbox *box);
/* Whether anything but synack's handles keeps luv's loop alive. */
int lsynack_uvbox_host_alive(lua_State *L, lsynack_uvbox *box);
/* The loop a driver runs: luv's when embedded, else synack's. */
uv_loop_t *lsynack_uvbox_loop(const lsynack_uvbox *box);
/* luv handles synack holds on luv's loop (0 or 3). */
int lsynack_uvbox_luv_handles(const lsynack_uvbox *box);
/*
 * Report the error at msgidx (from `what`: "a segment hook", "a task", ...)
 * through luv's callback pcall, so that the host program's rules apply
 * (plain luv prints "Uncaught Error" and exits, as for its own callbacks;
 * Neovim shows it). Returns 0 when not embedded (nothing done).
 */
int lsynack_uvbox_report(lua_State *L, lsynack_uvbox *box, const char *what,
                         int msgidx);

#endif
