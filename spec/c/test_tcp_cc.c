/*
 * test_tcp_cc.c: how cwnd evolves, in segments, for NewReno (RFC 5681,
 * RFC 6582) and CUBIC (RFC 9438): slow start, congestion avoidance, fast
 * recovery with partial ACKs, a timeout, and restart after idle. The peer
 * announces MSS 100 so that windows are small round numbers; it ACKs every
 * segment one round trip (RTT) after it was sent.
 */
#include "tcp_harness.h"

#define ISS 5000u
#define IRS 9000u
#define MSS 100u
#define RTT 100000u /* us */

typedef struct sent {
  synack_seq seq, end;
} sent;

static synack_conn *cc_conn(harness *t, int cc) {
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  int err;
  o.set |= SYNACK_OPT_SET_PORT | SYNACK_OPT_SET_CC;
  o.port = 80;
  o.cc = (uint8_t)cc;
  c = synack_host_connect(t->h, &t->peer, t->peer_port, &o, t->now, &err);
  h_clear(t);
  h_feed_syn(t, "S.", IRS, ISS + 1, 65535, MSS);
  h_clear(t);
  return c;
}

/* Keep the send buffer full. */
static void top_up(harness *t, synack_conn *c) {
  static const uint8_t data[65536];
  while (synack_conn_send(c, data, sizeof data, t->now) > 0)
    ;
}

/* Pop what the host sent; the data segments go to out[]. */
static int take(harness *t, sent *out, int max) {
  hseg e;
  int n = 0;
  while (h_pop(t, &e)) {
    if (e.seg.paylen && n < max) {
      out[n].seq = e.seg.seq;
      out[n].end = e.seg.seq + (synack_seq)e.seg.paylen;
      n++;
    }
    free(e.data);
  }
  return n;
}

static void ack(harness *t, synack_seq a) {
  H_FEED(t, ".", IRS + 1, a, 65535, "");
}

static uint32_t cwnd(synack_conn *c) {
  struct synack_conn_info i;
  synack_conn_info(c, &i);
  return i.cwnd;
}

/* One round trip: everything sent arrives and is ACKed segment by segment. */
static void round_trip(harness *t, synack_conn *c) {
  sent s[1024];
  int n, i;
  top_up(t, c);
  n = take(t, s, 1024);
  h_advance(t, RTT);
  for (i = 0; i < n; i++)
    ack(t, s[i].end);
}

/*
 * A round trip in which the first segment is lost: the others draw duplicate
 * ACKs, the third starts fast retransmit; one RTT later the retransmission
 * has filled the hole and the segments sent during recovery are ACKed one by
 * one. `at_entry` gets cwnd just before the loss.
 */
static void lossy_round(harness *t, synack_conn *c, uint32_t *at_entry,
                        struct synack_conn_info *in_rec) {
  sent s[1024], r[1024];
  int n, m, i, k;
  synack_seq cum;
  top_up(t, c);
  *at_entry = cwnd(c);
  n = take(t, s, 1024);
  h_advance(t, RTT);
  for (i = 1; i < n; i++) {
    ack(t, s[0].seq); /* duplicate */
    if (i == 3)
      synack_conn_info(c, in_rec);
  }
  m = take(t, r, 1024);
  h_advance(t, RTT);
  cum = s[n - 1].end;
  for (k = 0; k < m && r[k].seq != s[0].seq;
       k++) /* limited transmit came first */
    cum = r[k].end;
  ack(t, cum); /* the hole is filled: a full ACK */
  for (k++; k < m; k++)
    ack(t, r[k].end);
}

/* RFC 5681 3.1: IW of 4 segments (MSS <= 1095), then cwnd doubles each RTT. */
static void test_reno_slow_start(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  h_init(&t);
  c = cc_conn(&t, 0);
  synack_conn_info(c, &i);
  CHECK_EQ(i.cwnd, 4 * MSS);
  CHECK_EQ(i.cc, 0);
  round_trip(&t, c);
  CHECK_EQ(cwnd(c), 8 * MSS);
  round_trip(&t, c);
  CHECK_EQ(cwnd(c), 16 * MSS);
  round_trip(&t, c);
  CHECK_EQ(cwnd(c), 32 * MSS);
  synack_conn_release(c);
  h_free(&t);
}

/*
 * Loss in slow start: ssthresh = FlightSize / 2, cwnd = ssthresh + 3 SMSS,
 * one SMSS more per further duplicate (RFC 5681 3.2); the full ACK leaves
 * cwnd at ssthresh at most (RFC 6582 3.2 step 3). Then congestion avoidance:
 * about one SMSS per RTT.
 */
static void test_reno_loss_and_avoidance(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i, rec;
  uint32_t before, w, ss;
  int r;
  h_init(&t);
  c = cc_conn(&t, 0);
  round_trip(&t, c);
  round_trip(&t, c);
  round_trip(&t, c); /* cwnd 3200 */
  lossy_round(&t, c, &before, &rec);
  CHECK_EQ(before, 32 * MSS);
  CHECK_EQ(rec.in_recovery, 1);
  CHECK_EQ(rec.fast_recoveries, 1);
  /* FlightSize was the 32 segments plus 2 of limited transmit */
  CHECK_EQ(rec.ssthresh, 17 * MSS);
  CHECK_EQ(rec.cwnd, rec.ssthresh + 3 * MSS);
  synack_conn_info(c, &i);
  CHECK_EQ(i.in_recovery, 0);
  CHECK_EQ(i.ssthresh, 17 * MSS);
  CHECK(i.cwnd <= i.ssthresh + MSS);
  ss = i.ssthresh;
  /* congestion avoidance: one segment per round trip, give or take one */
  round_trip(&t, c);
  w = cwnd(&*c);
  for (r = 0; r < 10; r++)
    round_trip(&t, c);
  CHECK(cwnd(c) >= w + 9 * MSS && cwnd(c) <= w + 11 * MSS);
  CHECK(w >= ss - MSS);
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 6582 3.2 step 4: a partial ACK resends the next hole and deflates cwnd.
 */
static void test_reno_partial_ack(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  sent s[64], r[64];
  int n, m, k;
  uint32_t before;
  h_init(&t);
  c = cc_conn(&t, 0);
  round_trip(&t, c); /* cwnd 800 */
  top_up(&t, c);
  n = take(&t, s, 64);
  CHECK_EQ(n, 8);
  /* segments 0 and 4 are lost: 6 duplicates */
  for (k = 0; k < 6; k++)
    ack(&t, s[0].seq);
  m = take(&t, r, 64);
  for (k = 0; k < m && r[k].seq != s[0].seq; k++)
    ;
  CHECK(k < m); /* fast retransmit of segment 0 */
  synack_conn_info(c, &i);
  before = i.cwnd;
  /* segment 0 arrives: the ACK stops at the second hole (partial) */
  ack(&t, s[4].seq);
  m = take(&t, r, 64);
  CHECK(m >= 1);
  CHECK_EQ(r[0].seq, s[4].seq); /* the next hole at once */
  synack_conn_info(c, &i);
  CHECK_EQ(i.in_recovery, 1);
  CHECK_EQ(i.cwnd, before - (s[4].seq - s[0].seq) + MSS); /* deflated */
  CHECK_EQ(i.retransmits, 2);
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 5681 3.1 after a timeout: ssthresh = FlightSize / 2, cwnd one segment. */
static void test_reno_timeout(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  h_init(&t);
  c = cc_conn(&t, 0);
  round_trip(&t, c); /* cwnd 800 */
  top_up(&t, c);
  h_clear(&t);
  h_advance(&t, 1000000);
  synack_conn_info(c, &i);
  CHECK_EQ(i.timeouts, 1);
  CHECK_EQ(i.cwnd, MSS);
  CHECK_EQ(i.ssthresh, 4 * MSS);
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 5681 4.1: after an idle RTO, cwnd starts again from the initial window.
 */
static void test_restart_after_idle(void) {
  harness t;
  synack_conn *c;
  static const uint8_t data[1000];
  sent s[64];
  int n, k;
  h_init(&t);
  c = cc_conn(&t, 0);
  CHECK_EQ(synack_conn_send(c, data, 1000, t.now), 1000);
  while ((n = take(&t, s, 64)) > 0) { /* every byte ACKed: cwnd 400 + 1000 */
    h_advance(&t, RTT);
    for (k = 0; k < n; k++)
      ack(&t, s[k].end);
  }
  CHECK_EQ(cwnd(c), 14 * MSS);
  h_advance(&t, 500000); /* a pause shorter than the RTO (1 s) keeps cwnd */
  CHECK_EQ(synack_conn_send(c, data, 100, t.now), 100);
  CHECK_EQ(take(&t, s, 64), 1);
  CHECK_EQ(cwnd(c), 14 * MSS);
  ack(&t, s[0].end);
  h_advance(&t, 3000000); /* longer than the RTO */
  CHECK_EQ(synack_conn_send(c, data, 1000, t.now), 1000);
  CHECK_EQ(cwnd(c), 4 * MSS);
  CHECK_EQ(take(&t, s, 64), 4); /* the restart window */
  synack_conn_release(c);
  h_free(&t);
}

/*
 * CUBIC: slow start as NewReno; at a loss, ssthresh = 0.7 cwnd (beta); then
 * the window climbs back along the cubic: fast at first, flat near W_max at
 * t = K, fast again beyond (concave, then convex).
 */
static void test_cubic_curve(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i, rec;
  uint32_t wmax;
  static uint32_t w[130];
  int r;
  h_init(&t);
  c = cc_conn(&t, 1);
  synack_conn_info(c, &i);
  CHECK_EQ(i.cc, 1);
  CHECK_EQ(i.cwnd, 4 * MSS);
  round_trip(&t, c);
  CHECK_EQ(cwnd(c), 8 * MSS); /* slow start as NewReno */
  round_trip(&t, c);
  round_trip(&t, c);
  round_trip(&t, c); /* 64 segments */
  lossy_round(&t, c, &wmax, &rec);
  CHECK_EQ(wmax, 64 * MSS);
  CHECK_EQ(rec.ssthresh, 64 * MSS * 7 / 10); /* beta = 0.7 of cwnd */
  for (r = 0; r < 130; r++) {
    round_trip(&t, c);
    w[r] = cwnd(c);
  }
  /* K = cbrt(W_max (1 - beta) / C) = cbrt(64 * 0.3 / 0.4) s, about 3.6 s (36
     RTTs): the window is flat near W_max around then */
  for (r = 25; r <= 34; r++)
    CHECK(w[r] + 2 * MSS >= wmax && w[r] <= wmax + MSS);
  /* concave: the first rounds gain more than the rounds just before W_max */
  CHECK(w[5] - w[0] > w[30] - w[25] + 3 * MSS);
  /* past K, on this short path the Reno-friendly estimate leads: one
     segment per RTT (4.3) */
  CHECK(w[60] - w[50] >= 9 * MSS && w[60] - w[50] <= 11 * MSS);
  /* far past K the cubic takes over: convex, much faster than Reno */
  CHECK(w[129] - w[124] > 5 * 5 * MSS);
  synack_conn_release(c);
  h_free(&t);
}

/* CUBIC at a timeout: W_max remembered, ssthresh 0.7 cwnd, cwnd one segment. */
static void test_cubic_timeout(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  h_init(&t);
  c = cc_conn(&t, 1);
  round_trip(&t, c);
  round_trip(&t, c); /* 16 segments */
  top_up(&t, c);
  h_clear(&t);
  h_advance(&t, 1000000);
  synack_conn_info(c, &i);
  CHECK_EQ(i.timeouts, 1);
  CHECK_EQ(i.cwnd, MSS);
  CHECK_EQ(i.ssthresh, 16 * MSS * 7 / 10);
  synack_conn_release(c);
  h_free(&t);
}

int main(void) {
  RUN(test_reno_slow_start);
  RUN(test_reno_loss_and_avoidance);
  RUN(test_reno_partial_ack);
  RUN(test_reno_timeout);
  RUN(test_restart_after_idle);
  RUN(test_cubic_curve);
  RUN(test_cubic_timeout);
  return CHECK_DONE();
}
