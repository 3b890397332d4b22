/* test_isn.c: SipHash-2-4 and the RFC 6528 ISN generator. */
#include "check.h"
#include "tcb.h"

static void test_siphash_vectors(void) {
  uint8_t key[16], msg[64];
  int i;
  for (i = 0; i < 16; i++)
    key[i] = (uint8_t)i;
  for (i = 0; i < 64; i++)
    msg[i] = (uint8_t)i;
  /* from the SipHash paper's test vectors (key 00..0f, message 00..len-1) */
  CHECK(synack__siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
  CHECK(synack__siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
  CHECK(synack__siphash24(key, msg, 8) != synack__siphash24(key, msg, 9));
}

/* RFC 6528: the clock part moves every 4 us; the hash part differs per 4-tuple
 * and key. */
static void test_isn(void) {
  uint8_t k1[16] = {1}, k2[16] = {2};
  synack_addr a, b;
  synack_seq x, y;
  synack_addr_parse("198.18.0.1", &a);
  synack_addr_parse("198.18.0.2", &b);
  x = synack__isn(k1, &a, 1000, &b, 80, 0);
  y = synack__isn(k1, &a, 1000, &b, 80, 4000);
  CHECK_EQ((uint32_t)(y - x), 1000);
  CHECK_EQ(synack__isn(k1, &a, 1000, &b, 80, 3), x);
  CHECK(synack__isn(k1, &a, 1001, &b, 80, 0) != x);
  CHECK(synack__isn(k2, &a, 1000, &b, 80, 0) != x);
  CHECK(synack__isn(k1, &b, 1000, &a, 80, 0) != x);
  /* the clock wraps around 2^32 ticks without trouble */
  y = synack__isn(k1, &a, 1000, &b, 80, 4ull << 32);
  CHECK_EQ(y, x);
}

int main(void) {
  RUN(test_siphash_vectors);
  RUN(test_isn);
  return CHECK_DONE();
}
