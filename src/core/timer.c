/*
 * timer.c: per-connection deadlines and the host's min-heap of connections
 * ordered by their earliest one. Every timer is an absolute time in
 * microseconds (SYNACK_NEVER when off); nothing ticks. The heap never grows
 * while a segment is processed: room for every connection is made when the
 * connection is created (synack__heap_reserve).
 */
#include <stdlib.h>

#include "tcb.h"

#define NONE ((size_t)-1)

int synack__heap_reserve(synack_host *h) {
  size_t want = h->nconns + 1;
  if (want > h->heap_cap) {
    size_t cap = h->heap_cap ? h->heap_cap * 2 : 16;
    synack_conn **p;
    while (cap < want)
      cap *= 2;
    p = realloc(h->heap, cap * sizeof *p);
    if (!p)
      return SYNACK_ENOMEM;
    h->heap = p;
    h->heap_cap = cap;
  }
  return 0;
}

static void heap_put(synack_host *h, size_t i, synack_conn *c) {
  h->heap[i] = c;
  c->heap_idx = i;
}

static void sift_up(synack_host *h, size_t i) {
  synack_conn *c = h->heap[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (h->heap[p]->deadline <= c->deadline)
      break;
    heap_put(h, i, h->heap[p]);
    i = p;
  }
  heap_put(h, i, c);
}

static void sift_down(synack_host *h, size_t i) {
  synack_conn *c = h->heap[i];
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    uint64_t best = c->deadline;
    if (l < h->heap_len && h->heap[l]->deadline < best) {
      m = l;
      best = h->heap[l]->deadline;
    }
    if (l + 1 < h->heap_len && h->heap[l + 1]->deadline < best)
      m = l + 1;
    if (m == i)
      break;
    heap_put(h, i, h->heap[m]);
    i = m;
  }
  heap_put(h, i, c);
}

static void heap_remove(synack_host *h, synack_conn *c) {
  size_t i = c->heap_idx;
  synack_conn *last;
  if (i == NONE)
    return;
  c->heap_idx = NONE;
  last = h->heap[--h->heap_len];
  if (last == c)
    return;
  heap_put(h, i, last);
  sift_up(h, i);
  sift_down(h, last->heap_idx);
}

/* Fold the timers into c->deadline and move c in the heap. */
static void update(synack_conn *c) {
  synack_host *h = c->host;
  uint64_t d = SYNACK_NEVER, old = c->deadline;
  int i;
  for (i = 0; i < SYNACK__T_COUNT; i++)
    if (c->t[i] < d)
      d = c->t[i];
  c->deadline = d;
  if (d == SYNACK_NEVER) {
    heap_remove(h, c);
    return;
  }
  if (c->heap_idx == NONE) {
    if (h->heap_len >= h->heap_cap)
      return; /* cannot happen: room is reserved per connection */
    heap_put(h, h->heap_len++, c);
    sift_up(h, c->heap_idx);
  } else if (d < old) {
    sift_up(h, c->heap_idx);
  } else if (d > old) {
    sift_down(h, c->heap_idx);
  }
}

void synack__timer_set(synack_conn *c, int which, uint64_t when) {
  c->t[which] = when;
  update(c);
}

void synack__timer_stop(synack_conn *c, int which) {
  if (c->t[which] == SYNACK_NEVER)
    return;
  c->t[which] = SYNACK_NEVER;
  update(c);
}

void synack__timer_stop_all(synack_conn *c) {
  int i;
  for (i = 0; i < SYNACK__T_COUNT; i++)
    c->t[i] = SYNACK_NEVER;
  update(c);
}

uint64_t synack_host_deadline(const synack_host *h) {
  return h->heap_len ? h->heap[0]->deadline : SYNACK_NEVER;
}

void synack_host_timeout(synack_host *h, uint64_t now) {
  size_t guard = 4 * h->heap_len + 16;
  h->now = now;
  while (h->heap_len && h->heap[0]->deadline <= now && guard-- > 0) {
    synack_conn *c = h->heap[0];
    c->busy++;
    synack__timer_fire(c, now);
    c->busy--;
    synack__conn_maybe_free(c);
  }
}

/* RFC 9293 3.8.3 / MUST-20: R2 reached, or the user timeout (3.10.8) passed. */
static int gave_up(synack_conn *c, uint32_t tries, uint32_t limit,
                   uint64_t now) {
  if (c->opts.user_timeout_us)
    return now - c->rexmt_since >= c->opts.user_timeout_us;
  return tries > limit;
}

/*
 * RFC 9293 3.8.3 (MUST-20, SHLD-9): once one segment has been retransmitted
 * R1 times the path may be failing; the application hears of it once (a
 * connection still in a listener's queue has nobody to tell). Called last,
 * as the callback may abort the connection.
 */
static void r1_check(synack_conn *c, uint64_t now) {
  uint32_t r1 = c->host->cfg.r1_retries;
  if (r1 == 0 || c->r1_reached || c->nretx < r1)
    return;
  c->r1_reached = 1;
  if (!c->listener)
    synack__notify(c, NULL, SYNACK_NOTICE_R1, now);
}

static void on_rexmt(synack_conn *c, uint64_t now) {
  const synack_host_config *cfg = &c->host->cfg;
  if (c->state == SYNACK_SYN_SENT || c->state == SYNACK_SYN_RECEIVED) {
    c->nretx++;
    if (gave_up(c, c->nretx, cfg->syn_retries, now)) { /* MUST-22: SYNs too */
      synack__conn_closed(c, SYNACK_ETIMEDOUT, NULL, now);
      return;
    }
    synack__rtt_backoff(&c->rtt);
    c->rtt_timing = 0; /* Karn */
    c->retransmits++;
    synack__send_syn(c, now);
    synack__timer_set(c, SYNACK__T_REXMT, now + synack__rtt_rto(&c->rtt));
    r1_check(c, now);
    return;
  }
  if (synack__flight(c) == 0)
    return;
  c->nretx++;
  if (gave_up(c, c->nretx, cfg->data_retries, now)) {
    synack__conn_closed(c, SYNACK_ETIMEDOUT, NULL, now);
    return;
  }
  /* RFC 5681 3.1 and RFC 6298 5.4-5.6: shrink the window, back off, resend */
  if (c->nretx == 1 && c->cc)
    c->cc->on_rto(c);
  else if (c->cc)
    c->cwnd = c->smss;
  c->in_recovery = 0;
  c->dupacks = 0;
  c->recover = c->snd_max;
  c->rtos++;
  /* RFC 6675 5.1: the scoreboard survives a first timeout, so the resend
     skips what the peer SACKed; a second one in a row clears it, in case
     the peer reneged (RFC 2018 8) */
  if (c->nretx > 1)
    synack__sack_clear(c);
  c->sb.high_rxt = c->snd_una;
  c->sb.rxt_watch = 0;
  synack__rtt_backoff(&c->rtt);
  c->rtt_timing = 0;
  c->snd_nxt = c->snd_una; /* go back: resend from the oldest */
  synack__retransmit(c, now);
  synack__timer_set(c, SYNACK__T_REXMT, now + synack__rtt_rto(&c->rtt));
  r1_check(c, now);
}

/* RFC 9293 3.8.6.1: probe a zero window; MUST-37: give up only when unanswered.
 */
static void on_persist(synack_conn *c, uint64_t now) {
  c->nprobe++;
  if (gave_up(c, c->nprobe, c->host->cfg.data_retries, now)) {
    synack__conn_closed(c, SYNACK_ETIMEDOUT, NULL, now);
    return;
  }
  synack__send_probe(c, now);
  synack__rtt_backoff(&c->rtt);
  synack__timer_set(c, SYNACK__T_PERSIST, now + synack__rtt_rto(&c->rtt));
}

/* RFC 9293 3.8.4: keepalive after an idle interval, MUST-29 tolerant of losses.
 */
static void on_keep(synack_conn *c, uint64_t now) {
  uint64_t iv = c->opts.keepalive_us;
  if (!iv || (c->state != SYNACK_ESTABLISHED && c->state != SYNACK_CLOSE_WAIT))
    return;
  if (now - c->last_rcv < iv && c->nkeep == 0) {
    synack__timer_set(c, SYNACK__T_KEEP, c->last_rcv + iv);
    return;
  }
  if (c->nkeep >= c->host->cfg.keepalive_probes) {
    synack__conn_closed(c, SYNACK_ETIMEDOUT, NULL, now);
    return;
  }
  c->nkeep++;
  synack__send_keepalive(c, now);
  synack__timer_set(c, SYNACK__T_KEEP, now + (iv / 10 ? iv / 10 : 1));
}

void synack__timer_fire(synack_conn *c, uint64_t now) {
  int i;
  for (i = 0; i < SYNACK__T_COUNT; i++) {
    if (c->t[i] > now)
      continue;
    synack__timer_stop(c, i);
    if (c->state == SYNACK_CLOSED)
      return;
    switch (i) {
    case SYNACK__T_REXMT:
      on_rexmt(c, now);
      break;
    case SYNACK__T_PERSIST:
      on_persist(c, now);
      break;
    case SYNACK__T_DELACK:
      synack__send_ack(c, now);
      break;
    case SYNACK__T_SWS:
      c->sws_force = 1;
      synack__output(c, now);
      c->sws_force = 0;
      break;
    case SYNACK__T_KEEP:
      on_keep(c, now);
      break;
    case SYNACK__T_2MSL:
      if (c->state == SYNACK_FIN_WAIT_2) {
        /* not in the RFC: like Linux's fin_timeout, a FIN-WAIT-2 connection
           nobody holds any more is closed after 2 MSL without the peer's FIN;
           one still held waits on with no deadline (synack_conn_release arms
           the timer again when the last hold goes) */
        if (c->refs <= 0)
          synack__conn_closed(c, 0, NULL, now);
        return;
      }
      synack__conn_closed(c, 0, NULL,
                          now); /* RFC 9293 3.10.8: time-wait timeout */
      return;
    }
  }
}
