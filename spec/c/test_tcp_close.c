/* test_tcp_close.c: CLOSE, ABORT and the closing states (RFC 9293 3.6, 3.10.4-5). */
#include "tcp_harness.h"

#define ISS 0xffffffffu /* the FIN sits exactly on the wrap */
#define IRS 0xfffffffeu
#define MSL2 60000000ull

/* 3.6 case 1, active side: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT for 2 MSL (MUST-13), CLOSED. */
static void test_active_close(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_1);
  H_EXPECT(&t, "F.", ISS + 1, IRS + 1, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"x", 1, t.now), SYNACK_EPIPE);
  CHECK_EQ(synack_conn_close(c, t.now), SYNACK_ECLOSING);
  H_FEED(&t, ".", IRS + 1, ISS + 2, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_2);
  H_NOTHING(&t);
  synack_conn_release(c); /* the script lets go: TIME-WAIT still runs */
  CHECK_EQ(synack_host_conn_count(t.h), 1);
  H_FEED(&t, "F.", IRS + 1, ISS + 2, 65535, "");
  H_EXPECT(&t, ".", ISS + 2, IRS + 2, 0);
  CHECK_EQ(t.to, SYNACK_TIME_WAIT);
  CHECK_EQ(synack_host_deadline(t.h), t.now + MSL2);
  h_advance(&t, MSL2 - 1);
  CHECK_EQ(synack_host_conn_count(t.h), 1);
  /* the FIN again: ACK it and wait 2 MSL from now */
  H_FEED(&t, "F.", IRS + 1, ISS + 2, 65535, "");
  H_EXPECT(&t, ".", ISS + 2, IRS + 2, 0);
  h_advance(&t, MSL2 - 1);
  CHECK_EQ(synack_host_conn_count(t.h), 1);
  h_advance(&t, 1);
  CHECK_EQ(t.to, SYNACK_CLOSED);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  CHECK_EQ(t.freed, 1);
  H_NOTHING(&t);
  h_free(&t);
}

/* The rings are allocated at first use and given back once done with:
   the send ring when our FIN is ACKed, the receive ring when the FIN is read. */
static void test_buffers_given_back(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  uint8_t b[16];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_info(c, &i);
  CHECK_EQ(i.buffer_bytes, 0); /* nothing sent or received yet */
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"out", 3, t.now), 3);
  H_FEED(&t, "P.", IRS + 1, ISS + 4, 65535, "in");
  synack_conn_info(c, &i);
  CHECK_EQ(i.buffer_bytes, 65536 + 65535); /* h_opts: sndbuf 64 KiB, rcvbuf 65535 */
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  h_clear(&t);
  H_FEED(&t, ".", IRS + 3, ISS + 5, 65535, ""); /* our FIN is ACKed */
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_2);
  synack_conn_info(c, &i);
  CHECK_EQ(i.buffer_bytes, 65535);
  H_FEED(&t, "F.", IRS + 3, ISS + 5, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  synack_conn_info(c, &i);
  CHECK_EQ(i.buffer_bytes, 65535); /* "in" is still unread */
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 2);
  synack_conn_info(c, &i);
  CHECK_EQ(i.buffer_bytes, 0);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), SYNACK_EOF);
  h_clear(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* FIN-WAIT-2 without the peer's FIN: a held connection waits with no deadline
   (a script can still read); released, it is closed at most 2 MSL later
   (counted from the host's latest time, which release() is not given). */
static void test_fin_wait_2_orphan(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  h_clear(&t);
  H_FEED(&t, ".", IRS + 1, ISS + 2, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_2);
  h_advance(&t, 10 * MSL2);
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_2); /* held: waits on */
  CHECK_EQ(synack_host_deadline(t.h), SYNACK_NEVER); /* and costs no timer */
  synack_conn_release(c);
  CHECK(synack_host_deadline(t.h) <= t.now + MSL2);
  h_advance(&t, MSL2);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  H_NOTHING(&t);
  h_free(&t);
}

/* 3.6 case 1, passive side: CLOSE-WAIT, LAST-ACK, CLOSED. */
static void test_passive_close(void) {
  harness t;
  synack_conn *c;
  uint8_t b[4];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "F.", IRS + 1, ISS + 1, 65535, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 2, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSE_WAIT);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), SYNACK_EOF);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"last", 4, t.now), 4);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 2, 4);
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_LAST_ACK);
  H_EXPECT(&t, "F.", ISS + 5, IRS + 2, 0);
  H_FEED(&t, ".", IRS + 2, ISS + 5, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_LAST_ACK);
  H_FEED(&t, ".", IRS + 2, ISS + 6, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), SYNACK_EOF);
  H_NOTHING(&t);
  synack_conn_release(c);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  h_free(&t);
}

/* 3.6 case 2, simultaneous close: FIN-WAIT-1, CLOSING, TIME-WAIT. */
static void test_simultaneous_close(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_close(c, t.now);
  H_EXPECT(&t, "F.", ISS + 1, IRS + 1, 0);
  H_FEED(&t, "F.", IRS + 1, ISS + 1, 65535, ""); /* its FIN crossed ours */
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSING);
  H_EXPECT(&t, ".", ISS + 2, IRS + 2, 0);
  H_FEED(&t, ".", IRS + 2, ISS + 2, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  H_NOTHING(&t);
  h_advance(&t, MSL2);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  synack_conn_release(c);
  h_free(&t);
}

/* FIN-WAIT-1 gets the peer's FIN with the ACK of ours: straight to TIME-WAIT. */
static void test_fin_ack_together(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_close(c, t.now);
  h_clear(&t);
  H_FEED(&t, "F.", IRS + 1, ISS + 2, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  H_EXPECT(&t, ".", ISS + 2, IRS + 2, 0);
  synack_conn_release(c);
  h_free(&t);
}

/* MAY-1: half-close. After our FIN the peer keeps sending and we keep reading. */
static void test_half_close(void) {
  harness t;
  synack_conn *c;
  uint8_t b[32];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  CHECK_EQ(synack_conn_shutdown(c, t.now), 0);
  H_EXPECT(&t, "F.", ISS + 1, IRS + 1, 0);
  H_FEED(&t, ".", IRS + 1, ISS + 2, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_2);
  H_FEED(&t, "P.", IRS + 1, ISS + 2, 65535, "more data");
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 9);
  CHECK(memcmp(b, "more data", 9) == 0);
  H_FEED(&t, "P.", IRS + 10, ISS + 2, 65535, "!!");
  H_EXPECT(&t, ".", ISS + 2, IRS + 12, 0);
  H_FEED(&t, "F.", IRS + 12, ISS + 2, 65535, "");
  H_EXPECT(&t, ".", ISS + 2, IRS + 13, 0);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 2);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), SYNACK_EOF);
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  synack_conn_release(c);
  h_free(&t);
}

/* CLOSE with data queued: the FIN follows the data, on the last segment. */
static void test_close_after_data(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, (const uint8_t *)"abc", 3, t.now);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 3);
  synack_conn_send(c, (const uint8_t *)"def", 3, t.now); /* held by Nagle */
  synack_conn_close(c, t.now);
  H_EXPECT(&t, "FP.", ISS + 4, IRS + 1, 3); /* the FIN lets the tail go */
  H_NOTHING(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* The FIN is retransmitted like data. */
static void test_fin_retransmit(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_close(c, t.now);
  H_EXPECT(&t, "F.", ISS + 1, IRS + 1, 0);
  h_advance(&t, 1000000);
  H_EXPECT(&t, "F.", ISS + 1, IRS + 1, 0);
  h_advance(&t, 2000000);
  H_EXPECT(&t, "F.", ISS + 1, IRS + 1, 0);
  H_FEED(&t, ".", IRS + 1, ISS + 2, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_2);
  h_advance(&t, 100000000);
  H_NOTHING(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* ABORT (3.10.5): RST <SEQ=SND.NXT> from a synchronized state, nothing from SYN-SENT. */
static void test_abort(void) {
  harness t;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  int err;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, (const uint8_t *)"abc", 3, t.now);
  h_clear(&t);
  CHECK_EQ(synack_conn_abort(c, t.now), 0);
  H_EXPECT(&t, "R", ISS + 4, 0, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"x", 1, t.now), SYNACK_ECONNABORTED);
  synack_conn_release(c);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_clear(&t);
  synack_conn_abort(c, t.now);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  synack_conn_release(c);
  /* CLOSE in SYN-SENT deletes the TCB without a word */
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_clear(&t);
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  synack_conn_release(c);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  h_free(&t);
}

/* ECONNRESET on a RST in a synchronized state (MUST-12): RECEIVE and SEND say so. */
static void test_reset_by_peer(void) {
  harness t;
  synack_conn *c;
  uint8_t b[4];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "ab");
  h_clear(&t);
  t.notices = 0;
  H_FEED(&t, "R", IRS + 3, 0, 0, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK(t.notices & SYNACK_NOTICE_ERROR);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), SYNACK_ECONNRESET);
  CHECK_EQ(synack_conn_send(c, b, 1, t.now), SYNACK_ECONNRESET);
  {
    struct synack_conn_info i;
    synack_conn_info(c, &i);
    CHECK_EQ(i.error, SYNACK_ECONNRESET);
  }
  synack_conn_release(c);
  h_free(&t);
}

/* A connection the user released in ESTABLISHED is freed once its close completes. */
static void test_release_then_close(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_close(c, t.now);
  synack_conn_release(c);
  h_clear(&t);
  H_FEED(&t, "F.", IRS + 1, ISS + 2, 65535, "");
  H_EXPECT(&t, ".", ISS + 2, IRS + 2, 0);
  CHECK_EQ(synack_host_conn_count(t.h), 1);
  h_advance(&t, MSL2);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  h_free(&t);
}

/* The msl knob: TIME-WAIT lasts 2 * msl_us. */
static void test_msl_config(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  synack_host_config_init(&cfg);
  CHECK_EQ(cfg.msl_us, 30000000);
  cfg.msl_us = 1000;
  h_init_cfg(&t, &cfg);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_close(c, t.now);
  H_FEED(&t, "F.", IRS + 1, ISS + 2, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  h_advance(&t, 1999);
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  h_advance(&t, 1);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  synack_conn_release(c);
  h_free(&t);
}

/* CLOSE in SYN-RECEIVED (3.10.4): queued until ESTABLISHED, then FIN-WAIT-1 and the FIN. */
static void test_close_in_syn_received(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_feed_syn(&t, "S", IRS, 0, 65535, 1460); /* simultaneous open */
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_RECEIVED);
  h_clear(&t);
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_RECEIVED);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"x", 1, t.now), SYNACK_EPIPE);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_1);
  H_EXPECT(&t, "F.", ISS + 1, IRS + 1, 0);
  H_NOTHING(&t);
  synack_conn_release(c);
  h_free(&t);
}

int main(void) {
  RUN(test_close_in_syn_received);
  RUN(test_active_close);
  RUN(test_buffers_given_back);
  RUN(test_fin_wait_2_orphan);
  RUN(test_passive_close);
  RUN(test_simultaneous_close);
  RUN(test_fin_ack_together);
  RUN(test_half_close);
  RUN(test_close_after_data);
  RUN(test_fin_retransmit);
  RUN(test_abort);
  RUN(test_reset_by_peer);
  RUN(test_release_then_close);
  RUN(test_msl_config);
  return CHECK_DONE();
}
