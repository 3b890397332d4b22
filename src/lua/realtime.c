/*
 * realtime.c: synack.network{clock = "real"}: the network's clock on the Lua
 * state's libuv loop (synack's own, embedded in luv's when luv is loaded:
 * uvbox.c), and running the loop from Lua (lrealtime.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrealtime.h"
#include "luvbox.h"

#define LSYNACK_RT_MT "synack.realtime"

struct lsynack_rt {
  lsynack_net *ln;
  lsynack_uvbox *box;
  synack_clock *clk; /* NULL once closed */
  uint64_t events;   /* events processed so far */
  uint64_t epoch_us; /* wall clock at network time 0 */
  int ticking;       /* running the network from the timer */
  int stopped;       /* net:stop() */
};

/* Push `nil, "ENAME: message", "ENAME"` for a libuv error. */
static int push_uverror(lua_State *L, int uverr, const char *what) {
  lua_pushnil(L);
  lua_pushfstring(L, "%s: %s: %s", uv_err_name(uverr), what,
                  uv_strerror(uverr));
  lua_pushstring(L, uv_err_name(uverr));
  return 3;
}

/* Running the network from the timer ------------------------------------- */

/* Process every event due by now; count them. */
static void run_due(lua_State *L, lsynack_rt *rt) {
  lsynack_net *ln = rt->ln;
  uint64_t now;
  if (!rt->clk || !ln->n)
    return;
  now = synack_clock_now(rt->clk);
  ln->L = L;
  rt->ticking++;
  while (ln->n && synack_net_next_deadline(ln->n) <= now) {
    size_t idx = 0;
    if (!synack_net_step(ln->n, &idx))
      break;
    if (idx == SIZE_MAX)
      ln->woken = 1;
    rt->events++;
  }
  if (ln->n)
    synack_net_set_now(ln->n, now);
  rt->ticking--;
}

/*
 * When the host program runs the loop, resume the network's tasks
 * (synack.sched) after something happened that they may wait for.
 */
static void resume_tasks(lua_State *L, lsynack_rt *rt) {
  int top = lua_gettop(L);
  lua_getglobal(L, "package");
  if (!lua_istable(L, -1))
    goto out;
  lua_getfield(L, -1, "loaded");
  if (!lua_istable(L, -1))
    goto out;
  lua_getfield(L, -1, "synack.sched");
  if (!lua_istable(L, -1))
    goto out;
  lua_getfield(L, -1, "run_tasks");
  if (!lua_isfunction(L, -1) || lsynack_getobj(L, rt->ln) == LUA_TNIL)
    goto out;
  if (lua_pcall(L, 1, 0, 0) != 0) {
    lsynack_report(L, rt->ln, "a task", -1);
    lua_pop(L, 1);
  }
out:
  lua_settop(L, top);
}

/* due_lua(rt): run_due as a Lua C function, to be called protected. */
static int due_lua(lua_State *L) {
  run_due(L, lua_touserdata(L, 1));
  return 0;
}

/*
 * Call fn(rt) protected: a Lua error (out of memory; hooks report their
 * own) is reported instead of unwinding through the loop-running code.
 * Returns whether it failed.
 */
static int pcall_rt(lua_State *L, lsynack_rt *rt, lua_CFunction fn) {
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, rt);
  if (lua_pcall(L, 1, 0, 0) == 0)
    return 0;
  if (rt->ln->n)
    lsynack_report(L, rt->ln, "the real-time clock", -1);
  lua_pop(L, 1);
  return 1;
}

static void run_due_protected(lua_State *L, lsynack_rt *rt) {
  if (pcall_rt(L, rt, due_lua))
    rt->ticking = 0;
}

/* The timer's work in Lua: tick_lua(rt) */
static int tick_lua(lua_State *L) {
  lsynack_rt *rt = lua_touserdata(L, 1);
  /*
   * Hold the network's userdata on the stack while it runs: nothing else may
   * (a script can drop every reference to a real network) and a collection
   * during one of its hooks must not free it under us.
   */
  if (lsynack_getobj(L, rt->ln) == LUA_TNIL)
    return 0; /* being collected: its clock closes in __gc */
  run_due(L, rt);
  if (rt->box->depth == 0 && rt->ln->n && rt->ln->woken)
    resume_tasks(L, rt);
  return 0;
}

/*
 * The clock's timer fired, inside a run of synack's loop: from synack's own
 * run (net:run() and friends) or, when the loop is embedded in luv's, from
 * a luv callback, which luv calls through its callback pcall. Cross into Lua
 * protected, on the thread that runs the loop.
 */
static void on_tick(void *ud, synack_clock *c, uint64_t now) {
  lsynack_rt *rt = ud;
  lua_State *L = rt->box->runL;
  (void)c;
  (void)now;
  if (L && rt->ln->n)
    (void)pcall_rt(L, rt, tick_lua);
}

/* Opening and closing ----------------------------------------------------- */

int lsynack_rt_wanted(lua_State *L, int idx) {
  int real, err = 0;
  if (lua_type(L, idx) != LUA_TTABLE)
    return 0;
  lua_getfield(L, idx, "clock");
  real = lua_type(L, -1) == LUA_TSTRING &&
         strcmp(lua_tostring(L, -1), "real") == 0;
  lua_pop(L, 1);
  if (real)
    (void)lsynack_uvbox_get(L, &err); /* errors come again in rt_open */
  return real;
}

/* Push the failure of a loop or clock start: a synack code or a libuv one. */
static int push_open_error(lua_State *L, int err, const char *what) {
  return err > SYNACK__ERR_BASE && err < SYNACK__ERR_END
             ? lsynack_pusherror(L, err)
             : push_uverror(L, err, what);
}

int lsynack_rt_open(lua_State *L, lsynack_net *ln, int netidx) {
  lsynack_uvbox *box;
  lsynack_rt *rt;
  int err = 0;
  netidx = lua_absindex(L, netidx);
  box = lsynack_uvbox_get(L, &err);
  if (!box)
    return push_open_error(L, err, "cannot start a libuv loop");
  rt = lua_newuserdata(L, sizeof *rt);
  memset(rt, 0, sizeof *rt);
  luaL_setmetatable(L, LSYNACK_RT_MT);
  rt->ln = ln;
  rt->box = box;
  rt->clk = synack_clock_new(box->ul, ln->n, on_tick, rt, &err);
  if (!rt->clk) {
    lua_pop(L, 1);
    return push_open_error(L, err, "cannot start the clock");
  }
  {
    uv_timeval64_t tv;
    uint64_t wall = uv_gettimeofday(&tv) == 0
                        ? (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec
                        : 0;
    rt->epoch_us = wall - synack_clock_now(rt->clk);
  }
  ln->rt = rt;
  lua_getuservalue(L, netidx);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "realtime");
  lua_pop(L, 2);
  return 0;
}

lsynack_rt *lsynack_rt_get(lua_State *L, int netidx) {
  lsynack_rt *rt;
  lsynack_getuv(L, netidx, "realtime");
  rt = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return rt;
}

void lsynack_rt_close(lua_State *L, int netidx, int collecting) {
  lsynack_rt *rt = lsynack_rt_get(L, netidx);
  if (!rt || !rt->clk)
    return;
  synack_clock_close(rt->clk);
  rt->clk = NULL;
  rt->ln->rt = NULL;
  if (!collecting)
    lsynack_uvbox_kick(L, rt->box); /* the close callbacks run soon */
}

void lsynack_rt_kick(lua_State *L, lsynack_rt *rt) {
  if (rt)
    lsynack_uvbox_kick(L, rt->box);
}

int lsynack_rt_report(lua_State *L, lsynack_net *ln, const char *what,
                      int msgidx) {
  return ln->rt ? lsynack_uvbox_report(L, ln->rt->box, what, msgidx) : 0;
}

void lsynack_rt_sync(lsynack_rt *rt) {
  if (rt && rt->clk && rt->ln->n)
    synack_clock_sync(rt->clk);
}

synack_clock *lsynack_rt_clock(lsynack_rt *rt) {
  return rt ? rt->clk : NULL;
}

/*
 * Also, under luv, make luv's loop step synack's soon: the call about to be
 * made may give the network work (a send, a connect) while luv's loop has
 * nothing else to do. luv's handles are luv's, any thread of the state may
 * call their methods; its main thread is the one that is always there.
 */
uint64_t lsynack_now(lsynack_net *ln) {
  if (ln->rt && ln->rt->clk && ln->n) {
    synack_clock_sync(ln->rt->clk);
    if (ln->rt->box->mainL)
      lsynack_uvbox_kick(ln->rt->box->mainL, ln->rt->box);
  }
  return synack_net_now(ln->n);
}

uint64_t lsynack_rt_epoch(lsynack_net *ln) {
  return ln->rt ? ln->rt->epoch_us : 0;
}

/* Driving the loop ----------------------------------------------------------
 */

/* Is function `fn` (at -1, popped) on the call stack of thread T? */
static int on_stack(lua_State *L, lua_State *T) {
  lua_Debug ar;
  int level, found = 0;
  for (level = 0; !found && lua_getstack(T, level, &ar); level++) {
    lua_getinfo(T, "f", &ar);
    if (T != L)
      lua_xmove(T, L, 1);
    found = lua_rawequal(L, -1, -2);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return found;
}

/* Push _G[mod][k], or _G[mod][sub][k] when sub is given; nil if absent. */
static void push_lib_field(lua_State *L, const char *mod, const char *sub,
                           const char *k) {
  lua_getglobal(L, mod);
  if (sub && lua_istable(L, -1)) {
    lua_getfield(L, -1, sub);
    lua_remove(L, -2);
  }
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, k);
    lua_remove(L, -2);
  } else {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
}

/* Is luv's run() (package.loaded[name].run, at -1, popped) running? */
static int run_on_stack(lua_State *L, lsynack_uvbox *box) {
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  if (box->mainL != L) {
    lua_pushvalue(L, -1);
    if (on_stack(L, box->mainL)) {
      lua_pop(L, 1);
      return 1;
    }
  }
  return on_stack(L, L);
}

/*
 * Whether the host program is running luv's loop right now: Neovim says so
 * with vim.in_fast_event(); with plain luv ("luv", or "uv" in luvit), its
 * run() is on the stack.
 */
static int host_running(lua_State *L, lsynack_uvbox *box) {
  static const char *const names[] = {"luv", "uv"};
  int fast = 0, i;
  if (!box->mainL)
    return 0;
  push_lib_field(L, "vim", NULL, "in_fast_event");
  if (lua_isfunction(L, -1) && lua_pcall(L, 0, 1, 0) == 0)
    fast = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (fast)
    return 1;
  for (i = 0; i < 2; i++) {
    push_lib_field(L, "package", "loaded", names[i]);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "run");
      lua_remove(L, -2);
    }
    if (run_on_stack(L, box))
      return 1;
  }
  return 0;
}

static void check_can_drive(lua_State *L, lsynack_rt *rt, const char *what) {
  if (!rt->clk)
    luaL_error(L, "synack: the network is closed");
  if (rt->ln->in_hook || rt->ticking)
    luaL_error(L, "synack: %s cannot be called from inside a hook or callback",
               what);
  if (rt->box->depth > 0 || rt->box->stepping)
    luaL_error(L,
               "synack: %s cannot run the loop from inside a libuv callback "
               "(the loop is already running)",
               what);
  if (host_running(L, rt->box))
    luaL_error(L,
               "synack: %s cannot run the loop while the host program runs it "
               "(uv.run, Neovim): synack progresses on its own there; use "
               "hooks, net:spawn, or calls with timeout 0",
               what);
}

typedef enum { RUN_IDLE, RUN_LIMIT, RUN_WOKEN, RUN_EVENT, RUN_STOPPED } run_why;

/*
 * Arm the clock (and, embedded, luv's handles) for a wait; then whether
 * anything could wake the loop: synack's loop (not counting the time limit
 * when it is only a polling interval, `poll`), or, embedded, anything else on
 * luv's loop.
 */
static int ready_to_wait(lua_State *L, lsynack_rt *rt, int poll) {
  lsynack_uvbox *box = rt->box;
  uv_loop_t *own = synack_uvloop_loop(box->ul);
  synack_clock_arm(rt->clk);
  lsynack_uvbox_sync(L, box);
  if (poll ? synack_clock_loop_alive(rt->clk) : uv_loop_alive(own))
    return 1;
  return lsynack_uvbox_host_alive(L, box);
}

/* Run the loop once (UV_RUN_ONCE): luv's when embedded, else synack's. */
static void run_once(lua_State *L, lsynack_uvbox *box) {
  if (box->embedded) {
    uv_run(box->hostloop, UV_RUN_ONCE); /* luv's callbacks step synack's */
    return;
  }
  box->runL = L;
  uv_run(synack_uvloop_loop(box->ul), UV_RUN_ONCE);
  box->runL = NULL;
}

/*
 * Run the loop until: net:stop() (or the network closes), something a waiter
 * may care about happened (stop_on_wake), any event was processed
 * (stop_on_event), the time limit (network time, SYNACK_NEVER: none), or
 * nothing is left that could ever wake the loop (the limit counts, unless it
 * is only a polling interval: `poll`).
 */
static run_why drive(lua_State *L, lsynack_rt *rt, uint64_t limit, int poll,
                     int stop_on_wake, int stop_on_event, const char *what) {
  lsynack_uvbox *box = rt->box;
  lsynack_net *ln = rt->ln;
  uint64_t events0 = rt->events;
  run_why why;
  int err = 0;
  check_can_drive(L, rt, what);
  (void)lsynack_uvbox_get(L, &err); /* embed if luv came since */
  if (stop_on_wake)
    ln->woken = 0;
  rt->stopped = 0;
  synack_clock_set_limit(rt->clk, limit);
  box->depth++;
  for (;;) {
    run_due_protected(L, rt);
    if (!rt->clk || !ln->n || rt->stopped)
      why = RUN_STOPPED;
    else if (stop_on_wake && ln->woken)
      why = RUN_WOKEN;
    else if (stop_on_event && rt->events != events0)
      why = RUN_EVENT;
    else if (limit != SYNACK_NEVER && synack_clock_now(rt->clk) >= limit)
      why = RUN_LIMIT;
    else if (!ready_to_wait(L, rt, poll))
      why = RUN_IDLE; /* a polling limit alone keeps nothing alive */
    else {
      run_once(L, box);
      continue;
    }
    break;
  }
  box->depth--;
  if (rt->clk) {
    synack_clock_set_limit(rt->clk, SYNACK_NEVER);
    synack_clock_sync(rt->clk);
    lsynack_uvbox_sync(L, box);
  }
  rt->stopped = 0;
  return why;
}

int lsynack_rt_run(lua_State *L, lsynack_rt *rt) {
  static const char *const names[] = {"idle", "limit", "woken", "woken",
                                      "stopped"};
  uint64_t limit = lsynack_checktime(L, 2, SYNACK_NEVER);
  run_why why = drive(L, rt, limit, 0, lua_toboolean(L, 3), 0, "net:run");
  lua_pushstring(L, names[why]);
  return 1;
}

/*
 * In real time a condition may also change outside the network (a file,
 * another process), so a step waits at most this long: net:run_until(pred)
 * checks pred at least this often.
 */
#define POLL_US 50000

/* now + POLL_US, or t when earlier. */
static uint64_t poll_limit(lsynack_rt *rt, uint64_t t) {
  uint64_t p = rt->clk ? synack_clock_now(rt->clk) + POLL_US : 0;
  return t < p ? t : p;
}

/* One step: until an event was processed, at most POLL_US; false when idle. */
int lsynack_rt_stepq(lua_State *L, lsynack_rt *rt) {
  run_why why = drive(L, rt, poll_limit(rt, SYNACK_NEVER), 1, 1, 1, "net:step");
  lua_pushboolean(L, why != RUN_IDLE);
  return 1;
}

/*
 * net:step() in real time: wait, as long as it takes, until at least one
 * event was processed; pushes false when nothing is left that could wake the
 * loop (or the network was stopped or closed).
 */
int lsynack_rt_wait_event(lua_State *L, lsynack_rt *rt) {
  run_why why = drive(L, rt, SYNACK_NEVER, 0, 0, 1, "net:step");
  lua_pushboolean(L, why == RUN_EVENT);
  return 1;
}

/* Wait until t, an event, or POLL_US, whichever comes first. */
int lsynack_rt_setnow(lua_State *L, lsynack_rt *rt) {
  uint64_t t = lsynack_checktime(L, 2, 0);
  if (rt->clk && synack_clock_now(rt->clk) < t)
    drive(L, rt, poll_limit(rt, t), 0, 1, 1, "net:run");
  return 0;
}

/* Methods ------------------------------------------------------------------ */

static lsynack_rt *check_rt(lua_State *L) {
  lsynack_rt *rt;
  lsynack_checknet(L, 1);
  rt = lsynack_rt_get(L, 1);
  if (!rt)
    luaL_argerror(L, 1, "a network with clock = \"real\" expected");
  return rt;
}

/* net:stop(): make the running net:run() (or wait) return soon. */
static int net_stop(lua_State *L) {
  lsynack_rt *rt = check_rt(L);
  rt->stopped = 1;
  if (rt->box->depth > 0)
    uv_stop(lsynack_uvbox_loop(rt->box)); /* the driver returns soon */
  return 0;
}

/*
 * net:_real() -> nil for a virtual network; else a table: loop = "luv" |
 * "own", handles (synack's handles open on the loop), events (processed).
 */
static int net_real(lua_State *L) {
  lsynack_rt *rt;
  luaL_checkudata(L, 1, LSYNACK_NET_MT);
  rt = lsynack_rt_get(L, 1);
  if (!rt)
    return 0;
  lua_createtable(L, 0, 3);
  lua_pushstring(L, rt->box->embedded ? "luv" : "own");
  lua_setfield(L, -2, "loop");
  lua_pushinteger(
      L, rt->box->ul ? (lua_Integer)synack_uvloop_handles(rt->box->ul) : 0);
  lua_setfield(L, -2, "handles");
  lua_pushinteger(L, (lua_Integer)rt->events);
  lua_setfield(L, -2, "events");
  return 1;
}

/*
 * synack.core._uv_handles() -> synack's handles open (or closing) on its own
 * loop, and the luv handles it holds on luv's loop (0 or 3).
 */
static int core_uv_handles(lua_State *L) {
  lsynack_uvbox *box = lsynack_uvbox_peek(L);
  lua_pushinteger(
      L, box && box->ul ? (lua_Integer)synack_uvloop_handles(box->ul) : 0);
  lua_pushinteger(L, lsynack_uvbox_luv_handles(box));
  return 2;
}

/*
 * synack.core._uv_run([mode]): run synack's loop once ("once") or without
 * blocking ("nowait", the default), e.g. so that close callbacks run after a
 * network was closed. Embedded in luv's loop, both step it without blocking.
 */
static int core_uv_run(lua_State *L) {
  static const char *const modes[] = {"nowait", "once", NULL};
  lsynack_uvbox *box = lsynack_uvbox_peek(L);
  int mode = luaL_checkoption(L, 1, "nowait", modes);
  if (!box || !box->ul)
    return 0;
  if (box->depth > 0 || box->stepping)
    luaL_error(L, "synack: the loop is already running");
  if (mode == 0 || box->embedded) {
    lsynack_uvbox_step(L, box);
    return 0;
  }
  box->depth++;
  run_once(L, box);
  box->depth--;
  return 0;
}

void lsynack_open_realtime(lua_State *L) {
  luaL_newmetatable(L,
                    LSYNACK_RT_MT); /* no __gc: the network closes the clock */
  lua_pop(L, 1);
  lua_pushcfunction(L, lsynack_net_udp);
  lua_setfield(L, -2, "udp");
  lua_pushcfunction(L, lsynack_net_tun);
  lua_setfield(L, -2, "tun");
  lua_pushcfunction(L, net_stop);
  lua_setfield(L, -2, "stop");
  lua_pushcfunction(L, net_real);
  lua_setfield(L, -2, "_real");
  lsynack_open_reallink(L, -3);
}

void lsynack_open_realtime_core(lua_State *L) {
  lua_pushcfunction(L, core_uv_handles);
  lua_setfield(L, -2, "_uv_handles");
  lua_pushcfunction(L, core_uv_run);
  lua_setfield(L, -2, "_uv_run");
}
