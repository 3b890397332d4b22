/*
 * err.h: the one list of errors synack reports, as an X-macro in the manner of
 * libuv's UV_ERRNO_MAP. Every layer takes its codes, names and messages from
 * here: the core returns negative SYNACK_E* values, the binding turns them
 * into `nil, "ENAME: message", "ENAME"`.
 */
#ifndef SYNACK_ERR_H
#define SYNACK_ERR_H

#define SYNACK_ERRNO_MAP(XX)                                                   \
  /* network and connection failures (returned to scripts) */                  \
  XX(ECONNREFUSED, "connection refused")                                       \
  XX(ECONNRESET, "connection reset by peer")                                   \
  XX(ECONNABORTED, "connection aborted")                                       \
  XX(ETIMEDOUT, "connection timed out")                                        \
  XX(ENOTCONN, "connection does not exist")                                    \
  XX(EISCONN, "connection already exists")                                     \
  XX(ECLOSING, "connection closing")                                           \
  XX(EADDRINUSE, "address already in use")                                     \
  XX(EADDRNOTAVAIL, "no ephemeral port available")                             \
  XX(EAGAIN, "resource temporarily unavailable")                               \
  XX(ENOBUFS, "no buffer space available")                                     \
  XX(ENOMEM, "out of memory")                                                  \
  XX(EINVAL, "invalid argument")                                               \
  XX(EPIPE, "connection closed for sending")                                   \
  XX(EOF, "end of stream")                                                     \
  XX(EHOSTUNREACH, "no route to host")                                         \
  XX(EAFNOSUPPORT, "address family mismatch")                                  \
  XX(EPERM, "operation not permitted")                                         \
  XX(ENODEV, "no such device")                                                 \
  /* codec: why a packet could not be parsed */                                \
  XX(ETRUNCATED, "packet truncated")                                           \
  XX(EBADVERSION, "not an IPv4 or IPv6 packet")                                \
  XX(EBADIPHDR, "bad IP header length")                                        \
  XX(EBADIPLEN, "bad IP total length")                                         \
  XX(ENOTTCP, "IP payload is not TCP")                                         \
  XX(EFRAGMENT, "IP fragment")                                                 \
  XX(EBADOFFSET, "bad TCP data offset")                                        \
  XX(EBADOPTION, "bad TCP option length")                                      \
  XX(ETOOBIG, "segment does not fit in one packet")

/* Codes are negative so they can share a return value with a length. */
typedef enum synack_err {
  SYNACK_OK = 0,
  SYNACK__ERR_BASE = -1000,
#define XX(name, msg) SYNACK_##name,
  SYNACK_ERRNO_MAP(XX)
#undef XX
      SYNACK__ERR_END
} synack_err;

/* "ECONNREFUSED"; "EUNKNOWN" for a code not in the list. */
const char *synack_err_name(int err);
/* "connection refused"; "unknown error" for a code not in the list. */
const char *synack_strerror(int err);

#endif
