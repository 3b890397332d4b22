/*
 * csum.c: the Internet checksum (RFC 1071) and the TCP pseudo-header sum
 * (RFC 9293 3.1 for IPv4, RFC 8200 8.1 for IPv6).
 */
#include "segment.h"

/*
 * Add `len` bytes to a running 32-bit sum as big-endian 16-bit words. An odd
 * trailing byte counts as the high half of a word. The sum is folded often
 * enough that it never overflows, so callers may chain calls freely as long
 * as every chunk but the last has an even length.
 */
uint32_t synack_csum_add(uint32_t sum, const uint8_t *p, size_t len) {
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
