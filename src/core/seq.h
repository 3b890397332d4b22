/*
 * seq.h: TCP sequence numbers (RFC 9293 3.4) as their own type. They live in
 * a 32-bit circle, so order is decided by the sign of the 32-bit difference
 * (the same idea as lwIP's TCP_SEQ_LT). Compare sequence numbers only through
 * these helpers: a bare `<` on two of them is a bug.
 */
#ifndef SYNACK_SEQ_H
#define SYNACK_SEQ_H

#include <stdint.h>

typedef uint32_t synack_seq;

/* a - b as a signed distance; meaningful while |a - b| < 2^31. */
static inline int32_t seq_diff(synack_seq a, synack_seq b) {
  return (int32_t)(uint32_t)(a - b);
}
static inline int seq_lt(synack_seq a, synack_seq b) {
  return seq_diff(a, b) < 0;
}
static inline int seq_leq(synack_seq a, synack_seq b) {
  return seq_diff(a, b) <= 0;
}
static inline int seq_gt(synack_seq a, synack_seq b) {
  return seq_diff(a, b) > 0;
}
static inline int seq_geq(synack_seq a, synack_seq b) {
  return seq_diff(a, b) >= 0;
}
static inline synack_seq seq_add(synack_seq a, uint32_t n) {
  return (synack_seq)(a + n);
}
static inline synack_seq seq_max(synack_seq a, synack_seq b) {
  return seq_gt(a, b) ? a : b;
}
static inline synack_seq seq_min(synack_seq a, synack_seq b) {
  return seq_lt(a, b) ? a : b;
}
/* lo <= s < hi, on the circle */
static inline int seq_in(synack_seq s, synack_seq lo, synack_seq hi) {
  return seq_geq(s, lo) && seq_lt(s, hi);
}

#endif
