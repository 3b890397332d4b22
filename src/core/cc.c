/*
 * cc.c: congestion control behind a small table of functions, so that
 * CUBIC (cc_cubic.c) sits beside NewReno. NewReno here is the window
 * arithmetic of RFC 5681 3.1 (slow start, congestion avoidance, the loss
 * response) and 4.1 (restart after idle); the fast retransmit / fast
 * recovery procedure itself (RFC 5681 3.2, RFC 6582 partial ACKs, RFC 6675
 * with SACK) lives in input.c because it also decides what to send.
 */
#include "tcb.h"

uint32_t synack__flight(const synack_conn *c) {
  return (uint32_t)(c->snd_max - c->snd_una);
}

#define CWND_CAP 0x3fffffffu

/* RFC 5681 3.1, equation (1): the initial window. */
static uint32_t initial_window(uint32_t mss) {
  if (mss > 2190)
    return 2 * mss;
  if (mss > 1095)
    return 3 * mss;
  return 4 * mss;
}

void synack__cc_initial_window(synack_conn *c) {
  c->cwnd = initial_window(c->smss);
  c->ssthresh = CWND_CAP; /* arbitrarily high (3.1) */
  c->cwnd_acc = 0;
}

/* Slow start: at most SMSS per ACK (equation 2, the appropriate byte counting
 * limit). */
void synack__cc_slow_start(synack_conn *c, uint32_t acked) {
  c->cwnd += acked < c->smss ? acked : c->smss;
  if (c->cwnd > CWND_CAP)
    c->cwnd = CWND_CAP;
}

/*
 * RFC 5681 4.1: after an idle period longer than the RTO, cwnd starts again
 * from no more than the initial window (the restart window).
 */
void synack__cc_after_idle(synack_conn *c, uint64_t now) {
  uint32_t rw = initial_window(c->smss);
  if (c->snd_una != c->snd_max || c->last_data_out == 0 || c->in_recovery)
    return;
  if (now - c->last_data_out <= synack__rtt_rto(&c->rtt))
    return;
  if (c->cwnd > rw)
    c->cwnd = rw;
  if (c->cc->after_idle)
    c->cc->after_idle(c);
}

static void reno_init(synack_conn *c) {
  synack__cc_initial_window(c);
}

static void reno_on_ack(synack_conn *c, uint32_t acked, uint64_t now) {
  (void)now;
  if (c->cwnd < c->ssthresh) {
    synack__cc_slow_start(c, acked);
    return;
  }
  /* congestion avoidance: about SMSS per RTT (eq. 3, counted in bytes) */
  c->cwnd_acc += acked;
  if (c->cwnd_acc >= c->cwnd) {
    c->cwnd_acc -= c->cwnd;
    c->cwnd += c->smss;
  }
  if (c->cwnd > CWND_CAP)
    c->cwnd = CWND_CAP;
}

/* RFC 5681 eq. (4): half the flight, at least two segments. */
static void reno_on_loss(synack_conn *c) {
  uint32_t half = synack__flight(c) / 2;
  c->ssthresh = half > 2 * c->smss ? half : 2 * c->smss;
  c->cwnd_acc = 0;
}

static void reno_on_rto(synack_conn *c) {
  reno_on_loss(c);
  c->cwnd = c->smss; /* loss window: one segment (3.1) */
}

static const synack__cc_ops newreno = {
    "newreno", reno_init, reno_on_ack, reno_on_loss, reno_on_rto, NULL,
};

const synack__cc_ops *synack__cc_get(int which) {
  return which == 1 ? synack__cc_cubic() : &newreno;
}
