/*
 * fuzz_host.c: a stateful libFuzzer target for the TCP core. One host under
 * test (198.18.0.2) has a listener on port 80 and an active connection from
 * port 40000 to a pretend peer (198.18.0.1:1234). The fuzz input is read as a
 * list of operations: deliver a segment on one of a few 4-tuples (flags,
 * sequence and acknowledgment numbers chosen relative to what the host holds,
 * window, options, payload), advance the clock and run the timers, or make a
 * user call (send, recv, close, shutdown, abort, accept, connect, release),
 * possibly from inside a hook.
 *
 * After every operation the harness checks each live connection through
 * synack_conn_info (SND.UNA <= SND.NXT, the flight is no more than the queued
 * bytes plus SYN and FIN, the buffers within their configured sizes), and in
 * the state callback that the move is one RFC 9293's diagram allows, from the
 * state the connection was last seen in. Each connection is tracked from the
 * first callback naming it to its FREED notice, which must come exactly once.
 * At the end every live connection is aborted, every handle released, the
 * listener closed and the clock run far ahead: synack_host_conn_count must be
 * 0 and the tracker list empty; ASan's leak check sees the rest.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "segment.h"
#include "tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NTUPLE 5 /* 0: the active conn, 1-3: to the listener, 4: to no one */
#define NHELD 8  /* handles the "application" holds */
#define SNDBUF 16384u
#define RCVBUF 8192u
#define MAXOPS 512
#define FAIL(...)                                                              \
  do {                                                                         \
    fprintf(stderr, "fuzz_host: " __VA_ARGS__);                                \
    fprintf(stderr, "\n");                                                     \
    abort();                                                                   \
  } while (0)

typedef struct tracker {
  synack_conn *c;
  synack_state state;
  struct tracker *next, *prev;
} tracker;

typedef struct fz {
  synack_host *h;
  synack_listener *l;
  synack_addr me, peer;
  uint64_t now;
  synack_conn *held[NHELD];
  int nheld;
  tracker *live;
  size_t nlive;
  /* hook behaviour */
  uint8_t hook_action, hook_depth;
  /* the end of what the host last sent on each 4-tuple (a SYN/ACK cookie too)
   */
  synack_seq out_end[NTUPLE];
  uint8_t payload[70000];
  const uint8_t *in;
  size_t len, pos;
} fz;

static const uint16_t peer_port[NTUPLE] = {1234, 2001, 2002, 2003, 3000};
static const uint16_t host_port[NTUPLE] = {40000, 80, 80, 80, 81};

/* Input reading: past the end, everything reads as zero. */
static uint8_t u8(fz *f) {
  return f->pos < f->len ? f->in[f->pos++] : 0;
}
static uint16_t u16(fz *f) {
  return (uint16_t)(u8(f) << 8 | u8(f));
}
static uint32_t u32(fz *f) {
  return (uint32_t)u16(f) << 16 | u16(f);
}

/* RFC 9293 3.3.2 (figure 5), plus the moves to CLOSED an abort, a reset or a
   timeout make from any synchronized or opening state. */
static int allowed(synack_state from, synack_state to) {
  if (to == SYNACK_CLOSED)
    return from != SYNACK_CLOSED;
  switch (from) {
  case SYNACK_CLOSED:
    return to == SYNACK_SYN_SENT || to == SYNACK_LISTEN;
  case SYNACK_LISTEN:
    return to == SYNACK_SYN_RECEIVED || to == SYNACK_SYN_SENT;
  case SYNACK_SYN_SENT:
    return to == SYNACK_SYN_RECEIVED || to == SYNACK_ESTABLISHED;
  case SYNACK_SYN_RECEIVED:
    return to == SYNACK_ESTABLISHED || to == SYNACK_FIN_WAIT_1 ||
           to == SYNACK_LISTEN;
  case SYNACK_ESTABLISHED:
    return to == SYNACK_FIN_WAIT_1 || to == SYNACK_CLOSE_WAIT;
  case SYNACK_FIN_WAIT_1:
    return to == SYNACK_FIN_WAIT_2 || to == SYNACK_CLOSING ||
           to == SYNACK_TIME_WAIT;
  case SYNACK_FIN_WAIT_2:
    return to == SYNACK_TIME_WAIT;
  case SYNACK_CLOSE_WAIT:
    return to == SYNACK_LAST_ACK;
  case SYNACK_CLOSING:
    return to == SYNACK_TIME_WAIT;
  case SYNACK_LAST_ACK:
  case SYNACK_TIME_WAIT:
    return 0;
  }
  return 0;
}

static tracker *track(fz *f, synack_conn *c, synack_state initial) {
  tracker *t = synack_conn_get_data(c);
  if (t)
    return t;
  t = calloc(1, sizeof *t);
  if (!t)
    abort();
  t->c = c;
  t->state = initial;
  t->next = f->live;
  if (f->live)
    f->live->prev = t;
  f->live = t;
  f->nlive++;
  synack_conn_set_data(c, t);
  return t;
}

static void untrack(fz *f, synack_conn *c) {
  tracker *t = synack_conn_get_data(c);
  int i;
  if (!t)
    FAIL("FREED for a connection never seen (or freed twice)");
  if (t->prev)
    t->prev->next = t->next;
  else
    f->live = t->next;
  if (t->next)
    t->next->prev = t->prev;
  f->nlive--;
  free(t);
  synack_conn_set_data(c, NULL);
  for (i = 0; i < f->nheld; i++)
    if (f->held[i] == c)
      FAIL("a connection was freed while the application holds it");
}

static tracker *find_tuple(fz *f, int tuple) {
  tracker *t;
  for (t = f->live; t; t = t->next) {
    struct synack_conn_info ci;
    synack_conn_info(t->c, &ci);
    if (ci.remote_port == peer_port[tuple] &&
        ci.local_port == host_port[tuple] && ci.state != SYNACK_CLOSED)
      return t;
  }
  return NULL;
}

/* Callbacks -----------------------------------------------------------------
 */

static void on_output(void *ud, synack_host *h, const synack_segment *seg,
                      uint64_t now) {
  static uint8_t buf[SYNACK_MAX_PACKET]; /* scratch only: nothing kept */
  synack_segment back;
  int n = synack_build(seg, buf, sizeof buf);
  fz *f = ud;
  int i;
  (void)h, (void)now;
  for (i = 0; i < NTUPLE; i++)
    if (seg->dport == peer_port[i] && seg->sport == host_port[i])
      f->out_end[i] = seg->seq + (synack_seq)seg->paylen +
                      !!(seg->flags & SYNACK_SYN) + !!(seg->flags & SYNACK_FIN);
  if (n < 0)
    FAIL("the host put out a segment that does not build (%d)", n);
  if (synack_parse(buf, (size_t)n, &back) != 0 || back.paylen != seg->paylen)
    FAIL("the host put out a segment that does not parse back");
  if (seg->paylen > 65535 - 60)
    FAIL("payload too long");
}

static void do_user_call(fz *f, synack_conn *c, uint8_t what);

static synack_verdict on_hook(void *ud, synack_host *h, synack_conn *c,
                              synack_segment *seg, synack_dir dir,
                              uint64_t now) {
  fz *f = ud;
  synack_verdict v = SYNACK_PASS;
  (void)h, (void)now;
  if (f->hook_depth)
    return SYNACK_PASS; /* a call made by a hook runs its own hooks plainly */
  f->hook_depth++;
  switch (f->hook_action & 7) {
  case 1:
    v = SYNACK_DROP;
    break;
  case 2:
    seg->win = (uint16_t)(seg->win >> 3);
    seg->seq += f->hook_action >> 3;
    v = SYNACK_CHANGED;
    break;
  case 3:
  case 4:
  case 5:
  case 6:
    if (c)
      do_user_call(f, c, (uint8_t)(f->hook_action >> 3));
    break;
  case 7:
    seg->paylen = seg->paylen / 2;
    v = dir == SYNACK_DIR_IN ? SYNACK_CHANGED : SYNACK_PASS;
    break;
  default:
    break;
  }
  f->hook_depth--;
  return v;
}

static void on_state(void *ud, synack_host *h, synack_conn *c,
                     synack_state from, synack_state to,
                     const synack_segment *seg, uint64_t now) {
  fz *f = ud;
  tracker *t = track(f, c, from);
  (void)h, (void)seg, (void)now;
  if (t->state != from)
    FAIL("state callback says %s -> %s, but the connection was last seen in %s",
         synack_state_name(from), synack_state_name(to),
         synack_state_name(t->state));
  if (!allowed(from, to))
    FAIL("transition %s -> %s is not in RFC 9293's diagram",
         synack_state_name(from), synack_state_name(to));
  if (synack_conn_state(c) != to)
    FAIL("state callback for %s but the connection is in %s",
         synack_state_name(to), synack_state_name(synack_conn_state(c)));
  t->state = to;
#ifdef FUZZ_HOST_TRACE /* -DFUZZ_HOST_TRACE: print the moves, to check seeds   \
                        */
  fprintf(stderr, "  %p %s -> %s\n", (void *)c, synack_state_name(from),
          synack_state_name(to));
#endif
}

static void on_notify(void *ud, synack_host *h, synack_conn *c,
                      synack_listener *l, unsigned notices, uint64_t now) {
  fz *f = ud;
  (void)h, (void)l, (void)now;
  if (c && (notices & SYNACK_NOTICE_FREED)) {
    if (synack_conn_state(c) != SYNACK_CLOSED)
      FAIL("a connection is freed in %s",
           synack_state_name(synack_conn_state(c)));
    untrack(f, c);
  }
}

/* Checks ----------------------------------------------------------------------
 */

static void check_conn(fz *f, tracker *t) {
  struct synack_conn_info ci;
  uint32_t flight;
  (void)f;
  synack_conn_info(t->c, &ci);
  if (ci.state != t->state &&
      !(t->state == SYNACK_CLOSED && ci.state == SYNACK_LISTEN))
    FAIL("info says %s, the state callbacks said %s",
         synack_state_name(ci.state), synack_state_name(t->state));
  if (ci.state == SYNACK_CLOSED || ci.state == SYNACK_LISTEN)
    return;
  if (!seq_leq(ci.snd_una, ci.snd_nxt))
    FAIL("snd_una %u > snd_nxt %u in %s", ci.snd_una, ci.snd_nxt,
         synack_state_name(ci.state));
  flight = (uint32_t)(ci.snd_nxt - ci.snd_una);
  if (flight > ci.send_queued + 2)
    FAIL("%u bytes in flight but only %u queued (%s)", flight, ci.send_queued,
         synack_state_name(ci.state));
  if (ci.send_queued > SNDBUF)
    FAIL("send buffer holds %u > %u", ci.send_queued, SNDBUF);
  if (ci.recv_queued > RCVBUF)
    FAIL("receive buffer holds %u > %u", ci.recv_queued, RCVBUF);
  if (ci.rcv_wnd > RCVBUF)
    FAIL("receive window %u > buffer %u", ci.rcv_wnd, RCVBUF);
  if (ci.recv_queued + ci.rcv_wnd > RCVBUF)
    FAIL("queued %u + window %u > buffer %u", ci.recv_queued, ci.rcv_wnd,
         RCVBUF);
  if (!seq_leq(ci.iss, ci.snd_una))
    FAIL("snd_una %u before iss %u", ci.snd_una, ci.iss);
}

static void check_all(fz *f) {
  tracker *t;
  size_t n = 0;
  for (t = f->live; t; t = t->next, n++)
    check_conn(f, t);
  if (n != f->nlive)
    FAIL("tracker list length");
  if (synack_host_conn_count(f->h) < f->nlive)
    FAIL("host counts %zu connections, %zu are alive",
         synack_host_conn_count(f->h), f->nlive);
}

/* Operations
 * ------------------------------------------------------------------- */

static void hold(fz *f, synack_conn *c) {
  if (f->nheld == NHELD) {
    synack_conn_abort(c, f->now);
    synack_conn_release(c);
    return;
  }
  f->held[f->nheld++] = c;
}

static void release(fz *f, int i) {
  synack_conn *c = f->held[i];
  f->held[i] = f->held[--f->nheld];
  synack_conn_release(c);
}

static void advance(fz *f, uint64_t us) {
  uint64_t end = f->now + us, d;
  int guard = 0;
  while ((d = synack_host_deadline(f->h)) <= end) {
    if (d > f->now)
      f->now = d;
    synack_host_timeout(f->h, f->now);
    if (++guard > 200000)
      FAIL("timers do not move on (deadline %llu)", (unsigned long long)d);
  }
  f->now = end;
}

static void do_user_call(fz *f, synack_conn *c, uint8_t what) {
  uint8_t buf[4096];
  long r;
  switch (what % 5) {
  case 0:
    r = synack_conn_send(c, f->payload, (size_t)(what / 5) * 97 + 1, f->now);
    if (r < 0 && (r <= SYNACK__ERR_BASE || r >= SYNACK__ERR_END))
      FAIL("send returned %ld", r);
    break;
  case 1:
    r = synack_conn_recv(c, buf, sizeof buf, f->now);
    if (r > (long)sizeof buf)
      FAIL("recv returned %ld", r);
    break;
  case 2:
    (void)synack_conn_close(c, f->now);
    break;
  case 3:
    (void)synack_conn_shutdown(c, f->now);
    break;
  case 4:
    (void)synack_conn_abort(c, f->now);
    break;
  }
}

/*
 * Connection options for both the listener and the active connection, from
 * the bits of the input's first byte (bit 0 says whether to connect at once):
 * 1 cubic, 2 keepalive, 3 user timeout, 4 no Nagle and no delayed ACK,
 * 5 no timestamps, 6 no SACK, 7 no window scale.
 */
static void base_opts(fz *f, synack_conn_opts *o) {
  uint8_t b = f->len ? f->in[0] : 0;
  memset(o, 0, sizeof *o);
  o->set = SYNACK_OPT_SET_SNDBUF | SYNACK_OPT_SET_RCVBUF;
  o->sndbuf = SNDBUF;
  o->rcvbuf = RCVBUF;
  if (b & 0x02) {
    o->set |= SYNACK_OPT_SET_CC;
    o->cc = 1;
  }
  if (b & 0x04) {
    o->set |= SYNACK_OPT_SET_KEEPALIVE;
    o->keepalive_us = 2000000;
  }
  if (b & 0x08) {
    o->set |= SYNACK_OPT_SET_USER_TIMEOUT;
    o->user_timeout_us = 5000000;
  }
  if (b & 0x10) {
    o->set |= SYNACK_OPT_SET_NAGLE | SYNACK_OPT_SET_DELAYED_ACK;
    o->nagle = o->delayed_ack = 0;
  }
  if (b & 0x20) {
    o->set |= SYNACK_OPT_SET_TIMESTAMPS;
    o->timestamps = 0;
  }
  if (b & 0x40) {
    o->set |= SYNACK_OPT_SET_SACK;
    o->sack = 0;
  }
  if (b & 0x80) {
    o->set |= SYNACK_OPT_SET_WSCALE;
    o->wscale = -1;
  }
}

static void connect_active(fz *f) {
  synack_conn_opts o;
  synack_conn *c;
  int err;
  base_opts(f, &o);
  o.set |= SYNACK_OPT_SET_PORT | SYNACK_OPT_SET_ISN;
  o.port = host_port[0];
  o.isn = 0xfffff000u; /* wraps soon */
  c = synack_host_connect(f->h, &f->peer, peer_port[0], &o, f->now, &err);
  if (c) {
    track(f, c, SYNACK_SYN_SENT);
    hold(f, c);
  } else if (err >= 0) {
    FAIL("connect failed without an error code");
  }
}

static void deliver(fz *f) {
  synack_segment s;
  synack_tcpopts o;
  int tuple = u8(f) % NTUPLE;
  uint8_t flags = u8(f), mode = u8(f), optmask = u8(f);
  int16_t dseq = (int16_t)u16(f), dack = (int16_t)u16(f);
  uint32_t raw = u32(f);
  uint16_t win = u16(f);
  size_t paylen = u8(f);
  tracker *t = find_tuple(f, tuple);
  struct synack_conn_info ci;
  synack_seq pisn = 0x70000000u + (synack_seq)tuple * 0x11111111u;

  memset(&ci, 0, sizeof ci);
  if (t)
    synack_conn_info(t->c, &ci);
  else
    ci.rcv_nxt = pisn + 1;
  if (paylen & 0x80)
    paylen = (paylen & 0x7f) * 97;
  synack_segment_init(&s);
  s.src = f->peer;
  s.dst = f->me;
  s.sport = peer_port[tuple];
  s.dport = host_port[tuple];
  s.flags = flags;
  s.win = win;
  switch (mode & 3) {
  case 0:
    s.seq = pisn + (synack_seq)(int32_t)dseq;
    break;
  case 1:
    s.seq = ci.rcv_nxt + (synack_seq)(int32_t)dseq;
    break;
  case 2:
    s.seq = ci.rcv_nxt + ci.rcv_wnd + (synack_seq)(int32_t)dseq;
    break;
  default:
    s.seq = raw;
    break;
  }
  switch ((mode >> 2) & 3) {
  case 0:
    s.ack = ci.snd_nxt + (synack_seq)(int32_t)dack;
    break;
  case 1:
    s.ack = ci.snd_una + (synack_seq)(int32_t)dack;
    break;
  case 2:
    s.ack = ci.iss + (synack_seq)(int32_t)dack;
    break;
  default:
    s.ack = raw ^ 0x5a5a5a5au;
    break;
  }
  if (mode & 0x20) /* what the host last sent here, a cookie SYN/ACK included */
    s.ack = f->out_end[tuple] + (synack_seq)(int32_t)dack;
  if (mode & 0x10)
    s.urp = (uint16_t)raw;
  if (optmask) {
    int n;
    memset(&o, 0, sizeof o);
    o.has_mss = optmask & 1;
    o.mss = (uint16_t)(raw & 0xffff);
    o.has_wscale = (optmask >> 1) & 1;
    o.wscale = (uint8_t)(raw >> 16);
    o.sack_permitted = (optmask >> 2) & 1;
    o.has_timestamp = (optmask >> 3) & 1;
    o.ts_val = raw;
    o.ts_ecr = (uint32_t)f->now;
    o.nsack = (optmask >> 4) & 3;
    if (o.nsack > 0) {
      int i;
      for (i = 0; i < o.nsack; i++) {
        o.sack[i][0] =
            ci.snd_una + ((raw >> 12) & 0xffff) + (synack_seq)i * 1500;
        o.sack[i][1] = o.sack[i][0] + 1 + (raw & 0xfff);
      }
    }
    if (optmask & 0x80) { /* raw option bytes straight from the input */
      size_t k, want = (optmask >> 4 & 7) * 4 + 4;
      for (k = 0; k < want && k < SYNACK_MAX_TCP_OPTS; k++)
        s.opts[k] = u8(f);
      s.optlen = (uint8_t)k;
    } else {
      n = synack_opts_encode(&o, s.opts);
      s.optlen = n > 0 ? (uint8_t)n : 0;
    }
  }
  if (paylen) {
    size_t off = (size_t)(raw % 1000);
    s.payload = f->payload + off;
    s.paylen = paylen;
  }
  synack_host_input(f->h, &s, f->now);
}

static void run_ops(fz *f) {
  int ops = 0;
  while (f->pos < f->len && ops++ < MAXOPS) {
    uint8_t op = u8(f);
    switch (op % 12) {
    case 0:
    case 1:
    case 2:
    case 3:
      deliver(f);
      break;
    case 4: { /* advance: up to ~2^27 us (134 s) on a log scale */
      uint8_t b = u8(f);
      advance(f, ((uint64_t)1 << (b % 28)) + (b >> 5));
      break;
    }
    case 5:
    case 6: { /* a user call on a held connection */
      uint8_t i = u8(f), what = u8(f);
      if (f->nheld)
        do_user_call(f, f->held[i % f->nheld], what);
      break;
    }
    case 7: { /* accept */
      synack_conn *c = f->l ? synack_listener_accept(f->l) : NULL;
      if (c) {
        if (!synack_conn_get_data(c))
          FAIL("accepted a connection no callback ever named");
        hold(f, c);
      }
      break;
    }
    case 8:
      if (!find_tuple(f, 0))
        connect_active(f);
      break;
    case 9: { /* the application drops a handle, maybe after closing */
      uint8_t i = u8(f);
      if (f->nheld) {
        if (i & 1)
          (void)synack_conn_close(f->held[i % f->nheld], f->now);
        release(f, i % f->nheld);
      }
      break;
    }
    case 10: { /* hooks: which kinds, and what they do */
      uint8_t mask = u8(f), action = u8(f);
      synack_host_set_hooks(f->h, mask & SYNACK_HOOK_ALL);
      f->hook_action = action;
      break;
    }
    case 11:
      if (f->l && (u8(f) & 0x1f) == 0x1f) {
        synack_listener_close(f->l, f->now);
        f->l = NULL;
      }
      break;
    }
    check_all(f);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fz f;
  synack_host_config cfg;
  synack_host_callbacks cb;
  synack_conn_opts lo;
  size_t i;
  int err;

  memset(&f, 0, offsetof(fz, payload));
  for (i = 0; i < sizeof f.payload; i++)
    f.payload[i] = (uint8_t)(i * 7 + (i >> 8));
  f.in = data;
  f.len = size;
  synack_addr_parse("198.18.0.2", &f.me);
  synack_addr_parse("198.18.0.1", &f.peer);
  synack_host_config_init(&cfg);
  cfg.addr = f.me;
  for (i = 0; i < sizeof cfg.isn_secret; i++)
    cfg.isn_secret[i] = (uint8_t)(i * 31 + 1);
  cfg.challenge_ack_limit = 5;
  memset(&cb, 0, sizeof cb);
  cb.output = on_output;
  cb.hook = on_hook;
  cb.state = on_state;
  cb.notify = on_notify;
  f.h = synack_host_new(&cfg, &cb, &f);
  if (!f.h)
    return 0;
  f.now = 1000000;

  base_opts(&f, &lo);
  f.l = synack_host_listen(f.h, 80, 2, &lo, &err);
  if (!f.l)
    FAIL("listen: %d", err);
  if (size && (data[0] & 1))
    connect_active(&f);

  run_ops(&f);

  /* the end: nothing may outlive an abort of everything and a long wait */
  f.hook_action = 0;
  synack_host_set_hooks(f.h, 0);
  for (i = 0;; i++) {
    tracker *t;
    for (t = f.live; t; t = t->next)
      if (synack_conn_state(t->c) != SYNACK_CLOSED)
        break;
    if (!t)
      break;
    if (i > 10000)
      FAIL("abort leaves a connection in %s",
           synack_state_name(synack_conn_state(t->c)));
    synack_conn_abort(t->c, f.now);
  }
  while (f.nheld)
    release(&f, f.nheld - 1);
  if (f.l)
    synack_listener_close(f.l, f.now);
  f.l = NULL;
  advance(&f, 3600ull * 1000000);
  if (synack_host_conn_count(f.h) != 0 || f.live)
    FAIL("%zu connections left after abort, release and an hour",
         synack_host_conn_count(f.h));
  if (synack_host_deadline(f.h) != SYNACK_NEVER)
    FAIL("a timer is still armed with no connection");
  synack_host_free(f.h);
  return 0;
}
