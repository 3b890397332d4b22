/*
 * check.h: a minimal harness for the C unit tests in spec/c. A test file
 * defines `static void test_x(void)` functions using CHECK and friends and
 * lists them in main() with RUN(test_x); CHECK_DONE() prints
 * "N passed, N failed" (tools/run-tests.sh reads that line) and returns the
 * exit status.
 */
#ifndef SYNACK_CHECK_H
#define SYNACK_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct check_state {
  int passed, failed, current_failed;
  const char *current;
} check_state;

static check_state check__s;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "  %s:%d: %s: check failed: %s\n", __FILE__, __LINE__,   \
              check__s.current, #cond);                                        \
      check__s.current_failed = 1;                                             \
    }                                                                          \
  } while (0)

#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long check__a = (long long)(a), check__b = (long long)(b);            \
    if (check__a != check__b) {                                                \
      fprintf(stderr, "  %s:%d: %s: %s == %s: %lld != %lld\n", __FILE__,       \
              __LINE__, check__s.current, #a, #b, check__a, check__b);         \
      check__s.current_failed = 1;                                             \
    }                                                                          \
  } while (0)

#define CHECK_STR(a, b)                                                        \
  do {                                                                         \
    const char *check__a = (a), *check__b = (b);                               \
    if (strcmp(check__a, check__b) != 0) {                                     \
      fprintf(stderr, "  %s:%d: %s: %s\n    got  \"%s\"\n    want \"%s\"\n",   \
              __FILE__, __LINE__, check__s.current, #a, check__a, check__b);   \
      check__s.current_failed = 1;                                             \
    }                                                                          \
  } while (0)

#define RUN(fn)                                                                \
  do {                                                                         \
    check__s.current = #fn;                                                    \
    check__s.current_failed = 0;                                               \
    fn();                                                                      \
    if (check__s.current_failed) {                                             \
      check__s.failed++;                                                       \
      printf("FAIL %s\n", #fn);                                                \
    } else {                                                                   \
      check__s.passed++;                                                       \
    }                                                                          \
  } while (0)

#define CHECK_DONE()                                                           \
  (printf("%d passed, %d failed\n", check__s.passed, check__s.failed),         \
   check__s.failed ? 1 : 0)

#endif
