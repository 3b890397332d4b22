/*
 * cookie.c: SYN cookies (RFC 4987 3.6). When a listener's SYN queue is full,
 * a SYN is answered with a SYN,ACK whose sequence number encodes what the
 * listener needs to rebuild the connection, and nothing is kept. The ACK
 * that completes such a handshake proves it by acknowledging that number.
 *
 * The cookie (our ISS) is laid out as: 5 bits of a 64-second time slot,
 * 24 bits of a keyed hash (SipHash with the host's secret) of the slot, the
 * 4-tuple, the peer's ISN and the MSS index, and 3 bits indexing the peer's
 * MSS in a short table (rounded down). A cookie is good for the slot it was
 * made in and the one after. What the SYN's other options asked for (window
 * scale, SACK, timestamps) cannot be kept: such connections run without them.
 */
#include <string.h>

#include "tcb.h"

#define SLOT_US (64ull * 1000000)
#define HASH_MASK 0xffffffu

static const uint16_t mss_table[8] = {216,  536,  1024, 1220,
                                      1300, 1400, 1440, 1460};

static uint32_t slot_of(uint64_t now) {
  return (uint32_t)(now / SLOT_US);
}

/* The 24-bit hash of slot, MSS index, tuple (as the peer's segments name it)
 * and peer ISN. */
static uint32_t cookie_hash(const synack_host *h, const synack_segment *seg,
                            uint32_t slot, synack_seq irs, unsigned mss_idx) {
  uint8_t m[4 + 4 + 1 + 32 + 4 + 1];
  size_t n = 0;
  int i;
  for (i = 3; i >= 0; i--)
    m[n++] = (uint8_t)(slot >> (8 * i));
  for (i = 3; i >= 0; i--)
    m[n++] = (uint8_t)(irs >> (8 * i));
  m[n++] = seg->src.family;
  memcpy(m + n, seg->src.bytes, 16);
  n += 16;
  memcpy(m + n, seg->dst.bytes, 16);
  n += 16;
  m[n++] = (uint8_t)(seg->sport >> 8);
  m[n++] = (uint8_t)seg->sport;
  m[n++] = (uint8_t)(seg->dport >> 8);
  m[n++] = (uint8_t)seg->dport;
  m[n++] = (uint8_t)mss_idx;
  /* 'c' apart from the ISN's own use of the key (isn.c hashes other messages)
   */
  m[0] ^= 0xc0;
  return (uint32_t)synack__siphash24(h->cfg.isn_secret, m, n) & HASH_MASK;
}

static uint32_t make(const synack_host *h, const synack_segment *syn,
                     uint32_t slot, unsigned mss_idx) {
  return ((slot & 31u) << 27) |
         (cookie_hash(h, syn, slot, syn->seq, mss_idx) << 3) | mss_idx;
}

/* The largest table entry not above the peer's MSS (536 when it sent none). */
static unsigned mss_index(const synack_segment *syn) {
  synack_tcpopts o;
  unsigned i, mss = 536;
  memset(&o, 0, sizeof o);
  if (synack_opts_parse(syn->opts, syn->optlen, &o) == 0 && o.has_mss && o.mss)
    mss = o.mss;
  for (i = 7; i > 0 && mss_table[i] > mss; i--)
    ;
  return i;
}

/* Answer a SYN with a cookie SYN,ACK: <SEQ=cookie><ACK=SEG.SEQ+1><CTL=SYN,ACK>,
 * MSS only. */
void synack__cookie_send(synack_listener *l, const synack_segment *syn,
                         uint64_t now) {
  synack_host *h = l->host;
  synack_segment seg;
  synack_tcpopts v;
  int n;
  synack_segment_init(&seg);
  seg.src = syn->dst;
  seg.dst = syn->src;
  seg.sport = syn->dport;
  seg.dport = syn->sport;
  seg.ttl = l->opts.ttl;
  seg.tos = l->opts.tos;
  seg.seq = make(h, syn, slot_of(now), mss_index(syn));
  seg.ack = seq_add(syn->seq, 1);
  seg.flags = SYNACK_SYN | SYNACK_ACK;
  seg.win = (uint16_t)(l->opts.rcvbuf < 65535 ? l->opts.rcvbuf : 65535);
  memset(&v, 0, sizeof v);
  v.has_mss = 1;
  v.mss = l->opts.mss;
  n = synack_opts_encode(&v, seg.opts);
  seg.optlen = n > 0 ? (uint8_t)n : 0;
  l->cookie_until = now + 2 * SLOT_US;
  l->cookies_sent++;
  synack__emit(h, NULL, l, &seg, now);
}

/*
 * An ACK (no SYN, no RST) for the listener: does it complete a cookie
 * handshake? Its SEG.ACK - 1 must be a cookie made for its tuple and
 * SEG.SEQ - 1 in this slot or the previous one, and cookies must have been
 * sent lately. Returns 1 with the peer's MSS in *mss.
 */
int synack__cookie_check(synack_listener *l, const synack_segment *ack,
                         uint64_t now, uint16_t *mss) {
  synack_seq cookie = seq_add(ack->ack, (uint32_t)-1),
             irs = seq_add(ack->seq, (uint32_t)-1);
  uint32_t slot = slot_of(now), s;
  int back;
  if (now >= l->cookie_until || (ack->flags & (SYNACK_SYN | SYNACK_RST)))
    return 0;
  for (back = 0; back <= 1 && back <= (int)slot; back++) {
    s = slot - (uint32_t)back;
    if ((cookie >> 27) != (s & 31u))
      continue;
    if (((cookie >> 3) & HASH_MASK) !=
        cookie_hash(l->host, ack, s, irs, cookie & 7u))
      continue;
    *mss = mss_table[cookie & 7u];
    return 1;
  }
  return 0;
}
