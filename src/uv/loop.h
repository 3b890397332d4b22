/*
 * loop.h: real time for a network, on a libuv loop (the driver layer: libuv,
 * never Lua).
 *
 * Two objects:
 *
 * - synack_uvloop: the libuv loop synack runs on, either a loop someone else
 *   owns (luv's, Neovim's: synack only adds handles to it) or one synack owns
 *   (uv_loop_init). It counts the handles synack has open on it, so a test can
 *   prove that every handle was closed. Reference counted: the owner holds one
 *   reference and every open handle another, so the struct outlives the close
 *   callbacks of its handles.
 *
 * - synack_clock: a network's real clock. Network time is the number of
 *   microseconds since the clock was made, read from uv_hrtime(). One
 *   uv_timer_t is armed to synack_net_next_deadline(); when it fires the tick
 *   callback runs (by default: synack_net_run_until(net, now)) and the timer is
 *   armed again. An unreferenced uv_prepare_t re-arms the timer before the
 *   loop blocks, so that whatever a callback did to the network (a send from a
 *   luv callback, a packet a link queued) is picked up without anyone calling
 *   synack. The clock never runs the loop itself.
 *
 * Handle memory is freed only in close callbacks (libuv's rule). Closing
 * (synack_clock_close, a link's free) starts the close; the memory goes once
 * the loop has run the close callbacks.
 */
#ifndef SYNACK_LOOP_H
#define SYNACK_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net.h"

typedef struct synack_uvloop synack_uvloop;
typedef struct synack_clock synack_clock;

/* The loop ----------------------------------------------------------------- */

/*
 * Use `shared` (not owned: never run, stopped or closed here), or when it is
 * NULL make and own a new loop. Returns NULL with *err = a libuv error code or
 * SYNACK_ENOMEM.
 */
synack_uvloop *synack_uvloop_new(uv_loop_t *shared, int *err);
uv_loop_t *synack_uvloop_loop(const synack_uvloop *ul);
int synack_uvloop_owned(const synack_uvloop *ul);
/* Handles synack opened on this loop whose close callback has not run yet. */
size_t synack_uvloop_handles(const synack_uvloop *ul);
/*
 * Drop the owner's reference. An owned loop is run until the close callbacks
 * of synack's handles have run (handles still open are closed first), then
 * closed; the struct is freed once no handle refers to it.
 */
void synack_uvloop_release(synack_uvloop *ul);

/* For code that opens handles on the loop (the clock, links). */
void synack__uvloop_opened(synack_uvloop *ul);
void synack__uvloop_closed(synack_uvloop *ul); /* from a close callback */

/* The clock ---------------------------------------------------------------- */

/*
 * Called when the timer fires: run the network up to `now` (microseconds of
 * network time). The binding wraps this to cross into Lua safely.
 */
typedef void (*synack_clock_tick)(void *ud, synack_clock *c, uint64_t now);

/*
 * A clock for network `n` on loop `ul`, starting at network time 0 now.
 * `tick` NULL: synack_net_run_until(n, now). Returns NULL with *err set.
 */
synack_clock *synack_clock_new(synack_uvloop *ul, synack_net *n,
                               synack_clock_tick tick, void *ud, int *err);
/* Microseconds since the clock was made. */
uint64_t synack_clock_now(const synack_clock *c);
/* Move the network's clock to the real time (processes nothing). */
void synack_clock_sync(synack_clock *c);
/* (Re)arm the timer to the network's next deadline, or stop it if none. */
void synack_clock_arm(synack_clock *c);
/*
 * Also fire the timer at `t` (network time) even when nothing is due then, so
 * that a loop run waiting for a time limit wakes up; SYNACK_NEVER: no limit.
 */
void synack_clock_set_limit(synack_clock *c, uint64_t t);
/*
 * Whether anything could still wake the loop (uv_loop_alive), not counting
 * the timer when it is armed only for the limit of synack_clock_set_limit.
 */
int synack_clock_loop_alive(synack_clock *c);
/* Process every event due by now (synack_clock_tick's default). */
void synack_clock_run_due(synack_clock *c);
/*
 * A packet arrived from outside on link `l` (a UDP datagram, a read from a
 * TUN device): queue its delivery, now, to the host owning its destination
 * address on `l` (or record a "no host" / "malformed" drop), and arm the
 * timer so that the loop processes it promptly.
 */
void synack_clock_input(synack_clock *c, synack_link *l, const uint8_t *pkt,
                        size_t len);
synack_uvloop *synack_clock_uvloop(const synack_clock *c);
synack_net *synack_clock_net(const synack_clock *c);
/* Close the clock's handles; no callback comes after this. NULL is allowed. */
void synack_clock_close(synack_clock *c);

#endif
