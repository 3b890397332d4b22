/*
 * segment.h: one IP packet carrying one TCP segment, parsed or to be built.
 *
 * Two levels, as in smoltcp's wire module: synack_parse() checks every length
 * of untrusted bytes before it reads them and fills a validated struct;
 * synack_build() writes exactly synack_build_len() bytes. The struct keeps
 * everything needed to give back the same bytes (IP ID, TTL, TOS, flow label,
 * IPv4 options, TCP reserved bits, the TCP options byte for byte), so
 * parse-then-build is lossless for any well-formed packet.
 *
 * TCP options are held as their wire bytes (`opts`, `optlen`), the one source
 * of truth; synack_opts_parse() gives a structured view of them and
 * synack_opts_encode() lays a view out again.
 */
#ifndef SYNACK_SEGMENT_H
#define SYNACK_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "seq.h"

/* An IPv4 or IPv6 address. IPv4 uses bytes[0..3]; the rest stays zero. */
typedef struct synack_addr {
  uint8_t family; /* 4 or 6 */
  uint8_t bytes[16];
} synack_addr;

/* TCP header flag bits, as on the wire (RFC 9293 3.1, RFC 3168). */
enum {
  SYNACK_FIN = 0x01,
  SYNACK_SYN = 0x02,
  SYNACK_RST = 0x04,
  SYNACK_PSH = 0x08,
  SYNACK_ACK = 0x10,
  SYNACK_URG = 0x20,
  SYNACK_ECE = 0x40,
  SYNACK_CWR = 0x80
};

/* TCP option kinds synack understands; others are kept as raw bytes. */
enum {
  SYNACK_OPT_EOL = 0,
  SYNACK_OPT_NOP = 1,
  SYNACK_OPT_MSS = 2,
  SYNACK_OPT_WSCALE = 3,
  SYNACK_OPT_SACK_PERM = 4,
  SYNACK_OPT_SACK = 5,
  SYNACK_OPT_TIMESTAMP = 8
};

#define SYNACK_MAX_TCP_OPTS 40 /* 60-byte header less the 20 fixed */
#define SYNACK_MAX_IP_OPTS 40
#define SYNACK_MAX_SACK 4
#define SYNACK_IP4_HDR 20
#define SYNACK_IP6_HDR 40
#define SYNACK_TCP_HDR 20
#define SYNACK_MAX_PACKET 65535
#define SYNACK_IP_DF 0x4000 /* don't-fragment bit of ip_frag */

typedef struct synack_segment {
  /* IP layer */
  synack_addr src, dst; /* both of one family */
  uint8_t tos;          /* IPv4 TOS or IPv6 traffic class */
  uint8_t ttl;          /* IPv4 TTL or IPv6 hop limit */
  uint16_t ip_id;       /* IPv4 identification */
  uint16_t ip_frag;     /* IPv4 flags and fragment offset (DF = 0x4000) */
  uint32_t flow;        /* IPv6 flow label, 20 bits */
  uint8_t ip_optlen;    /* IPv4 options, kept raw */
  uint8_t ip_opts[SYNACK_MAX_IP_OPTS];
  /* TCP layer */
  uint16_t sport, dport;
  synack_seq seq, ack;
  uint8_t flags; /* SYNACK_FIN ... SYNACK_CWR */
  uint8_t
      reserved;   /* the 4 reserved bits after the data offset (incl. AE/NS) */
  uint16_t win;   /* as on the wire, unscaled */
  uint16_t urp;   /* urgent pointer */
  uint8_t optlen; /* multiple of 4 when built by synack_opts_encode */
  uint8_t opts[SYNACK_MAX_TCP_OPTS];
  const uint8_t
      *payload; /* not owned: points into the parsed buffer or the caller's */
  size_t paylen;
  /* set by synack_parse; synack_build always writes correct checksums */
  uint16_t ip_checksum, tcp_checksum; /* as found on the wire */
  uint8_t ip_checksum_ok, tcp_checksum_ok;
} synack_segment;

/* The structured view of a segment's options. */
typedef struct synack_tcpopts {
  uint8_t has_mss, has_wscale, sack_permitted, has_timestamp;
  uint16_t mss;
  uint8_t wscale;
  uint32_t ts_val, ts_ecr;
  uint8_t nsack;
  synack_seq sack[SYNACK_MAX_SACK][2]; /* left edge, right edge */
} synack_tcpopts;

/*
 * Fill `seg` with defaults: IPv4 0.0.0.0 both ways, TTL 64, win 65535, no
 * flags, no options, no payload, IP ID 0, DF clear, checksum_ok flags set.
 */
void synack_segment_init(synack_segment *seg);

/*
 * Parse an IPv4 or IPv6 packet holding TCP. Returns 0, or a negative
 * SYNACK_E* code (ETRUNCATED, EBADVERSION, EBADIPHDR, EBADIPLEN, ENOTTCP,
 * EFRAGMENT, EBADOFFSET, EBADOPTION) and leaves `seg` unspecified. Never
 * reads outside buf[0..len). A wrong checksum is not an error: it shows in
 * ip_checksum_ok / tcp_checksum_ok. seg->payload points into `buf`.
 * Bytes past the IPv4 total length / IPv6 payload length (link padding) are
 * ignored. IPv6 extension headers are not followed: any next header other
 * than TCP is ENOTTCP. A bad option length is only checked up to the first
 * EOL, after which the header holds padding.
 */
int synack_parse(const uint8_t *buf, size_t len, synack_segment *seg);

/*
 * synack_parse for bytes that synack_build wrote and nothing has changed
 * since: the TCP checksum is not computed again (tcp_checksum_ok is set);
 * every length and the IPv4 header checksum are still checked.
 */
int synack_parse_built(const uint8_t *buf, size_t len, synack_segment *seg);

/* The length of the packet synack_build would write (header + options +
 * payload). */
size_t synack_build_len(const synack_segment *seg);

/*
 * Write the packet into buf[0..cap), checksums filled in. Returns the length
 * written, or SYNACK_ETOOBIG when it does not fit in `cap` or in 65535 bytes,
 * or SYNACK_EINVAL when src and dst differ in family or optlen is not a
 * multiple of 4.
 */
int synack_build(const synack_segment *seg, uint8_t *buf, size_t cap);

/*
 * Read the option bytes into a view. Returns 0 or SYNACK_EBADOPTION when an
 * option's length runs past the end or is below 2. Unknown kinds are skipped.
 * So are known kinds of the wrong length (as Linux does), and all after EOL.
 */
int synack_opts_parse(const uint8_t *opts, size_t len, synack_tcpopts *view);

/*
 * Step through option bytes: the option at opts[off] is *optlen bytes long
 * (1 for EOL and NOP). Returns 1 when there is one, 0 at the end, or
 * SYNACK_EBADOPTION when its length byte is missing, below 2 or runs past
 * `len`. It does not stop at EOL; the caller decides.
 */
int synack_opts_next(const uint8_t *opts, size_t len, size_t off,
                     size_t *optlen);

/*
 * Lay out `view` the way Linux does (MSS, SACK-permitted, timestamps, window
 * scale, SACK blocks, NOPs to align), padded to a multiple of 4. Returns the
 * length written to out[0..SYNACK_MAX_TCP_OPTS), or SYNACK_ETOOBIG
 * (SYNACK_EINVAL when nsack is over SYNACK_MAX_SACK).
 */
int synack_opts_encode(const synack_tcpopts *view, uint8_t *out);

/* The Internet checksum (RFC 1071) of `len` bytes, folded, not inverted, added
 * to `sum`. */
uint32_t synack_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t synack_csum_fold(uint32_t sum);
/* The sum of the TCP pseudo-header: src's family of addresses, 6, tcplen. */
uint32_t synack_csum_pseudo(const synack_addr *src, const synack_addr *dst,
                            uint32_t tcplen);

/* Address text: "198.18.0.1" or "2001:db8::1". Returns 0 or SYNACK_EINVAL. */
int synack_addr_parse(const char *text, synack_addr *out);
/* Writes at most 46 bytes with the terminating NUL into `out`. */
void synack_addr_format(const synack_addr *a, char *out, size_t cap);
int synack_addr_equal(const synack_addr *a, const synack_addr *b);

/*
 * tcpdump's one-line form:
 * "198.18.0.1.1234 > 198.18.0.2.80: Flags [S.], seq 0, ack 1, win 65535,
 *  options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"
 * Returns the length it wanted to write (snprintf-like); the output is
 * truncated to cap and always NUL-terminated when cap > 0.
 */
size_t synack_segment_format(const synack_segment *seg, char *out, size_t cap);

/* The flag letters tcpdump prints: "S", "S.", ".", "P.", "F.", "R", "R." ... */
void synack_flags_format(uint8_t flags, char out[16]);
/* The reverse; returns 0 or SYNACK_EINVAL for a letter it does not know. */
int synack_flags_parse(const char *text, uint8_t *flags);

#endif
