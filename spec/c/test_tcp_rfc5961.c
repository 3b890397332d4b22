/* test_tcp_rfc5961.c: defences against blind in-window attacks (RFC 5961, RFC
   9293 3.10.7.4 second, fourth and fifth steps). */
#include "tcp_harness.h"

#define ISS 0xfffffff8u
#define IRS 0xfffffffcu

/* RFC 5961 3.2: only a RST at exactly RCV.NXT resets; in window: challenge ACK.
 */
static void test_rst_rules(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "R", IRS + 2, 0, 0, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_FEED(&t, "R.", IRS + 60000, ISS + 1, 0, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_FEED(&t, "R", IRS, 0, 0, "");             /* just left of the window */
  H_FEED(&t, "R", IRS + 1 + 65535, 0, 0, ""); /* just right of it */
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  H_FEED(&t, "R", IRS + 1, 0, 0, "");
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 5961 4.2: a SYN in a synchronized state, in window or not, draws an ACK
 * only. */
static void test_syn_challenge(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "S", IRS + 1, 0, 65535, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_FEED(&t, "S", IRS + 500, 0, 65535, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_FEED(&t, "S", 12345, 0, 65535, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 5961 5.2: SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT, else ACK and drop,
 * data too. */
static void test_ack_acceptability(void) {
  harness t;
  synack_conn *c;
  uint8_t b[16];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 1000);
  H_FEED(&t, "P.", IRS + 1, ISS + 1 - 2000, 1000, "evil");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 0);
  H_FEED(&t, "P.", IRS + 1, ISS + 2, 1000,
         "evil"); /* acks what was never sent */
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 0);
  H_FEED(&t, "P.", IRS + 1, ISS + 1 - 1000, 1000,
         "good"); /* old but within MAX.SND.WND */
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 4);
  CHECK(memcmp(b, "good", 4) == 0);
  synack_conn_release(c);
  h_free(&t);
}

/* RFC 5961 7: at most challenge_ack_limit challenge ACKs per second per host.
 */
static void test_rate_limit(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  int i;
  synack_host_config_init(&cfg);
  CHECK_EQ(cfg.challenge_ack_limit, 1000);
  cfg.challenge_ack_limit = 2;
  h_init_cfg(&t, &cfg);
  c = h_active(&t, ISS, IRS, 65535);
  for (i = 0; i < 5; i++)
    H_FEED(&t, "R", IRS + 10 + (uint32_t)i, 0, 0, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_NOTHING(&t);
  H_FEED(&t, "S", IRS + 1, 0, 0, "");
  H_NOTHING(&t);
  t.now += 1000000;
  H_FEED(&t, "S", IRS + 1, 0, 0, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  synack_conn_release(c);
  h_free(&t);
}

/* No ACK storm: the ACK answering a dropped empty segment (an ACK of unsent
   data, one below the window) goes out at most once per 500 ms per
   connection; a dropped segment with data is always answered. */
static void test_oow_ack_limit(void) {
  harness t;
  synack_conn *c;
  int k;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  for (k = 0; k < 3; k++)
    H_FEED(&t, ".", IRS + 1, ISS + 1000, 65535,
           ""); /* acks what we never sent */
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_NOTHING(&t);
  H_FEED(&t, ".", IRS - 100, ISS + 1, 65535, ""); /* below the window */
  H_NOTHING(&t);
  H_FEED(&t, "P.", IRS - 100, ISS + 1, 65535,
         "old data"); /* a retransmission */
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  h_advance(&t, 499999);
  H_FEED(&t, ".", IRS + 1, ISS + 1000, 65535, "");
  H_NOTHING(&t);
  h_advance(&t, 1);
  H_FEED(&t, ".", IRS + 1, ISS + 1000, 65535, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  synack_conn_release(c);
  h_free(&t);
}

int main(void) {
  RUN(test_rst_rules);
  RUN(test_syn_challenge);
  RUN(test_ack_acceptability);
  RUN(test_rate_limit);
  RUN(test_oow_ack_limit);
  return CHECK_DONE();
}
