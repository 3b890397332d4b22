/* test_buf.c: the send ring and the receive ring with bounded reassembly. */
#include <stdlib.h>

#include "check.h"
#include "tcb.h"

static void test_send_ring_wrap(void) {
  synack__sndbuf b;
  uint8_t scratch[16], in[10] = "0123456789";
  const uint8_t *p;
  memset(&b, 0, sizeof b);
  CHECK_EQ(synack__sndbuf_init(&b, 8, NULL), 0);
  CHECK_EQ(synack__sndbuf_write(&b, in, 10, NULL), 8);
  CHECK_EQ(synack__sndbuf_space(&b), 0);
  synack__sndbuf_drop(&b, 6, NULL);
  CHECK_EQ(synack__sndbuf_write(&b, in + 8, 2, NULL), 2);
  CHECK_EQ(synack__sndbuf_write(&b, in, 4, NULL), 4);
  CHECK_EQ(b.len, 8);
  p = synack__sndbuf_peek(&b, 0, 8, scratch); /* wraps: a copy */
  CHECK(p == scratch);
  CHECK(memcmp(p, "67890123", 8) == 0);
  p = synack__sndbuf_peek(&b, 0, 2, scratch); /* contiguous: in place */
  CHECK(p != scratch);
  CHECK(memcmp(p, "67", 2) == 0);
  synack__sndbuf_free(&b, NULL);
}

static void test_receive_in_order(void) {
  synack__rcvbuf b;
  synack_seq nxt = 0xfffffffcu;
  uint8_t out[32];
  synack__rcvbuf_setup(&b, 16);
  CHECK_EQ(synack__rcvbuf_insert(&b, &nxt, 0xfffffffcu,
                                 (const uint8_t *)"abcdef", 6, NULL),
           6);
  CHECK_EQ(nxt, 2);
  CHECK_EQ(synack__rcvbuf_space(&b), 10);
  CHECK_EQ(synack__rcvbuf_read(&b, out, 4, NULL), 4);
  CHECK(memcmp(out, "abcd", 4) == 0);
  /* more than the space: cut at the window */
  CHECK_EQ(synack__rcvbuf_insert(
               &b, &nxt, 2, (const uint8_t *)"0123456789ABCDEFGH", 18, NULL),
           14);
  CHECK_EQ(synack__rcvbuf_read(&b, out, sizeof out, NULL), 16);
  CHECK(memcmp(out, "ef0123456789ABCD", 16) == 0);
  synack__rcvbuf_free(&b, NULL);
}

static void test_reassembly_islands(void) {
  synack__rcvbuf b;
  synack_seq nxt = 100, sack[4][2];
  uint8_t out[64];
  int i;
  synack__rcvbuf_setup(&b, 64);
  CHECK_EQ(
      synack__rcvbuf_insert(&b, &nxt, 110, (const uint8_t *)"KLM", 3, NULL), 0);
  CHECK_EQ(synack__rcvbuf_insert(&b, &nxt, 120, (const uint8_t *)"UV", 2, NULL),
           0);
  CHECK_EQ(b.nooo, 2);
  CHECK_EQ(synack__rcvbuf_sack(&b, sack, 4), 2);
  CHECK_EQ(sack[0][0], 120); /* the latest first */
  CHECK_EQ(synack__rcvbuf_insert(&b, &nxt, 112, (const uint8_t *)"MNOPQRSTU", 9,
                                 NULL),
           0);
  CHECK_EQ(b.nooo, 1); /* merged into one island 110..122 */
  CHECK_EQ(b.ooo[0][0], 110);
  CHECK_EQ(b.ooo[0][1], 122);
  CHECK_EQ(synack__rcvbuf_insert(&b, &nxt, 100, (const uint8_t *)"ABCDEFGHIJ",
                                 10, NULL),
           22);
  CHECK_EQ(nxt, 122);
  CHECK_EQ(b.nooo, 0);
  CHECK_EQ(synack__rcvbuf_read(&b, out, sizeof out, NULL), 22);
  CHECK(memcmp(out, "ABCDEFGHIJKLMNOPQRSTUV", 22) == 0);
  /* bounded: islands beyond SYNACK__OOO_MAX are dropped */
  for (i = 0; i < SYNACK__OOO_MAX + 2; i++)
    synack__rcvbuf_insert(&b, &nxt, nxt + 2 + 3 * (uint32_t)i,
                          (const uint8_t *)"x", 1, NULL);
  CHECK_EQ(b.nooo, SYNACK__OOO_MAX);
  /* outside the window: ignored */
  CHECK_EQ(
      synack__rcvbuf_insert(&b, &nxt, nxt + 64, (const uint8_t *)"y", 1, NULL),
      0);
  CHECK_EQ(b.nooo, SYNACK__OOO_MAX);
  synack__rcvbuf_free(&b, NULL);
}

/* The receive ring wraps while islands are pending. */
static void test_receive_wrap(void) {
  synack__rcvbuf b;
  synack_seq nxt = 0;
  uint8_t out[16];
  synack__rcvbuf_setup(&b, 8);
  synack__rcvbuf_insert(&b, &nxt, 0, (const uint8_t *)"012345", 6, NULL);
  CHECK_EQ(synack__rcvbuf_read(&b, out, 6, NULL), 6);
  CHECK_EQ(synack__rcvbuf_insert(&b, &nxt, 9, (const uint8_t *)"jkl", 3, NULL),
           0);
  CHECK_EQ(synack__rcvbuf_insert(&b, &nxt, 6, (const uint8_t *)"ghi", 3, NULL),
           6);
  CHECK_EQ(synack__rcvbuf_read(&b, out, 16, NULL), 6);
  CHECK(memcmp(out, "ghijkl", 6) == 0);
  synack__rcvbuf_free(&b, NULL);
}

/* A ring of the first size that empties goes back to the pool (while it
   keeps fewer than `keep`), and the next ring of either kind comes from
   there; a ring that grew past the first size stays with its connection. */
static void test_ring_pool(void) {
  synack__ringpool pool = {NULL, 0, 1};
  synack__sndbuf s;
  synack__rcvbuf r;
  synack_seq nxt = 0;
  uint8_t out[8];
  uint8_t *first;
  memset(&s, 0, sizeof s);
  CHECK_EQ(synack__sndbuf_init(&s, 65536, &pool), 0);
  CHECK_EQ(synack__sndbuf_write(&s, (const uint8_t *)"abc", 3, &pool), 3);
  CHECK_EQ(s.size, SYNACK__RING_FIRST);
  first = s.data;
  synack__sndbuf_drop(&s, 2, &pool);
  CHECK(s.data == first); /* not empty yet */
  synack__sndbuf_drop(&s, 1, &pool);
  CHECK(s.data == NULL);
  CHECK_EQ(pool.n, 1);
  /* the receive ring gets the same memory */
  synack__rcvbuf_setup(&r, 65536);
  CHECK_EQ(synack__rcvbuf_insert(&r, &nxt, 0, (const uint8_t *)"xy", 2, &pool),
           2);
  CHECK(r.data == first);
  CHECK_EQ(pool.n, 0);
  CHECK_EQ(synack__rcvbuf_read(&r, out, 1, &pool), 1);
  CHECK(r.data == first);
  CHECK_EQ(synack__rcvbuf_read(&r, out, 8, &pool), 1);
  CHECK(r.data == NULL);
  CHECK_EQ(pool.n, 1);
  /* a grown ring is not given back when it empties */
  {
    static uint8_t big[3 * SYNACK__RING_FIRST];
    CHECK_EQ(synack__sndbuf_write(&s, big, sizeof big, &pool), sizeof big);
    CHECK(s.size > SYNACK__RING_FIRST);
    synack__sndbuf_drop(&s, sizeof big, &pool);
    CHECK(s.data != NULL);
  }
  synack__sndbuf_free(&s, &pool);
  synack__rcvbuf_free(&r, &pool);
  CHECK_EQ(pool.n, 1);
  /* full: a ring given back now is freed */
  CHECK_EQ(synack__sndbuf_init(&s, 65536, NULL), 0); /* not from the pool */
  CHECK_EQ(pool.n, 1);
  synack__sndbuf_free(&s, &pool);
  CHECK_EQ(pool.n, 1);
  pool.keep = 0;
  synack__ringpool_trim(&pool);
  CHECK(pool.free == NULL);
  CHECK_EQ(pool.n, 0);
}

int main(void) {
  RUN(test_send_ring_wrap);
  RUN(test_receive_in_order);
  RUN(test_reassembly_islands);
  RUN(test_receive_wrap);
  RUN(test_ring_pool);
  return CHECK_DONE();
}
