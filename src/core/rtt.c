/*
 * rtt.c: the retransmission timer's estimator of RFC 6298. Samples come only
 * from segments sent once (Karn's rule, RFC 6298 3 and RFC 9293 MUST-18: the
 * caller stops timing a segment it retransmits); each timeout doubles the
 * timer (5.5) until a fresh sample arrives.
 */
#include "tcb.h"

#define CLOCK_G 1000 /* clock granularity in the K*RTTVAR term: 1 ms */

void synack__rtt_init(synack__rtt *r, uint64_t init, uint64_t min,
                      uint64_t max) {
  r->srtt = r->rttvar = 0;
  r->rto = init; /* RFC 6298 2.1: before any sample */
  r->min = min;
  r->max = max;
  r->has_sample = 0;
  r->backoff = 0;
}

void synack__rtt_sample(synack__rtt *r, uint64_t rtt) {
  uint64_t var;
  if (!r->has_sample) { /* 2.2: the first measurement */
    r->srtt = rtt;
    r->rttvar = rtt / 2;
    r->has_sample = 1;
  } else { /* 2.3: beta = 1/4, alpha = 1/8 */
    uint64_t d = r->srtt > rtt ? r->srtt - rtt : rtt - r->srtt;
    r->rttvar = (3 * r->rttvar + d) / 4;
    r->srtt = (7 * r->srtt + rtt) / 8;
  }
  var = 4 * r->rttvar;
  r->rto = r->srtt + (var > CLOCK_G ? var : CLOCK_G);
  r->backoff = 0; /* 5.7 ends with a new sample: the doubled value is dropped */
}

void synack__rtt_backoff(synack__rtt *r) {
  if (r->backoff < 30)
    r->backoff++;
}

uint64_t synack__rtt_rto(const synack__rtt *r) {
  uint64_t rto = r->rto;
  unsigned i;
  if (rto < r->min) /* 2.4 */
    rto = r->min;
  for (i = 0; i < r->backoff && rto < r->max; i++)
    rto *= 2;
  if (rto > r->max) /* 2.5 */
    rto = r->max;
  return rto;
}
