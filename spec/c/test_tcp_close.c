/* test_tcp_close.c: CLOSE, ABORT and the closing states (RFC
 * 9293 3.6, 3.10.4-5). */
#include "tcp_harness.h"

#define ISS 0xffffffffu /* the FIN sits exactly on the wrap */
#define IRS 0xfffffffeu
#define MSL2 60000000ull

/* 3.6 case 1, active side: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT for 2 MSL
 * (MUST-13), CLOSED. */
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
   the send ring when our FIN is ACKed, the receive ring when the FIN is read
   (and each when it empties; spec below: what is still in them). */
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
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "in"); /* "out" not yet ACKed */
  synack_conn_info(c, &i);
  CHECK_EQ(i.buffer_bytes,
           65536 + 65535); /* h_opts: sndbuf 64 KiB, rcvbuf 65535 */
  CHECK_EQ(synack_conn_shutdown(c, t.now), 0);
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
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now),
           SYNACK_ECLOSING); /* closed: no reading */
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

/* FIN-WAIT-1 gets the peer's FIN with the ACK of ours: straight to TIME-WAIT.
 */
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

/* MAY-1: half-close. After our FIN the peer keeps sending and we keep reading.
 */
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

/* ABORT (3.10.5): RST <SEQ=SND.NXT> from a synchronized state, nothing from
 * SYN-SENT. */
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
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"x", 1, t.now),
           SYNACK_ECONNABORTED);
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

/* ECONNRESET on a RST in a synchronized state (MUST-12): RECEIVE and SEND say
 * so. */
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

/* A connection the user released in ESTABLISHED is freed once its close
 * completes. */
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

/* CLOSE in SYN-RECEIVED (3.10.4): queued until ESTABLISHED, then FIN-WAIT-1 and
 * the FIN. */
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

/* CLOSE is the application's last word (a socket's close): RECEIVE answers
   ECLOSING, and new data arriving afterwards would be lost, so the host
   resets (SHLD-3, RFC 2525 2.17) and is CLOSED without reporting an error. */
static void test_close_then_data_resets(void) {
  harness t;
  synack_conn *c;
  uint8_t b[8];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  H_EXPECT(&t, "F.", ISS + 1, IRS + 1, 0);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), SYNACK_ECLOSING);
  CHECK_EQ(synack_conn_close(c, t.now), SYNACK_ECLOSING);
  CHECK_EQ(synack_conn_shutdown(c, t.now), SYNACK_ECLOSING);
  H_FEED(&t, ".", IRS + 1, ISS + 2, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_2);
  /* a duplicate of nothing new is harmless: no reset */
  H_FEED(&t, ".", IRS + 1, ISS + 2, 65535, "");
  H_NOTHING(&t);
  t.notices = 0;
  H_FEED(&t, "P.", IRS + 1, ISS + 2, 65535, "late");
  H_EXPECT(&t, "R", ISS + 2, 0, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK(!(t.notices & SYNACK_NOTICE_ERROR));
  {
    struct synack_conn_info i;
    synack_conn_info(c, &i);
    CHECK_EQ(i.error, 0);
  }
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), SYNACK_ECLOSING);
  synack_conn_release(c);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  h_free(&t);
}

/* CLOSE with received bytes still unread: RST at once instead of a FIN
 * (SHLD-3). */
static void test_close_unread_resets(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "unread");
  h_clear(&t);
  t.notices = 0;
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  H_EXPECT(&t, "R", ISS + 1, 0, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK(!(t.notices & SYNACK_NOTICE_ERROR));
  synack_conn_release(c);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  /* in CLOSE-WAIT too: the peer's FIN came after data nobody read */
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "FP.", IRS + 1, ISS + 1, 65535, "bye");
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSE_WAIT);
  h_clear(&t);
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  H_EXPECT(&t, "R", ISS + 1, 0, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  synack_conn_release(c);
  h_free(&t);
}

/* shutdown, then close: the FIN is sent once; data read before close is no
   loss (a FIN follows, no reset), data after it is. */
static void test_shutdown_then_close(void) {
  harness t;
  synack_conn *c;
  uint8_t b[8];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  CHECK_EQ(synack_conn_shutdown(c, t.now), 0);
  H_EXPECT(&t, "F.", ISS + 1, IRS + 1, 0);
  CHECK_EQ(synack_conn_shutdown(c, t.now), SYNACK_ECLOSING);
  H_FEED(&t, "P.", IRS + 1, ISS + 2, 65535, "read");
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 4);
  CHECK_EQ(synack_conn_close(c, t.now), 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_FIN_WAIT_2);
  h_clear(&t);
  H_FEED(&t, "F.", IRS + 5, ISS + 2, 65535, ""); /* a bare FIN loses nothing */
  H_EXPECT(&t, ".", ISS + 2, IRS + 6, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  synack_conn_release(c);
  h_free(&t);
}

/* A segment from the peer, with a timestamp option when tsval is not 0. */
static void feed_tw(harness *t, const char *fl, synack_seq seq, synack_seq ack,
                    uint32_t tsval) {
  synack_tcpopts so;
  memset(&so, 0, sizeof so);
  so.has_mss = strchr(fl, 'S') != NULL;
  so.mss = 1460;
  so.has_timestamp = tsval != 0;
  so.ts_val = tsval;
  h_feed_full(t, fl, seq, ack, 65535, NULL, 0, &so);
}

/* The seq of the next segment out, which must have these flags and ack. */
static synack_seq pop_seq(harness *t, uint8_t flags, synack_seq ack) {
  hseg e;
  synack_seq seq = 0;
  if (CHECK_POP(t, &e)) {
    CHECK_EQ(e.seg.flags & ~SYNACK_PSH, flags);
    CHECK_EQ(e.seg.ack, ack);
    seq = e.seg.seq;
    free(e.data);
  }
  return seq;
}

/* A passive connection (timestamps when ts, the peer's TSval from 100) that
   we close first, into TIME-WAIT; our ISS is RFC 6528's, read back in *iss. */
static synack_conn *tw_passive(harness *t, int ts, synack_seq *iss,
                               synack_listener **lp) {
  synack_conn_opts o = h_opts(ISS);
  synack_listener *l;
  synack_conn *c;
  int err;
  o.set &= ~(uint32_t)SYNACK_OPT_SET_ISN;
  o.timestamps = (uint8_t)ts;
  l = synack_host_listen(t->h, 80, 8, &o, &err);
  CHECK(l != NULL);
  *lp = l;
  feed_tw(t, "S", IRS, 0, ts ? 100 : 0);
  *iss = pop_seq(t, SYNACK_SYN | SYNACK_ACK, IRS + 1);
  feed_tw(t, ".", IRS + 1, *iss + 1, ts ? 101 : 0);
  c = synack_listener_accept(l);
  CHECK(c != NULL);
  CHECK_EQ(synack_conn_close(c, t->now), 0);
  H_EXPECT(t, "F.", *iss + 1, IRS + 1, 0);
  feed_tw(t, "F.", IRS + 1, *iss + 2, ts ? 102 : 0);
  H_EXPECT(t, ".", *iss + 2, IRS + 2, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  return c;
}

/* MAY-2 (RFC 1122 4.2.2.13): a SYN beyond RCV.NXT ends TIME-WAIT and opens a
   new incarnation on the same 4-tuple, our ISS past the old SND.NXT; a SYN
   that could be an old duplicate only draws an ACK. */
static void test_time_wait_reopen(void) {
  harness t;
  synack_conn *c, *n;
  synack_listener *l;
  synack_seq iss, iss2;
  h_init(&t);
  c = tw_passive(&t, 0, &iss, &l);
  feed_tw(&t, "S", IRS + 2, 0, 0); /* at RCV.NXT: maybe old */
  H_EXPECT(&t, ".", iss + 2, IRS + 2, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  t.now += 1000000;
  feed_tw(&t, "S", IRS + 70000, 0, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  iss2 = pop_seq(&t, SYNACK_SYN | SYNACK_ACK, IRS + 70001);
  CHECK_EQ(iss2, iss + 2 + 65537);
  H_NOTHING(&t);
  feed_tw(&t, ".", IRS + 70001, iss2 + 1, 0);
  n = synack_listener_accept(l);
  CHECK(n != NULL && n != c);
  CHECK_EQ(synack_conn_state(n), SYNACK_ESTABLISHED);
  synack_conn_release(c);
  synack_conn_release(n);
  h_free(&t);
}

/* RFC 6191: with timestamps, a newer TSval lets a SYN in whatever its
   sequence number; an older one keeps it out even beyond RCV.NXT. */
static void test_time_wait_reopen_ts(void) {
  harness t;
  synack_conn *c;
  synack_listener *l;
  synack_seq iss, iss2;
  h_init(&t);
  c = tw_passive(&t, 1, &iss, &l);
  feed_tw(&t, "S", IRS + 70000, 0, 50); /* older TSval: an old duplicate */
  H_EXPECT(&t, ".", iss + 2, IRS + 2, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_TIME_WAIT);
  feed_tw(&t, "S", IRS - 5000, 0, 200); /* newer TSval, lower sequence number */
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  iss2 = pop_seq(&t, SYNACK_SYN | SYNACK_ACK, IRS - 4999);
  CHECK(seq_gt(iss2, iss + 2));
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
  RUN(test_close_then_data_resets);
  RUN(test_close_unread_resets);
  RUN(test_shutdown_then_close);
  RUN(test_time_wait_reopen);
  RUN(test_time_wait_reopen_ts);
  return CHECK_DONE();
}
