/* test_tcp_handshake.c: opening connections (RFC 9293 3.5, 3.10.1, 3.10.7.1-3).
 */
#include "tcp_harness.h"

#define ISS 0xfffffff0u /* just below 2^32: the handshake wraps */
#define IRS 0xffffff00u

/* 3.5 figure 7 from the active side; MSS option on the SYN (MUST-14, SHLD-5).
 */
static void test_active_open(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  hseg e;
  synack_tcpopts v;
  struct synack_conn_info info;
  int err;
  h_init(&t);
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  CHECK(c != NULL);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_SENT);
  CHECK(CHECK_POP(&t, &e));
  CHECK_EQ(e.seg.flags, SYNACK_SYN);
  CHECK_EQ(e.seg.seq, ISS);
  CHECK_EQ(e.seg.win, 65535);
  CHECK_EQ(synack_opts_parse(e.seg.opts, e.seg.optlen, &v), 0);
  CHECK(v.has_mss);
  CHECK_EQ(v.mss, 1460);
  CHECK(!v.has_wscale && !v.sack_permitted && !v.has_timestamp);
  t.peer_port = 1234;
  /* the peer's SYN,ACK arrives at our ephemeral port */
  {
    synack_segment s;
    synack_tcpopts so;
    memset(&so, 0, sizeof so);
    so.has_mss = 1;
    so.mss = 1000;
    synack_segment_init(&s);
    s.src = t.peer;
    s.dst = t.me;
    s.sport = 1234;
    s.dport = e.seg.sport;
    s.seq = IRS;
    s.ack = ISS + 1;
    s.flags = SYNACK_SYN | SYNACK_ACK;
    s.win = 5000;
    s.optlen = (uint8_t)synack_opts_encode(&so, s.opts);
    synack_host_input(t.h, &s, t.now);
  }
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_NOTHING(&t);
  synack_conn_info(c, &info);
  CHECK_EQ(info.mss, 1000); /* MUST-16: the peer's MSS bounds ours */
  CHECK_EQ(info.snd_wnd, 5000);
  CHECK_EQ(info.iss, ISS);
  CHECK_EQ(info.irs, IRS);
  CHECK(t.notices & SYNACK_NOTICE_WRITABLE);
  synack_conn_release(c);
  h_free(&t);
}

/* 3.10.7.2: LISTEN gets a SYN, answers SYN,ACK, the ACK makes it ESTABLISHED.
 */
static void test_passive_open(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_listener *l;
  synack_conn *c;
  int err;
  h_init(&t);
  l = synack_host_listen(t.h, 80, 4, &o, &err);
  CHECK(l != NULL);
  h_feed_syn(&t, "S", IRS, 0, 65535, 1460);
  H_EXPECT(&t, "S.", ISS, IRS + 1, 0);
  H_NOTHING(&t);
  CHECK_EQ(t.to, SYNACK_SYN_RECEIVED);
  CHECK_EQ(t.from, SYNACK_LISTEN);
  CHECK(synack_listener_accept(l) == NULL);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  H_NOTHING(&t);
  CHECK_EQ(synack_listener_pending(l), 1);
  CHECK(t.notices & SYNACK_NOTICE_ACCEPTABLE);
  c = synack_listener_accept(l);
  CHECK(c != NULL);
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  CHECK(synack_conn_listener(c) == NULL);
  synack_conn_release(c);
  synack_listener_close(l, t.now);
  h_free(&t);
}

/* MUST-15: no MSS option means 536. */
static void test_mss_default(void) {
  harness t;
  synack_listener *l;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  struct synack_conn_info info;
  int err;
  h_init(&t);
  l = synack_host_listen(t.h, 80, 4, &o, &err);
  h_feed_syn(&t, "S", IRS, 0, 65535, 0);
  H_EXPECT(&t, "S.", ISS, IRS + 1, 0);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  c = synack_listener_accept(l);
  CHECK(c != NULL);
  synack_conn_info(c, &info);
  CHECK_EQ(info.mss, 536);
  {
    static uint8_t big[2000];
    CHECK_EQ(synack_conn_send(c, big, 1200, t.now), 1200);
    H_EXPECT(&t, ".", ISS + 1, IRS + 1, 536);
    H_EXPECT(&t, ".", ISS + 1 + 536, IRS + 1, 536);
  }
  synack_conn_release(c);
  synack_listener_close(l, t.now);
  h_free(&t);
}

/* MUST-10, 3.5 figure 8: both sides send SYN; each answers SYN,ACK. */
static void test_simultaneous_open(void) {
  harness t;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  H_EXPECT(&t, "S", ISS, 0, 0);
  h_feed_syn(&t, "S", IRS, 0, 65535, 1460);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_RECEIVED);
  H_EXPECT(&t, "S.", ISS, IRS + 1, 0);
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460); /* the peer's SYN,ACK */
  /* in SYN-RECEIVED a SYN,ACK whose SYN we already have: not in window -> ACK
   */
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  H_NOTHING(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* 3.10.7.3: a RST with an acceptable ACK answers our SYN: ECONNREFUSED. */
static void test_refused(void) {
  harness t;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  uint8_t buf[8];
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_clear(&t);
  H_FEED(&t, "R", 0, 0, 0, ""); /* no ACK: ignored */
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_SENT);
  H_FEED(&t, "R.", 0, ISS + 5, 0, ""); /* unacceptable ACK: ignored */
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_SENT);
  H_NOTHING(&t);
  H_FEED(&t, "R.", 0, ISS + 1, 0, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), SYNACK_ECONNREFUSED);
  CHECK(t.notices & SYNACK_NOTICE_ERROR);
  H_NOTHING(&t);
  synack_conn_release(c);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  h_free(&t);
}

/* 3.10.7.3 first: SYN-SENT gets a bad ACK -> <SEQ=SEG.ACK><CTL=RST>. */
static void test_syn_sent_bad_ack(void) {
  harness t;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_clear(&t);
  h_feed_syn(&t, "S.", IRS, ISS + 7, 65535, 1460);
  H_EXPECT(&t, "R", ISS + 7, 0, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_SENT);
  H_FEED(&t, ".", IRS, ISS, 65535, ""); /* ACK of ISS itself: not acceptable */
  H_EXPECT(&t, "R", ISS, 0, 0);
  H_FEED(&t, ".", IRS, ISS + 1, 65535,
         ""); /* acceptable ACK without SYN: dropped */
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_SENT);
  synack_conn_release(c);
  h_free(&t);
}

/* MUST-20..23 for SYNs: backoff 1, 2, 4 ... s, ETIMEDOUT after syn_retries. */
static void test_syn_retries(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  uint64_t start;
  int err, i;
  synack_host_config_init(&cfg);
  cfg.syn_retries = 3;
  h_init_cfg(&t, &cfg);
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  start = t.now;
  H_EXPECT(&t, "S", ISS, 0, 0);
  for (i = 0; i < 3; i++) {
    uint64_t want = start + 1000000ull * ((2ull << i) - 1);
    CHECK_EQ(synack_host_deadline(t.h), want);
    h_advance(&t, synack_host_deadline(t.h) - t.now);
    H_EXPECT(&t, "S", ISS, 0, 0);
  }
  h_advance(&t, synack_host_deadline(t.h) - t.now);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK_EQ(synack_conn_recv(c, NULL, 0, t.now), SYNACK_ETIMEDOUT);
  synack_conn_release(c);
  h_free(&t);
}

/* SHLD-9 for a SYN: the third retransmission tells the application (R1);
   the handshake's completion clears info.r1_reached. */
static void test_r1_notice_syn(void) {
  harness t;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  struct synack_conn_info i;
  int err, k;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  c = synack_host_connect(t.h, &t.peer, t.peer_port, &o, t.now, &err);
  H_EXPECT(&t, "S", ISS, 0, 0);
  t.notices = 0;
  for (k = 0; k < 3; k++) {
    CHECK(!(t.notices & SYNACK_NOTICE_R1));
    h_advance(&t, synack_host_deadline(t.h) - t.now);
    H_EXPECT(&t, "S", ISS, 0, 0);
  }
  CHECK(t.notices & SYNACK_NOTICE_R1);
  synack_conn_info(c, &i);
  CHECK_EQ(i.r1_reached, 1);
  CHECK_EQ(synack_conn_state(c), SYNACK_SYN_SENT);
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  synack_conn_info(c, &i);
  CHECK_EQ(i.r1_reached, 0);
  synack_conn_release(c);
  h_free(&t);
}

/* MUST-23: with the default thresholds an unanswered SYN is retried for at
 * least three minutes before the open fails. */
static void test_syn_give_up_default(void) {
  harness t;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  uint64_t start;
  int err;
  h_init(&t);
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  start = t.now;
  while (synack_conn_state(c) == SYNACK_SYN_SENT &&
         synack_host_deadline(t.h) != SYNACK_NEVER) {
    h_advance(&t, synack_host_deadline(t.h) - t.now);
    h_clear(&t);
  }
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK(t.now - start >= 180ull * 1000000);
  CHECK_EQ(synack_conn_recv(c, NULL, 0, t.now), SYNACK_ETIMEDOUT);
  synack_conn_release(c);
  h_free(&t);
}

/*
 * RFC 4987 3.6: with the SYN queue full a SYN is answered with a cookie; the
 * ACK that returns it makes the connection (MSS kept, other options not); a
 * wrong cookie draws the reset an ACK in LISTEN always draws.
 */
static void test_syn_cookies(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_listener *l;
  synack_conn *c;
  struct synack_conn_info i;
  hseg e;
  uint8_t buf[16];
  synack_seq cookie;
  int err;
  h_init(&t);
  l = synack_host_listen(t.h, 80, 1, &o, &err);
  t.peer_port = 2000;
  h_feed_syn(&t, "S", 100, 0, 65535, 1460);
  H_EXPECT(&t, "S.", ISS, 101, 0);
  t.peer_port = 2001; /* the queue is full now */
  h_feed_syn(&t, "S", 5000, 0, 65535, 1300);
  CHECK(CHECK_POP(&t, &e));
  free(e.data);
  cookie = e.seg.seq;
  CHECK_EQ(e.seg.ack, 5001);
  CHECK_EQ(synack_host_conn_count(t.h), 1);
  /* a wrong cookie (or a stray ACK): reset, nothing made */
  H_FEED(&t, ".", 5001, cookie + 2, 65535, "");
  H_EXPECT(&t, "R", cookie + 2, 0, 0);
  H_FEED(&t, ".", 5002, cookie + 1, 65535,
         ""); /* not the ISN the cookie was made for */
  H_EXPECT(&t, "R", cookie + 1, 0, 0);
  CHECK_EQ(synack_host_conn_count(t.h), 1);
  /* the right one, a minute later (the next time slot), with data */
  t.now += 60000000;
  H_FEED(&t, "P.", 5001, cookie + 1, 65535, "hello");
  H_NOTHING(&t); /* the data is taken, its ACK delayed */
  CHECK_EQ(synack_host_conn_count(t.h), 2);
  CHECK_EQ(synack_listener_pending(l), 1);
  c = synack_listener_accept(l);
  CHECK(c != NULL);
  synack_conn_info(c, &i);
  CHECK_EQ(i.state, SYNACK_ESTABLISHED);
  CHECK_EQ(i.iss, cookie);
  CHECK_EQ(i.irs, 5000);
  CHECK_EQ(i.mss, 1300); /* from the cookie's table */
  CHECK_EQ(i.sack_ok, 0);
  CHECK_EQ(i.snd_wscale, 0);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 5);
  h_clear(&t);
  /* too late: two slots on, the cookie is stale */
  t.peer_port = 2002;
  h_feed_syn(&t, "S", 7000, 0, 65535, 1460);
  CHECK(CHECK_POP(&t, &e));
  free(e.data);
  cookie = e.seg.seq;
  t.now += 130000000;
  H_FEED(&t, ".", 7001, cookie + 1, 65535, "");
  H_EXPECT(&t, "R", cookie + 1, 0, 0);
  h_clear(&t);
  synack_conn_release(c);
  synack_listener_close(l, t.now);
  h_free(&t);
}

/* 3.10.7.1: a segment for no connection and no listener draws a reset. */
static void test_closed_port(void) {
  harness t;
  h_init(&t);
  h_feed_syn(&t, "S", 100, 0, 65535, 1460);
  H_EXPECT(&t, "R.", 0, 101, 0); /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
  H_FEED(&t, "P.", 100, 555, 65535, "abc");
  H_EXPECT(&t, "R", 555, 0, 0); /* <SEQ=SEG.ACK><CTL=RST> */
  H_FEED(&t, "F", 100, 0, 65535, "ab");
  H_EXPECT(&t, "R.", 0, 103, 0);
  H_FEED(&t, "R", 100, 0, 65535, ""); /* a reset is never answered */
  H_FEED(&t, "R.", 100, 5, 65535, "");
  H_NOTHING(&t);
  h_free(&t);
}

/* 3.10.7.2: LISTEN ignores RST, resets an ACK, drops the rest. */
static void test_listen_other(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_listener *l;
  int err;
  h_init(&t);
  l = synack_host_listen(t.h, 80, 4, &o, &err);
  H_FEED(&t, "R", 5, 0, 0, "");
  H_NOTHING(&t);
  H_FEED(&t, ".", 5, 77, 100, "");
  H_EXPECT(&t, "R", 77, 0, 0);
  H_FEED(&t, "S.", 5, 77, 100, "");
  H_EXPECT(&t, "R", 77, 0, 0);
  H_FEED(&t, "F", 5, 0, 100, "");
  H_FEED(&t, "", 5, 0, 100, "data");
  H_NOTHING(&t);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  CHECK_EQ(synack_host_listen(t.h, 80, 4, &o, &err) == NULL, 1);
  CHECK_EQ(err, SYNACK_EADDRINUSE);
  synack_listener_close(l, t.now);
  h_free(&t);
}

/* Bounded queues: SYNs beyond the backlog are dropped; close resets what is
 * unaccepted. */
static void test_backlog(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_listener *l;
  int err, i;
  h_init(&t);
  l = synack_host_listen(t.h, 80, 2, &o, &err);
  for (i = 0; i < 3; i++) {
    t.peer_port = (uint16_t)(2000 + i);
    h_feed_syn(&t, "S", 100, 0, 65535, 1460);
  }
  H_EXPECT(&t, "S.", ISS, 101, 0);
  H_EXPECT(&t, "S.", ISS, 101, 0);
  /* the third finds the SYN queue full: a SYN cookie, nothing kept */
  {
    hseg e;
    CHECK(CHECK_POP(&t, &e));
    CHECK_EQ(e.seg.flags, SYNACK_SYN | SYNACK_ACK);
    CHECK(e.seg.seq != ISS);
    free(e.data);
  }
  H_NOTHING(&t);
  CHECK_EQ(synack_host_conn_count(t.h), 2);
  t.peer_port = 2000;
  H_FEED(&t, ".", 101, ISS + 1, 65535, "");
  CHECK_EQ(synack_listener_pending(l), 1);
  synack_listener_close(l, t.now);
  H_EXPECT(&t, "R", ISS + 1, 0, 0);
  H_EXPECT(&t, "R", ISS + 1, 0, 0);
  H_NOTHING(&t);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  h_free(&t);
}

/* A passive connection reset in SYN-RECEIVED goes away quietly (3.10.7.4
 * second). */
static void test_syn_received_rst(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_listener *l;
  int err;
  h_init(&t);
  l = synack_host_listen(t.h, 80, 4, &o, &err);
  h_feed_syn(&t, "S", IRS, 0, 65535, 1460);
  H_EXPECT(&t, "S.", ISS, IRS + 1, 0);
  h_feed_syn(&t, "S", IRS, 0, 65535,
             1460); /* the same SYN again: SYN,ACK again */
  H_EXPECT(&t, "S.", ISS, IRS + 1, 0);
  H_FEED(&t, ".", IRS + 1, ISS + 9, 65535,
         ""); /* bad ACK: <SEQ=SEG.ACK><CTL=RST> */
  H_EXPECT(&t, "R", ISS + 9, 0, 0);
  t.notices = 0;
  H_FEED(&t, "R", IRS + 1, 0, 0, "");
  H_NOTHING(&t);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  CHECK(!(t.notices & SYNACK_NOTICE_ERROR));
  synack_listener_close(l, t.now);
  h_free(&t);
}

/* Ephemeral ports come from the configured range; EADDRINUSE on a taken
 * 4-tuple. */
static void test_ports(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *a, *b, *d;
  int err;
  h_init(&t);
  a = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  b = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  CHECK(a && b);
  CHECK(synack_conn_state(a) == SYNACK_SYN_SENT);
  {
    struct synack_conn_info ia, ib;
    synack_conn_info(a, &ia);
    synack_conn_info(b, &ib);
    CHECK(ia.local_port >= 49152 && ib.local_port >= 49152);
    CHECK(ia.local_port != ib.local_port);
    o.set |= SYNACK_OPT_SET_PORT;
    o.port = ia.local_port;
  }
  d = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  CHECK(d == NULL);
  CHECK_EQ(err, SYNACK_EADDRINUSE);
  synack_conn_abort(a, t.now);
  synack_conn_abort(b, t.now);
  synack_conn_release(a);
  synack_conn_release(b);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  h_free(&t);
}

/* IPv6: MUST-15 default send MSS 1220; the announced MSS is mtu - 60. */
static void test_ipv6(void) {
  synack_host_config cfg;
  harness t;
  synack_listener *l;
  synack_conn *c;
  synack_conn_opts o;
  struct synack_conn_info info;
  hseg e;
  synack_tcpopts v;
  int err;
  synack_host_config_init(&cfg);
  h_init_cfg(&t, &cfg);
  synack_host_free(t.h);
  synack_addr_parse("2001:db8::2", &t.me);
  synack_addr_parse("2001:db8::1", &t.peer);
  cfg.addr = t.me;
  {
    synack_host_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.output = h_out;
    cb.state = h_state;
    t.h = synack_host_new(&cfg, &cb, &t);
  }
  memset(&o, 0, sizeof o);
  o.set = SYNACK_OPT_SET_ISN;
  o.isn = ISS;
  l = synack_host_listen(t.h, 80, 4, &o, &err);
  h_feed_syn(&t, "S", IRS, 0, 65535, 0);
  if (CHECK_POP(&t, &e)) {
    CHECK_EQ(e.seg.flags, SYNACK_SYN | SYNACK_ACK);
    CHECK_EQ(e.seg.dst.family, 6);
    CHECK_EQ(synack_opts_parse(e.seg.opts, e.seg.optlen, &v), 0);
    CHECK_EQ(v.mss, 1440);
    CHECK(!v.has_wscale && !v.has_timestamp &&
          !v.sack_permitted); /* not offered by the peer */
    free(e.data);
  }
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  c = synack_listener_accept(l);
  CHECK(c != NULL);
  if (c) {
    synack_conn_info(c, &info);
    CHECK_EQ(info.mss, 1220);
    synack_conn_release(c);
  }
  /* a v4 destination from a v6 host */
  {
    synack_addr v4;
    synack_addr_parse("198.18.0.1", &v4);
    CHECK(synack_host_connect(t.h, &v4, 80, NULL, t.now, &err) == NULL);
    CHECK_EQ(err, SYNACK_EAFNOSUPPORT);
  }
  synack_listener_close(l, t.now);
  h_free(&t);
}

/* MUST-46, MUST-57, MUST-63: no OPEN to, and no answer for, broadcast or
 * multicast. */
static void test_not_unicast(void) {
  harness t;
  synack_addr a;
  int err;
  synack_conn_opts o = h_opts(ISS);
  h_init(&t);
  synack_addr_parse("224.0.0.1", &a);
  CHECK(synack_host_connect(t.h, &a, 80, NULL, t.now, &err) == NULL);
  CHECK_EQ(err, SYNACK_EINVAL);
  synack_addr_parse("255.255.255.255", &a);
  CHECK(synack_host_connect(t.h, &a, 80, NULL, t.now, &err) == NULL);
  synack_host_listen(t.h, 80, 4, &o, &err);
  t.peer = a; /* a SYN from the broadcast address */
  h_feed_syn(&t, "S", 1, 0, 65535, 1460);
  H_NOTHING(&t);
  synack_addr_parse("198.18.0.1", &t.peer);
  t.me = a; /* to the broadcast address */
  h_feed_syn(&t, "S", 1, 0, 65535, 1460);
  H_NOTHING(&t);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  h_free(&t);
}

/* MUST-48, MUST-49: TTL and TOS of what a connection sends are the user's to
 * set. */
static void test_ttl_tos(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  hseg e;
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_TTL | SYNACK_OPT_SET_TOS;
  o.ttl = 7;
  o.tos = 0xb8;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  if (CHECK_POP(&t, &e)) {
    CHECK_EQ(e.seg.ttl, 7);
    CHECK_EQ(e.seg.tos, 0xb8);
    free(e.data);
  }
  synack_conn_release(c);
  h_free(&t);
}

int main(void) {
  RUN(test_not_unicast);
  RUN(test_ttl_tos);
  RUN(test_ipv6);
  RUN(test_active_open);
  RUN(test_passive_open);
  RUN(test_mss_default);
  RUN(test_simultaneous_open);
  RUN(test_refused);
  RUN(test_syn_sent_bad_ack);
  RUN(test_syn_retries);
  RUN(test_r1_notice_syn);
  RUN(test_syn_give_up_default);
  RUN(test_closed_port);
  RUN(test_listen_other);
  RUN(test_backlog);
  RUN(test_syn_cookies);
  RUN(test_syn_received_rst);
  RUN(test_ports);
  return CHECK_DONE();
}
