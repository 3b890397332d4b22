/*
 * listener.c: passive OPEN (RFC 9293 3.10.1) and the LISTEN state's part of
 * SEGMENT ARRIVES (3.10.7.2). A listener is not a TCB: each SYN it takes
 * makes a new connection in SYN-RECEIVED, held in a bounded SYN queue; once
 * the handshake completes it moves to a bounded accept queue until the user
 * accepts it. Both bounds are the listener's backlog.
 */
#include <stdlib.h>

#include "tcb.h"

synack_listener *synack_host_listen(synack_host *h, uint16_t port, int backlog,
                                    const synack_conn_opts *opts, int *err) {
  synack_listener *l;
  int e = 0;
  if (port == 0 || backlog < 0)
    e = SYNACK_EINVAL;
  else if (synack__listener_find(h, port))
    e = SYNACK_EADDRINUSE; /* MUST-42 is met by many connections per listener */
  else if (!(l = calloc(1, sizeof *l)))
    e = SYNACK_ENOMEM;
  if (e) {
    if (err)
      *err = e;
    return NULL;
  }
  l->host = h;
  l->port = port;
  l->backlog = backlog > 0 ? (size_t)backlog : 1;
  synack__conn_opts_resolve(h, opts, &l->opts, h->cfg.addr.family);
  l->next = h->listeners;
  h->listeners = l;
  if (err)
    *err = 0;
  return l;
}

size_t synack_listener_pending(const synack_listener *l) {
  return l->nacc;
}
uint16_t synack_listener_port(const synack_listener *l) {
  return l->port;
}
void synack_listener_set_hooks(synack_listener *l, unsigned m) {
  l->hooks = m;
}
void synack_listener_set_data(synack_listener *l, void *data) {
  l->data = data;
}
void *synack_listener_get_data(const synack_listener *l) {
  return l->data;
}

static void q_remove(synack_listener *l, synack_conn *c) {
  synack_conn **head = c->queue == 1 ? &l->synq : &l->accq;
  if (c->qprev)
    c->qprev->qnext = c->qnext;
  else
    *head = c->qnext;
  if (c->qnext)
    c->qnext->qprev = c->qprev;
  else if (c->queue == 2)
    l->accq_tail = c->qprev;
  if (c->queue == 1)
    l->nsyn--;
  else
    l->nacc--;
  c->qnext = c->qprev = NULL;
  c->queue = 0;
}

void synack__listener_unlink(synack_conn *c) {
  synack_listener *l = c->listener;
  if (!l)
    return;
  q_remove(l, c);
  c->listener = NULL;
  c->refs--; /* the listener's hold */
}

void synack__listener_established(synack_conn *c, uint64_t now) {
  synack_listener *l = c->listener;
  if (!l || c->queue != 1)
    return;
  q_remove(l, c);
  c->queue = 2;
  c->qprev = l->accq_tail;
  c->qnext = NULL;
  if (l->accq_tail)
    l->accq_tail->qnext = c;
  else
    l->accq = c;
  l->accq_tail = c;
  l->nacc++;
  synack__notify(c, l, SYNACK_NOTICE_ACCEPTABLE, now);
}

synack_conn *synack_listener_accept(synack_listener *l) {
  synack_conn *c = l->accq;
  if (!c)
    return NULL;
  q_remove(l, c);
  c->listener = NULL;   /* the listener's hold becomes the caller's */
  c->hooks |= l->hooks; /* what it accepts inherits the listener's hooks */
  return c;
}

void synack_listener_close(synack_listener *l, uint64_t now) {
  synack_host *h = l->host;
  synack_listener **pp;
  synack_conn *c;
  /* connections never accepted are reset (RFC 9293 3.10.4 says a listener's
     CLOSE deletes the TCB; those half-born are aborted) */
  while ((c = l->synq ? l->synq : l->accq) != NULL) {
    c->busy++;
    synack__send_rst(c, now);
    synack__conn_closed(c, SYNACK_ECONNABORTED, NULL, now);
    if (c->listener) /* conn_closed could not unlink it: do it here */
      synack__listener_unlink(c);
    c->busy--;
    synack__conn_maybe_free(c);
  }
  for (pp = &h->listeners; *pp; pp = &(*pp)->next) {
    if (*pp == l) {
      *pp = l->next;
      break;
    }
  }
  free(l);
}

/*
 * A new passive connection for the peer of `seg`, in the listener's SYN
 * queue, still in LISTEN: irs is the peer's ISN, iss ours. NULL when out of
 * memory or the tuple is taken.
 */
static synack_conn *passive_new(synack_listener *l, const synack_segment *seg,
                                synack_seq irs, synack_seq iss, uint64_t now) {
  synack_conn *c = synack__conn_new(l->host, &l->opts);
  if (!c)
    return NULL;
  c->raddr = seg->src;
  c->rport = seg->sport;
  c->lport = l->port;
  c->passive = 1;
  c->hooks = l->hooks;
  if (synack__hash_insert(c) != 0) {
    synack__conn_free(c);
    return NULL;
  }
  c->listener = l;
  c->refs = 1; /* the listener's hold, handed to whoever accepts */
  c->queue = 1;
  c->qprev = NULL;
  c->qnext = l->synq;
  if (l->synq)
    l->synq->qprev = c;
  l->synq = c;
  l->nsyn++;
  c->state = SYNACK_LISTEN;
  c->irs = irs;
  c->rcv_nxt = seq_add(irs, 1);
  c->rcv_adv = c->rcv_nxt;
  c->iss = iss;
  c->snd_una = c->iss;
  c->snd_nxt = c->snd_max = seq_add(c->iss, 1);
  c->snd_buf_seq = seq_add(c->iss, 1);
  c->snd_wnd = seg->win; /* never scaled in a SYN (RFC 7323 2.2) */
  c->max_sndwnd = c->snd_wnd;
  c->snd_wl1 = irs;
  c->snd_wl2 = c->iss;
  c->last_rcv = now;
  c->recover = c->iss;
  return c;
}

/*
 * The ACK of a cookie SYN,ACK (cookie.c): the connection is made now, from
 * what the cookie kept (the peer's MSS; no other option), and the ACK is
 * processed as the one that ends SYN-RECEIVED. Returns 0 when `seg` is not
 * such an ACK.
 */
static int cookie_accept(synack_listener *l, const synack_segment *seg,
                         uint64_t now) {
  uint16_t mss;
  uint32_t mms_s;
  synack_conn *c;
  if (!synack__cookie_check(l, seg, now, &mss))
    return 0;
  if (l->nacc >= l->backlog)
    return 1; /* no room to accept: dropped, as if lost */
  c = passive_new(l, seg, seq_add(seg->seq, (uint32_t)-1),
                  seq_add(seg->ack, (uint32_t)-1), now);
  if (!c)
    return 1;
  c->peer_mss = mss;
  mms_s = l->host->cfg.mtu - (seg->src.family == 6 ? 40 : 20) - 20;
  c->smss = mss < mms_s ? mss : mms_s;
  c->rexmt_since = now;
  c->busy++;
  synack__set_state(c, SYNACK_SYN_RECEIVED, NULL, now);
  if (c->state == SYNACK_SYN_RECEIVED)
    synack__conn_input(c, seg, now);
  c->busy--;
  synack__conn_maybe_free(c);
  return 1;
}

static void listen_input(synack_listener *l, const synack_segment *seg,
                         const synack_seq *iss, uint64_t now);

/* RFC 9293 3.10.7.2: a segment for a port in LISTEN. */
void synack__listener_input(synack_listener *l, const synack_segment *seg,
                            uint64_t now) {
  listen_input(l, seg, NULL, now);
}

void synack__listener_reopen(synack_listener *l, const synack_segment *seg,
                             synack_seq iss, uint64_t now) {
  listen_input(l, seg, &iss, now);
}

static void listen_input(synack_listener *l, const synack_segment *seg,
                         const synack_seq *iss, uint64_t now) {
  synack_host *h = l->host;
  synack_conn *c;
  if (seg->flags & SYNACK_RST) /* first: a reset is ignored */
    return;
  if (seg->flags &
      SYNACK_ACK) { /* second: any ACK is bad here, but a cookie's */
    if (!(seg->flags & SYNACK_SYN) && cookie_accept(l, seg, now))
      return;
    synack__reset_for(h, NULL, l, seg, now);
    return;
  }
  if (!(seg->flags & SYNACK_SYN)) /* fourth: anything else is dropped */
    return;
  /* third: a SYN; the security check is not done (no compartments) */
  if (l->nacc >= l->backlog)
    return; /* accept queue full: drop, the peer will retry */
  if (l->nsyn >= l->backlog) {
    synack__cookie_send(l, seg,
                        now); /* SYN queue full: keep nothing (RFC 4987 3.6) */
    return;
  }
  c = passive_new(l, seg, seg->seq,
                  (l->opts.set & SYNACK_OPT_SET_ISN) ? l->opts.isn
                  : iss                              ? *iss
                        : synack__isn(h->cfg.isn_secret, &h->cfg.addr, l->port,
                                      &seg->src, seg->sport, now),
                  now);
  if (!c)
    return;
  c->rtt_timing = 1;
  c->rtt_start = now;
  synack__syn_options(c, seg);
  c->busy++;
  synack__set_state(c, SYNACK_SYN_RECEIVED, seg, now);
  if (c->state == SYNACK_SYN_RECEIVED) {
    c->rexmt_since = now;
    synack__send_syn(c, now);
    synack__timer_set(c, SYNACK__T_REXMT, now + synack__rtt_rto(&c->rtt));
  }
  /* data or FIN riding on the SYN is not kept; the peer sends it again */
  c->busy--;
  synack__conn_maybe_free(c);
}
