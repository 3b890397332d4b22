/*
 * format.c: a segment as the one line tcpdump prints with `-n -S`, without
 * the timestamp and the leading "IP "/"IP6 ", and tcpdump's flag letters.
 * What tcpdump does is the specification here (print-tcp.c behaviour, checked
 * against tcpdump 4.99 by spec/oracle_tcpdump_spec.lua); the application
 * layer that tcpdump may decode after "length N" is not printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "segment.h"

/* An snprintf-like sink: counts what it wanted, writes what fits. */
typedef struct sink {
  char *out;
  size_t cap, len;
} sink;

static void put(sink *s, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  int n;
  size_t i;
  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof tmp)
    n = (int)sizeof tmp - 1;
  for (i = 0; i < (size_t)n; i++, s->len++)
    if (s->cap > 0 && s->len < s->cap - 1)
      s->out[s->len] = tmp[i];
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* tcpdump's letters, in its order; "none" when no flag is set. */
static const struct {
  uint8_t bit;
  char letter;
} flag_letters[] = {{SYNACK_FIN, 'F'}, {SYNACK_SYN, 'S'}, {SYNACK_RST, 'R'},
                    {SYNACK_PSH, 'P'}, {SYNACK_ACK, '.'}, {SYNACK_URG, 'U'},
                    {SYNACK_ECE, 'E'}, {SYNACK_CWR, 'W'}};
#define NFLAGS (sizeof flag_letters / sizeof flag_letters[0])

void synack_flags_format(uint8_t flags, char out[16]) {
  size_t i, n = 0;
  for (i = 0; i < NFLAGS; i++)
    if (flags & flag_letters[i].bit)
      out[n++] = flag_letters[i].letter;
  out[n] = '\0';
}

/* Letters in any order; "" and "none" are no flags. */
int synack_flags_parse(const char *text, uint8_t *flags) {
  size_t i;
  uint8_t f = 0;
  if (strcmp(text, "none") == 0)
    text = "";
  for (; *text; text++) {
    for (i = 0; i < NFLAGS && flag_letters[i].letter != *text; i++) {
    }
    if (i == NFLAGS)
      return SYNACK_EINVAL;
    f |= flag_letters[i].bit;
  }
  *flags = f;
  return 0;
}

/* One option's text; o[0..l) is the whole option (kind, length, data). */
static void format_opt(sink *s, const uint8_t *o, size_t l) {
  size_t i, want = 0;
  switch (o[0]) {
  case SYNACK_OPT_EOL:
    put(s, "eol");
    return;
  case SYNACK_OPT_NOP:
    put(s, "nop");
    return;
  case SYNACK_OPT_MSS:
    put(s, "mss");
    if (l >= 4)
      put(s, " %u", (unsigned)(o[2] << 8 | o[3]));
    want = 4;
    break;
  case SYNACK_OPT_WSCALE:
    put(s, "wscale");
    if (l >= 3)
      put(s, " %u", (unsigned)o[2]);
    want = 3;
    break;
  case SYNACK_OPT_SACK_PERM:
    put(s, "sackOK");
    want = 2;
    break;
  case SYNACK_OPT_TIMESTAMP:
    put(s, "TS");
    if (l >= 10)
      put(s, " val %u ecr %u", (unsigned)get32(o + 2), (unsigned)get32(o + 6));
    want = 10;
    break;
  case SYNACK_OPT_SACK:
    put(s, "sack");
    if ((l - 2) % 8 != 0) {
      put(s, " invalid sack");
    } else {
      put(s, " %u ", (unsigned)((l - 2) / 8));
      for (i = 2; i + 8 <= l; i += 8)
        put(s, "{%u:%u}", (unsigned)get32(o + i), (unsigned)get32(o + i + 4));
    }
    return;
  default:
    put(s, "unknown-%u", (unsigned)o[0]);
    if (l > 2)
      put(s, " 0x");
    for (i = 2; i < l; i++)
      put(s, "%02x", (unsigned)o[i]);
    return;
  }
  if (l != want)
    put(s, "[len %u]", (unsigned)l);
}

/*
 * ", options [a,b,...]": up to and including the first EOL, like tcpdump.
 * An option whose length is below 2 or runs past the header ends the line
 * with "[bad opt]]" and returns -1, as tcpdump gives up there too.
 */
static int format_opts(sink *s, const synack_segment *seg) {
  size_t off = 0, l = 0;
  int r;
  put(s, ", options [");
  while ((r = synack_opts_next(seg->opts, seg->optlen, off, &l)) == 1) {
    if (off > 0)
      put(s, ",");
    format_opt(s, seg->opts + off, l);
    if (seg->opts[off] == SYNACK_OPT_EOL)
      break;
    off += l;
  }
  if (r < 0) {
    put(s, "%s[bad opt]]", off > 0 ? "," : "");
    return -1;
  }
  put(s, "]");
  return 0;
}

/* RFC 9293 3.1 fields in tcpdump's order and with its omissions. */
size_t synack_segment_format(const synack_segment *seg, char *out, size_t cap) {
  sink s;
  char src[48], dst[48], flags[16];
  s.out = out;
  s.cap = cap;
  s.len = 0;
  synack_addr_format(&seg->src, src, sizeof src);
  synack_addr_format(&seg->dst, dst, sizeof dst);
  synack_flags_format(seg->flags, flags);
  put(&s, "%s.%u > %s.%u: Flags [%s]", src, (unsigned)seg->sport, dst,
      (unsigned)seg->dport, flags[0] ? flags : "none");
  if (seg->paylen > 0 ||
      (seg->flags & (SYNACK_SYN | SYNACK_FIN | SYNACK_RST))) {
    put(&s, ", seq %u", (unsigned)seg->seq);
    if (seg->paylen > 0)
      put(&s, ":%u", (unsigned)seq_add(seg->seq, (uint32_t)seg->paylen));
  }
  if (seg->flags & SYNACK_ACK)
    put(&s, ", ack %u", (unsigned)seg->ack);
  put(&s, ", win %u", (unsigned)seg->win);
  if (seg->flags & SYNACK_URG)
    put(&s, ", urg %u", (unsigned)seg->urp);
  if (seg->optlen == 0 || format_opts(&s, seg) == 0)
    put(&s, ", length %u", (unsigned)seg->paylen);
  if (cap > 0)
    out[s.len < cap ? s.len : cap - 1] = '\0';
  return s.len;
}
