/*
 * lnet.h: what the network binding's files share (net.c, host.c, conn.c,
 * listener.c, wire.c, hook.c, event.c).
 *
 * Object graph, in Lua values (so the collector sees every cycle):
 *   network userdata   uservalue: { hosts = {host ud...}, wires = {...},
 *                                   anchors = {[ud] = true}, hooks = {...},
 *                                   trace = {event tables built so far} }
 *   host, wire, listener userdata
 *                      uservalue: { net = network ud, host = host ud,
 *                                   hooks = {...} }
 *   connection userdata
 *                      uservalue: { net = network ud, hooks = (on the first
 *                                   c:on()), parent = its listener's hooks }
 * A hooks table holds a list of functions per event, by number
 * (LSYNACK_HOOKS_*). The network anchors every listener until it is closed
 * and every connection userdata that has hooks (its own or its listener's)
 * until the connection is CLOSED, so a script may drop its references and
 * the hooks still run to the end. A weak table in the registry maps C
 * pointers (synack_net*, synack_conn*, synack_listener*) to their userdata,
 * and a network's &hooks_key to its hooks table.
 *
 * Callbacks from the core run Lua only when something listens: each level
 * (connection, listener, host, network) keeps a mask of the kinds it has Lua
 * hooks for, and the core's hook masks are set from those.
 */
#ifndef LSYNACK_NET_H
#define LSYNACK_NET_H

#include "lsynack.h"
#include "net.h"
#include "tcp.h"

#define LSYNACK_NET_MT "synack.network"
#define LSYNACK_HOST_MT "synack.host"
#define LSYNACK_CONN_MT "synack.conn"
#define LSYNACK_LISTENER_MT "synack.listener"
#define LSYNACK_WIRE_MT "synack.wire"
#define LSYNACK_EVENT_MT "synack.event"

/* How long (seconds of network time) a blocking call without a timeout
 * drives a virtual network by default: one day (synack.network{wait_limit}). */
#define LSYNACK_WAIT_LIMIT 86400.0

/* Hook mask bits beyond the six segment kinds of tcp.h. */
#define LSYNACK_HOOK_STATE (1u << 6)
#define LSYNACK_HOOK_ERROR (1u << 7)

/*
 * A hooks table (hook.c) keeps its lists of functions by number: [1] to [6]
 * the segment kinds of tcp.h (SYNACK_KIND_* + 1), then these.
 */
#define LSYNACK_HOOKS_SEGMENT 7
#define LSYNACK_HOOKS_STATE 8
#define LSYNACK_HOOKS_ERROR 9

typedef struct lsynack_capture_slot lsynack_capture_slot;

typedef struct lsynack_net {
  synack_net *n; /* NULL once closed */
  lua_State *L;  /* the thread that entered the network last */
  int in_hook;   /* Lua callbacks running right now */
  int woken;     /* something a coroutine may wait for happened */
  unsigned mask; /* network-level hooks */
  struct synack_capture *cap;
  /* link:capture, by link index (NULL: none); the core's tap is on while
     any of these or `cap` (net:capture) is open */
  struct synack_capture **linkcap;
  size_t nlinkcap;
  uint8_t *buf; /* recv and rewritten-payload scratch */
  size_t bufcap;
  uint8_t *hookpay; /* payload of the segment a hook rewrote last */
  size_t hookpaycap;
  unsigned *hostmask; /* each host's own hook mask, by host index */
  size_t nhostmask;
  struct lsynack_rt *rt; /* clock = "real" (realtime.c), else NULL */
  char hooks_key;        /* its address: the hooks table in the objects table */
} lsynack_net;

/*
 * The network's time for a call into the core: in real time the clock is
 * read first (realtime.c), so that a call made after the loop slept (a luv
 * callback, Neovim) is not stamped with the time of the last event.
 */
uint64_t lsynack_now(lsynack_net *ln);

typedef struct lsynack_host {
  lsynack_net *ln;
  uint32_t index;
  unsigned mask;
} lsynack_host;

typedef struct lsynack_conn {
  lsynack_net *ln;
  synack_conn *c; /* NULL once the core freed it */
  uint32_t host;
  unsigned mask;    /* own hooks */
  unsigned inherit; /* the listener's, at the time the userdata was made */
  int anchored;     /* the network's anchors hold it (conn.c) */
  int has_parent;   /* its uservalue has `parent` (lsynack_inherit) */
} lsynack_conn;

typedef struct lsynack_listener {
  lsynack_net *ln;
  synack_listener *l; /* NULL once closed */
  uint32_t host;
  unsigned mask;
} lsynack_listener;

typedef struct lsynack_wire {
  lsynack_net *ln;
  synack_link *link;
} lsynack_wire;

/* net.c */
/*
 * Type checks by a registry key (the address of a static char of the file
 * that makes the type) rather than by name: luaL_checkudata's lookup by name
 * costs several times more, and every method call makes one.
 * lsynack_register_mt files the metatable named `mt` under `key`;
 * lsynack_checkudata raises as luaL_checkudata does.
 */
void lsynack_register_mt(lua_State *L, const char *mt, const void *key);
void *lsynack_testudata(lua_State *L, int idx, const void *key);
void *lsynack_checkudata(lua_State *L, int idx, const void *key,
                         const char *mt);
lsynack_net *lsynack_checknet(lua_State *L, int idx); /* raises when closed */
/* Raise when called from inside a hook: `what` names the call. */
void lsynack_nothook(lua_State *L, lsynack_net *ln, const char *what);
/* Push the network's uservalue table field `name` (creating nothing). */
void lsynack_net_field(lua_State *L, lsynack_net *ln, const char *name);
/* lsynack_net_field(L, ln, "hooks") in one lookup (every hook call needs it).
 */
void lsynack_net_hooks(lua_State *L, lsynack_net *ln);
/* Push the userdata registered for C pointer p, or nil; returns its type. */
int lsynack_getobj(lua_State *L, const void *p);
/* Register the userdata at idx for p. */
void lsynack_setobj(lua_State *L, const void *p, int idx);
/* anchors[ud at idx] = on and true or nil */
void lsynack_anchor(lua_State *L, lsynack_net *ln, int idx, int on);
/* Make a userdata of metatable `mt` with a fresh uservalue {net=, host=,
 * hooks={}}. */
void *lsynack_newobj(lua_State *L, size_t size, const char *mt, lsynack_net *ln,
                     int hostidx);
/* Push the uservalue field `name` of the userdata at idx. */
void lsynack_getuv(lua_State *L, int idx, const char *name);
/* Seconds (number >= 0) at idx, or `dflt` when absent; microseconds. */
uint64_t lsynack_checktime(lua_State *L, int idx, uint64_t dflt);
/* Recompute the core hook masks of every host after a network-level change. */
void lsynack_net_sync_masks(lua_State *L, lsynack_net *ln);
/* A message raised by a callback: given to on("error") handlers, else stderr.
 */
void lsynack_report(lua_State *L, lsynack_net *ln, const char *what,
                    int msgidx);
/* Resize ln->buf to at least n bytes; NULL when out of memory. */
uint8_t *lsynack_netbuf(lsynack_net *ln, size_t n);
/* "198.18.0.1" */
void lsynack_pushaddr(lua_State *L, const synack_addr *a);
/*
 * net:capture(path) (link NULL) and link:capture(path): close the capture
 * of the network or of `link`, then, when a path is at `arg` (else it
 * stops), open that file. Pushes `true`, or `nil, "EIO: path: msg", "EIO"`.
 */
int lsynack_net_capture(lua_State *L, lsynack_net *ln, const synack_link *link,
                        int arg);

/* host.c */
void lsynack_open_host(lua_State *L);
void lsynack_pushhost(lua_State *L, lsynack_net *ln, uint32_t index);
lsynack_host *lsynack_checkhost(lua_State *L, int idx);
/* Read a connection-options table at idx into *o; `listen`: backlog allowed. */
void lsynack_checkopts(lua_State *L, int idx, synack_conn_opts *o,
                       int *backlog);

/* conn.c */
void lsynack_open_conn(lua_State *L);
/* Push the userdata of c, making it (retained, anchored unless CLOSED) if
 * needed. `adopt`: the caller's retain passes to it. */
void lsynack_pushconn(lua_State *L, lsynack_net *ln, synack_conn *c, int adopt);
/* The connection at connidx takes the hooks of the listener at listeneridx. */
void lsynack_inherit(lua_State *L, int connidx, int listeneridx);
/* "198.18.0.1:49152 > 198.18.0.2:80" into out. */
void lsynack_conn_tuple(const synack_conn *c, char *out, size_t cap);
/* The connection lost its userdata's anchor, or was freed (net.c callbacks). */
void lsynack_conn_closed(lua_State *L, lsynack_net *ln, synack_conn *c);
void lsynack_conn_freed(synack_conn *c);

/* listener.c */
void lsynack_open_listener(lua_State *L);

/* wire.c */
void lsynack_open_wire(lua_State *L);
/* net:wire{...} */
int lsynack_net_wire(lua_State *L);
synack_link *lsynack_checklink(lua_State *L, int idx);
/* link:capture([path]) for wires, UDP and TUN links. */
int lsynack_link_capture(lua_State *L);
/* The link at idx, or NULL when it is not one (raises when its network is
 * closed). */
synack_link *lsynack_testlink(lua_State *L, int idx);

/* hook.c */
/* obj:on(event, fn): add a hook to the userdata at 1; returns the new mask. */
unsigned lsynack_hook_add(lua_State *L);
/* obj:off(event [, fn]) */
unsigned lsynack_hook_remove(lua_State *L);
synack_verdict lsynack_hook_segment(void *ud, synack_net *n, uint32_t host,
                                    synack_conn *c, synack_segment *seg,
                                    synack_dir dir, uint64_t now);
void lsynack_hook_state(lua_State *L, lsynack_net *ln, uint32_t host,
                        synack_conn *c, synack_state from, synack_state to,
                        const synack_segment *seg);

/* event.c */
void lsynack_open_event(lua_State *L);
/* Push trace record i (index in the current trace) as an event table. */
void lsynack_pushevent(lua_State *L, lsynack_net *ln, size_t i);
/* The alarm event: {t, kind = "timer", alarm = true}. */
void lsynack_pushalarm(lua_State *L, lsynack_net *ln);

#endif
