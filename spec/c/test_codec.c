/*
 * test_codec.c: the segment codec (src/core: codec.c, opts.c, csum.c,
 * addr.c, format.c) on its own: round trips, malformed input, checksums,
 * option layouts and tcpdump's text.
 */
#include <stdlib.h>

#include "check.h"
#include "err.h"
#include "segment.h"

/* Two packets made by Scapy, checksums and all. */
static const char *ref_v4_syn = "4500003c1234400040069c60c6120001c612000204d200"
                                "500000000000000000a002ffffb6b5"
                                "0000020405b40402080a000000010000000001030307";
static const char *ref_v6_data =
    "628123450019063c20010db800000000000000000000000120010db8000000000000000000"
    "00"
    "0002005004d2000013890000000150180200f5d4000068656c6c6f";

static size_t unhex(const char *h, uint8_t *out) {
  size_t n = 0;
  unsigned v;
  while (h[0] && h[1] && sscanf(h, "%2x", &v) == 1) {
    out[n++] = (uint8_t)v;
    h += 2;
  }
  return n;
}

static synack_segment make_v4(void) {
  synack_segment s;
  synack_segment_init(&s);
  synack_addr_parse("198.18.0.1", &s.src);
  synack_addr_parse("198.18.0.2", &s.dst);
  s.sport = 1234;
  s.dport = 80;
  return s;
}

static void test_addr(void) {
  synack_addr a, b;
  char t[64];
  CHECK_EQ(synack_addr_parse("198.18.0.1", &a), 0);
  CHECK_EQ(a.family, 4);
  CHECK_EQ(a.bytes[0], 198);
  CHECK_EQ(a.bytes[3], 1);
  synack_addr_format(&a, t, sizeof t);
  CHECK_STR(t, "198.18.0.1");
  CHECK_EQ(synack_addr_parse("2001:db8:0:0:1:0:0:1", &b), 0);
  CHECK_EQ(b.family, 6);
  synack_addr_format(&b, t, sizeof t);
  CHECK_STR(t, "2001:db8::1:0:0:1");
  CHECK(!synack_addr_equal(&a, &b));
  CHECK(synack_addr_equal(&a, &a));
  CHECK_EQ(synack_addr_parse("198.18.0.256", &a), SYNACK_EINVAL);
  CHECK_EQ(synack_addr_parse("", &a), SYNACK_EINVAL);
  CHECK_EQ(synack_addr_parse("1::2::3", &a), SYNACK_EINVAL);
  synack_addr_parse("2001:db8::1", &b);
  synack_addr_format(&b, t, 5);
  CHECK_STR(t, "2001");
}

static void test_flags(void) {
  char t[16];
  uint8_t f = 0;
  synack_flags_format(SYNACK_SYN | SYNACK_ACK, t);
  CHECK_STR(t, "S.");
  synack_flags_format(0xff, t);
  CHECK_STR(t, "FSRP.UEW");
  synack_flags_format(0, t);
  CHECK_STR(t, "");
  CHECK_EQ(synack_flags_parse("P.", &f), 0);
  CHECK_EQ(f, SYNACK_PSH | SYNACK_ACK);
  CHECK_EQ(synack_flags_parse(".F", &f), 0);
  CHECK_EQ(f, SYNACK_FIN | SYNACK_ACK);
  CHECK_EQ(synack_flags_parse("none", &f), 0);
  CHECK_EQ(f, 0);
  CHECK_EQ(synack_flags_parse("SX", &f), SYNACK_EINVAL);
}

/* RFC 1071 section 3's worked example, and an odd length. */
static void test_csum(void) {
  const uint8_t ex[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  const uint8_t odd[] = {0x01, 0x02, 0x03};
  CHECK_EQ(synack_csum_fold(synack_csum_add(0, ex, sizeof ex)), 0xddf2);
  CHECK_EQ(synack_csum_fold(synack_csum_add(0, odd, sizeof odd)),
           0x0102 + 0x0300);
  /* chaining two even chunks is the same as one call */
  CHECK_EQ(
      synack_csum_fold(synack_csum_add(synack_csum_add(0, ex, 4), ex + 4, 4)),
      0xddf2);
}

static void test_opts_encode(void) {
  synack_tcpopts v, back;
  uint8_t o[SYNACK_MAX_TCP_OPTS];
  const uint8_t syn_ts[] = {2, 4, 5, 180, 4, 2, 8, 10, 0, 0,
                            0, 1, 0, 0,   0, 0, 1, 3,  3, 7};
  const uint8_t syn_nots[] = {2, 4, 5, 180, 1, 1, 4, 2, 1, 3, 3, 7};
  const uint8_t ack_ts[] = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8};
  int n;
  memset(&v, 0, sizeof v);
  v.has_mss = 1, v.mss = 1460, v.sack_permitted = 1, v.has_timestamp = 1;
  v.ts_val = 1, v.ts_ecr = 0, v.has_wscale = 1, v.wscale = 7;
  n = synack_opts_encode(&v, o);
  CHECK_EQ(n, sizeof syn_ts);
  CHECK(memcmp(o, syn_ts, sizeof syn_ts) == 0);
  CHECK_EQ(synack_opts_parse(o, (size_t)n, &back), 0);
  CHECK(memcmp(&v, &back, sizeof v) == 0);
  v.has_timestamp = 0;
  n = synack_opts_encode(&v, o);
  CHECK_EQ(n, sizeof syn_nots);
  CHECK(memcmp(o, syn_nots, sizeof syn_nots) == 0);
  memset(&v, 0, sizeof v);
  v.has_timestamp = 1, v.ts_val = 9, v.ts_ecr = 8;
  n = synack_opts_encode(&v, o);
  CHECK_EQ(n, sizeof ack_ts);
  CHECK(memcmp(o, ack_ts, sizeof ack_ts) == 0);
  /* nop,nop,TS then nop,nop,sack with 3 blocks: 12 + 28 = 40 */
  v.nsack = 3;
  v.sack[0][0] = 1, v.sack[0][1] = 2, v.sack[2][1] = 0xffffffffu;
  n = synack_opts_encode(&v, o);
  CHECK_EQ(n, 40);
  CHECK_EQ(o[12], 1);
  CHECK_EQ(o[14], SYNACK_OPT_SACK);
  CHECK_EQ(o[15], 26);
  CHECK_EQ(synack_opts_parse(o, (size_t)n, &back), 0);
  CHECK(memcmp(&v, &back, sizeof v) == 0);
  v.nsack = 4;
  CHECK_EQ(synack_opts_encode(&v, o), SYNACK_ETOOBIG);
  v.has_timestamp = 0;
  CHECK_EQ(synack_opts_encode(&v, o), 36);
  v.nsack = 5;
  CHECK_EQ(synack_opts_encode(&v, o), SYNACK_EINVAL);
}

static void test_opts_parse(void) {
  synack_tcpopts v;
  const uint8_t eol_garbage[] = {1, 0, 99,
                                 0};        /* garbage after EOL is padding */
  const uint8_t short_len[] = {2, 1, 0, 0}; /* length below 2 */
  const uint8_t past_end[] = {1, 1, 8, 10}; /* runs past the end */
  const uint8_t no_len[] = {1, 1, 1, 3};    /* length byte missing */
  const uint8_t bad_mss[] = {2,  3, 5, 1,
                             99, 2, 0, 0}; /* wrong length: skipped */
  CHECK_EQ(synack_opts_parse(eol_garbage, 4, &v), 0);
  CHECK_EQ(synack_opts_parse(short_len, 4, &v), SYNACK_EBADOPTION);
  CHECK_EQ(synack_opts_parse(past_end, 4, &v), SYNACK_EBADOPTION);
  CHECK_EQ(synack_opts_parse(no_len, 4, &v), SYNACK_EBADOPTION);
  CHECK_EQ(synack_opts_parse(bad_mss, 8, &v), 0);
  CHECK_EQ(v.has_mss, 0);
}

/* Parse then build gives the same bytes, then the fields match. */
static void roundtrip(const uint8_t *pkt, size_t len) {
  synack_segment s;
  uint8_t out[2048];
  int n;
  CHECK_EQ(synack_parse(pkt, len, &s), 0);
  CHECK_EQ(synack_build_len(&s), len);
  n = synack_build(&s, out, sizeof out);
  CHECK_EQ(n, (int)len);
  CHECK(n > 0 && memcmp(out, pkt, len) == 0);
}

static void test_reference_packets(void) {
  uint8_t p[256];
  size_t n = unhex(ref_v4_syn, p);
  synack_segment s;
  char line[256];
  CHECK_EQ(synack_parse(p, n, &s), 0);
  CHECK(s.ip_checksum_ok && s.tcp_checksum_ok);
  CHECK_EQ(s.ip_id, 0x1234);
  CHECK_EQ(s.ip_frag, SYNACK_IP_DF);
  CHECK_EQ(s.flags, SYNACK_SYN);
  CHECK_EQ(s.optlen, 20);
  synack_segment_format(&s, line, sizeof line);
  CHECK_STR(line,
            "198.18.0.1.1234 > 198.18.0.2.80: Flags [S], seq 0, win 65535, "
            "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");
  roundtrip(p, n);
  n = unhex(ref_v6_data, p);
  CHECK_EQ(synack_parse(p, n, &s), 0);
  CHECK(s.ip_checksum_ok && s.tcp_checksum_ok);
  CHECK_EQ(s.src.family, 6);
  CHECK_EQ(s.tos, 0x28);
  CHECK_EQ(s.flow, 0x12345);
  CHECK_EQ(s.ttl, 60);
  CHECK_EQ(s.paylen, 5);
  CHECK(memcmp(s.payload, "hello", 5) == 0);
  synack_segment_format(&s, line, sizeof line);
  CHECK_STR(
      line,
      "2001:db8::1.80 > 2001:db8::2.1234: Flags [P.], seq 5001:5006, ack 1, "
      "win 512, length 5");
  roundtrip(p, n);
}

/* Every option kind, IPv4 options, reserved bits, odd payload. */
static const uint8_t every_opt[] = {
    2,  4,  5,    180,                     /* mss 1460 */
    4,  2,                                 /* sackOK */
    8,  10, 0,    0,   0, 1,  0, 0, 0, 2,  /* TS val 1 ecr 2 */
    1,  3,  3,    14,                      /* nop, wscale 14 */
    5,  10, 0,    0,   0, 10, 0, 0, 0, 20, /* sack {10:20} */
    99, 3,  0xab,                          /* unknown kind 99 */
    0,  0,  0};                            /* eol + padding */

static void fill_every(synack_segment *s, const uint8_t *pay, size_t paylen) {
  s->tos = 0xb8;
  s->ttl = 3;
  s->ip_id = 0xbeef;
  s->ip_frag = SYNACK_IP_DF | 0x8000;
  s->flow = 0xfedcb;
  s->seq = 0xfffffffeu;
  s->ack = 77;
  s->flags = 0xff;
  s->reserved = 0x0f;
  s->win = 1;
  s->urp = 2;
  s->optlen = sizeof every_opt;
  memcpy(s->opts, every_opt, sizeof every_opt);
  s->payload = pay;
  s->paylen = paylen;
}

static void test_roundtrip_v4(void) {
  const uint8_t ipopts[] = {1,    1, 1, 0,
                            0x94, 4, 0, 0}; /* nop nop nop eol, router alert */
  synack_segment s = make_v4(), t;
  uint8_t out[512];
  int n;
  char line[512];
  fill_every(&s, (const uint8_t *)"hello", 5);
  s.ip_optlen = sizeof ipopts;
  memcpy(s.ip_opts, ipopts, sizeof ipopts);
  n = synack_build(&s, out, sizeof out);
  CHECK_EQ(n, 20 + 8 + 20 + 36 + 5);
  CHECK_EQ((int)synack_build_len(&s), n);
  CHECK_EQ(synack_parse(out, (size_t)n, &t), 0);
  CHECK(t.ip_checksum_ok && t.tcp_checksum_ok);
  CHECK_EQ(t.tos, 0xb8);
  CHECK_EQ(t.ttl, 3);
  CHECK_EQ(t.ip_id, 0xbeef);
  CHECK_EQ(t.ip_frag, 0xc000);
  CHECK_EQ(t.ip_optlen, 8);
  CHECK(memcmp(t.ip_opts, ipopts, 8) == 0);
  CHECK_EQ(t.seq, 0xfffffffeu);
  CHECK_EQ(t.ack, 77);
  CHECK_EQ(t.flags, 0xff);
  CHECK_EQ(t.reserved, 0x0f);
  CHECK_EQ(t.win, 1);
  CHECK_EQ(t.urp, 2);
  CHECK_EQ(t.optlen, sizeof every_opt);
  CHECK(memcmp(t.opts, every_opt, sizeof every_opt) == 0);
  CHECK_EQ(t.paylen, 5);
  roundtrip(out, (size_t)n);
  synack_segment_format(&t, line, sizeof line);
  CHECK_STR(
      line,
      "198.18.0.1.1234 > 198.18.0.2.80: Flags [FSRP.UEW], seq 4294967294:3, "
      "ack 77, win 1, urg 2, options [mss 1460,sackOK,TS val 1 ecr 2,nop,"
      "wscale 14,sack 1 {10:20},unknown-99 0xab,eol], length 5");
  {
    synack_tcpopts v;
    CHECK_EQ(synack_opts_parse(t.opts, t.optlen, &v), 0);
    CHECK(v.has_mss && v.mss == 1460 && v.sack_permitted && v.has_wscale &&
          v.wscale == 14);
    CHECK(v.has_timestamp && v.ts_val == 1 && v.ts_ecr == 2);
    CHECK(v.nsack == 1 && v.sack[0][0] == 10 && v.sack[0][1] == 20);
  }
}

static void test_roundtrip_v6(void) {
  synack_segment s, t;
  uint8_t out[512], pay[301];
  int n;
  size_t i;
  for (i = 0; i < sizeof pay; i++)
    pay[i] = (uint8_t)i;
  synack_segment_init(&s);
  synack_addr_parse("2001:db8::1", &s.src);
  synack_addr_parse("fe80::1:2", &s.dst);
  s.sport = 65535;
  s.dport = 1;
  fill_every(&s, pay, sizeof pay);
  n = synack_build(&s, out, sizeof out);
  CHECK_EQ(n, 40 + 20 + 36 + 301);
  CHECK_EQ(synack_parse(out, (size_t)n, &t), 0);
  CHECK(t.ip_checksum_ok && t.tcp_checksum_ok);
  CHECK_EQ(t.src.family, 6);
  CHECK(synack_addr_equal(&t.src, &s.src) && synack_addr_equal(&t.dst, &s.dst));
  CHECK_EQ(t.tos, 0xb8);
  CHECK_EQ(t.flow, 0xfedcb);
  CHECK_EQ(t.ttl, 3);
  CHECK_EQ(t.sport, 65535);
  CHECK_EQ(t.paylen, 301);
  CHECK(memcmp(t.payload, pay, sizeof pay) == 0);
  CHECK(memcmp(t.opts, every_opt, sizeof every_opt) == 0);
  roundtrip(out, (size_t)n);
}

/* Malformed input: each case edits a good packet and expects one code. */
static void test_malformed(void) {
  uint8_t good[256], p[256];
  size_t n = unhex(ref_v4_syn, good), n6;
  uint8_t g6[256];
  synack_segment s;
  n6 = unhex(ref_v6_data, g6);
  CHECK_EQ(synack_parse(good, 0, &s), SYNACK_ETRUNCATED);
  CHECK_EQ(synack_parse(good, 19, &s), SYNACK_ETRUNCATED);
  CHECK_EQ(synack_parse(good, n - 1, &s),
           SYNACK_ETRUNCATED); /* total length > buffer */
  CHECK_EQ(synack_parse(g6, 39, &s), SYNACK_ETRUNCATED);
  CHECK_EQ(synack_parse(g6, n6 - 1, &s), SYNACK_ETRUNCATED);
#define EDIT(off, val, code)                                                   \
  do {                                                                         \
    memcpy(p, good, n);                                                        \
    p[off] = (uint8_t)(val);                                                   \
    CHECK_EQ(synack_parse(p, n, &s), code);                                    \
  } while (0)
  EDIT(0, 0x55, SYNACK_EBADVERSION);
  EDIT(0, 0x05, SYNACK_EBADVERSION);
  EDIT(0, 0x44, SYNACK_EBADIPHDR); /* IHL 4 */
  EDIT(
      0, 0x4f,
      SYNACK_ETRUNCATED); /* IHL 15: the IP header takes all 60 bytes, no TCP */
  EDIT(3, 0x10, SYNACK_EBADIPLEN);   /* total 16 < IHL */
  EDIT(9, 17, SYNACK_ENOTTCP);       /* UDP */
  EDIT(6, 0x20, SYNACK_EFRAGMENT);   /* MF */
  EDIT(7, 0x01, SYNACK_EFRAGMENT);   /* offset 8 */
  EDIT(32, 0x40, SYNACK_EBADOFFSET); /* data offset 4 words */
  EDIT(32, 0xf0, SYNACK_EBADOFFSET); /* data offset 60 > 40 bytes of TCP */
  EDIT(41, 1, SYNACK_EBADOPTION);    /* mss length 1 */
  EDIT(41, 40, SYNACK_EBADOPTION);   /* mss runs past the header */
  EDIT(3, 38, SYNACK_ETRUNCATED);    /* total 38: 18 bytes of TCP */
#undef EDIT
  memcpy(p, g6, n6);
  p[6] = 0; /* hop-by-hop options: an extension header */
  CHECK_EQ(synack_parse(p, n6, &s), SYNACK_ENOTTCP);
  p[6] = 6;
  p[0] = 0x70;
  CHECK_EQ(synack_parse(p, n6, &s), SYNACK_EBADVERSION);
  /* link padding after the IP total length is ignored */
  memcpy(p, good, n);
  p[n] = 0xee;
  CHECK_EQ(synack_parse(p, n + 1, &s), 0);
  CHECK(s.tcp_checksum_ok);
}

static void test_checksums(void) {
  uint8_t p[256], out[256];
  size_t n = unhex(ref_v4_syn, p);
  synack_segment s;
  p[37] ^= 1; /* TCP checksum */
  CHECK_EQ(synack_parse(p, n, &s), 0);
  CHECK(s.ip_checksum_ok);
  CHECK(!s.tcp_checksum_ok);
  CHECK_EQ(s.tcp_checksum, 0xb6b4);
  p[37] ^= 1;
  p[11] ^= 1; /* IP header checksum */
  CHECK_EQ(synack_parse(p, n, &s), 0);
  CHECK(!s.ip_checksum_ok);
  CHECK(s.tcp_checksum_ok);
  /* build always writes correct ones */
  CHECK_EQ(synack_build(&s, out, sizeof out), (int)n);
  p[11] ^= 1;
  CHECK(memcmp(out, p, n) == 0);
  p[30] ^=
      0x10; /* a flipped bit in the payload area (ack) breaks the TCP sum */
  CHECK_EQ(synack_parse(p, n, &s), 0);
  CHECK(!s.tcp_checksum_ok);
}

/* A checksum that computes to 0 may be sent as 0xffff; parse-build keeps it. */
static void test_checksum_ffff(void) {
  synack_segment s = make_v4(), t;
  uint8_t out[64], again[64];
  unsigned id;
  int n = 0, found = 0;
  for (id = 0; id < 65536 && !found; id++) {
    s.ip_id = (uint16_t)id;
    n = synack_build(&s, out, sizeof out);
    found = out[10] == 0 && out[11] == 0;
  }
  CHECK(found);
  out[10] = out[11] = 0xff;
  CHECK_EQ(synack_parse(out, (size_t)n, &t), 0);
  CHECK(t.ip_checksum_ok);
  CHECK_EQ(synack_build(&t, again, sizeof again), n);
  CHECK(memcmp(out, again, (size_t)n) == 0);
}

static void test_build_errors(void) {
  synack_segment s = make_v4();
  uint8_t out[64];
  static uint8_t big[70000];
  CHECK_EQ(synack_build(&s, out, 39), SYNACK_ETOOBIG);
  CHECK_EQ(synack_build(&s, out, 40), 40);
  s.optlen = 3;
  CHECK_EQ(synack_build(&s, out, sizeof out), SYNACK_EINVAL);
  s.optlen = 0;
  s.ip_optlen = 2;
  CHECK_EQ(synack_build(&s, out, sizeof out), SYNACK_EINVAL);
  s.ip_optlen = 0;
  synack_addr_parse("::1", &s.dst);
  CHECK_EQ(synack_build(&s, out, sizeof out), SYNACK_EINVAL);
  s = make_v4();
  s.payload = big;
  s.paylen = 65535 - 40 + 1;
  CHECK_EQ(synack_build(&s, big, sizeof big), SYNACK_ETOOBIG);
  s.paylen = 1;
  s.payload = NULL;
  CHECK_EQ(synack_build(&s, out, sizeof out), SYNACK_EINVAL);
}

static void test_format(void) {
  synack_segment s = make_v4();
  char line[256];
  size_t want;
  synack_tcpopts v;
  int n;
  memset(&v, 0, sizeof v);
  v.has_mss = 1, v.mss = 1460, v.sack_permitted = 1, v.has_timestamp = 1;
  v.ts_val = 1, v.has_wscale = 1, v.wscale = 7;
  s.flags = SYNACK_SYN | SYNACK_ACK;
  s.ack = 1;
  n = synack_opts_encode(&v, s.opts);
  s.optlen = (uint8_t)n;
  synack_segment_format(&s, line, sizeof line);
  CHECK_STR(
      line,
      "198.18.0.1.1234 > 198.18.0.2.80: Flags [S.], seq 0, ack 1, win 65535, "
      "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");
  s.optlen = 0;
  s.flags = SYNACK_ACK;
  synack_segment_format(&s, line, sizeof line);
  CHECK_STR(
      line,
      "198.18.0.1.1234 > 198.18.0.2.80: Flags [.], ack 1, win 65535, length 0");
  s.flags = 0;
  synack_segment_format(&s, line, sizeof line);
  CHECK_STR(
      line,
      "198.18.0.1.1234 > 198.18.0.2.80: Flags [none], win 65535, length 0");
  s.flags = SYNACK_RST;
  s.seq = 6;
  synack_segment_format(&s, line, sizeof line);
  CHECK_STR(
      line,
      "198.18.0.1.1234 > 198.18.0.2.80: Flags [R], seq 6, win 65535, length 0");
  s.flags = SYNACK_PSH | SYNACK_ACK;
  s.seq = 1, s.ack = 5001, s.win = 502;
  s.payload = (const uint8_t *)"hello";
  s.paylen = 5;
  want = synack_segment_format(&s, line, sizeof line);
  CHECK_STR(line, "198.18.0.1.1234 > 198.18.0.2.80: Flags [P.], seq 1:6, ack "
                  "5001, win 502, "
                  "length 5");
  CHECK_EQ(want, strlen(line));
  /* snprintf-like truncation */
  CHECK_EQ(synack_segment_format(&s, line, 11), want);
  CHECK_STR(line, "198.18.0.1");
  memset(&v, 0, sizeof v);
  v.nsack = 2;
  v.sack[0][0] = 10, v.sack[0][1] = 20, v.sack[1][0] = 30, v.sack[1][1] = 40;
  s.optlen = (uint8_t)synack_opts_encode(&v, s.opts);
  s.paylen = 0;
  s.flags = SYNACK_ACK | SYNACK_URG;
  s.urp = 7;
  synack_segment_format(&s, line, sizeof line);
  CHECK_STR(
      line,
      "198.18.0.1.1234 > 198.18.0.2.80: Flags [.U], ack 5001, win 502, urg 7, "
      "options [nop,nop,sack 2 {10:20}{30:40}], length 0");
  /* odd options: a wrong known length, a bad length (tcpdump stops there) */
  s.flags = SYNACK_ACK;
  memcpy(s.opts, "\x02\x05\x01\x02\x03\x01\x01\x01", 8);
  s.optlen = 8;
  synack_segment_format(&s, line, sizeof line);
  CHECK_STR(line,
            "198.18.0.1.1234 > 198.18.0.2.80: Flags [.], ack 5001, win 502, "
            "options [mss 258[len 5],nop,nop,nop], length 0");
  memcpy(s.opts, "\x01\x01\x63\x09", 4);
  s.optlen = 4;
  synack_segment_format(&s, line, sizeof line);
  CHECK_STR(line,
            "198.18.0.1.1234 > 198.18.0.2.80: Flags [.], ack 5001, win 502, "
            "options [nop,nop,[bad opt]]");
}

int main(void) {
  RUN(test_addr);
  RUN(test_flags);
  RUN(test_csum);
  RUN(test_opts_encode);
  RUN(test_opts_parse);
  RUN(test_reference_packets);
  RUN(test_roundtrip_v4);
  RUN(test_roundtrip_v6);
  RUN(test_malformed);
  RUN(test_checksums);
  RUN(test_checksum_ffff);
  RUN(test_build_errors);
  RUN(test_format);
  return CHECK_DONE();
}
