/*
 * addr.c: IPv4 and IPv6 addresses as text, both ways. The text forms are the
 * ones inet_pton(3) accepts and inet_ntop(3) writes, which are also what
 * tcpdump prints (RFC 5952 style, "::" for the longest run of zero groups).
 */
#include <arpa/inet.h>
#include <string.h>

#include "err.h"
#include "segment.h"

int synack_addr_parse(const char *text, synack_addr *out) {
  memset(out, 0, sizeof *out);
  if (text == NULL)
    return SYNACK_EINVAL;
  if (inet_pton(AF_INET, text, out->bytes) == 1) {
    out->family = 4;
    return 0;
  }
  if (inet_pton(AF_INET6, text, out->bytes) == 1) {
    out->family = 6;
    return 0;
  }
  memset(out, 0, sizeof *out);
  return SYNACK_EINVAL;
}

void synack_addr_format(const synack_addr *a, char *out, size_t cap) {
  char buf[INET6_ADDRSTRLEN];
  const char *s = NULL;
  size_t n;
  if (cap == 0)
    return;
  if (a->family == 4)
    s = inet_ntop(AF_INET, a->bytes, buf, sizeof buf);
  else if (a->family == 6)
    s = inet_ntop(AF_INET6, a->bytes, buf, sizeof buf);
  if (s == NULL)
    s = "?";
  n = strlen(s);
  if (n > cap - 1)
    n = cap - 1;
  memcpy(out, s, n);
  out[n] = '\0';
}

/* Same family and the same bytes of that family. */
int synack_addr_equal(const synack_addr *a, const synack_addr *b) {
  if (a->family != b->family)
    return 0;
  return memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}
