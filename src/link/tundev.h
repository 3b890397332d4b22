/*
 * tundev.h: creating and configuring a Linux TUN device, with ioctls only
 * (no shelling out to ip(8)). The device carries bare IP packets (IFF_TUN |
 * IFF_NO_PI), which is exactly what synack's links move. The link that reads
 * and writes the descriptor through libuv is built on top of this.
 */
#ifndef SYNACK_TUNDEV_H
#define SYNACK_TUNDEV_H

#include <stddef.h>

#include "segment.h"

/*
 * Open /dev/net/tun and attach a TUN interface named `name` (a kernel-chosen
 * "tunN" when name is NULL or ""). On success returns a non-blocking,
 * close-on-exec descriptor and writes the interface's real name into
 * name_out[0..16). On failure returns -1 and sets *err to a SYNACK_E* code and
 * *sys_errno to the errno that caused it (EACCES/EPERM: no privilege;
 * ENOENT: no /dev/net/tun).
 */
int synack_tundev_open(const char *name, char name_out[16], int *err,
                       int *sys_errno);

/*
 * Give interface `ifname` the address `addr` with `prefix` bits of netmask,
 * set its MTU (when mtu > 0) and bring it up. IPv4 and IPv6. Returns 0, or a
 * SYNACK_E* code with *sys_errno set.
 */
int synack_tundev_configure(const char *ifname, const synack_addr *addr,
                            int prefix, int mtu, int *sys_errno);

/* Parse "198.18.0.1/24" or "2001:db8::1/64"; no "/n" means a host prefix. */
int synack_tundev_parse_cidr(const char *text, synack_addr *addr, int *prefix);

#endif
