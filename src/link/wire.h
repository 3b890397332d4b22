/*
 * wire.h: the in-memory link between the hosts of one network.
 *
 * A wire is a shared medium: a packet a host puts on it goes to the host of
 * that wire owning the destination address. Impairments are drawn from the
 * network's PRNG, so the same seed gives the same run:
 *
 *   mtu      packets longer than this are dropped ("mtu"); 0: no limit
 *   rate     bytes per second each sender can put on the wire; 0: no limit.
 *            A packet waits while the sender's earlier packets go out.
 *   queue    with a rate, how many packets a sender may have waiting or in
 *            transmission; one more is dropped ("queue"); 0: no limit
 *   loss     probability that a packet is lost ("loss")
 *   corrupt  probability that one byte of the TCP header or payload is
 *            flipped: the TCP checksum always catches it on delivery
 *   delay    one-way propagation delay
 *   jitter   each delivery moves by a uniform amount in [-jitter, +jitter]
 *            (never earlier than the sender's transmission ends)
 *   reorder  probability that a packet is held back by an extra uniform
 *            [0, reorder_delay] (default reorder_delay: max(delay, 1 ms))
 *   duplicate probability that a second copy is delivered (its own jitter)
 *
 * Draws happen in that order, only for impairments that are on.
 */
#ifndef SYNACK_WIRE_H
#define SYNACK_WIRE_H

#include <stdint.h>

#include "net.h"

typedef struct synack_wire_params {
  uint64_t delay_us, jitter_us, reorder_delay_us; /* reorder_delay 0: default */
  double loss, duplicate, reorder, corrupt;       /* probabilities in [0, 1] */
  uint64_t rate;  /* bytes per second, 0: unlimited */
  uint32_t queue; /* packets, 0: unlimited */
  uint32_t mtu;   /* bytes, 0: unlimited */
} synack_wire_params;

/* All zero: a perfect wire with no delay. */
void synack_wire_params_init(synack_wire_params *p);

/* A new wire added to `n` (which owns it). NULL and *err = SYNACK_EINVAL or
 * SYNACK_ENOMEM. */
synack_link *synack_wire_new(synack_net *n, const synack_wire_params *p,
                             int *err);
/* Change the impairments from now on; SYNACK_EINVAL for a probability outside
 * [0, 1]. */
int synack_wire_set(synack_link *l, const synack_wire_params *p);
void synack_wire_get(const synack_link *l, synack_wire_params *out);
/* True when `l` is a wire. */
int synack_link_is_wire(const synack_link *l);

#endif
