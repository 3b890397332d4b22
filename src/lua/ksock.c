/*
 * ksock.c: synack.ksock, the kernel's own sockets as plain functions, for
 * the kernel target of synack.pkt (it runs a script's system calls on the
 * Linux TCP stack). Descriptors are integers; every call is one system call
 * and never blocks unless the descriptor was left blocking by its caller.
 *
 *   socket(domain, type, protocol) -> fd     (always close-on-exec)
 *   bind(fd, addr, port), connect(fd, addr, port), listen(fd, backlog) -> 0
 *   accept(fd [, flags]) -> fd               (accept4; flags SOCK_NONBLOCK..)
 *   recv(fd, max) -> string ("" at the end of the stream)
 *   send(fd, data) -> bytes sent             (never raises SIGPIPE)
 *   shutdown(fd, how), close(fd) -> 0
 *   setsockopt(fd, level, name, int) -> 0, getsockopt(fd, level, name) -> int
 *   fcntl(fd, F_GETFL | F_SETFL [, flags]) -> int
 *   poll(fd, events) -> revents              (does not wait)
 *   errname(errno) -> "ECONNREFUSED"
 *
 * A failure returns nil, "ENAME: message", "ENAME", as luv does; wrong
 * arguments raise. Numbers (levels, option names, flags) are Linux's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lsynack.h"

/* The errno values socket calls end with, by name. */
#define KSOCK_ERRNO(e)                                                         \
  { e, #e }
static const struct {
  int code;
  const char *name;
} errno_names[] = {
    KSOCK_ERRNO(EPERM),           KSOCK_ERRNO(ENOENT),
    KSOCK_ERRNO(EINTR),           KSOCK_ERRNO(EIO),
    KSOCK_ERRNO(EBADF),           KSOCK_ERRNO(EAGAIN),
    KSOCK_ERRNO(ENOMEM),          KSOCK_ERRNO(EACCES),
    KSOCK_ERRNO(EFAULT),          KSOCK_ERRNO(EINVAL),
    KSOCK_ERRNO(ENFILE),          KSOCK_ERRNO(EMFILE),
    KSOCK_ERRNO(EPIPE),           KSOCK_ERRNO(ENOTSOCK),
    KSOCK_ERRNO(EDESTADDRREQ),    KSOCK_ERRNO(EMSGSIZE),
    KSOCK_ERRNO(EPROTOTYPE),      KSOCK_ERRNO(ENOPROTOOPT),
    KSOCK_ERRNO(EPROTONOSUPPORT), KSOCK_ERRNO(ESOCKTNOSUPPORT),
    KSOCK_ERRNO(EOPNOTSUPP),      KSOCK_ERRNO(EAFNOSUPPORT),
    KSOCK_ERRNO(EADDRINUSE),      KSOCK_ERRNO(EADDRNOTAVAIL),
    KSOCK_ERRNO(ENETDOWN),        KSOCK_ERRNO(ENETUNREACH),
    KSOCK_ERRNO(ENETRESET),       KSOCK_ERRNO(ECONNABORTED),
    KSOCK_ERRNO(ECONNRESET),      KSOCK_ERRNO(ENOBUFS),
    KSOCK_ERRNO(EISCONN),         KSOCK_ERRNO(ENOTCONN),
    KSOCK_ERRNO(ESHUTDOWN),       KSOCK_ERRNO(ETIMEDOUT),
    KSOCK_ERRNO(ECONNREFUSED),    KSOCK_ERRNO(EHOSTDOWN),
    KSOCK_ERRNO(EHOSTUNREACH),    KSOCK_ERRNO(EALREADY),
    KSOCK_ERRNO(EINPROGRESS),
};
#undef KSOCK_ERRNO

/* The name of errno value e, or NULL when it is not in the list. */
static const char *errno_name(int e) {
  size_t i;
  for (i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
    if (errno_names[i].code == e)
      return errno_names[i].name;
  return NULL;
}

/* nil, "ENAME: message", "ENAME" for the current errno. */
static int push_errno(lua_State *L) {
  int e = errno;
  const char *name = errno_name(e);
  char buf[24];
  if (name == NULL) {
    snprintf(buf, sizeof buf, "E%d", e);
    name = buf;
  }
  lua_pushnil(L);
  lua_pushfstring(L, "%s: %s", name, strerror(e));
  lua_pushstring(L, name);
  return 3;
}

/* The integer at idx, which must lie in [lo, hi]. */
static int check_int(lua_State *L, int idx, lua_Integer lo, lua_Integer hi,
                     const char *what) {
  lua_Integer v = luaL_checkinteger(L, idx);
  if (v < lo || v > hi)
    luaL_argerror(L, idx, lua_pushfstring(L, "%s expected", what));
  return (int)v;
}

static int check_fd(lua_State *L, int idx) {
  return check_int(L, idx, 0, INT_MAX, "a descriptor (integer >= 0)");
}

/* 0 on success, else the error triple. */
static int result(lua_State *L, int rc) {
  if (rc < 0)
    return push_errno(L);
  lua_pushinteger(L, rc);
  return 1;
}

/* An IPv4 or IPv6 literal and a port at idx, idx+1, into *sa. */
static socklen_t check_sockaddr(lua_State *L, int idx,
                                struct sockaddr_storage *sa) {
  const char *addr = luaL_checkstring(L, idx);
  int port = check_int(L, idx + 1, 0, 65535, "a port (0 to 65535)");
  struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
  memset(sa, 0, sizeof *sa);
  if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    return sizeof *v4;
  }
  if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return sizeof *v6;
  }
  luaL_argerror(L, idx, "an IPv4 or IPv6 address literal expected");
  return 0;
}

static int k_socket(lua_State *L) {
  int domain = check_int(L, 1, 0, INT_MAX, "a domain (AF_INET, ...)");
  int type = check_int(L, 2, 0, INT_MAX, "a type (SOCK_STREAM, ...)");
  int proto = check_int(L, 3, 0, INT_MAX, "a protocol (IPPROTO_TCP, ...)");
  return result(L, socket(domain, type | SOCK_CLOEXEC, proto));
}

static int k_bind(lua_State *L) {
  int fd = check_fd(L, 1);
  struct sockaddr_storage sa;
  socklen_t len = check_sockaddr(L, 2, &sa);
  return result(L, bind(fd, (struct sockaddr *)&sa, len));
}

static int k_connect(lua_State *L) {
  int fd = check_fd(L, 1);
  struct sockaddr_storage sa;
  socklen_t len = check_sockaddr(L, 2, &sa);
  return result(L, connect(fd, (struct sockaddr *)&sa, len));
}

static int k_listen(lua_State *L) {
  int fd = check_fd(L, 1);
  int backlog = check_int(L, 2, 0, INT_MAX, "a backlog (integer >= 0)");
  return result(L, listen(fd, backlog));
}

static int k_accept(lua_State *L) {
  int fd = check_fd(L, 1);
  int flags = (int)luaL_optinteger(L, 2, 0);
  return result(L, accept4(fd, NULL, NULL, flags | SOCK_CLOEXEC));
}

/* recv(fd, max): at most `max` bytes (1 to 16 MiB), "" at the end. */
static int k_recv(lua_State *L) {
  int fd = check_fd(L, 1);
  int max = check_int(L, 2, 1, 16 << 20, "a byte count (1 to 16 MiB)");
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, (size_t)max);
  ssize_t n = recv(fd, p, (size_t)max, 0);
  if (n < 0)
    return push_errno(L);
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

static int k_send(lua_State *L) {
  int fd = check_fd(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
  if (n < 0)
    return push_errno(L);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int k_shutdown(lua_State *L) {
  int fd = check_fd(L, 1);
  int how =
      check_int(L, 2, SHUT_RD, SHUT_RDWR, "SHUT_RD, SHUT_WR or SHUT_RDWR");
  return result(L, shutdown(fd, how));
}

static int k_close(lua_State *L) {
  return result(L, close(check_fd(L, 1)));
}

static int k_setsockopt(lua_State *L) {
  int fd = check_fd(L, 1);
  int level = check_int(L, 2, 0, INT_MAX, "a level (SOL_SOCKET, ...)");
  int name = check_int(L, 3, 0, INT_MAX, "an option name");
  int v = check_int(L, 4, INT_MIN, INT_MAX, "an integer value");
  return result(L, setsockopt(fd, level, name, &v, sizeof v));
}

static int k_getsockopt(lua_State *L) {
  int fd = check_fd(L, 1);
  int level = check_int(L, 2, 0, INT_MAX, "a level (SOL_SOCKET, ...)");
  int name = check_int(L, 3, 0, INT_MAX, "an option name");
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) < 0)
    return push_errno(L);
  lua_pushinteger(L, v); /* may be negative (SO_PEEK_OFF reads -1) */
  return 1;
}

/* fcntl(fd, F_GETFL) or fcntl(fd, F_SETFL, flags): the file status flags. */
static int k_fcntl(lua_State *L) {
  int fd = check_fd(L, 1);
  int cmd = (int)luaL_checkinteger(L, 2);
  if (cmd == F_GETFL)
    return result(L, fcntl(fd, F_GETFL));
  if (cmd == F_SETFL)
    return result(
        L, fcntl(fd, F_SETFL, check_int(L, 3, 0, INT_MAX, "flags (>= 0)")));
  return luaL_argerror(L, 2, "F_GETFL or F_SETFL expected");
}

/* poll(fd, events) -> revents, at once (a timeout of 0). */
static int k_poll(lua_State *L) {
  struct pollfd p;
  p.fd = check_fd(L, 1);
  p.events = (short)check_int(L, 2, 0, 0x7fff, "poll events");
  p.revents = 0;
  if (poll(&p, 1, 0) < 0)
    return push_errno(L);
  lua_pushinteger(L, p.revents);
  return 1;
}

static int k_errname(lua_State *L) {
  const char *name = errno_name((int)luaL_checkinteger(L, 1));
  if (name == NULL)
    return 0;
  lua_pushstring(L, name);
  return 1;
}

void lsynack_open_ksock(lua_State *L) {
  static const luaL_Reg fns[] = {{"socket", k_socket},
                                 {"bind", k_bind},
                                 {"connect", k_connect},
                                 {"listen", k_listen},
                                 {"accept", k_accept},
                                 {"recv", k_recv},
                                 {"send", k_send},
                                 {"shutdown", k_shutdown},
                                 {"close", k_close},
                                 {"setsockopt", k_setsockopt},
                                 {"getsockopt", k_getsockopt},
                                 {"fcntl", k_fcntl},
                                 {"poll", k_poll},
                                 {"errname", k_errname},
                                 {NULL, NULL}};
  lua_newtable(L);
  luaL_setfuncs(L, fns, 0);
  lua_setfield(L, -2, "ksock");
}
