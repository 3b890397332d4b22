/*
 * isn.c: initial sequence numbers as RFC 6528 3 describes them (and RFC 9293
 * 3.4.1, MUST-8, SHLD-1): a clock ticking every 4 microseconds plus a keyed
 * pseudorandom function of the connection's addresses and ports, so that an
 * outsider cannot guess the ISN of another connection. The function is
 * SipHash-2-4 (Aumasson and Bernstein), written here from its description;
 * the key is the host's isn_secret.
 */
#include <string.h>

#include "tcb.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  int i;
  for (i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

#define SIPROUND                                                               \
  do {                                                                         \
    v0 += v1;                                                                  \
    v1 = ROTL(v1, 13);                                                         \
    v1 ^= v0;                                                                  \
    v0 = ROTL(v0, 32);                                                         \
    v2 += v3;                                                                  \
    v3 = ROTL(v3, 16);                                                         \
    v3 ^= v2;                                                                  \
    v0 += v3;                                                                  \
    v3 = ROTL(v3, 21);                                                         \
    v3 ^= v0;                                                                  \
    v2 += v1;                                                                  \
    v1 = ROTL(v1, 17);                                                         \
    v1 ^= v2;                                                                  \
    v2 = ROTL(v2, 32);                                                         \
  } while (0)

uint64_t synack__siphash24(const uint8_t key[16], const uint8_t *msg,
                           size_t len) {
  uint64_t k0 = le64(key), k1 = le64(key + 8);
  uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
  uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
  uint64_t m, b = (uint64_t)len << 56;
  size_t i, tail = len & 7;
  for (i = 0; i + 8 <= len; i += 8) {
    m = le64(msg + i);
    v3 ^= m;
    SIPROUND;
    SIPROUND;
    v0 ^= m;
  }
  for (i = 0; i < tail; i++)
    b |= (uint64_t)msg[len - tail + i] << (8 * i);
  v3 ^= b;
  SIPROUND;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

synack_seq synack__isn(const uint8_t key[16], const synack_addr *laddr,
                       uint16_t lport, const synack_addr *raddr, uint16_t rport,
                       uint64_t now) {
  uint8_t msg[2 * 17 + 4];
  size_t n = 0;
  msg[n++] = laddr->family;
  memcpy(msg + n, laddr->bytes, 16);
  n += 16;
  msg[n++] = raddr->family;
  memcpy(msg + n, raddr->bytes, 16);
  n += 16;
  msg[n++] = (uint8_t)(lport >> 8);
  msg[n++] = (uint8_t)lport;
  msg[n++] = (uint8_t)(rport >> 8);
  msg[n++] = (uint8_t)rport;
  /* ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M in 4 us
   * ticks */
  return (synack_seq)(uint32_t)(now / 4) +
         (synack_seq)synack__siphash24(key, msg, n);
}
