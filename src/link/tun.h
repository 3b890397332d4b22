/*
 * tun.h: a link onto a Linux TUN device (tundev.h), read through a uv_poll_t
 * on its descriptor. The kernel sees an interface with the addresses given
 * here; synack's hosts on this link own other addresses of those subnets,
 * which the kernel routes to the device and never answers itself. Real time
 * only. IPv4 and IPv6.
 *
 * A packet a host sends to an address another host of this link owns is
 * delivered locally; any other packet is written to the device (a write the
 * device refuses is a "queue" drop). Each packet read from the device goes to
 * the host of this link owning its destination ("no host" drop otherwise).
 */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H

#include "loop.h"

#define SYNACK_TUN_MAX_ADDRS 4

/*
 * Open the device `name` (NULL: the kernel picks "tunN"), give it the
 * addresses cidrs[0..ncidr) ("198.18.0.1/24", "2001:db8::1/64"), the MTU
 * (0: the kernel's default) and bring it up. Returns NULL with *err a
 * SYNACK_E* code (SYNACK_EPERM: no CAP_NET_ADMIN; SYNACK_ENODEV: no
 * /dev/net/tun) and *sys_errno the errno behind it (0 if none).
 */
synack_link *synack_tun_new(synack_clock *clk, const char *name,
                            const char *const *cidrs, int ncidr, int mtu,
                            int *err, int *sys_errno);
int synack_link_is_tun(const synack_link *l);
/* The interface's name ("synack0"). */
const char *synack_tun_name(const synack_link *l);
/* Packets written and read, and writes that failed. */
void synack_tun_counts(const synack_link *l, uint64_t *sent, uint64_t *received,
                       uint64_t *failed);

#endif
