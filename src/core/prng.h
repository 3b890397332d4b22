/*
 * prng.h: the network's pseudo-random numbers, seeded from the script so that
 * a run with the same seed is identical bit for bit. xoshiro256** (Blackman
 * and Vigna), its state filled from the seed by splitmix64. The state is a
 * plain struct the caller owns: nothing here is file-static.
 */
#ifndef SYNACK_PRNG_H
#define SYNACK_PRNG_H

#include <stdint.h>

typedef struct synack_prng {
  uint64_t s[4];
} synack_prng;

/* Seed the generator; every seed (0 included) gives a usable state. */
void synack_prng_seed(synack_prng *p, uint64_t seed);
/* The next 64 random bits. */
uint64_t synack_prng_next(synack_prng *p);
/* A double uniform in [0, 1), from the top 53 bits. */
double synack_prng_double(synack_prng *p);
/* An integer uniform in [0, n); 0 when n is 0. */
uint64_t synack_prng_below(synack_prng *p, uint64_t n);
/* True with probability `prob` (no draw at all when prob <= 0). */
int synack_prng_chance(synack_prng *p, double prob);

#endif
