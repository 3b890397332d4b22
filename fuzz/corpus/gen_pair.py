#!/usr/bin/env python3
"""Write the seed corpus of fuzz_pair (fuzz/corpus/pair/*).

Header (16 bytes): seed:8, loss, duplicate, reorder, corrupt, delay, jitter
(bit 7: a rate limit with a queue), options of a, options of b (bits: SACK,
timestamps, window scale, Nagle, delayed ACK, Cubic, small buffers). Then
(op, arg) pairs: 0/1 a/b sends arg*64+1 bytes, 2/3 a/b reads, 4 advance
2^(arg%24) us, 5/6 a/b shut down, 7 step arg%32+1 events.
"""
import os
import struct

ALL = 0x1F  # SACK, timestamps, window scale, Nagle, delayed ACK


def header(seed, loss=0, dup=0, reorder=0, corrupt=0, delay=10, jitter=0, oa=ALL, ob=ALL):
    return struct.pack(">Q", seed) + bytes([loss, dup, reorder, corrupt, delay, jitter, oa, ob])


def ops(*pairs):
    return b"".join(bytes([op, arg]) for op, arg in pairs)


transfer = ops((4, 14), (0, 255), (1, 100), (4, 16), (3, 0), (2, 0), (0, 255), (0, 255),
               (4, 18), (3, 0), (5, 0), (4, 17), (3, 0), (6, 0), (4, 20))
seeds = {
    "clean": header(1) + transfer,
    "lossy": header(2, loss=60, dup=20, reorder=60, corrupt=30, jitter=10) + transfer,
    "small_buffers_no_sack": header(3, loss=30, oa=0x0C | 0x40, ob=0x04 | 0x40) + transfer,
    "rate_queue_cubic": header(4, loss=10, delay=40, jitter=0x80 | 5, oa=ALL | 0x20, ob=ALL | 0x20) + transfer,
    "steps": header(5, loss=40, reorder=100) + ops(*[(7, 31), (0, 50), (1, 50), (3, 0), (2, 0)] * 8)
    + ops((5, 0), (6, 0), (7, 31), (7, 31)),
}

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pair")
os.makedirs(here, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
