/*
 * net.c: hosts, links, the event queue, the clock and the trace (net.h).
 *
 * Hot path: a packet a host sends is built into the net's scratch buffer,
 * recorded (a fixed-size record plus its bytes appended to the trace arena),
 * handed to its link, copied once into a pooled buffer when the link queues
 * its delivery, parsed once on delivery and returned to the pool. Pools, the
 * heap and the trace grow geometrically and never shrink, so a steady run
 * allocates nothing per segment.
 */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Packet buffers come in power-of-two classes from 256 bytes to 64 KiB. */
#define POOL_MIN_SHIFT 8
#define POOL_CLASSES 9

typedef struct qent {
  uint64_t t, seq;
  uint8_t *pkt; /* NULL for an alarm */
  uint32_t len, to, from, id;
  uint8_t built; /* synack_build's bytes, untouched: no checksum to verify */
} qent;

/* An address as state records write it ("198.18.0.1", "[2001:db8::1]"). */
typedef struct addr_text {
  synack_addr addr;
  uint8_t len; /* 0: nothing cached yet */
  char text[48];
} addr_text;

typedef struct nhost {
  synack_net *net;
  uint32_t index;
  synack_addr addr;
  synack_link *link;
  synack_host *tcp; /* NULL for a raw host */
  unsigned raw_mask;
  /* state records format the host's address and its peer's: the text of
     the last ones formatted is kept (connections come and go by the
     thousand between the same two addresses) */
  addr_text self_text, peer_text;
} nhost;

struct synack_net {
  uint64_t now, seq;
  uint32_t next_id;
  synack_prng prng;
  synack_net_callbacks cb;
  void *ud;
  int tap_on, tracing;
  /* hosts and links */
  nhost **hosts;
  size_t nhosts, caphosts;
  synack_link **links;
  size_t nlinks, caplinks;
  /* the event queue */
  qent *q;
  size_t nq, capq;
  size_t npackets; /* queued deliveries (not alarms) */
  void *pool[POOL_CLASSES];
  /* the trace */
  synack_event *ev;
  size_t nev, capev, base;
  uint8_t *arena;
  size_t alen, acap;
  /* the delivery being processed, for "no listener" */
  const synack_segment *cur_in;
  uint32_t cur_host, cur_from, cur_id;
  const uint8_t *cur_pkt;
  size_t cur_len;
  uint8_t scratch[SYNACK_MAX_PACKET];
};

const char *synack_why_name(synack_why why) {
  switch (why) {
#define XX(name, text)                                                         \
  case SYNACK_WHY_##name:                                                      \
    return text;
    SYNACK_WHY_MAP(XX)
#undef XX
  default:
    return "unknown";
  }
}

/* Growing arrays ---------------------------------------------------------- */

/* Make room for `need` elements of `size` in *arr (capacity *cap). 0 or -1. */
static int grow(void **arr, size_t *cap, size_t need, size_t size) {
  size_t ncap;
  void *p;
  if (need <= *cap)
    return 0;
  ncap = *cap ? *cap * 2 : 16;
  while (ncap < need)
    ncap *= 2;
  p = realloc(*arr, ncap * size);
  if (!p)
    return -1;
  *arr = p;
  *cap = ncap;
  return 0;
}

/* The packet pool --------------------------------------------------------- */

static int pool_class(size_t len) {
  int c = 0;
  while (c < POOL_CLASSES - 1 && ((size_t)1 << (c + POOL_MIN_SHIFT)) < len)
    c++;
  return c;
}

static uint8_t *pool_get(synack_net *n, size_t len) {
  int c = pool_class(len);
  void *p = n->pool[c];
  if (p) {
    memcpy(&n->pool[c], p, sizeof(void *));
    return p;
  }
  return malloc((size_t)1 << (c + POOL_MIN_SHIFT));
}

static void pool_put(synack_net *n, uint8_t *p, size_t len) {
  int c = pool_class(len);
  memcpy(p, &n->pool[c], sizeof(void *));
  n->pool[c] = p;
}

static void pool_free(synack_net *n) {
  int c;
  for (c = 0; c < POOL_CLASSES; c++) {
    void *p = n->pool[c];
    while (p) {
      void *next;
      memcpy(&next, p, sizeof(void *));
      free(p);
      p = next;
    }
    n->pool[c] = NULL;
  }
}

/* The heap, ordered by (t, seq) ------------------------------------------- */

static int q_before(const qent *a, const qent *b) {
  return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int q_push(synack_net *n, const qent *e) {
  size_t i;
  if (grow((void **)&n->q, &n->capq, n->nq + 1, sizeof(qent)))
    return -1;
  i = n->nq++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!q_before(e, &n->q[parent]))
      break;
    n->q[i] = n->q[parent];
    i = parent;
  }
  n->q[i] = *e;
  return 0;
}

static qent q_pop(synack_net *n) {
  qent top = n->q[0], last = n->q[--n->nq];
  size_t i = 0, sz = n->nq;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    const qent *best = &last;
    if (l < sz && q_before(&n->q[l], best))
      m = l, best = &n->q[l];
    if (r < sz && q_before(&n->q[r], best))
      m = r;
    if (m == i)
      break;
    n->q[i] = n->q[m];
    i = m;
  }
  if (sz > 0)
    n->q[i] = last;
  return top;
}

/* The trace --------------------------------------------------------------- */

/* Append a record (bytes copied into the arena); returns its index or SIZE_MAX.
 */
static size_t record(synack_net *n, const synack_event *e, const void *bytes,
                     size_t len) {
  synack_event *slot;
  if (grow((void **)&n->ev, &n->capev, n->nev + 1, sizeof(synack_event)))
    return SIZE_MAX;
  if (grow((void **)&n->arena, &n->acap, n->alen + len, 1))
    return SIZE_MAX;
  slot = &n->ev[n->nev];
  *slot = *e;
  slot->t = n->now;
  slot->off = n->alen;
  slot->len = (uint32_t)len;
  if (len)
    memcpy(n->arena + n->alen, bytes, len);
  n->alen += len;
  return n->nev++;
}

static synack_event event_of(synack_ev_kind kind, uint32_t host,
                             uint32_t peer) {
  synack_event e;
  memset(&e, 0, sizeof e);
  e.kind = (uint8_t)kind;
  e.host = host;
  e.peer = peer;
  return e;
}

static size_t record_drop(synack_net *n, uint32_t host, uint32_t peer,
                          uint32_t id, synack_why why, const uint8_t *pkt,
                          size_t len) {
  synack_event e = event_of(SYNACK_EV_DROP, host, peer);
  e.why = (uint8_t)why;
  e.id = id;
  return record(n, &e, pkt, len);
}

void synack_net_set_tracing(synack_net *n, int on) {
  n->tracing = on;
}
size_t synack_net_trace_len(const synack_net *n) {
  return n->nev;
}
size_t synack_net_trace_base(const synack_net *n) {
  return n->base;
}

const synack_event *synack_net_trace_get(const synack_net *n, size_t i) {
  return i < n->nev ? &n->ev[i] : NULL;
}

const uint8_t *synack_net_trace_bytes(const synack_net *n,
                                      const synack_event *ev) {
  return n->arena + ev->off;
}

size_t synack_net_record_app(synack_net *n, uint32_t index, const char *text) {
  synack_event e = event_of(SYNACK_EV_APP, index, SYNACK_NOHOST);
  return record(n, &e, text, strlen(text));
}

void synack_net_unrecord(synack_net *n, size_t i) {
  if (n->nev == 0 || i != n->nev - 1)
    return;
  n->alen = n->ev[i].off;
  n->nev--;
}

/* Forget the trace (tracing off): only the coming step's events stay. */
static void trace_reset(synack_net *n) {
  n->base += n->nev;
  n->nev = 0;
  n->alen = 0;
}

/* Sending ----------------------------------------------------------------- */

/* Record, tap and hand to the link a packet built in n->scratch. */
static void transmit(synack_net *n, nhost *from, const synack_addr *dst,
                     size_t len) {
  uint32_t to = synack_net_route(n, from->link, dst);
  uint32_t id = ++n->next_id;
  synack_event e = event_of(SYNACK_EV_SEGMENT, from->index, to);
  e.dir = SYNACK_DIR_OUT;
  e.id = id;
  record(n, &e, n->scratch, len);
  if (n->tap_on && n->cb.tap)
    n->cb.tap(n->ud, n, from->link->index, n->scratch, len, n->now);
  if (to == SYNACK_NOHOST && !(from->link->flags & SYNACK_LINK_EXTERNAL)) {
    record_drop(n, from->index, to, id, SYNACK_WHY_NO_HOST, n->scratch, len);
    return;
  }
  from->link->ops->send(from->link, from->index, to, id, n->scratch, len,
                        n->now);
}

/* A SYN that the host answers with RST: nobody listens on that port. */
static void note_no_listener(synack_net *n, nhost *h,
                             const synack_segment *rst) {
  const synack_segment *in = n->cur_in;
  if (!in || n->cur_host != h->index)
    return;
  if ((in->flags & (SYNACK_SYN | SYNACK_ACK | SYNACK_RST)) != SYNACK_SYN)
    return;
  if (!(rst->flags & SYNACK_RST) || rst->sport != in->dport ||
      rst->dport != in->sport)
    return;
  record_drop(n, n->cur_from, h->index, n->cur_id, SYNACK_WHY_NO_LISTENER,
              n->cur_pkt, n->cur_len);
  n->cur_in = NULL; /* once */
}

/* TCP host callbacks --------------------------------------------------------
 */

static void host_output(void *ud, synack_host *h, const synack_segment *seg,
                        uint64_t now) {
  nhost *nh = ud;
  synack_net *n = nh->net;
  int len = synack_build(seg, n->scratch, sizeof n->scratch);
  (void)h;
  (void)now;
  if (len < 0)
    return; /* the TCP core built something unbuildable: nothing to send */
  note_no_listener(n, nh, seg);
  transmit(n, nh, &seg->dst, (size_t)len);
}

static synack_verdict host_hook(void *ud, synack_host *h, synack_conn *c,
                                synack_segment *seg, synack_dir dir,
                                uint64_t now) {
  nhost *nh = ud;
  synack_net *n = nh->net;
  synack_verdict v;
  (void)h;
  if (!n->cb.hook)
    return SYNACK_PASS;
  v = n->cb.hook(n->ud, n, nh->index, c, seg, dir, now);
  if (v == SYNACK_DROP) {
    int len = synack_build(seg, n->scratch, sizeof n->scratch);
    /* drop records name the sender first */
    uint32_t from = dir == SYNACK_DIR_IN ? n->cur_from : nh->index;
    uint32_t to = dir == SYNACK_DIR_IN
                      ? nh->index
                      : synack_net_route(n, nh->link, &seg->dst);
    record_drop(n, from, to, dir == SYNACK_DIR_IN ? n->cur_id : 0,
                SYNACK_WHY_HOOK, n->scratch, len < 0 ? 0 : (size_t)len);
    if (dir == SYNACK_DIR_IN)
      n->cur_in = NULL;
  }
  return v;
}

/* Decimal digits of v at p; returns the end. */
static char *put_uint(char *p, unsigned v) {
  unsigned t = v;
  char *end;
  do /* count the digits, then write them from the last */
    p++;
  while ((t /= 10) != 0);
  end = p;
  do
    *--p = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  return end;
}

/* `a` as text at p, in brackets when IPv6, through the one-entry cache t. */
static char *put_addr(char *p, addr_text *t, const synack_addr *a) {
  if (t->len == 0 || !synack_addr_equal(&t->addr, a)) {
    char s[48];
    size_t k;
    synack_addr_format(a, s, sizeof s);
    k = strlen(s);
    if (a->family == 6) {
      t->text[0] = '[';
      memcpy(t->text + 1, s, k);
      t->text[k + 1] = ']';
      k += 2;
    } else {
      memcpy(t->text, s, k);
    }
    t->addr = *a;
    t->len = (uint8_t)k;
  }
  memcpy(p, t->text, t->len);
  return p + t->len;
}

/* "198.18.0.1:49152 > 198.18.0.2:80" at out (room for 128); its length. */
static size_t conn_tuple(nhost *nh, const synack_conn *c, char *out) {
  synack_endpoints ep;
  char *p;
  synack_conn_endpoints(c, &ep);
  p = put_addr(out, &nh->self_text, &ep.local_addr);
  *p++ = ':';
  p = put_uint(p, ep.local_port);
  memcpy(p, " > ", 3);
  p = put_addr(p + 3, &nh->peer_text, &ep.remote_addr);
  *p++ = ':';
  p = put_uint(p, ep.remote_port);
  return (size_t)(p - out);
}

static void host_state(void *ud, synack_host *h, synack_conn *c,
                       synack_state from, synack_state to,
                       const synack_segment *seg, uint64_t now) {
  nhost *nh = ud;
  synack_net *n = nh->net;
  synack_event e = event_of(SYNACK_EV_STATE, nh->index, SYNACK_NOHOST);
  char tuple[128];
  size_t len = conn_tuple(nh, c, tuple);
  (void)h;
  e.from = (uint8_t)from;
  e.to = (uint8_t)to;
  e.conn = c;
  record(n, &e, tuple, len);
  if (n->cb.state)
    n->cb.state(n->ud, n, nh->index, c, from, to, seg, now);
}

static void host_notify(void *ud, synack_host *h, synack_conn *c,
                        synack_listener *l, unsigned notices, uint64_t now) {
  nhost *nh = ud;
  synack_net *n = nh->net;
  (void)h;
  if (n->cb.notify)
    n->cb.notify(n->ud, n, nh->index, c, l, notices, now);
}

/* The network ------------------------------------------------------------- */

synack_net *synack_net_new(uint64_t seed, const synack_net_callbacks *cb,
                           void *ud) {
  synack_net *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  synack_prng_seed(&n->prng, seed);
  if (cb)
    n->cb = *cb;
  n->ud = ud;
  n->tracing = 1;
  return n;
}

void synack_net_free(synack_net *n) {
  size_t i;
  if (!n)
    return;
  for (i = 0; i < n->nq; i++)
    if (n->q[i].pkt)
      pool_put(n, n->q[i].pkt, n->q[i].len);
  for (i = 0; i < n->nhosts; i++) {
    if (n->hosts[i]->tcp)
      synack_host_free(n->hosts[i]->tcp);
    free(n->hosts[i]);
  }
  for (i = 0; i < n->nlinks; i++)
    if (n->links[i]->ops->free)
      n->links[i]->ops->free(n->links[i]);
  pool_free(n);
  free(n->hosts);
  free(n->links);
  free(n->q);
  free(n->ev);
  free(n->arena);
  free(n);
}

uint64_t synack_net_now(const synack_net *n) {
  return n->now;
}
synack_prng *synack_net_prng(synack_net *n) {
  return &n->prng;
}
void synack_net_set_tap(synack_net *n, int on) {
  n->tap_on = on;
}

int synack_net_add_link(synack_net *n, synack_link *l) {
  if (grow((void **)&n->links, &n->caplinks, n->nlinks + 1, sizeof(void *)))
    return SYNACK_ENOMEM;
  l->net = n;
  l->index = (uint32_t)n->nlinks;
  n->links[n->nlinks++] = l;
  return 0;
}

size_t synack_net_link_count(const synack_net *n) {
  return n->nlinks;
}

synack_link *synack_net_link(synack_net *n, uint32_t index) {
  return index < n->nlinks ? n->links[index] : NULL;
}

/* Hosts ------------------------------------------------------------------- */

static synack_host *new_tcp_host(synack_net *n, nhost *nh,
                                 const synack_host_config *cfg) {
  synack_host_config c;
  synack_host_callbacks cb;
  size_t i;
  if (cfg) {
    c = *cfg;
  } else {
    synack_host_config_init(&c);
    for (i = 0; i < sizeof c.isn_secret; i++)
      c.isn_secret[i] = (uint8_t)synack_prng_next(&n->prng);
  }
  c.addr = nh->addr;
  memset(&cb, 0, sizeof cb);
  cb.output = host_output;
  cb.hook = host_hook;
  cb.state = host_state;
  cb.notify = host_notify;
  return synack_host_new(&c, &cb, nh);
}

int synack_net_add_host(synack_net *n, const synack_addr *addr, synack_link *l,
                        int raw, const synack_host_config *cfg,
                        uint32_t *index) {
  nhost *nh;
  if (!addr || !l || l->net != n || (addr->family != 4 && addr->family != 6))
    return SYNACK_EINVAL;
  if (synack_net_route(n, l, addr) != SYNACK_NOHOST)
    return SYNACK_EADDRINUSE;
  if (grow((void **)&n->hosts, &n->caphosts, n->nhosts + 1, sizeof(void *)))
    return SYNACK_ENOMEM;
  nh = calloc(1, sizeof *nh);
  if (!nh)
    return SYNACK_ENOMEM;
  nh->net = n;
  nh->index = (uint32_t)n->nhosts;
  nh->addr = *addr;
  nh->link = l;
  if (!raw) {
    nh->tcp = new_tcp_host(n, nh, cfg);
    if (!nh->tcp) {
      free(nh);
      return SYNACK_ENOMEM;
    }
  }
  n->hosts[n->nhosts++] = nh;
  if (index)
    *index = nh->index;
  return 0;
}

size_t synack_net_host_count(const synack_net *n) {
  return n->nhosts;
}

synack_host *synack_net_tcp(synack_net *n, uint32_t index) {
  return index < n->nhosts ? n->hosts[index]->tcp : NULL;
}

const synack_addr *synack_net_host_addr(const synack_net *n, uint32_t index) {
  return index < n->nhosts ? &n->hosts[index]->addr : NULL;
}

synack_link *synack_net_host_link(synack_net *n, uint32_t index) {
  return index < n->nhosts ? n->hosts[index]->link : NULL;
}

int synack_net_host_raw(const synack_net *n, uint32_t index) {
  return index < n->nhosts && n->hosts[index]->tcp == NULL;
}

uint32_t synack_net_host_index(const synack_net *n, const synack_host *host) {
  size_t i;
  for (i = 0; i < n->nhosts; i++)
    if (n->hosts[i]->tcp == host)
      return (uint32_t)i;
  return SYNACK_NOHOST;
}

uint32_t synack_net_route(const synack_net *n, const synack_link *l,
                          const synack_addr *addr) {
  size_t i;
  for (i = 0; i < n->nhosts; i++) {
    const nhost *h = n->hosts[i];
    if (h->link == l && synack_addr_equal(&h->addr, addr))
      return (uint32_t)i;
  }
  return SYNACK_NOHOST;
}

void synack_net_set_raw_hooks(synack_net *n, uint32_t index, unsigned mask) {
  if (index < n->nhosts)
    n->hosts[index]->raw_mask = mask;
}

int synack_net_inject(synack_net *n, uint32_t index,
                      const synack_segment *seg) {
  int len;
  if (index >= n->nhosts)
    return SYNACK_EINVAL;
  len = synack_build(seg, n->scratch, sizeof n->scratch);
  if (len < 0)
    return len;
  transmit(n, n->hosts[index], &seg->dst, (size_t)len);
  return 0;
}

/* For links --------------------------------------------------------------- */

uint8_t *synack_net_deliver(synack_net *n, uint64_t at, uint32_t to,
                            uint32_t from, uint32_t id, const uint8_t *pkt,
                            size_t len) {
  qent e;
  uint8_t *copy = pool_get(n, len);
  if (!copy) {
    record_drop(n, from, to, id, SYNACK_WHY_QUEUE, pkt, len);
    return NULL;
  }
  memcpy(copy, pkt, len);
  e.t = at < n->now ? n->now : at;
  e.seq = n->seq++;
  e.pkt = copy;
  e.len = (uint32_t)len;
  e.to = to;
  e.from = from;
  e.id = id;
  /* n->scratch holds what transmit() built; the sender's link says if it may
   * corrupt */
  e.built = pkt == n->scratch && from < n->nhosts &&
            !(n->hosts[from]->link->flags & SYNACK_LINK_CORRUPTS);
  if (q_push(n, &e)) {
    pool_put(n, copy, len);
    record_drop(n, from, to, id, SYNACK_WHY_QUEUE, pkt, len);
    return NULL;
  }
  n->npackets++;
  return copy;
}

void synack_net_drop(synack_net *n, uint32_t from, uint32_t to, uint32_t id,
                     synack_why why, const uint8_t *pkt, size_t len) {
  record_drop(n, from, to, id, why, pkt, len);
}

void synack_net_tap_input(synack_net *n, const synack_link *l,
                          const uint8_t *pkt, size_t len) {
  if (n->tap_on && n->cb.tap)
    n->cb.tap(n->ud, n, l->index, pkt, len, n->now);
}

size_t synack_net_pending(const synack_net *n) {
  return n->npackets;
}

/* Running ----------------------------------------------------------------- */

void synack_net_alarm(synack_net *n, uint64_t at) {
  qent e;
  memset(&e, 0, sizeof e);
  e.t = at < n->now ? n->now : at;
  e.seq = n->seq++;
  e.to = e.from = SYNACK_NOHOST;
  q_push(n, &e);
}

/* The TCP host whose timer is due first, and when (ties: the lowest index). */
static uint64_t earliest_timer(const synack_net *n, size_t *which) {
  uint64_t best = SYNACK_NEVER;
  size_t i;
  for (i = 0; i < n->nhosts; i++) {
    uint64_t d;
    if (!n->hosts[i]->tcp)
      continue;
    d = synack_host_deadline(n->hosts[i]->tcp);
    if (d < best) {
      best = d;
      *which = i;
    }
  }
  return best;
}

uint64_t synack_net_next_deadline(const synack_net *n) {
  size_t which = 0;
  uint64_t t = earliest_timer(n, &which);
  if (n->nq > 0 && n->q[0].t <= t)
    t = n->q[0].t;
  if (t != SYNACK_NEVER && t < n->now)
    t = n->now;
  return t;
}

/* The segment's kind for hook masks (tcp.h): the first that applies. */
static unsigned kind_of(const synack_segment *seg) {
  if (seg->flags & SYNACK_RST)
    return SYNACK_KIND_RST;
  if (seg->flags & SYNACK_SYN)
    return (seg->flags & SYNACK_ACK) ? SYNACK_KIND_SYNACK : SYNACK_KIND_SYN;
  if (seg->flags & SYNACK_FIN)
    return SYNACK_KIND_FIN;
  if (seg->paylen)
    return SYNACK_KIND_DATA;
  return SYNACK_KIND_ACK;
}

/* Hand a raw host's delivery to the hooks, if it has any for this kind. */
static void raw_input(synack_net *n, nhost *h, synack_segment *seg) {
  if (!(h->raw_mask & (1u << kind_of(seg))) || !n->cb.hook)
    return;
  if (n->cb.hook(n->ud, n, h->index, NULL, seg, SYNACK_DIR_IN, n->now) ==
      SYNACK_DROP)
    record_drop(n, n->cur_from, h->index, n->cur_id, SYNACK_WHY_HOOK,
                n->cur_pkt, n->cur_len);
}

/*
 * Why a packet that does not parse is dropped: "checksum" when its IP header
 * is sound but the TCP checksum fails (the wire corrupted a length or an
 * option), "malformed" otherwise.
 */
static synack_why unparsable_why(const uint8_t *p, size_t len) {
  synack_addr src, dst;
  size_t ihl, tot;
  uint32_t sum;
  memset(&src, 0, sizeof src);
  memset(&dst, 0, sizeof dst);
  if (len >= SYNACK_IP4_HDR && (p[0] >> 4) == 4) {
    ihl = (size_t)(p[0] & 15) * 4;
    tot = (size_t)p[2] << 8 | p[3];
    src.family = dst.family = 4;
    memcpy(src.bytes, p + 12, 4);
    memcpy(dst.bytes, p + 16, 4);
  } else if (len >= SYNACK_IP6_HDR && (p[0] >> 4) == 6) {
    ihl = SYNACK_IP6_HDR;
    tot = SYNACK_IP6_HDR + ((size_t)p[4] << 8 | p[5]);
    src.family = dst.family = 6;
    memcpy(src.bytes, p + 8, 16);
    memcpy(dst.bytes, p + 24, 16);
  } else {
    return SYNACK_WHY_MALFORMED;
  }
  if (ihl < SYNACK_IP4_HDR || tot > len || tot < ihl)
    return SYNACK_WHY_MALFORMED;
  sum = synack_csum_pseudo(&src, &dst, (uint32_t)(tot - ihl));
  sum = synack_csum_add(sum, p + ihl, tot - ihl);
  return synack_csum_fold(sum) == 0xffff ? SYNACK_WHY_MALFORMED
                                         : SYNACK_WHY_CHECKSUM;
}

/* A queued packet arrives: parse, check, record, hand it to its host. */
static size_t deliver(synack_net *n, const qent *e) {
  synack_segment seg;
  nhost *h = n->hosts[e->to];
  synack_event ev = event_of(SYNACK_EV_SEGMENT, e->to, e->from);
  size_t idx;
  /* an in-memory link that cannot corrupt needs no second checksum pass */
  int err = e->built ? synack_parse_built(e->pkt, e->len, &seg)
                     : synack_parse(e->pkt, e->len, &seg);
  if (err < 0)
    return record_drop(n, e->from, e->to, e->id, unparsable_why(e->pkt, e->len),
                       e->pkt, e->len);
  if (!seg.ip_checksum_ok || !seg.tcp_checksum_ok)
    return record_drop(n, e->from, e->to, e->id, SYNACK_WHY_CHECKSUM, e->pkt,
                       e->len);
  ev.dir = SYNACK_DIR_IN;
  ev.id = e->id;
  idx = record(n, &ev, e->pkt, e->len);
  n->cur_in = &seg;
  n->cur_host = h->index;
  n->cur_id = e->id;
  n->cur_from = e->from;
  n->cur_pkt = e->pkt;
  n->cur_len = e->len;
  if (h->tcp)
    synack_host_input(h->tcp, &seg, n->now);
  else
    raw_input(n, h, &seg);
  n->cur_in = NULL;
  n->cur_id = 0;
  n->cur_pkt = NULL;
  return idx;
}

int synack_net_step(synack_net *n, size_t *evi) {
  size_t which = 0, idx = SIZE_MAX;
  uint64_t timer = earliest_timer(n, &which);
  if (!n->tracing)
    trace_reset(n);
  if (n->nq > 0 && n->q[0].t <= timer) {
    qent e = q_pop(n);
    if (e.t > n->now)
      n->now = e.t;
    if (e.pkt) {
      n->npackets--;
      idx = deliver(n, &e);
      pool_put(n, e.pkt, e.len);
    }
  } else if (timer != SYNACK_NEVER) {
    synack_event ev = event_of(SYNACK_EV_TIMER, (uint32_t)which, SYNACK_NOHOST);
    if (timer > n->now)
      n->now = timer;
    idx = record(n, &ev, NULL, 0);
    synack_host_timeout(n->hosts[which]->tcp, n->now);
  } else {
    return 0;
  }
  if (evi)
    *evi = idx;
  return 1;
}

void synack_net_run_until(synack_net *n, uint64_t t) {
  while (synack_net_next_deadline(n) <= t)
    if (!synack_net_step(n, NULL))
      break;
  synack_net_set_now(n, t);
}

void synack_net_set_now(synack_net *n, uint64_t t) {
  if (t > n->now && t != SYNACK_NEVER)
    n->now = t;
}
