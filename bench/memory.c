/*
 * bench/memory.c: what memory costs on this machine, for the notes of the
 * scale benchmark (bench/scale.lua). Two measurements, in plain C, with no
 * synack in them:
 *
 *   - a dependent load (each address read from the one before, as a pointer
 *     chase does) over a working set that the caches hold, and over one of
 *     the size 100,000 connections take, which they do not;
 *   - a round of the scale benchmark without the protocol: the memory one
 *     round touches, touched the same way (a table slot, an object and a TCB
 *     of the connection's client end, a hash bucket and the TCB of the
 *     server end, a bucket back, the server's slot and object), over 1,000
 *     and over N connections; once with the loads free to overlap, once
 *     with each step waiting for the one before, as synack's do.
 *
 *   memory [N [ROUNDS]]       (default 100000 200000)
 *
 * Prints "name value" lines for bench/run.lua: mem_load_ns_cache,
 * mem_load_ns_memory, mem_round_ns_1k, mem_round_ns_n, mem_chain_ns_1k,
 * mem_chain_ns_n.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TCB_SIZE 800 /* sizeof(synack_conn) */
#define TCB_HOT 9    /* its cache lines a segment reads or writes (tcb.h) */

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next_random(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void *must(void *p) {
  if (!p) {
    fprintf(stderr, "memory: out of memory\n");
    exit(1);
  }
  return p;
}

/* Nanoseconds per load, chasing pointers through `bytes` of memory in a
   random cyclic order of its cache lines. */
static double chase(size_t bytes, long loads) {
  size_t n = bytes / 64, i;
  size_t *order = must(malloc(n * sizeof *order));
  char *mem = must(malloc(n * 64));
  char *p;
  uint64_t s = 88172645463325252ull;
  long k;
  double t;
  for (i = 0; i < n; i++)
    order[i] = i;
  for (i = n - 1; i > 0; i--) {
    size_t j = (size_t)(next_random(&s) % (i + 1)), tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  for (i = 0; i < n; i++)
    *(char **)(mem + order[i] * 64) = mem + order[(i + 1) % n] * 64;
  p = mem;
  for (k = 0; k < loads / 10; k++) /* warm */
    p = *(char **)p;
  t = wall();
  for (k = 0; k < loads; k++)
    p = *(char **)p;
  t = wall() - t;
  if (p == NULL)
    puts("");
  free(order);
  free(mem);
  return t / (double)loads * 1e9;
}

typedef struct object { /* a Lua userdata holding a pointer to its TCB */
  void *metatable;
  char *tcb;
  char rest[48];
} object;

/* Read and write the hot lines of a TCB; returns what it read. */
static uint64_t touch(char *tcb) {
  uint64_t sum = 0;
  int i;
  for (i = 0; i < TCB_HOT; i++) {
    sum += (uint8_t)tcb[i * 64];
    tcb[i * 64 + 8]++;
  }
  return sum;
}

static size_t bucket_of(long k, size_t nbuckets) {
  return (size_t)(((uint64_t)k * 0x9E3779B97F4A7C15ull) >> 32) & (nbuckets - 1);
}

/*
 * Nanoseconds per round over n connections, allocated as synack does: 2,048
 * client ends, then their 2,048 server ends, and so on. `chained`: each step
 * of a round waits for the one before, as in synack (the segment that finds
 * the server's TCB is built from the client's, the ACK from the server's),
 * rather than letting the processor overlap them.
 */
static double rounds(long n, long count, int chained) {
  object **cs = must(malloc((size_t)n * sizeof *cs));
  object **ss = must(malloc((size_t)n * sizeof *ss));
  char **bc, **bs;
  size_t nb = 64;
  long i, k;
  uint64_t rnd = 12345, sum = 0;
  volatile uint64_t zero = 0; /* always 0, but the compiler cannot know */
  double t;
  while (nb < (size_t)n)
    nb *= 2;
  bc = must(calloc(nb, sizeof *bc));
  bs = must(calloc(nb, sizeof *bs));
  for (i = 0; i < n; i += 2048) {
    long end = i + 2048 < n ? i + 2048 : n, side;
    for (side = 0; side < 2; side++)
      for (k = i; k < end; k++) {
        void *tcb;
        object *o = must(calloc(1, sizeof *o));
        if (posix_memalign(&tcb, 64, TCB_SIZE) != 0)
          must(NULL);
        memset(tcb, 0, TCB_SIZE);
        o->tcb = tcb;
        (side ? ss : cs)[k] = o;
        (side ? bs : bc)[bucket_of(k, nb)] = tcb;
      }
  }
  t = wall();
  for (i = 0; i < count; i++) {
    size_t b;
    rnd = (rnd * 1103515245 + 12345) % 2147483648u;
    k = (long)(rnd % (uint64_t)n);
    b = bucket_of(k, nb);
    if (chained) { /* each address also depends on what the step before read */
      uint64_t s = touch(cs[k]->tcb); /* c:send(): slot, object, TCB */
      s = touch(bs[b ^ (s & zero)]);  /* the segment: bucket, TCB */
      s = touch(bc[b ^ (s & zero)]);  /* the ACK: bucket, TCB */
      sum += touch(ss[k ^ (long)(s & zero)]->tcb); /* s:recv() */
    } else {
      sum += touch(cs[k]->tcb);
      sum += touch(bs[b]);
      sum += touch(bc[b]);
      sum += touch(ss[k]->tcb);
    }
  }
  t = wall() - t;
  if (sum == 42)
    puts("");
  for (k = 0; k < n; k++) {
    free(cs[k]->tcb);
    free(cs[k]);
    free(ss[k]->tcb);
    free(ss[k]);
  }
  free(cs);
  free(ss);
  free(bc);
  free(bs);
  return t / (double)count * 1e9;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
  long count = argc > 2 ? strtol(argv[2], NULL, 10) : 200000;
  if (n < 1000 || n > 10000000 || count < 1) {
    fprintf(stderr, "usage: memory [N >= 1000 [ROUNDS]]\n");
    return 2;
  }
  printf("mem_load_ns_cache %.1f\n", chase((size_t)1 << 20, 20000000));
  printf("mem_load_ns_memory %.1f\n", chase((size_t)512 << 20, 5000000));
  printf("mem_round_ns_1k %.1f\n", rounds(1000, count, 0));
  printf("mem_round_ns_n %.1f\n", rounds(n, count, 0));
  printf("mem_chain_ns_1k %.1f\n", rounds(1000, count, 1));
  printf("mem_chain_ns_n %.1f\n", rounds(n, count, 1));
  return 0;
}
