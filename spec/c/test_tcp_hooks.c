/* test_tcp_hooks.c: hooks on segments in and out, state and notify callbacks,
 * names. */
#include "tcp_harness.h"

#define ISS 1000u
#define IRS 5000u

static int seen_kind[2][6];

static synack_verdict count_hook(harness *t, synack_conn *c,
                                 synack_segment *seg, synack_dir dir) {
  (void)t, (void)c;
  seen_kind[dir][synack_segment_kind(seg)]++;
  return SYNACK_PASS;
}

static void test_kinds_and_names(void) {
  synack_segment s;
  synack_segment_init(&s);
  s.flags = SYNACK_RST | SYNACK_SYN;
  CHECK_EQ(synack_segment_kind(&s), SYNACK_KIND_RST);
  s.flags = SYNACK_SYN;
  CHECK_EQ(synack_segment_kind(&s), SYNACK_KIND_SYN);
  s.flags = SYNACK_SYN | SYNACK_ACK;
  CHECK_EQ(synack_segment_kind(&s), SYNACK_KIND_SYNACK);
  s.flags = SYNACK_FIN | SYNACK_ACK;
  s.paylen = 3;
  CHECK_EQ(synack_segment_kind(&s), SYNACK_KIND_FIN);
  s.flags = SYNACK_ACK | SYNACK_PSH;
  CHECK_EQ(synack_segment_kind(&s), SYNACK_KIND_DATA);
  s.paylen = 0;
  CHECK_EQ(synack_segment_kind(&s), SYNACK_KIND_ACK);
  CHECK_STR(synack_state_name(SYNACK_SYN_SENT), "SYN-SENT");
  CHECK_STR(synack_state_name(SYNACK_TIME_WAIT), "TIME-WAIT");
  CHECK_STR(synack_state_name(SYNACK_CLOSED), "CLOSED");
}

static void test_host_hooks(void) {
  harness t;
  synack_conn *c;
  memset(seen_kind, 0, sizeof seen_kind);
  h_init(&t);
  t.hook = count_hook;
  CHECK_EQ(t.hook_calls, 0);
  synack_host_set_hooks(t.h, SYNACK_HOOK_ALL);
  c = h_active(&t, ISS, IRS, 65535);
  CHECK_EQ(seen_kind[SYNACK_DIR_OUT][SYNACK_KIND_SYN], 1);
  CHECK_EQ(seen_kind[SYNACK_DIR_IN][SYNACK_KIND_SYNACK], 1);
  CHECK_EQ(seen_kind[SYNACK_DIR_OUT][SYNACK_KIND_ACK], 1);
  synack_host_set_hooks(t.h, 1u << SYNACK_KIND_DATA);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "x");
  CHECK_EQ(seen_kind[SYNACK_DIR_IN][SYNACK_KIND_DATA], 1);
  H_FEED(&t, ".", IRS + 2, ISS + 1, 65535, "");
  CHECK_EQ(seen_kind[SYNACK_DIR_IN][SYNACK_KIND_ACK], 0);
  synack_conn_release(c);
  h_free(&t);
}

static synack_verdict drop_out_data(harness *t, synack_conn *c,
                                    synack_segment *seg, synack_dir dir) {
  (void)t, (void)c, (void)seg;
  return dir == SYNACK_DIR_OUT ? SYNACK_DROP : SYNACK_PASS;
}

static synack_verdict drop_in(harness *t, synack_conn *c, synack_segment *seg,
                              synack_dir dir) {
  (void)t, (void)c, (void)seg;
  return dir == SYNACK_DIR_IN ? SYNACK_DROP : SYNACK_PASS;
}

static const uint8_t replaced[] = "REWRITTEN";
static synack_verdict rewrite(harness *t, synack_conn *c, synack_segment *seg,
                              synack_dir dir) {
  (void)t, (void)c;
  if (dir == SYNACK_DIR_IN) {
    seg->payload = replaced;
    seg->paylen = 9;
  } else {
    seg->win = 1234;
  }
  return SYNACK_CHANGED;
}

/* A connection's own mask; DROP and CHANGED both ways. */
static void test_conn_hooks(void) {
  harness t;
  synack_conn *c;
  uint8_t b[32];
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  synack_conn_set_hooks(c, 1u << SYNACK_KIND_DATA);
  t.hook = drop_out_data;
  synack_conn_send(c, (const uint8_t *)"abc", 3, t.now);
  H_NOTHING(&t); /* dropped by the hook: it will be retransmitted */
  h_advance(&t, 1000000);
  H_NOTHING(&t);
  t.hook = drop_in;
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "data");
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 0);
  t.hook = rewrite;
  synack_conn_set_hooks(c, SYNACK_HOOK_ALL);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "data");
  CHECK_EQ(synack_conn_recv(c, b, sizeof b, t.now), 9);
  CHECK(memcmp(b, "REWRITTEN", 9) == 0);
  h_advance(&t, 300000);
  CHECK(t.qlen > 0);
  if (t.qlen)
    CHECK_EQ(h_peek_win(&t), 1234);
  synack_conn_release(c);
  h_free(&t);
}

/* A listener's mask covers its half-open connections and is inherited on
 * accept. */
static void test_listener_hooks(void) {
  harness t;
  synack_listener *l;
  synack_conn *c;
  memset(seen_kind, 0, sizeof seen_kind);
  h_init(&t);
  t.hook = count_hook;
  {
    synack_conn_opts o = h_opts(ISS);
    int err;
    l = synack_host_listen(t.h, 80, 4, &o, &err);
  }
  synack_listener_set_hooks(l, SYNACK_HOOK_ALL);
  h_feed_syn(&t, "S", IRS, 0, 65535, 1460);
  CHECK_EQ(seen_kind[SYNACK_DIR_IN][SYNACK_KIND_SYN], 1);
  CHECK_EQ(seen_kind[SYNACK_DIR_OUT][SYNACK_KIND_SYNACK], 1);
  H_FEED(&t, ".", IRS + 1, ISS + 1, 65535, "");
  c = synack_listener_accept(l);
  synack_listener_close(l, t.now);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "z");
  CHECK_EQ(seen_kind[SYNACK_DIR_IN][SYNACK_KIND_DATA], 1);
  synack_conn_release(c);
  h_free(&t);
}

/* Every transition reaches the state callback, with the segment that caused it.
 */
static const synack_segment *state_seg;
static int transitions;
static void st_cb(void *ud, synack_host *h, synack_conn *c, synack_state from,
                  synack_state to, const synack_segment *seg, uint64_t now) {
  (void)ud, (void)h, (void)c, (void)now, (void)from;
  transitions++;
  if (to == SYNACK_ESTABLISHED)
    state_seg = seg;
}
static void out_cb(void *ud, synack_host *h, const synack_segment *seg,
                   uint64_t now) {
  (void)ud, (void)h, (void)seg, (void)now;
}

static void test_state_callback(void) {
  synack_host_config cfg;
  synack_host_callbacks cb;
  synack_host *h;
  synack_conn *c;
  synack_conn_opts o = h_opts(ISS);
  synack_segment s;
  synack_addr peer;
  int err;
  synack_host_config_init(&cfg);
  synack_addr_parse("198.18.7.1", &cfg.addr);
  synack_addr_parse("198.18.7.2", &peer);
  memset(&cb, 0, sizeof cb);
  cb.output = out_cb;
  cb.state = st_cb;
  h = synack_host_new(&cfg, &cb, NULL);
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 4000;
  c = synack_host_connect(h, &peer, 80, &o, 0, &err);
  CHECK_EQ(transitions, 1);
  synack_segment_init(&s);
  s.src = peer;
  s.dst = cfg.addr;
  s.sport = 80;
  s.dport = 4000;
  s.flags = SYNACK_SYN | SYNACK_ACK;
  s.seq = IRS;
  s.ack = ISS + 1;
  synack_host_input(h, &s, 0);
  CHECK_EQ(transitions, 2);
  CHECK(state_seg != NULL);
  if (state_seg)
    CHECK_EQ(state_seg->seq, IRS);
  synack_conn_abort(c, 0);
  CHECK_EQ(transitions, 3);
  synack_conn_release(c);
  synack_host_free(h);
}

/* A callback may abort or release the connection from inside; nothing breaks.
 */
static harness *reent_t;
static synack_verdict abort_in_hook(harness *t, synack_conn *c,
                                    synack_segment *seg, synack_dir dir) {
  (void)seg;
  if (dir == SYNACK_DIR_IN && c) {
    synack_conn_abort(c, t->now);
    synack_conn_release(c);
  }
  return SYNACK_PASS;
}

static void test_reentrant_abort(void) {
  harness t;
  synack_conn *c;
  reent_t = &t;
  h_init(&t);
  c = h_active(&t, ISS, IRS, 65535);
  (void)c;
  t.hook = abort_in_hook;
  synack_host_set_hooks(t.h, SYNACK_HOOK_ALL);
  H_FEED(&t, "P.", IRS + 1, ISS + 1, 65535, "x");
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  CHECK_EQ(t.freed, 1);
  h_free(&t);
}

int main(void) {
  RUN(test_kinds_and_names);
  RUN(test_host_hooks);
  RUN(test_conn_hooks);
  RUN(test_listener_hooks);
  RUN(test_state_callback);
  RUN(test_reentrant_abort);
  return CHECK_DONE();
}
