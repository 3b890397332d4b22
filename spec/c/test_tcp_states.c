/*
 * test_tcp_states.c: for each state, a table of incoming segments and the
 * exact answer (or silence) and resulting state, after RFC 9293 3.10.7.4 and
 * RFC 5961. The numbers wrap: ISS and IRS sit just below 2^32.
 */
#include "tcp_harness.h"

#define ISS 0xfffffffeu
#define IRS 0xfffffffau
#define WIN 65535

enum { S_EST, S_FW1, S_FW2, S_CW, S_CLOSING, S_LAST_ACK, S_TW, NSTATES };
static const synack_state st[NSTATES] = {
    SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1, SYNACK_FIN_WAIT_2, SYNACK_CLOSE_WAIT,
    SYNACK_CLOSING,     SYNACK_LAST_ACK,   SYNACK_TIME_WAIT};

/* Bring a connection (active open, delayed ACK off) into state s. */
static synack_conn *setup(harness *t, int s, synack_seq *snd_nxt,
                          synack_seq *rcv_nxt) {
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  int err;
  h_init(t);
  o.set |= SYNACK_OPT_SET_PORT | SYNACK_OPT_SET_DELAYED_ACK;
  o.port = 80;
  o.delayed_ack = 0;
  c = synack_host_connect(t->h, &t->peer, t->peer_port, &o, t->now, &err);
  h_feed_syn(t, "S.", IRS, ISS + 1, WIN, 1460);
  *snd_nxt = ISS + 1;
  *rcv_nxt = IRS + 1;
  if (s == S_FW1 || s == S_FW2 || s == S_CLOSING || s == S_TW) {
    synack_conn_shutdown(
        c, t->now); /* a half-close: the tables' text rows read on */
    *snd_nxt = ISS + 2;
  }
  if (s == S_FW2 || s == S_TW)
    H_FEED(t, ".", IRS + 1, ISS + 2, WIN, "");
  if (s == S_CW || s == S_LAST_ACK || s == S_CLOSING || s == S_TW) {
    H_FEED(t, "F.", IRS + 1, ISS + 1, WIN, "");
    *rcv_nxt = IRS + 2;
  }
  if (s == S_LAST_ACK) {
    synack_conn_close(c, t->now);
    *snd_nxt = ISS + 2;
  }
  h_clear(t);
  CHECK_EQ(synack_conn_state(c), st[s]);
  return c;
}

enum {
  R_SYN,
  R_SYNACK,
  R_ACK_OK,
  R_ACK_BAD,
  R_RST_EXACT,
  R_RST_INWIN,
  R_RST_OUT,
  R_FIN,
  R_DATA_IN,
  R_DATA_OUT,
  R_NOACK,
  NROWS
};
static const char *row_name[NROWS] = {"SYN",
                                      "SYN/ACK",
                                      "acceptable ACK",
                                      "ACK beyond SND.NXT",
                                      "RST exact",
                                      "RST in window",
                                      "RST outside",
                                      "FIN",
                                      "data in window",
                                      "data outside window",
                                      "segment without ACK"};

static void feed_row(harness *t, int r, synack_seq snd_nxt,
                     synack_seq rcv_nxt) {
  switch (r) {
  case R_SYN:
    H_FEED(t, "S", rcv_nxt, 0, WIN, "");
    break;
  case R_SYNACK:
    H_FEED(t, "S.", rcv_nxt, snd_nxt, WIN, "");
    break;
  case R_ACK_OK:
    H_FEED(t, ".", rcv_nxt, snd_nxt, WIN, "");
    break;
  case R_ACK_BAD:
    H_FEED(t, ".", rcv_nxt, snd_nxt + 1000, WIN, "");
    break;
  case R_RST_EXACT:
    H_FEED(t, "R", rcv_nxt, 0, 0, "");
    break;
  case R_RST_INWIN:
    H_FEED(t, "R", rcv_nxt + 100, 0, 0, "");
    break;
  case R_RST_OUT:
    H_FEED(t, "R", rcv_nxt + 200000, 0, 0, "");
    break;
  case R_FIN:
    H_FEED(t, "F.", IRS + 1, ISS + 1, WIN, "");
    break;
  case R_DATA_IN:
    H_FEED(t, "P.", rcv_nxt, ISS + 1, WIN, "hello");
    break;
  case R_DATA_OUT:
    H_FEED(t, "P.", rcv_nxt + 200000, ISS + 1, WIN, "hello");
    break;
  case R_NOACK:
    H_FEED(t, "P", rcv_nxt, 0, WIN, "hello");
    break;
  }
}

/* What each row must produce in each state. ack_off: the ACK's offset from
 * RCV.NXT. */
typedef struct want {
  const char *reply; /* NULL: nothing */
  int ack_off;
  int next; /* -1: CLOSED; else a state index */
  int err;
} want;

#define SAME(s)                                                                \
  { ".", 0, s, 0 }
static want expected(int s, int r) {
  want w = {NULL, 0, s, 0};
  int fin_rcvd = s == S_CW || s == S_CLOSING || s == S_LAST_ACK || s == S_TW;
  switch (r) {
  case R_SYN:
  case R_SYNACK:    /* RFC 5961 4.2: challenge ACK, state unchanged */
  case R_ACK_BAD:   /* RFC 5961 5.2 / 3.10.7.4 fifth: ACK and drop */
  case R_RST_INWIN: /* RFC 5961 3.2: challenge ACK */
  case R_DATA_OUT:  /* 3.10.7.4 first: not acceptable, ACK */
    w.reply = ".";
    break;
  case R_ACK_OK: /* 3.10.7.4 fifth, per state */
    if (s == S_FW1)
      w.next = S_FW2;
    else if (s == S_CLOSING)
      w.next = S_TW;
    else if (s == S_LAST_ACK)
      w.next = -1;
    break;
  case R_RST_EXACT: /* 3.10.7.4 second */
    w.next = -1;
    if (s == S_EST || s == S_FW1 || s == S_FW2 || s == S_CW)
      w.err = SYNACK_ECONNRESET;
    break;
  case R_RST_OUT: /* RFC 5961 3.2: silently dropped */
    break;
  case R_FIN: /* 3.10.7.4 eighth; a repeated FIN is out of window: ACK */
    w.reply = ".";
    if (!fin_rcvd) {
      w.ack_off = 1;
      w.next = s == S_EST ? S_CW : s == S_FW1 ? S_CLOSING : S_TW;
    }
    break;
  case R_DATA_IN: /* 3.10.7.4 seventh: taken in EST/FW1/FW2, ignored after a FIN
                   */
    if (!fin_rcvd) {
      w.reply = ".";
      w.ack_off = 5;
    }
    break;
  case R_NOACK: /* 3.10.7.4 fifth: no ACK bit, dropped */
    break;
  }
  return w;
}

static void test_state_tables(void) {
  int s, r;
  for (s = 0; s < NSTATES; s++) {
    for (r = 0; r < NROWS; r++) {
      harness t;
      synack_seq snd_nxt, rcv_nxt;
      synack_conn *c = setup(&t, s, &snd_nxt, &rcv_nxt);
      want w = expected(s, r);
      int before = check__s.current_failed;
      check__s.current_failed = 0;
      feed_row(&t, r, snd_nxt, rcv_nxt);
      if (w.reply)
        H_EXPECT(&t, w.reply, snd_nxt, rcv_nxt + (uint32_t)w.ack_off, 0);
      H_NOTHING(&t);
      CHECK_EQ(synack_conn_state(c), w.next < 0 ? SYNACK_CLOSED : st[w.next]);
      if (w.next < 0)
        CHECK_EQ(synack_conn_recv(c, NULL, 0, t.now) == w.err || w.err == 0, 1);
      if (check__s.current_failed)
        fprintf(stderr, "    ^ in %s, row \"%s\"\n", synack_state_name(st[s]),
                row_name[r]);
      check__s.current_failed |= before;
      synack_conn_release(c);
      h_free(&t);
    }
  }
}

/* SYN-RECEIVED (passive): the same kinds of segment. */
static synack_conn *syn_rcvd(harness *t, synack_listener **l) {
  synack_conn_opts o = h_opts(ISS);
  int err;
  h_init(t);
  *l = synack_host_listen(t->h, 80, 4, &o, &err);
  h_feed_syn(t, "S", IRS, 0, WIN, 1460);
  h_clear(t);
  CHECK_EQ(t->to, SYNACK_SYN_RECEIVED);
  return t->last_conn;
}

static void test_syn_received_table(void) {
  harness t;
  synack_listener *l;
  synack_conn *c;
  /* retransmitted SYN: SYN,ACK again */
  c = syn_rcvd(&t, &l);
  h_feed_syn(&t, "S", IRS, 0, WIN, 1460);
  H_EXPECT(&t, "S.", ISS, IRS + 1, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_RECEIVED);
  /* a new SYN in the window: passive, back to LISTEN (fourth step) */
  H_FEED(&t, "S", IRS + 1, 0, WIN, "");
  H_NOTHING(&t);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  synack_listener_close(l, t.now);
  h_free(&t);
  /* unacceptable ACK: <SEQ=SEG.ACK><CTL=RST> */
  c = syn_rcvd(&t, &l);
  H_FEED(&t, ".", IRS + 1, ISS + 50, WIN, "");
  H_EXPECT(&t, "R", ISS + 50, 0, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_RECEIVED);
  /* RST in window, not exact: challenge ACK */
  H_FEED(&t, "R", IRS + 10, 0, 0, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  /* RST outside: nothing */
  H_FEED(&t, "R", IRS + 100000, 0, 0, "");
  /* data outside: ACK */
  H_FEED(&t, ".", IRS + 100000, ISS + 1, WIN, "x");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  /* no ACK bit: dropped */
  H_FEED(&t, "P", IRS + 1, 0, WIN, "x");
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_RECEIVED);
  /* FIN with a good ACK: ESTABLISHED then CLOSE-WAIT, FIN acked */
  H_FEED(&t, "F.", IRS + 1, ISS + 1, WIN, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 2, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSE_WAIT);
  CHECK_EQ(synack_listener_pending(l), 1);
  synack_listener_close(l, t.now); /* never accepted: reset */
  H_EXPECT(&t, "R", ISS + 1, 0, 0);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  h_free(&t);
  /* RST exact: quietly gone */
  c = syn_rcvd(&t, &l);
  H_FEED(&t, "R", IRS + 1, 0, 0, "");
  H_NOTHING(&t);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  synack_listener_close(l, t.now);
  h_free(&t);
  /* data with the handshake's ACK: ESTABLISHED and the data is kept */
  c = syn_rcvd(&t, &l);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, WIN, "early");
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  c = synack_listener_accept(l);
  {
    uint8_t buf[16];
    CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 5);
    CHECK(memcmp(buf, "early", 5) == 0);
  }
  synack_conn_release(c);
  synack_listener_close(l, t.now);
  h_free(&t);
}

/* SYN-SENT rows beyond those of test_tcp_handshake: a SYN,ACK with data; a
 * plain ACK. */
static void test_syn_sent_table(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  uint8_t buf[16];
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_clear(&t);
  H_FEED(&t, "F", IRS, 0, WIN, ""); /* neither SYN nor RST: dropped */
  H_FEED(&t, "", IRS, 0, WIN, "x");
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_SENT);
  H_FEED(&t, "S.", IRS, ISS + 1, WIN, "hi");
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  H_EXPECT(&t, ".", ISS + 1, IRS + 3, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 2);
  synack_conn_release(c);
  h_free(&t);
}

int main(void) {
  RUN(test_state_tables);
  RUN(test_syn_received_table);
  RUN(test_syn_sent_table);
  return CHECK_DONE();
}
