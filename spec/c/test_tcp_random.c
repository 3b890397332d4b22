/*
 * test_tcp_random.c: a host under a storm of random segments and random user
 * calls (a deterministic PRNG, so failures reproduce). Nothing may crash or
 * leak (run it under SANITIZE=address,undefined), sequence numbers stay
 * consistent, and after everything is aborted and time runs out the host
 * holds no connection.
 */
#include "tcb.h" /* to check the TCB's invariants */
#include "tcp_harness.h"

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}

#define NCONN 8

static void storm(uint64_t seed, int rounds) {
  harness t;
  synack_listener *l;
  synack_conn *mine[NCONN];
  synack_conn_opts o;
  static uint8_t data[3000];
  static const char *flagsets[] = {"S",  "S.",  ".",  "P.", "F.", "R",
                                   "R.", "FP.", "SF", "",   "U.", "SR"};
  int i, err;
  rng_state = seed;
  memset(mine, 0, sizeof mine);
  for (i = 0; i < (int)sizeof data; i++)
    data[i] = (uint8_t)rnd();
  h_init(&t);
  memset(&o, 0, sizeof o);
  if (seed & 1) { /* small buffers, no options, no Nagle, no delayed ACK */
    o.set = SYNACK_OPT_SET_RCVBUF | SYNACK_OPT_SET_SNDBUF |
            SYNACK_OPT_SET_WSCALE | SYNACK_OPT_SET_TIMESTAMPS |
            SYNACK_OPT_SET_NAGLE | SYNACK_OPT_SET_DELAYED_ACK;
    o.rcvbuf = 100 + rnd() % 5000;
    o.sndbuf = 100 + rnd() % 5000;
    o.wscale = -1;
  }
  l = synack_host_listen(t.h, 80, 4, &o, &err);
  synack_host_set_hooks(t.h, SYNACK_HOOK_ALL);
  for (i = 0; i < rounds; i++) {
    uint32_t r = rnd() % 100;
    hseg e;
    if (r < 40 && h_pop(&t, &e)) {
      /* a cooperating peer: answer what the host sent, now and then wrongly */
      synack_segment a;
      uint32_t len = (uint32_t)e.seg.paylen + !!(e.seg.flags & SYNACK_SYN) +
                     !!(e.seg.flags & SYNACK_FIN);
      synack_segment_init(&a);
      a.src = e.seg.dst;
      a.dst = e.seg.src;
      a.sport = e.seg.dport;
      a.dport = e.seg.sport;
      a.win = (uint16_t)(rnd() % 8 ? 65535 : rnd() % 3000);
      a.flags = SYNACK_ACK;
      a.seq = e.seg.ack;
      a.ack = e.seg.seq + len;
      if ((e.seg.flags & (SYNACK_SYN | SYNACK_ACK)) == SYNACK_SYN) {
        a.flags = SYNACK_SYN | SYNACK_ACK;
        a.seq = rnd();
      }
      if (e.seg.flags & SYNACK_RST) {
        free(e.data);
        continue;
      }
      if (!(a.flags & SYNACK_SYN)) {
        if (rnd() % 3 == 0) {
          a.payload = data;
          a.paylen = rnd() % 1500;
        }
        if (rnd() % 6 == 0)
          a.flags |= SYNACK_FIN;
        if (rnd() % 20 == 0)
          a.ack += rnd() % 100;
        if (rnd() % 20 == 0)
          a.seq += rnd() % 3000;
      }
      if (rnd() % 10)
        synack_host_input(t.h, &a, t.now);
      free(e.data);
      continue;
    }
    if (r < 60) {
      /* a segment from one of a few peers, numbers near what the host expects
       */
      synack_conn *c = mine[rnd() % NCONN];
      synack_seq seq = rnd(), ack = rnd();
      struct synack_conn_info in;
      synack_tcpopts op;
      t.peer_port = (uint16_t)(1000 + rnd() % 4);
      if (c && synack_conn_state(c) != SYNACK_CLOSED && rnd() % 4) {
        synack_conn_info(c, &in);
        t.peer_port = in.remote_port;
        seq = in.rcv_nxt + (rnd() % 3000) - 1000;
        ack = in.snd_una + (rnd() % 3000) - 500;
      }
      memset(&op, 0, sizeof op);
      op.has_mss = rnd() % 2;
      op.mss = (uint16_t)(rnd() % 2000);
      op.has_wscale = rnd() % 2;
      op.wscale = (uint8_t)(rnd() % 20);
      op.has_timestamp = rnd() % 2;
      op.ts_val = rnd();
      op.sack_permitted = rnd() % 2;
      h_feed_full(&t, flagsets[rnd() % 12], seq, ack, (uint16_t)rnd(), data,
                  rnd() % 3 ? 0 : rnd() % 1500, rnd() % 2 ? &op : NULL);
    } else if (r < 70) {
      int k = (int)(rnd() % NCONN);
      if (!mine[k]) {
        synack_conn_opts co = o;
        if (rnd() % 2) {
          co.set |= SYNACK_OPT_SET_PORT;
          co.port = 80; /* collides with incoming ones on purpose */
        }
        mine[k] = synack_host_connect(
            t.h, &t.peer, (uint16_t)(1000 + rnd() % 4), &co, t.now, &err);
      } else {
        synack_conn *c = synack_listener_accept(l);
        if (c) {
          if (rnd() % 2)
            synack_conn_close(c, t.now);
          else
            synack_conn_abort(c, t.now);
          synack_conn_release(c);
        }
      }
    } else if (r < 85) {
      synack_conn *c = mine[rnd() % NCONN];
      if (c) {
        uint8_t buf[2000];
        switch (rnd() % 6) {
        case 0:
          synack_conn_send(c, data, rnd() % 3000, t.now);
          break;
        case 1:
          synack_conn_recv(c, buf, rnd() % 2000, t.now);
          break;
        case 2:
          synack_conn_close(c, t.now);
          break;
        case 3:
          synack_conn_abort(c, t.now);
          break;
        case 4:
          synack_conn_send_urgent(c, data, rnd() % 10, t.now);
          break;
        default:
          synack_conn_shutdown(c, t.now);
          break;
        }
      }
    } else if (r < 90) {
      int k = (int)(rnd() % NCONN);
      if (mine[k]) { /* a script drops a connection it has closed */
        synack_conn_close(mine[k], t.now);
        synack_conn_release(mine[k]);
        mine[k] = NULL;
      }
    } else {
      h_advance(&t, rnd() % 3000000);
    }
    if (t.qlen > 64)
      h_clear(&t);
    {
      synack_conn *x;
      for (x = t.h->conns; x; x = x->next) {
        if (x->state == SYNACK_CLOSED || x->state == SYNACK_SYN_SENT)
          continue;
        /* SND.UNA =< SND.NXT =< the highest sent =< the end of the queued data
         * (+FIN) */
        CHECK(seq_leq(x->snd_una, x->snd_nxt));
        CHECK(seq_leq(x->snd_nxt, x->snd_max));
        CHECK(seq_leq(x->snd_max, seq_add(x->snd_buf_seq, x->snd.len + 1)));
        CHECK(seq_leq(x->snd_buf_seq, seq_add(x->snd_una, 1)));
        CHECK(x->rcv.len <= x->rcv.cap);
      }
    }
  }
  for (i = 0; i < NCONN; i++) {
    if (mine[i]) {
      synack_conn_abort(mine[i], t.now);
      synack_conn_release(mine[i]);
    }
  }
  synack_listener_close(l, t.now);
  h_advance(&t, 4000000000ull);
  h_clear(&t);
  CHECK_EQ(synack_host_conn_count(t.h), 0);
  CHECK_EQ(synack_host_deadline(t.h), SYNACK_NEVER);
  h_free(&t);
}

static void test_storms(void) {
  uint64_t s;
  for (s = 1; s <= 40; s++)
    storm(s * 0x9e3779b97f4a7c15ULL, 3000);
}

int main(void) {
  RUN(test_storms);
  return CHECK_DONE();
}
