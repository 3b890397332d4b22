/*
 * cc.c: congestion control behind a small table of functions, so another
 * algorithm (CUBIC) can be added beside NewReno. NewReno here is the window
 * arithmetic of RFC 5681 3.1 (slow start, congestion avoidance, the loss
 * response); the fast retransmit / fast recovery procedure itself (RFC 5681
 * 3.2, RFC 6582) lives in input.c because it also decides what to send.
 */
#include "tcb.h"

uint32_t synack__flight(const synack_conn *c) {
  return (uint32_t)(c->snd_max - c->snd_una);
}

/* RFC 5681 3.1, equation (1): the initial window. */
static void reno_init(synack_conn *c) {
  uint32_t mss = c->smss;
  if (mss > 2190)
    c->cwnd = 2 * mss;
  else if (mss > 1095)
    c->cwnd = 3 * mss;
  else
    c->cwnd = 4 * mss;
  c->ssthresh = 0x3fffffff; /* arbitrarily high (3.1) */
  c->cwnd_acc = 0;
}

static void reno_on_ack(synack_conn *c, uint32_t acked) {
  if (c->cwnd < c->ssthresh) { /* slow start: at most SMSS per ACK (eq. 2) */
    c->cwnd += acked < c->smss ? acked : c->smss;
  } else { /* congestion avoidance: about SMSS per RTT (eq. 3, byte counting) */
    c->cwnd_acc += acked;
    if (c->cwnd_acc >= c->cwnd) {
      c->cwnd_acc -= c->cwnd;
      c->cwnd += c->smss;
    }
  }
  if (c->cwnd > 0x3fffffff)
    c->cwnd = 0x3fffffff;
}

/* RFC 5681 eq. (4): half the flight, at least two segments. */
static void reno_on_loss(synack_conn *c) {
  uint32_t half = synack__flight(c) / 2;
  c->ssthresh = half > 2 * c->smss ? half : 2 * c->smss;
}

static void reno_on_rto(synack_conn *c) {
  reno_on_loss(c);
  c->cwnd = c->smss; /* loss window: one segment (3.1) */
  c->cwnd_acc = 0;
}

static const synack__cc_ops newreno = {"newreno", reno_init, reno_on_ack,
                                       reno_on_loss, reno_on_rto};

const synack__cc_ops *synack__cc_get(int which) {
  (void)which; /* only NewReno so far; CUBIC (1) falls back to it */
  return &newreno;
}
