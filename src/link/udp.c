/* udp.c: IP packets in UDP datagrams, on the network's libuv loop (udp.h). */
#include "udp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

typedef struct udp_link {
  synack_link link; /* first: a synack_link* is a udp_link* */
  uv_udp_t udp;
  synack_clock *clk;
  synack_uvloop *ul;
  struct sockaddr_storage peer;
  int has_peer, fixed_peer;
  uint64_t sent, received, failed;
  char buf[SYNACK_MAX_PACKET]; /* receive buffer: one datagram at a time */
} udp_link;

static void udp_send(synack_link *l, uint32_t from, uint32_t to, uint32_t id,
                     const uint8_t *pkt, size_t len, uint64_t now);
static void udp_free(synack_link *l);

static const synack_link_ops udp_ops = {"udp", udp_send, udp_free};

int synack_link_is_udp(const synack_link *l) {
  return l->ops == &udp_ops;
}

int synack__parse_hostport(const char *text, struct sockaddr_storage *out) {
  char host[64];
  const char *colon, *start = text, *end;
  long port;
  char *stop;
  size_t n;
  if (text[0] == '[') {
    start = text + 1;
    end = strchr(start, ']');
    if (!end || end[1] != ':')
      return UV_EINVAL;
    colon = end + 1;
  } else {
    colon = strrchr(text, ':');
    if (!colon)
      return UV_EINVAL;
    end = colon;
  }
  n = (size_t)(end - start);
  if (n == 0 || n >= sizeof host)
    return UV_EINVAL;
  memcpy(host, start, n);
  host[n] = '\0';
  port = strtol(colon + 1, &stop, 10);
  if (stop == colon + 1 || *stop != '\0' || port < 0 || port > 65535)
    return UV_EINVAL;
  memset(out, 0, sizeof *out);
  if (strchr(host, ':'))
    return uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)out);
  return uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out);
}

/* Text of a sockaddr: "127.0.0.1:7000" or "[::1]:7000". */
static int format_hostport(const struct sockaddr_storage *ss, char *out,
                           size_t cap) {
  char host[64];
  int rc;
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    rc = uv_ip6_name(s6, host, sizeof host);
    if (rc == 0)
      snprintf(out, cap, "[%s]:%u", host, ntohs(s6->sin6_port));
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    rc = uv_ip4_name(s4, host, sizeof host);
    if (rc == 0)
      snprintf(out, cap, "%s:%u", host, ntohs(s4->sin_port));
  }
  return rc;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  udp_link *u = h->data;
  (void)suggested;
  buf->base = u->buf;
  buf->len = sizeof u->buf;
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags) {
  udp_link *u = h->data;
  (void)flags;
  if (nread <= 0 || !addr)
    return; /* nothing, or an error we cannot act on */
  u->received++;
  if (!u->fixed_peer) {
    memcpy(&u->peer, addr,
           addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                       : sizeof(struct sockaddr_in));
    u->has_peer = 1;
  }
  synack_clock_input(u->clk, &u->link, (const uint8_t *)buf->base,
                     (size_t)nread);
}

synack_link *synack_udp_new(synack_clock *clk, const char *bind,
                            const char *peer, int *err, int *uverr) {
  struct sockaddr_storage local;
  udp_link *u;
  int rc;
  *uverr = 0;
  *err = SYNACK_EINVAL;
  if ((rc = synack__parse_hostport(bind, &local)) < 0) {
    *uverr = rc;
    return NULL;
  }
  u = calloc(1, sizeof *u);
  if (!u) {
    *err = SYNACK_ENOMEM;
    return NULL;
  }
  if (peer && (rc = synack__parse_hostport(peer, &u->peer)) < 0) {
    free(u);
    *uverr = rc;
    return NULL;
  }
  u->has_peer = u->fixed_peer = peer != NULL;
  u->clk = clk;
  u->ul = synack_clock_uvloop(clk);
  u->link.ops = &udp_ops;
#ifdef SYNACK_LINK_EXTERNAL
  u->link.flags = SYNACK_LINK_EXTERNAL;
#endif
  if ((rc = uv_udp_init(synack_uvloop_loop(u->ul), &u->udp)) < 0) {
    free(u);
    *uverr = rc;
    return NULL;
  }
  u->udp.data = u;
  synack__uvloop_opened(u->ul);
  rc = uv_udp_bind(&u->udp, (const struct sockaddr *)&local, 0);
  if (rc == 0)
    rc = uv_udp_recv_start(&u->udp, on_alloc, on_recv);
  if (rc == 0)
    rc = synack_net_add_link(synack_clock_net(clk), &u->link);
  if (rc != 0) {
    int from_uv = rc != SYNACK_ENOMEM; /* add_link's only error */
    *uverr = from_uv ? rc : 0;
    *err = !from_uv                            ? SYNACK_ENOMEM
           : rc == UV_EADDRINUSE               ? SYNACK_EADDRINUSE
           : rc == UV_EACCES || rc == UV_EPERM ? SYNACK_EPERM
           : rc == UV_EADDRNOTAVAIL            ? SYNACK_EADDRNOTAVAIL
                                               : SYNACK_EINVAL;
    udp_free(&u->link);
    return NULL;
  }
  return &u->link;
}

static void udp_send(synack_link *l, uint32_t from, uint32_t to, uint32_t id,
                     const uint8_t *pkt, size_t len, uint64_t now) {
  udp_link *u = (udp_link *)l;
  uv_buf_t b;
  int rc;
  if (to != SYNACK_NOHOST) { /* a host of this link: a shared medium */
    synack_net_deliver(l->net, now, to, from, id, pkt, len);
    return;
  }
  if (!u->has_peer) {
    u->failed++;
    synack_net_drop(l->net, from, to, id, SYNACK_WHY_NO_HOST, pkt, len);
    return;
  }
  b = uv_buf_init((char *)(uintptr_t)pkt, (unsigned)len);
  rc = uv_udp_try_send(&u->udp, &b, 1, (const struct sockaddr *)&u->peer);
  if (rc < 0) {
    u->failed++;
    synack_net_drop(l->net, from, to, id, SYNACK_WHY_QUEUE, pkt, len);
    return;
  }
  u->sent++;
}

int synack_udp_sockname(const synack_link *l, char *out, size_t cap) {
  const udp_link *u = (const udp_link *)l;
  struct sockaddr_storage ss;
  int n = sizeof ss;
  int rc = uv_udp_getsockname(&u->udp, (struct sockaddr *)&ss, &n);
  if (rc < 0)
    return rc;
  return format_hostport(&ss, out, cap);
}

void synack_udp_counts(const synack_link *l, uint64_t *sent, uint64_t *received,
                       uint64_t *failed) {
  const udp_link *u = (const udp_link *)l;
  *sent = u->sent;
  *received = u->received;
  *failed = u->failed;
}

static void on_close(uv_handle_t *h) {
  udp_link *u = h->data;
  synack__uvloop_closed(u->ul);
  free(u);
}

/* The network frees its links: close the socket; the memory goes in on_close.
 */
static void udp_free(synack_link *l) {
  udp_link *u = (udp_link *)l;
  uv_close((uv_handle_t *)&u->udp, on_close);
}
