/* loop.c: a network's real clock on a libuv loop, and the loop itself (loop.h).
 */
#include "loop.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

struct synack_uvloop {
  uv_loop_t loop;
  synack_clock *clocks; /* every open clock, for synack_uvloop_next */
  size_t handles;       /* open (or closing) handles of synack's */
  int fresh;            /* a handle opened since the loop last ran */
};

struct synack_clock {
  uv_timer_t timer; /* first: the handles' data points back here */
  uv_prepare_t prepare;
  synack_uvloop *ul;
  synack_clock *next, **pprev; /* in ul->clocks while open */
  synack_net *net;
  synack_clock_tick tick;
  void *ud;
  uint64_t start_ns;
  uint64_t
      armed; /* the deadline the timer is armed for, SYNACK_NEVER if stopped */
  uint64_t limit; /* synack_clock_set_limit */
  int closing;
  int in_timer; /* inside on_timer */
  int open;     /* handles not yet closed */
};

/* The loop ------------------------------------------------------------------
 */

synack_uvloop *synack_uvloop_new(int *err) {
  synack_uvloop *ul = calloc(1, sizeof *ul);
  int rc;
  if (!ul) {
    *err = SYNACK_ENOMEM;
    return NULL;
  }
  rc = uv_loop_init(&ul->loop);
  if (rc < 0) {
    free(ul);
    *err = rc;
    return NULL;
  }
  return ul;
}

uv_loop_t *synack_uvloop_loop(const synack_uvloop *ul) {
  return (uv_loop_t *)&ul->loop;
}
size_t synack_uvloop_handles(const synack_uvloop *ul) {
  return ul->handles;
}

void synack__uvloop_opened(synack_uvloop *ul) {
  ul->handles++;
  ul->fresh = 1; /* its watcher reaches the backend when the loop runs */
}

void synack__uvloop_closed(synack_uvloop *ul) {
  ul->handles--;
}

/* Count the handles that are not closing yet. */
static void count_open(uv_handle_t *h, void *arg) {
  if (!uv_is_closing(h))
    ++*(size_t *)arg;
}

void synack_uvloop_release(synack_uvloop *ul) {
  size_t open = 0;
  if (!ul)
    return;
  uv_walk(&ul->loop, count_open, &open);
  if (open)
    return; /* leaked on purpose, see loop.h */
  while (uv_loop_close(&ul->loop) == UV_EBUSY)
    uv_run(&ul->loop, UV_RUN_DEFAULT);
  free(ul);
}

int synack_uvloop_fd(const synack_uvloop *ul) {
  return uv_backend_fd(&ul->loop);
}

int synack_uvloop_next(synack_uvloop *ul, int *alive) {
  synack_clock *c;
  uv_update_time(&ul->loop); /* the clocks' timers start from now */
  for (c = ul->clocks; c; c = c->next)
    synack_clock_arm(c);
  *alive = uv_loop_alive(&ul->loop);
  if (!*alive)
    return -1;
  return ul->fresh ? 0 : uv_backend_timeout(&ul->loop);
}

void synack_uvloop_step(synack_uvloop *ul) {
  ul->fresh = 0;
  uv_run(&ul->loop, UV_RUN_NOWAIT);
}

/* The clock -----------------------------------------------------------------
 */

static void on_timer(uv_timer_t *t);
static void on_prepare(uv_prepare_t *p);

synack_clock *synack_clock_new(synack_uvloop *ul, synack_net *n,
                               synack_clock_tick tick, void *ud, int *err) {
  synack_clock *c = calloc(1, sizeof *c);
  int rc;
  if (!c) {
    *err = SYNACK_ENOMEM;
    return NULL;
  }
  rc = uv_timer_init(&ul->loop, &c->timer);
  if (rc < 0) {
    free(c);
    *err = rc;
    return NULL;
  }
  synack__uvloop_opened(ul);
  c->open = 1;
  rc = uv_prepare_init(&ul->loop, &c->prepare);
  if (rc == 0) {
    synack__uvloop_opened(ul);
    c->open = 2;
  }
  c->timer.data = c;
  c->prepare.data = c;
  c->ul = ul;
  c->net = n;
  c->tick = tick;
  c->ud = ud;
  c->armed = SYNACK_NEVER;
  c->limit = SYNACK_NEVER;
  c->start_ns = uv_hrtime();
  c->next = ul->clocks;
  if (c->next)
    c->next->pprev = &c->next;
  c->pprev = &ul->clocks;
  ul->clocks = c;
  if (rc < 0) {
    *err = rc;
    synack_clock_close(c);
    return NULL;
  }
  /* Re-arm before every poll; unreferenced: it never keeps the loop alive. */
  uv_prepare_start(&c->prepare, on_prepare);
  uv_unref((uv_handle_t *)&c->prepare);
  return c;
}

uint64_t synack_clock_now(const synack_clock *c) {
  return (uv_hrtime() - c->start_ns) / 1000;
}

void synack_clock_sync(synack_clock *c) {
  if (!c->closing)
    synack_net_set_now(c->net, synack_clock_now(c));
}

synack_uvloop *synack_clock_uvloop(const synack_clock *c) {
  return c->ul;
}
synack_net *synack_clock_net(const synack_clock *c) {
  return c->net;
}

void synack_clock_set_limit(synack_clock *c, uint64_t t) {
  c->limit = t;
  synack_clock_arm(c);
}

int synack_clock_loop_alive(synack_clock *c) {
  uv_handle_t *t = (uv_handle_t *)&c->timer;
  int alive;
  if (c->closing || c->limit == SYNACK_NEVER ||
      synack_net_next_deadline(c->net) != SYNACK_NEVER)
    return uv_loop_alive(c->timer.loop);
  uv_unref(t);
  alive = uv_loop_alive(c->timer.loop);
  uv_ref(t);
  return alive;
}

void synack_clock_run_due(synack_clock *c) {
  synack_net_run_until(c->net, synack_clock_now(c));
}

/*
 * Arm the timer for the next deadline: in whole milliseconds, rounded up, so
 * that it never fires before the deadline by more than the loop's cached
 * time lags behind (then the tick finds nothing due and arms it again).
 */
void synack_clock_arm(synack_clock *c) {
  uint64_t d, now, ms;
  if (c->closing)
    return;
  now = synack_clock_now(c);
  d = synack_net_next_deadline(c->net);
  if (c->limit < d && c->limit > now)
    d = c->limit; /* a limit reached is the driver's to see */
  if (d == SYNACK_NEVER) {
    if (c->armed != SYNACK_NEVER)
      uv_timer_stop(&c->timer);
    c->armed = SYNACK_NEVER;
    return;
  }
  if (d == c->armed && uv_is_active((uv_handle_t *)&c->timer))
    return;
  ms = d <= now ? 0 : (d - now + 999) / 1000;
  /* libuv runs a timer re-armed with 0 from its own callback again at once,
   * forever */
  if (ms == 0 && c->in_timer)
    ms = 1;
  uv_timer_start(&c->timer, on_timer, ms, 0);
  c->armed = d;
}

/* The destination address of an IP packet; 0, or -1 when too short. */
static int packet_dst(const uint8_t *pkt, size_t len, synack_addr *dst) {
  memset(dst, 0, sizeof *dst);
  if (len >= 20 && (pkt[0] >> 4) == 4) {
    dst->family = 4;
    memcpy(dst->bytes, pkt + 16, 4);
    return 0;
  }
  if (len >= SYNACK_IP6_HDR && (pkt[0] >> 4) == 6) {
    dst->family = 6;
    memcpy(dst->bytes, pkt + 24, 16);
    return 0;
  }
  return -1;
}

void synack_clock_input(synack_clock *c, synack_link *l, const uint8_t *pkt,
                        size_t len) {
  synack_addr dst;
  uint32_t to;
  if (c->closing)
    return;
  synack_clock_sync(c);
  synack_net_tap_input(c->net, l, pkt, len);
  if (packet_dst(pkt, len, &dst) < 0) {
    synack_net_drop(c->net, SYNACK_NOHOST, SYNACK_NOHOST, 0,
                    SYNACK_WHY_MALFORMED, pkt, len);
    return;
  }
  to = synack_net_route(c->net, l, &dst);
  if (to == SYNACK_NOHOST) {
    synack_net_drop(c->net, SYNACK_NOHOST, SYNACK_NOHOST, 0, SYNACK_WHY_NO_HOST,
                    pkt, len);
    return;
  }
  synack_net_deliver(c->net, synack_net_now(c->net), to, SYNACK_NOHOST, 0, pkt,
                     len);
  synack_clock_arm(c);
}

static void on_timer(uv_timer_t *t) {
  synack_clock *c = t->data;
  uint64_t now = synack_clock_now(c);
  c->armed = SYNACK_NEVER;
  c->in_timer = 1;
  if (c->tick)
    c->tick(c->ud, c, now);
  else
    synack_net_run_until(c->net, now);
  synack_clock_arm(c); /* a no-op once the tick closed the clock */
  c->in_timer = 0;
}

static void on_prepare(uv_prepare_t *p) {
  synack_clock_arm(p->data);
}

static void on_close(uv_handle_t *h) {
  synack_clock *c = h->data;
  synack__uvloop_closed(c->ul);
  if (--c->open == 0)
    free(c);
}

void synack_clock_close(synack_clock *c) {
  if (!c || c->closing)
    return;
  c->closing = 1;
  *c->pprev = c->next;
  if (c->next)
    c->next->pprev = c->pprev;
  uv_close((uv_handle_t *)&c->timer, on_close);
  if (c->open == 2)
    uv_close((uv_handle_t *)&c->prepare, on_close);
}
