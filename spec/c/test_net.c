/*
 * test_net.c: the network core without Lua: the PRNG, the event queue's
 * order (time, then the order of scheduling), raw hosts, drops, alarms, the
 * trace. A minimal link defined here delivers every packet after a fixed
 * delay (the wire lives in src/link, which these tests do not link).
 */
#include <stdlib.h>

#include "check.h"
#include "net.h"

/* A link that delivers after `delay` microseconds, or drops as "loss" when
 * lossy. */
typedef struct test_link {
  synack_link link;
  uint64_t delay;
  int lossy;
} test_link;

static void tl_send(synack_link *l, uint32_t from, uint32_t to, uint32_t id,
                    const uint8_t *pkt, size_t len, uint64_t now) {
  test_link *t = (test_link *)l;
  if (t->lossy)
    synack_net_drop(l->net, from, to, id, SYNACK_WHY_LOSS, pkt, len);
  else
    synack_net_deliver(l->net, now + t->delay, to, from, id, pkt, len);
}

static void tl_free(synack_link *l) {
  free(l);
}

static const synack_link_ops tl_ops = {"test", tl_send, tl_free};

static synack_link *new_link(synack_net *n, uint64_t delay) {
  test_link *t = calloc(1, sizeof *t);
  t->link.ops = &tl_ops;
  t->delay = delay;
  CHECK_EQ(synack_net_add_link(n, &t->link), 0);
  return &t->link;
}

static uint32_t raw_host(synack_net *n, synack_link *l, const char *addr) {
  synack_addr a;
  uint32_t index = SYNACK_NOHOST;
  synack_addr_parse(addr, &a);
  CHECK_EQ(synack_net_add_host(n, &a, l, 1, NULL, &index), 0);
  return index;
}

static void segment(synack_segment *seg, const char *src, const char *dst,
                    uint16_t sport) {
  synack_segment_init(seg);
  synack_addr_parse(src, &seg->src);
  synack_addr_parse(dst, &seg->dst);
  seg->sport = sport;
  seg->dport = 80;
  seg->flags = SYNACK_SYN;
}

static void test_prng(void) {
  synack_prng a, b;
  int i, same = 1;
  uint64_t below;
  synack_prng_seed(&a, 42);
  synack_prng_seed(&b, 42);
  for (i = 0; i < 1000; i++)
    same &= synack_prng_next(&a) == synack_prng_next(&b);
  CHECK(same);
  synack_prng_seed(&b, 43);
  CHECK(synack_prng_next(&a) != synack_prng_next(&b));
  for (i = 0; i < 1000; i++) {
    double d = synack_prng_double(&a);
    CHECK(d >= 0 && d < 1);
    below = synack_prng_below(&a, 7);
    CHECK(below < 7);
  }
  CHECK_EQ(synack_prng_below(&a, 0), 0);
  CHECK(!synack_prng_chance(&a, 0));
  CHECK(synack_prng_chance(&a, 1));
}

/* Deliveries come in time order, and in scheduling order at the same time. */
static void test_order(void) {
  synack_net *n = synack_net_new(1, NULL, NULL);
  synack_link *l = new_link(n, 1000);
  uint32_t a = raw_host(n, l, "198.18.0.1"), b = raw_host(n, l, "198.18.0.2");
  synack_segment seg;
  size_t ev, i;
  uint16_t expect[] = {1, 2, 3};
  segment(&seg, "198.18.0.1", "198.18.0.2", 1);
  CHECK_EQ(synack_net_inject(n, a, &seg), 0);
  seg.sport = 2;
  CHECK_EQ(synack_net_inject(n, a, &seg), 0);
  seg.sport = 3;
  CHECK_EQ(synack_net_inject(n, a, &seg), 0);
  CHECK_EQ(synack_net_pending(n), 3);
  CHECK_EQ(synack_net_next_deadline(n), 1000);
  for (i = 0; i < 3; i++) {
    const synack_event *e;
    synack_segment got;
    CHECK_EQ(synack_net_step(n, &ev), 1);
    e = synack_net_trace_get(n, ev);
    CHECK_EQ(e->kind, SYNACK_EV_SEGMENT);
    CHECK_EQ(e->dir, SYNACK_DIR_IN);
    CHECK_EQ(e->host, b);
    CHECK_EQ(e->peer, a);
    CHECK_EQ(e->t, 1000);
    CHECK_EQ(synack_parse(synack_net_trace_bytes(n, e), e->len, &got), 0);
    CHECK_EQ(got.sport, expect[i]);
  }
  CHECK_EQ(synack_net_step(n, &ev), 0);
  CHECK_EQ(synack_net_next_deadline(n), SYNACK_NEVER);
  CHECK_EQ(synack_net_now(n), 1000);
  synack_net_free(n);
}

/* Drops: no host on the link, the link's loss, a corrupted checksum. */
static void test_drops(void) {
  synack_net *n = synack_net_new(1, NULL, NULL);
  synack_link *l = new_link(n, 10);
  uint32_t a = raw_host(n, l, "198.18.0.1");
  synack_segment seg;
  size_t i, drops = 0;
  uint8_t *copy;
  uint8_t pkt[128];
  int len;
  raw_host(n, l, "198.18.0.2");
  segment(&seg, "198.18.0.1", "198.18.0.77", 1);
  CHECK_EQ(synack_net_inject(n, a, &seg), 0);
  ((test_link *)l)->lossy = 1;
  segment(&seg, "198.18.0.1", "198.18.0.2", 2);
  CHECK_EQ(synack_net_inject(n, a, &seg), 0);
  ((test_link *)l)->lossy = 0;
  len = synack_build(&seg, pkt, sizeof pkt);
  CHECK(len > 0);
  copy = synack_net_deliver(n, 5, 1, a, 99, pkt, (size_t)len);
  CHECK(copy != NULL);
  copy[len - 1] ^= 0x40; /* a byte of the TCP header */
  while (synack_net_step(n, NULL)) {
  }
  for (i = 0; i < synack_net_trace_len(n); i++) {
    const synack_event *e = synack_net_trace_get(n, i);
    if (e->kind != SYNACK_EV_DROP)
      continue;
    drops++;
    CHECK_EQ(e->host, a); /* the sender, always */
    if (e->why == SYNACK_WHY_CHECKSUM)
      CHECK_EQ(e->id, 99);
  }
  CHECK_EQ(drops, 3);
  CHECK_STR(synack_why_name(SYNACK_WHY_NO_LISTENER), "no listener");
  synack_net_free(n);
}

/* Alarms move the clock; run_until stops at its time; tracing off keeps one
 * step. */
static void test_alarm_and_trace(void) {
  synack_net *n = synack_net_new(1, NULL, NULL);
  size_t ev = 0;
  synack_net_alarm(n, 500);
  synack_net_alarm(n, 200);
  CHECK_EQ(synack_net_next_deadline(n), 200);
  CHECK_EQ(synack_net_step(n, &ev), 1);
  CHECK_EQ(ev, SIZE_MAX);
  CHECK_EQ(synack_net_now(n), 200);
  synack_net_run_until(n, 300);
  CHECK_EQ(synack_net_now(n), 300);
  synack_net_run_until(n, 1000);
  CHECK_EQ(synack_net_now(n), 1000);
  synack_net_record_app(n, SYNACK_NOHOST, "hello");
  CHECK_EQ(synack_net_trace_len(n), 1);
  ev = synack_net_record_app(n, SYNACK_NOHOST, "undo me");
  synack_net_unrecord(n, ev);
  CHECK_EQ(synack_net_trace_len(n), 1);
  synack_net_set_tracing(n, 0);
  synack_net_alarm(n, 2000);
  synack_net_step(n, NULL);
  CHECK_EQ(synack_net_trace_len(n), 0);
  CHECK_EQ(synack_net_trace_base(n), 1);
  synack_net_free(n);
}

/* Two hosts may not share an address on one link. */
static void test_addresses(void) {
  synack_net *n = synack_net_new(1, NULL, NULL);
  synack_link *l = new_link(n, 1);
  synack_addr a;
  uint32_t index;
  raw_host(n, l, "198.18.0.1");
  synack_addr_parse("198.18.0.1", &a);
  CHECK_EQ(synack_net_add_host(n, &a, l, 1, NULL, &index), SYNACK_EADDRINUSE);
  CHECK_EQ(synack_net_route(n, l, &a), 0);
  synack_addr_parse("198.18.0.3", &a);
  CHECK_EQ(synack_net_route(n, l, &a), SYNACK_NOHOST);
  CHECK(synack_net_tcp(n, 0) == NULL);
  CHECK(synack_net_host_raw(n, 0));
  synack_net_free(n);
}

int main(void) {
  RUN(test_prng);
  RUN(test_order);
  RUN(test_drops);
  RUN(test_alarm_and_trace);
  RUN(test_addresses);
  return CHECK_DONE();
}
