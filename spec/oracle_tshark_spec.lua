-- Oracle: Wireshark's dissector (tshark) reads a pcap synack wrote, verifies
-- every checksum and finds the same field values synack put in.
local synack = require "synack"

local FIELDS = { "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
  "tcp.ack_raw", "tcp.flags", "tcp.window_size_value", "tcp.urgent_pointer", "tcp.len", "tcp.payload",
  "tcp.option_kind", "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.timestamp.tsval",
  "tcp.options.timestamp.tsecr", "tcp.options.sack_le", "tcp.options.sack_re", "ip.checksum.status",
  "tcp.checksum.status", "ip.ttl", "ipv6.hlim", "ip.id", "ip.dsfield", "ipv6.tclass", "ipv6.flow",
  "ip.flags.df", "tcp.hdr_len" }

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function split(line, sep)
  local out, pos = {}, 1
  while true do
    local i = line:find(sep, pos, true)
    out[#out + 1] = line:sub(pos, (i or 0) - 1)
    if not i then return out end
    pos = i + 1
  end
end

-- Run tshark on `path`; one table per packet, field name -> text.
local function tshark(path)
  local cmd = "tshark -r " .. path .. " -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE"
    .. " -o tcp.relative_sequence_numbers:FALSE -T fields -E separator=/t -E occurrence=a -E aggregator=,"
  for _, f in ipairs(FIELDS) do cmd = cmd .. " -e " .. f end
  local p = assert(io.popen(cmd .. " 2>/dev/null"))
  local rows = {}
  for line in p:lines() do
    local vals, row = split(line, "\t"), {}
    for i, f in ipairs(FIELDS) do row[f] = vals[i] or "" end
    rows[#rows + 1] = row
  end
  p:close()
  return rows
end

local function num(s) return tonumber(s) end

-- The packets: the card's handshake, data and close, plus the rarer corners.
local function packets()
  local c, s = "198.18.0.1", "198.18.0.2"
  local syn_opts = {mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7}
  local big = {}
  for i = 1, 1401 do big[i] = string.char(i % 256) end
  return {
    synack.segment{src = c, dst = s, sport = 49152, dport = 80, flags = "S", seq = 0, options = syn_opts,
      ip_id = 1, df = true},
    synack.segment{src = s, dst = c, sport = 80, dport = 49152, flags = "S.", seq = 5000, ack = 1,
      options = {mss = 1400, sack_permitted = true, wscale = 2}},
    synack.segment{src = c, dst = s, sport = 49152, dport = 80, flags = ".", seq = 1, ack = 5001,
      options = {timestamp = {2, 9}}},
    synack.segment{src = c, dst = s, sport = 49152, dport = 80, flags = "P.", seq = 1, ack = 5001,
      payload = "hello", tos = 0x10, ttl = 1},
    synack.segment{src = s, dst = c, sport = 80, dport = 49152, flags = ".", seq = 5001, ack = 6, win = 1,
      options = {sack = {{10, 20}, {4294967295, 5}}}},
    synack.segment{src = c, dst = s, sport = 49152, dport = 80, flags = "FP.U", seq = 4294967000,
      ack = 4294967295, urp = 3, payload = table.concat(big), ip_id = 65535},
    synack.segment{src = s, dst = c, sport = 80, dport = 49152, flags = "R.", seq = 5001, ack = 6, win = 0},
    synack.segment{src = "2001:db8::1", dst = "2001:db8:0:1::2", sport = 1, dport = 65535, flags = "SEW",
      seq = 7, options = syn_opts, flow = 0xabcde, tos = 0x28, ttl = 200},
    synack.segment{src = "fe80::1", dst = "::1", sport = 443, dport = 2, flags = "P.", seq = 8, ack = 9,
      payload = "odd", options = {"nop", {"wscale", 14}, {kind = 30, data = "\0\1"}, "eol"}},
  }
end

local function check(seg, row)
  local v4 = seg.family == 4
  assert.equal(seg.src, v4 and row["ip.src"] or row["ipv6.src"])
  assert.equal(seg.dst, v4 and row["ip.dst"] or row["ipv6.dst"])
  assert.equal(seg.sport, num(row["tcp.srcport"]))
  assert.equal(seg.dport, num(row["tcp.dstport"]))
  assert.equal(seg.seq, num(row["tcp.seq_raw"]))
  if seg.has_ack then assert.equal(seg.ack, num(row["tcp.ack_raw"])) end
  local bits = seg:bytes():byte(v4 and 34 or 54) -- the TCP flags byte
  assert.equal(bits, num(row["tcp.flags"]))
  assert.equal(seg.win, num(row["tcp.window_size_value"]))
  if seg.urg then assert.equal(seg.urp, num(row["tcp.urgent_pointer"])) end
  assert.equal(seg.len, num(row["tcp.len"]))
  assert.equal(hex(seg.payload), row["tcp.payload"]:gsub(":", ""))
  local kinds = {}
  for _, e in ipairs(seg.options.list) do
    local k = ({nop = 1, eol = 0, sackOK = 4})[e]
    if type(e) == "table" then k = ({mss = 2, wscale = 3, ts = 8, sack = 5})[e[1]] or e.kind end
    kinds[#kinds + 1] = k
  end
  assert.equal(table.concat(kinds, ","), row["tcp.option_kind"]) -- every option in order, padding too
  local o = seg.options
  assert.equal(o.mss, num(row["tcp.options.mss_val"]))
  assert.equal(o.wscale, num(row["tcp.options.wscale.shift"]))
  assert.equal(o.timestamp and o.timestamp[1], num(row["tcp.options.timestamp.tsval"]))
  assert.equal(o.timestamp and o.timestamp[2], num(row["tcp.options.timestamp.tsecr"]))
  if o.sack then
    local le, re = {}, {}
    for i, b in ipairs(o.sack) do le[i], re[i] = tostring(b[1]), tostring(b[2]) end
    assert.equal(table.concat(le, ","), row["tcp.options.sack_le"])
    assert.equal(table.concat(re, ","), row["tcp.options.sack_re"])
  end
  local iphdr = v4 and 20 + #seg.ip_options or 40
  assert.equal(#seg:bytes() - iphdr - seg.len, num(row["tcp.hdr_len"]))
  -- every checksum good (status 1 = "Good")
  assert.equal("1", row["tcp.checksum.status"])
  if v4 then
    assert.equal("1", row["ip.checksum.status"])
    assert.equal(seg.ttl, num(row["ip.ttl"]))
    assert.equal(seg.ip_id, num(row["ip.id"]))
    assert.equal(seg.tos, num(row["ip.dsfield"]))
    assert.equal(seg.df and "1" or "0", row["ip.flags.df"] == "True" and "1" or row["ip.flags.df"])
  else
    assert.equal(seg.ttl, num(row["ipv6.hlim"]))
    assert.equal(seg.tos, num(row["ipv6.tclass"]))
    assert.equal(seg.flow, num(row["ipv6.flow"]))
  end
end

describe("tshark oracle", function()
  it("tshark is installed", function()
    local ok = os.execute("tshark -v >/dev/null 2>&1")
    assert.is_true(ok == true or ok == 0)
  end)

  it("reads synack's pcap with good checksums and the same fields", function()
    local path = os.tmpname()
    local segs = packets()
    assert.is_true(synack.write_pcap(path, segs))
    local rows = tshark(path)
    os.remove(path)
    assert.equal(#segs, #rows)
    for i, seg in ipairs(segs) do check(seg, rows[i]) end
  end)

  it("sees the bad checksum synack.parse reports", function()
    local b = packets()[4]:bytes()
    local bad = b:sub(1, 36) .. string.char((b:byte(37) + 1) % 256) .. b:sub(38)
    local seg = assert(synack.parse(bad))
    assert.is_false(seg.tcp_checksum_ok)
    local path = os.tmpname()
    assert.is_true(synack.write_pcap(path, {bad}))
    local rows = tshark(path)
    os.remove(path)
    assert.equal("0", rows[1]["tcp.checksum.status"]) -- 0 = "Bad"
  end)
end)
