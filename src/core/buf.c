/*
 * buf.c: the send ring and the receive ring of a connection. A ring is
 * allocated on first use, small, and reallocated at twice the size when the
 * bytes it must hold outgrow it, up to the buffer size the connection was
 * given (so 100,000 quiet connections do not reserve 256 KB each); nothing is
 * allocated per segment. A ring of the first size that empties goes back to
 * its host's pool (a LIFO list, at most one ring per connection of the
 * host), and the next ring of any connection of the host comes from there: a
 * quiet connection holds no ring, and the memory a busy one writes is memory
 * just used, still in the caches. The
 * receive ring also holds out-of-order bytes at their place after RCV.NXT,
 * with a short list of the islands present (bounded reassembly, RFC 9293
 * 3.10.7.4 seventh step lets a receiver keep segments that arrive early).
 */
#include <stdlib.h>
#include <string.h>

#include "tcb.h"

/* A ring of n bytes: from the pool when it is of the first size. */
static uint8_t *ring_alloc(synack__ringpool *pool, uint32_t n) {
  void *p;
  if (pool && n == SYNACK__RING_FIRST && pool->free) {
    p = pool->free;
    memcpy(&pool->free, p, sizeof p);
    pool->n--;
    return p;
  }
  return malloc(n);
}

/* Give back a ring's memory: to the pool when it has room for it. */
static void ring_release(synack__ringpool *pool, uint8_t *data, uint32_t size) {
  if (!data)
    return;
  if (pool && size == SYNACK__RING_FIRST && pool->n < pool->keep) {
    memcpy(data, &pool->free, sizeof pool->free);
    pool->free = data;
    pool->n++;
    return;
  }
  free(data);
}

void synack__ringpool_trim(synack__ringpool *pool) {
  while (pool->n > pool->keep) {
    void *p = pool->free;
    memcpy(&pool->free, p, sizeof p);
    free(p);
    pool->n--;
  }
}

/*
 * Make a ring (data, size, its oldest byte at head) hold at least `need`
 * bytes, need <= cap: a new allocation, doubled until it does (at most cap),
 * with the old bytes laid out from offset 0 so every byte keeps its distance
 * from head. 0, or ENOMEM with the ring unchanged.
 */
static int ring_grow(synack__ringpool *pool, uint8_t **data, uint32_t *size,
                     uint32_t *head, uint32_t need, uint32_t cap) {
  uint32_t n = *size ? *size : SYNACK__RING_FIRST;
  uint8_t *nd;
  if (need <= *size)
    return 0;
  while (n < need)
    n = n > cap / 2 ? cap : n * 2;
  if (n > cap)
    n = cap < need ? need : cap;
  nd = ring_alloc(pool, n);
  if (!nd)
    return SYNACK_ENOMEM;
  if (*data) {
    memcpy(nd, *data + *head, *size - *head);
    memcpy(nd + (*size - *head), *data, *head);
    ring_release(pool, *data, *size);
  }
  *data = nd;
  *size = n;
  *head = 0;
  return 0;
}

int synack__sndbuf_init(synack__sndbuf *b, uint32_t cap,
                        synack__ringpool *pool) {
  if (b->data)
    return 0;
  if (cap == 0)
    cap = 1;
  b->cap = cap;
  b->head = b->len = b->size = 0;
  return ring_grow(pool, &b->data, &b->size, &b->head, 1, cap);
}

void synack__sndbuf_free(synack__sndbuf *b, synack__ringpool *pool) {
  ring_release(pool, b->data, b->size);
  b->data = NULL;
  b->head = b->len = b->size = 0;
}

void synack__trim_buffers(synack_conn *c) {
  if (c->snd.data && c->fin_sent && seq_gt(c->snd_una, c->snd_fin_seq))
    synack__sndbuf_free(&c->snd, &c->host->rings);
  if (c->rcv.data && c->rcv_fin && c->rcv.len == 0)
    synack__rcvbuf_free(&c->rcv, &c->host->rings);
}

uint32_t synack__sndbuf_space(const synack__sndbuf *b) {
  return b->cap - b->len;
}

uint32_t synack__sndbuf_write(synack__sndbuf *b, const uint8_t *p, uint32_t n,
                              synack__ringpool *pool) {
  uint32_t space = b->cap - b->len, tail, first;
  if (n > space)
    n = space;
  if (n > 0 &&
      ring_grow(pool, &b->data, &b->size, &b->head, b->len + n, b->cap))
    n = b->size - b->len; /* out of memory: what fits */
  if (n == 0)
    return 0;
  tail = (b->head + b->len) % b->size;
  first = b->size - tail;
  if (first > n)
    first = n;
  memcpy(b->data + tail, p, first);
  memcpy(b->data, p + first, n - first);
  b->len += n;
  return n;
}

void synack__sndbuf_drop(synack__sndbuf *b, uint32_t n,
                         synack__ringpool *pool) {
  if (n > b->len)
    n = b->len;
  if (b->size)
    b->head = (b->head + n) % b->size;
  b->len -= n;
  if (b->len == 0 && b->size == SYNACK__RING_FIRST)
    synack__sndbuf_free(b, pool); /* empty: back to the pool */
}

const uint8_t *synack__sndbuf_peek(const synack__sndbuf *b, uint32_t off,
                                   uint32_t n, uint8_t *scratch) {
  uint32_t start, first;
  if (n == 0)
    return NULL;
  start = (b->head + off) % b->size;
  if (start + n <= b->size)
    return b->data + start;
  first = b->size - start;
  memcpy(scratch, b->data + start, first);
  memcpy(scratch + first, b->data, n - first);
  return scratch;
}

void synack__rcvbuf_setup(synack__rcvbuf *b, uint32_t cap) {
  memset(b, 0, sizeof *b);
  b->cap = cap ? cap : 1;
}

void synack__rcvbuf_free(synack__rcvbuf *b, synack__ringpool *pool) {
  ring_release(pool, b->data, b->size);
  b->data = NULL;
  b->head = b->len = b->size = 0;
  b->nooo = 0;
}

uint32_t synack__rcvbuf_space(const synack__rcvbuf *b) {
  return b->cap - b->len;
}

/* Copy n bytes to ring offset `off` past the readable bytes. */
static void put(synack__rcvbuf *b, uint32_t off, const uint8_t *p, uint32_t n) {
  uint32_t at = (b->head + b->len + off) % b->size, first = b->size - at;
  if (first > n)
    first = n;
  memcpy(b->data + at, p, first);
  memcpy(b->data, p + first, n - first);
}

/* Remove islands [from, to) from the list. */
static void drop_islands(synack__rcvbuf *b, int from, int to) {
  int n = b->nooo;
  memmove(&b->ooo[from], &b->ooo[to], (size_t)(n - to) * sizeof b->ooo[0]);
  memmove(&b->ooo_age[from], &b->ooo_age[to], (size_t)(n - to));
  b->nooo = (uint8_t)(n - (to - from));
}

/* Island i was just touched: it becomes the youngest, the others age by one. */
static void touch(synack__rcvbuf *b, int i) {
  int k;
  for (k = 0; k < b->nooo; k++)
    if (b->ooo_age[k] < 255)
      b->ooo_age[k]++;
  b->ooo_age[i] = 0;
}

/* Add [s, e) to the islands, merging neighbours. 0, or -1 when there is no
 * room. */
static int add_island(synack__rcvbuf *b, synack_seq s, synack_seq e) {
  int i, j, n = b->nooo;
  for (i = 0; i < n && seq_lt(b->ooo[i][1], s); i++)
    ;
  /* islands i.. may touch [s, e) */
  if (i < n && seq_leq(b->ooo[i][0], e)) {
    b->ooo[i][0] = seq_min(b->ooo[i][0], s);
    b->ooo[i][1] = seq_max(b->ooo[i][1], e);
    for (j = i + 1; j < n && seq_leq(b->ooo[j][0], b->ooo[i][1]); j++)
      b->ooo[i][1] = seq_max(b->ooo[i][1], b->ooo[j][1]);
    if (j > i + 1)
      drop_islands(b, i + 1, j);
    touch(b, i);
    return 0;
  }
  if (n == SYNACK__OOO_MAX)
    return -1;
  memmove(&b->ooo[i + 1], &b->ooo[i], (size_t)(n - i) * sizeof b->ooo[0]);
  memmove(&b->ooo_age[i + 1], &b->ooo_age[i], (size_t)(n - i));
  b->ooo[i][0] = s;
  b->ooo[i][1] = e;
  b->nooo = (uint8_t)(n + 1);
  touch(b, i);
  return 0;
}

long synack__rcvbuf_insert(synack__rcvbuf *b, synack_seq *rcv_nxt,
                           synack_seq seq, const uint8_t *p, uint32_t n,
                           synack__ringpool *pool) {
  uint32_t space = b->cap - b->len, skip, adv = 0;
  synack_seq end;
  if (n == 0)
    return 0;
  if (seq_lt(seq, *rcv_nxt)) { /* cut what we already have */
    skip = (uint32_t)(*rcv_nxt - seq);
    if (skip >= n)
      return 0;
    p += skip;
    n -= skip;
    seq = *rcv_nxt;
  }
  skip = (uint32_t)(seq - *rcv_nxt);
  if (skip >= space)
    return 0;
  if (n > space - skip)
    n = space - skip;
  /* len + skip + n <= cap: the ring grows to hold this segment where it goes */
  if (ring_grow(pool, &b->data, &b->size, &b->head, b->len + skip + n, b->cap))
    return SYNACK_ENOMEM;
  end = seq_add(seq, n);
  if (skip > 0) { /* out of order: keep it only if an island is free */
    if (add_island(b, seq, end) != 0)
      return 0;
    put(b, skip, p, n);
    return 0;
  }
  put(b, 0, p, n);
  b->len += n;
  adv = n;
  *rcv_nxt = end;
  /* islands that are now reached join the readable bytes */
  while (b->nooo > 0 && seq_leq(b->ooo[0][0], *rcv_nxt)) {
    if (seq_gt(b->ooo[0][1], *rcv_nxt)) {
      uint32_t more = (uint32_t)(b->ooo[0][1] - *rcv_nxt);
      b->len += more;
      adv += more;
      *rcv_nxt = b->ooo[0][1];
    }
    drop_islands(b, 0, 1);
  }
  return (long)adv;
}

uint32_t synack__rcvbuf_read(synack__rcvbuf *b, uint8_t *out, uint32_t cap,
                             synack__ringpool *pool) {
  uint32_t n = b->len < cap ? b->len : cap, first;
  if (n == 0)
    return 0;
  first = b->size - b->head;
  if (first > n)
    first = n;
  memcpy(out, b->data + b->head, first);
  memcpy(out + first, b->data, n - first);
  b->head = (b->head + n) % b->size;
  b->len -= n;
  if (b->len == 0 && b->nooo == 0 && b->size == SYNACK__RING_FIRST)
    synack__rcvbuf_free(b, pool); /* empty: back to the pool */
  return n;
}

void synack__rcvbuf_flush(synack__rcvbuf *b) {
  b->head = b->len = 0;
  b->nooo = 0;
}

/*
 * RFC 2018 4: the first block holds the segment that triggered the ACK (the
 * island touched last), the others follow from the most recently changed to
 * the least, so each island is reported in several ACKs in a row.
 */
int synack__rcvbuf_sack(const synack__rcvbuf *b, synack_seq out[][2], int max) {
  uint8_t used[SYNACK__OOO_MAX] = {0};
  int n, i;
  for (n = 0; n < max && n < b->nooo; n++) {
    int best = -1;
    for (i = 0; i < b->nooo; i++)
      if (!used[i] && (best < 0 || b->ooo_age[i] < b->ooo_age[best]))
        best = i;
    used[best] = 1;
    out[n][0] = b->ooo[best][0];
    out[n][1] = b->ooo[best][1];
  }
  return n;
}
