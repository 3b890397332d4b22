/*
 * test_tcp_ackrules.c: when ACKs and small segments go out (RFC 9293
 * 3.8.6): delayed ACK never 0.5 s or more (MUST-40) and at least every
 * second full-sized segment (SHLD-19), at once for out-of-order data and for
 * a window that opens; Nagle on by default and switchable (MUST-17); the
 * sender's SWS avoidance with its override timer (MUST-38), the receiver's
 * (MUST-39); keepalives off by default, two hours when asked for without an
 * interval (MUST-24..28).
 */
#include "tcp_harness.h"

#define ISS 5000u
#define IRS 9000u

static uint8_t big[8192];

/* MUST-40: a configured delay of 2 s is held to 500 ms. */
static void test_delack_bound(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  synack_host_config_init(&cfg);
  cfg.delack_us = 2000000;
  h_init_cfg(&t, &cfg);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "abc");
  H_NOTHING(&t);
  h_advance(&t, 499999);
  H_NOTHING(&t);
  h_advance(&t, 1);
  H_EXPECT(&t, ".", ISS + 1, IRS + 4, 0);
  synack_conn_release(c);
  h_free(&t);
}

/* SHLD-19 and immediate ACKs: every second segment; out of order and hole
 * filled at once. */
static void test_delack_rules(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  h_feed_full(&t, ".", IRS + 1, ISS + 1, 65535, big, 1460, NULL);
  H_NOTHING(&t);
  h_feed_full(&t, ".", IRS + 1461, ISS + 1, 65535, big, 1460, NULL);
  H_EXPECT(&t, ".", ISS + 1, IRS + 2921, 0); /* the second full segment */
  h_feed_full(&t, ".", IRS + 4381, ISS + 1, 65535, big, 1460, NULL);
  H_EXPECT(&t, ".", ISS + 1, IRS + 2921, 0); /* out of order: at once */
  h_feed_full(&t, ".", IRS + 2921, ISS + 1, 65535, big, 1460, NULL);
  H_EXPECT(&t, ".", ISS + 1, IRS + 5841, 0); /* the hole filled: at once */
  H_NOTHING(&t);
  h_feed_full(&t, ".", IRS + 5841, ISS + 1, 65535, big, 100, NULL);
  H_NOTHING(&t); /* one small in-order segment: delayed */
  h_advance(&t, 200000);
  H_EXPECT(&t, ".", ISS + 1, IRS + 5941, 0);
  synack_conn_release(c);
  h_free(&t);
}

/* Delayed ACK switched off: every segment is ACKed at once. */
static void test_delack_off(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_listener *l;
  synack_conn *c;
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_DELAYED_ACK;
  o.delayed_ack = 0;
  l = synack_host_listen(t.h, 80, 4, &o, &err);
  h_feed_syn(&t, "S", IRS, 0, 65535, 1460);
  h_clear(&t);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  c = synack_listener_accept(l);
  CHECK(c != NULL);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "x");
  H_EXPECT(&t, ".", ISS + 1, IRS + 2, 0);
  synack_conn_release(c);
  synack_listener_close(l, t.now);
  h_free(&t);
}

/* MUST-39: reading opens the window: an update at once when the edge moves by
 * an MSS. */
static void test_window_update_on_read(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  uint8_t buf[8192];
  int err, i;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  o.rcvbuf = 4000;
  c = synack_host_connect(t.h, &t.peer, t.peer_port, &o, t.now, &err);
  h_clear(&t);
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1000);
  h_clear(&t);
  for (i = 0; i < 4; i++)
    h_feed_full(&t, ".", IRS + 1 + 1000 * (uint32_t)i, ISS + 1, 65535, big,
                1000, NULL);
  h_clear(&t); /* the window is 0 now */
  CHECK_EQ(synack_conn_recv(c, buf, 500, t.now), 500);
  H_NOTHING(&t); /* 500 bytes: below min(buffer / 2, MSS), no update (SWS) */
  CHECK_EQ(synack_conn_recv(c, buf, 1500, t.now), 1500);
  CHECK(t.qlen == 1);
  CHECK_EQ(h_peek_win(&t), 2000); /* the window update, at once */
  H_EXPECT(&t, ".", ISS + 1, IRS + 4001, 0);
  synack_conn_release(c);
  h_free(&t);
}

/* MUST-17: Nagle on by default holds a second small segment; off, it goes at
 * once. */
static void test_nagle_switch(void) {
  int on;
  for (on = 0; on <= 1; on++) {
    harness t;
    synack_conn_opts o = h_opts(ISS);
    synack_conn *c;
    int err;
    h_init(&t);
    o.set |= SYNACK_OPT_SET_PORT | (on ? 0 : SYNACK_OPT_SET_NAGLE);
    o.port = 80;
    o.nagle = 0;
    c = synack_host_connect(t.h, &t.peer, t.peer_port, &o, t.now, &err);
    h_clear(&t);
    h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
    h_clear(&t);
    CHECK_EQ(synack_conn_send(c, big, 10, t.now), 10);
    H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 10);
    CHECK_EQ(synack_conn_send(c, big, 10, t.now), 10);
    if (on) {
      H_NOTHING(&t);
      H_FEED(&t, ".", IRS + 1, ISS + 11, 65535, "");
    }
    H_EXPECT(&t, "P.", ISS + 11, IRS + 1, 10);
    synack_conn_release(c);
    h_free(&t);
  }
}

/* MUST-38: a runt the window allows waits, but no longer than the override
 * timer. */
static void test_sws_override(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 4000);
  CHECK_EQ(synack_conn_send(c, big, 2920, t.now), 2920);
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 1460);
  H_EXPECT(&t, ".", ISS + 1461, IRS + 1, 1460);
  H_NOTHING(&t);
  /* more data; the window now leaves room for 1080 of it: under half of 4000 */
  CHECK_EQ(synack_conn_send(c, big, 3000, t.now), 3000);
  H_NOTHING(&t);
  h_advance(&t, 199999);
  H_NOTHING(&t);
  h_advance(&t, 1);
  H_EXPECT(&t, ".", ISS + 2921, IRS + 1, 1080); /* the override */
  H_NOTHING(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* MUST-25, MUST-28: no keepalive unless asked; asked without an interval, 2 h.
 */
static void test_keepalive_default(void) {
  int on;
  for (on = 0; on <= 1; on++) {
    harness t;
    synack_conn_opts o = h_opts(ISS);
    synack_conn *c;
    int err;
    h_init(&t);
    o.set |= SYNACK_OPT_SET_PORT | (on ? SYNACK_OPT_SET_KEEPALIVE : 0);
    o.port = 80;
    o.keepalive_us = SYNACK_KEEPALIVE_DEFAULT;
    c = synack_host_connect(t.h, &t.peer, t.peer_port, &o, t.now, &err);
    h_clear(&t);
    h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
    h_clear(&t);
    if (!on) {
      CHECK_EQ(synack_host_deadline(t.h), SYNACK_NEVER);
    } else {
      h_advance(&t, 7200ull * 1000000 - 1);
      H_NOTHING(&t);
      h_advance(&t, 1);
      H_EXPECT(&t, ".", ISS, IRS + 1, 0); /* SEQ = SND.NXT - 1 */
    }
    synack_conn_release(c);
    h_free(&t);
  }
}

int main(void) {
  RUN(test_delack_bound);
  RUN(test_delack_rules);
  RUN(test_delack_off);
  RUN(test_window_update_on_read);
  RUN(test_nagle_switch);
  RUN(test_sws_override);
  RUN(test_keepalive_default);
  return CHECK_DONE();
}
