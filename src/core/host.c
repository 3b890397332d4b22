/*
 * host.c: a host's connections and how a segment finds its owner. The demux
 * is a hash of (remote address, remote port, local port) with chaining; the
 * host also keeps every connection on a list, answers segments nobody owns
 * with a reset (RFC 9293 3.10.7.1), runs hooks on the way in and out, and
 * frees connections once they are CLOSED and nobody holds them.
 */
#include <stdlib.h>
#include <string.h>

#include "tcb.h"

synack_host *synack_host_new(const synack_host_config *cfg,
                             const synack_host_callbacks *cb, void *ud) {
  synack_host *h;
  if (!cfg || !cb || !cb->output)
    return NULL;
  h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  h->cfg = *cfg;
  if (h->cfg.port_lo == 0 || h->cfg.port_hi < h->cfg.port_lo) {
    h->cfg.port_lo = 49152;
    h->cfg.port_hi = 65535;
  }
  if (h->cfg.mtu < 68 + 60)
    h->cfg.mtu = 1500;
  if (h->cfg.delack_us > 500000)
    h->cfg.delack_us =
        500000; /* MUST-40: an ACK is never delayed 0.5 s or more */
  h->cb = *cb;
  h->ud = ud;
  h->nbuckets = 64;
  h->buckets = calloc(h->nbuckets, sizeof *h->buckets);
  if (!h->buckets) {
    free(h);
    return NULL;
  }
  h->next_port = h->cfg.port_lo;
  return h;
}

void synack_host_free(synack_host *h) {
  synack_listener *l, *ln;
  if (!h)
    return;
  while (h->conns) {
    synack_conn *c = h->conns;
    c->busy = 0;
    c->refs = 0;
    c->state = SYNACK_CLOSED;
    synack__conn_free(c);
  }
  for (l = h->listeners; l; l = ln) {
    ln = l->next;
    free(l);
  }
  h->rings.keep = 0;
  synack__ringpool_trim(&h->rings);
  free(h->heap);
  free(h->buckets);
  free(h);
}

const synack_addr *synack_host_addr(const synack_host *h) {
  return &h->cfg.addr;
}
void synack_host_set_hooks(synack_host *h, unsigned kind_mask) {
  h->hooks = kind_mask;
}
size_t synack_host_conn_count(const synack_host *h) {
  return h->nconns;
}

/* The demux hash ---------------------------------------------------------- */

/* The demux hash of a 4-tuple (the local address is the host's): SipHash,
   keyed with the host's secret, so that chains stay short whatever the peers
   choose. A connection keeps its hash while it is in the table. */
static uint32_t tuple_hash(const synack_host *h, const synack_addr *raddr,
                           uint16_t rport, uint16_t lport) {
  uint8_t key[21];
  key[0] = raddr->family;
  memcpy(key + 1, raddr->bytes, 16);
  key[17] = (uint8_t)(rport >> 8);
  key[18] = (uint8_t)rport;
  key[19] = (uint8_t)(lport >> 8);
  key[20] = (uint8_t)lport;
  return (uint32_t)synack__siphash24(h->cfg.isn_secret, key, sizeof key);
}

static int same(const synack_addr *a, const synack_addr *b) {
  return a->family == b->family &&
         memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}

static int owns(const synack_conn *c, const synack_addr *raddr, uint16_t rport,
                uint16_t lport) {
  return c->rport == rport && c->lport == lport && same(&c->raddr, raddr);
}

static void grow(synack_host *h) {
  size_t n = h->nbuckets * 2, i, old = h->nbuckets;
  synack_conn **nb = calloc(n, sizeof *nb), **ob = h->buckets;
  if (!nb)
    return; /* longer chains, still correct */
  h->buckets = nb;
  h->nbuckets = n;
  for (i = 0; i < old; i++) {
    synack_conn *c = ob[i], *cn;
    for (; c; c = cn) {
      size_t b = c->hash & (n - 1);
      cn = c->hnext;
      c->hnext = nb[b];
      nb[b] = c;
    }
  }
  free(ob);
}

int synack__hash_insert(synack_conn *c) {
  synack_host *h = c->host;
  synack_conn **head, *x;
  if (c->in_hash)
    return 0;
  if (h->nhashed + 1 > h->nbuckets)
    grow(h);
  c->hash = tuple_hash(h, &c->raddr, c->rport, c->lport);
  head = &h->buckets[c->hash & (h->nbuckets - 1)];
  for (x = *head; x; x = x->hnext)
    if (owns(x, &c->raddr, c->rport, c->lport))
      return SYNACK_EADDRINUSE;
  c->hnext = *head;
  *head = c;
  c->in_hash = 1;
  h->nhashed++;
  h->last = c; /* its first segment comes next */
  return 0;
}

void synack__hash_remove(synack_conn *c) {
  synack_host *h = c->host;
  synack_conn **pp;
  if (!c->in_hash)
    return;
  pp = &h->buckets[c->hash & (h->nbuckets - 1)];
  for (; *pp; pp = &(*pp)->hnext) {
    if (*pp == c) {
      *pp = c->hnext;
      break;
    }
  }
  c->in_hash = 0;
  c->hnext = NULL;
  h->nhashed--;
  if (h->last == c)
    h->last = NULL;
}

/*
 * A flow's segments come in runs, so the connection found last is checked
 * first: a bulk transfer then hashes once, not once per segment.
 */
synack_conn *synack__hash_lookup(synack_host *h, const synack_addr *raddr,
                                 uint16_t rport, uint16_t lport) {
  synack_conn *c = h->last;
  if (c && owns(c, raddr, rport, lport))
    return c;
  c = h->buckets[tuple_hash(h, raddr, rport, lport) & (h->nbuckets - 1)];
  for (; c; c = c->hnext)
    if (owns(c, raddr, rport, lport))
      return (h->last = c);
  return NULL;
}

synack_listener *synack__listener_find(synack_host *h, uint16_t port) {
  synack_listener *l;
  for (l = h->listeners; l; l = l->next)
    if (l->port == port)
      return l;
  return NULL;
}

/* Connections ------------------------------------------------------------- */

static uint8_t auto_wscale(uint32_t rcvbuf) {
  uint8_t s = 0;
  while (s < 14 && (rcvbuf >> s) > 65535)
    s++;
  return s;
}

void synack__conn_opts_resolve(const synack_host *h, const synack_conn_opts *in,
                               synack_conn_opts *out, int family) {
  synack_conn_opts d;
  uint32_t set = in ? in->set : 0;
  memset(&d, 0, sizeof d);
  if (in)
    d = *in;
  d.set = set;
  if (!(set & SYNACK_OPT_SET_ISN))
    d.isn = 0;
  if (!(set & SYNACK_OPT_SET_PORT))
    d.port = 0;
  if (!(set & SYNACK_OPT_SET_MSS) ||
      d.mss == 0) /* MUST-67: from what we can receive */
    d.mss = (uint16_t)(h->cfg.mtu - (family == 6 ? 60 : 40));
  if (!(set & SYNACK_OPT_SET_SNDBUF) || d.sndbuf == 0)
    d.sndbuf = 131072;
  if (!(set & SYNACK_OPT_SET_RCVBUF) || d.rcvbuf == 0)
    d.rcvbuf = 131072;
  if (!(set & SYNACK_OPT_SET_WSCALE))
    d.wscale = (int8_t)auto_wscale(d.rcvbuf);
  if (d.wscale > 14)
    d.wscale = 14;
  if (d.wscale < 0)
    d.wscale = -1;
  if (d.wscale < 0 && d.rcvbuf > 65535)
    d.rcvbuf = 65535; /* no scaling: the window field is the limit */
  if (!(set & SYNACK_OPT_SET_SACK))
    d.sack = 1;
  if (!(set & SYNACK_OPT_SET_TIMESTAMPS))
    d.timestamps = 1;
  if (!(set & SYNACK_OPT_SET_NAGLE))
    d.nagle = 1;
  if (!(set & SYNACK_OPT_SET_DELAYED_ACK))
    d.delayed_ack = 1;
  if (!(set & SYNACK_OPT_SET_KEEPALIVE))
    d.keepalive_us = 0; /* MUST-25: off unless asked for */
  else if (d.keepalive_us == SYNACK_KEEPALIVE_DEFAULT)
    d.keepalive_us = 7200ull * 1000000; /* MUST-28: at least two hours */
  if (!(set & SYNACK_OPT_SET_USER_TIMEOUT))
    d.user_timeout_us = 0;
  if (!(set & SYNACK_OPT_SET_CC))
    d.cc = 0;
  if (!(set & SYNACK_OPT_SET_TTL) || d.ttl == 0)
    d.ttl = 64;
  if (!(set & SYNACK_OPT_SET_TOS))
    d.tos = 0;
  *out = d;
}

synack_conn *synack__conn_new(synack_host *h, const synack_conn_opts *opts) {
  synack_conn *c;
  void *mem;
  int i;
  if (synack__heap_reserve(h) != 0)
    return NULL;
  /* on a cache line: the TCB's first lines are its hot ones (tcb.h) */
  if (posix_memalign(&mem, 64, sizeof *c) != 0)
    return NULL;
  c = memset(mem, 0, sizeof *c);
  c->host = h;
  c->state = SYNACK_CLOSED;
  c->heap_idx = (size_t)-1;
  c->deadline = SYNACK_NEVER;
  for (i = 0; i < SYNACK__T_COUNT; i++)
    c->t[i] = SYNACK_NEVER;
  c->opts = *opts;
  c->cc = synack__cc_get(opts->cc);
  synack__rtt_init(&c->rtt, h->cfg.rto_init_us, h->cfg.rto_min_us,
                   h->cfg.rto_max_us);
  synack__rcvbuf_setup(&c->rcv, opts->rcvbuf);
  c->smss = 536; /* until the peer's SYN says more (MUST-15) */
  c->cc->init(c);
  c->snd.cap = opts->sndbuf;
  c->next = h->conns;
  if (h->conns)
    h->conns->prev = c;
  h->conns = c;
  h->nconns++;
  h->rings.keep = h->nconns; /* a spare ring per connection at most */
  return c;
}

void synack__conn_free(synack_conn *c) {
  synack_host *h = c->host;
  c->freeing = 1;
  if (h->cb.notify)
    h->cb.notify(h->ud, h, c, NULL, SYNACK_NOTICE_FREED, h->now);
  synack__timer_stop_all(c);
  synack__hash_remove(c);
  if (c->prev)
    c->prev->next = c->next;
  else
    h->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  h->nconns--;
  synack__sndbuf_free(&c->snd, &h->rings);
  synack__rcvbuf_free(&c->rcv, &h->rings);
  h->rings.keep = h->nconns;
  synack__ringpool_trim(&h->rings);
  free(c);
}

void synack__conn_maybe_free(synack_conn *c) {
  if (c->state == SYNACK_CLOSED && c->refs <= 0 && c->busy <= 0 && !c->freeing)
    synack__conn_free(c);
}

void synack__set_state(synack_conn *c, synack_state to,
                       const synack_segment *seg, uint64_t now) {
  synack_state from = c->state;
  synack_host *h = c->host;
  if (from == to)
    return;
  c->state = to;
  if (h->cb.state)
    h->cb.state(h->ud, h, c, from, to, seg, now);
}

void synack__notify(synack_conn *c, synack_listener *l, unsigned notices,
                    uint64_t now) {
  synack_host *h = c ? c->host : l->host;
  if (h->cb.notify)
    h->cb.notify(h->ud, h, c, l, notices, now);
}

void synack__conn_closed(synack_conn *c, int err, const synack_segment *seg,
                         uint64_t now) {
  int unclaimed = c->listener != NULL; /* nobody outside knows it yet */
  if (c->state == SYNACK_CLOSED)
    return;
  c->busy++;
  synack__timer_stop_all(c);
  synack__hash_remove(c);
  if (err) {
    c->error = err;
    synack__rcvbuf_flush(&c->rcv); /* RFC 9293 3.10.7.4: queues are flushed */
  }
  synack__sndbuf_free(&c->snd, &c->host->rings);
  synack__set_state(c, SYNACK_CLOSED, seg, now);
  if (unclaimed)
    synack__listener_unlink(c); /* drops the listener's hold */
  else if (err)
    synack__notify(c, NULL, SYNACK_NOTICE_ERROR, now);
  c->busy--;
  synack__conn_maybe_free(c);
}

/* Hooks and output -----------------------------------------------------------
 */

unsigned synack__hook_mask(const synack_host *h, const synack_conn *c,
                           const synack_listener *l) {
  unsigned m = h->hooks;
  if (c) {
    m |= c->hooks;
    if (c->listener)
      m |= c->listener->hooks;
  }
  if (l)
    m |= l->hooks;
  return m;
}

void synack__emit(synack_host *h, synack_conn *c, synack_listener *l,
                  synack_segment *seg, uint64_t now) {
  unsigned mask = synack__hook_mask(h, c, l);
  if (h->cb.hook && (mask & (1u << synack_segment_kind(seg)))) {
    if (h->cb.hook(h->ud, h, c, seg, SYNACK_DIR_OUT, now) == SYNACK_DROP)
      return;
  }
  h->cb.output(h->ud, h, seg, now);
}

/* RFC 5961 7: at most challenge_ack_limit challenge ACKs per second per host.
 */
int synack__challenge_ok(synack_host *h, uint64_t now) {
  if (now - h->chack_start >= 1000000 || now < h->chack_start) {
    h->chack_start = now;
    h->chack_count = 0;
  }
  if (h->chack_count >= h->cfg.challenge_ack_limit)
    return 0;
  h->chack_count++;
  return 1;
}

void synack__reset_for(synack_host *h, synack_conn *c, synack_listener *l,
                       const synack_segment *in, uint64_t now) {
  synack_segment seg;
  if (in->flags & SYNACK_RST) /* never answer a reset */
    return;
  synack_segment_init(&seg);
  seg.src = in->dst;
  seg.dst = in->src;
  seg.sport = in->dport;
  seg.dport = in->sport;
  seg.win = 0;
  if (in->flags & SYNACK_ACK) { /* <SEQ=SEG.ACK><CTL=RST> */
    seg.seq = in->ack;
    seg.flags = SYNACK_RST;
  } else { /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
    uint32_t len = (uint32_t)in->paylen + !!(in->flags & SYNACK_SYN) +
                   !!(in->flags & SYNACK_FIN);
    seg.seq = 0;
    seg.ack = seq_add(in->seq, len);
    seg.flags = SYNACK_RST | SYNACK_ACK;
  }
  synack__emit(h, c, l, &seg, now);
}

/*
 * MUST-46, MUST-57, MUST-63: TCP talks only to unicast addresses. Multicast,
 * the limited broadcast and the unspecified address are refused.
 */
int synack__addr_unicast(const synack_addr *a) {
  static const uint8_t zero[16] = {0};
  if (a->family == 4) {
    if (a->bytes[0] >= 224 || memcmp(a->bytes, zero, 4) == 0)
      return 0; /* 224/4 multicast, 240/4 and 255.255.255.255, 0.0.0.0 */
    return 1;
  }
  if (a->family == 6)
    return a->bytes[0] != 0xff && memcmp(a->bytes, zero, 16) != 0;
  return 0;
}

/* Input: demux, hooks, then the state machine --------------------------------
 */

void synack_host_input(synack_host *h, const synack_segment *seg,
                       uint64_t now) {
  synack_segment copy;
  synack_conn *c;
  synack_listener *l = NULL;
  unsigned mask;
  h->now = now;
  if (seg->src.family != h->cfg.addr.family ||
      seg->dst.family != seg->src.family)
    return;
  if (!synack__addr_unicast(&seg->src) || !synack__addr_unicast(&seg->dst))
    return; /* silently discarded, never answered (MUST-57, MUST-63) */
  if (!same(&seg->dst, &h->cfg.addr))
    return; /* not ours */
  c = synack__hash_lookup(h, &seg->src, seg->sport, seg->dport);
  if (!c)
    l = synack__listener_find(h, seg->dport);
  mask = synack__hook_mask(h, c, l);
  if (h->cb.hook && (mask & (1u << synack_segment_kind(seg)))) {
    synack_verdict v;
    copy = *seg;
    if (c)
      c->busy++;
    v = h->cb.hook(h->ud, h, c, &copy, SYNACK_DIR_IN, now);
    if (c)
      c->busy--;
    if (v == SYNACK_DROP) {
      if (c)
        synack__conn_maybe_free(c);
      return;
    }
    if (v == SYNACK_CHANGED)
      seg = &copy;
    if (c && c->state == SYNACK_CLOSED) { /* the hook aborted it */
      synack__conn_maybe_free(c);
      return;
    }
  }
  if (c && synack__tw_syn_acceptable(c, seg) &&
      (l = synack__listener_find(h, seg->dport)) != NULL &&
      l->nacc < l->backlog) {
    /* MAY-2: the SYN ends TIME-WAIT and opens a new incarnation, whose ISS
       lies well beyond anything the old one sent (RFC 1122 4.2.2.13) */
    synack_seq iss = seq_add(c->snd_max, 65535u + 2u);
    c->busy++;
    synack__conn_closed(c, 0, seg, now);
    c->busy--;
    synack__conn_maybe_free(c);
    synack__listener_reopen(l, seg, iss, now);
  } else if (c) {
    c->busy++;
    synack__conn_input(c, seg, now);
    c->busy--;
    synack__conn_maybe_free(c);
  } else if (l) {
    synack__listener_input(l, seg, now);
  } else {
    synack__reset_for(h, NULL, NULL, seg, now); /* RFC 9293 3.10.7.1 */
  }
}
