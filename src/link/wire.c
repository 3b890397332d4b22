/* wire.c: the in-memory link and its impairments (wire.h). */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

/* What one sender has on the wire, for rate and queue. */
typedef struct sender {
  uint64_t busy_until; /* when its last packet has been transmitted */
  uint64_t *done;      /* ring of transmission end times, `queue` long */
  uint32_t head, count, cap;
} sender;

typedef struct wire {
  synack_link link; /* first: a synack_link* is a wire* */
  synack_wire_params p;
  sender *senders; /* by host index */
  size_t nsenders;
} wire;

static void wire_send(synack_link *l, uint32_t from, uint32_t to, uint32_t id,
                      const uint8_t *pkt, size_t len, uint64_t now);
static void wire_free(synack_link *l);

static const synack_link_ops wire_ops = {"wire", wire_send, wire_free};

void synack_wire_params_init(synack_wire_params *p) {
  memset(p, 0, sizeof *p);
}

static int prob_ok(double x) {
  return x >= 0 && x <= 1;
}

static int params_ok(const synack_wire_params *p) {
  return prob_ok(p->loss) && prob_ok(p->duplicate) && prob_ok(p->reorder) &&
         prob_ok(p->corrupt);
}

synack_link *synack_wire_new(synack_net *n, const synack_wire_params *p,
                             int *err) {
  wire *w;
  int rc;
  if (p && !params_ok(p)) {
    *err = SYNACK_EINVAL;
    return NULL;
  }
  w = calloc(1, sizeof *w);
  if (!w) {
    *err = SYNACK_ENOMEM;
    return NULL;
  }
  w->link.ops = &wire_ops;
  if (p)
    w->p = *p;
  if (w->p.corrupt > 0)
    w->link.flags |= SYNACK_LINK_CORRUPTS;
  rc = synack_net_add_link(n, &w->link);
  if (rc) {
    free(w);
    *err = rc;
    return NULL;
  }
  return &w->link;
}

int synack_wire_set(synack_link *l, const synack_wire_params *p) {
  wire *w = (wire *)l;
  if (!params_ok(p))
    return SYNACK_EINVAL;
  w->p = *p;
  if (w->p.corrupt > 0)
    w->link.flags |= SYNACK_LINK_CORRUPTS;
  else
    w->link.flags &= ~SYNACK_LINK_CORRUPTS;
  return 0;
}

void synack_wire_get(const synack_link *l, synack_wire_params *out) {
  *out = ((const wire *)l)->p;
}

int synack_link_is_wire(const synack_link *l) {
  return l->ops == &wire_ops;
}

static void wire_free(synack_link *l) {
  wire *w = (wire *)l;
  size_t i;
  for (i = 0; i < w->nsenders; i++)
    free(w->senders[i].done);
  free(w->senders);
  free(w);
}

/* The sender state of host `from`, grown on first use; NULL when out of memory.
 */
static sender *sender_of(wire *w, uint32_t from) {
  if (from >= w->nsenders) {
    size_t ncap = from + 8;
    sender *s = realloc(w->senders, ncap * sizeof *s);
    if (!s)
      return NULL;
    memset(s + w->nsenders, 0, (ncap - w->nsenders) * sizeof *s);
    w->senders = s;
    w->nsenders = ncap;
  }
  return &w->senders[from];
}

/*
 * Rate and queue: when the packet finishes going out, or SYNACK_NEVER when the
 * sender's queue is full.
 */
static uint64_t transmit_end(wire *w, uint32_t from, size_t len, uint64_t now) {
  sender *s;
  uint64_t start, end;
  if (w->p.rate == 0)
    return now;
  s = sender_of(w, from);
  if (!s)
    return now;
  if (w->p.queue) {
    if (s->cap != w->p.queue) { /* (re)size the ring; forget what was in it */
      uint64_t *d = realloc(s->done, w->p.queue * sizeof *d);
      if (!d)
        return now;
      s->done = d;
      s->cap = w->p.queue;
      s->head = s->count = 0;
    }
    while (s->count && s->done[s->head] <= now) {
      s->head = (s->head + 1) % s->cap;
      s->count--;
    }
    if (s->count >= s->cap)
      return SYNACK_NEVER;
  }
  start = s->busy_until > now ? s->busy_until : now;
  end = start + (uint64_t)((double)len * 1e6 / (double)w->p.rate + 0.5);
  s->busy_until = end;
  if (w->p.queue) {
    s->done[(s->head + s->count) % s->cap] = end;
    s->count++;
  }
  return end;
}

/* Where the TCP header starts, so that corruption lands where the TCP checksum
 * looks. */
static size_t tcp_offset(const uint8_t *pkt, size_t len) {
  if (len >= 1 && (pkt[0] >> 4) == 6)
    return SYNACK_IP6_HDR;
  if (len >= 1)
    return (size_t)(pkt[0] & 0x0f) * 4;
  return 0;
}

/* One copy's arrival time: delay, jitter and maybe a reordering hold. */
static uint64_t arrival(wire *w, synack_prng *r, uint64_t sent) {
  int64_t t = (int64_t)(sent + w->p.delay_us);
  if (w->p.jitter_us) {
    int64_t j = (int64_t)synack_prng_below(r, 2 * w->p.jitter_us + 1);
    t += j - (int64_t)w->p.jitter_us;
    if (t < (int64_t)sent)
      t = (int64_t)sent;
  }
  if (w->p.reorder > 0 && synack_prng_chance(r, w->p.reorder)) {
    uint64_t hold = w->p.reorder_delay_us;
    if (!hold)
      hold = w->p.delay_us > 1000 ? w->p.delay_us : 1000;
    t += (int64_t)synack_prng_below(r, hold + 1);
  }
  return (uint64_t)t;
}

static void wire_send(synack_link *l, uint32_t from, uint32_t to, uint32_t id,
                      const uint8_t *pkt, size_t len, uint64_t now) {
  wire *w = (wire *)l;
  synack_net *n = l->net;
  synack_prng *r = synack_net_prng(n);
  uint64_t sent;
  uint8_t *copy;
  size_t flip = SIZE_MAX, off;
  uint8_t mask = 0;
  if (w->p.mtu && len > w->p.mtu) {
    synack_net_drop(n, from, to, id, SYNACK_WHY_MTU, pkt, len);
    return;
  }
  sent = transmit_end(w, from, len, now);
  if (sent == SYNACK_NEVER) {
    synack_net_drop(n, from, to, id, SYNACK_WHY_QUEUE, pkt, len);
    return;
  }
  if (w->p.loss > 0 && synack_prng_chance(r, w->p.loss)) {
    synack_net_drop(n, from, to, id, SYNACK_WHY_LOSS, pkt, len);
    return;
  }
  off = tcp_offset(pkt, len);
  if (w->p.corrupt > 0 && synack_prng_chance(r, w->p.corrupt) && off < len) {
    flip = off + (size_t)synack_prng_below(r, len - off);
    mask = (uint8_t)(1 + synack_prng_below(r, 255));
  }
  copy = synack_net_deliver(n, arrival(w, r, sent), to, from, id, pkt, len);
  if (copy && flip != SIZE_MAX)
    copy[flip] ^= mask;
  if (w->p.duplicate > 0 && synack_prng_chance(r, w->p.duplicate)) {
    copy = synack_net_deliver(n, arrival(w, r, sent), to, from, id, pkt, len);
    if (copy && flip != SIZE_MAX)
      copy[flip] ^= mask;
  }
}
