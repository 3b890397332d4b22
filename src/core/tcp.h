/*
 * tcp.h: the public C API of synack's TCP endpoint (RFC 9293), sans-I/O.
 *
 * A host owns one address, its listeners and its connections. It does no I/O
 * and reads no clock: every entry point takes `now` in microseconds, packets
 * come in through synack_host_input() and go out through the output callback,
 * and synack_host_deadline() says when synack_host_timeout() must next run.
 * Many hosts live in one process; nothing here is file-static.
 *
 * Lifetimes: the host owns every connection. A binding that keeps a pointer
 * to one calls synack_conn_retain() and later synack_conn_release(); a
 * connection is freed once it is CLOSED and no longer retained (so a script may
 * drop a connection and it still runs through FIN-WAIT and TIME-WAIT).
 * Listeners are freed by synack_listener_close(); what they have not handed out
 * through accept is aborted then.
 */
#ifndef SYNACK_TCP_H
#define SYNACK_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "segment.h"
#include "seq.h"

typedef struct synack_host synack_host;
typedef struct synack_conn synack_conn;
typedef struct synack_listener synack_listener;

#define SYNACK_NEVER UINT64_MAX /* a deadline that never comes */

/* The eleven states of RFC 9293 3.3.2. */
#define SYNACK_STATE_MAP(XX)                                                   \
  XX(CLOSED, "CLOSED")                                                         \
  XX(LISTEN, "LISTEN")                                                         \
  XX(SYN_SENT, "SYN-SENT")                                                     \
  XX(SYN_RECEIVED, "SYN-RECEIVED")                                             \
  XX(ESTABLISHED, "ESTABLISHED")                                               \
  XX(FIN_WAIT_1, "FIN-WAIT-1")                                                 \
  XX(FIN_WAIT_2, "FIN-WAIT-2")                                                 \
  XX(CLOSE_WAIT, "CLOSE-WAIT")                                                 \
  XX(CLOSING, "CLOSING")                                                       \
  XX(LAST_ACK, "LAST-ACK")                                                     \
  XX(TIME_WAIT, "TIME-WAIT")

typedef enum synack_state {
#define XX(name, text) SYNACK_##name,
  SYNACK_STATE_MAP(XX)
#undef XX
} synack_state;

const char *synack_state_name(synack_state s); /* "SYN-SENT" */

/* Segment kinds, for hooks: each segment is of exactly one, the first that
 * applies. */
typedef enum synack_kind {
  SYNACK_KIND_RST = 0,    /* RST set */
  SYNACK_KIND_SYN = 1,    /* SYN without ACK */
  SYNACK_KIND_SYNACK = 2, /* SYN with ACK */
  SYNACK_KIND_FIN = 3,    /* FIN set, with or without data */
  SYNACK_KIND_DATA = 4,   /* payload */
  SYNACK_KIND_ACK = 5     /* the rest */
} synack_kind;
synack_kind synack_segment_kind(const synack_segment *seg);
#define SYNACK_HOOK_ALL 0x3f /* a mask with every kind's bit (1 << kind) */

typedef enum synack_dir { SYNACK_DIR_IN = 0, SYNACK_DIR_OUT = 1 } synack_dir;

/* What a hook decides about a segment. */
typedef enum synack_verdict {
  SYNACK_PASS = 0,   /* go on with the segment as it was */
  SYNACK_DROP = 1,   /* forget it: not sent / not processed */
  SYNACK_CHANGED = 2 /* go on with *seg as the hook rewrote it */
} synack_verdict;

/* Why the host calls its notify callback. */
typedef enum synack_notice {
  SYNACK_NOTICE_ACCEPTABLE = 1, /* a listener's accept queue grew */
  SYNACK_NOTICE_READABLE = 2,   /* data or FIN arrived */
  SYNACK_NOTICE_WRITABLE = 4,   /* send buffer space opened */
  SYNACK_NOTICE_ERROR =
      8, /* the connection failed (reset, refused, timed out) */
  SYNACK_NOTICE_FREED = 16, /* the connection is about to be freed */
  SYNACK_NOTICE_URGENT =
      32, /* the peer's urgent pointer moved (RFC 9293 3.8.5, MUST-32) */
  SYNACK_NOTICE_R1 =
      64, /* a segment was retransmitted R1 times (3.8.3, SHLD-9) */
  SYNACK_NOTICE_PUSH = 128 /* data with PSH arrived (MAY-17; with READABLE) */
} synack_notice;

/*
 * Callbacks a host makes; each gets the host's `ud`. All but output may be
 * NULL. A callback may call back into this API (send, close, abort, release the
 * connection...): the core defers freeing until it is done with the
 * connection. The output callback should queue the packet, not feed it
 * synchronously into synack_host_input() of the same host.
 */
typedef struct synack_host_callbacks {
  /* A packet to put on the link. `seg` and its payload are valid only during
   * the call. */
  void (*output)(void *ud, synack_host *h, const synack_segment *seg,
                 uint64_t now);
  /*
   * A segment in or out of connection `c` (NULL for a segment that no
   * connection owns) whose kind is in the hook mask of c, of c's listener or
   * of the host. The hook may rewrite *seg (payload included: the memory must
   * stay valid until the hook is next called) and return SYNACK_CHANGED.
   */
  synack_verdict (*hook)(void *ud, synack_host *h, synack_conn *c,
                         synack_segment *seg, synack_dir dir, uint64_t now);
  /* A state change; `seg` is the segment that caused it, or NULL. */
  void (*state)(void *ud, synack_host *h, synack_conn *c, synack_state from,
                synack_state to, const synack_segment *seg, uint64_t now);
  /* Readiness and lifetime news (synack_notice bits); `l` is set for
   * ACCEPTABLE. */
  void (*notify)(void *ud, synack_host *h, synack_conn *c, synack_listener *l,
                 unsigned notices, uint64_t now);
} synack_host_callbacks;

typedef struct synack_host_config {
  synack_addr addr;
  uint64_t msl_us;      /* default 30 s: TIME-WAIT lasts 2 * MSL */
  uint64_t rto_init_us; /* default 1 s (RFC 6298 2.1) */
  uint64_t rto_min_us;  /* default 1 s (RFC 6298 2.4); scripts may lower it */
  uint64_t rto_max_us;  /* default 60 s */
  uint32_t
      syn_retries; /* R2 for SYNs: default 7, giving up after 255 s (MUST-23) */
  uint32_t data_retries;        /* R2 for data: default 15 */
  uint16_t port_lo, port_hi;    /* ephemeral range, default 49152..65535 */
  uint32_t challenge_ack_limit; /* RFC 5961 7: per second, default 1000 */
  uint8_t isn_secret[16]; /* RFC 6528 key; the network draws it from its PRNG */
  uint32_t mtu; /* default 1500: the MSS we announce is mtu - 40 (IPv4) or - 60
                   (IPv6) */
  uint64_t delack_us; /* longest an ACK is delayed, default 200 ms, at most 500
                         ms (MUST-40) */
  uint32_t
      keepalive_probes; /* unanswered keepalives before ETIMEDOUT, default 9 */
  uint32_t r1_retries; /* R1: retransmissions of one segment (data or SYN) after
                          which the application is told (NOTICE_R1), default 3
                          (SHLD-10); 0: never */
} synack_host_config;

void synack_host_config_init(synack_host_config *cfg);

/*
 * Per-connection options; a field is used only when its bit is in `set`.
 * Defaults: ISN from RFC 6528, an ephemeral port, MSS from the host's mtu,
 * window scale just large enough for rcvbuf, SACK and timestamps offered,
 * Nagle and delayed ACK on, 128 KiB buffers, no keepalive, no user timeout.
 * A connection released without CLOSE or ABORT stays open until the peer
 * closes it or it times out: a binding should close what it lets go of.
 */
enum {
  SYNACK_OPT_SET_ISN = 1 << 0,
  SYNACK_OPT_SET_PORT = 1 << 1,
  SYNACK_OPT_SET_MSS = 1 << 2,
  SYNACK_OPT_SET_WSCALE = 1 << 3,
  SYNACK_OPT_SET_SACK = 1 << 4,
  SYNACK_OPT_SET_TIMESTAMPS = 1 << 5,
  SYNACK_OPT_SET_NAGLE = 1 << 6,
  SYNACK_OPT_SET_DELAYED_ACK = 1 << 7,
  SYNACK_OPT_SET_SNDBUF = 1 << 8,
  SYNACK_OPT_SET_RCVBUF = 1 << 9,
  SYNACK_OPT_SET_KEEPALIVE = 1 << 10,
  SYNACK_OPT_SET_USER_TIMEOUT = 1 << 11,
  SYNACK_OPT_SET_CC = 1 << 12,
  SYNACK_OPT_SET_TTL = 1 << 13, /* MUST-49 */
  SYNACK_OPT_SET_TOS =
      1 << 14 /* MUST-48: the Diffserv / TOS byte of what we send */
};
/* keepalive on, at the default interval */
#define SYNACK_KEEPALIVE_DEFAULT UINT64_MAX
typedef struct synack_conn_opts {
  uint32_t set;
  uint32_t isn;
  uint16_t port; /* local port for connect */
  uint16_t mss;  /* the MSS we announce; 0 = from the host's MTU */
  int8_t wscale; /* -1: send no window-scale option */
  uint8_t sack, timestamps, nagle, delayed_ack;
  uint32_t sndbuf, rcvbuf;  /* bytes */
  uint64_t keepalive_us;    /* 0: off; SYNACK_KEEPALIVE_DEFAULT: on, every 2 h
                               (MUST-28) */
  uint64_t user_timeout_us; /* 0: the default R2 thresholds */
  uint8_t cc;               /* 0 newreno, 1 cubic */
  uint8_t ttl;              /* IPv4 TTL / IPv6 hop limit, default 64 */
  uint8_t tos;              /* IPv4 TOS / IPv6 traffic class, default 0 */
} synack_conn_opts;

/*
 * Everything c:info() reports. The type is used as `struct synack_conn_info`:
 * a typedef of the same name would clash with the function synack_conn_info().
 */
struct synack_conn_info {
  synack_state state;
  synack_addr local_addr, remote_addr;
  uint16_t local_port, remote_port;
  synack_seq iss, irs, snd_una, snd_nxt, rcv_nxt;
  uint32_t snd_wnd, rcv_wnd, mss;
  uint8_t snd_wscale,
      rcv_wscale; /* the shifts in use (0 when not negotiated) */
  uint8_t sack_ok, ts_ok;
  uint32_t cwnd, ssthresh;
  uint64_t srtt_us, rttvar_us, rto_us;
  uint32_t retransmits; /* total retransmitted segments */
  uint64_t bytes_sent, bytes_received, bytes_acked;
  uint32_t send_queued, recv_queued; /* bytes waiting in each buffer */
  int error;                         /* the error that closed it, or 0 */
  uint32_t urgent_queued; /* unread bytes up to the peer's urgent pointer
                             (MUST-33) */
  /* congestion control and loss recovery */
  uint8_t cc;          /* 0 newreno, 1 cubic */
  uint8_t in_recovery; /* fast recovery under way (RFC 6582 / RFC 6675) */
  synack_seq snd_max;  /* the highest sequence number sent */
  uint32_t pipe;       /* RFC 6675 pipe with SACK, else SND.MAX - SND.UNA */
  uint32_t dupacks;    /* duplicate ACKs since the last new one */
  uint32_t fast_recoveries; /* times fast recovery began */
  uint32_t timeouts;        /* retransmission timeouts (RTO expiries) */
  /* SACK (RFC 2018) */
  uint32_t
      sacked_bytes; /* bytes the peer SACKed above snd_una (the scoreboard) */
  uint32_t sack_blocks;    /* ranges in the scoreboard (at most 8) */
  uint32_t rcv_ooo_blocks; /* out-of-order islands we hold, hence SACK blocks we
                              report */
  uint32_t lost_retransmits; /* retransmissions found lost in SACK recovery and
                                resent */
  /* timestamps (RFC 7323) */
  uint32_t ts_recent;    /* TS.Recent: the TSval we echo */
  uint32_t paws_drops;   /* segments dropped as old duplicates (PAWS) */
  uint32_t buffer_bytes; /* memory held by the send and receive rings now */
  uint8_t r1_reached;   /* the oldest unacked segment (or SYN) was retransmitted
                           R1 times and no ACK has moved SND.UNA since (SHLD-9) */
  uint32_t push_queued; /* unread bytes up to the peer's last PSH (MAY-17) */
};

/* Hosts ------------------------------------------------------------------ */

/* NULL when out of memory. `cfg` is copied. */
synack_host *synack_host_new(const synack_host_config *cfg,
                             const synack_host_callbacks *cb, void *ud);
/* Frees the host and everything it owns, without sending anything (notify
   still gets FREED for each connection, so a binding can drop its pointers). */
void synack_host_free(synack_host *h);
const synack_addr *synack_host_addr(const synack_host *h);
void synack_host_set_hooks(synack_host *h, unsigned kind_mask);

/* A packet for this host arrived (already parsed and checksum-checked). */
void synack_host_input(synack_host *h, const synack_segment *seg, uint64_t now);
/* The earliest deadline of any timer, or SYNACK_NEVER. */
uint64_t synack_host_deadline(const synack_host *h);
/* Run every timer due at or before `now`. */
void synack_host_timeout(synack_host *h, uint64_t now);
/* How many connections the host holds, in any state (for leak checks). */
size_t synack_host_conn_count(const synack_host *h);

/* Listeners -------------------------------------------------------------- */

/* backlog bounds both the SYN queue and the accept queue. err: EADDRINUSE,
 * EINVAL, ENOMEM. */
synack_listener *synack_host_listen(synack_host *h, uint16_t port, int backlog,
                                    const synack_conn_opts *opts, int *err);
/* An established connection (retained for the caller), or NULL when none is
 * ready. */
synack_conn *synack_listener_accept(synack_listener *l);
size_t synack_listener_pending(const synack_listener *l);
uint16_t synack_listener_port(const synack_listener *l);
void synack_listener_set_hooks(synack_listener *l, unsigned kind_mask);
void synack_listener_set_data(synack_listener *l, void *data);
void *synack_listener_get_data(const synack_listener *l);
/* Stop listening; connections not yet accepted are reset. Frees l. */
void synack_listener_close(synack_listener *l, uint64_t now);

/* Connections ------------------------------------------------------------ */

/*
 * Active OPEN (RFC 9293 3.10.1): sends the SYN at once (through output) and
 * returns the connection in SYN-SENT, retained for the caller. err: EINVAL,
 * EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, ENOMEM.
 */
synack_conn *synack_host_connect(synack_host *h, const synack_addr *dst,
                                 uint16_t dport, const synack_conn_opts *opts,
                                 uint64_t now, int *err);

void synack_conn_retain(synack_conn *c);
void synack_conn_release(synack_conn *c);
/* Change nagle, delayed_ack, keepalive, user_timeout, ttl and tos of an
 * open connection (the fields `o->set` names); 0, EINVAL for any other field,
 * ENOTCONN once CLOSED. */
int synack_conn_set_opts(synack_conn *c, const synack_conn_opts *o,
                         uint64_t now);
void synack_conn_set_data(synack_conn *c, void *data);
void *synack_conn_get_data(const synack_conn *c);
void synack_conn_set_hooks(synack_conn *c, unsigned kind_mask);
synack_host *synack_conn_host(const synack_conn *c);
synack_listener *synack_conn_listener(
    const synack_conn *c); /* NULL once accepted or if active */
synack_state synack_conn_state(const synack_conn *c);
/* The addresses and ports of the connection (what synack_conn_info has too,
 * without the cost of filling the rest). */
typedef struct synack_endpoints {
  synack_addr local_addr, remote_addr;
  uint16_t local_port, remote_port;
} synack_endpoints;
void synack_conn_endpoints(const synack_conn *c, synack_endpoints *out);
/* Bytes RECEIVE would return now (in order, not yet read). */
size_t synack_conn_recv_queued(const synack_conn *c);

/* SEND (3.10.2): bytes queued (may be fewer than len), or ENOTCONN, EPIPE,
 * ECONNRESET... */
long synack_conn_send(synack_conn *c, const uint8_t *data, size_t len,
                      uint64_t now);
/*
 * SEND with the URGENT flag (3.10.2, 3.8.5): like synack_conn_send, and the
 * urgent pointer is set to the end of the data queued so far.
 */
long synack_conn_send_urgent(synack_conn *c, const uint8_t *data, size_t len,
                             uint64_t now);
/*
 * SEND with flags (3.10.2): SYNACK_SEND_URGENT as synack_conn_send_urgent;
 * SYNACK_SEND_PUSH (MAY-15) marks the end of the data queued so far as a push
 * point: the bytes up to it go out at once, not held back by Nagle (as far as
 * the windows allow), and the segment that reaches it carries PSH. Without
 * it PSH is still set on the segment that empties the send buffer (MUST-61).
 */
enum { SYNACK_SEND_PUSH = 1, SYNACK_SEND_URGENT = 2 };
long synack_conn_send_flags(synack_conn *c, const uint8_t *data, size_t len,
                            unsigned flags, uint64_t now);
/*
 * RECEIVE (3.10.3): copies up to cap bytes; returns the count, 0 when nothing
 * is buffered yet, SYNACK_EOF once the peer's FIN is reached, or the error
 * that ended the connection (ECONNRESET, ETIMEDOUT, ECONNREFUSED...).
 */
long synack_conn_recv(synack_conn *c, uint8_t *buf, size_t cap, uint64_t now);
/*
 * CLOSE (3.10.4) as a socket's close: the application will neither send nor
 * read again. FIN after the queued data (none again after a shutdown), and
 * the connection runs on through FIN-WAIT and TIME-WAIT; RECEIVE then answers
 * ECLOSING. Received data left unread, or new data arriving later, would be
 * lost: the host sends a RST and the connection is CLOSED at once, with no
 * error reported (SHLD-3). ECLOSING when called twice.
 */
int synack_conn_close(synack_conn *c, uint64_t now);
/*
 * Half close (shutdown for writing, MAY-1): the same FIN, and reading goes on
 * until the peer's FIN. ECLOSING once a FIN is already asked for.
 */
int synack_conn_shutdown(synack_conn *c, uint64_t now);
/* ABORT (3.10.5): RST, and CLOSED at once. */
int synack_conn_abort(synack_conn *c, uint64_t now);
/* STATUS (3.10.6). */
void synack_conn_info(const synack_conn *c, struct synack_conn_info *out);

#endif
