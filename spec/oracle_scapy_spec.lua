-- Oracle: Scapy (Debian's python3-scapy, run by /usr/bin/python3). Packets
-- Scapy builds parse in synack with the same fields and the same bytes back;
-- packets synack builds parse in Scapy with the same fields and good checksums.
local synack = require "synack"

local PYTHON = "/usr/bin/python3"

-- The Python half. With no argument it builds packets; with a file of hex
-- lines it dissects them. Either way it prints one line per packet:
-- hex<TAB>key=value<TAB>key=value...
local SCRIPT = [==[
import sys, logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, IPv6, TCP, Raw, IPOption_Router_Alert
from scapy.layers.inet import in4_chksum
from scapy.layers.inet6 import in6_chksum
from scapy.utils import checksum

def opts(o):
    names = {'EOL': 0, 'NOP': 1, 'MSS': 2, 'WScale': 3, 'SAckOK': 4, 'SAck': 5, 'Timestamp': 8}
    out = []
    for k, v in o:
        k = names.get(k, k)
        if k in (0, 1, 4):
            out.append(str(k))
        elif k in (2, 3):
            out.append("%d=%d" % (k, v))
        elif k in (5, 8):
            out.append("%d=%s" % (k, ":".join(str(x) for x in v)))
        else:
            out.append("%d=%s" % (k, bytes(v).hex()))
    return ",".join(out)

def fields(b):
    v = b[0] >> 4
    p = IP(b) if v == 4 else IPv6(b)
    t = p[TCP]
    f = dict(src=p.src, dst=p.dst, sport=t.sport, dport=t.dport, seq=t.seq, ack=t.ack,
             flags=int(t.flags) & 0xff, win=t.window, urp=t.urgptr,
             reserved=(t.reserved << 1) | (int(t.flags) >> 8),  # Scapy: 3 bits + NS as flag 0x100
             payload=bytes(t.payload).hex(), options=opts(t.options))
    if v == 4:
        ihl = p.ihl * 4
        tcp = b[ihl:p.len]
        f.update(ttl=p.ttl, tos=p.tos, ip_id=p.id, df=int("DF" in p.flags),
                 ip_ok=int(checksum(b[:ihl]) == 0), ip_options=b[20:ihl].hex())
        z = bytearray(tcp); z[16:18] = b"\0\0"
        f["tcp_ok"] = int(in4_chksum(6, p, bytes(z)) == t.chksum)
    else:
        tcp = b[40:40 + p.plen]
        f.update(ttl=p.hlim, tos=p.tc, flow=p.fl)
        z = bytearray(tcp); z[16:18] = b"\0\0"
        f["tcp_ok"] = int(in6_chksum(6, p, bytes(z)) == t.chksum)
    return f

def emit(b):
    f = fields(b)
    print(b.hex() + "".join("\t%s=%s" % kv for kv in sorted(f.items())))

if len(sys.argv) > 1:
    for line in open(sys.argv[1]):
        if line.strip():
            emit(bytes.fromhex(line.strip()))
else:
    c, s = "198.18.0.1", "198.18.0.2"
    syn = [('MSS', 1460), ('SAckOK', b''), ('Timestamp', (1, 0)), ('NOP', None), ('WScale', 7)]
    pkts = [
        IP(src=c, dst=s, id=1, flags="DF") / TCP(sport=49152, dport=80, flags="S", seq=0, window=65535,
                                                 options=syn),
        IP(src=s, dst=c, ttl=3, tos=0xb8) / TCP(sport=80, dport=49152, flags="SA", seq=5000, ack=1,
            options=[('MSS', 1400), ('NOP', None), ('NOP', None), ('SAckOK', b''), ('NOP', None),
                     ('WScale', 2)]),
        IP(src=c, dst=s) / TCP(sport=49152, dport=80, flags="PA", seq=1, ack=5001) / Raw(b"hello"),
        IP(src=c, dst=s, options=[IPOption_Router_Alert()]) / TCP(sport=1, dport=2, flags="A", seq=4294967295,
            ack=7, options=[('NOP', None), ('NOP', None), ('SAck', (10, 20, 30, 40))]),
        IP(src=c, dst=s) / TCP(sport=1, dport=2, flags="FAUPREC", seq=9, ack=8, urgptr=77, reserved=5,
            options=[(99, b'\xab\xcd'), ('EOL', None)]) / Raw(b"x" * 1001),
        IPv6(src="2001:db8::1", dst="2001:db8:0:1::2", tc=0x28, fl=0xabcde, hlim=9) /
            TCP(sport=443, dport=5, flags="SA", seq=1, ack=2, options=syn),
        IPv6(src="fe80::1", dst="::1") / TCP(sport=1, dport=2, flags="A", seq=3, ack=4) / Raw(b"odd"),
    ]
    for p in pkts:
        emit(bytes(p))
]==]

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function unhex(h)
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

-- Run the script (with an optional file of hex lines); {bytes=, f={...}} per line.
local function scapy(input)
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(SCRIPT)
  f:close()
  local p = assert(io.popen(PYTHON .. " " .. script .. (input and (" " .. input) or "") .. " 2>&1"))
  local out, raw = {}, {}
  for line in p:lines() do
    raw[#raw + 1] = line
    local h, rest = line:match("^(%x+)\t(.*)$")
    if h then
      local fields = {}
      for k, v in rest:gmatch("([%w_]+)=([^\t]*)") do fields[k] = v end
      out[#out + 1] = {bytes = unhex(h), f = fields}
    end
  end
  p:close()
  os.remove(script)
  assert(#out > 0, "scapy printed nothing:\n" .. table.concat(raw, "\n"))
  return out
end

-- synack's options list in the script's notation, up to the first EOL as
-- Scapy lists them (what follows an EOL is padding).
local function opts(seg)
  local out = {}
  for _, e in ipairs(seg.options.list) do
    if e == "eol" then out[#out + 1] = "0"; break
    elseif e == "nop" then out[#out + 1] = "1"
    elseif e == "sackOK" then out[#out + 1] = "4"
    elseif e[1] == "mss" then out[#out + 1] = "2=" .. e[2]
    elseif e[1] == "wscale" then out[#out + 1] = "3=" .. e[2]
    elseif e[1] == "ts" then out[#out + 1] = "8=" .. e[2] .. ":" .. e[3]
    elseif e[1] == "sack" then
      local t = {}
      for i = 2, #e do t[#t + 1] = e[i][1] .. ":" .. e[i][2] end
      out[#out + 1] = "5=" .. table.concat(t, ":")
    else out[#out + 1] = e.kind .. "=" .. hex(e.data) end
  end
  return table.concat(out, ",")
end

-- The flags byte, from synack's booleans.
local function flagbits(seg)
  local n = 0
  for i, f in ipairs{"fin", "syn", "rst", "psh", "has_ack", "urg", "ece", "cwr"} do
    if seg[f] then n = n + 2 ^ (i - 1) end
  end
  return n
end

local function same(seg, f, with_opts)
  assert.equal(f.src, seg.src)
  assert.equal(f.dst, seg.dst)
  for _, k in ipairs{"sport", "dport", "seq", "ack", "win", "urp", "reserved", "ttl", "tos"} do
    assert.equal(tonumber(f[k]), seg[k], k)
  end
  assert.equal(tonumber(f.flags), flagbits(seg))
  assert.equal(f.payload, hex(seg.payload))
  if with_opts then assert.equal(f.options, opts(seg)) end
  if seg.family == 4 then
    assert.equal(tonumber(f.ip_id), seg.ip_id)
    assert.equal(f.df == "1", seg.df)
    assert.equal(f.ip_options, hex(seg.ip_options))
  else
    assert.equal(tonumber(f.flow), seg.flow)
  end
end

describe("scapy oracle", function()
  it("packets Scapy builds parse in synack with the same fields and bytes", function()
    local pkts = scapy()
    assert.equal(7, #pkts)
    for _, p in ipairs(pkts) do
      local seg = assert(synack.parse(p.bytes))
      assert.is_true(seg.checksum_ok)
      same(seg, p.f, true)
      assert.equal(hex(p.bytes), hex(seg:bytes()))
    end
  end)

  it("packets synack builds parse in Scapy with the same fields and good checksums", function()
    local c, s = "198.18.0.1", "198.18.0.2"
    local segs = {
      synack.segment{src = c, dst = s, sport = 49152, dport = 80, flags = "S", ip_id = 5, df = true,
        options = {mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7}},
      synack.segment{src = s, dst = c, sport = 80, dport = 49152, flags = "S.", seq = 5000, ack = 1, tos = 4,
        ttl = 255, options = {mss = 1400, sack_permitted = true, wscale = 2}},
      synack.segment{src = c, dst = s, sport = 49152, dport = 80, flags = "P.", seq = 1, ack = 5001,
        payload = "hello", options = {timestamp = {4294967295, 3}}},
      synack.segment{src = s, dst = c, sport = 80, dport = 49152, flags = ".", seq = 5001, ack = 6,
        options = {sack = {{10, 20}, {30, 40}, {50, 60}}}, ip_options = "\148\4\0\0"},
      synack.segment{src = c, dst = s, sport = 1, dport = 2, flags = "FRP.UEW", seq = 4294967295, urp = 9,
        reserved = 3, payload = string.rep("z", 999), options = {{kind = 99, data = "\1\2"}, "eol"}},
      synack.segment{src = "2001:db8::1", dst = "2001:db8::2", sport = 1, dport = 2, flags = "S.", seq = 1,
        ack = 2, tos = 0x28, flow = 0xfffff, ttl = 1, options = {mss = 1220, wscale = 14}},
      synack.segment{src = "::1", dst = "fe80::9", sport = 3, dport = 4, flags = "R.", payload = "xyz"},
    }
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    for _, seg in ipairs(segs) do f:write(hex(seg:bytes()), "\n") end
    f:close()
    local pkts = scapy(path)
    os.remove(path)
    assert.equal(#segs, #pkts)
    for i, p in ipairs(pkts) do
      assert.equal(segs[i]:bytes(), p.bytes)
      assert.equal("1", p.f.tcp_ok, "TCP checksum of packet " .. i)
      if segs[i].family == 4 then assert.equal("1", p.f.ip_ok, "IP checksum of packet " .. i) end
      same(segs[i], p.f, true)
    end
  end)
end)
