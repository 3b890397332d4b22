/* test_tcp_timers.c: retransmission (RFC 6298, RFC 9293 3.8.1-3.8.4),
   congestion control (RFC 5681), give-up thresholds and keepalive. */
#include "tcp_harness.h"

#define ISS 0xfffffff0u
#define IRS 0x7ffffff0u

static uint8_t big[100000];

/* RFC 6298 2.1, 5.5: first RTO 1 s, doubled at each expiry; MUST-19. */
static void test_rto_backoff(void) {
  harness t;
  synack_conn *c;
  int i;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, big, 100, t.now);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 100);
  for (i = 0; i < 4; i++) {
    uint64_t gap = 1000000ull << i;
    h_advance(&t, gap - 1);
    H_NOTHING(&t);
    h_advance(&t, 1);
    H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 100);
  }
  /* the ACK of a retransmitted segment gives no sample (Karn, MUST-18) */
  H_FEED(&t, ".", IRS + 1, ISS + 101, 65535, "");
  {
    struct synack_conn_info in;
    synack_conn_info(c, &in);
    CHECK_EQ(in.srtt_us, 0);
    CHECK_EQ(in.retransmits, 4);
    CHECK_EQ(in.rto_us, 1000000); /* the backoff ends with new data acked */
  }
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 6298 2.2-2.4: a measured RTT sets SRTT, RTTVAR and RTO, with the
 * configured minimum. */
static void test_rtt_sample(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  struct synack_conn_info in;
  synack_host_config_init(&cfg);
  cfg.rto_min_us = 100000;
  h_init_cfg(&t, &cfg);
  {
    synack_conn_opts o = h_opts(ISS);
    int err;
    o.set |= SYNACK_OPT_SET_PORT;
    o.port = 80;
    c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  }
  CHECK_EQ(synack_host_deadline(t.h) - t.now,
           1000000); /* before any sample: 1 s */
  t.now += 80000;    /* the SYN's round trip is the first sample */
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
  h_clear(&t);
  synack_conn_info(c, &in);
  CHECK_EQ(in.srtt_us, 80000);
  CHECK_EQ(in.rttvar_us, 40000);
  CHECK_EQ(in.rto_us, 240000);
  synack_conn_send(c, big, 100, t.now);
  h_clear(&t);
  t.now += 40000;
  H_FEED(&t, ".", IRS + 1, ISS + 101, 65535, "");
  synack_conn_info(c, &in);
  CHECK_EQ(in.srtt_us, 75000);   /* 7/8 * 80 + 1/8 * 40 */
  CHECK_EQ(in.rttvar_us, 40000); /* 3/4 * 40 + 1/4 * 40 */
  CHECK_EQ(in.rto_us, 235000);
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 6298 2.5: the RTO stops growing at rto_max. */
static void test_rto_max(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  uint64_t last;
  int i;
  synack_host_config_init(&cfg);
  cfg.rto_max_us = 4000000;
  h_init_cfg(&t, &cfg);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, big, 10, t.now);
  h_clear(&t);
  last = t.now;
  for (i = 0; i < 6; i++) {
    uint64_t d = synack_host_deadline(t.h);
    uint64_t want = i < 3 ? (1000000ull << i) : 4000000ull;
    CHECK_EQ(d - last, want);
    h_advance(&t, d - t.now);
    last = d;
  }
  synack_conn_release(c);
  h_free(&t);
}

/* MUST-20, MUST-21: R2 reached closes the connection with ETIMEDOUT. */
static void test_r2_timeout(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  int i;
  synack_host_config_init(&cfg);
  cfg.data_retries = 3;
  h_init_cfg(&t, &cfg);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, big, 10, t.now);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 10);
  for (i = 0; i < 3; i++) {
    h_advance(&t, synack_host_deadline(t.h) - t.now);
    H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 10);
  }
  t.notices = 0;
  h_advance(&t, synack_host_deadline(t.h) - t.now);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK(t.notices & SYNACK_NOTICE_ERROR);
  CHECK_EQ(synack_conn_recv(c, big, 10, t.now), SYNACK_ETIMEDOUT);
  synack_conn_release(c);
  h_free(&t);
}

/* SHLD-9, SHLD-10: after R1 (default 3) retransmissions of one segment the
   application is told once (NOTICE_R1, info.r1_reached); an ACK that moves
   SND.UNA clears it, and the next run of losses tells it again. */
static void test_r1_notice(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  int k;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, big, 10, t.now);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 10);
  t.notices = 0;
  for (k = 1; k <= 3; k++) {
    synack_conn_info(c, &i);
    CHECK_EQ(i.r1_reached, 0);
    CHECK(!(t.notices & SYNACK_NOTICE_R1));
    h_advance(&t, synack_host_deadline(t.h) - t.now);
    H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 10);
  }
  CHECK(t.notices & SYNACK_NOTICE_R1);
  CHECK(t.last_notice_conn == c);
  synack_conn_info(c, &i);
  CHECK_EQ(i.r1_reached, 1);
  t.notices = 0;
  h_advance(&t,
            synack_host_deadline(t.h) - t.now); /* the 4th: no second notice */
  H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 10);
  CHECK(!(t.notices & SYNACK_NOTICE_R1));
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED); /* R2 is still far */
  H_FEED(&t, ".", IRS + 1, ISS + 11, 65535, "");
  synack_conn_info(c, &i);
  CHECK_EQ(i.r1_reached, 0);
  synack_conn_send(c, big, 10, t.now);
  H_EXPECT(&t, "P.", ISS + 11, IRS + 1, 10);
  for (k = 1; k <= 3; k++) {
    h_advance(&t, synack_host_deadline(t.h) - t.now);
    H_EXPECT(&t, "P.", ISS + 11, IRS + 1, 10);
  }
  CHECK(t.notices & SYNACK_NOTICE_R1);
  synack_conn_release(c);
  h_free(&t);
}

/* r1_retries = 0: no notice at all. */
static void test_r1_off(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  int k;
  synack_host_config_init(&cfg);
  CHECK_EQ(cfg.r1_retries, 3);
  cfg.r1_retries = 0;
  h_init_cfg(&t, &cfg);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, big, 10, t.now);
  t.notices = 0;
  for (k = 0; k < 6; k++)
    h_advance(&t, synack_host_deadline(t.h) - t.now);
  CHECK(!(t.notices & SYNACK_NOTICE_R1));
  synack_conn_release(c);
  h_free(&t);
}

/* 3.10.8 USER TIMEOUT: a per-connection limit replaces R2. */
static void test_user_timeout(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  uint64_t start;
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT | SYNACK_OPT_SET_USER_TIMEOUT;
  o.port = 80;
  o.user_timeout_us = 5000000;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
  h_clear(&t);
  start = t.now;
  synack_conn_send(c, big, 10, t.now);
  h_advance(&t, 4000000); /* retransmissions at 1 s and 3 s */
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  h_advance(&t, 4000000); /* the one due at 7 s finds 5 s passed */
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK_EQ(synack_conn_recv(c, big, 10, t.now), SYNACK_ETIMEDOUT);
  CHECK(t.now - start >= 5000000);
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 5681 3.1: the initial window is 3 segments of 1460; after a timeout, one.
 */
static void test_initial_window_and_rto_cwnd(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, big, 10000, t.now);
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 1460);
  H_EXPECT(&t, ".", ISS + 1461, IRS + 1, 1460);
  H_EXPECT(&t, ".", ISS + 2921, IRS + 1, 1460);
  H_NOTHING(&t);
  h_advance(&t, 1000000);
  H_EXPECT(&t, ".", ISS + 1, IRS + 1,
           1460); /* go back to the oldest, one segment */
  H_NOTHING(&t);
  H_FEED(&t, ".", IRS + 1, ISS + 1461, 65535, "");
  H_EXPECT(&t, ".", ISS + 1461, IRS + 1, 1460); /* slow start: 2 segments */
  H_EXPECT(&t, ".", ISS + 2921, IRS + 1, 1460);
  H_NOTHING(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 5681 3.2: the third duplicate ACK retransmits at once. */
static void test_fast_retransmit(void) {
  harness t;
  synack_conn *c;
  int i;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, big, 4380, t.now);
  h_clear(&t);
  /* the first is lost; each later arrival makes a duplicate ACK */
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  H_NOTHING(&t);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 1460);
  for (i = 0; i < 3; i++)
    H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  h_clear(&t);
  H_FEED(&t, ".", IRS + 1, ISS + 4381, 65535, "");
  {
    struct synack_conn_info in;
    synack_conn_info(c, &in);
    CHECK_EQ(in.snd_una, ISS + 4381);
    CHECK_EQ(in.retransmits, 1);
    CHECK_EQ(in.ssthresh, 2920); /* half of 3 segments, at least 2 */
  }
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 9293 3.8.4: keepalives (off by default, MUST-24/25), SEQ = SND.NXT - 1,
   no data; an answer resets the count, silence ends in ETIMEDOUT. */
static void test_keepalive(void) {
  harness t;
  synack_host_config cfg;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  int err, i;
  synack_host_config_init(&cfg);
  cfg.keepalive_probes = 3;
  h_init_cfg(&t, &cfg);
  o.set |= SYNACK_OPT_SET_PORT | SYNACK_OPT_SET_KEEPALIVE;
  o.port = 80;
  o.keepalive_us = 10000000;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
  h_clear(&t);
  h_advance(&t, 9999999);
  H_NOTHING(&t);
  h_advance(&t, 1);
  H_EXPECT(&t, ".", ISS, IRS + 1, 0);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  h_advance(&t, 9999999);
  H_NOTHING(&t);
  h_advance(&t, 1);
  H_EXPECT(&t, ".", ISS, IRS + 1, 0);
  for (i = 0; i < 3; i++) {
    h_advance(&t, 1000000);
    if (i < 2)
      H_EXPECT(&t, ".", ISS, IRS + 1, 0);
  }
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK_EQ(synack_conn_recv(c, big, 1, t.now), SYNACK_ETIMEDOUT);
  synack_conn_release(c);
  h_free(&t);
}

/* The host's deadline is the earliest of all its connections' timers (the
 * heap). */
static void test_host_deadline_heap(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *cs[50];
  int i, err;
  h_init(&t);
  CHECK_EQ(synack_host_deadline(t.h), SYNACK_NEVER);
  for (i = 0; i < 50; i++) {
    cs[i] = synack_host_connect(t.h, &t.peer, (uint16_t)(1000 + i), &o, t.now,
                                &err);
    t.now += 1000;
  }
  CHECK_EQ(synack_host_deadline(t.h), 1000000 + 1000000);
  for (i = 0; i < 50; i += 2)
    synack_conn_abort(cs[i], t.now);
  CHECK_EQ(synack_host_deadline(t.h), 1000000 + 1000 + 1000000);
  for (i = 0; i < 50; i++)
    synack_conn_release(cs[i]);
  CHECK_EQ(synack_host_conn_count(t.h), 25);
  h_clear(&t);
  h_advance(&t, 1000000 + 49 * 1000 - (t.now - 1000000));
  CHECK_EQ(t.qlen, 25); /* each retransmitted its SYN once */
  h_free(&t);
}

int main(void) {
  RUN(test_rto_backoff);
  RUN(test_rtt_sample);
  RUN(test_rto_max);
  RUN(test_r2_timeout);
  RUN(test_r1_notice);
  RUN(test_r1_off);
  RUN(test_user_timeout);
  RUN(test_initial_window_and_rto_cwnd);
  RUN(test_fast_retransmit);
  RUN(test_keepalive);
  RUN(test_host_deadline_heap);
  return CHECK_DONE();
}
