/*
 * test_tcp_ts.c: RFC 7323 in segments. Timestamps: RTT measurement from
 * TSecr (RTTM, 4) feeding the RFC 6298 estimator, TS.Recent kept by the
 * 4.3 rule, and PAWS (5) dropping old duplicates with an ACK. Window scale:
 * used only when both SYNs carried it, never applied to a SYN's window,
 * shifts above 14 taken as 14.
 */
#include "tcp_harness.h"

#define ISS 5000u
#define IRS 9000u

/* TSval of the host: milliseconds of its clock. */
static uint32_t host_ts(const harness *t) {
  return (uint32_t)(t->now / 1000);
}

/* The option view of the next segment (popped); 0 when there is none. */
static int pop_opts(harness *t, hseg *e, synack_tcpopts *v) {
  if (!h_pop(t, e))
    return 0;
  memset(v, 0, sizeof *v);
  synack_opts_parse(e->seg.opts, e->seg.optlen, v);
  return 1;
}

/* Host active with timestamps; the SYN,ACK comes `rtt` us after the SYN. */
static synack_conn *ts_conn(harness *t, uint64_t rtt, uint32_t peer_ts) {
  synack_conn_opts o = h_opts(ISS);
  synack_tcpopts so, v;
  synack_conn *c;
  hseg e;
  int err;
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  o.timestamps = 1;
  c = synack_host_connect(t->h, &t->peer, t->peer_port, &o, t->now, &err);
  CHECK(pop_opts(t, &e, &v));
  free(e.data);
  CHECK(v.has_timestamp);
  t->now += rtt;
  memset(&so, 0, sizeof so);
  so.has_mss = 1;
  so.mss = 1460;
  so.has_timestamp = 1;
  so.ts_val = peer_ts;
  so.ts_ecr = v.ts_val;
  h_feed_full(t, "S.", IRS, ISS + 1, 65535, NULL, 0, &so);
  h_clear(t);
  return c;
}

static void feed_ts(harness *t, const char *fl, synack_seq seq, synack_seq ack,
                    const char *data, uint32_t tsval, uint32_t tsecr) {
  synack_tcpopts so;
  memset(&so, 0, sizeof so);
  so.has_timestamp = 1;
  so.ts_val = tsval;
  so.ts_ecr = tsecr;
  h_feed_full(t, fl, seq, ack, 65535, (const uint8_t *)data, strlen(data), &so);
}

/* RTTM: every ACK of new data gives a sample now - TSecr, retransmissions too.
 */
static void test_rttm(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  synack_tcpopts v;
  hseg e;
  uint32_t tsval;
  h_init(&t);
  c = ts_conn(&t, 20000, 100);
  synack_conn_info(c, &i);
  CHECK_EQ(i.srtt_us,
           20000); /* the SYN's round trip: first sample (RFC 6298 2.2) */
  CHECK_EQ(i.rttvar_us, 10000);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"0123456789", 10, t.now), 10);
  CHECK(pop_opts(&t, &e, &v));
  free(e.data);
  tsval = v.ts_val;
  CHECK_EQ(tsval, host_ts(&t));
  t.now += 100000;
  feed_ts(&t, ".", IRS + 1, ISS + 11, "", 101, tsval);
  synack_conn_info(c, &i);
  CHECK_EQ(i.srtt_us, 30000);   /* 7/8 * 20 + 1/8 * 100 ms */
  CHECK_EQ(i.rttvar_us, 27500); /* 3/4 * 10 + 1/4 * |20 - 100| ms */
  /* lost once: the retransmission's echo is a fair sample (no Karn ambiguity)
   */
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"abcdefghij", 10, t.now), 10);
  h_clear(&t);
  h_advance(&t, i.rto_us);
  CHECK(pop_opts(&t, &e, &v));
  free(e.data);
  CHECK_EQ(e.seg.seq, ISS + 11);
  tsval = v.ts_val;
  t.now += 60000;
  feed_ts(&t, ".", IRS + 1, ISS + 21, "", 102, tsval);
  synack_conn_info(c, &i);
  CHECK_EQ(i.srtt_us, 33750); /* 7/8 * 30 + 1/8 * 60 */
  CHECK_EQ(i.retransmits, 1);
  /* an echo of a time never sent (in the future) is not used: the segment's
     own timing (RFC 6298, Karn) gives the 30 ms sample instead */
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"x", 1, t.now), 1);
  h_clear(&t);
  t.now += 30000;
  feed_ts(&t, ".", IRS + 1, ISS + 22, "", 103, host_ts(&t) + 5000);
  synack_conn_info(c, &i);
  CHECK_EQ(i.srtt_us, 33281); /* 7/8 * 33.75 + 1/8 * 30 */
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 7323 4.3: TS.Recent comes from segments at or below the last ACK sent. */
static void test_ts_recent(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  synack_tcpopts v;
  hseg e;
  h_init(&t);
  c = ts_conn(&t, 1000, 500);
  synack_conn_info(c, &i);
  CHECK_EQ(i.ts_recent, 500);
  feed_ts(&t, "P.", IRS + 11, ISS + 1, "later", 600, 0); /* out of order */
  CHECK(pop_opts(&t, &e, &v));
  free(e.data);
  CHECK_EQ(v.ts_ecr, 500); /* not taken: beyond the last ACK */
  feed_ts(&t, "P.", IRS + 1, ISS + 1, "0123456789", 550,
          0); /* fills the hole */
  CHECK(pop_opts(&t, &e, &v));
  free(e.data);
  CHECK_EQ(e.seg.ack, IRS + 16);
  CHECK_EQ(v.ts_ecr, 550);
  synack_conn_release(c);
  h_free(&t);
}

/* PAWS: an old TSval on a synchronized connection is dropped and ACKed. */
static void test_paws(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  synack_tcpopts v;
  hseg e;
  uint8_t buf[64];
  h_init(&t);
  c = ts_conn(&t, 1000, 1000);
  feed_ts(&t, "P.", IRS + 1, ISS + 1, "new", 2000, 0);
  h_clear(&t);
  /* an in-window segment from the past (a wrapped duplicate) */
  feed_ts(&t, "P.", IRS + 4, ISS + 1, "old", 1500, 0);
  CHECK(pop_opts(&t, &e, &v));
  free(e.data);
  CHECK_EQ(e.seg.flags, SYNACK_ACK);
  CHECK_EQ(e.seg.ack, IRS + 4); /* the data was not taken */
  CHECK_EQ(v.ts_ecr, 2000);
  synack_conn_info(c, &i);
  CHECK_EQ(i.paws_drops, 1);
  CHECK_EQ(i.rcv_nxt, IRS + 4);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 3);
  /* the same TSval again is not old */
  feed_ts(&t, "P.", IRS + 4, ISS + 1, "abc", 2000, 0);
  synack_conn_info(c, &i);
  CHECK_EQ(i.rcv_nxt, IRS + 7);
  h_clear(&t);
  /* a RST is never dropped by PAWS: this one resets */
  feed_ts(&t, "R", IRS + 7, 0, "", 1, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), SYNACK_ECONNRESET);
  synack_conn_release(c);
  h_free(&t);
}

/* PAWS: TS.Recent idle for more than 24 days is stale; the segment is taken. */
static void test_paws_stale(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  h_init(&t);
  c = ts_conn(&t, 1000, 1000000);
  t.now += 25ull * 86400 * 1000000;
  feed_ts(&t, "P.", IRS + 1, ISS + 1, "hi", 5, 0);
  synack_conn_info(c, &i);
  CHECK_EQ(i.paws_drops, 0);
  CHECK_EQ(i.rcv_nxt, IRS + 3);
  CHECK_EQ(i.ts_recent, 5);
  synack_conn_release(c);
  synack_host_free(t.h);
  h_clear(&t);
}

/* Window scale: both SYNs must carry it; one-sided offers mean no scaling. */
static void test_wscale_needs_both(void) {
  int side;
  for (side = 0; side < 3; side++) {
    harness t;
    synack_conn_opts o = h_opts(ISS);
    synack_tcpopts so, v;
    struct synack_conn_info i;
    synack_conn *c;
    hseg e;
    int err;
    h_init(&t);
    o.set |= SYNACK_OPT_SET_PORT;
    o.port = 80;
    o.rcvbuf = 1 << 18;
    o.wscale = side == 1 ? -1 : 3; /* side 1: we do not offer it */
    c = synack_host_connect(t.h, &t.peer, t.peer_port, &o, t.now, &err);
    CHECK(pop_opts(&t, &e, &v));
    free(e.data);
    CHECK_EQ(v.has_wscale, side != 1);
    CHECK_EQ(e.seg.win, 65535); /* a SYN's window is never scaled */
    memset(&so, 0, sizeof so);
    so.has_mss = 1;
    so.mss = 1460;
    so.has_wscale = side != 2; /* side 2: the peer does not answer it */
    so.wscale = 5;
    h_feed_full(&t, "S.", IRS, ISS + 1, 4000, NULL, 0, &so);
    CHECK(pop_opts(&t, &e, &v));
    free(e.data);
    synack_conn_info(c, &i);
    CHECK_EQ(i.snd_wnd, 4000); /* the SYN,ACK's window as it is */
    if (side == 0) {
      CHECK_EQ(i.snd_wscale, 5);
      CHECK_EQ(i.rcv_wscale, 3);
      CHECK_EQ(e.seg.win, (1 << 18) >> 3);
    } else {
      CHECK_EQ(i.snd_wscale, 0);
      CHECK_EQ(i.rcv_wscale, 0);
      CHECK_EQ(e.seg.win, 65535); /* the field unscaled, at its ceiling */
    }
    H_FEED(&t, ".", IRS + 1, ISS + 1, 4000, "");
    synack_conn_info(c, &i);
    CHECK_EQ(i.snd_wnd, side == 0 ? 4000u << 5 : 4000u);
    synack_conn_release(c);
    h_free(&t);
  }
}

/* Passive side: the SYN's window is taken unscaled; a shift over 14 counts
 * as 14. */
static void test_wscale_passive(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_tcpopts so, v;
  struct synack_conn_info i;
  synack_listener *l;
  synack_conn *c;
  hseg e;
  int err;
  h_init(&t);
  o.wscale = 2;
  o.rcvbuf = 1 << 17;
  l = synack_host_listen(t.h, 80, 4, &o, &err);
  memset(&so, 0, sizeof so);
  so.has_mss = 1;
  so.mss = 1460;
  so.has_wscale = 1;
  so.wscale = 15;
  h_feed_full(&t, "S", IRS, 0, 3000, NULL, 0, &so);
  CHECK(pop_opts(&t, &e, &v));
  free(e.data);
  CHECK(v.has_wscale);
  CHECK_EQ(v.wscale, 2);
  CHECK_EQ(e.seg.win, 65535); /* our SYN,ACK: not scaled */
  H_FEED(&t, ".", IRS + 1, ISS + 1, 3000, "");
  c = synack_listener_accept(l);
  CHECK(c != NULL);
  synack_conn_info(c, &i);
  CHECK_EQ(i.snd_wscale, 14);
  CHECK_EQ(i.snd_wnd, 3000u << 14);
  synack_conn_release(c);
  synack_listener_close(l, t.now);
  h_free(&t);
}

int main(void) {
  RUN(test_rttm);
  RUN(test_ts_recent);
  RUN(test_paws);
  RUN(test_paws_stale);
  RUN(test_wscale_needs_both);
  RUN(test_wscale_passive);
  return CHECK_DONE();
}
