/* test_tcp_data.c: sending and receiving data (RFC 9293 3.7, 3.8.6, 3.10.2-3).
 */
#include "tcp_harness.h"

#define ISS 0xfffff000u
#define IRS 0xffffffe0u /* the peer's data wraps past 2^32 */

static uint8_t big[200000];

static void fill(void) {
  size_t i;
  for (i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* SHLD-28: full-sized segments; MUST-61: PSH on the one that empties the
 * buffer. */
static void test_segmentation(void) {
  harness t;
  synack_conn *c;
  hseg e;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  t.notices = 0;
  CHECK_EQ(synack_conn_send(c, big, 3000, t.now), 3000);
  if (CHECK_POP(&t, &e)) {
    CHECK_EQ(e.seg.seq, ISS + 1);
    CHECK_EQ(e.seg.paylen, 1460);
    CHECK_EQ(e.seg.flags, SYNACK_ACK);
    CHECK(memcmp(e.data, big, 1460) == 0);
    free(e.data);
  }
  if (CHECK_POP(&t, &e)) {
    CHECK_EQ(e.seg.paylen, 1460);
    CHECK(memcmp(e.data, big + 1460, 1460) == 0);
    free(e.data);
  }
  H_NOTHING(&t); /* Nagle: the 80-byte tail waits for an ACK */
  H_FEED(&t, ".", IRS + 1, ISS + 1 + 2920, 65535, "");
  if (CHECK_POP(&t, &e)) {
    CHECK_EQ(e.seg.paylen, 80);
    CHECK_EQ(e.seg.flags, SYNACK_ACK | SYNACK_PSH);
    free(e.data);
  }
  H_FEED(&t, ".", IRS + 1, ISS + 1 + 3000, 65535, "");
  H_NOTHING(&t);
  CHECK(t.notices & SYNACK_NOTICE_WRITABLE);
  {
    struct synack_conn_info i;
    synack_conn_info(c, &i);
    CHECK_EQ(i.send_queued, 0);
    CHECK_EQ(i.bytes_acked, 3000);
    CHECK_EQ(i.snd_una, ISS + 3001);
  }
  synack_conn_release(c);
  h_free(&t);
}

/* The send window bounds what is in flight; more goes out as ACKs open it. */
static void test_send_window(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 2000);
  CHECK_EQ(synack_conn_send(c, big, 5000, t.now), 5000);
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 1460);
  /* 540 bytes of window are left: a runt is sent only when it is half the max
   * window */
  H_NOTHING(&t);
  H_FEED(&t, ".", IRS + 1, ISS + 1461, 2000, "");
  H_EXPECT(&t, ".", ISS + 1461, IRS + 1, 1460);
  H_NOTHING(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* SHLD-7, MUST-17: Nagle holds a small segment while data is unacked, unless
 * switched off. */
/* MAY-15: a SEND with PUSH goes out at once, Nagle or not, with PSH, and
   takes held data along; the push point passed, Nagle holds small data again.
 */
static void test_send_push(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, (const uint8_t *)"a", 1, t.now);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 1);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"held", 4, t.now), 4);
  H_NOTHING(&t); /* Nagle: "a" is not acked yet */
  CHECK_EQ(synack_conn_send_flags(c, (const uint8_t *)"now", 3,
                                  SYNACK_SEND_PUSH, t.now),
           3);
  H_EXPECT(&t, "P.", ISS + 2, IRS + 1, 7);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"d", 1, t.now), 1);
  H_NOTHING(&t); /* the push point is behind: Nagle again */
  H_FEED(&t, ".", IRS + 1, ISS + 9, 65535, "");
  H_EXPECT(&t, "P.", ISS + 9, IRS + 1, 1);
  /* a push point at the end of full segments: PSH only on the last one */
  H_FEED(&t, ".", IRS + 1, ISS + 10, 65535, "");
  CHECK_EQ(synack_conn_send_flags(c, big, 3000, SYNACK_SEND_PUSH, t.now), 3000);
  H_EXPECT(&t, ".", ISS + 10, IRS + 1, 1460);
  H_EXPECT(&t, ".", ISS + 1470, IRS + 1, 1460);
  H_EXPECT(&t, "P.", ISS + 2930, IRS + 1, 80);
  /* with URGENT too */
  H_FEED(&t, ".", IRS + 1, ISS + 3010, 65535, "");
  synack_conn_send(c, (const uint8_t *)"a", 1, t.now);
  H_EXPECT(&t, "P.", ISS + 3010, IRS + 1, 1);
  CHECK_EQ(synack_conn_send_flags(c, (const uint8_t *)"!", 1,
                                  SYNACK_SEND_PUSH | SYNACK_SEND_URGENT, t.now),
           1);
  H_EXPECT(&t, "UP.", ISS + 3011, IRS + 1, 1);
  synack_conn_release(c);
  h_free(&t);
}

/* MAY-17: a received PSH is passed on: NOTICE_PUSH, and info.push_queued
   counts the unread bytes up to the last push point. */
static void test_push_received(void) {
  harness t;
  synack_conn *c;
  struct synack_conn_info i;
  uint8_t b[16];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  t.notices = 0;
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "abc");
  CHECK(t.notices & SYNACK_NOTICE_READABLE);
  CHECK(!(t.notices & SYNACK_NOTICE_PUSH));
  synack_conn_info(c, &i);
  CHECK_EQ(i.push_queued, 0);
  H_FEED(&t, "P.", IRS + 4, ISS + 1, 65535, "defg");
  CHECK(t.notices & SYNACK_NOTICE_PUSH);
  H_FEED(&t, ".", IRS + 8, ISS + 1, 65535, "hi"); /* not pushed */
  synack_conn_info(c, &i);
  CHECK_EQ(i.push_queued, 7);
  CHECK_EQ(i.recv_queued, 9);
  CHECK_EQ(synack_conn_recv(c, b, 5, t.now), 5);
  synack_conn_info(c, &i);
  CHECK_EQ(i.push_queued, 2);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 4);
  synack_conn_info(c, &i);
  CHECK_EQ(i.push_queued, 0);
  synack_conn_release(c);
  h_free(&t);
}

static void test_nagle(void) {
  harness t;
  synack_conn *c;
  synack_conn_opts o;
  int err;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_send(c, (const uint8_t *)"a", 1, t.now);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 1);
  synack_conn_send(c, (const uint8_t *)"b", 1, t.now);
  synack_conn_send(c, (const uint8_t *)"c", 1, t.now);
  H_NOTHING(&t);
  H_FEED(&t, ".", IRS + 1, ISS + 2, 65535, "");
  H_EXPECT(&t, "P.", ISS + 2, IRS + 1, 2);
  synack_conn_release(c);
  h_free(&t);
  /* nagle off */
  h_init(&t);
  o = h_opts(ISS);
  o.set |= SYNACK_OPT_SET_PORT | SYNACK_OPT_SET_NAGLE;
  o.port = 80;
  o.nagle = 0;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
  h_clear(&t);
  synack_conn_send(c, (const uint8_t *)"a", 1, t.now);
  synack_conn_send(c, (const uint8_t *)"b", 1, t.now);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 1);
  H_EXPECT(&t, "P.", ISS + 2, IRS + 1, 1);
  synack_conn_release(c);
  h_free(&t);
}

/* SHLD-18, MUST-40, SHLD-19: ACKs are delayed up to 200 ms, every second
 * segment at once. */
static void test_delayed_ack(void) {
  harness t;
  synack_conn *c;
  uint64_t start;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "one");
  H_NOTHING(&t);
  start = t.now;
  CHECK_EQ(synack_host_deadline(t.h), start + 200000);
  h_advance(&t, 199999);
  H_NOTHING(&t);
  h_advance(&t, 1);
  H_EXPECT(&t, ".", ISS + 1, IRS + 4, 0);
  H_FEED(&t, "P.", IRS + 4, ISS + 1, 65535, "two");
  H_NOTHING(&t);
  H_FEED(&t, "P.", IRS + 7, ISS + 1, 65535, "three");
  H_EXPECT(&t, ".", ISS + 1, IRS + 12, 0);
  H_NOTHING(&t);
  /* data we send carries the ACK, the delayed one is no longer due */
  H_FEED(&t, "P.", IRS + 12, ISS + 1, 65535, "x");
  synack_conn_send(c, (const uint8_t *)"reply", 5, t.now);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 13, 5);
  h_advance(&t, 300000);
  H_NOTHING(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* SHLD-31: out-of-order segments are kept; each draws an immediate duplicate
 * ACK. */
static void test_reassembly(void) {
  harness t;
  synack_conn *c;
  uint8_t buf[64];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "P.", IRS + 1 + 10, ISS + 1, 65535, "KLMNOPQRST");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_FEED(&t, "P.", IRS + 1 + 25, ISS + 1, 65535, "Z");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 0);
  H_FEED(&t, "P.", IRS + 1 + 20, ISS + 1, 65535,
         "UVWXY"); /* joins the two islands */
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "ABCDEFGHIJ");
  H_EXPECT(&t, ".", ISS + 1, IRS + 27, 0); /* the hole is filled: ACK at once */
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 26);
  CHECK(memcmp(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26) == 0);
  /* an old duplicate and an overlapping segment */
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "ABC");
  H_EXPECT(&t, ".", ISS + 1, IRS + 27, 0);
  H_FEED(&t, "P.", IRS + 25, ISS + 1, 65535, "YZ12");
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 2);
  CHECK(memcmp(buf, "12", 2) == 0);
  synack_conn_release(c);
  h_free(&t);
}

/* SACK blocks (RFC 2018) on the duplicate ACKs when both sides offered SACK. */
static void test_sack_blocks(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  synack_tcpopts so, v;
  hseg e;
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  o.sack = 1;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  CHECK(CHECK_POP(&t, &e));
  CHECK_EQ(synack_opts_parse(e.seg.opts, e.seg.optlen, &v), 0);
  CHECK(v.sack_permitted);
  memset(&so, 0, sizeof so);
  so.has_mss = 1;
  so.mss = 1460;
  so.sack_permitted = 1;
  h_feed_full(&t, "S.", IRS, ISS + 1, 65535, NULL, 0, &so);
  h_clear(&t);
  H_FEED(&t, "P.", IRS + 11, ISS + 1, 65535, "0123456789");
  CHECK(CHECK_POP(&t, &e));
  CHECK_EQ(e.seg.ack, IRS + 1);
  CHECK_EQ(synack_opts_parse(e.seg.opts, e.seg.optlen, &v), 0);
  CHECK_EQ(v.nsack, 1);
  CHECK_EQ(v.sack[0][0], IRS + 11);
  CHECK_EQ(v.sack[0][1], IRS + 21);
  synack_conn_release(c);
  h_free(&t);
}

/* Window scale and timestamps negotiated (RFC 7323): the field is scaled, TSecr
 * echoes. */
static void test_wscale_timestamps(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  synack_tcpopts so, v;
  hseg e;
  struct synack_conn_info info;
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  o.wscale = 4;
  o.rcvbuf = 1 << 19;
  o.timestamps = 1;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  CHECK(CHECK_POP(&t, &e));
  CHECK_EQ(synack_opts_parse(e.seg.opts, e.seg.optlen, &v), 0);
  CHECK(v.has_wscale && v.wscale == 4 && v.has_timestamp);
  CHECK_EQ(e.seg.win, 65535); /* never scaled on a SYN */
  memset(&so, 0, sizeof so);
  so.has_mss = 1;
  so.mss = 1460;
  so.has_wscale = 1;
  so.wscale = 2;
  so.has_timestamp = 1;
  so.ts_val = 777;
  so.ts_ecr = v.ts_val;
  h_feed_full(&t, "S.", IRS, ISS + 1, 1000, NULL, 0, &so);
  CHECK(CHECK_POP(&t, &e));
  CHECK_EQ(e.seg.flags, SYNACK_ACK);
  CHECK_EQ(e.seg.win, (1 << 19) >> 4);
  CHECK_EQ(synack_opts_parse(e.seg.opts, e.seg.optlen, &v), 0);
  CHECK(v.has_timestamp);
  CHECK_EQ(v.ts_ecr, 777);
  CHECK(!v.has_mss); /* MUST-65 */
  synack_conn_info(c, &info);
  CHECK_EQ(info.snd_wscale, 2);
  CHECK_EQ(info.rcv_wscale, 4);
  CHECK_EQ(info.mss, 1460 - 12);
  CHECK_EQ(info.snd_wnd, 1000); /* the SYN,ACK's window is not scaled */
  so.has_wscale = 0;
  so.ts_val = 778;
  h_feed_full(&t, ".", IRS + 1, ISS + 1, 1000, NULL, 0, &so);
  synack_conn_info(c, &info);
  CHECK_EQ(info.snd_wnd, 4000); /* later ones are */
  synack_conn_release(c);
  h_free(&t);
}

/* The window we advertise shrinks as data waits and opens when it is read
 * (MUST-39). */
static void test_window_advert(void) {
  harness t;
  synack_conn *c;
  hseg e;
  uint8_t buf[40000];
  int i;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  for (i = 0; i < 20; i++)
    h_feed_full(&t, ".", IRS + 1 + (uint32_t)i * 1460, ISS + 1, 65535, big,
                1460, NULL);
  /* every second segment is acknowledged */
  for (i = 0; i < 10; i++) {
    CHECK(CHECK_POP(&t, &e));
    CHECK_EQ(e.seg.ack, IRS + 1 + (uint32_t)(i + 1) * 2920);
    CHECK_EQ(e.seg.win, 65535 - (i + 1) * 2920);
  }
  H_NOTHING(&t);
  /* reading a little does not move the right edge (receiver SWS avoidance) */
  CHECK_EQ(synack_conn_recv(c, buf, 100, t.now), 100);
  H_NOTHING(&t);
  CHECK_EQ(synack_conn_recv(c, buf, 20000, t.now), 20000);
  CHECK(CHECK_POP(&t, &e));
  CHECK_EQ(e.seg.ack, IRS + 1 + 29200);
  CHECK_EQ(e.seg.win, 65535 - 29200 + 20100);
  free(e.data);
  synack_conn_release(c);
  h_free(&t);
}

/* A full receive buffer: window 0; a segment at RCV.NXT still has its ACK and
   RST processed (MUST-66), its text is not taken. */
static void test_zero_receive_window(void) {
  harness t;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  uint8_t buf[5000];
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT | SYNACK_OPT_SET_DELAYED_ACK;
  o.port = 80;
  o.rcvbuf = 4000;
  o.delayed_ack = 0;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
  h_clear(&t);
  h_feed_full(&t, ".", IRS + 1, ISS + 1, 65535, big, 4000, NULL);
  CHECK_EQ(h_peek_win(&t), 0);
  H_EXPECT(&t, ".", ISS + 1, IRS + 4001, 0);
  h_feed_full(&t, ".", IRS + 4001, ISS + 1, 65535, big, 100, NULL);
  H_EXPECT(&t, ".", ISS + 1, IRS + 4001, 0); /* not taken */
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 4000);
  H_EXPECT(&t, ".", ISS + 1, IRS + 4001, 0); /* the window update */
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 0);
  CHECK(memcmp(buf, big, 4000) == 0);
  h_feed_full(&t, ".", IRS + 1, ISS + 1, 65535, big, 4000, NULL);
  h_feed_full(&t, ".", IRS + 4001, ISS + 1, 65535, big, 4000, NULL);
  H_FEED(&t, "R", IRS + 8001, 0, 0, "");
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  synack_conn_release(c);
  h_free(&t);
}

/* MUST-35..37, SHLD-29/30: the persist timer probes a zero window with backoff
   and never gives up while the peer answers; data flows when the window opens.
 */
static void test_zero_window_probe(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  uint64_t gap = 1000000, at;
  int i;
  synack_host_config_init(&cfg);
  cfg.data_retries = 3;
  h_init_cfg(&t, &cfg);
  c = h_active(&t, ISS, IRS, 0);
  CHECK_EQ(synack_conn_send(c, big, 3000, t.now), 3000);
  H_NOTHING(&t);
  for (i = 0; i < 10;
       i++) { /* more probes than data_retries: the peer answers each */
    at = synack_host_deadline(t.h);
    CHECK_EQ(at - t.now, gap < 60000000 ? gap : 60000000);
    h_advance(&t, at - t.now);
    H_EXPECT(&t, ".", ISS + 1, IRS + 1, 1);
    H_FEED(&t, ".", IRS + 1, ISS + 1, 0, "");
    H_NOTHING(&t);
    gap *= 2;
  }
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 1460);
  H_EXPECT(&t, ".", ISS + 1461, IRS + 1, 1460);
  H_NOTHING(&t); /* Nagle holds the tail */
  H_FEED(&t, ".", IRS + 1, ISS + 2921, 65535, "");
  H_EXPECT(&t, "P.", ISS + 2921, IRS + 1, 80);
  synack_conn_release(c);
  h_free(&t);
}

/* Probes with no answer at all end in ETIMEDOUT after data_retries. */
static void test_zero_window_dead_peer(void) {
  harness t;
  synack_host_config cfg;
  synack_conn *c;
  synack_host_config_init(&cfg);
  cfg.data_retries = 3;
  h_init_cfg(&t, &cfg);
  c = h_active(&t, ISS, IRS, 0);
  synack_conn_send(c, big, 10, t.now);
  h_advance(&t, 3600000000ull);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSED);
  CHECK_EQ(synack_conn_send(c, big, 1, t.now), SYNACK_ETIMEDOUT);
  synack_conn_release(c);
  h_free(&t);
}

/* RECEIVE after the FIN: the data, then EOF; SEND still works in CLOSE-WAIT. */
static void test_recv_eof(void) {
  harness t;
  synack_conn *c;
  uint8_t buf[16];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "FP.", IRS + 1, ISS + 1, 65535, "bye");
  H_EXPECT(&t, ".", ISS + 1, IRS + 5, 0);
  CHECK(t.notices & SYNACK_NOTICE_READABLE);
  CHECK_EQ(synack_conn_recv(c, buf, 2, t.now), 2);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 1);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), SYNACK_EOF);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"ok", 2, t.now), 2);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 5, 2);
  synack_conn_release(c);
  h_free(&t);
}

/* A FIN beyond a hole waits for the hole. */
static void test_fin_out_of_order(void) {
  harness t;
  synack_conn *c;
  uint8_t buf[16];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  H_FEED(&t, "F.", IRS + 4, ISS + 1, 65535, "def");
  H_EXPECT(&t, ".", ISS + 1, IRS + 1, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_ESTABLISHED);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "abc");
  H_EXPECT(&t, ".", ISS + 1, IRS + 8, 0);
  CHECK_EQ(synack_conn_state(c), SYNACK_CLOSE_WAIT);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), 6);
  CHECK_EQ(synack_conn_recv(c, buf, sizeof buf, t.now), SYNACK_EOF);
  synack_conn_release(c);
  h_free(&t);
}

/* Data queued in SYN-SENT goes out once ESTABLISHED. */
static void test_send_before_established(void) {
  harness t;
  synack_conn_opts o = h_opts(ISS);
  synack_conn *c;
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  H_EXPECT(&t, "S", ISS, 0, 0);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"early", 5, t.now), 5);
  H_NOTHING(&t);
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
  H_EXPECT(&t, "P.", ISS + 1, IRS + 1, 5);
  H_NOTHING(&t);
  synack_conn_release(c);
  h_free(&t);
}

/* The send buffer bounds what SEND takes. */
static void test_send_buffer_full(void) {
  harness t;
  synack_conn *c;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 0);
  CHECK_EQ(synack_conn_send(c, big, sizeof big, t.now), 65536);
  CHECK_EQ(synack_conn_send(c, big, 10, t.now), 0);
  synack_conn_release(c);
  h_free(&t);
}

/* MUST-30..33, MUST-62: urgent data both ways; the pointer names the byte after
 * it. */
static void test_urgent(void) {
  harness t;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  struct synack_conn_info in;
  uint8_t b[16];
  hseg e;
  int err;
  h_init(&t);
  o.set |= SYNACK_OPT_SET_PORT | SYNACK_OPT_SET_NAGLE;
  o.port = 80;
  o.nagle = 0;
  c = synack_host_connect(t.h, &t.peer, 1234, &o, t.now, &err);
  h_feed_syn(&t, "S.", IRS, ISS + 1, 65535, 1460);
  h_clear(&t);
  CHECK_EQ(synack_conn_send(c, (const uint8_t *)"ab", 2, t.now), 2);
  CHECK_EQ(synack_conn_send_urgent(c, (const uint8_t *)"!", 1, t.now), 1);
  if (CHECK_POP(&t, &e)) {
    CHECK(!(e.seg.flags & SYNACK_URG));
    free(e.data);
  }
  if (CHECK_POP(&t, &e)) {
    CHECK(e.seg.flags & SYNACK_URG);
    CHECK_EQ(e.seg.seq, ISS + 3);
    CHECK_EQ(e.seg.urp, 1);
    free(e.data);
  }
  /* the peer's urgent data: notice, and info says how much is pending */
  t.notices = 0;
  {
    synack_segment s;
    synack_segment_init(&s);
    s.src = t.peer;
    s.dst = t.me;
    s.sport = 1234;
    s.dport = 80;
    s.seq = IRS + 1;
    s.ack = ISS + 4;
    s.flags = SYNACK_ACK | SYNACK_URG | SYNACK_PSH;
    s.urp = 4;
    s.win = 65535;
    s.payload = (const uint8_t *)"xyzUrest";
    s.paylen = 8;
    synack_host_input(t.h, &s, t.now);
  }
  CHECK(t.notices & SYNACK_NOTICE_URGENT);
  synack_conn_info(c, &in);
  CHECK_EQ(in.urgent_queued, 4);
  CHECK_EQ(synack_conn_recv(c, b, 2, t.now), 2);
  synack_conn_info(c, &in);
  CHECK_EQ(in.urgent_queued, 2);
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 6);
  synack_conn_info(c, &in);
  CHECK_EQ(in.urgent_queued, 0);
  synack_conn_release(c);
  h_free(&t);
}

int main(void) {
  RUN(test_urgent);
  fill();
  RUN(test_segmentation);
  RUN(test_send_window);
  RUN(test_nagle);
  RUN(test_send_push);
  RUN(test_push_received);
  RUN(test_delayed_ack);
  RUN(test_reassembly);
  RUN(test_sack_blocks);
  RUN(test_wscale_timestamps);
  RUN(test_window_advert);
  RUN(test_zero_receive_window);
  RUN(test_zero_window_probe);
  RUN(test_zero_window_dead_peer);
  RUN(test_recv_eof);
  RUN(test_fin_out_of_order);
  RUN(test_send_before_established);
  RUN(test_send_buffer_full);
  return CHECK_DONE();
}
