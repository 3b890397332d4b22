/*
 * fuzz_pair.c: a libFuzzer target for two TCP hosts talking over an impaired
 * wire (net.c, wire.c), with a stream oracle. fuzz_host.c feeds one host
 * arbitrary segments and checks its invariants; here both ends are synack,
 * so every byte either side reads can be checked against what the other side
 * wrote.
 *
 * The input starts with a 16-byte header: the network's seed, the wire's
 * loss, duplication, reordering, corruption, delay and jitter, and option
 * bits for each end (SACK, timestamps, window scale, Nagle, delayed ACK,
 * Cubic, small buffers). The rest is a script: either side sends a number
 * of bytes, reads what has arrived, shuts down; time advances; the network
 * steps. Each side's bytes follow a pattern of their offset, so a read is
 * checked byte for byte. At the end both sides close, the network runs
 * until both connections are CLOSED (bounded), and a side that read EOF must
 * have read exactly what the other wrote. Handles are
 * released, the listener closed, the network runs past TIME-WAIT: both hosts
 * must be empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "net.h"
#include "tcp.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 16
#define CHUNK 16384
#define FAIL(...)                                                              \
  do {                                                                         \
    fprintf(stderr, "fuzz_pair: " __VA_ARGS__);                                \
    fprintf(stderr, "\n");                                                     \
    abort();                                                                   \
  } while (0)

typedef struct side {
  synack_conn *c;
  uint64_t sent, rcvd; /* bytes written (accepted by send) and read */
  int shut, eof, err;
  uint8_t salt;
} side;

static uint8_t pat(const side *writer, uint64_t i) {
  return (uint8_t)(i * 131 + (i >> 9) + writer->salt);
}

static void opts_from(uint8_t b, synack_conn_opts *o) {
  memset(o, 0, sizeof *o);
  o->set = SYNACK_OPT_SET_SACK | SYNACK_OPT_SET_TIMESTAMPS |
           SYNACK_OPT_SET_NAGLE | SYNACK_OPT_SET_DELAYED_ACK |
           SYNACK_OPT_SET_CC;
  o->sack = b & 1;
  o->timestamps = (b >> 1) & 1;
  o->nagle = (b >> 3) & 1;
  o->delayed_ack = (b >> 4) & 1;
  o->cc = (b >> 5) & 1;
  if (!((b >> 2) & 1)) {
    o->set |= SYNACK_OPT_SET_WSCALE;
    o->wscale = -1;
  }
  if ((b >> 6) & 1) {
    o->set |= SYNACK_OPT_SET_RCVBUF | SYNACK_OPT_SET_SNDBUF;
    o->rcvbuf = 4096;
    o->sndbuf = 8192;
  }
}

static void do_send(synack_net *n, side *s, size_t want) {
  uint8_t buf[CHUNK];
  size_t i;
  long r;
  if (!s->c || want == 0)
    return;
  if (want > sizeof buf)
    want = sizeof buf;
  for (i = 0; i < want; i++)
    buf[i] = pat(s, s->sent + i);
  r = synack_conn_send(s->c, buf, want, synack_net_now(n));
  if (r > (long)want)
    FAIL("send accepted %ld of %zu bytes", r, want);
  if (r > 0)
    s->sent += (uint64_t)r;
}

/* Read everything `s` has; check it against what `from` wrote. */
static void do_recv(synack_net *n, side *s, const side *from) {
  uint8_t buf[CHUNK];
  long r;
  if (!s->c)
    return;
  while ((r = synack_conn_recv(s->c, buf, sizeof buf, synack_net_now(n))) > 0) {
    long i;
    if (s->eof)
      FAIL("data after EOF");
    for (i = 0; i < r; i++)
      if (buf[i] != pat(from, s->rcvd + (uint64_t)i))
        FAIL("byte %llu differs: got %u, want %u",
             (unsigned long long)(s->rcvd + (uint64_t)i), buf[i],
             pat(from, s->rcvd + (uint64_t)i));
    s->rcvd += (uint64_t)r;
    if (s->rcvd > from->sent)
      FAIL("read %llu bytes, only %llu were written",
           (unsigned long long)s->rcvd, (unsigned long long)from->sent);
  }
  if (r == SYNACK_EOF)
    s->eof = 1;
  else if (r < 0 && r != SYNACK_ENOTCONN)
    s->err = (int)r;
}

static void shut(synack_net *n, side *s) {
  if (s->c && !s->shut) {
    s->shut = 1;
    (void)synack_conn_shutdown(s->c, synack_net_now(n));
  }
}

static int closed(const side *s) {
  return !s->c || synack_conn_state(s->c) == SYNACK_CLOSED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  synack_wire_params wp;
  synack_link *wire;
  synack_net *n;
  synack_addr aa, ba;
  synack_conn_opts oa, ob;
  synack_listener *l;
  uint32_t ia, ib;
  side a, b;
  uint64_t seed = 0, limit;
  size_t pos = HDR, i;
  int err, steps = 0;

  if (size < HDR)
    return 0;
  for (i = 0; i < 8; i++)
    seed = seed << 8 | data[i];
  n = synack_net_new(seed, NULL, NULL);
  if (!n)
    return 0;
  synack_net_set_tracing(n, 0);
  synack_wire_params_init(&wp);
  wp.loss = data[8] / 1024.0; /* up to 25% */
  wp.duplicate = data[9] / 1024.0;
  wp.reorder = data[10] / 512.0;
  wp.corrupt = data[11] / 2048.0;
  wp.delay_us = (uint64_t)data[12] * 500;
  wp.jitter_us = (uint64_t)(data[13] & 0x3f) * 200;
  if (data[13] & 0x80) {
    wp.rate = 200000 + (uint64_t)data[12] * 20000;
    wp.queue = 8 + (data[13] & 0x3f);
  }
  wire = synack_wire_new(n, &wp, &err);
  if (!wire)
    FAIL("wire: %d", err);
  synack_addr_parse("198.18.0.1", &aa);
  synack_addr_parse("198.18.0.2", &ba);
  if (synack_net_add_host(n, &aa, wire, 0, NULL, &ia) != 0 ||
      synack_net_add_host(n, &ba, wire, 0, NULL, &ib) != 0)
    FAIL("hosts");
  opts_from(data[14], &oa);
  opts_from(data[15], &ob);
  l = synack_host_listen(synack_net_tcp(n, ib), 80, 4, &ob, &err);
  if (!l)
    FAIL("listen: %d", err);
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.salt = 0x11;
  b.salt = 0x5c;
  a.c = synack_host_connect(synack_net_tcp(n, ia), &ba, 80, &oa,
                            synack_net_now(n), &err);
  if (!a.c)
    FAIL("connect: %d", err);

  while (pos < size && steps++ < 400) {
    uint8_t op = data[pos++], arg = pos < size ? data[pos++] : 0;
    if (!b.c)
      b.c = synack_listener_accept(l);
    switch (op % 8) {
    case 0:
      do_send(n, &a, (size_t)arg * 64 + 1);
      break;
    case 1:
      do_send(n, &b, (size_t)arg * 64 + 1);
      break;
    case 2:
      do_recv(n, &a, &b);
      break;
    case 3:
      do_recv(n, &b, &a);
      break;
    case 4:
      synack_net_run_until(n, synack_net_now(n) + ((uint64_t)1 << (arg % 24)));
      break;
    case 5:
      shut(n, &a);
      break;
    case 6:
      shut(n, &b);
      break;
    case 7: {
      size_t ev;
      int k;
      for (k = 0; k <= arg % 32; k++)
        if (!synack_net_step(n, &ev))
          break;
      break;
    }
    }
  }

  /* the end: both close, and everything written must be read */
  limit = synack_net_now(n) + 3600ull * 1000000;
  if (!b.c)
    synack_net_run_until(n, synack_net_now(n) + 10000000);
  if (!b.c)
    b.c = synack_listener_accept(l);
  shut(n, &a);
  shut(n, &b);
  while (synack_net_now(n) < limit) {
    size_t ev;
    int k;
    do_recv(n, &a, &b);
    do_recv(n, &b, &a);
    if (!b.c && (b.c = synack_listener_accept(l)) != NULL)
      shut(n, &b);
    if (closed(&a) && closed(&b) && (a.eof || a.err || !a.c) &&
        (b.eof || b.err || !b.c))
      break;
    for (k = 0; k < 64; k++)
      if (!synack_net_step(n, &ev))
        break;
    if (k == 0 && synack_net_next_deadline(n) == SYNACK_NEVER)
      break; /* nothing pending */
  }
  do_recv(n, &a, &b);
  do_recv(n, &b, &a);
#ifdef FUZZ_PAIR_TRACE /* -DFUZZ_PAIR_TRACE: what a run did, to check seeds */
  fprintf(stderr,
          "a sent %llu read %llu eof %d err %d; b sent %llu read %llu eof %d "
          "err %d; %.3f s\n",
          (unsigned long long)a.sent, (unsigned long long)a.rcvd, a.eof, a.err,
          (unsigned long long)b.sent, (unsigned long long)b.rcvd, b.eof, b.err,
          (double)synack_net_now(n) / 1e6);
#endif
  /* an EOF comes after all the data the other side wrote (it shut down
     after its last send), so a side that saw EOF has read all of it */
  if (a.eof && a.rcvd != b.sent)
    FAIL("a read EOF after %llu bytes, b wrote %llu",
         (unsigned long long)a.rcvd, (unsigned long long)b.sent);
  if (b.eof && b.rcvd != a.sent)
    FAIL("b read EOF after %llu bytes, a wrote %llu",
         (unsigned long long)b.rcvd, (unsigned long long)a.sent);

  /* nothing may be left once the handles go and TIME-WAIT is over */
  if (a.c)
    synack_conn_release(a.c);
  if (b.c)
    synack_conn_release(b.c);
  synack_listener_close(l, synack_net_now(n));
  synack_net_run_until(n, synack_net_now(n) + 3600ull * 1000000);
  if (synack_host_conn_count(synack_net_tcp(n, ia)) != 0 ||
      synack_host_conn_count(synack_net_tcp(n, ib)) != 0)
    FAIL("connections left: a %zu, b %zu",
         synack_host_conn_count(synack_net_tcp(n, ia)),
         synack_host_conn_count(synack_net_tcp(n, ib)));
  synack_net_free(n);
  return 0;
}
