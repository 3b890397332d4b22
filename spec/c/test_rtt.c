/* test_rtt.c: the RFC 6298 estimator on its own. */
#include "check.h"
#include "tcb.h"

static void test_initial(void) {
  synack__rtt r;
  synack__rtt_init(&r, 1000000, 200000, 60000000);
  CHECK_EQ(synack__rtt_rto(&r), 1000000); /* 2.1 */
  synack__rtt_backoff(&r);
  CHECK_EQ(synack__rtt_rto(&r), 2000000); /* 5.5 */
  synack__rtt_backoff(&r);
  CHECK_EQ(synack__rtt_rto(&r), 4000000);
}

static void test_samples(void) {
  synack__rtt r;
  int i;
  synack__rtt_init(&r, 1000000, 200000, 60000000);
  synack__rtt_sample(&r, 100000); /* 2.2 */
  CHECK_EQ(r.srtt, 100000);
  CHECK_EQ(r.rttvar, 50000);
  CHECK_EQ(synack__rtt_rto(&r), 300000);
  synack__rtt_sample(&r, 300000); /* 2.3 */
  CHECK_EQ(r.rttvar, (3 * 50000 + 200000) / 4);
  CHECK_EQ(r.srtt, (7 * 100000 + 300000) / 8);
  synack__rtt_sample(&r, 1); /* tiny samples: the minimum holds (2.4) */
  for (i = 0; i < 30; i++)
    synack__rtt_sample(&r, 1);
  CHECK_EQ(synack__rtt_rto(&r), 200000);
}

static void test_max_and_reset(void) {
  synack__rtt r;
  int i;
  synack__rtt_init(&r, 1000000, 1000000, 60000000);
  for (i = 0; i < 40; i++)
    synack__rtt_backoff(&r);
  CHECK_EQ(synack__rtt_rto(&r), 60000000); /* 2.5 */
  synack__rtt_sample(&r, 50000);           /* a fresh sample ends the backoff */
  CHECK_EQ(synack__rtt_rto(&r), 1000000);
}

int main(void) {
  RUN(test_initial);
  RUN(test_samples);
  RUN(test_max_and_reset);
  return CHECK_DONE();
}
