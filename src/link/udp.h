/*
 * udp.h: a link that carries each IP packet in one UDP datagram (uv_udp_t),
 * so that two synack processes, or two machines, can talk without
 * privileges. Real time only (it needs the network's clock).
 *
 * A packet a host of this network sends to an address another host of this
 * link owns is delivered locally (a shared medium, like the wire); any other
 * packet goes to the peer: the fixed `peer` address, or, without one, the
 * address the last datagram came from (a server learns its client). A
 * datagram that arrives is delivered to the host of this link that owns the
 * packet's destination address ("no host" drop otherwise).
 */
#ifndef SYNACK_UDP_H
#define SYNACK_UDP_H

#include "loop.h"

/*
 * Bind a UDP socket to `bind` ("127.0.0.1:7000", "[::1]:7000"; port 0: any)
 * and add the link to the clock's network. `peer` may be NULL. Returns NULL
 * with *err a SYNACK_E* code and *uverr the libuv error (0 if none).
 */
synack_link *synack_udp_new(synack_clock *clk, const char *bind,
                            const char *peer, int *err, int *uverr);
/* True when `l` is a UDP link. */
int synack_link_is_udp(const synack_link *l);
/* The bound address as text ("127.0.0.1:7000") into out; 0 or a libuv error. */
int synack_udp_sockname(const synack_link *l, char *out, size_t cap);
/* Datagrams sent and received, and sends that failed (would block, no peer). */
void synack_udp_counts(const synack_link *l, uint64_t *sent, uint64_t *received,
                       uint64_t *failed);

/* Parse "1.2.3.4:port" or "[v6]:port" into a sockaddr; 0 or a libuv error. */
int synack__parse_hostport(const char *text, struct sockaddr_storage *out);

#endif
