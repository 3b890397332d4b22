/* names.c: state names, segment kinds and the default host configuration. */
#include <string.h>

#include "tcb.h"

const char *synack_state_name(synack_state s) {
  switch (s) {
#define XX(name, text)                                                         \
  case SYNACK_##name:                                                          \
    return text;
    SYNACK_STATE_MAP(XX)
#undef XX
  }
  return "UNKNOWN";
}

synack_kind synack_segment_kind(const synack_segment *seg) {
  if (seg->flags & SYNACK_RST)
    return SYNACK_KIND_RST;
  if (seg->flags & SYNACK_SYN)
    return (seg->flags & SYNACK_ACK) ? SYNACK_KIND_SYNACK : SYNACK_KIND_SYN;
  if (seg->flags & SYNACK_FIN)
    return SYNACK_KIND_FIN;
  if (seg->paylen > 0)
    return SYNACK_KIND_DATA;
  return SYNACK_KIND_ACK;
}

void synack_host_config_init(synack_host_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->addr.family = 4;
  cfg->msl_us = 30000000; /* RFC 9293 3.4.2 leaves MSL to us; 30 s as Linux */
  cfg->rto_init_us = 1000000; /* RFC 6298 2.1 */
  cfg->rto_min_us = 1000000;  /* RFC 6298 2.4 */
  cfg->rto_max_us = 60000000; /* RFC 6298 2.5 */
  cfg->syn_retries =
      7; /* R2 for SYNs: 1+2+...+128 s = 255 s >= 3 min (MUST-23) */
  cfg->data_retries = 15; /* R2 for data: well over 100 s (SHLD-11) */
  cfg->port_lo = 49152;
  cfg->port_hi = 65535;
  cfg->challenge_ack_limit = 1000;
  cfg->mtu = 1500;
  cfg->delack_us = 200000;
  cfg->keepalive_probes = 9;
  cfg->r1_retries = 3; /* R1: at least 3 retransmissions (SHLD-10) */
}
