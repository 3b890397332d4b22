/* tun.c: the TUN link, a uv_poll_t on the device's descriptor (tun.h). */
#include "tun.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "tundev.h"

typedef struct tun_link {
  synack_link link; /* first: a synack_link* is a tun_link* */
  uv_poll_t poll;
  int fd;
  synack_clock *clk;
  synack_uvloop *ul;
  char name[16];
  uint64_t sent, received, failed;
  uint8_t buf[SYNACK_MAX_PACKET];
} tun_link;

static void tun_send(synack_link *l, uint32_t from, uint32_t to, uint32_t id,
                     const uint8_t *pkt, size_t len, uint64_t now);
static void tun_free(synack_link *l);

static const synack_link_ops tun_ops = {"tun", tun_send, tun_free};

int synack_link_is_tun(const synack_link *l) {
  return l->ops == &tun_ops;
}
const char *synack_tun_name(const synack_link *l) {
  return ((const tun_link *)l)->name;
}

void synack_tun_counts(const synack_link *l, uint64_t *sent, uint64_t *received,
                       uint64_t *failed) {
  const tun_link *t = (const tun_link *)l;
  *sent = t->sent;
  *received = t->received;
  *failed = t->failed;
}

/* Read every packet the device has (it is non-blocking), one at a time. */
static void on_readable(uv_poll_t *p, int status, int events) {
  tun_link *t = p->data;
  int i;
  if (status < 0 || !(events & UV_READABLE))
    return;
  for (i = 0; i < 256;
       i++) { /* a bound, so that one busy device cannot starve the loop */
    ssize_t n = read(t->fd, t->buf, sizeof t->buf);
    if (n <= 0)
      break; /* EAGAIN, or an error the next poll will show again */
    t->received++;
    synack_clock_input(t->clk, &t->link, t->buf, (size_t)n);
  }
}

/* Configure every address; 0 or a SYNACK_E* code with *sys_errno set. */
static int configure(const char *ifname, const char *const *cidrs, int ncidr,
                     int mtu, int *sys_errno) {
  int i, rc = 0;
  if (ncidr == 0)
    return SYNACK_EINVAL;
  for (i = 0; i < ncidr && rc == 0; i++) {
    synack_addr a;
    int prefix;
    if (synack_tundev_parse_cidr(cidrs[i], &a, &prefix) != 0)
      return SYNACK_EINVAL;
    rc = synack_tundev_configure(ifname, &a, prefix, i == 0 ? mtu : 0,
                                 sys_errno);
  }
  return rc;
}

synack_link *synack_tun_new(synack_clock *clk, const char *name,
                            const char *const *cidrs, int ncidr, int mtu,
                            int *err, int *sys_errno) {
  tun_link *t = calloc(1, sizeof *t);
  int rc;
  *sys_errno = 0;
  if (!t) {
    *err = SYNACK_ENOMEM;
    return NULL;
  }
  t->fd = synack_tundev_open(name, t->name, err, sys_errno);
  if (t->fd < 0) {
    free(t);
    return NULL;
  }
  rc = configure(t->name, cidrs, ncidr, mtu, sys_errno);
  if (rc == 0)
    rc = uv_poll_init(synack_uvloop_loop(synack_clock_uvloop(clk)), &t->poll,
                      t->fd);
  if (rc != 0) { /* a SYNACK_E* code from configure, or a libuv error from
                    uv_poll_init */
    int from_uv = !(rc > SYNACK__ERR_BASE && rc < SYNACK__ERR_END);
    if (from_uv)
      *sys_errno = -rc;
    *err = from_uv ? SYNACK_EINVAL : rc;
    close(t->fd);
    free(t);
    return NULL;
  }
  t->poll.data = t;
  t->clk = clk;
  t->ul = synack_clock_uvloop(clk);
  synack__uvloop_opened(t->ul);
  t->link.ops = &tun_ops;
#ifdef SYNACK_LINK_EXTERNAL
  t->link.flags = SYNACK_LINK_EXTERNAL;
#endif
  rc = uv_poll_start(&t->poll, UV_READABLE, on_readable);
  if (rc == 0)
    rc = synack_net_add_link(synack_clock_net(clk), &t->link);
  if (rc != 0) {
    *err = rc == SYNACK_ENOMEM ? SYNACK_ENOMEM : SYNACK_EINVAL;
    tun_free(&t->link);
    return NULL;
  }
  return &t->link;
}

static void tun_send(synack_link *l, uint32_t from, uint32_t to, uint32_t id,
                     const uint8_t *pkt, size_t len, uint64_t now) {
  tun_link *t = (tun_link *)l;
  if (to != SYNACK_NOHOST) { /* a host of this link */
    synack_net_deliver(l->net, now, to, from, id, pkt, len);
    return;
  }
  if (write(t->fd, pkt, len) != (ssize_t)len) {
    t->failed++;
    synack_net_drop(l->net, from, to, id, SYNACK_WHY_QUEUE, pkt, len);
    return;
  }
  t->sent++;
}

static void on_close(uv_handle_t *h) {
  tun_link *t = h->data;
  close(t->fd); /* the interface goes with its last descriptor */
  synack__uvloop_closed(t->ul);
  free(t);
}

/* The network frees its links: stop polling; the descriptor and memory go in
 * on_close. */
static void tun_free(synack_link *l) {
  tun_link *t = (tun_link *)l;
  uv_close((uv_handle_t *)&t->poll, on_close);
}
