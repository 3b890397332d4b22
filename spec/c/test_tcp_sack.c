/*
 * test_tcp_sack.c: SACK on both sides, in segments. The receiver reports
 * its out-of-order islands most recent first (RFC 2018 4); the sender keeps
 * a bounded scoreboard, recovers by RFC 6675 (IsLost, pipe, NextSeg) and
 * resends only the holes, also after a timeout.
 */
#include "tcp_harness.h"

#define ISS 5000u
#define IRS 9000u
#define MSS                                                                    \
  100u /* the peer's MSS: segments of 100 bytes keep the numbers small */

/* An established connection, the host active, SACK on (timestamps as asked). */
static synack_conn *sack_conn(harness *t, int ts) {
  synack_conn_opts o = h_opts(ISS);
  synack_tcpopts so;
  synack_conn *c;
  int err;
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  o.sack = 1;
  o.timestamps = (uint8_t)ts;
  c = synack_host_connect(t->h, &t->peer, t->peer_port, &o, t->now, &err);
  h_clear(t);
  memset(&so, 0, sizeof so);
  so.has_mss = 1;
  so.mss = MSS;
  so.sack_permitted = 1;
  so.has_timestamp = (uint8_t)ts;
  so.ts_val = 1;
  h_feed_full(t, "S.", IRS, ISS + 1, 65535, NULL, 0, &so);
  h_clear(t);
  return c;
}

/* An ACK from the peer with SACK blocks (pairs of offsets from ISS + 1). */
static void feed_sack(harness *t, synack_seq ack, int n, const uint32_t *blk) {
  synack_tcpopts so;
  int i;
  memset(&so, 0, sizeof so);
  so.nsack = (uint8_t)n;
  for (i = 0; i < n; i++) {
    so.sack[i][0] = ISS + 1 + blk[2 * i];
    so.sack[i][1] = ISS + 1 + blk[2 * i + 1];
  }
  h_feed_full(t, ".", IRS + 1, ack, 65535, NULL, 0, &so);
}

/* Send `n` bytes and ACK every segment as it leaves: slow start grows cwnd. */
static void send_and_ack(harness *t, synack_conn *c, size_t n) {
  static uint8_t data[8192];
  hseg e;
  CHECK_EQ(synack_conn_send(c, data, n, t->now), (long)n);
  while (h_pop(t, &e)) {
    if (e.seg.paylen)
      H_FEED(t, ".", IRS + 1, e.seg.seq + (synack_seq)e.seg.paylen, 65535, "");
    free(e.data);
  }
}

/* Pop every segment sent; record the offsets (from ISS + 1) of their first
 * bytes. */
static int sent_offsets(harness *t, uint32_t *out, int max) {
  hseg e;
  int n = 0;
  while (h_pop(t, &e)) {
    if (e.seg.paylen && n < max)
      out[n++] = e.seg.seq - (ISS + 1);
    free(e.data);
  }
  return n;
}

/* RFC 2018 4: the newest island first, then the others from newest to oldest.
 */
static void test_receiver_block_order(void) {
  harness t;
  synack_conn *c;
  synack_tcpopts v;
  hseg e;
  h_init(&t);
  c = sack_conn(&t, 0);
  H_FEED(&t, "P.", IRS + 101, ISS + 1, 65535, "aaaaaaaaaa");
  h_clear(&t);
  H_FEED(&t, "P.", IRS + 301, ISS + 1, 65535, "bbbbbbbbbb");
  h_clear(&t);
  H_FEED(&t, "P.", IRS + 501, ISS + 1, 65535, "cccccccccc");
  CHECK(CHECK_POP(&t, &e));
  CHECK_EQ(synack_opts_parse(e.seg.opts, e.seg.optlen, &v), 0);
  CHECK_EQ(v.nsack, 3);
  CHECK_EQ(v.sack[0][0], IRS + 501);
  CHECK_EQ(v.sack[1][0], IRS + 301);
  CHECK_EQ(v.sack[2][0], IRS + 101);
  free(e.data);
  /* the oldest island grows: it moves to the front, the rest keep their order
   */
  H_FEED(&t, "P.", IRS + 111, ISS + 1, 65535, "dddddddddd");
  CHECK(CHECK_POP(&t, &e));
  CHECK_EQ(synack_opts_parse(e.seg.opts, e.seg.optlen, &v), 0);
  CHECK_EQ(v.nsack, 3);
  CHECK_EQ(v.sack[0][0], IRS + 101);
  CHECK_EQ(v.sack[0][1], IRS + 121);
  CHECK_EQ(v.sack[1][0], IRS + 501);
  CHECK_EQ(v.sack[2][0], IRS + 301);
  free(e.data);
  synack_conn_release(c);
  h_free(&t);
}

/* As many blocks as the option space holds: 4 alone, 3 beside a timestamp. */
static void test_receiver_block_count(void) {
  int ts;
  for (ts = 0; ts <= 1; ts++) {
    harness t;
    synack_conn *c;
    synack_tcpopts so, v;
    hseg e;
    int i;
    h_init(&t);
    c = sack_conn(&t, ts);
    memset(&so, 0, sizeof so);
    so.has_timestamp = (uint8_t)ts;
    so.ts_val = 2;
    for (i = 0; i < 6; i++) {
      h_clear(&t);
      h_feed_full(&t, "P.", IRS + 101 + 100 * (uint32_t)i, ISS + 1, 65535,
                  (const uint8_t *)"0123456789", 10, &so);
    }
    CHECK(CHECK_POP(&t, &e));
    CHECK_EQ(synack_opts_parse(e.seg.opts, e.seg.optlen, &v), 0);
    CHECK_EQ(v.nsack, ts ? 3 : 4);
    CHECK_EQ(v.sack[0][0], IRS + 601); /* the newest first */
    CHECK_EQ(v.sack[1][0], IRS + 501);
    CHECK_EQ(v.has_timestamp, ts);
    free(e.data);
    synack_conn_release(c);
    h_free(&t);
  }
}

/*
 * RFC 6675: segments 0 and 3 of fourteen are lost. The SACKs of 1, 2 and 4
 * make segment 0 lost (more than 2 SMSS SACKed above it): it is resent at
 * once and cwnd drops to ssthresh. Segment 3 is resent once enough is SACKed
 * above it and the pipe has room; new data follows; nothing SACKed is resent.
 */
static void test_recovery_resends_holes_only(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info info;
  static const uint8_t more[2400];
  uint32_t off[64], una = ISS + 1 + 1000, k;
  uint32_t blk[8];
  int n, i;
  h_init(&t);
  c = sack_conn(&t, 0);
  send_and_ack(&t, c, 1000); /* cwnd 400 -> 1400 */
  synack_conn_info(c, &info);
  CHECK_EQ(info.cwnd, 1400);
  CHECK_EQ(synack_conn_send(c, more, 1400 + 500, t.now), 1900);
  n = sent_offsets(&t, off, 64);
  CHECK_EQ(n, 14); /* 1000 .. 2300 */
  /* 1 and 2 arrive: two duplicate ACKs, SACKing 1100..1300 */
  blk[0] = 1100, blk[1] = 1200;
  feed_sack(&t, una, 1, blk);
  blk[1] = 1300;
  feed_sack(&t, una, 1, blk);
  /* limited transmit (RFC 3042) may send new data; nothing is resent yet */
  n = sent_offsets(&t, off, 64);
  for (i = 0; i < n; i++)
    CHECK(off[i] >= 2400);
  synack_conn_info(c, &info);
  CHECK_EQ(info.sacked_bytes, 200);
  CHECK_EQ(info.sack_blocks, 1);
  CHECK_EQ(info.in_recovery, 0);
  /* 4 arrives: 300 bytes SACKed above 1000, so 1000 is lost: recovery */
  blk[0] = 1400, blk[1] = 1500, blk[2] = 1100, blk[3] = 1300;
  feed_sack(&t, una, 2, blk);
  n = sent_offsets(&t, off, 64);
  CHECK_EQ(n, 1);
  CHECK_EQ(off[0], 1000);
  synack_conn_info(c, &info);
  CHECK_EQ(info.in_recovery, 1);
  CHECK_EQ(info.fast_recoveries, 1);
  CHECK_EQ(info.ssthresh,
           info.cwnd); /* RFC 6675: cwnd = ssthresh, no inflation */
  /* 5, 6, 7, ... arrive: segment 3 becomes lost and is resent when the pipe
   * allows */
  for (k = 1600; k <= 2300; k += 100) {
    blk[0] = 1400, blk[1] = k;
    feed_sack(&t, una, 2, blk);
    n = sent_offsets(&t, off, 64);
    for (i = 0; i < n; i++) {
      CHECK(off[i] == 1300 || off[i] >= 2400); /* the hole, or new data */
      if (getenv("SACK_DEBUG"))
        printf("  after SACK to %u: sent %u\n", k, off[i]);
      if (off[i] == 1300) {
        synack_conn_info(c, &info);
        CHECK(info.pipe <= info.cwnd);
      }
    }
  }
  synack_conn_info(c, &info);
  CHECK(info.retransmits == 2);
  CHECK_EQ(info.sack_blocks, 2);
  /* everything below 2400 arrives: a partial ACK, recovery goes on (the
     recovery point is above: limited transmit had sent 2400 and 2500) */
  H_FEED(&t, ".", IRS + 1, ISS + 1 + 2400, 65535, "");
  synack_conn_info(c, &info);
  CHECK_EQ(info.in_recovery, 1);
  CHECK_EQ(info.sack_blocks, 0);
  CHECK_EQ(info.sacked_bytes, 0);
  CHECK_EQ(info.retransmits, 2);
  h_clear(&t);
  /* all of it: recovery ends, cwnd no more than ssthresh */
  H_FEED(&t, ".", IRS + 1, info.snd_max, 65535, "");
  synack_conn_info(c, &info);
  CHECK_EQ(info.in_recovery, 0);
  CHECK(info.cwnd <= info.ssthresh);
  h_clear(&t);
  synack_conn_release(c);
  h_free(&t);
}

/*
 * A lost retransmission (RFC 8985's reasoning): once data sent after the
 * retransmission of 1000 is SACKed while 1000 is still missing, 1000 is sent
 * again at once instead of waiting for the timeout.
 */
static void test_lost_retransmission(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info info;
  static const uint8_t more[4000];
  uint32_t off[64], una = ISS + 1 + 1000, blk[2], k, fence = 0;
  int n, i, resent = 0;
  h_init(&t);
  c = sack_conn(&t, 0);
  send_and_ack(&t, c, 1000); /* cwnd 1400 */
  CHECK_EQ(synack_conn_send(c, more, 4000, t.now), 4000);
  CHECK_EQ(sent_offsets(&t, off, 64), 14); /* 1000 .. 2300 */
  blk[0] = 1100;
  for (k = 1200; k <= 3000 && resent < 2; k += 100) {
    blk[1] = k; /* everything from 1100 up to k has arrived, 1000 has not */
    feed_sack(&t, una, 1, blk);
    n = sent_offsets(&t, off, 64);
    for (i = 0; i < n; i++) {
      if (off[i] != 1000)
        continue;
      resent++;
      if (resent == 1) {
        synack_conn_info(c, &info);
        fence = info.snd_max -
                (ISS + 1); /* what was sent before the retransmission */
      } else {
        CHECK(k > fence); /* again only once data sent after it was SACKed */
        if (getenv("SACK_DEBUG"))
          printf("  resent again at SACK to %u, fence %u\n", k, fence);
      }
    }
  }
  CHECK_EQ(resent, 2);
  synack_conn_info(c, &info);
  CHECK_EQ(info.timeouts, 0);
  CHECK_EQ(info.in_recovery, 1);
  CHECK_EQ(info.lost_retransmits, 1);
  h_clear(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* After a timeout the scoreboard is kept: go-back-N skips what was SACKed. */
static void test_rto_skips_sacked(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info info;
  static const uint8_t more[500];
  uint32_t off[64], una = ISS + 1 + 1000, blk[2];
  int n, i;
  h_init(&t);
  c = sack_conn(&t, 0);
  send_and_ack(&t, c, 1000);
  CHECK_EQ(synack_conn_send(c, more, 500, t.now), 500); /* 1000 .. 1500 */
  CHECK_EQ(sent_offsets(&t, off, 64), 5);
  blk[0] = 1200, blk[1] = 1300; /* only segment 2 arrives: one duplicate ACK */
  feed_sack(&t, una, 1, blk);
  h_clear(&t);
  h_advance(&t, 1000000); /* the RTO: segment 0 again, cwnd one segment */
  n = sent_offsets(&t, off, 64);
  CHECK_EQ(n, 1);
  CHECK_EQ(off[0], 1000);
  synack_conn_info(c, &info);
  CHECK_EQ(info.timeouts, 1);
  CHECK_EQ(info.cwnd, MSS);
  CHECK_EQ(info.sack_blocks, 1);
  /* 0 arrives; 1 is still missing: resend 1, skip 2, go on with 3 */
  feed_sack(&t, ISS + 1 + 1100, 1, blk);
  feed_sack(&t, ISS + 1 + 1100, 1, blk); /* (a duplicate changes nothing) */
  n = sent_offsets(&t, off, 64);
  CHECK(n >= 1);
  CHECK_EQ(off[0], 1100);
  for (i = 1; i < n; i++)
    CHECK(off[i] >= 1300);
  H_FEED(&t, ".", IRS + 1, ISS + 1 + 1300, 65535, "");
  n = sent_offsets(&t, off, 64);
  for (i = 0; i < n; i++)
    CHECK(off[i] >= 1300);
  synack_conn_release(c);
  h_free(&t);
}

/* The scoreboard holds at most 8 ranges; bogus blocks are ignored. */
static void test_scoreboard_bounds(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info info;
  static const uint8_t more[2400];
  uint32_t una = ISS + 1 + 1000, blk[8], k;
  h_init(&t);
  c = sack_conn(&t, 0);
  send_and_ack(&t, c, 1000);
  send_and_ack(&t, c, 1000); /* cwnd 2400 */
  una = ISS + 1 + 2000;
  CHECK_EQ(synack_conn_send(c, more, 2400, t.now), 2400); /* 2000 .. 4400 */
  h_clear(&t);
  for (k = 0; k < 11; k++) { /* eleven disjoint ranges, lowest first */
    blk[0] = 2100 + 200 * k, blk[1] = 2150 + 200 * k;
    feed_sack(&t, una, 1, blk);
  }
  synack_conn_info(c, &info);
  CHECK_EQ(info.sack_blocks, 8);
  CHECK_EQ(info.sacked_bytes, 8 * 50);
  /* beyond SND.MAX, empty, inverted, or below SND.UNA: not taken */
  blk[0] = 4400, blk[1] = 4500;
  feed_sack(&t, una, 1, blk);
  blk[0] = 2060, blk[1] = 2060;
  feed_sack(&t, una, 1, blk);
  blk[0] = 2090, blk[1] = 2070;
  feed_sack(&t, una, 1, blk);
  blk[0] = 1500, blk[1] = 1900;
  feed_sack(&t, una, 1, blk);
  synack_conn_info(c, &info);
  CHECK_EQ(info.sacked_bytes, 8 * 50);
  /* one range covering several merges them */
  blk[0] = 2100, blk[1] = 2750;
  feed_sack(&t, una, 1, blk);
  synack_conn_info(c, &info);
  CHECK_EQ(info.sack_blocks, 5);
  CHECK_EQ(info.sacked_bytes, 650 + 4 * 50);
  /* the cumulative ACK passes some: they are forgotten */
  H_FEED(&t, ".", IRS + 1, ISS + 1 + 2800, 65535, "");
  synack_conn_info(c, &info);
  CHECK_EQ(info.sack_blocks, 4);
  CHECK_EQ(info.sacked_bytes, 4 * 50);
  h_clear(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* Without SACK negotiated, SACK blocks from the peer are ignored. */
static void test_no_sack_ignored(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info info;
  static const uint8_t data[300];
  synack_tcpopts so;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  CHECK_EQ(synack_conn_send(c, data, 300, t.now), 300);
  h_clear(&t);
  memset(&so, 0, sizeof so);
  so.nsack = 1;
  so.sack[0][0] = ISS + 101;
  so.sack[0][1] = ISS + 201;
  h_feed_full(&t, ".", IRS + 1, ISS + 1, 65535, NULL, 0, &so);
  synack_conn_info(c, &info);
  CHECK_EQ(info.sack_ok, 0);
  CHECK_EQ(info.sack_blocks, 0);
  h_clear(&t);
  synack_conn_release(c);
  h_free(&t);
}

int main(void) {
  RUN(test_receiver_block_order);
  RUN(test_receiver_block_count);
  RUN(test_recovery_resends_holes_only);
  RUN(test_lost_retransmission);
  RUN(test_rto_skips_sacked);
  RUN(test_scoreboard_bounds);
  RUN(test_no_sack_ignored);
  return CHECK_DONE();
}
