/*
 * tcp_harness.h: tests of the TCP core that speak in segments. A harness is
 * one host under test (198.18.0.2) and a pretend peer (198.18.0.1:1234)
 * whose segments the test writes by hand:
 *
 *   H_FEED(&t, "S", 1000, 0, 65535, "");          peer sends a SYN
 *   H_EXPECT(&t, "S.", ISS, 1001, 0);             host answers with SYN,ACK
 *   H_NOTHING(&t);                                and nothing else
 *
 * Time is t.now (microseconds); h_advance() moves it and runs due timers.
 * Flags are written as tcpdump prints them ("S", "S.", ".", "P.", "F.", "R").
 * Each test file includes this once; everything here is static.
 */
#ifndef SYNACK_TCP_HARNESS_H
#define SYNACK_TCP_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tcp.h"

#define HQ_MAX 512

typedef struct hseg {
  synack_segment seg;
  uint8_t *data; /* owned copy of the payload */
} hseg;

typedef struct harness {
  synack_host *h;
  synack_host_config cfg;
  synack_addr me, peer;
  uint16_t peer_port;
  uint64_t now;
  hseg q[HQ_MAX];
  size_t qhead, qlen;
  /* what the callbacks saw */
  int nstate;
  synack_state from, to;
  synack_conn *last_conn; /* the connection of the last state change */
  unsigned notices;
  synack_conn *last_notice_conn;
  int freed;
  /* hooks */
  int hook_calls;
  synack_verdict (*hook)(struct harness *t, synack_conn *c, synack_segment *seg,
                         synack_dir dir);
} harness;

static inline void h_out(void *ud, synack_host *h, const synack_segment *seg,
                         uint64_t now) {
  harness *t = ud;
  hseg *e;
  (void)h;
  (void)now;
  if (t->qlen == HQ_MAX) {
    fprintf(stderr, "harness: output queue full\n");
    return;
  }
  e = &t->q[(t->qhead + t->qlen++) % HQ_MAX];
  e->seg = *seg;
  e->data = NULL;
  if (seg->paylen) {
    e->data = malloc(seg->paylen);
    memcpy(e->data, seg->payload, seg->paylen);
  }
  e->seg.payload = e->data;
}

static inline void h_state(void *ud, synack_host *h, synack_conn *c,
                           synack_state from, synack_state to,
                           const synack_segment *seg, uint64_t now) {
  harness *t = ud;
  (void)h, (void)seg, (void)now;
  t->nstate++;
  t->last_conn = c;
  t->from = from;
  t->to = to;
}

static inline void h_notify(void *ud, synack_host *h, synack_conn *c,
                            synack_listener *l, unsigned notices,
                            uint64_t now) {
  harness *t = ud;
  (void)h, (void)l, (void)now;
  t->notices |= notices;
  t->last_notice_conn = c;
  if (notices & SYNACK_NOTICE_FREED)
    t->freed++;
}

static inline synack_verdict h_hook(void *ud, synack_host *h, synack_conn *c,
                                    synack_segment *seg, synack_dir dir,
                                    uint64_t now) {
  harness *t = ud;
  (void)h, (void)now;
  t->hook_calls++;
  return t->hook ? t->hook(t, c, seg, dir) : SYNACK_PASS;
}

static inline void h_init_cfg(harness *t, const synack_host_config *cfg) {
  synack_host_callbacks cb;
  memset(t, 0, sizeof *t);
  synack_addr_parse("198.18.0.2", &t->me);
  synack_addr_parse("198.18.0.1", &t->peer);
  t->peer_port = 1234;
  if (cfg)
    t->cfg = *cfg;
  else
    synack_host_config_init(&t->cfg);
  t->cfg.addr = t->me;
  memset(&cb, 0, sizeof cb);
  cb.output = h_out;
  cb.state = h_state;
  cb.notify = h_notify;
  cb.hook = h_hook;
  t->h = synack_host_new(&t->cfg, &cb, t);
  t->now = 1000000;
}

static inline void h_init(harness *t) {
  h_init_cfg(t, NULL);
}

static inline void h_clear(harness *t) {
  while (t->qlen) {
    free(t->q[t->qhead].data);
    t->qhead = (t->qhead + 1) % HQ_MAX;
    t->qlen--;
  }
}

static inline void h_free(harness *t) {
  h_clear(t);
  synack_host_free(t->h);
  t->h = NULL;
}

/* Plain options for tests: MSS 1460, no scale, no SACK, no timestamps, 64K
 * buffers. */
static inline synack_conn_opts h_opts(uint32_t isn) {
  synack_conn_opts o;
  memset(&o, 0, sizeof o);
  o.set = SYNACK_OPT_SET_ISN | SYNACK_OPT_SET_MSS | SYNACK_OPT_SET_WSCALE |
          SYNACK_OPT_SET_SACK | SYNACK_OPT_SET_TIMESTAMPS |
          SYNACK_OPT_SET_RCVBUF | SYNACK_OPT_SET_SNDBUF;
  o.isn = isn;
  o.mss = 1460;
  o.wscale = -1;
  o.sack = 0;
  o.timestamps = 0;
  o.rcvbuf = 65535;
  o.sndbuf = 65536;
  return o;
}

static inline uint8_t h_flags(const char *s) {
  uint8_t f = 0;
  for (; *s; s++) {
    switch (*s) {
    case 'S':
      f |= SYNACK_SYN;
      break;
    case 'F':
      f |= SYNACK_FIN;
      break;
    case 'R':
      f |= SYNACK_RST;
      break;
    case 'P':
      f |= SYNACK_PSH;
      break;
    case 'U':
      f |= SYNACK_URG;
      break;
    case '.':
      f |= SYNACK_ACK;
      break;
    default:
      break;
    }
  }
  return f;
}

/* A segment from the peer to the host, with option bytes and payload. */
static inline void h_feed_full(harness *t, const char *flags, synack_seq seq,
                               synack_seq ack, uint16_t win,
                               const uint8_t *data, size_t len,
                               const synack_tcpopts *opts) {
  synack_segment s;
  synack_segment_init(&s);
  s.src = t->peer;
  s.dst = t->me;
  s.sport = t->peer_port;
  s.dport = 80;
  s.seq = seq;
  s.ack = ack;
  s.flags = h_flags(flags);
  s.win = win;
  s.payload = data;
  s.paylen = len;
  if (opts) {
    int n = synack_opts_encode(opts, s.opts);
    s.optlen = n > 0 ? (uint8_t)n : 0;
  }
  synack_host_input(t->h, &s, t->now);
}

static inline void h_feed(harness *t, const char *flags, synack_seq seq,
                          synack_seq ack, uint16_t win, const char *data) {
  h_feed_full(t, flags, seq, ack, win, (const uint8_t *)data, strlen(data),
              NULL);
}

/* A SYN with an MSS option (0: no options at all). */
static inline void h_feed_syn(harness *t, const char *flags, synack_seq seq,
                              synack_seq ack, uint16_t win, uint16_t mss) {
  synack_tcpopts o;
  memset(&o, 0, sizeof o);
  o.has_mss = mss != 0;
  o.mss = mss;
  h_feed_full(t, flags, seq, ack, win, NULL, 0, mss ? &o : NULL);
}

static inline void h_advance(harness *t, uint64_t us) {
  uint64_t end = t->now + us, d;
  while ((d = synack_host_deadline(t->h)) <= end) {
    if (d > t->now)
      t->now = d;
    synack_host_timeout(t->h, t->now);
  }
  t->now = end;
}

/* Take the next segment the host sent (0 when none). */
static inline int h_pop(harness *t, hseg *out) {
  if (!t->qlen)
    return 0;
  *out = t->q[t->qhead];
  t->qhead = (t->qhead + 1) % HQ_MAX;
  t->qlen--;
  return 1;
}

static inline void h_print(const char *why, const synack_segment *s) {
  char buf[512];
  synack_segment_format(s, buf, sizeof buf);
  fprintf(stderr, "    %s %s\n", why, buf);
}

/* The next segment must have exactly these flags (no PSH check unless given),
 * seq, ack, length. */
static inline int h_expect(harness *t, const char *flags, synack_seq seq,
                           synack_seq ack, size_t len, int line) {
  hseg e;
  uint8_t want = h_flags(flags), got;
  int ok;
  if (!h_pop(t, &e)) {
    fprintf(stderr,
            "  line %d: expected %s seq %u ack %u len %zu, got nothing\n", line,
            flags, seq, ack, len);
    return 0;
  }
  got = e.seg.flags;
  if (!(want & SYNACK_PSH))
    got &= (uint8_t)~SYNACK_PSH;
  ok = got == want && e.seg.seq == seq && e.seg.paylen == len &&
       (!(want & SYNACK_ACK) || e.seg.ack == ack);
  if (!ok) {
    fprintf(stderr, "  line %d: expected %s seq %u ack %u len %zu\n", line,
            flags, seq, ack, len);
    h_print("got", &e.seg);
  }
  free(e.data);
  return ok;
}

static inline int h_nothing(harness *t, int line) {
  hseg e;
  if (!h_pop(t, &e))
    return 1;
  fprintf(stderr, "  line %d: expected nothing\n", line);
  h_print("got", &e.seg);
  free(e.data);
  return 0;
}

/* Pop into *e, failing the test when nothing is there; e->data is the caller's
 * to free. */
static inline int h_pop_checked(harness *t, hseg *e, int line) {
  if (h_pop(t, e))
    return 1;
  fprintf(stderr, "  line %d: expected a segment, got nothing\n", line);
  e->data = NULL;
  return 0;
}
#define CHECK_POP(t, e) h_pop_checked_(t, e, __LINE__)
#define h_pop_checked_(t, e, line)                                             \
  (h_pop_checked(t, e, line) ? 1 : (check__s.current_failed = 1, 0))
#define H_FEED(t, fl, seq, ack, win, data) h_feed(t, fl, seq, ack, win, data)
#define H_EXPECT(t, fl, seq, ack, len)                                         \
  CHECK(h_expect(t, fl, seq, ack, len, __LINE__))
#define H_NOTHING(t) CHECK(h_nothing(t, __LINE__))

/* Peek at the last segment's window (the segment stays queued). */
static inline uint16_t h_peek_win(harness *t) {
  return t->qlen ? t->q[t->qhead].seg.win : 0;
}

/*
 * Bring up an ESTABLISHED connection, the host active: host ISS = iss,
 * peer ISN = irs, peer window `win`, peer MSS 1460. Returns it retained.
 */
static inline synack_conn *h_active(harness *t, synack_seq iss, synack_seq irs,
                                    uint16_t win) {
  synack_conn_opts o = h_opts(iss);
  synack_conn *c;
  int err;
  o.set |= SYNACK_OPT_SET_PORT;
  o.port = 80;
  c = synack_host_connect(t->h, &t->peer, t->peer_port, &o, t->now, &err);
  if (!c)
    return NULL;
  h_clear(t);
  h_feed_syn(t, "S.", irs, iss + 1, win, 1460);
  h_clear(t);
  return c;
}

/* The same, the host passive (a listener on port 80, accepted). */
static inline synack_conn *h_passive(harness *t, synack_listener **lp,
                                     synack_seq iss, synack_seq irs,
                                     uint16_t win) {
  synack_conn_opts o = h_opts(iss);
  int err;
  synack_listener *l = synack_host_listen(t->h, 80, 8, &o, &err);
  if (!l)
    return NULL;
  if (lp)
    *lp = l;
  h_feed_syn(t, "S", irs, 0, win, 1460);
  h_clear(t);
  h_feed(t, ".", irs + 1, iss + 1, win, "");
  h_clear(t);
  return synack_listener_accept(l);
}

#endif
