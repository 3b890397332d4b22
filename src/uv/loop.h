/*
 * loop.h: real time for a network, on a libuv loop (the driver layer: libuv,
 * never Lua).
 *
 * Two objects:
 *
 * - synack_uvloop: the libuv loop synack's handles live on, always one synack
 *   owns (uv_loop_init), never anyone else's: a host program's loop (luv's,
 *   Neovim's) only ever sees handles the host made itself. Where there is such
 *   a loop, the binding embeds this one in it (see "Embedding" below); else it
 *   runs this loop itself. It counts the handles synack has open on it, so a
 *   test can prove that every handle was closed, and knows its clocks, so that
 *   they can all be re-armed before the loop is stepped from outside.
 *
 * - synack_clock: a network's real clock. Network time is the number of
 *   microseconds since the clock was made, read from uv_hrtime(). One
 *   uv_timer_t is armed to synack_net_next_deadline(); when it fires the tick
 *   callback runs (by default: synack_net_run_until(net, now)) and the timer is
 *   armed again. An unreferenced uv_prepare_t re-arms the timer before the
 *   loop blocks, so that whatever a callback did to the network (a send from a
 *   hook of another network, a packet a link queued) is picked up without
 *   anyone calling synack. The clock never runs the loop itself.
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

/* Make and own a new loop. Returns NULL with *err = a libuv error code or
 * SYNACK_ENOMEM. */
synack_uvloop *synack_uvloop_new(int *err);
uv_loop_t *synack_uvloop_loop(const synack_uvloop *ul);
/* Handles synack opened on this loop whose close callback has not run yet. */
size_t synack_uvloop_handles(const synack_uvloop *ul);
/*
 * Drop the owner's reference: the loop is run until the close callbacks of
 * synack's handles have run, then closed and freed. A loop with a handle
 * still open (its owner was not closed first, which only happens while the
 * process exits) is left as it is: closing a handle behind its owner's back
 * would free it twice.
 */
void synack_uvloop_release(synack_uvloop *ul);

/* For code that opens handles on the loop (the clock, links). */
void synack__uvloop_opened(synack_uvloop *ul);
void synack__uvloop_closed(synack_uvloop *ul); /* from a close callback */

/*
 * Embedding: the loop stepped from inside another loop (the host's), the way
 * libuv's uv_backend_fd()/uv_backend_timeout() intend. The host watches
 * synack_uvloop_fd() for readability and keeps a timer armed to what
 * synack_uvloop_next() says; whenever either fires (and at least before it
 * blocks) it calls synack_uvloop_step(). Nothing here blocks.
 */

/* A descriptor that is readable while the loop has I/O to process. */
int synack_uvloop_fd(const synack_uvloop *ul);
/*
 * Re-arm every clock to its network's next deadline, then say when the host
 * must step the loop: 0 at once (a handle was just opened or is closing, a
 * timer is due), n > 0 in n milliseconds, -1 only when the fd is readable.
 * *alive: whether anything could still wake the loop (uv_loop_alive): the
 * host should then stay alive for it.
 */
int synack_uvloop_next(synack_uvloop *ul, int *alive);
/* Run the loop once without blocking (UV_RUN_NOWAIT). Not re-entrant. */
void synack_uvloop_step(synack_uvloop *ul);

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
