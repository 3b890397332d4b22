/* prng.c: xoshiro256** seeded by splitmix64 (see prng.h). */
#include "prng.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

void synack_prng_seed(synack_prng *p, uint64_t seed) {
  uint64_t x = seed;
  int i;
  for (i = 0; i < 4; i++)
    p->s[i] = splitmix64(&x);
}

uint64_t synack_prng_next(synack_prng *p) {
  uint64_t *s = p->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double synack_prng_double(synack_prng *p) {
  return (double)(synack_prng_next(p) >> 11) * (1.0 / 9007199254740992.0);
}

/* Lemire's multiply-shift would need 128-bit products; rejection keeps it
 * exact. */
uint64_t synack_prng_below(synack_prng *p, uint64_t n) {
  uint64_t limit, r;
  if (n == 0)
    return 0;
  limit = UINT64_MAX - UINT64_MAX % n;
  do {
    r = synack_prng_next(p);
  } while (r >= limit);
  return r % n;
}

int synack_prng_chance(synack_prng *p, double prob) {
  if (prob <= 0)
    return 0;
  if (prob >= 1)
    return 1;
  return synack_prng_double(p) < prob;
}
