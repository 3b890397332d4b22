/*
 * opts.c: TCP options (RFC 9293 3.2; MSS RFC 9293 3.7.1, window scale and
 * timestamps RFC 7323, SACK RFC 2018), between their wire bytes and the
 * structured view synack_tcpopts.
 */
#include <string.h>

#include "err.h"
#include "segment.h"

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}
static uint8_t *put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
  return p + 2;
}
static uint8_t *put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
  return p + 4;
}

int synack_opts_next(const uint8_t *opts, size_t len, size_t off,
                     size_t *optlen) {
  size_t l;
  if (off >= len)
    return 0;
  if (opts[off] == SYNACK_OPT_EOL || opts[off] == SYNACK_OPT_NOP) {
    *optlen = 1;
    return 1;
  }
  if (off + 1 >= len)
    return SYNACK_EBADOPTION; /* no room for the length byte */
  l = opts[off + 1];
  if (l < 2 || off + l > len)
    return SYNACK_EBADOPTION;
  *optlen = l;
  return 1;
}

/* Fill the view from one known option whose length is right; others are
 * skipped. */
static void opt_view(const uint8_t *o, size_t l, synack_tcpopts *v) {
  size_t i;
  switch (o[0]) {
  case SYNACK_OPT_MSS:
    if (l != 4)
      return;
    v->has_mss = 1;
    v->mss = get16(o + 2);
    break;
  case SYNACK_OPT_WSCALE:
    if (l != 3)
      return;
    v->has_wscale = 1;
    v->wscale = o[2];
    break;
  case SYNACK_OPT_SACK_PERM:
    if (l != 2)
      return;
    v->sack_permitted = 1;
    break;
  case SYNACK_OPT_TIMESTAMP:
    if (l != 10)
      return;
    v->has_timestamp = 1;
    v->ts_val = get32(o + 2);
    v->ts_ecr = get32(o + 6);
    break;
  case SYNACK_OPT_SACK:
    if (l < 10 || (l - 2) % 8 != 0)
      return;
    v->nsack = 0;
    for (i = 2; i + 8 <= l && v->nsack < SYNACK_MAX_SACK; i += 8) {
      v->sack[v->nsack][0] = get32(o + i);
      v->sack[v->nsack][1] = get32(o + i + 4);
      v->nsack++;
    }
    break;
  default:
    break;
  }
}

/*
 * Walk the options up to the first EOL (what follows an EOL is padding, RFC
 * 9293 3.2). A known option with a wrong length is skipped, as Linux does;
 * only a length that is below 2 or runs past the end is an error.
 */
int synack_opts_parse(const uint8_t *opts, size_t len, synack_tcpopts *view) {
  size_t off = 0, l = 0;
  int r;
  memset(view, 0, sizeof *view);
  while ((r = synack_opts_next(opts, len, off, &l)) == 1) {
    if (opts[off] == SYNACK_OPT_EOL)
      break;
    if (opts[off] != SYNACK_OPT_NOP)
      opt_view(opts + off, l, view);
    off += l;
  }
  return r < 0 ? r : 0;
}

/*
 * Linux's layout (tcp_options_write): MSS; then SACK-permitted and the
 * timestamp packed into 12 bytes, or NOP NOP timestamp; NOP NOP
 * SACK-permitted when there is no timestamp; NOP window scale; NOP NOP SACK
 * blocks. Every group is 4-byte aligned, so no padding is left to add except
 * for odd views, which get EOL bytes.
 */
int synack_opts_encode(const synack_tcpopts *view, uint8_t *out) {
  uint8_t buf[64];
  uint8_t *p = buf;
  size_t n, i, nsack = view->nsack;
  if (nsack > SYNACK_MAX_SACK)
    return SYNACK_EINVAL;
  if (view->has_mss) {
    *p++ = SYNACK_OPT_MSS;
    *p++ = 4;
    p = put16(p, view->mss);
  }
  if (view->has_timestamp) {
    if (view->sack_permitted) {
      *p++ = SYNACK_OPT_SACK_PERM;
      *p++ = 2;
    } else {
      *p++ = SYNACK_OPT_NOP;
      *p++ = SYNACK_OPT_NOP;
    }
    *p++ = SYNACK_OPT_TIMESTAMP;
    *p++ = 10;
    p = put32(p, view->ts_val);
    p = put32(p, view->ts_ecr);
  } else if (view->sack_permitted) {
    *p++ = SYNACK_OPT_NOP;
    *p++ = SYNACK_OPT_NOP;
    *p++ = SYNACK_OPT_SACK_PERM;
    *p++ = 2;
  }
  if (view->has_wscale) {
    *p++ = SYNACK_OPT_NOP;
    *p++ = SYNACK_OPT_WSCALE;
    *p++ = 3;
    *p++ = view->wscale;
  }
  if (nsack > 0) {
    if ((size_t)(p - buf) + 4 + 8 * nsack > SYNACK_MAX_TCP_OPTS)
      return SYNACK_ETOOBIG;
    *p++ = SYNACK_OPT_NOP;
    *p++ = SYNACK_OPT_NOP;
    *p++ = SYNACK_OPT_SACK;
    *p++ = (uint8_t)(2 + 8 * nsack);
    for (i = 0; i < nsack; i++) {
      p = put32(p, view->sack[i][0]);
      p = put32(p, view->sack[i][1]);
    }
  }
  while ((p - buf) % 4 != 0)
    *p++ = SYNACK_OPT_EOL;
  n = (size_t)(p - buf);
  if (n > SYNACK_MAX_TCP_OPTS)
    return SYNACK_ETOOBIG;
  memcpy(out, buf, n);
  return (int)n;
}
