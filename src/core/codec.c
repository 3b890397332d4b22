/*
 * codec.c: one IP packet (IPv4 RFC 791, IPv6 RFC 8200) holding one TCP
 * segment (RFC 9293 3.1), parsed into a synack_segment and built back.
 * Parse checks each length before it reads; build writes exactly
 * synack_build_len() bytes. Options are in opts.c, checksums in csum.c.
 */
#include <string.h>

#include "err.h"
#include "segment.h"

#define IP_PROTO_TCP 6
#define IP4_MF_OFFSET 0x3fff /* more-fragments bit and fragment offset */

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}
static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

void synack_segment_init(synack_segment *seg) {
  memset(seg, 0, sizeof *seg);
  seg->src.family = 4;
  seg->dst.family = 4;
  seg->ttl = 64;
  seg->win = 65535;
  seg->ip_checksum_ok = 1;
  seg->tcp_checksum_ok = 1;
}

/*
 * The IPv4 header: version 4, IHL of at least 5 words, a total length that
 * covers the header and fits in the buffer (bytes after it, such as link
 * padding, are ignored), protocol TCP, not a fragment (RFC 791 3.1). Sets
 * *tcp and *tcplen to the TCP part.
 */
static int parse_ip4(const uint8_t *buf, size_t len, synack_segment *seg,
                     const uint8_t **tcp, size_t *tcplen) {
  size_t ihl, tot;
  if (len < SYNACK_IP4_HDR)
    return SYNACK_ETRUNCATED;
  ihl = (size_t)(buf[0] & 0x0f) * 4;
  if (ihl < SYNACK_IP4_HDR)
    return SYNACK_EBADIPHDR;
  tot = get16(buf + 2);
  if (tot < ihl)
    return SYNACK_EBADIPLEN;
  if (tot > len)
    return SYNACK_ETRUNCATED;
  if (buf[9] != IP_PROTO_TCP)
    return SYNACK_ENOTTCP;
  seg->ip_frag = get16(buf + 6);
  if (seg->ip_frag & IP4_MF_OFFSET)
    return SYNACK_EFRAGMENT;
  seg->tos = buf[1];
  seg->ip_id = get16(buf + 4);
  seg->ttl = buf[8];
  seg->ip_checksum = get16(buf + 10);
  seg->ip_checksum_ok =
      synack_csum_fold(synack_csum_add(0, buf, ihl)) == 0xffff;
  seg->src.family = seg->dst.family = 4;
  memcpy(seg->src.bytes, buf + 12, 4);
  memcpy(seg->dst.bytes, buf + 16, 4);
  seg->ip_optlen = (uint8_t)(ihl - SYNACK_IP4_HDR);
  memcpy(seg->ip_opts, buf + SYNACK_IP4_HDR, seg->ip_optlen);
  *tcp = buf + ihl;
  *tcplen = tot - ihl;
  return 0;
}

/*
 * The IPv6 fixed header (RFC 8200 3). Only a TCP next header is accepted:
 * a packet with extension headers is reported as ENOTTCP, since synack
 * neither sends nor needs them. A payload length of zero (a jumbogram) leaves
 * no room for TCP and reads as truncated.
 */
static int parse_ip6(const uint8_t *buf, size_t len, synack_segment *seg,
                     const uint8_t **tcp, size_t *tcplen) {
  size_t plen;
  uint32_t first;
  if (len < SYNACK_IP6_HDR)
    return SYNACK_ETRUNCATED;
  plen = get16(buf + 4);
  if (SYNACK_IP6_HDR + plen > len)
    return SYNACK_ETRUNCATED;
  if (buf[6] != IP_PROTO_TCP)
    return SYNACK_ENOTTCP;
  first = get32(buf);
  seg->tos = (uint8_t)(first >> 20);
  seg->flow = first & 0xfffff;
  seg->ttl = buf[7];
  seg->src.family = seg->dst.family = 6;
  memcpy(seg->src.bytes, buf + 8, 16);
  memcpy(seg->dst.bytes, buf + 24, 16);
  seg->ip_checksum_ok = 1; /* IPv6 has no header checksum */
  *tcp = buf + SYNACK_IP6_HDR;
  *tcplen = plen;
  return 0;
}

/*
 * The TCP header (RFC 9293 3.1): a data offset of at least 5 words that fits
 * in the length IP gave, then options whose lengths stay inside the header,
 * then the checksum over the pseudo-header (unless `trust`: the bytes are
 * synack_build's, untouched, so the checksum it wrote is right).
 */
static int parse_tcp(const uint8_t *tcp, size_t tcplen, synack_segment *seg,
                     int trust) {
  size_t doff, off = 0, l = 0;
  int r;
  if (tcplen < SYNACK_TCP_HDR)
    return SYNACK_ETRUNCATED;
  doff = (size_t)(tcp[12] >> 4) * 4;
  if (doff < SYNACK_TCP_HDR || doff > tcplen)
    return SYNACK_EBADOFFSET;
  seg->sport = get16(tcp);
  seg->dport = get16(tcp + 2);
  seg->seq = get32(tcp + 4);
  seg->ack = get32(tcp + 8);
  seg->reserved = tcp[12] & 0x0f;
  seg->flags = tcp[13];
  seg->win = get16(tcp + 14);
  seg->tcp_checksum = get16(tcp + 16);
  seg->urp = get16(tcp + 18);
  seg->optlen = (uint8_t)(doff - SYNACK_TCP_HDR);
  memcpy(seg->opts, tcp + SYNACK_TCP_HDR, seg->optlen);
  while ((r = synack_opts_next(seg->opts, seg->optlen, off, &l)) == 1) {
    if (seg->opts[off] == SYNACK_OPT_EOL)
      break;
    off += l;
  }
  if (r < 0)
    return r;
  seg->payload = tcp + doff;
  seg->paylen = tcplen - doff;
  seg->tcp_checksum_ok =
      trust || synack_csum_fold(synack_csum_add(
                   synack_csum_pseudo(&seg->src, &seg->dst, (uint32_t)tcplen),
                   tcp, tcplen)) == 0xffff;
  return 0;
}

static int parse(const uint8_t *buf, size_t len, synack_segment *seg,
                 int trust) {
  const uint8_t *tcp = NULL;
  size_t tcplen = 0;
  int r;
  synack_segment_init(seg);
  if (len < 1)
    return SYNACK_ETRUNCATED;
  switch (buf[0] >> 4) {
  case 4:
    r = parse_ip4(buf, len, seg, &tcp, &tcplen);
    break;
  case 6:
    r = parse_ip6(buf, len, seg, &tcp, &tcplen);
    break;
  default:
    return SYNACK_EBADVERSION;
  }
  if (r < 0)
    return r;
  return parse_tcp(tcp, tcplen, seg, trust);
}

int synack_parse(const uint8_t *buf, size_t len, synack_segment *seg) {
  return parse(buf, len, seg, 0);
}

int synack_parse_built(const uint8_t *buf, size_t len, synack_segment *seg) {
  return parse(buf, len, seg, 1);
}

static size_t ip_hdr_len(const synack_segment *seg) {
  return seg->src.family == 6 ? SYNACK_IP6_HDR
                              : SYNACK_IP4_HDR + (size_t)seg->ip_optlen;
}

size_t synack_build_len(const synack_segment *seg) {
  return ip_hdr_len(seg) + SYNACK_TCP_HDR + seg->optlen + seg->paylen;
}

/*
 * A checksum that computes to 0x0000 may equally be sent as 0xffff (both are
 * zero in one's complement); keep whichever the parsed packet had, so that
 * parse-then-build gives back the same bytes.
 */
static uint16_t csum_final(uint32_t sum, uint16_t was) {
  uint16_t c = (uint16_t)~synack_csum_fold(sum);
  if (c == 0 && was == 0xffff)
    return 0xffff;
  return c;
}

static void build_ip4(const synack_segment *seg, uint8_t *p, size_t total) {
  size_t ihl = ip_hdr_len(seg);
  p[0] = (uint8_t)(0x40 | (ihl / 4));
  p[1] = seg->tos;
  put16(p + 2, (uint16_t)total);
  put16(p + 4, seg->ip_id);
  put16(p + 6, seg->ip_frag);
  p[8] = seg->ttl;
  p[9] = IP_PROTO_TCP;
  put16(p + 10, 0);
  memcpy(p + 12, seg->src.bytes, 4);
  memcpy(p + 16, seg->dst.bytes, 4);
  memcpy(p + SYNACK_IP4_HDR, seg->ip_opts, seg->ip_optlen);
  put16(p + 10, csum_final(synack_csum_add(0, p, ihl), seg->ip_checksum));
}

static void build_ip6(const synack_segment *seg, uint8_t *p, size_t tcplen) {
  put32(p,
        (uint32_t)6 << 28 | (uint32_t)seg->tos << 20 | (seg->flow & 0xfffff));
  put16(p + 4, (uint16_t)tcplen);
  p[6] = IP_PROTO_TCP;
  p[7] = seg->ttl;
  memcpy(p + 8, seg->src.bytes, 16);
  memcpy(p + 24, seg->dst.bytes, 16);
}

static void build_tcp(const synack_segment *seg, uint8_t *p, size_t tcplen) {
  size_t doff = SYNACK_TCP_HDR + seg->optlen;
  uint32_t sum;
  put16(p, seg->sport);
  put16(p + 2, seg->dport);
  put32(p + 4, seg->seq);
  put32(p + 8, seg->ack);
  p[12] = (uint8_t)((doff / 4) << 4 | (seg->reserved & 0x0f));
  p[13] = seg->flags;
  put16(p + 14, seg->win);
  put16(p + 16, 0);
  put16(p + 18, seg->urp);
  memcpy(p + SYNACK_TCP_HDR, seg->opts, seg->optlen);
  if (seg->paylen)
    memcpy(p + doff, seg->payload, seg->paylen);
  sum = synack_csum_pseudo(&seg->src, &seg->dst, (uint32_t)tcplen);
  put16(p + 16, csum_final(synack_csum_add(sum, p, tcplen), seg->tcp_checksum));
}

int synack_build(const synack_segment *seg, uint8_t *buf, size_t cap) {
  size_t ihl, total, tcplen;
  if (seg->src.family != seg->dst.family)
    return SYNACK_EINVAL;
  if (seg->src.family != 4 && seg->src.family != 6)
    return SYNACK_EINVAL;
  if (seg->optlen % 4 || seg->optlen > SYNACK_MAX_TCP_OPTS)
    return SYNACK_EINVAL;
  if (seg->ip_optlen % 4 || seg->ip_optlen > SYNACK_MAX_IP_OPTS)
    return SYNACK_EINVAL;
  if (seg->paylen && seg->payload == NULL)
    return SYNACK_EINVAL;
  if (seg->paylen > SYNACK_MAX_PACKET)
    return SYNACK_ETOOBIG;
  ihl = ip_hdr_len(seg);
  total = synack_build_len(seg);
  tcplen = total - ihl;
  if (total > SYNACK_MAX_PACKET || total > cap)
    return SYNACK_ETOOBIG;
  if (seg->src.family == 4)
    build_ip4(seg, buf, total);
  else
    build_ip6(seg, buf, tcplen);
  build_tcp(seg, buf + ihl, tcplen);
  return (int)total;
}
