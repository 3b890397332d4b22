/*
 * uvbox.c: the Lua state's loop record: synack's own libuv loop, embedded in
 * luv's loop when luv is loaded (luvbox.h).
 *
 * luv is used only through what it publishes: the first fields of its
 * per-state context in the registry (loop, main thread, callback pcall,
 * stable across luv versions) and its Lua API (new_timer, new_poll,
 * new_prepare and the handles' methods). luv's header is not needed.
 */
#include <string.h>

#include "luvbox.h"

#define LSYNACK_UVBOX_MT "synack.uvloop"

/* luv's context: registry["luv_context"], a userdata starting like this. */
#define LUV_CONTEXT_KEY "luv_context"
typedef struct luv_ctx_head {
  uv_loop_t *loop;
  lua_State *L;
  lsynack_luv_pcall cb_pcall;
} luv_ctx_head;
/* luv.h's LUVF_CALLBACK_NOTRACEBACK: the message carries its traceback. */
#define LUV_NOTRACEBACK 0x02

static char box_key; /* registry: the state's lsynack_uvbox userdata */

/* The three luv handles of the embedding, as fields of the box's uservalue
 * (with "on_timer", the timer's callback, given again at every start). */
static const char *const luv_handles[] = {"prepare", "timer", "poll"};

/* luv -----------------------------------------------------------------------
 */

/* luv's context when luv is loaded in this state, else NULL. */
static const luv_ctx_head *luv_context(lua_State *L) {
  const luv_ctx_head *ctx;
  lua_pushliteral(L, LUV_CONTEXT_KEY);
  lua_rawget(L, LUA_REGISTRYINDEX);
  ctx = lua_type(L, -1) == LUA_TUSERDATA ? lua_touserdata(L, -1) : NULL;
  lua_pop(L, 1);
  if (ctx && ctx->loop && ctx->L && ctx->cb_pcall)
    return ctx;
  return NULL;
}

/* Push luv's module table (loaded as "luv", or "uv" in luvit) and return 1;
 * 0, pushing nothing, when neither is there. */
static int push_luv(lua_State *L) {
  static const char *const names[] = {"luv", "uv"};
  int i, ok;
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  for (i = 0; i < 2 && lua_istable(L, -1); i++) {
    lua_getfield(L, -1, names[i]);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "new_prepare");
      ok = lua_isfunction(L, -1);
      lua_pop(L, 1);
      if (ok) {
        lua_remove(L, -2);
        return 1;
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return 0;
}

/* The libuv error code named `name` ("EEXIST"), UV_EINVAL when unknown. */
static int uverr_named(const char *name) {
#define XX(code, _)                                                            \
  if (name && strcmp(name, #code) == 0)                                        \
    return UV_##code;
  UV_ERRNO_MAP(XX)
#undef XX
  return UV_EINVAL;
}

/* Push field k of the box's uservalue (a luv handle or a callback), or nil. */
static void push_field(lua_State *L, const char *k) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &box_key);
  lua_getuservalue(L, -1);
  lua_remove(L, -2);
  if (lua_istable(L, -1))
    lua_getfield(L, -1, k);
  else
    lua_pushnil(L);
  lua_remove(L, -2);
}

/* Pop a value into field k of the box's uservalue. */
static void set_field(lua_State *L, const char *k) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &box_key);
  lua_getuservalue(L, -1);
  lua_remove(L, -2);
  lua_insert(L, -2);
  lua_setfield(L, -2, k);
  lua_pop(L, 1);
}

/*
 * h:m(...) on the luv handle in field h, with the nargs values on top of the
 * stack as its arguments (popped), protected. Returns -1 when it raised or
 * the handle is gone, else whether its first result is true (luv answers 0
 * for success and nil, err for failure; is_closing a boolean).
 */
static int hcall(lua_State *L, const char *h, const char *m, int nargs) {
  int base = lua_gettop(L) - nargs, r = -1;
  push_field(L, h);
  if (lua_isuserdata(L, -1)) {
    lua_getfield(L, -1, m);
    lua_insert(L, base + 1); /* m, args..., h */
    lua_insert(L, base + 2); /* m, h, args... */
    if (lua_pcall(L, nargs + 1, 1, 0) == 0)
      r = lua_toboolean(L, -1);
  }
  lua_settop(L, base);
  return r;
}

/* Close the luv handle in field h unless it is closing already; forget it. */
static void hclose(lua_State *L, const char *h) {
  if (hcall(L, h, "is_closing", 0) == 0)
    (void)hcall(L, h, "close", 0);
  lua_pushnil(L);
  set_field(L, h);
}

/* Start luv's timer to fire in t ms (one shot). */
static void timer_start(lua_State *L, lsynack_uvbox *box, int t) {
  lua_pushinteger(L, t);
  lua_pushinteger(L, 0);
  push_field(L, "on_timer");
  box->timer_active = hcall(L, "timer", "start", 3) == 1;
  box->timer_due = uv_now(synack_uvloop_loop(box->ul)) + (uint64_t)t;
}

/* The embedding ------------------------------------------------------------ */

/*
 * Bring luv's handles up to what synack_uvloop_next() said: the timer armed
 * to t (stopped for -1), the poll handle referenced while synack's loop is
 * alive. With no handle left in synack's loop, the timer is armed to 0 so
 * that the next iteration of luv's loop tears the embedding down.
 */
static void update_luv(lua_State *L, lsynack_uvbox *box, int t, int alive) {
  if (box->busy)
    return;
  box->busy = 1;
  if (synack_uvloop_handles(box->ul) == 0) {
    t = 0;
    alive = 0;
  }
  /* libuv runs a timer re-armed with 0 from its own callback again at once,
   * forever */
  if (t == 0 && box->in_timer)
    t = 1;
  if (t < 0 && box->timer_active) {
    (void)hcall(L, "timer", "stop", 0);
    box->timer_active = 0;
  } else if (t >= 0 && (!box->timer_active ||
                        box->timer_due != uv_now(synack_uvloop_loop(box->ul)) +
                                              (uint64_t)t)) {
    timer_start(L, box, t);
  }
  if (alive != box->poll_ref) {
    (void)hcall(L, "poll", alive ? "ref" : "unref", 0);
    box->poll_ref = alive;
  }
  box->busy = 0;
}

/* Close luv's handles and forget them; synack's loop stays. */
static void unembed(lua_State *L, lsynack_uvbox *box) {
  size_t i;
  box->busy = 1;
  for (i = 0; i < sizeof luv_handles / sizeof *luv_handles; i++)
    hclose(L, luv_handles[i]);
  lua_pushnil(L);
  set_field(L, "on_timer");
  box->busy = 0;
  box->embedded = 0;
  box->hostloop = NULL;
  box->mainL = NULL;
  box->pcall = NULL;
  box->timer_active = 0;
  box->poll_ref = 0;
}

/* Run synack's loop once without blocking; its Lua callbacks run on L. */
static void run_inner(lua_State *L, lsynack_uvbox *box) {
  lua_State *prev = box->runL;
  box->runL = L;
  box->stepping = 1;
  synack_uvloop_step(box->ul);
  box->stepping = 0;
  box->runL = prev;
}

/*
 * The work of every luv callback of the embedding: step synack's loop (always
 * when `run`, else only when something is due at once), then re-arm. From the
 * prepare phase (`may_close`), an embedding left with nothing is closed, and
 * synack's loop with it.
 */
static void from_luv(lua_State *L, lsynack_uvbox *box, int run, int may_close) {
  int alive, t;
  if (!box->embedded || !box->ul || box->stepping || box->busy)
    return; /* re-entered: someone ran luv's loop from inside synack's */
  t = synack_uvloop_next(box->ul, &alive);
  if (run || t == 0) {
    run_inner(L, box);
    t = synack_uvloop_next(box->ul, &alive);
  }
  if (may_close && synack_uvloop_handles(box->ul) == 0 && box->depth == 0) {
    unembed(L, box);
    synack_uvloop_release(box->ul);
    box->ul = NULL;
    return;
  }
  update_luv(L, box, t, alive);
}

static lsynack_uvbox *upbox(lua_State *L) {
  return lua_touserdata(L, lua_upvalueindex(1));
}

/* The callbacks luv calls (through its callback pcall). */
static int on_luv_timer(lua_State *L) {
  lsynack_uvbox *box = upbox(L);
  box->timer_active = 0;
  box->in_timer = 1;
  from_luv(L, box, 1, 0);
  box->in_timer = 0;
  return 0;
}

static int on_luv_poll(lua_State *L) {
  from_luv(L, upbox(L), 1, 0);
  return 0;
}

static int on_luv_prepare(lua_State *L) {
  from_luv(L, upbox(L), 0, 1);
  return 0;
}

/* Push a closure of fn over the box userdata. */
static void push_callback(lua_State *L, lua_CFunction fn) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &box_key);
  lua_pushcclosure(L, fn, 1);
}

/*
 * luv.fn(args...) (the nargs values on top, popped), its handle stored in
 * field k. Returns 0, or a libuv error code.
 */
static int make_handle(lua_State *L, int luv, const char *fn, const char *k,
                       int nargs) {
  int base = lua_gettop(L) - nargs, err = 0;
  lua_getfield(L, luv, fn);
  lua_insert(L, base + 1);
  if (lua_pcall(L, nargs, 3, 0) != 0)
    err = UV_EINVAL;
  else if (!lua_isuserdata(L, base + 1))
    err = uverr_named(lua_tostring(L, base + 3));
  else {
    lua_pushvalue(L, base + 1);
    set_field(L, k);
  }
  lua_settop(L, base);
  return err;
}

/* Make luv's three handles and start them. Returns 0 or a libuv error code. */
static int make_handles(lua_State *L, lsynack_uvbox *box, int luv) {
  int err = make_handle(L, luv, "new_timer", "timer", 0);
  if (!err) {
    lua_pushinteger(L, synack_uvloop_fd(box->ul));
    err = make_handle(L, luv, "new_poll", "poll", 1);
  }
  if (!err)
    err = make_handle(L, luv, "new_prepare", "prepare", 0);
  if (err)
    return err;
  push_callback(L, on_luv_timer);
  set_field(L, "on_timer");
  push_callback(L, on_luv_prepare);
  if (hcall(L, "prepare", "start", 1) != 1)
    return UV_EINVAL;
  (void)hcall(L, "prepare", "unref", 0); /* it never keeps luv's loop alive */
  lua_pushliteral(L, "r");
  push_callback(L, on_luv_poll);
  if (hcall(L, "poll", "start", 2) != 1)
    return UV_EINVAL;
  (void)hcall(L, "poll", "unref", 0);
  return 0;
}

/* Embed synack's loop in luv's. Returns 0 or a libuv error code. */
static int embed(lua_State *L, lsynack_uvbox *box, const luv_ctx_head *ctx) {
  int top = lua_gettop(L), err;
  if (!push_luv(L))
    return 0; /* luv's context without its module: synack runs its own loop */
  box->busy = 1;
  err = make_handles(L, box, top + 1);
  box->busy = 0;
  lua_settop(L, top);
  if (err) {
    unembed(L, box);
    return err;
  }
  box->embedded = 1;
  box->hostloop = ctx->loop;
  box->mainL = ctx->L;
  box->pcall = ctx->cb_pcall;
  lsynack_uvbox_kick(L, box); /* register what synack's loop already has */
  return 0;
}

/* Whether someone closed luv's handles behind synack's back (uv.walk). */
static int handles_gone(lua_State *L) {
  size_t i;
  for (i = 0; i < sizeof luv_handles / sizeof *luv_handles; i++)
    if (hcall(L, luv_handles[i], "is_closing", 0) != 0)
      return 1;
  return 0;
}

/* The record ----------------------------------------------------------------
 */

/*
 * Only when the state closes (the registry holds the box): luv closes its own
 * handles from its loop's __gc; synack's loop is run until its handles'
 * close callbacks have run, then closed. No Lua is called here.
 */
static int box_gc(lua_State *L) {
  lsynack_uvbox *box = luaL_checkudata(L, 1, LSYNACK_UVBOX_MT);
  box->embedded = 0;
  if (box->ul)
    synack_uvloop_release(box->ul);
  box->ul = NULL;
  return 0;
}

lsynack_uvbox *lsynack_uvbox_peek(lua_State *L) {
  lsynack_uvbox *box;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &box_key);
  box = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return box;
}

static lsynack_uvbox *new_box(lua_State *L) {
  lsynack_uvbox *box = lua_newuserdata(L, sizeof *box);
  memset(box, 0, sizeof *box);
  if (luaL_newmetatable(L, LSYNACK_UVBOX_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lua_newtable(L);
  lua_setuservalue(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &box_key);
  return box;
}

lsynack_uvbox *lsynack_uvbox_get(lua_State *L, int *err) {
  const luv_ctx_head *ctx = luv_context(L);
  lsynack_uvbox *box = lsynack_uvbox_peek(L);
  if (!box)
    box = new_box(L);
  if (!box->ul && !(box->ul = synack_uvloop_new(err)))
    return NULL;
  if (box->embedded && !box->busy && handles_gone(L))
    unembed(L, box);
  if (ctx && !box->embedded && box->depth == 0 && !box->stepping &&
      (*err = embed(L, box, ctx)) != 0)
    return NULL;
  return box;
}

void lsynack_uvbox_kick(lua_State *L, lsynack_uvbox *box) {
  if (!box || !box->embedded || !box->ul || box->stepping || box->busy)
    return;
  if (box->timer_active &&
      box->timer_due <= uv_now(synack_uvloop_loop(box->ul)))
    return; /* it fires in the next iteration anyway */
  box->busy = 1;
  timer_start(L, box, 0);
  box->busy = 0;
}

void lsynack_uvbox_sync(lua_State *L, lsynack_uvbox *box) {
  int alive, t;
  if (!box->embedded || !box->ul || box->stepping || box->busy)
    return;
  t = synack_uvloop_next(box->ul, &alive);
  update_luv(L, box, t, alive);
}

void lsynack_uvbox_step(lua_State *L, lsynack_uvbox *box) {
  if (!box->ul || box->stepping)
    return;
  if (box->embedded)
    from_luv(L, box, 1, 0);
  else
    run_inner(L, box);
}

int lsynack_uvbox_host_alive(lua_State *L, lsynack_uvbox *box) {
  int alive, t = box->timer_active, p = box->poll_ref;
  if (!box->embedded)
    return 0;
  box->busy = 1;
  if (t)
    (void)hcall(L, "timer", "unref", 0);
  if (p)
    (void)hcall(L, "poll", "unref", 0);
  alive = uv_loop_alive(box->hostloop);
  if (t)
    (void)hcall(L, "timer", "ref", 0);
  if (p)
    (void)hcall(L, "poll", "ref", 0);
  box->busy = 0;
  return alive;
}

uv_loop_t *lsynack_uvbox_loop(const lsynack_uvbox *box) {
  return box->embedded ? box->hostloop : synack_uvloop_loop(box->ul);
}

int lsynack_uvbox_luv_handles(const lsynack_uvbox *box) {
  return box && box->embedded ? 3 : 0;
}

/* rethrow(err): raise err again, for luv's callback pcall to report. */
static int rethrow(lua_State *L) {
  return lua_error(L);
}

int lsynack_uvbox_report(lua_State *L, lsynack_uvbox *box, const char *what,
                         int msgidx) {
  int r;
  if (!box || !box->embedded || !box->pcall)
    return 0;
  msgidx = lua_absindex(L, msgidx);
  lua_pushcfunction(L, rethrow);
  if (lua_type(L, msgidx) == LUA_TSTRING)
    lua_pushfstring(L, "synack: error in %s: %s", what,
                    lua_tostring(L, msgidx));
  else
    lua_pushvalue(L, msgidx);
  r = box->pcall(L, 1, 0, LUV_NOTRACEBACK);
  if (r > 0)
    lua_pop(L, r);
  return 1;
}
