/*
 * bench/churn_kernel.c: the Linux kernel's loopback connection churn, the
 * peer of bench/churn.lua. COUNT times in a row on 127.0.0.1: connect,
 * accept, send one byte, read it, close both ends (client first, as in
 * churn.lua). One thread, blocking sockets. Prints "kernel_churn_per_s N".
 *
 *   churn_kernel [COUNT]      (default 20000, at most 1000000)
 *
 * The client's TIME-WAIT sockets keep their ports; Linux reuses them for new
 * connections to the loopback (net.ipv4.tcp_tw_reuse = 2, the default), and
 * COUNT is bounded well under the ephemeral range anyway when reuse is off.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

int main(int argc, char **argv) {
  long count = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
  struct sockaddr_in sa = {0};
  socklen_t salen = sizeof sa;
  int one = 1, lfd;
  double t0, t;
  long i;

  if (count < 1 || count > 1000000) {
    fprintf(stderr, "usage: churn_kernel [COUNT in 1..1000000]\n");
    return 2;
  }
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0; /* any free port */
  lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0)
    die("socket");
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0)
    die("bind");
  if (listen(lfd, 128) < 0)
    die("listen");
  if (getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0)
    die("getsockname");

  t0 = wall();
  for (i = 0; i < count; i++) {
    char byte = 'x';
    int c = socket(AF_INET, SOCK_STREAM, 0), s;
    if (c < 0)
      die("socket");
    if (connect(c, (struct sockaddr *)&sa, sizeof sa) < 0)
      die("connect");
    s = accept(lfd, NULL, NULL);
    if (s < 0)
      die("accept");
    if (write(c, &byte, 1) != 1)
      die("write");
    if (read(s, &byte, 1) != 1)
      die("read");
    close(c);
    close(s);
  }
  t = wall() - t0;
  printf("kernel_churn_count %ld\n", count);
  printf("kernel_churn_per_s %.1f\n", (double)count / t);
  close(lfd);
  return 0;
}
