#!/usr/bin/env python3
"""Write the seed corpus of fuzz_host (fuzz/corpus/host/*) in its input format.

Each seed is a small script of operations (see fuzz/fuzz_host.c, run_ops):
a deliver op is `op tuple flags mode optmask dseq:2 dack:2 raw:4 win:2 paylen`.
"""
import os
import struct

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
# seq modes (mode & 3): 0 peer ISN + d, 1 RCV.NXT + d, 2 right edge + d, 3 raw
# ack modes (mode >> 2 & 3): 0 SND.NXT + d, 1 SND.UNA + d, 2 ISS + d, 3 raw


def seg(tuple_, flags, seqm=1, ackm=0, optmask=0, dseq=0, dack=0, raw=0,
        win=65535, paylen=0):
    return struct.pack(">BBBBBhhIHB", 0, tuple_, flags, seqm | ackm << 2,
                       optmask, dseq, dack, raw, win, paylen)


def advance(log2):
    return bytes([4, log2])


def call(i, what, n=0):
    return bytes([5, i, what + 5 * n])


ACCEPT = bytes([7])
CONNECT = bytes([8])


def release(i, close):
    return bytes([9, i * 2 + (1 if close else 0)])


def hooks(mask, action):
    return bytes([10, mask, action])


SEND, RECV, CLOSE, SHUT, ABORT = 0, 1, 2, 3, 4

seeds = {
    "passive_transfer_close": (
        seg(1, SYN, seqm=0, optmask=1, raw=1460)
        + seg(1, ACK) + ACCEPT
        + seg(1, PSH | ACK, paylen=100) + call(0, RECV)
        + call(0, SEND, 3) + seg(1, ACK)
        + call(0, CLOSE) + seg(1, FIN | ACK) + advance(27)),
    "active_transfer_peer_closes": (
        bytes([0x01])[:0] + CONNECT
        + seg(0, SYN | ACK, seqm=0, optmask=0x0f, raw=0x000705B4)
        + call(0, SEND, 40) + seg(0, ACK, ackm=1, dack=1000)
        + seg(0, ACK) + seg(0, PSH | ACK, paylen=0x85)
        + seg(0, FIN | ACK) + call(0, RECV) + call(0, RECV)
        + call(0, CLOSE) + seg(0, ACK) + advance(26)),
    "out_of_order_and_sack": (
        seg(2, SYN, seqm=0, optmask=0x05, raw=1000) + seg(2, ACK) + ACCEPT
        + seg(2, ACK, dseq=2000, paylen=200) + seg(2, ACK, dseq=1000, paylen=200)
        + seg(2, ACK, paylen=0x8a) + call(0, RECV) + call(0, RECV)
        + call(0, SEND, 50) + seg(2, ACK, ackm=1, optmask=0x10, dack=0)
        + seg(2, ACK, ackm=1) + seg(2, ACK, ackm=1) + seg(2, ACK, ackm=1)
        + advance(21) + advance(22)),
    "rfc5961_blind": (
        seg(3, SYN, seqm=0) + seg(3, ACK) + ACCEPT
        + seg(3, RST, dseq=100) + seg(3, SYN, dseq=5)
        + seg(3, ACK, ackm=0, dack=-30000, paylen=10)
        + seg(3, RST) + advance(20)),
    "zero_window_persist": (
        CONNECT + seg(0, SYN | ACK, seqm=0, win=0) + call(0, SEND, 50)
        + advance(21) + seg(0, ACK, win=0) + advance(23) + advance(24)
        + seg(0, ACK, win=4000) + advance(20)),
    "syn_flood_backlog": (
        seg(1, SYN, seqm=0) + seg(2, SYN, seqm=0) + seg(3, SYN, seqm=0)
        + seg(1, ACK) + seg(2, ACK) + seg(3, ACK) + ACCEPT + ACCEPT + ACCEPT
        + advance(25) + advance(26)),
    "hooks_abort_inside": (
        hooks(0x3f, 4 | (ABORT << 3)) + seg(1, SYN, seqm=0) + seg(1, ACK)
        + ACCEPT + hooks(0x3f, 3 | (SEND << 3)) + seg(1, PSH | ACK, paylen=10)
        + hooks(0x3f, 1) + seg(1, ACK) + hooks(0, 0) + advance(27)),
    "simultaneous_open_and_close": (
        CONNECT + seg(0, SYN, seqm=0) + seg(0, ACK) + call(0, CLOSE)
        + seg(0, FIN | ACK, ackm=1) + seg(0, ACK) + advance(27)),
    "release_in_every_state": (
        CONNECT + seg(0, SYN | ACK, seqm=0) + call(0, SEND, 10)
        + release(0, True) + seg(1, SYN, seqm=0) + seg(1, ACK) + ACCEPT
        + release(0, False) + advance(27) + advance(27)),
}

# The first byte is also read as option bits (fuzz_host.c, base_opts): a
# deliver op whose value sets some of them runs a seed with other options.
seeds["passive_cubic_nagle_off"] = b"\x1a" + seeds["passive_transfer_close"][1:]
seeds["active_keepalive_no_ts"] = b"\x27" + seeds["rfc5961_blind"][1:] + advance(22) * 4
# the third SYN finds the SYN queue (backlog 2) full and gets a cookie; the
# ACK of what the host last sent on that tuple (ack mode bit 0x20) completes it
seeds["syn_cookie"] = (
    seg(1, SYN, seqm=0) + seg(2, SYN, seqm=0) + seg(3, SYN, seqm=0, optmask=1, raw=1400)
    + struct.pack(">BBBBBhhIHB", 0, 3, ACK, 1 | 0x20, 0, 0, 0, 0, 65535, 0)
    + ACCEPT + call(0, RECV) + struct.pack(">BBBBBhhIHB", 0, 3, PSH | ACK, 1 | 0x20, 0, 0, 0, 0, 65535, 50)
    + call(0, RECV) + call(0, CLOSE) + advance(27))
# SACK blocks (optmask 0x10/0x20: one or two) above SND.UNA, from raw:
# left = SND.UNA + (raw >> 12 & 0xffff) + i * 1500, right = left + 1 + (raw & 0xfff)
seeds["sack_recovery"] = (
    seg(1, SYN, seqm=0, optmask=0x05, raw=1000) + seg(1, ACK) + ACCEPT
    + call(0, SEND, 40)
    + seg(1, ACK, ackm=1, optmask=0x10, raw=0x00400400) * 3
    + seg(1, ACK, ackm=1, optmask=0x20, raw=0x00400400)
    + advance(18) + seg(1, ACK, ackm=1, dack=1000, optmask=0x10, raw=0x00400400)
    + advance(21) + seg(1, ACK) + call(0, CLOSE) + seg(1, FIN | ACK) + advance(27))
seeds["zero_window_no_sack_no_ws"] = bytes([0xc2]) + seeds["out_of_order_and_sack"][1:]

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "host")
os.makedirs(here, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
