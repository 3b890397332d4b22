/*
 * output.c: building and sending a connection's segments. Every segment but
 * the first SYN and a reset carries an ACK of RCV.NXT and the window we
 * advertise; data goes out as the send window, the congestion window, Nagle's
 * rule and the sender's silly-window avoidance allow (RFC 9293 3.8.6.2.1).
 * Options: MSS only on SYN segments (MUST-65), window scale, SACK-permitted
 * and timestamps offered on a SYN and kept when both sides offered them
 * (RFC 7323, RFC 2018), SACK blocks on ACKs while data is out of order.
 */
#include <string.h>

#include "tcb.h"

void synack__segment_base(const synack_conn *c, synack_segment *seg) {
  synack_segment_init(seg);
  seg->src = c->host->cfg.addr;
  seg->dst = c->raddr;
  seg->sport = c->lport;
  seg->dport = c->rport;
  seg->ttl = c->opts.ttl;
  seg->tos = c->opts.tos;
}

uint32_t synack__rcv_wnd(const synack_conn *c) {
  return synack__rcvbuf_space(&c->rcv);
}

/*
 * The window field. Receiver-side silly-window avoidance (RFC 9293 3.8.6.2.2,
 * MUST-39): the right edge moves only by at least min(half the buffer, SMSS);
 * it never moves left (SHLD-14) except by the rounding of the scale.
 */
static uint16_t adv_window(synack_conn *c, int syn) {
  uint32_t space = synack__rcv_wnd(c), w, step;
  uint8_t ws = syn ? 0 : c->rcv_ws;
  if (seq_gt(c->rcv_adv, c->rcv_nxt)) {
    uint32_t cur = (uint32_t)(c->rcv_adv - c->rcv_nxt);
    step = c->rcv.cap / 2 < c->smss ? c->rcv.cap / 2 : c->smss;
    if (space > cur && space - cur < step)
      space = cur;
  } else {
    step = c->rcv.cap / 2 < c->smss ? c->rcv.cap / 2 : c->smss;
    if (space < step && !syn)
      space = 0; /* a tiny window is not offered: wait for a useful one */
  }
  w = space >> ws;
  if (w == 0 && space > 0)
    w = 1; /* less than one scale unit free: offer one rather than none for
              ever, as Linux does (a scale larger than the buffer, F12) */
  if (w > 65535)
    w = 65535;
  if (seq_gt(seq_add(c->rcv_nxt, w << ws), c->rcv_adv))
    c->rcv_adv = seq_add(c->rcv_nxt, w << ws);
  return (uint16_t)w;
}

static void put_options(synack_conn *c, synack_segment *seg, int syn,
                        uint64_t now) {
  synack_tcpopts v;
  int n;
  memset(&v, 0, sizeof v);
  if (syn) {
    int offer = !(seg->flags & SYNACK_ACK) && c->state == SYNACK_SYN_SENT;
    v.has_mss = 1; /* MUST-14, SHLD-5: always sent on a SYN */
    v.mss = c->opts.mss;
    if (offer ? c->opts.wscale >= 0 : c->ws_ok) {
      v.has_wscale = 1;
      v.wscale = (uint8_t)c->opts.wscale;
    }
    v.sack_permitted = offer ? c->opts.sack : c->sack_ok;
    if (offer ? c->opts.timestamps : c->ts_ok) {
      v.has_timestamp = 1;
      v.ts_val = synack__ts_now(now);
      v.ts_ecr = offer ? 0 : c->ts_recent;
    }
  } else {
    if (c->ts_ok) {
      v.has_timestamp = 1;
      v.ts_val = synack__ts_now(now);
      v.ts_ecr = c->ts_recent;
    }
    if (c->sack_ok && c->rcv.nooo && (seg->flags & SYNACK_ACK))
      v.nsack = (uint8_t)synack__rcvbuf_sack(&c->rcv, v.sack, c->ts_ok ? 3 : 4);
  }
  n = synack_opts_encode(&v, seg->opts);
  seg->optlen = n > 0 ? (uint8_t)n : 0;
}

/* Build and send one segment of the connection. */
static void send_seg(synack_conn *c, synack_seq seq, uint32_t len,
                     uint8_t flags, uint64_t now) {
  synack_host *h = c->host;
  synack_segment seg;
  int syn = !!(flags & SYNACK_SYN);
  synack__segment_base(c, &seg);
  seg.seq = seq;
  if (c->state != SYNACK_SYN_SENT || (flags & SYNACK_ACK)) {
    flags |= SYNACK_ACK;
    seg.ack = c->rcv_nxt;
  }
  if (c->snd_urg && seq_gt(c->snd_up, seq) && !syn) {
    /* MUST-62: the pointer names the first byte after the urgent data */
    uint32_t up = (uint32_t)(c->snd_up - seq);
    flags |= SYNACK_URG;
    seg.urp = (uint16_t)(up > 65535 ? 65535 : up);
  }
  seg.flags = flags;
  seg.win = adv_window(c, syn);
  put_options(c, &seg, syn, now);
  if (len) {
    seg.payload = synack__sndbuf_peek(&c->snd, (uint32_t)(seq - c->snd_buf_seq),
                                      len, h->scratch);
    seg.paylen = len;
    c->last_data_out = now;
  }
  if (flags & SYNACK_ACK) { /* this ACK covers everything received so far */
    c->ack_now = 0;
    c->unacked_segs = 0;
    c->last_ack_sent = c->rcv_nxt;
    if (c->t[SYNACK__T_DELACK] != SYNACK_NEVER)
      synack__timer_stop(c, SYNACK__T_DELACK);
  }
  synack__emit(h, c, NULL, &seg, now);
}

void synack__send_ack(synack_conn *c, uint64_t now) {
  if (c->state == SYNACK_CLOSED || c->state == SYNACK_LISTEN ||
      c->state == SYNACK_SYN_SENT)
    return;
  send_seg(c, c->snd_nxt, 0, SYNACK_ACK, now);
}

void synack__send_syn(synack_conn *c, uint64_t now) {
  uint8_t flags = SYNACK_SYN;
  if (c->state == SYNACK_SYN_RECEIVED)
    flags |= SYNACK_ACK;
  send_seg(c, c->iss, 0, flags, now);
}

/* RFC 9293 3.10.5 (ABORT) and 3.10.7: <SEQ=SND.NXT><CTL=RST>. */
void synack__send_rst(synack_conn *c, uint64_t now) {
  synack_segment seg;
  synack__segment_base(c, &seg);
  seg.seq = c->snd_nxt;
  seg.flags = SYNACK_RST;
  seg.win = 0;
  synack__emit(c->host, c, NULL, &seg, now);
}

void synack__start_rexmt(synack_conn *c, uint64_t now) {
  if (c->t[SYNACK__T_REXMT] == SYNACK_NEVER) {
    synack__timer_set(c, SYNACK__T_REXMT, now + synack__rtt_rto(&c->rtt));
    c->rexmt_since = now;
  }
}

static synack_seq data_end(const synack_conn *c) {
  return seq_add(c->snd_buf_seq, c->snd.len);
}

/*
 * Send again up to `max` bytes from `s` (below SND.MAX), stopping short of a
 * SACKed range, with the FIN when they reach it. Returns the sequence space
 * sent (0: nothing). The RTT sample in progress is dropped (Karn's rule).
 */
static uint32_t resend(synack_conn *c, synack_seq s, uint32_t max,
                       uint64_t now) {
  synack_seq end = data_end(c);
  uint32_t len = 0, used;
  uint8_t flags = SYNACK_ACK;
  if (seq_lt(s, end)) {
    synack_seq stop = synack__sack_next_sacked(c, s, end);
    len = (uint32_t)(stop - s);
    if (len > max)
      len = max;
  }
  if (c->fin_sent && seq_add(s, len) == end && seq_leq(s, c->snd_fin_seq))
    flags |= SYNACK_FIN;
  if (!len && !(flags & SYNACK_FIN))
    return 0;
  if (len && seq_add(s, len) == end)
    flags |= SYNACK_PSH;
  send_seg(c, s, len, flags, now);
  c->retransmits++;
  c->rtt_timing = 0; /* Karn: no sample from what was sent twice */
  if (c->in_recovery && c->sack_ok)
    synack__sack_resent(c, s, len);
  used = len + !!(flags & SYNACK_FIN);
  s = seq_add(s, used);
  if (seq_lt(c->snd_nxt, s))
    c->snd_nxt = s;
  if (seq_lt(c->snd_max, s)) { /* it may take in bytes never sent before */
    c->bytes_sent += (uint32_t)(s - c->snd_max) - !!(flags & SYNACK_FIN);
    c->snd_max = s;
  }
  return used;
}

/* The oldest unacknowledged segment again (RFC 6298 5.4; fast retransmit). */
void synack__retransmit(synack_conn *c, uint64_t now) {
  if (c->state == SYNACK_SYN_SENT || c->state == SYNACK_SYN_RECEIVED) {
    synack__send_syn(c, now);
    return;
  }
  if (resend(c, c->snd_una, c->smss, now) && c->sack_ok &&
      seq_lt(c->sb.high_rxt, seq_add(c->snd_una, c->smss)))
    c->sb.high_rxt = seq_min(seq_add(c->snd_una, c->smss), c->snd_max);
}

/* SACK recovery (RFC 6675 5, step C): is there room for one more segment? */
static int pipe_room(const synack_conn *c) {
  return c->cwnd >= synack__sack_pipe(c) + c->smss;
}

/* Resend holes by NextSeg rule 1 (lost_only) or rule 3 while the pipe allows.
 */
static int resend_holes(synack_conn *c, int lost_only, int once, uint64_t now) {
  synack_seq s;
  uint32_t len, used;
  int sent = 0;
  while (pipe_room(c) && synack__sack_next_hole(c, lost_only, &s, &len)) {
    used = resend(c, s, len, now);
    if (!used)
      break;
    c->sb.high_rxt = seq_add(s, used);
    sent = 1;
    if (once)
      break;
  }
  return sent;
}

/* A zero-window probe: one byte beyond the closed window (RFC 9293 3.8.6.1). */
void synack__send_probe(synack_conn *c, uint64_t now) {
  synack_seq end = data_end(c);
  if (seq_lt(c->snd_una, end)) {
    synack_seq s = seq_add(c->snd_una, 1);
    send_seg(c, c->snd_una, 1, SYNACK_ACK, now);
    if (seq_lt(c->snd_nxt, s))
      c->snd_nxt = s;
    if (seq_lt(c->snd_max, s))
      c->snd_max = s;
  } else {
    send_seg(c, seq_add(c->snd_una, (uint32_t)-1), 0, SYNACK_ACK, now);
  }
}

/* RFC 9293 3.8.4, SHLD-12: a keepalive carries no data, SEQ = SND.NXT - 1. */
void synack__send_keepalive(synack_conn *c, uint64_t now) {
  send_seg(c, seq_add(c->snd_nxt, (uint32_t)-1), 0, SYNACK_ACK, now);
}

static int can_send_data(synack_state s) {
  return s == SYNACK_ESTABLISHED || s == SYNACK_CLOSE_WAIT ||
         s == SYNACK_FIN_WAIT_1 || s == SYNACK_CLOSING || s == SYNACK_LAST_ACK;
}

/*
 * How many more bytes may go out at SND.NXT: the send window less what is
 * outstanding, and the congestion window less what is in flight. In SACK
 * recovery "in flight" is RFC 6675's pipe; otherwise SACKed bytes below
 * SND.NXT (skipped after a timeout) do not count.
 */
static uint32_t send_room(const synack_conn *c) {
  uint32_t out = (uint32_t)(c->snd_nxt - c->snd_una), cw = c->cwnd, flight;
  uint32_t wroom = c->snd_wnd > out ? c->snd_wnd - out : 0, croom;
  if (c->in_recovery && c->sack_ok) {
    flight = synack__sack_pipe(c);
    if (seq_lt(c->snd_nxt, c->snd_max)) /* not expected: stay conservative */
      flight = out;
  } else if (c->sb.n) {
    /* SACKed bytes have left the network; this also gives RFC 3042's
       limited transmit, a new segment for each segment SACKed */
    flight = out - synack__sack_below(c, c->snd_nxt);
  } else {
    flight = out;
    /* RFC 3042 limited transmit: one new segment for each of the first two
       duplicate ACKs, so a small window can still reach three of them */
    if (!c->in_recovery && c->dupacks > 0 && c->dupacks < 3)
      cw += c->dupacks * c->smss;
  }
  croom = cw > flight ? cw - flight : 0;
  return wroom < croom ? wroom : croom;
}

void synack__output(synack_conn *c, uint64_t now) {
  int sent = 0;
  if (!can_send_data(c->state)) {
    if (c->ack_now)
      synack__send_ack(c, now);
    return;
  }
  synack__cc_after_idle(c, now);
  if (c->in_recovery && c->sack_ok) /* RFC 6675 NextSeg rule 1 first */
    sent = resend_holes(c, 1, 0, now);
  for (;;) {
    synack_seq end = data_end(c);
    uint32_t unsent, avail, len, flight;
    int fin;
    uint8_t flags = SYNACK_ACK;
    if (c->sb.n &&
        seq_lt(c->snd_nxt,
               c->snd_max)) /* after a timeout: skip what was SACKed */
      c->snd_nxt = synack__sack_skip(c, c->snd_nxt);
    unsent = seq_lt(c->snd_nxt, end) ? (uint32_t)(end - c->snd_nxt) : 0;
    if (c->sb.n && seq_lt(c->snd_nxt, c->snd_max))
      unsent =
          (uint32_t)(synack__sack_next_sacked(c, c->snd_nxt, end) - c->snd_nxt);
    flight = (uint32_t)(c->snd_nxt - c->snd_una);
    avail = send_room(c);
    len = unsent < c->smss ? unsent : c->smss;
    if (len > avail)
      len = avail;
    fin = c->fin_queued && seq_add(c->snd_nxt, len) == end &&
          seq_leq(c->snd_nxt, c->snd_fin_seq);
    if (len == 0 && !fin)
      break;
    if (len > 0 && len < c->smss && !seq_lt(c->snd_nxt, c->snd_max)) {
      /* sender SWS avoidance (MUST-38): a window-limited runt waits for more
         window unless it is half the largest window seen or nothing is out,
         or until the override timer fires */
      if (len < unsent && flight > 0 && len < c->max_sndwnd / 2 &&
          !c->sws_force) {
        if (c->t[SYNACK__T_SWS] == SYNACK_NEVER)
          synack__timer_set(c, SYNACK__T_SWS, now + SYNACK__SWS_OVERRIDE_US);
        break;
      }
      /* Nagle (RFC 9293 3.7.4, SHLD-7): one small segment in flight at most;
         pushed data (MAY-15) is not held */
      if (len == unsent && flight > 0 && c->opts.nagle && !c->fin_queued &&
          !(c->snd_push && seq_gt(c->snd_push_seq, c->snd_nxt)))
        break;
    }
    if (fin)
      flags |= SYNACK_FIN;
    if (len && seq_add(c->snd_nxt, len) == end)
      flags |= SYNACK_PSH; /* MUST-61: the segment that empties the buffer */
    if (len && c->snd_push && seq_gt(c->snd_push_seq, c->snd_nxt) &&
        seq_leq(c->snd_push_seq, seq_add(c->snd_nxt, len)))
      flags |= SYNACK_PSH; /* the segment that reaches a push point (MAY-15) */
    send_seg(c, c->snd_nxt, len, flags, now);
    if (seq_lt(c->snd_nxt, c->snd_max)) {
      c->retransmits++;
    } else {
      c->bytes_sent += len;
      if (!c->rtt_timing && len) {
        c->rtt_timing = 1;
        c->rtt_seq = c->snd_nxt;
        c->rtt_start = now;
      }
    }
    c->snd_nxt = seq_add(c->snd_nxt, len + (unsigned)fin);
    if (c->snd_push && seq_geq(c->snd_nxt, c->snd_push_seq))
      c->snd_push = 0; /* the push point is out */
    if (fin)
      c->fin_sent = 1;
    if (seq_gt(c->snd_nxt, c->snd_max))
      c->snd_max = c->snd_nxt;
    synack__start_rexmt(c, now);
    sent = 1;
    if (fin)
      break;
  }
  c->sws_force = 0;
  if (c->in_recovery && c->sack_ok && !sent) /* NextSeg rule 3 */
    sent = resend_holes(c, 0, 1, now);
  /* a closed window with data waiting: the persist timer (MUST-35, MUST-36) */
  if (c->snd_wnd == 0 && c->snd_nxt == c->snd_una &&
      (seq_lt(c->snd_una, data_end(c))) &&
      c->t[SYNACK__T_PERSIST] == SYNACK_NEVER &&
      c->t[SYNACK__T_REXMT] == SYNACK_NEVER) {
    c->nprobe = 0;
    synack__timer_set(c, SYNACK__T_PERSIST, now + synack__rtt_rto(&c->rtt));
  }
  if (!sent && c->ack_now)
    synack__send_ack(c, now);
}
