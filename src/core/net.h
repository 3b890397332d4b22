/*
 * net.h: a network in virtual time. Hosts, the links between them, one event
 * queue, a clock in microseconds and a seeded PRNG.
 *
 * The event queue is a binary min-heap ordered by (time, sequence number), so
 * two events due at the same microsecond are processed in the order they were
 * scheduled, and a run with the same seed is identical event for event. Host
 * timers are not queued: each step asks every TCP host for its deadline
 * (synack_host_deadline) and a timer due at the same time as a queued event
 * runs after it (hosts in the order they were added).
 *
 * Packets travel as bytes (IP packets). A link (wire.h, or any other) decides
 * when a packet arrives and schedules its delivery with synack_net_deliver();
 * on delivery the bytes are parsed once, a bad checksum becomes a "checksum"
 * drop, a TCP host gets synack_host_input() and a raw host only records it.
 *
 * Everything that happens is recorded in the trace as compact records
 * (synack_event) with the packet bytes kept in an arena; nobody pays for
 * text or tables until they ask. With tracing off, the trace holds only the
 * events of the last step.
 *
 * Nothing here is file-static; the net owns its hosts, links and buffers.
 */
#ifndef SYNACK_NET_H
#define SYNACK_NET_H

#include <stddef.h>
#include <stdint.h>

#include "prng.h"
#include "segment.h"
#include "tcp.h"

typedef struct synack_net synack_net;
typedef struct synack_link synack_link;

#define SYNACK_NOHOST UINT32_MAX /* a host index that names no host */

/* What a link does; a link embeds `synack_link` as its first member. */
typedef struct synack_link_ops {
  const char *name; /* "wire" */
  /*
   * Host `from` puts `len` bytes (one IP packet) on the link at `now`; `to`
   * is the host owning the destination address on this link, or
   * SYNACK_NOHOST (only for a SYNACK_LINK_EXTERNAL link: the net drops such
   * packets as "no host" on other links). `id` is the packet's serial
   * number for the trace. The link calls synack_net_deliver() (possibly
   * several times, or never: then it records why with synack_net_drop()).
   */
  void (*send)(synack_link *l, uint32_t from, uint32_t to, uint32_t id,
               const uint8_t *pkt, size_t len, uint64_t now);
  void (*free)(synack_link *l);
} synack_link_ops;

struct synack_link {
  const synack_link_ops *ops;
  synack_net *net;
  uint32_t index; /* in the network's list of links */
  unsigned flags; /* SYNACK_LINK_* */
};

/*
 * The link reaches beyond this network (udp, tun): a packet for an address
 * no host of the link owns is handed to it with to = SYNACK_NOHOST instead
 * of being dropped ("no host").
 */
#define SYNACK_LINK_EXTERNAL 1u
/* The link may change a packet's bytes (the wire's `corrupt`): every checksum
 * is checked on arrival. */
#define SYNACK_LINK_CORRUPTS 2u

/* Kinds of trace records. */
typedef enum synack_ev_kind {
  SYNACK_EV_SEGMENT = 1, /* a segment sent (dir OUT) or delivered (dir IN) */
  SYNACK_EV_STATE = 2,   /* a connection changed state */
  SYNACK_EV_TIMER = 3,   /* a host's timers ran */
  SYNACK_EV_DROP = 4,    /* a packet was lost, and why */
  SYNACK_EV_APP = 5      /* something the application did (a short text) */
} synack_ev_kind;

/* Why a packet was dropped. */
#define SYNACK_WHY_MAP(XX)                                                     \
  XX(LOSS, "loss")                                                             \
  XX(CHECKSUM, "checksum")                                                     \
  XX(MALFORMED, "malformed")                                                   \
  XX(HOOK, "hook")                                                             \
  XX(NO_LISTENER, "no listener")                                               \
  XX(NO_HOST, "no host")                                                       \
  XX(QUEUE, "queue")                                                           \
  XX(MTU, "mtu")

typedef enum synack_why {
#define XX(name, text) SYNACK_WHY_##name,
  SYNACK_WHY_MAP(XX)
#undef XX
      SYNACK_WHY__COUNT
} synack_why;

const char *synack_why_name(synack_why why); /* "loss" */

/*
 * One trace record. `host` is where it happened (the receiver of a delivery,
 * the sender of a transmission, the host of a state change or timer) and
 * `peer` the other end of a packet (SYNACK_NOHOST if none); for a DROP, `host`
 * is always the packet's sender and `peer` its receiver. Bytes: the IP
 * packet for SEGMENT and DROP; for STATE the connection's local and remote
 * address and port as text "a:p > b:p"; for APP the text.
 */
typedef struct synack_event {
  uint64_t t;       /* microseconds */
  uint8_t kind;     /* synack_ev_kind */
  uint8_t dir;      /* synack_dir, SEGMENT only */
  uint8_t why;      /* synack_why, DROP only */
  uint8_t from, to; /* synack_state, STATE only */
  uint32_t host, peer;
  uint32_t id;      /* packet serial (SEGMENT, DROP), 0 if none */
  const void *conn; /* STATE: the connection, for identity while it lives */
  size_t off;       /* bytes in the arena */
  uint32_t len;
} synack_event;

/* What the network tells its owner (the binding); each gets `ud`. All may be
 * NULL. */
typedef struct synack_net_callbacks {
  /* A TCP host's hook (tcp.h), or a delivery to a raw host whose hooks are on.
   */
  synack_verdict (*hook)(void *ud, synack_net *n, uint32_t host, synack_conn *c,
                         synack_segment *seg, synack_dir dir, uint64_t now);
  void (*state)(void *ud, synack_net *n, uint32_t host, synack_conn *c,
                synack_state from, synack_state to, const synack_segment *seg,
                uint64_t now);
  void (*notify)(void *ud, synack_net *n, uint32_t host, synack_conn *c,
                 synack_listener *l, unsigned notices, uint64_t now);
  /*
   * Every packet put on any link, before the link's impairments, and every
   * packet a link brings in from outside (the pcap tap); `link` is the
   * index of the link it travels on (synack_link.index).
   */
  void (*tap)(void *ud, synack_net *n, uint32_t link, const uint8_t *pkt,
              size_t len, uint64_t now);
} synack_net_callbacks;

/* The network ------------------------------------------------------------ */

/* NULL when out of memory. */
synack_net *synack_net_new(uint64_t seed, const synack_net_callbacks *cb,
                           void *ud);
/* Frees hosts, links, queued packets and the trace. */
void synack_net_free(synack_net *n);
uint64_t synack_net_now(const synack_net *n);
synack_prng *synack_net_prng(synack_net *n);
/* Turn the tap callback on or off (it is off until asked for). */
void synack_net_set_tap(synack_net *n, int on);

/* Links: the net takes ownership of `l` (its ops->free runs in
 * synack_net_free). */
int synack_net_add_link(synack_net *n, synack_link *l);
size_t synack_net_link_count(const synack_net *n);
synack_link *synack_net_link(synack_net *n, uint32_t index);

/* Hosts ------------------------------------------------------------------ */

/*
 * Add a host owning `addr` on link `l`. A TCP host (raw = 0) is created with
 * `cfg` (NULL: defaults, with the ISN secret drawn from the PRNG); a raw host
 * has no TCP: it injects and records. Returns 0 and the host's index in
 * *index, or SYNACK_EADDRINUSE (the address is taken on that link),
 * SYNACK_EINVAL, SYNACK_ENOMEM.
 */
int synack_net_add_host(synack_net *n, const synack_addr *addr, synack_link *l,
                        int raw, const synack_host_config *cfg,
                        uint32_t *index);
size_t synack_net_host_count(const synack_net *n);
/* The TCP host at `index`, or NULL for a raw host. */
synack_host *synack_net_tcp(synack_net *n, uint32_t index);
const synack_addr *synack_net_host_addr(const synack_net *n, uint32_t index);
synack_link *synack_net_host_link(synack_net *n, uint32_t index);
int synack_net_host_raw(const synack_net *n, uint32_t index);
/* The index of the host holding `host` (a synack_host*), or SYNACK_NOHOST. */
uint32_t synack_net_host_index(const synack_net *n, const synack_host *host);
/* The host owning `addr` on link `l`, or SYNACK_NOHOST. */
uint32_t synack_net_route(const synack_net *n, const synack_link *l,
                          const synack_addr *addr);
/*
 * Which segment kinds (1 << synack_kind) call the hook callback for packets
 * delivered to a raw host. For TCP hosts use synack_host_set_hooks().
 */
void synack_net_set_raw_hooks(synack_net *n, uint32_t index, unsigned mask);

/*
 * Put `seg` on host `index`'s link as it is (any source address), bypassing
 * TCP. Returns 0, or SYNACK_EINVAL / SYNACK_ETOOBIG from synack_build.
 */
int synack_net_inject(synack_net *n, uint32_t index, const synack_segment *seg);

/* For links ---------------------------------------------------------------- */

/*
 * Queue the delivery of a copy of pkt[0..len) to host `to` at time `at`
 * (not before now). Returns the queued copy, which the link may still change
 * (to corrupt it), or NULL when out of memory (then a drop is recorded).
 */
uint8_t *synack_net_deliver(synack_net *n, uint64_t at, uint32_t to,
                            uint32_t from, uint32_t id, const uint8_t *pkt,
                            size_t len);
/*
 * Show a packet that came in from outside the network on link `l` (a udp or
 * tun link read it) to the tap, as transmit() does for the packets hosts
 * send, so that a capture of a real link holds both directions.
 */
void synack_net_tap_input(synack_net *n, const synack_link *l,
                          const uint8_t *pkt, size_t len);
/* Record that a packet went nowhere, at now. */
void synack_net_drop(synack_net *n, uint32_t from, uint32_t to, uint32_t id,
                     synack_why why, const uint8_t *pkt, size_t len);

/* Running ------------------------------------------------------------------ */

/* Queue a wake-up at `at`: an event that does nothing but move the clock. */
void synack_net_alarm(synack_net *n, uint64_t at);
/* When the next event is due (a queued one or a host timer), or SYNACK_NEVER.
 */
uint64_t synack_net_next_deadline(const synack_net *n);
/*
 * Process exactly one event: the earliest delivery, alarm or host timer.
 * Returns 1 and the index in the trace of the event it processed in *ev
 * (a SEGMENT with dir IN, a DROP, a TIMER; for an alarm, SIZE_MAX), or 0
 * when nothing is pending. Events recorded along the way (segments sent,
 * state changes) follow it in the trace.
 */
int synack_net_step(synack_net *n, size_t *ev);
/* Process every event due at or before `t`, then set the clock to `t` if later.
 */
void synack_net_run_until(synack_net *n, uint64_t t);
/* Move the clock forward to `t` without processing anything (t < now: no-op).
 */
void synack_net_set_now(synack_net *n, uint64_t t);

/* The trace -----------------------------------------------------------------
 */

/* On (default): keep every event. Off: keep only those of the last step. */
void synack_net_set_tracing(synack_net *n, int on);
/* Events recorded since the trace was last emptied, and how many were emptied
 * before. */
size_t synack_net_trace_len(const synack_net *n);
size_t synack_net_trace_base(const synack_net *n);
const synack_event *synack_net_trace_get(const synack_net *n, size_t i);
const uint8_t *synack_net_trace_bytes(const synack_net *n,
                                      const synack_event *ev);
/* Record an APP event at host `index` (SYNACK_NOHOST: the network); its trace
 * index. */
size_t synack_net_record_app(synack_net *n, uint32_t index, const char *text);
/* Forget event `i` if it is still the last one recorded (an APP note that came
 * to nothing). */
void synack_net_unrecord(synack_net *n, size_t i);
/* How many packets are queued on the links right now. */
size_t synack_net_pending(const synack_net *n);

#endif
