"""bench/codec_scapy.py: Scapy's side of bench/codec.lua, the same work:
a SYN with mss, sackOK, timestamps, nop, wscale, built, turned into bytes
(checksums computed), parsed back, one field read.

    /usr/bin/python3 bench/codec_scapy.py COUNT

Prints scapy_codec_per_s (wall) and scapy_codec_hex (for the cross-check).
"""
import sys
import time

from scapy.layers.inet import IP, TCP

OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]


def one(i):
    pkt = IP(src="198.18.0.1", dst="198.18.0.2", id=0, ttl=64) / TCP(
        sport=1234, dport=80, flags="S", seq=i, ack=0, window=65535, options=OPTS)
    back = IP(bytes(pkt))
    return back[TCP].seq


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for i in range(50):
        one(i)
    t0 = time.perf_counter()
    total = 0
    for i in range(count):
        total += one(i)
    wall = time.perf_counter() - t0
    print("scapy_codec_count %d" % count)
    print("scapy_codec_per_s %.1f" % (count / wall))
    pkt = IP(src="198.18.0.1", dst="198.18.0.2", id=0, ttl=64) / TCP(
        sport=1234, dport=80, flags="S", seq=0, ack=0, window=65535, options=OPTS)
    print("scapy_codec_hex %s" % bytes(pkt).hex())


main()
