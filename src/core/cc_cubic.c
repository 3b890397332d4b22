/*
 * cc_cubic.c: CUBIC congestion control (RFC 9438), selected with the
 * connection option cc = 1. Slow start is NewReno's. In congestion
 * avoidance the window follows a cubic function of the time since the last
 * reduction, W(t) = C (t - K)^3 + W_max, which is flat around the window at
 * which the last loss happened and steep far from it; a Reno-friendly
 * estimate (W_est) keeps it from being slower than Reno on short paths. A
 * loss multiplies the window by beta = 0.7, with fast convergence (4.7) when
 * the window is still under the previous W_max.
 *
 * The curve is computed in floating point (segments and seconds, as the RFC
 * writes it) but only with + - * /: the core links without libm.
 */
#include "tcb.h"

#define CUBIC_C 0.4    /* RFC 9438 5: C, in segments per second cubed */
#define CUBIC_BETA 0.7 /* RFC 9438 4.6: the multiplicative decrease factor */
/* RFC 9438 4.3: alpha for W_est, so that the average matches Reno's */
#define CUBIC_ALPHA (3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA))
#define CWND_CAP 0x3fffffffu

/* The cube root of a >= 0 by Newton's method (no libm). */
static double cube_root(double a) {
  double x = a > 1.0 ? a / 3.0 : 1.0;
  int i;
  if (a <= 0.0)
    return 0.0;
  for (i = 0; i < 100; i++) {
    double nx = (2.0 * x + a / (x * x)) / 3.0;
    if (nx == x)
      break;
    x = nx;
  }
  return x;
}

static void cubic_init(synack_conn *c) {
  synack__cc_initial_window(c);
  c->cubic.epoch = SYNACK_NEVER;
  c->cubic.w_max = 0;
  c->cubic.origin = 0;
  c->cubic.k_us = 0;
  c->cubic.w_est = 0;
  c->cubic.acc = 0;
}

/* RFC 9438 4.2: a new epoch starts with the first ACK in congestion avoidance.
 */
static void start_epoch(synack_conn *c, uint64_t now) {
  synack__cubic *s = &c->cubic;
  s->epoch = now;
  s->w_est = c->cwnd;
  s->acc = 0;
  if (c->cwnd < s->w_max) {
    double segs = (double)(s->w_max - c->cwnd) / c->smss;
    s->k_us = (uint64_t)(cube_root(segs / CUBIC_C) * 1e6);
    s->origin = s->w_max;
  } else {
    s->k_us = 0;
    s->origin = c->cwnd;
  }
}

/* W_cubic(t) in bytes (eq. 1), t in microseconds since the epoch began. */
static double w_cubic(const synack_conn *c, uint64_t t) {
  double d = ((double)t - (double)c->cubic.k_us) / 1e6;
  double w = (CUBIC_C * d * d * d) * c->smss + c->cubic.origin;
  return w > 0 ? w : 0;
}

static void cubic_on_ack(synack_conn *c, uint32_t acked, uint64_t now) {
  synack__cubic *s = &c->cubic;
  double target, alpha, cw = c->cwnd;
  uint64_t t;
  if (c->cwnd < c->ssthresh) {
    synack__cc_slow_start(c, acked);
    return;
  }
  if (s->epoch == SYNACK_NEVER)
    start_epoch(c, now);
  t = now - s->epoch;
  /* 4.3: W_est grows by alpha segments per window of ACKed bytes */
  alpha = s->w_est >= s->w_max ? 1.0 : CUBIC_ALPHA;
  s->w_est += alpha * c->smss * (double)acked / cw;
  if (w_cubic(c, t) < s->w_est) { /* the Reno-friendly region */
    if (s->w_est > cw)
      c->cwnd = s->w_est > CWND_CAP ? CWND_CAP : (uint32_t)s->w_est;
    return;
  }
  /* 4.4, 4.5: aim at W_cubic one RTT ahead, within [cwnd, 1.5 cwnd] */
  target = w_cubic(c, t + c->rtt.srtt);
  if (target < cw)
    target = cw;
  if (target > 1.5 * cw)
    target = 1.5 * cw;
  s->acc += (target - cw) * (double)acked / cw;
  if (s->acc >= 1.0) {
    uint32_t inc = (uint32_t)s->acc;
    s->acc -= inc;
    c->cwnd = c->cwnd + inc > CWND_CAP ? CWND_CAP : c->cwnd + inc;
  }
}

/* 4.6 and 4.7: remember W_max (less, under fast convergence), ssthresh = beta *
 * cwnd. */
static void cubic_on_loss(synack_conn *c) {
  synack__cubic *s = &c->cubic;
  double reduced = c->cwnd * CUBIC_BETA;
  if (c->cwnd < s->w_max)
    s->w_max = (uint32_t)(c->cwnd * (1.0 + CUBIC_BETA) / 2.0);
  else
    s->w_max = c->cwnd;
  c->ssthresh = reduced > 2.0 * c->smss ? (uint32_t)reduced : 2 * c->smss;
  s->epoch = SYNACK_NEVER;
  c->cwnd_acc = 0;
}

/* 4.8: a timeout is a congestion event too; then slow start from one segment.
 */
static void cubic_on_rto(synack_conn *c) {
  cubic_on_loss(c);
  c->cwnd = c->smss;
}

/* RFC 5681 4.1's restart after idle: the curve starts over too. */
static void cubic_after_idle(synack_conn *c) {
  c->cubic.epoch = SYNACK_NEVER;
}

static const synack__cc_ops cubic = {
    "cubic",       cubic_init,   cubic_on_ack,
    cubic_on_loss, cubic_on_rto, cubic_after_idle,
};

const synack__cc_ops *synack__cc_cubic(void) {
  return &cubic;
}
