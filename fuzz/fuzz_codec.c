/*
 * fuzz_codec.c: libFuzzer target for the segment codec. Any input must parse
 * or fail with a codec error, without reading out of bounds (ASan watches).
 * A packet that parses is built again; the rebuilt packet must parse to the
 * same struct, and when the input's checksums were good the rebuilt bytes
 * must equal the input's (up to the IP length: link padding is dropped).
 * The option walker and the formatter run on every parsed segment, and the
 * raw input is also fed to synack_opts_parse as option bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_struct(const synack_segment *a, const synack_segment *b) {
  if (!synack_addr_equal(&a->src, &b->src) ||
      !synack_addr_equal(&a->dst, &b->dst) || a->tos != b->tos ||
      a->ttl != b->ttl || a->sport != b->sport || a->dport != b->dport ||
      a->seq != b->seq || a->ack != b->ack || a->flags != b->flags ||
      a->reserved != b->reserved || a->win != b->win || a->urp != b->urp ||
      a->optlen != b->optlen || memcmp(a->opts, b->opts, a->optlen) != 0 ||
      a->paylen != b->paylen || memcmp(a->payload, b->payload, a->paylen) != 0)
    abort();
  if (a->src.family == 4 && (a->ip_id != b->ip_id || a->ip_frag != b->ip_frag ||
                             a->ip_optlen != b->ip_optlen ||
                             memcmp(a->ip_opts, b->ip_opts, a->ip_optlen) != 0))
    abort();
  if (a->src.family == 6 && a->flow != b->flow)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  synack_segment seg, again;
  synack_tcpopts view;
  uint8_t out[SYNACK_MAX_PACKET];
  uint8_t enc[SYNACK_MAX_TCP_OPTS];
  char line[1024];
  int r, n;

  (void)synack_opts_parse(
      data, size > SYNACK_MAX_TCP_OPTS ? SYNACK_MAX_TCP_OPTS : size, &view);
  r = synack_parse(data, size, &seg);
  if (r < 0) {
    if (r <= SYNACK__ERR_BASE || r >= SYNACK__ERR_END)
      abort();
    return 0;
  }
  (void)synack_segment_format(&seg, line, sizeof line);
  if (synack_opts_parse(seg.opts, seg.optlen, &view) == 0) {
    n = synack_opts_encode(&view, enc);
    if (n >= 0 && synack_opts_parse(enc, (size_t)n, &view) != 0)
      abort();
  }
  if (seg.optlen % 4 || seg.ip_optlen % 4)
    abort(); /* the wire keeps both in words */
  n = synack_build(&seg, out, sizeof out);
  if (n < 0 || (size_t)n != synack_build_len(&seg) || (size_t)n > size)
    abort();
  if (synack_parse(out, (size_t)n, &again) != 0)
    abort();
  if (!again.ip_checksum_ok || !again.tcp_checksum_ok)
    abort();
  same_struct(&seg, &again);
  if (seg.ip_checksum_ok && seg.tcp_checksum_ok &&
      memcmp(out, data, (size_t)n) != 0)
    abort();
  return 0;
}
