/* tundev.c: TUN device set-up through ioctl (Linux). See tundev.h. */
#include "tundev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"

/* The kernel's struct in6_ifreq (linux/ipv6.h clashes with netinet/in.h). */
struct tundev_in6_ifreq {
  struct in6_addr addr;
  uint32_t prefixlen;
  int ifindex;
};

static int errno_to_err(int e) {
  switch (e) {
  case EPERM:
  case EACCES:
    return SYNACK_EPERM;
  case ENOENT:
  case ENODEV:
    return SYNACK_ENODEV;
  case EBUSY:
  case EEXIST:
    return SYNACK_EADDRINUSE;
  default:
    return SYNACK_EINVAL;
  }
}

int synack_tundev_open(const char *name, char name_out[16], int *err,
                       int *sys_errno) {
  struct ifreq ifr;
  int fd;
  if (name && strlen(name) >= IFNAMSIZ) {
    *err = SYNACK_EINVAL;
    *sys_errno = ENAMETOOLONG;
    return -1;
  }
  fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *sys_errno = errno;
    *err = errno_to_err(errno);
    return -1;
  }
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (name)
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    *sys_errno = errno;
    *err = errno_to_err(errno);
    close(fd);
    return -1;
  }
  memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
  name_out[IFNAMSIZ - 1] = '\0';
  return fd;
}

/* Set the IPv4 address and netmask of `ifname` through socket `s`. */
static int set_addr4(int s, const char *ifname, const synack_addr *addr,
                     int prefix) {
  struct ifreq ifr;
  struct sockaddr_in sin;
  uint32_t mask = prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  memcpy(&sin.sin_addr, addr->bytes, 4);
  memcpy(&ifr.ifr_addr, &sin, sizeof sin);
  if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
    return -1;
  sin.sin_addr.s_addr = htonl(mask);
  memcpy(&ifr.ifr_netmask, &sin, sizeof sin);
  return ioctl(s, SIOCSIFNETMASK, &ifr);
}

/* Add an IPv6 address to `ifname` through AF_INET6 socket `s`. */
static int set_addr6(int s, const char *ifname, const synack_addr *addr,
                     int prefix) {
  struct ifreq ifr;
  struct tundev_in6_ifreq req;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFINDEX, &ifr) < 0)
    return -1;
  memset(&req, 0, sizeof req);
  memcpy(&req.addr, addr->bytes, 16);
  req.prefixlen = (uint32_t)prefix;
  req.ifindex = ifr.ifr_ifindex;
  return ioctl(s, SIOCSIFADDR, &req);
}

/* Set the MTU (when > 0) and raise IFF_UP. */
static int set_up(int s, const char *ifname, int mtu) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  if (mtu > 0) {
    ifr.ifr_mtu = mtu;
    if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
      return -1;
  }
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
    return -1;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl(s, SIOCSIFFLAGS, &ifr);
}

int synack_tundev_configure(const char *ifname, const synack_addr *addr,
                            int prefix, int mtu, int *sys_errno) {
  int v6 = addr->family == 6;
  int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int rc;
  if (s < 0) {
    *sys_errno = errno;
    return errno_to_err(errno);
  }
  /* Bring the link up first: the kernel only keeps IPv6 addresses on an up
   * link. */
  rc = set_up(s, ifname, mtu);
  if (rc == 0)
    rc = v6 ? set_addr6(s, ifname, addr, prefix)
            : set_addr4(s, ifname, addr, prefix);
  if (rc < 0) {
    *sys_errno = errno;
    rc = errno_to_err(errno);
  }
  close(s);
  return rc;
}

int synack_tundev_parse_cidr(const char *text, synack_addr *addr, int *prefix) {
  char buf[64];
  const char *slash = strchr(text, '/');
  size_t n = slash ? (size_t)(slash - text) : strlen(text);
  int max;
  if (n >= sizeof buf)
    return SYNACK_EINVAL;
  memcpy(buf, text, n);
  buf[n] = '\0';
  if (synack_addr_parse(buf, addr) != 0)
    return SYNACK_EINVAL;
  max = addr->family == 6 ? 128 : 32;
  if (!slash) {
    *prefix = max;
    return 0;
  }
  {
    char *end;
    long p = strtol(slash + 1, &end, 10);
    if (end == slash + 1 || *end != '\0' || p < 0 || p > max)
      return SYNACK_EINVAL;
    *prefix = (int)p;
  }
  return 0;
}
