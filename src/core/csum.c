/*
 * csum.c: the Internet checksum (RFC 1071) and the TCP pseudo-header sum
 * (RFC 9293 3.1 for IPv4, RFC 8200 8.1 for IPv6).
 */
#include <string.h>

#include "segment.h"

/* Big-endian 16-bit words, one at a time, folding before the sum overflows. */
static uint32_t add_words(uint32_t sum, const uint8_t *p, size_t len) {
  size_t i;
  for (i = 0; i + 1 < len; i += 2) {
    sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (sum & 0x80000000u)
      sum = (sum & 0xffff) + (sum >> 16);
  }
  if (i < len)
    sum += (uint32_t)p[i] << 8;
  return sum;
}

/*
 * Add `len` bytes to a running 32-bit sum as big-endian 16-bit words. An odd
 * trailing byte counts as the high half of a word. The sum is folded often
 * enough that it never overflows, so callers may chain calls freely as long
 * as every chunk but the last has an even length.
 *
 * The bulk goes 8 bytes at a time: the two 32-bit halves of each 64-bit load
 * add into a 64-bit accumulator in the machine's byte order, which folds to
 * the one's-complement sum of the machine's 16-bit words; on a little-endian
 * machine that is the byte-swapped sum of the big-endian words (RFC 1071
 * 2(B), byte order independence), so one swap at the end puts it right.
 */
uint32_t synack_csum_add(uint32_t sum, const uint8_t *p, size_t len) {
  const uint16_t one = 1;
  uint64_t acc = 0;
  uint32_t part;
  size_t n = len & ~(size_t)7;
  size_t i;
  if (n == 0)
    return add_words(sum, p, len);
  for (i = 0; i < n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    acc += (uint32_t)w;
    acc += w >> 32;
  }
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  part = (uint32_t)acc;
  part = (part & 0xffff) + (part >> 16);
  part = (part & 0xffff) + (part >> 16);
  if (*(const uint8_t *)&one) /* little-endian */
    part = ((part & 0xff) << 8) | (part >> 8);
  sum = (sum & 0xffff) + (sum >> 16) + part;
  return add_words(sum, p + n, len - n);
}

/* Fold the carries back in until 16 bits remain (not inverted). */
uint16_t synack_csum_fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/*
 * The pseudo-header a TCP checksum covers: both addresses, the protocol
 * number and the TCP length. IPv4 uses a 16-bit length, IPv6 a 32-bit one;
 * as one's-complement sums of 16-bit words both come to the same words here.
 */
uint32_t synack_csum_pseudo(const synack_addr *src, const synack_addr *dst,
                            uint32_t tcplen) {
  size_t alen = src->family == 6 ? 16 : 4;
  uint32_t sum = 0;
  sum = synack_csum_add(sum, src->bytes, alen);
  sum = synack_csum_add(sum, dst->bytes, alen);
  sum += 6; /* protocol TCP */
  sum += tcplen >> 16;
  sum += tcplen & 0xffff;
  return sum;
}
