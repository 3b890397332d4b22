/*
 * test_tcp_transfer.c: two hosts back to back. Their outputs feed each
 * other's input through a queue with a fixed delay; time jumps to the next
 * delivery or deadline. About 1 MiB goes each way, ISNs just below 2^32,
 * with and without dropping every Nth packet; the bytes must arrive exactly,
 * both sides must close and end CLOSED (one through TIME-WAIT).
 * Each run prints the virtual time until both sides hold every byte ("data
 * in"): the measure of loss recovery. TRANSFER_SWEEP=1 runs drop rates 1/3
 * to 1/20 with SACK and timestamps, without, and with CUBIC;
 * TRANSFER_DEBUG=1 prints each side's retransmission counters.
 */
#include <stdlib.h>

#include "check.h"
#include "tcb.h"

#define WQ 16384
#define DELAY 5000 /* one-way delay, us */
#define NBYTES (1024 * 1024 + 4321)

typedef struct pkt {
  int to;
  uint64_t at;
  synack_segment seg;
  uint8_t *data;
} pkt;

typedef struct wire {
  pkt q[WQ];
  size_t head, len;
  uint64_t now;
  synack_host *h[2];
  int ud[2];
  unsigned drop_every, count, dropped, max_len;
  int saw_time_wait[2];
  synack_conn *conn[2];
  uint64_t start, done_at; /* connect, and both sides holding every byte */
} wire;

static wire W;

static void w_out(void *ud, synack_host *h, const synack_segment *seg,
                  uint64_t now) {
  int from = *(int *)ud;
  pkt *p;
  (void)h;
  W.count++;
  if (W.drop_every && W.count % W.drop_every == 0) {
    W.dropped++;
    return;
  }
  if (W.len == WQ) {
    W.dropped++;
    return;
  }
  p = &W.q[(W.head + W.len++) % WQ];
  if (W.len > W.max_len)
    W.max_len = (unsigned)W.len;
  p->to = 1 - from;
  p->at = now + DELAY;
  p->seg = *seg;
  p->data = NULL;
  if (seg->paylen) {
    p->data = malloc(seg->paylen);
    memcpy(p->data, seg->payload, seg->paylen);
  }
  p->seg.payload = p->data;
}

static void w_state(void *ud, synack_host *h, synack_conn *c, synack_state from,
                    synack_state to, const synack_segment *seg, uint64_t now) {
  int side = *(int *)ud;
  (void)h, (void)c, (void)from, (void)seg, (void)now;
  if (to == SYNACK_TIME_WAIT)
    W.saw_time_wait[side] = 1;
}

static uint8_t pattern(int side, size_t i) {
  return (uint8_t)((i * 131u) ^ (i >> 9) ^ (side ? 0xa5u : 0x3cu));
}

typedef struct app {
  size_t sent, rcvd;
  int closed, eof, bad;
} app;

static void pump(int side, app *a, uint64_t now) {
  static uint8_t buf[70000];
  synack_conn *c = W.conn[side];
  long n;
  size_t i;
  if (!c)
    return;
  while (a->sent < NBYTES) {
    size_t want = NBYTES - a->sent;
    if (want > sizeof buf)
      want = sizeof buf;
    for (i = 0; i < want; i++)
      buf[i] = pattern(side, a->sent + i);
    n = synack_conn_send(c, buf, want, now);
    if (n <= 0)
      break;
    a->sent += (size_t)n;
  }
  if (a->sent == NBYTES && !a->closed &&
      synack_conn_state(c) != SYNACK_SYN_SENT &&
      synack_conn_state(c) != SYNACK_SYN_RECEIVED) {
    if (synack_conn_shutdown(c, now) ==
        0) /* half-close: read to the peer's FIN */
      a->closed = 1;
  }
  for (;;) {
    n = synack_conn_recv(c, buf, sizeof buf, now);
    if (n == SYNACK_EOF) {
      a->eof = 1;
      break;
    }
    if (n <= 0)
      break;
    for (i = 0; i < (size_t)n; i++)
      if (buf[i] != pattern(1 - side, a->rcvd + i))
        a->bad++;
    a->rcvd += (size_t)n;
  }
}

static void run(unsigned drop_every, uint32_t isn_a, uint32_t isn_b,
                int opts_on) {
  synack_host_config cfg;
  synack_host_callbacks cb;
  synack_conn_opts o;
  synack_listener *l;
  app apps[2];
  int err, i;
  uint64_t steps = 0;
  memset(&W, 0, sizeof W);
  memset(apps, 0, sizeof apps);
  W.drop_every = drop_every;
  W.now = 1000;
  W.start = W.now;
  memset(&cb, 0, sizeof cb);
  cb.output = w_out;
  cb.state = w_state;
  for (i = 0; i < 2; i++) {
    synack_host_config_init(&cfg);
    synack_addr_parse(i ? "198.18.0.2" : "198.18.0.1", &cfg.addr);
    cfg.rto_min_us = 200000;
    cfg.isn_secret[0] = (uint8_t)i;
    W.ud[i] = i;
    W.h[i] = synack_host_new(&cfg, &cb, &W.ud[i]);
  }
  memset(&o, 0, sizeof o);
  o.set = SYNACK_OPT_SET_ISN;
  if (opts_on == 2) { /* CUBIC */
    o.set |= SYNACK_OPT_SET_CC;
    o.cc = 1;
  }
  if (!opts_on) {
    o.set |=
        SYNACK_OPT_SET_WSCALE | SYNACK_OPT_SET_SACK | SYNACK_OPT_SET_TIMESTAMPS;
    o.wscale = -1;
  }
  o.isn = isn_b;
  l = synack_host_listen(W.h[1], 80, 4, &o, &err);
  CHECK(l != NULL);
  o.isn = isn_a;
  W.conn[0] = synack_host_connect(W.h[0], synack_host_addr(W.h[1]), 80, &o,
                                  W.now, &err);
  CHECK(W.conn[0] != NULL);
  while (steps++ < 5000000) {
    uint64_t next = SYNACK_NEVER, d;
    if (W.len)
      next = W.q[W.head].at;
    for (i = 0; i < 2; i++) {
      d = synack_host_deadline(W.h[i]);
      if (d < next)
        next = d;
    }
    if (next == SYNACK_NEVER)
      break;
    if (next > W.now)
      W.now = next;
    while (W.len && W.q[W.head].at <= W.now) {
      pkt p = W.q[W.head];
      W.head = (W.head + 1) % WQ;
      W.len--;
      synack_host_input(W.h[p.to], &p.seg, W.now);
      free(p.data);
    }
    for (i = 0; i < 2; i++)
      if (synack_host_deadline(W.h[i]) <= W.now)
        synack_host_timeout(W.h[i], W.now);
    if (!W.conn[1])
      W.conn[1] = synack_listener_accept(l);
    for (i = 0; i < 2; i++)
      pump(i, &apps[i], W.now);
    if (!W.done_at && apps[0].rcvd == NBYTES && apps[1].rcvd == NBYTES)
      W.done_at = W.now;
  }
  for (i = 0; i < 2; i++) {
    CHECK_EQ(apps[i].sent, NBYTES);
    CHECK_EQ(apps[i].rcvd, NBYTES);
    CHECK_EQ(apps[i].bad, 0);
    CHECK(apps[i].eof);
    CHECK(W.conn[i] != NULL);
    if (W.conn[i]) {
      struct synack_conn_info info;
      synack_conn_info(W.conn[i], &info);
#ifndef TRANSFER_BASE
      if (getenv("TRANSFER_DEBUG"))
        printf("    side %d: retransmits %u rtos %u recoveries %u paws %u "
               "lost_rxt %u\n",
               i, info.retransmits, W.conn[i]->rtos, W.conn[i]->recoveries,
               W.conn[i]->paws_drops, W.conn[i]->sb.lost_rxt);
#endif
      CHECK_EQ(info.state, SYNACK_CLOSED);
      CHECK_EQ(info.error, 0);
      if (drop_every)
        CHECK(info.retransmits > 0);
      synack_conn_release(W.conn[i]);
    }
    CHECK_EQ(synack_host_conn_count(W.h[i]), 0);
  }
  CHECK(W.saw_time_wait[0] || W.saw_time_wait[1]);
  printf("  drop 1/%u%s: %u packets, %u dropped, data in %.3f s, all done %.3f "
         "s virtual\n",
         drop_every,
         opts_on == 2 ? " (cubic)"
         : opts_on    ? ""
                      : " (no SACK/TS/WS)",
         W.count, W.dropped, (double)(W.done_at - W.start) / 1e6,
         (double)W.now / 1e6);
  synack_listener_close(l, W.now);
  for (i = 0; i < 2; i++)
    synack_host_free(W.h[i]);
}

static void test_clean(void) {
  run(0, 0xffffff00u, 0xfffff000u, 1);
}
static void test_clean_plain(void) {
  run(0, 0xfffffff0u, 0xffffffffu, 0);
}
static void test_loss_13(void) {
  run(13, 0xffffff00u, 0xfffff000u, 1);
}
static void test_loss_7_plain(void) {
  run(7, 0xffff0000u, 0xfffffff9u, 0);
}
static void test_loss_3(void) {
  run(3, 0xfffffffeu, 0xfffff000u, 1);
}
static void test_loss_13_plain(void) {
  run(13, 0xffffff00u, 0xfffff000u, 0);
}
static void test_loss_7(void) {
  run(7, 0xffff0000u, 0xfffffff9u, 1);
}
static void test_loss_3_plain(void) {
  run(3, 0xfffffffeu, 0xfffff000u, 0);
}
static void test_loss_7_cubic(void) {
  run(7, 0xffff0000u, 0xfffffff9u, 2);
}

/* TRANSFER_SWEEP=1: the data time at many loss rates, with and without options.
 */
static void sweep(void) {
  unsigned n;
  for (n = 3; n <= 20; n++) {
    run(n, 0xffffff00u, 0xfffff000u, 1);
    run(n, 0xffffff00u, 0xfffff000u, 0);
    run(n, 0xffffff00u, 0xfffff000u, 2);
  }
}

int main(void) {
  if (getenv("TRANSFER_SWEEP")) {
    sweep();
    return CHECK_DONE();
  }
  RUN(test_clean);
  RUN(test_clean_plain);
  RUN(test_loss_13);
  RUN(test_loss_7_plain);
  RUN(test_loss_3);
  RUN(test_loss_13_plain);
  RUN(test_loss_7);
  RUN(test_loss_3_plain);
  RUN(test_loss_7_cubic);
  return CHECK_DONE();
}
