/*
 * user.c: the user's calls on a connection (RFC 9293 3.10.1 to 3.10.6):
 * OPEN (active), SEND, RECEIVE, CLOSE, ABORT, STATUS, plus the lifetime
 * calls of tcp.h. Each call that may make the connection send runs with the
 * connection marked busy, so a callback that releases it cannot free it
 * under our feet.
 */
#include <string.h>

#include "tcb.h"

static int pick_port(synack_host *h, synack_conn *c) {
  uint32_t range = (uint32_t)h->cfg.port_hi - h->cfg.port_lo + 1, i;
  for (i = 0; i < range; i++) {
    uint16_t p = h->next_port;
    h->next_port = p >= h->cfg.port_hi ? h->cfg.port_lo : (uint16_t)(p + 1);
    if (synack__listener_find(h, p))
      continue;
    c->lport = p;
    if (synack__hash_insert(c) == 0)
      return 0;
  }
  return SYNACK_EADDRNOTAVAIL;
}

synack_conn *synack_host_connect(synack_host *h, const synack_addr *dst,
                                 uint16_t dport, const synack_conn_opts *opts,
                                 uint64_t now, int *err) {
  synack_conn_opts o;
  synack_conn *c;
  int e = 0;
  if (!dst || dport == 0 || (dst->family != 4 && dst->family != 6)) {
    e = SYNACK_EINVAL;
    goto fail;
  }
  if (!synack__addr_unicast(dst)) { /* MUST-46 */
    e = SYNACK_EINVAL;
    goto fail;
  }
  if (dst->family != h->cfg.addr.family) {
    e = SYNACK_EAFNOSUPPORT;
    goto fail;
  }
  h->now = now;
  synack__conn_opts_resolve(h, opts, &o, dst->family);
  if ((o.set & SYNACK_OPT_SET_PORT) && o.port == 0) {
    e = SYNACK_EINVAL;
    goto fail;
  }
  c = synack__conn_new(h, &o);
  if (!c) {
    e = SYNACK_ENOMEM;
    goto fail;
  }
  c->raddr = *dst;
  c->rport = dport;
  if (o.set & SYNACK_OPT_SET_PORT) {
    c->lport = o.port;
    e = synack__hash_insert(c);
  } else {
    e = pick_port(h, c);
  }
  if (e) {
    synack__conn_free(c);
    goto fail;
  }
  c->refs = 1; /* the caller's */
  c->iss = (o.set & SYNACK_OPT_SET_ISN)
               ? o.isn
               : synack__isn(h->cfg.isn_secret, &h->cfg.addr, c->lport,
                             &c->raddr, c->rport, now);
  c->snd_una = c->iss;
  c->snd_nxt = c->snd_max = seq_add(c->iss, 1);
  c->snd_buf_seq = c->snd_nxt;
  c->snd_wl2 = c->iss;
  c->recover = c->iss;
  c->rtt_timing = 1;
  c->rtt_start = now;
  c->rexmt_since = now;
  c->busy++;
  synack__set_state(c, SYNACK_SYN_SENT, NULL, now);
  if (c->state == SYNACK_SYN_SENT) {
    synack__send_syn(c, now);
    synack__timer_set(c, SYNACK__T_REXMT, now + synack__rtt_rto(&c->rtt));
  }
  c->busy--;
  if (err)
    *err = 0;
  return c;
fail:
  if (err)
    *err = e;
  return NULL;
}

void synack_conn_retain(synack_conn *c) {
  c->refs++;
}
void synack_conn_release(synack_conn *c) {
  c->refs--;
  /* an orphan in FIN-WAIT-2 must not wait for the peer's FIN forever */
  if (c->refs <= 0 && c->state == SYNACK_FIN_WAIT_2 &&
      c->t[SYNACK__T_2MSL] == SYNACK_NEVER)
    synack__timer_set(c, SYNACK__T_2MSL,
                      c->host->now + 2 * c->host->cfg.msl_us);
  synack__conn_maybe_free(c);
}
void synack_conn_set_data(synack_conn *c, void *data) {
  c->data = data;
}
void *synack_conn_get_data(const synack_conn *c) {
  return c->data;
}
void synack_conn_set_hooks(synack_conn *c, unsigned m) {
  c->hooks = m;
}
synack_host *synack_conn_host(const synack_conn *c) {
  return c->host;
}
synack_listener *synack_conn_listener(const synack_conn *c) {
  return c->listener;
}
synack_state synack_conn_state(const synack_conn *c) {
  return c->state;
}
void synack_conn_endpoints(const synack_conn *c, synack_endpoints *out) {
  out->local_addr = c->host->cfg.addr;
  out->remote_addr = c->raddr;
  out->local_port = c->lport;
  out->remote_port = c->rport;
}
size_t synack_conn_recv_queued(const synack_conn *c) {
  return c->rcv.len;
}

static void done(synack_conn *c) {
  c->busy--;
  synack__conn_maybe_free(c);
}

/* SEND (3.10.2); `push`: the PUSH flag (MAY-15), see synack_conn_send_flags. */
static long send_data(synack_conn *c, const uint8_t *data, size_t len, int push,
                      uint64_t now) {
  uint32_t n;
  c->host->now = now;
  if (c->error)
    return c->error;
  switch (c->state) {
  case SYNACK_CLOSED:
  case SYNACK_LISTEN:
    return SYNACK_ENOTCONN;
  case SYNACK_SYN_SENT:
  case SYNACK_SYN_RECEIVED: /* queued until ESTABLISHED */
  case SYNACK_ESTABLISHED:
  case SYNACK_CLOSE_WAIT:
    break;
  default:
    return SYNACK_EPIPE; /* after our CLOSE: "connection closing" */
  }
  if (c->fin_queued)
    return SYNACK_EPIPE;
  if (len == 0)
    return 0;
  if (synack__sndbuf_init(&c->snd, c->opts.sndbuf, &c->host->rings) != 0)
    return SYNACK_ENOMEM;
  if (len > c->snd.cap)
    len = c->snd.cap;
  n = synack__sndbuf_write(&c->snd, data, (uint32_t)len, &c->host->rings);
  if (push && n > 0) { /* a push point at the end of what is queued now */
    c->snd_push = 1;
    c->snd_push_seq = seq_add(c->snd_buf_seq, c->snd.len);
  }
  c->busy++;
  synack__output(c, now);
  done(c);
  return (long)n;
}

long synack_conn_send(synack_conn *c, const uint8_t *data, size_t len,
                      uint64_t now) {
  return send_data(c, data, len, 0, now);
}

/* SEND with URGENT (3.8.5): MUST-31, any length of urgent data. */
static long send_urgent(synack_conn *c, const uint8_t *data, size_t len,
                        int push, uint64_t now) {
  uint32_t space = synack__sndbuf_space(&c->snd), take;
  int was = c->snd_urg;
  synack_seq old = c->snd_up;
  long n;
  take = len < space ? (uint32_t)len : space;
  c->snd_urg = 1; /* set before sending so the first segment carries URG */
  c->snd_up = seq_add(c->snd_buf_seq, c->snd.len + take);
  n = send_data(c, data, len, push, now);
  if (n <= 0) {
    c->snd_urg = (uint8_t)was;
    c->snd_up = old;
  }
  return n;
}

long synack_conn_send_urgent(synack_conn *c, const uint8_t *data, size_t len,
                             uint64_t now) {
  return send_urgent(c, data, len, 0, now);
}

long synack_conn_send_flags(synack_conn *c, const uint8_t *data, size_t len,
                            unsigned flags, uint64_t now) {
  int push = !!(flags & SYNACK_SEND_PUSH);
  if (flags & SYNACK_SEND_URGENT)
    return send_urgent(c, data, len, push, now);
  return send_data(c, data, len, push, now);
}

/* RECEIVE (3.10.3). */
long synack_conn_recv(synack_conn *c, uint8_t *buf, size_t cap, uint64_t now) {
  uint32_t n = 0;
  c->host->now = now;
  if (c->app_closed)
    return SYNACK_ECLOSING; /* the application closed it: nothing more to read
                             */
  if (c->rcv.len && cap)
    n = synack__rcvbuf_read(&c->rcv, buf,
                            cap > 0xffffffffu ? 0xffffffffu : (uint32_t)cap,
                            &c->host->rings);
  if (n > 0) {
    synack__trim_buffers(c); /* the peer's FIN is read: the ring goes */
    /* window update once the right edge can move by a useful amount (MUST-39)
     */
    if (!c->rcv_fin &&
        (c->state == SYNACK_ESTABLISHED || c->state == SYNACK_FIN_WAIT_1 ||
         c->state == SYNACK_FIN_WAIT_2)) {
      /* the edge we could offer now: the window field caps it at 65535 << scale
       */
      uint32_t wnd = synack__rcv_wnd(c), most = (uint32_t)65535 << c->rcv_ws;
      synack_seq edge = seq_add(c->rcv_nxt, wnd < most ? wnd : most);
      uint32_t step = c->rcv.cap / 2 < c->smss ? c->rcv.cap / 2 : c->smss;
      if (seq_gt(edge, c->rcv_adv) && (uint32_t)(edge - c->rcv_adv) >= step) {
        c->busy++;
        synack__send_ack(c, now);
        done(c);
      }
    }
    return (long)n;
  }
  if (c->error)
    return c->error;
  if (c->rcv_fin)
    return SYNACK_EOF;
  if (c->state == SYNACK_CLOSED || c->state == SYNACK_LISTEN)
    return SYNACK_ENOTCONN;
  return 0;
}

/*
 * Send our FIN after what is queued (RFC 9293 3.10.4): the half-close both
 * CLOSE and shutdown start with. 0, ECLOSING once a FIN is already asked for,
 * ENOTCONN (or the error that ended it) when CLOSED.
 */
static int send_fin(synack_conn *c, uint64_t now) {
  synack_state to;
  switch (c->state) {
  case SYNACK_CLOSED:
  case SYNACK_LISTEN:
    return c->error ? c->error : SYNACK_ENOTCONN;
  case SYNACK_SYN_SENT: /* nothing sent yet that needs a FIN: delete the TCB */
    c->busy++;
    synack__conn_closed(c, 0, NULL, now);
    done(c);
    return 0;
  case SYNACK_SYN_RECEIVED: /* queued: FIN-WAIT-1 once ESTABLISHED */
    if (c->fin_queued)
      return SYNACK_ECLOSING;
    c->fin_queued = 1;
    c->snd_fin_seq = seq_add(c->snd_buf_seq, c->snd.len);
    return 0;
  case SYNACK_ESTABLISHED:
    to = SYNACK_FIN_WAIT_1;
    break;
  case SYNACK_CLOSE_WAIT:
    to = SYNACK_LAST_ACK;
    break;
  default:
    return SYNACK_ECLOSING;
  }
  c->fin_queued = 1;
  c->snd_fin_seq = seq_add(c->snd_buf_seq, c->snd.len);
  c->busy++;
  synack__set_state(c, to, NULL, now);
  if (c->state == to)
    synack__output(c, now);
  done(c);
  return 0;
}

/*
 * The application is done with a connection that would lose data: RST and
 * CLOSED at once (RFC 9293 3.10.4 and SHLD-3; RFC 2525 2.17). Nobody is told
 * of an error: the only one who could care has just said it does not.
 */
void synack__close_reset(synack_conn *c, const synack_segment *seg,
                         uint64_t now) {
  c->busy++;
  if (c->state != SYNACK_TIME_WAIT && c->state != SYNACK_CLOSED)
    synack__send_rst(c, now);
  synack__rcvbuf_flush(&c->rcv);
  synack__conn_closed(c, 0, seg, now);
  done(c);
}

/*
 * CLOSE (3.10.4) as a socket's close: the application will neither send nor
 * read again. The FIN goes after the queued data; received bytes left unread
 * (or arriving later, input.c) would be lost, so they make it a reset.
 */
int synack_conn_close(synack_conn *c, uint64_t now) {
  c->host->now = now;
  if (c->app_closed)
    return c->state == SYNACK_CLOSED ? (c->error ? c->error : SYNACK_ENOTCONN)
                                     : SYNACK_ECLOSING;
  if (c->state == SYNACK_CLOSED || c->state == SYNACK_LISTEN)
    return c->error ? c->error : SYNACK_ENOTCONN;
  c->app_closed = 1;
  if (c->rcv.len > 0 && c->state != SYNACK_TIME_WAIT) { /* SHLD-3 */
    synack__close_reset(c, NULL, now);
    return 0;
  }
  synack__rcvbuf_flush(&c->rcv); /* TIME-WAIT: nobody is left to tell */
  if (c->fin_queued)
    return 0; /* after shutdown: the FIN is on its way already */
  return send_fin(c, now);
}

/* Half close (shutdown for writing): our FIN, and reading goes on (MAY-1). */
int synack_conn_shutdown(synack_conn *c, uint64_t now) {
  c->host->now = now;
  if (c->app_closed && c->state != SYNACK_CLOSED)
    return SYNACK_ECLOSING;
  return send_fin(c, now);
}

/* ABORT (3.10.5). */
int synack_conn_abort(synack_conn *c, uint64_t now) {
  c->host->now = now;
  switch (c->state) {
  case SYNACK_CLOSED:
  case SYNACK_LISTEN:
    return c->error ? c->error : SYNACK_ENOTCONN;
  case SYNACK_SYN_RECEIVED:
  case SYNACK_ESTABLISHED:
  case SYNACK_FIN_WAIT_1:
  case SYNACK_FIN_WAIT_2:
  case SYNACK_CLOSE_WAIT:
    c->busy++;
    synack__send_rst(c, now);
    break;
  default: /* SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT: no reset */
    c->busy++;
    break;
  }
  if (c->state != SYNACK_CLOSED) {
    synack__rcvbuf_flush(&c->rcv);
    synack__conn_closed(c, 0, NULL, now);
    if (!c->error)
      c->error = SYNACK_ECONNABORTED;
  }
  done(c);
  return 0;
}

/* STATUS (3.10.6). */
void synack_conn_info(const synack_conn *c, struct synack_conn_info *out) {
  memset(out, 0, sizeof *out);
  out->state = c->state;
  out->local_addr = c->host->cfg.addr;
  out->remote_addr = c->raddr;
  out->local_port = c->lport;
  out->remote_port = c->rport;
  out->iss = c->iss;
  out->irs = c->irs;
  out->snd_una = c->snd_una;
  out->snd_nxt = c->snd_nxt;
  out->rcv_nxt = c->rcv_nxt;
  out->snd_wnd = c->snd_wnd;
  out->rcv_wnd = synack__rcv_wnd(c);
  out->mss = c->smss;
  out->snd_wscale = c->snd_ws;
  out->rcv_wscale = c->rcv_ws;
  out->sack_ok = c->sack_ok;
  out->ts_ok = c->ts_ok;
  out->cwnd = c->cwnd;
  out->ssthresh = c->ssthresh;
  out->srtt_us = c->rtt.srtt;
  out->rttvar_us = c->rtt.rttvar;
  out->rto_us = synack__rtt_rto(&c->rtt);
  out->retransmits = c->retransmits;
  out->bytes_sent = c->bytes_sent;
  out->bytes_received = c->bytes_received;
  out->bytes_acked = c->bytes_acked;
  out->send_queued = c->snd.len;
  out->recv_queued = c->rcv.len;
  out->error = c->error;
  out->cc = c->opts.cc == 1 ? 1 : 0;
  out->in_recovery = c->in_recovery;
  out->snd_max = c->snd_max;
  out->pipe = c->sack_ok ? synack__sack_pipe(c) : synack__flight(c);
  out->dupacks = c->dupacks;
  out->fast_recoveries = c->recoveries;
  out->timeouts = c->rtos;
  out->sacked_bytes = c->sb.bytes;
  out->sack_blocks = c->sb.n;
  out->rcv_ooo_blocks = c->rcv.nooo;
  out->lost_retransmits = c->sb.lost_rxt;
  out->ts_recent = c->ts_recent;
  out->paws_drops = c->paws_drops;
  out->buffer_bytes =
      (c->snd.data ? c->snd.cap : 0) + (c->rcv.data ? c->rcv.cap : 0);
  out->r1_reached = c->r1_reached;
  if (c->rcv_psh) {
    synack_seq readpos = seq_add(c->rcv_nxt, (uint32_t)0 - c->rcv.len);
    if (c->rcv_fin)
      readpos = seq_add(readpos, (uint32_t)-1);
    if (seq_gt(c->rcv_psh_seq, readpos))
      out->push_queued = (uint32_t)(c->rcv_psh_seq - readpos);
  }
  if (c->rcv_urg) {
    synack_seq readpos = seq_add(c->rcv_nxt, (uint32_t)0 - c->rcv.len);
    if (c->rcv_fin)
      readpos = seq_add(readpos, (uint32_t)-1);
    if (seq_gt(c->rcv_up, readpos))
      out->urgent_queued = (uint32_t)(c->rcv_up - readpos);
  }
}

/*
 * Change options of an open connection: Nagle (MUST-17: switchable per
 * connection at any time), delayed ACK, keepalive, the user timeout, and the
 * TTL and TOS of what it sends from now on (SHLD-21). Options negotiated in
 * the handshake or sized at open (MSS, window scale, SACK, timestamps,
 * buffers, congestion control, ISN, port) cannot change: EINVAL, and nothing
 * changes. A closed connection: ENOTCONN.
 */
int synack_conn_set_opts(synack_conn *c, const synack_conn_opts *o,
                         uint64_t now) {
  const uint32_t live = SYNACK_OPT_SET_NAGLE | SYNACK_OPT_SET_DELAYED_ACK |
                        SYNACK_OPT_SET_KEEPALIVE | SYNACK_OPT_SET_USER_TIMEOUT |
                        SYNACK_OPT_SET_TTL | SYNACK_OPT_SET_TOS;
  synack_conn_opts d;
  c->host->now = now;
  if (o->set & ~live)
    return SYNACK_EINVAL;
  if (c->state == SYNACK_CLOSED)
    return SYNACK_ENOTCONN;
  /* the same defaults as at open, for the fields given */
  synack__conn_opts_resolve(c->host, o, &d, c->raddr.family);
  if (o->set & SYNACK_OPT_SET_NAGLE)
    c->opts.nagle = d.nagle;
  if (o->set & SYNACK_OPT_SET_DELAYED_ACK)
    c->opts.delayed_ack = d.delayed_ack;
  if (o->set & SYNACK_OPT_SET_USER_TIMEOUT)
    c->opts.user_timeout_us = d.user_timeout_us;
  if (o->set & SYNACK_OPT_SET_TTL)
    c->opts.ttl = d.ttl;
  if (o->set & SYNACK_OPT_SET_TOS)
    c->opts.tos = d.tos;
  if (o->set & SYNACK_OPT_SET_KEEPALIVE) {
    c->opts.keepalive_us = d.keepalive_us;
    c->nkeep = 0;
    if (d.keepalive_us &&
        (c->state == SYNACK_ESTABLISHED || c->state == SYNACK_CLOSE_WAIT))
      synack__timer_set(c, SYNACK__T_KEEP, now + d.keepalive_us);
    else
      synack__timer_stop(c, SYNACK__T_KEEP);
  }
  /* data Nagle held back may go now */
  c->busy++;
  synack__output(c, now);
  done(c);
  return 0;
}
