/*
 * tcb.h: the inside of a host, a listener and a connection (the TCB of
 * RFC 9293 3.3.1), and the internal functions the core's files share. Only
 * src/core includes this; everything here has the synack__ prefix.
 */
#ifndef SYNACK_TCB_H
#define SYNACK_TCB_H

#include <stddef.h>
#include <stdint.h>

#include "tcp.h"

/* Buffers (buf.c) --------------------------------------------------------- */

/* The send ring: the bytes from the oldest unacknowledged one onward. */
typedef struct synack__sndbuf {
  uint8_t *data; /* NULL until the first SEND */
  uint32_t cap, head, len;
  uint32_t size; /* bytes allocated, the ring's modulus: it grows up to cap */
} synack__sndbuf;

#define SYNACK__OOO_MAX 8 /* out-of-order islands kept; more are dropped */

/*
 * The receive ring: `len` in-order bytes for the application at `head`, and
 * after them, at their offset from RCV.NXT, up to SYNACK__OOO_MAX islands of
 * out-of-order bytes, kept as [start, end) sequence ranges in order.
 */
typedef struct synack__rcvbuf {
  uint8_t *data; /* NULL until the first byte arrives */
  uint32_t cap, head, len;
  uint32_t size; /* bytes allocated, the ring's modulus: it grows up to cap */
  uint8_t nooo;
  uint8_t ooo_age[SYNACK__OOO_MAX]; /* 0: the island touched last; SACK order */
  synack_seq ooo[SYNACK__OOO_MAX][2];
} synack__rcvbuf;

/*
 * A host's spare ring memory (buf.c): empty rings of the first size, kept for
 * the next ring any of its connections needs, at most one per connection of
 * the host (`keep`), so that a steady run allocates nothing however many of
 * its connections are busy at once. Functions taking a pool accept NULL
 * (plain malloc and free).
 */
/* a ring's first size (less when the buffer is smaller) */
#define SYNACK__RING_FIRST 4096
typedef struct synack__ringpool {
  void *free; /* linked through their first bytes */
  size_t n, keep;
} synack__ringpool;
/* Free the rings beyond `keep` (all of them with keep = 0). */
void synack__ringpool_trim(synack__ringpool *pool);

/* allocates; 0 or ENOMEM */
int synack__sndbuf_init(synack__sndbuf *b, uint32_t cap,
                        synack__ringpool *pool);
void synack__sndbuf_free(synack__sndbuf *b, synack__ringpool *pool);
uint32_t synack__sndbuf_space(const synack__sndbuf *b);
uint32_t synack__sndbuf_write(synack__sndbuf *b, const uint8_t *p, uint32_t n,
                              synack__ringpool *pool);
/* The n oldest bytes were acknowledged; an emptied ring of the first size
 * goes back to the pool. */
void synack__sndbuf_drop(synack__sndbuf *b, uint32_t n, synack__ringpool *pool);
/* n bytes from offset off: a pointer into the ring, or a copy in scratch when
 * they wrap. */
const uint8_t *synack__sndbuf_peek(const synack__sndbuf *b, uint32_t off,
                                   uint32_t n, uint8_t *scratch);

void synack__rcvbuf_setup(synack__rcvbuf *b,
                          uint32_t cap); /* no allocation yet */
void synack__rcvbuf_free(synack__rcvbuf *b, synack__ringpool *pool);
uint32_t synack__rcvbuf_space(const synack__rcvbuf *b);
/*
 * Store n bytes starting at sequence `seq` given that the next expected one is
 * *rcv_nxt; bytes outside [*rcv_nxt, *rcv_nxt + space) are cut off. Advances
 * *rcv_nxt over every byte that became in order. Returns the count it advanced
 * (0 for out-of-order data), or ENOMEM.
 */
long synack__rcvbuf_insert(synack__rcvbuf *b, synack_seq *rcv_nxt,
                           synack_seq seq, const uint8_t *p, uint32_t n,
                           synack__ringpool *pool);
/* Read up to cap bytes; an emptied ring of the first size goes back to the
 * pool. */
uint32_t synack__rcvbuf_read(synack__rcvbuf *b, uint8_t *out, uint32_t cap,
                             synack__ringpool *pool);
void synack__rcvbuf_flush(synack__rcvbuf *b);
/* SACK blocks (RFC 2018 4): the islands, most recently changed first; returns
 * the count. */
int synack__rcvbuf_sack(const synack__rcvbuf *b, synack_seq out[][2], int max);

/* The sender's SACK scoreboard (sack.c), RFC 2018 and RFC 6675 ------------- */

#define SYNACK__SACK_MAX                                                       \
  8 /* SACKed ranges kept; the highest is forgotten first */

typedef struct synack__scoreboard {
  uint8_t n;
  uint8_t rxt_watch;
  uint32_t bytes; /* the sum of their lengths */
  synack_seq
      high_rxt; /* RFC 6675 HighRxt: the end of the highest retransmission */
  /* the lowest retransmission still unconfirmed, watched for loss (sack.c) */
  synack_seq rxt_seq, rxt_end, rxt_fence; /* fence: SND.MAX when it was sent */
  uint32_t lost_rxt;                      /* retransmissions found lost */
  synack_seq blk[SYNACK__SACK_MAX]
                [2]; /* SACKed [start, end), ordered, above SND.UNA */
} synack__scoreboard;

/* Take the SACK blocks of an ACK; 1 when they SACKed bytes not SACKed before.
 */
int synack__sack_take(synack_conn *c, const synack_seq blk[][2], int n);
void synack__sack_acked(
    synack_conn *c); /* SND.UNA moved: forget what it passed */
void synack__sack_clear(synack_conn *c);
int synack__sack_is_lost(const synack_conn *c, synack_seq s);
uint32_t synack__sack_pipe(const synack_conn *c);
/* Bytes SACKed in [SND.UNA, s). */
uint32_t synack__sack_below(const synack_conn *c, synack_seq s);
/* If s lies in a SACKed range, that range's end; else s. */
synack_seq synack__sack_skip(const synack_conn *c, synack_seq s);
/* The first SACKed byte at or after s, or `end` when none comes before it. */
synack_seq synack__sack_next_sacked(const synack_conn *c, synack_seq s,
                                    synack_seq end);
/* In SACK recovery: [s, s + len) was just resent. */
void synack__sack_resent(synack_conn *c, synack_seq s, uint32_t len);
/* In SACK recovery, after an ACK: a watched retransmission found lost is due
 * again. */
void synack__sack_check_resent(synack_conn *c);
/* RFC 6675 NextSeg rule 1 (lost_only) or rule 3: a hole to resend; 0 when none.
 */
int synack__sack_next_hole(const synack_conn *c, int lost_only, synack_seq *seq,
                           uint32_t *len);

/* RTT estimator (rtt.c), RFC 6298 ------------------------------------------ */

typedef struct synack__rtt {
  uint64_t srtt, rttvar, rto; /* microseconds; rto without backoff */
  uint64_t min, max;
  uint8_t has_sample;
  uint8_t backoff; /* doublings in force */
} synack__rtt;

void synack__rtt_init(synack__rtt *r, uint64_t init, uint64_t min,
                      uint64_t max);
void synack__rtt_sample(synack__rtt *r, uint64_t rtt);
void synack__rtt_backoff(synack__rtt *r);
uint64_t
synack__rtt_rto(const synack__rtt *r); /* with backoff, within [min, max] */

/* ISN (isn.c), RFC 6528 ---------------------------------------------------- */

uint64_t synack__siphash24(const uint8_t key[16], const uint8_t *msg,
                           size_t len);
synack_seq synack__isn(const uint8_t key[16], const synack_addr *laddr,
                       uint16_t lport, const synack_addr *raddr, uint16_t rport,
                       uint64_t now);

/* Congestion control (cc.c) ----------------------------------------------- */

typedef struct synack__cc_ops {
  const char *name;
  void (*init)(synack_conn *c); /* at ESTABLISHED */
  /* new data acked, not in recovery */
  void (*on_ack)(synack_conn *c, uint32_t acked, uint64_t now);
  void (*on_loss)(synack_conn *c);    /* fast retransmit: set ssthresh */
  void (*on_rto)(synack_conn *c);     /* retransmission timeout */
  void (*after_idle)(synack_conn *c); /* cwnd restarted after idle, or NULL */
} synack__cc_ops;

/* CUBIC's state (cc_cubic.c, RFC 9438); windows in bytes, times in
 * microseconds. */
typedef struct synack__cubic {
  uint64_t epoch;  /* start of the current congestion-avoidance epoch,
                      SYNACK_NEVER: none */
  uint32_t w_max;  /* the window just before the last reduction */
  uint32_t origin; /* the window the cubic curve plateaus at */
  uint64_t k_us;   /* time from the epoch's start to the plateau (K) */
  double w_est;    /* the Reno-friendly estimate (W_est) */
  double acc;      /* fractions of a byte of cwnd growth not yet applied */
} synack__cubic;

const synack__cc_ops *synack__cc_get(int which);
const synack__cc_ops *synack__cc_cubic(void);
void synack__cc_initial_window(synack_conn *c); /* RFC 5681 3.1 eq. (1) */
void synack__cc_slow_start(synack_conn *c, uint32_t acked); /* eq. (2) */
void synack__cc_after_idle(synack_conn *c, uint64_t now);   /* RFC 5681 4.1 */
uint32_t synack__flight(const synack_conn *c);

/* Timers (timer.c) ----------------------------------------------------------
 */

enum {
  SYNACK__T_REXMT = 0, /* retransmission (also SYN, SYN-ACK, FIN) */
  SYNACK__T_PERSIST,   /* zero-window probe */
  SYNACK__T_DELACK,    /* delayed ACK */
  SYNACK__T_KEEP,      /* keepalive */
  SYNACK__T_2MSL,      /* TIME-WAIT */
  SYNACK__T_SWS,       /* sender SWS override (MUST-38) */
  SYNACK__T_COUNT
};

void synack__timer_set(synack_conn *c, int which, uint64_t when);
void synack__timer_stop(synack_conn *c, int which);
void synack__timer_stop_all(synack_conn *c);
int synack__heap_reserve(synack_host *h);

/* The TCB --------------------------------------------------------------------
 */

/*
 * The fields are in the order of their use, not of the RFC's sections: from
 * the start through `rcv` come those that a segment in or out, a SEND or a
 * RECEIVE reads or writes (what the demux compares first of all), packed in
 * as few cache lines as they fit; after them what only the handshake, the
 * close, loss recovery, urgent data and the statistics use. With 100,000
 * connections a segment for any of them finds its TCB out of every cache,
 * and each line more is one more miss (bench/scale.lua). The host allocates
 * it on a cache line (synack__conn_new).
 */
struct synack_conn {
  /* the demux (host.c) and the dispatch of a segment */
  synack_conn *hnext; /* demux hash chain */
  synack_host *host;
  synack_listener *listener; /* set while in a listener's SYN or accept queue */
  uint32_t hash;             /* the demux hash of its 4-tuple, while in_hash */
  uint16_t lport, rport;
  synack_addr raddr;
  uint8_t in_hash;
  uint8_t ack_now;      /* send an ACK at the end of this input */
  uint8_t unacked_segs; /* full-sized segments received since our last ACK */
  synack_state state;
  int refs; /* user retains + the listener's hold */
  int busy; /* inside the core: do not free yet */
  unsigned hooks;
  unsigned pend; /* notices gathered while a segment is processed */
  int error;

  /* negotiated (RFC 7323, RFC 2018) */
  uint8_t snd_ws, rcv_ws, ws_ok, sack_ok, ts_ok;
  /* send side: FIN asked for / sent (snd_fin_seq is its number); CLOSE, not
     shutdown (the application reads no more); a SEND with PUSH (MAY-15) not
     yet all sent (up to snd_push_seq); urgent data (RFC 9293 3.8.5, up to
     snd_up); the SWS override timer fired (send the held runt) */
  uint8_t fin_queued, fin_sent, app_closed, snd_push, snd_urg, sws_force;
  /* receive side: the peer's FIN in order and consumed; a FIN beyond a hole
     (at rcv_fin_seq); urgent data (up to rcv_up); the peer pushed (MAY-17,
     its pushed data ends at rcv_psh_seq) */
  uint8_t rcv_fin, rcv_fin_ooo, rcv_urg, rcv_psh;
  uint8_t in_recovery;
  uint8_t rtt_timing;
  uint8_t r1_reached; /* nretx reached R1 (SHLD-9), until SND.UNA moves */

  /* the sequence spaces (RFC 9293 3.3.1) */
  synack_seq snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
  synack_seq
      snd_buf_seq; /* the sequence number of the send ring's first byte */
  uint32_t snd_wnd, max_sndwnd;
  synack_seq rcv_nxt, rcv_adv; /* rcv_adv: the right edge last advertised */
  synack_seq last_ack_sent;    /* RFC 7323 Last.ACK.sent */
  uint32_t ts_recent;          /* RFC 7323 TS.Recent */
  uint64_t ts_recent_at;       /* when it was taken (PAWS staleness, 5.5) */
  uint32_t smss;               /* payload bytes per full-sized segment */

  /* congestion control and retransmission */
  uint32_t cwnd, ssthresh, cwnd_acc;
  uint32_t dupacks;
  uint32_t nretx;  /* retransmissions of the oldest unacked segment */
  uint32_t nprobe; /* zero-window probes without an answer */
  uint32_t nkeep;  /* keepalives without an answer */
  synack_seq rtt_seq;
  const synack__cc_ops *cc;
  uint64_t rtt_start;
  uint64_t rexmt_since;   /* when the oldest unacked data was first sent */
  uint64_t last_rcv;      /* for keepalive idleness */
  uint64_t last_data_out; /* when data last went out (restart after idle) */
  uint64_t bytes_sent, bytes_received, bytes_acked;
  synack__rtt rtt;

  /* timers */
  uint64_t t[SYNACK__T_COUNT];
  uint64_t deadline;
  size_t heap_idx; /* SIZE_MAX when not in the heap */

  synack__sndbuf snd;
  synack_conn_opts opts; /* every field resolved */
  synack__scoreboard sb; /* its counts first, the ranges last */
  synack__rcvbuf rcv;    /* its ring first, the out-of-order islands last */

  /* the rest: setup, teardown, recovery, urgent data, statistics */
  synack_conn *next, *prev;   /* every connection of the host */
  synack_conn *qnext, *qprev; /* the listener queue it is in */
  void *data;
  uint8_t queue; /* 0 none, 1 SYN queue, 2 accept queue */
  uint8_t passive, freeing;
  uint8_t
      oow_acked; /* an ACK answered a dropped empty segment, at oow_ack_at */
  uint16_t peer_mss;
  synack_seq iss, irs;
  synack_seq snd_fin_seq, snd_push_seq, snd_up;
  synack_seq rcv_fin_seq, rcv_up, rcv_psh_seq;
  synack_seq recover;
  uint64_t oow_ack_at; /* (input.c: against ACK storms) */
  synack__cubic cubic;
  uint32_t retransmits;
  uint32_t recoveries, rtos, paws_drops;
};

struct synack_listener {
  synack_host *host;
  synack_listener *next;
  uint16_t port;
  size_t backlog;
  synack_conn_opts opts;
  unsigned hooks;
  void *data;
  synack_conn *synq, *accq, *accq_tail; /* doubly linked through qnext/qprev */
  size_t nsyn, nacc;
  uint64_t cookie_until; /* cookie ACKs are taken until then (cookie.c) */
  uint32_t cookies_sent;
};

struct synack_host {
  synack_host_config cfg;
  synack_host_callbacks cb;
  void *ud;
  unsigned hooks;
  synack_conn **buckets;
  size_t nbuckets, nhashed;
  synack_conn
      *last; /* the connection the demux found last (a one-entry cache) */
  synack_conn *conns;
  size_t nconns;
  synack_listener *listeners;
  synack_conn **heap;
  size_t heap_len, heap_cap;
  synack__ringpool rings; /* empty rings for reuse (buf.c) */
  uint16_t next_port;
  uint64_t chack_start;
  uint32_t chack_count;
  uint64_t now; /* the latest time an entry point was given (for FREED) */
  uint8_t scratch[SYNACK_MAX_PACKET]; /* contiguous payload for one segment */
};

/* host.c */
synack_conn *synack__conn_new(synack_host *h, const synack_conn_opts *opts);
void synack__conn_free(synack_conn *c);
void synack__conn_maybe_free(synack_conn *c);
int synack__hash_insert(synack_conn *c);
void synack__hash_remove(synack_conn *c);
synack_conn *synack__hash_lookup(synack_host *h, const synack_addr *raddr,
                                 uint16_t rport, uint16_t lport);
synack_listener *synack__listener_find(synack_host *h, uint16_t port);
void synack__set_state(synack_conn *c, synack_state to,
                       const synack_segment *seg, uint64_t now);
/* Enter CLOSED for good: err (0 or a code) is kept, ERROR notified when err. */
void synack__conn_closed(synack_conn *c, int err, const synack_segment *seg,
                         uint64_t now);
void synack__notify(synack_conn *c, synack_listener *l, unsigned notices,
                    uint64_t now);
unsigned synack__hook_mask(const synack_host *h, const synack_conn *c,
                           const synack_listener *l);
/* Hooks, then the output callback. */
void synack__emit(synack_host *h, synack_conn *c, synack_listener *l,
                  synack_segment *seg, uint64_t now);
int synack__challenge_ok(synack_host *h, uint64_t now); /* RFC 5961 7 limit */
int synack__addr_unicast(const synack_addr *a);
/* RFC 9293 3.10.7.1: the reset for a segment nobody owns. */
void synack__reset_for(synack_host *h, synack_conn *c, synack_listener *l,
                       const synack_segment *in, uint64_t now);
void synack__conn_opts_resolve(const synack_host *h, const synack_conn_opts *in,
                               synack_conn_opts *out, int family);

/* cookie.c: SYN cookies (RFC 4987 3.6) when the SYN queue is full */
void synack__cookie_send(synack_listener *l, const synack_segment *syn,
                         uint64_t now);
int synack__cookie_check(synack_listener *l, const synack_segment *ack,
                         uint64_t now, uint16_t *mss);

/* listener.c */
void synack__listener_input(synack_listener *l, const synack_segment *seg,
                            uint64_t now);
/* The same for a SYN that ends a TIME-WAIT (MAY-2): our ISS is `iss` unless
   the listener's options fix one. */
void synack__listener_reopen(synack_listener *l, const synack_segment *seg,
                             synack_seq iss, uint64_t now);
void synack__listener_established(synack_conn *c, uint64_t now);
void synack__listener_unlink(synack_conn *c);

/* Give back the rings a connection is done with: the send ring once our FIN
   is acknowledged, the receive ring once the peer's FIN is read (buf.c). */
void synack__trim_buffers(synack_conn *c);

/* user.c: RST and CLOSED, no error reported (SHLD-3: data would be lost) */
void synack__close_reset(synack_conn *c, const synack_segment *seg,
                         uint64_t now);

/* input.c */
void synack__syn_options(synack_conn *c,
                         const synack_segment *seg); /* negotiate from a SYN */
void synack__conn_input(synack_conn *c, const synack_segment *seg,
                        uint64_t now);
/* MAY-2: may this SYN reopen the connection `c` holds in TIME-WAIT? */
int synack__tw_syn_acceptable(const synack_conn *c, const synack_segment *seg);

/* output.c */
void synack__output(synack_conn *c, uint64_t now); /* data, FIN, pending ACK */
void synack__send_ack(synack_conn *c, uint64_t now);
void synack__send_syn(synack_conn *c, uint64_t now); /* SYN or SYN-ACK */
void synack__send_rst(synack_conn *c,
                      uint64_t now); /* <SEQ=SND.NXT><CTL=RST> */
void synack__retransmit(synack_conn *c,
                        uint64_t now); /* the oldest unacked segment */
void synack__send_probe(synack_conn *c, uint64_t now); /* zero-window probe */
void synack__send_keepalive(synack_conn *c, uint64_t now);
void synack__start_rexmt(synack_conn *c,
                         uint64_t now);         /* arm if data in flight */
uint32_t synack__rcv_wnd(const synack_conn *c); /* what we may accept */
void synack__segment_base(const synack_conn *c, synack_segment *seg);

/* MUST-38's override timeout (0.1 to 1 s): a held runt goes out after it. */
#define SYNACK__SWS_OVERRIDE_US 200000

/* The timestamp clock (RFC 7323 5.4): milliseconds. */
static inline uint32_t synack__ts_now(uint64_t now) {
  return (uint32_t)(now / 1000);
}

/* timer.c */
void synack__timer_fire(synack_conn *c, uint64_t now);

#endif
