"""kernel_peer.py: the Linux side of spec/kernel_spec.lua. A TCP program on the
kernel's own stack that makes one connection, runs a list of steps on it and
prints one line for each thing it sees (flushed at once).

Usage: kernel_peer.py listen|connect ADDR PORT STEP...
  listen   bind ADDR PORT, print "listening", accept one connection
  connect  connect to ADDR PORT
Then "local ADDR PORT" (this end), and each step in order:
  info          the kernel's view (TCP_INFO): "info options=O snd_wscale=N
                rcv_wscale=N snd_mss=N rcv_mss=N advmss=N state=N"
  send=N        send N bytes of the pattern byte i = (i * 13 + 7) % 256
  sendtext=T    send the text T
  recvall=PATH  read until EOF, write it all to PATH: "received N"
  recv          one read: "got N TEXT", or "eof"
  shutdown      shutdown(SHUT_WR)
  close         close()
  abort         SO_LINGER {on, 0}, then close(): the kernel sends a RST
  sleep=S       wait S seconds
A reset prints "reset ECONNRESET" (ConnectionResetError) and ends the steps;
anything else unexpected prints "error ..." and exits 1. Every socket call
gives up after 10 seconds. The last line is "done".
"""
import socket
import struct
import sys
import time


def say(*words):
    # one write per line: the reader polls the file and must never see half a line
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()


def pattern(n):
    return bytes((i * 13 + 7) % 256 for i in range(n))


def tcp_info(s):
    # struct tcp_info (linux/tcp.h): 8 bytes, then 32-bit fields
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    u8 = struct.unpack_from("8B", b, 0)
    u32 = struct.unpack_from("24I", b, 8)
    return ("info options=%d snd_wscale=%d rcv_wscale=%d snd_mss=%d rcv_mss=%d advmss=%d state=%d"
            % (u8[5], u8[6] & 15, u8[6] >> 4, u32[2], u32[3], u32[19], u8[0]))


def run(s, steps):
    for step in steps:
        name, _, value = step.partition("=")
        if name == "info":
            say(tcp_info(s))
        elif name == "send":
            s.sendall(pattern(int(value)))
            say("sent", value)
        elif name == "sendtext":
            s.sendall(value.encode())
            say("sent", len(value))
        elif name == "recvall":
            parts = []
            while True:
                d = s.recv(65536)
                if not d:
                    break
                parts.append(d)
            data = b"".join(parts)
            with open(value, "wb") as f:
                f.write(data)
            say("received", len(data))
        elif name == "recv":
            d = s.recv(65536)
            say("got", len(d), d.decode(errors="replace")) if d else say("eof")
        elif name == "shutdown":
            s.shutdown(socket.SHUT_WR)
            say("shutdown")
        elif name == "close":
            s.close()
            say("closed")
        elif name == "abort":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            say("aborted")
        elif name == "sleep":
            time.sleep(float(value))
        else:
            raise ValueError("unknown step " + step)


def main():
    mode, addr, port, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    if mode == "listen":
        ls = socket.socket(family, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, port))
        ls.listen(1)
        ls.settimeout(10)
        say("listening")
        s, _ = ls.accept()
        ls.close()
    else:
        s = socket.create_connection((addr, port), timeout=10)
    s.settimeout(10)
    say("local", *s.getsockname()[:2])
    try:
        run(s, steps)
    except ConnectionResetError:
        say("reset ECONNRESET")
    say("done")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 (any failure is reported, with its kind)
        say("error", type(e).__name__, e)
        sys.exit(1)
