/*
 * input.c: SEGMENT ARRIVES for a connection (RFC 9293 3.10.7.3 and 3.10.7.4).
 * The LISTEN state lives in listener.c and the CLOSED state (nobody owns the
 * segment) in host.c. For the synchronized states the checks run in the
 * RFC's order, one function each: sequence number, RST, (security: none),
 * SYN, ACK, (URG: not acted on), text, FIN; RFC 5961's defences against blind
 * attacks are folded into the RST, SYN and ACK steps.
 */
#include <string.h>

#include "tcb.h"

static uint32_t seg_len(const synack_segment *seg) {
  return (uint32_t)seg->paylen + !!(seg->flags & SYNACK_SYN) +
         !!(seg->flags & SYNACK_FIN);
}

/* Options of a SYN: MSS (MUST-14, MUST-15, MUST-16), window scale, SACK,
 * timestamps. */
void synack__syn_options(synack_conn *c, const synack_segment *seg) {
  synack_tcpopts o;
  uint32_t mms_s, mss;
  int v6 = c->raddr.family == 6;
  memset(&o, 0, sizeof o);
  if (synack_opts_parse(seg->opts, seg->optlen, &o) != 0)
    memset(&o, 0, sizeof o); /* MUST-7: a malformed option list is ignored */
  c->peer_mss = o.has_mss && o.mss ? o.mss : (uint16_t)(v6 ? 1220 : 536);
  c->ws_ok = o.has_wscale && c->opts.wscale >= 0;
  c->snd_ws = c->ws_ok ? (o.wscale > 14 ? 14 : o.wscale) : 0; /* RFC 7323 2.3 */
  c->rcv_ws = c->ws_ok ? (uint8_t)c->opts.wscale : 0;
  c->sack_ok = o.sack_permitted && c->opts.sack;
  c->ts_ok = o.has_timestamp && c->opts.timestamps;
  if (c->ts_ok) {
    c->ts_recent = o.ts_val;
    c->ts_recent_at = c->host->now;
  }
  /* MUST-16: the effective send MSS is what the peer takes, bounded by what
     our link carries, less the options every segment will carry */
  mms_s = c->host->cfg.mtu - (v6 ? 40 : 20) - 20;
  mss = c->peer_mss < mms_s ? c->peer_mss : mms_s;
  if (c->ts_ok)
    mss -= 12;
  c->smss = mss > 0 ? mss : 1;
}

/* The options of a later segment, when they matter (MUST-5, MUST-6): 1 when *o
 * is filled. */
static int read_options(const synack_conn *c, const synack_segment *seg,
                        synack_tcpopts *o) {
  if ((!c->ts_ok && !c->sack_ok) || seg->optlen == 0)
    return 0;
  if (synack_opts_parse(seg->opts, seg->optlen, o) != 0)
    return 0;
  return 1;
}

/* RFC 7323 4.3: remember the newest TSval of a segment that covers the last ACK
 * we sent. */
static void take_timestamp(synack_conn *c, const synack_segment *seg,
                           const synack_tcpopts *o, uint64_t now) {
  if (!c->ts_ok || !o->has_timestamp)
    return;
  if (seq_leq(seg->seq, c->last_ack_sent) &&
      (int32_t)(o->ts_val - c->ts_recent) >= 0) {
    c->ts_recent = o->ts_val;
    c->ts_recent_at = now;
  }
}

/*
 * RFC 7323 5.3 (PAWS), before the acceptability test: on a synchronized
 * connection a segment whose TSval is older than TS.Recent is a duplicate
 * from the past. It is dropped and answered with an ACK, unless it is a RST
 * or TS.Recent has gone stale (idle over 24 days, 5.5).
 */
static int paws_reject(synack_conn *c, const synack_segment *seg,
                       const synack_tcpopts *o, uint64_t now) {
  if (!c->ts_ok || !o->has_timestamp || (seg->flags & SYNACK_RST))
    return 0;
  if ((int32_t)(o->ts_val - c->ts_recent) >= 0)
    return 0;
  if (now - c->ts_recent_at > 24ull * 86400 * 1000000) {
    c->ts_recent = o->ts_val; /* stale: take the new clock */
    c->ts_recent_at = now;
    return 0;
  }
  c->paws_drops++;
  return 1;
}

/* RFC 7323 4.1 (RTTM): an ACK of new data echoes when the data was sent. */
static int ts_rtt_sample(synack_conn *c, const synack_tcpopts *o,
                         uint64_t now) {
  int32_t ms;
  if (!c->ts_ok || !o || !o->has_timestamp || o->ts_ecr == 0)
    return 0;
  ms = (int32_t)(synack__ts_now(now) - o->ts_ecr);
  if (ms < 0 || ms > 3600 * 1000)
    return 0; /* not a time we sent */
  synack__rtt_sample(&c->rtt, (uint64_t)ms * 1000);
  return 1;
}

static void challenge_ack(synack_conn *c, uint64_t now) {
  if (synack__challenge_ok(c->host, now)) /* RFC 5961 7 */
    synack__send_ack(c, now);
}

/*
 * The ACK that answers a segment we drop (out of the window, PAWS, an ACK of
 * unsent data). Two ends that disagree about the stream (an injected segment,
 * a rewritten payload) would otherwise answer each other's ACKs for ever (an
 * ACK storm): as Linux does, an answer to a segment that occupies no sequence
 * space goes out at most once per SYNACK__OOW_ACK_US per connection. A
 * segment with data or FIN is always answered: that is how a retransmission
 * of what we already took learns it arrived.
 */
#define SYNACK__OOW_ACK_US 500000
static void oow_ack(synack_conn *c, const synack_segment *seg, uint64_t now) {
  if (seg_len(seg) == 0 || (seg->flags & SYNACK_SYN)) {
    if (c->oow_acked && now - c->oow_ack_at < SYNACK__OOW_ACK_US)
      return;
    c->oow_acked = 1;
    c->oow_ack_at = now;
  }
  synack__send_ack(c, now);
}

static void enter_time_wait(synack_conn *c, const synack_segment *seg,
                            uint64_t now) {
  synack__timer_stop_all(c);
  synack__trim_buffers(c);
  synack__set_state(c, SYNACK_TIME_WAIT, seg, now);
  if (c->state == SYNACK_TIME_WAIT) /* MUST-13: 2 MSL */
    synack__timer_set(c, SYNACK__T_2MSL, now + 2 * c->host->cfg.msl_us);
}

static void established(synack_conn *c, const synack_segment *seg,
                        uint64_t now) {
  synack__timer_stop(c, SYNACK__T_REXMT);
  if (c->nretx == 0 && c->rtt_timing) /* the SYN was sent once: a fair sample */
    synack__rtt_sample(&c->rtt, now - c->rtt_start);
  c->rtt_timing = 0;
  c->nretx = 0;
  c->r1_reached = 0;
  c->rtt.backoff = 0;
  c->cc->init(c);
  if (c->opts.keepalive_us)
    synack__timer_set(c, SYNACK__T_KEEP, now + c->opts.keepalive_us);
  synack__set_state(c, SYNACK_ESTABLISHED, seg, now);
  c->pend |= SYNACK_NOTICE_WRITABLE;
  if (c->fin_queued &&
      c->state == SYNACK_ESTABLISHED) /* a CLOSE made in SYN-RECEIVED */
    synack__set_state(c, SYNACK_FIN_WAIT_1, NULL, now);
}

/* RFC 9293 3.10.7.4, seventh: the segment text. `dseq` is its first data byte.
 */
static void text_step(synack_conn *c, const synack_segment *seg,
                      synack_seq dseq, uint64_t now) {
  long adv;
  int had_holes = c->rcv.nooo > 0;
  if (seg->paylen == 0 || c->rcv_fin)
    return;
  if (c->state != SYNACK_ESTABLISHED && c->state != SYNACK_FIN_WAIT_1 &&
      c->state != SYNACK_FIN_WAIT_2)
    return; /* the peer has closed: text is ignored */
  /* SHLD-3 (3.10.4, RFC 2525 2.17): new data for an application that has
     closed (not shut down) would be lost: reset, as a socket's close does */
  if (c->app_closed &&
      seq_gt(seq_add(dseq, (uint32_t)seg->paylen), c->rcv_nxt)) {
    synack__close_reset(c, seg, now);
    return;
  }
  adv = synack__rcvbuf_insert(&c->rcv, &c->rcv_nxt, dseq, seg->payload,
                              (uint32_t)seg->paylen, &c->host->rings);
  if (adv <= 0) {
    c->ack_now =
        1; /* out of order, duplicate or no room: ACK at once (RFC 5681 4.2) */
    return;
  }
  c->bytes_received += (uint64_t)adv;
  c->pend |= SYNACK_NOTICE_READABLE;
  if (seg->flags &
      SYNACK_PSH) { /* MAY-17: the application may hear of a push */
    synack_seq end = seq_add(dseq, (uint32_t)seg->paylen);
    if (seq_gt(end, c->rcv_nxt))
      end = c->rcv_nxt; /* only what is in order (and not cut off) counts */
    if (!c->rcv_psh || seq_gt(end, c->rcv_psh_seq)) {
      c->rcv_psh = 1;
      c->rcv_psh_seq = end;
    }
    c->pend |= SYNACK_NOTICE_PUSH;
  }
  if (had_holes || !c->opts.delayed_ack || ++c->unacked_segs >= 2) {
    c->ack_now = 1; /* SHLD-19: every second segment; a filled hole at once */
  } else if (c->t[SYNACK__T_DELACK] == SYNACK_NEVER) {
    synack__timer_set(c, SYNACK__T_DELACK,
                      now + c->host->cfg.delack_us); /* MUST-40 */
  }
}

/* The peer's FIN, now in order: RFC 9293 3.10.7.4, eighth. */
static void take_fin(synack_conn *c, const synack_segment *seg, uint64_t now) {
  c->rcv_nxt = seq_add(c->rcv_nxt, 1);
  c->rcv_fin = 1;
  c->rcv_fin_ooo = 0;
  c->ack_now = 1;
  synack__trim_buffers(c);
  c->pend |= SYNACK_NOTICE_READABLE;
  switch (c->state) {
  case SYNACK_SYN_RECEIVED:
  case SYNACK_ESTABLISHED:
    synack__set_state(c, SYNACK_CLOSE_WAIT, seg, now);
    break;
  case SYNACK_FIN_WAIT_1:
    if (c->fin_sent && seq_gt(c->snd_una, c->snd_fin_seq))
      enter_time_wait(c, seg, now);
    else
      synack__set_state(c, SYNACK_CLOSING, seg, now);
    break;
  case SYNACK_FIN_WAIT_2:
    enter_time_wait(c, seg, now);
    break;
  default:
    break;
  }
}

static void fin_step(synack_conn *c, const synack_segment *seg, synack_seq dseq,
                     uint64_t now) {
  if (c->state == SYNACK_TIME_WAIT && (seg->flags & SYNACK_FIN)) {
    c->ack_now = 1; /* a FIN again: acknowledge it, restart the 2 MSL wait */
    synack__timer_set(c, SYNACK__T_2MSL, now + 2 * c->host->cfg.msl_us);
    return;
  }
  if (c->rcv_fin)
    return;
  if (seg->flags & SYNACK_FIN) {
    synack_seq fseq = seq_add(dseq, (uint32_t)seg->paylen);
    if (seq_gt(fseq, c->rcv_nxt)) { /* beyond a hole: keep it for later */
      c->rcv_fin_ooo = 1;
      c->rcv_fin_seq = fseq;
      c->ack_now = 1;
    } else if (fseq == c->rcv_nxt) {
      take_fin(c, seg, now);
      return;
    }
  }
  if (c->rcv_fin_ooo && c->rcv_fin_seq == c->rcv_nxt)
    take_fin(c, seg, now);
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static void syn_sent(synack_conn *c, const synack_segment *seg, uint64_t now) {
  int ack = !!(seg->flags & SYNACK_ACK);
  /* first: the ACK must cover our SYN and nothing more */
  if (ack && (seq_leq(seg->ack, c->iss) || seq_gt(seg->ack, c->snd_max))) {
    synack__reset_for(c->host, c, NULL, seg, now); /* not for a RST */
    return;
  }
  /* second: a RST with an acceptable ACK refuses the connection (RFC 5961 3.2)
   */
  if (seg->flags & SYNACK_RST) {
    if (ack)
      synack__conn_closed(c, SYNACK_ECONNREFUSED, seg, now);
    return;
  }
  /* third: security, not done. fourth: the SYN */
  if (!(seg->flags & SYNACK_SYN))
    return; /* fifth: neither SYN nor RST */
  c->irs = seg->seq;
  c->rcv_nxt = c->rcv_adv = seq_add(seg->seq, 1);
  c->last_rcv = now;
  synack__syn_options(c, seg);
  c->snd_wnd = seg->win; /* a SYN's window is never scaled (RFC 7323 2.2) */
  c->max_sndwnd = c->snd_wnd;
  c->snd_wl1 = seg->seq;
  c->snd_wl2 = seg->ack;
  if (ack) {
    c->snd_una = seg->ack;
    established(c, seg, now);
    if (c->state != SYNACK_ESTABLISHED && c->state != SYNACK_FIN_WAIT_1)
      return;
    c->ack_now = 1; /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, maybe with data */
    text_step(c, seg, seq_add(seg->seq, 1), now);
    fin_step(c, seg, seq_add(seg->seq, 1), now);
    return;
  }
  /* simultaneous open (MUST-10): SYN-RECEIVED, answer with SYN,ACK from ISS */
  synack__set_state(c, SYNACK_SYN_RECEIVED, seg, now);
  if (c->state != SYNACK_SYN_RECEIVED)
    return;
  synack__send_syn(c, now);
  synack__timer_set(c, SYNACK__T_REXMT, now + synack__rtt_rto(&c->rtt));
}

/* First: is the segment in the window (Table 6)? MUST-66: with a zero window a
   segment at RCV.NXT is still taken for its ACK, RST and URG; its text is not.
 */
static int seq_ok(const synack_conn *c, const synack_segment *seg) {
  uint32_t len = seg_len(seg), wnd = synack__rcv_wnd(c);
  synack_seq s = seg->seq, hi = seq_add(c->rcv_nxt, wnd);
  if (wnd == 0)
    return s == c->rcv_nxt;
  if (len == 0)
    return seq_in(s, c->rcv_nxt, hi);
  return seq_in(s, c->rcv_nxt, hi) ||
         seq_in(seq_add(s, len - 1), c->rcv_nxt, hi);
}

/* Second: the RST bit, with RFC 5961 3.2's exact-match rule. */
static void rst_step(synack_conn *c, const synack_segment *seg, uint64_t now) {
  if (seg->seq != c->rcv_nxt) {
    challenge_ack(c, now);
    return;
  }
  switch (c->state) {
  case SYNACK_SYN_RECEIVED: /* passive: back to LISTEN, nobody told; active:
                               refused */
    synack__conn_closed(c, c->passive ? 0 : SYNACK_ECONNREFUSED, seg, now);
    break;
  case SYNACK_ESTABLISHED:
  case SYNACK_FIN_WAIT_1:
  case SYNACK_FIN_WAIT_2:
  case SYNACK_CLOSE_WAIT: /* MUST-12: the user learns of the reset */
    synack__conn_closed(c, SYNACK_ECONNRESET, seg, now);
    break;
  default: /* CLOSING, LAST-ACK, TIME-WAIT */
    synack__conn_closed(c, 0, seg, now);
    break;
  }
}

/*
 * Fast retransmit (RFC 5681 3.2 step 2, RFC 6582 3.2): ssthresh from the
 * algorithm, the first hole resent. Without SACK, NewReno inflates cwnd by
 * the three segments that left; with SACK (RFC 6675 5, step 4), cwnd is
 * ssthresh and output() sends while the pipe leaves room.
 */
static void enter_recovery(synack_conn *c, uint64_t now) {
  c->cc->on_loss(c);
  c->recover = c->snd_max;
  c->in_recovery = 1;
  c->recoveries++;
  if (c->sack_ok) {
    c->cwnd = c->ssthresh;
    c->sb.high_rxt = c->snd_una;
    c->sb.rxt_watch = 0;
    synack__retransmit(c, now);
  } else {
    synack__retransmit(c, now);
    c->cwnd = c->ssthresh + 3 * c->smss;
  }
}

/* Recovery may start only once everything sent before the last one is acked. */
static int may_recover(const synack_conn *c) {
  return !c->in_recovery && seq_gt(c->snd_una, c->recover);
}

/* An RTT sample from this ACK: its timestamp echo (RFC 7323 4.1), else the
   one timed segment once it is covered (RFC 6298 with Karn's rule). */
static void rtt_on_ack(synack_conn *c, synack_seq ack, const synack_tcpopts *o,
                       uint64_t now) {
  if (ts_rtt_sample(c, o, now)) {
    c->rtt_timing = 0;
  } else if (c->rtt_timing && seq_gt(ack, c->rtt_seq)) {
    synack__rtt_sample(&c->rtt, now - c->rtt_start);
    c->rtt_timing = 0;
  }
}

/*
 * The window after new data is ACKed. In fast recovery: a full ACK ends it
 * with cwnd no more than ssthresh (RFC 6582 3.2 step 3); a partial one,
 * without SACK, resends the next hole and deflates cwnd by what was acked
 * (step 4), while with SACK output() resends the holes the pipe allows.
 * Otherwise the algorithm grows cwnd, and with SACK holes already known lost
 * start recovery without three duplicates (RFC 6675 5, b).
 */
static void cwnd_on_ack(synack_conn *c, synack_seq ack, uint32_t acked,
                        uint64_t now) {
  if (c->in_recovery) {
    if (seq_geq(ack, c->recover)) {
      uint32_t fl = synack__flight(c) + c->smss;
      c->cwnd = c->ssthresh < fl ? c->ssthresh : fl;
      c->in_recovery = 0;
      c->dupacks = 0;
    } else if (!c->sack_ok) {
      synack__retransmit(c, now);
      c->cwnd = (c->cwnd > acked ? c->cwnd - acked : 0) + c->smss;
    }
    return;
  }
  c->dupacks = 0;
  c->cc->on_ack(c, acked, now);
  if (c->sack_ok && c->sb.n && may_recover(c) &&
      synack__sack_is_lost(c, c->snd_una))
    enter_recovery(c, now);
}

/* New data acknowledged: SND.UNA moves, the ring drops what was acked. */
static void ack_advance(synack_conn *c, synack_seq ack, const synack_tcpopts *o,
                        uint64_t now) {
  uint32_t acked = (uint32_t)(ack - c->snd_una), data = 0;
  if (seq_gt(ack, c->snd_buf_seq)) {
    data = (uint32_t)(ack - c->snd_buf_seq);
    if (data > c->snd.len)
      data = c->snd.len;
    synack__sndbuf_drop(&c->snd, data, &c->host->rings);
    c->snd_buf_seq = seq_add(c->snd_buf_seq, data);
    c->bytes_acked += data;
  }
  c->snd_una = ack;
  if (seq_lt(c->snd_nxt, ack))
    c->snd_nxt = ack;
  if (c->sb.n || c->sack_ok)
    synack__sack_acked(c);
  rtt_on_ack(c, ack, o, now);
  c->rtt.backoff = 0;
  c->nretx = 0;
  c->r1_reached = 0;
  c->nprobe = 0;
  cwnd_on_ack(c, ack, acked, now);
  /* RFC 6298 5.2 and 5.3 */
  synack__timer_stop(c, SYNACK__T_REXMT);
  if (c->snd_una != c->snd_max)
    synack__start_rexmt(c, now);
  if (data)
    c->pend |= SYNACK_NOTICE_WRITABLE;
}

/* RFC 5681 3.2 with RFC 6582 and RFC 6675: the third duplicate ACK (or SACKed
   bytes enough to call the first hole lost) starts fast recovery. */
static void dup_ack(synack_conn *c, uint64_t now) {
  c->dupacks++;
  if (c->in_recovery) {
    if (!c->sack_ok)
      c->cwnd += c->smss; /* each further duplicate: a segment has left */
  } else if (may_recover(c) &&
             (c->dupacks >= 3 ||
              (c->sack_ok && synack__sack_is_lost(c, c->snd_una)))) {
    enter_recovery(c, now);
  }
}

/* Fifth: the ACK field. Returns 0 when processing stops here. */
static int ack_step(synack_conn *c, const synack_segment *seg,
                    const synack_tcpopts *o, uint64_t now) {
  synack_seq ack = seg->ack;
  uint32_t wnd;
  int sacked = 0;
  if (!(seg->flags & SYNACK_ACK))
    return 0;
  if (c->state == SYNACK_SYN_RECEIVED) {
    if (!seq_lt(c->snd_una, ack) || seq_gt(ack, c->snd_max)) {
      synack__reset_for(c->host, c, NULL, seg,
                        now); /* <SEQ=SEG.ACK><CTL=RST> */
      return 0;
    }
    if (c->listener && c->listener->nacc >= c->listener->backlog)
      return 0; /* accept queue full: the SYN,ACK will be sent again */
    c->snd_una = seq_add(c->iss, 1);
    c->snd_wnd = (uint32_t)seg->win << c->snd_ws;
    c->max_sndwnd = c->snd_wnd;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = ack;
    established(c, seg, now);
    if (c->state != SYNACK_ESTABLISHED && c->state != SYNACK_FIN_WAIT_1)
      return 0;
    synack__listener_established(c, now);
  }
  /* RFC 5961 5.2: SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT, else ACK and
   * drop */
  if (seq_gt(ack, c->snd_max) ||
      seq_lt(ack, seq_add(c->snd_una, (uint32_t)0 - c->max_sndwnd))) {
    oow_ack(c, seg, now);
    return 0;
  }
  wnd = (uint32_t)seg->win << c->snd_ws;
  if (c->sack_ok && o && o->nsack) /* RFC 2018: the scoreboard first */
    sacked = synack__sack_take(c, o->sack, o->nsack);
  if (seq_gt(ack, c->snd_una)) {
    ack_advance(c, ack, o, now);
  } else if (ack == c->snd_una && c->snd_max != c->snd_una &&
             ((seg->paylen == 0 && !(seg->flags & (SYNACK_SYN | SYNACK_FIN)) &&
               wnd == c->snd_wnd && c->snd_wnd != 0) ||
              sacked)) { /* RFC 6675 2: an ACK that SACKs new data is a
                            duplicate too */
    dup_ack(c, now);
  }
  if (c->in_recovery && c->sack_ok)
    synack__sack_check_resent(c);
  /* the send window, if this segment is newer than the last that set it */
  if (seq_lt(c->snd_wl1, seg->seq) ||
      (c->snd_wl1 == seg->seq && seq_leq(c->snd_wl2, ack))) {
    uint32_t old = c->snd_wnd;
    c->snd_wnd = wnd;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = ack;
    if (wnd > c->max_sndwnd)
      c->max_sndwnd = wnd;
    if (wnd == 0 && old != 0 &&
        c->snd_una != seq_add(c->snd_buf_seq, c->snd.len)) {
      /* the window closed with data waiting: stop retransmitting, probe instead
       */
      synack__timer_stop(c, SYNACK__T_REXMT);
      c->snd_nxt = c->snd_una;
    } else if (wnd > 0 && c->t[SYNACK__T_PERSIST] != SYNACK_NEVER) {
      synack__timer_stop(c, SYNACK__T_PERSIST); /* it opened again */
      c->nprobe = 0;
      c->snd_nxt = c->snd_una; /* a probe byte not acked was not taken */
      c->rtt.backoff = 0;
    }
  }
  if (c->t[SYNACK__T_PERSIST] != SYNACK_NEVER)
    c->snd_nxt = c->snd_una;
  if (c->t[SYNACK__T_PERSIST] != SYNACK_NEVER)
    c->nprobe = 0; /* the peer answers: probing never gives up (MUST-37) */
  switch (c->state) {
  case SYNACK_FIN_WAIT_1:
    if (c->fin_sent && seq_gt(c->snd_una, c->snd_fin_seq)) {
      synack__set_state(c, SYNACK_FIN_WAIT_2, seg, now);
      synack__trim_buffers(c);
      /* an orphan must not wait for the peer's FIN forever (timer.c) */
      if (c->state == SYNACK_FIN_WAIT_2)
        synack__timer_set(c, SYNACK__T_2MSL, now + 2 * c->host->cfg.msl_us);
    }
    break;
  case SYNACK_CLOSING:
    if (c->fin_sent && seq_gt(c->snd_una, c->snd_fin_seq))
      enter_time_wait(c, seg, now);
    return 0; /* otherwise the segment is ignored */
  case SYNACK_LAST_ACK:
    if (c->fin_sent && seq_gt(c->snd_una, c->snd_fin_seq))
      synack__conn_closed(c, 0, seg, now);
    return 0;
  default:
    break;
  }
  return c->state != SYNACK_CLOSED;
}

/* Sixth: the URG bit. The user is told when the pointer moves ahead (MUST-32);
   the data itself stays in line and synack_conn_info() says how much is urgent.
 */
static void urg_step(synack_conn *c, const synack_segment *seg) {
  synack_seq up;
  if (!(seg->flags & SYNACK_URG) || c->rcv_fin)
    return;
  if (c->state != SYNACK_ESTABLISHED && c->state != SYNACK_FIN_WAIT_1 &&
      c->state != SYNACK_FIN_WAIT_2)
    return;
  up = seq_add(seg->seq, seg->urp);
  if (!c->rcv_urg || seq_gt(up, c->rcv_up)) {
    c->rcv_urg = 1;
    c->rcv_up = up;
    c->pend |= SYNACK_NOTICE_URGENT;
  }
}

/*
 * MAY-2 (RFC 9293 3.10.7.4 fourth, RFC 1122 4.2.2.13, RFC 6191): a new SYN
 * for the 4-tuple of a connection in TIME-WAIT may open a new incarnation
 * when it cannot be an old duplicate. With timestamps on both, its TSval
 * must be newer than TS.Recent (older: no; equal: the sequence test
 * decides); otherwise its sequence number must lie beyond everything the
 * old incarnation received (past RCV.NXT).
 */
int synack__tw_syn_acceptable(const synack_conn *c, const synack_segment *seg) {
  synack_tcpopts o;
  if (c->state != SYNACK_TIME_WAIT ||
      (seg->flags & (SYNACK_SYN | SYNACK_ACK | SYNACK_RST)) != SYNACK_SYN)
    return 0;
  memset(&o, 0, sizeof o);
  if (c->ts_ok && seg->optlen &&
      synack_opts_parse(seg->opts, seg->optlen, &o) == 0 && o.has_timestamp) {
    int32_t d = (int32_t)(o.ts_val - c->ts_recent);
    if (d != 0)
      return d > 0;
  }
  return seq_gt(seg->seq, c->rcv_nxt);
}

/* RFC 9293 3.10.7.4: SYN-RECEIVED and every synchronized state. */
static void other_states(synack_conn *c, const synack_segment *seg,
                         uint64_t now) {
  synack_tcpopts o;
  int have_opts;
  int syn = !!(seg->flags & SYNACK_SYN);
  synack_seq dseq = seq_add(seg->seq, (uint32_t)syn);
  /* the peer's SYN again (our SYN,ACK was lost): send the SYN,ACK again */
  if (c->state == SYNACK_SYN_RECEIVED &&
      (seg->flags & (SYNACK_SYN | SYNACK_ACK | SYNACK_RST)) == SYNACK_SYN &&
      seg->seq == c->irs) {
    synack__send_syn(c, now);
    return;
  }
  have_opts = read_options(c, seg, &o);
  if (have_opts && c->state != SYNACK_SYN_RECEIVED &&
      paws_reject(c, seg, &o, now)) {
    oow_ack(c, seg, now);
    return;
  }
  /* first: the sequence number */
  if (!seq_ok(c, seg)) {
    if (seg->flags & SYNACK_RST)
      return; /* RFC 5961 3.2 (1): silently dropped */
    if (c->state == SYNACK_TIME_WAIT && (seg->flags & SYNACK_FIN))
      synack__timer_set(c, SYNACK__T_2MSL, now + 2 * c->host->cfg.msl_us);
    oow_ack(c, seg, now); /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
    return;
  }
  c->last_rcv = now;
  c->nkeep = 0;
  /* second: the RST bit */
  if (seg->flags & SYNACK_RST) {
    rst_step(c, seg, now);
    return;
  }
  /* third: security and precedence: not implemented (no compartments) */
  /* fourth: the SYN bit */
  if (syn) {
    if (c->state == SYNACK_SYN_RECEIVED && c->passive) {
      synack__conn_closed(c, 0, seg, now); /* back to LISTEN */
      return;
    }
    challenge_ack(c, now); /* RFC 5961 4.2 */
    return;
  }
  if (have_opts)
    take_timestamp(c, seg, &o, now);
  /* fifth: the ACK field */
  if (!ack_step(c, seg, have_opts ? &o : NULL, now))
    return;
  /* sixth: the URG bit */
  urg_step(c, seg);
  /* seventh: the segment text */
  text_step(c, seg, dseq, now);
  if (c->state == SYNACK_CLOSED)
    return;
  /* eighth: the FIN bit */
  fin_step(c, seg, dseq, now);
}

void synack__conn_input(synack_conn *c, const synack_segment *seg,
                        uint64_t now) {
  unsigned pend;
  c->pend = 0;
  switch (c->state) {
  case SYNACK_CLOSED:
  case SYNACK_LISTEN:
    return;
  case SYNACK_SYN_SENT:
    syn_sent(c, seg, now);
    break;
  default:
    other_states(c, seg, now);
    break;
  }
  if (c->state != SYNACK_CLOSED)
    synack__output(c, now); /* data, or the ACK this segment asked for */
  pend = c->pend;
  c->pend = 0;
  if (pend && !c->listener && c->state != SYNACK_CLOSED)
    synack__notify(c, NULL, pend, now);
}
