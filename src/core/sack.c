/*
 * sack.c: the sender's side of SACK (RFC 2018) and the bookkeeping of
 * SACK-based loss recovery (RFC 6675). The scoreboard is a short ordered
 * array of the byte ranges above SND.UNA that the peer has SACKed, held in
 * the TCB: nothing is allocated per segment. When it is full, the range
 * highest in sequence space is forgotten; that only costs a needless
 * retransmission later. The holes between the ranges are what recovery
 * resends; output.c decides when (cwnd against the pipe).
 */
#include "tcb.h"

#define DUPTHRESH 3 /* RFC 6675 2: DupThresh */

static synack_seq blk_s(const synack_conn *c, int i) {
  return c->sb.blk[i][0];
}
static synack_seq blk_e(const synack_conn *c, int i) {
  return c->sb.blk[i][1];
}

static void recount(synack__scoreboard *sb) {
  int i;
  sb->bytes = 0;
  for (i = 0; i < sb->n; i++)
    sb->bytes += (uint32_t)(sb->blk[i][1] - sb->blk[i][0]);
}

static void remove_at(synack__scoreboard *sb, int i) {
  int k;
  for (k = i; k + 1 < sb->n; k++) {
    sb->blk[k][0] = sb->blk[k + 1][0];
    sb->blk[k][1] = sb->blk[k + 1][1];
  }
  sb->n--;
}

/*
 * Merge [s, e) into the ordered, disjoint ranges. Returns the number of
 * bytes that were not SACKed before. When a new disjoint range finds the
 * array full, the highest range (maybe the new one) is dropped.
 */
static uint32_t merge(synack__scoreboard *sb, synack_seq s, synack_seq e) {
  uint32_t before = sb->bytes;
  int i, k;
  for (i = 0; i < sb->n && seq_lt(sb->blk[i][1], s); i++)
    ;
  if (i < sb->n && seq_leq(sb->blk[i][0], e)) { /* touches range i */
    sb->blk[i][0] = seq_min(sb->blk[i][0], s);
    sb->blk[i][1] = seq_max(sb->blk[i][1], e);
    while (i + 1 < sb->n && seq_leq(sb->blk[i + 1][0], sb->blk[i][1])) {
      sb->blk[i][1] = seq_max(sb->blk[i][1], sb->blk[i + 1][1]);
      remove_at(sb, i + 1);
    }
  } else {
    if (sb->n == SYNACK__SACK_MAX) {
      if (i == sb->n)
        return 0; /* the new range is the highest: forget it */
      sb->n--;    /* forget the highest to make room */
    }
    for (k = sb->n; k > i; k--) {
      sb->blk[k][0] = sb->blk[k - 1][0];
      sb->blk[k][1] = sb->blk[k - 1][1];
    }
    sb->blk[i][0] = s;
    sb->blk[i][1] = e;
    sb->n++;
  }
  recount(sb);
  return sb->bytes > before ? sb->bytes - before : 0;
}

/*
 * Blocks are checked before use (RFC 2018 leaves it to the sender): each must
 * be a non-empty range within (SND.UNA, SND.MAX]; what lies below SND.UNA is
 * cut off (a D-SACK, RFC 2883, is thereby ignored).
 */
int synack__sack_take(synack_conn *c, const synack_seq blk[][2], int n) {
  uint32_t added = 0;
  int i;
  for (i = 0; i < n; i++) {
    synack_seq s = blk[i][0], e = blk[i][1];
    if (!seq_lt(s, e) || seq_gt(e, c->snd_max) || seq_leq(e, c->snd_una))
      continue;
    if (seq_lt(s, c->snd_una))
      s = c->snd_una;
    added += merge(&c->sb, s, e);
  }
  return added > 0;
}

void synack__sack_acked(synack_conn *c) {
  synack__scoreboard *sb = &c->sb;
  while (sb->n > 0 && seq_leq(sb->blk[0][1], c->snd_una))
    remove_at(sb, 0);
  if (sb->n > 0 && seq_lt(sb->blk[0][0], c->snd_una))
    sb->blk[0][0] = c->snd_una;
  recount(sb);
  if (seq_lt(sb->high_rxt, c->snd_una))
    sb->high_rxt = c->snd_una;
}

void synack__sack_clear(synack_conn *c) {
  c->sb.n = 0;
  c->sb.bytes = 0;
  c->sb.high_rxt = c->snd_una;
  c->sb.rxt_watch = 0;
}

/*
 * RFC 6675 IsLost: a byte not SACKed is taken as lost once DupThresh
 * discontiguous SACKed ranges lie above it, or more than (DupThresh - 1) *
 * SMSS SACKed bytes do. Within one hole the answer is the same for every byte.
 */
int synack__sack_is_lost(const synack_conn *c, synack_seq s) {
  uint32_t bytes = 0;
  int i, ranges = 0;
  for (i = c->sb.n - 1; i >= 0 && seq_gt(blk_s(c, i), s); i--) {
    bytes += (uint32_t)(blk_e(c, i) - blk_s(c, i));
    ranges++;
  }
  return ranges >= DUPTHRESH || bytes > (DUPTHRESH - 1) * c->smss;
}

/* The hole number i: [start, end) not SACKed, i = 0..n (the last one may be
 * empty). */
static void hole(const synack_conn *c, int i, synack_seq *a, synack_seq *b) {
  *a = i == 0 ? c->snd_una : blk_e(c, i - 1);
  *b = i < c->sb.n ? blk_s(c, i) : c->snd_max;
}

/*
 * RFC 6675 SetPipe: the bytes thought to be in the network. Every byte not
 * SACKed counts once unless it is lost, and once more if it was resent
 * (below HighRxt).
 */
uint32_t synack__sack_pipe(const synack_conn *c) {
  uint32_t pipe = 0;
  int i;
  for (i = 0; i <= c->sb.n; i++) {
    synack_seq a, b;
    hole(c, i, &a, &b);
    if (!seq_lt(a, b))
      continue;
    if (!synack__sack_is_lost(c, a))
      pipe += (uint32_t)(b - a);
    if (seq_gt(c->sb.high_rxt, a))
      pipe += (uint32_t)(seq_min(b, c->sb.high_rxt) - a);
  }
  return pipe;
}

uint32_t synack__sack_below(const synack_conn *c, synack_seq s) {
  uint32_t n = 0;
  int i;
  for (i = 0; i < c->sb.n && seq_lt(blk_s(c, i), s); i++)
    n += (uint32_t)(seq_min(blk_e(c, i), s) - blk_s(c, i));
  return n;
}

synack_seq synack__sack_skip(const synack_conn *c, synack_seq s) {
  int i;
  for (i = 0; i < c->sb.n; i++)
    if (seq_in(s, blk_s(c, i), blk_e(c, i)))
      return blk_e(c, i);
  return s;
}

synack_seq synack__sack_next_sacked(const synack_conn *c, synack_seq s,
                                    synack_seq end) {
  int i;
  for (i = 0; i < c->sb.n; i++)
    if (seq_geq(blk_s(c, i), s))
      return seq_min(blk_s(c, i), end);
  return end;
}

/*
 * RFC 6675 NextSeg, rules 1 and 3: the first bytes above HighRxt that are
 * not SACKed, in a hole thought lost (rule 1) or in any hole below the
 * highest SACKed byte (rule 3, used when no new data may be sent). At most
 * SMSS bytes, never running into a SACKed range.
 */
int synack__sack_next_hole(const synack_conn *c, int lost_only, synack_seq *seq,
                           uint32_t *len) {
  int i;
  for (i = 0; i < c->sb.n; i++) { /* the hole above the last range is not one */
    synack_seq a, b;
    uint32_t n;
    hole(c, i, &a, &b);
    a = seq_max(a, c->sb.high_rxt);
    if (!seq_lt(a, b))
      continue;
    if (lost_only && !synack__sack_is_lost(c, a))
      continue;
    n = (uint32_t)(b - a);
    *seq = a;
    *len = n < c->smss ? n : c->smss;
    return 1;
  }
  return 0;
}

/*
 * Lost retransmissions. RFC 6675 alone finds a lost retransmission only by
 * the timeout. As RACK (RFC 8985) reasons, once data sent after a
 * retransmission is SACKed while the retransmission is neither ACKed nor
 * SACKed, the retransmission is lost too (barring reordering). One
 * retransmission is watched at a time, the lowest one; when it is lost,
 * HighRxt goes back to it so NextSeg's rule 1 sends it again.
 */
void synack__sack_resent(synack_conn *c, synack_seq s, uint32_t len) {
  synack__scoreboard *sb = &c->sb;
  if (sb->rxt_watch && !seq_lt(s, sb->rxt_seq))
    return;
  sb->rxt_watch = 1;
  sb->rxt_seq = s;
  sb->rxt_end = seq_add(s, len);
  sb->rxt_fence = c->snd_max;
}

/* Watch the lowest hole below HighRxt (resent before, not yet confirmed). */
static void watch_next(synack_conn *c) {
  synack__scoreboard *sb = &c->sb;
  int i;
  sb->rxt_watch = 0;
  for (i = 0; i < sb->n; i++) {
    synack_seq a, b;
    hole(c, i, &a, &b);
    if (!seq_lt(a, sb->high_rxt))
      return;
    if (seq_lt(a, b)) {
      /* when it was sent is not known: SND.MAX now is a late, safe fence */
      synack__sack_resent(c, a, (uint32_t)(seq_min(b, sb->high_rxt) - a));
      return;
    }
  }
}

void synack__sack_check_resent(synack_conn *c) {
  synack__scoreboard *sb = &c->sb;
  if (!sb->rxt_watch)
    return;
  if (seq_geq(c->snd_una, sb->rxt_end) ||
      seq_geq(synack__sack_skip(c, sb->rxt_seq), sb->rxt_end)) {
    watch_next(c); /* it arrived */
    return;
  }
  if (sb->n > 0 && seq_gt(blk_e(c, sb->n - 1), sb->rxt_fence)) {
    sb->high_rxt = seq_max(sb->rxt_seq, c->snd_una);
    sb->rxt_watch = 0;
    sb->lost_rxt++;
  }
}
