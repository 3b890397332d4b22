-- synack.segment, synack.parse and seg:bytes(): the codec seen from Lua.
local synack = require "synack"

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function unhex(h)
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

-- A SYN made by Scapy (IP ID 0x1234, DF), checksums and all.
local REF_SYN = unhex("4500003c1234400040069c60c6120001c612000204d200500000000000000000a002ffffb6b5"
  .. "0000020405b40402080a000000010000000001030307")
-- An IPv6 data segment made by Scapy: traffic class 0x28, flow label 0x12345, hop limit 60.
local REF_V6 = unhex("628123450019063c20010db800000000000000000000000120010db800000000000000000000"
  .. "0002005004d2000013890000000150180200f5d4000068656c6c6f")

local function edit(s, pos, byte) -- pos is 0-based, as in a packet diagram
  return s:sub(1, pos) .. string.char(byte) .. s:sub(pos + 2)
end

-- Every option kind synack knows, in the list form, plus an unknown one.
local EVERY = { {"mss", 1460}, "sackOK", {"ts", 1, 2}, "nop", {"wscale", 14}, {"sack", {10, 20}},
  {kind = 99, data = "\171"}, "eol" }

describe("synack.segment", function()
  it("has the documented defaults", function()
    local s = synack.segment{}
    assert.equal("0.0.0.0", s.src)
    assert.equal("0.0.0.0", s.dst)
    assert.equal(4, s.family)
    assert.equal(64, s.ttl)
    assert.equal(65535, s.win)
    assert.equal("", s.flags)
    assert.equal(0, s.seq)
    assert.equal(0, s.len)
    assert.equal("", s.payload)
    assert.is_false(s.df)
    assert.is_true(s.checksum_ok)
    assert.equal("synack.segment", getmetatable(s).__name)
    assert.equal(40, #s:bytes())
  end)

  it("prints the contract's example", function()
    local seg = synack.segment{src = "198.18.0.1", dst = "198.18.0.2", sport = 1234, dport = 80,
      flags = "S", seq = 0, ack = 0, win = 65535,
      options = {mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7}, payload = ""}
    assert.equal("198.18.0.1.1234 > 198.18.0.2.80: Flags [S], seq 0, win 65535, "
      .. "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0", tostring(seg))
    seg.flags = "S."
    seg.ack = 1
    assert.equal("198.18.0.1.1234 > 198.18.0.2.80: Flags [S.], seq 0, ack 1, win 65535, "
      .. "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0", tostring(seg))
  end)

  it("prints like tcpdump -n -S", function()
    local s = synack.segment{src = "198.18.0.1", dst = "198.18.0.2", sport = 1234, dport = 80,
      flags = "P.", seq = 1, ack = 5001, win = 502, payload = "hello"}
    assert.equal("198.18.0.1.1234 > 198.18.0.2.80: Flags [P.], seq 1:6, ack 5001, win 502, length 5",
      tostring(s))
    s.payload = ""
    s.flags = "."
    assert.equal("198.18.0.1.1234 > 198.18.0.2.80: Flags [.], ack 5001, win 502, length 0", tostring(s))
    s.flags = "R"
    assert.equal("198.18.0.1.1234 > 198.18.0.2.80: Flags [R], seq 1, win 502, length 0", tostring(s))
    s.flags = ""
    assert.equal("198.18.0.1.1234 > 198.18.0.2.80: Flags [none], win 502, length 0", tostring(s))
    s.flags = ".U"
    s.urp = 3
    s.options = {sack = {{10, 20}, {30, 40}}}
    assert.equal("198.18.0.1.1234 > 198.18.0.2.80: Flags [.U], ack 5001, win 502, urg 3, "
      .. "options [nop,nop,sack 2 {10:20}{30:40}], length 0", tostring(s))
    s.seq = 4294967295
    s.payload = "ab"
    s.flags = "FP."
    assert.matches("Flags %[FP%.%], seq 4294967295:1, ack 5001", tostring(s))
  end)

  it("reads and writes every flag as a boolean", function()
    local s = synack.segment{flags = "S"}
    assert.is_true(s.syn)
    assert.is_false(s.has_ack)
    s.has_ack = true
    assert.equal("S.", s.flags)
    s.syn = false
    s.fin = true
    s.psh = true
    assert.equal("FP.", s.flags)
    s.rst, s.urg, s.ece, s.cwr = true, true, true, true
    assert.equal("FRP.UEW", s.flags)
    for _, f in ipairs{"syn", "fin", "rst", "psh", "urg", "ece", "cwr", "has_ack"} do
      s[f] = false
      assert.is_false(s[f])
    end
    assert.equal("", s.flags)
  end)

  it("tells each kind, the first that applies", function()
    local cases = { {"R.", "", "rst"}, {"SR", "", "rst"}, {"S", "", "syn"}, {"S.", "", "synack"},
      {"F.", "x", "fin"}, {"P.", "x", "data"}, {".", "", "ack"}, {"", "", "ack"} }
    for _, c in ipairs(cases) do
      assert.equal(c[3], synack.segment{flags = c[1], payload = c[2]}.kind, c[1])
    end
  end)

  it("lays options out as Linux does", function()
    local function list(opts, flags)
      local out = {}
      for _, e in ipairs(synack.segment{flags = flags or "S", options = opts}.options.list) do
        out[#out + 1] = type(e) == "table" and e[1] or e
      end
      return table.concat(out, ",")
    end
    assert.equal("mss,sackOK,ts,nop,wscale",
      list{mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7})
    assert.equal("mss,nop,nop,sackOK,nop,wscale", list{mss = 1460, sack_permitted = true, wscale = 7})
    assert.equal("nop,nop,ts", list({timestamp = {5, 6}}, "."))
    assert.equal("nop,nop,ts,nop,nop,sack", list({timestamp = {5, 6}, sack = {{1, 2}}}, "."))
    local s = synack.segment{options = {mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7}}
    assert.equal("020405b40402080a000000010000000001030307", hex(s:bytes():sub(41)))
  end)

  it("reads options in both forms", function()
    local s = synack.segment{flags = ".", options = EVERY}
    local o = s.options
    assert.equal(1460, o.mss)
    assert.equal(14, o.wscale)
    assert.is_true(o.sack_permitted)
    assert.same({1, 2}, o.timestamp)
    assert.same({{10, 20}}, o.sack)
    assert.same({ {"mss", 1460}, "sackOK", {"ts", 1, 2}, "nop", {"wscale", 14}, {"sack", {10, 20}},
      {kind = 99, data = "\171"}, "eol", "eol", "eol" }, o.list)
    -- the list form is exact: writing it back gives the same bytes
    local t = synack.segment{flags = "."}
    t.options = o.list
    assert.equal(s:bytes(), t:bytes())
    -- raw bytes too
    t.options = "\1\1\1\1"
    assert.same({"nop", "nop", "nop", "nop"}, t.options.list)
    t.options = nil
    assert.same({}, t.options.list)
    -- non-zero bytes after an EOL are kept raw
    t.options = {"eol", {raw = "\9\9\9"}}
    assert.same({"eol", {raw = "\9\9\9"}}, t.options.list)
    assert.equal(t, synack.parse(t:bytes()))
  end)

  it("round-trips IPv4 with every option and header field", function()
    local s = synack.segment{src = "198.18.0.1", dst = "198.18.0.2", sport = 1234, dport = 80,
      flags = "FSRP.UEW", seq = 4294967294, ack = 77, win = 1, urp = 2, options = EVERY, payload = "hello",
      ttl = 3, tos = 0xb8, ip_id = 0xbeef, df = true, ip_options = "\148\4\0\0", reserved = 15}
    local b = s:bytes()
    assert.equal(20 + 4 + 20 + 36 + 5, #b)
    local p = assert(synack.parse(b))
    assert.is_true(p.checksum_ok)
    assert.is_true(p.ip_checksum_ok)
    assert.is_true(p.tcp_checksum_ok)
    for _, f in ipairs{"src", "dst", "sport", "dport", "flags", "seq", "ack", "win", "urp", "payload", "ttl",
        "tos", "ip_id", "df", "ip_options", "reserved", "len", "family"} do
      assert.equal(s[f], p[f], f)
    end
    assert.same(s.options, p.options)
    assert.equal(s, p)
    assert.equal(b, p:bytes())
  end)

  it("round-trips IPv6 with every option and header field", function()
    local payload = string.rep("\0\1\2\255", 100)
    local s = synack.segment{src = "2001:db8::1", dst = "fe80::1:2", sport = 65535, dport = 1, flags = "P.",
      seq = 1, ack = 4294967295, options = EVERY, payload = payload, ttl = 255, tos = 0x28, flow = 0xfffff}
    local p = assert(synack.parse(s:bytes()))
    assert.equal(6, p.family)
    assert.equal("2001:db8::1", p.src)
    assert.equal("fe80::1:2", p.dst)
    assert.equal(0xfffff, p.flow)
    assert.equal(0x28, p.tos)
    assert.equal(255, p.ttl)
    assert.equal(payload, p.payload)
    assert.equal(4294967295, p.ack)
    assert.equal(s, p)
    assert.equal(s:bytes(), p:bytes())
  end)

  it("gives back the exact bytes of packets made elsewhere", function()
    for _, b in ipairs{REF_SYN, REF_V6} do
      local p = assert(synack.parse(b))
      assert.is_true(p.checksum_ok)
      assert.equal(hex(b), hex(p:bytes()))
    end
    local p = synack.parse(REF_SYN)
    assert.equal(0x1234, p.ip_id)
    assert.is_true(p.df)
    local v6 = synack.parse(REF_V6)
    assert.equal(0x12345, v6.flow)
    assert.equal("2001:db8::1.80 > 2001:db8::2.1234: Flags [P.], seq 5001:5006, ack 1, win 512, length 5",
      tostring(v6))
  end)

  it("reports malformed packets with their codes and never raises", function()
    local cases = {
      {"", "ETRUNCATED"},
      {REF_SYN:sub(1, 19), "ETRUNCATED"},
      {REF_SYN:sub(1, -2), "ETRUNCATED"},
      {REF_V6:sub(1, 39), "ETRUNCATED"},
      {edit(REF_SYN, 0, 0x55), "EBADVERSION"},
      {edit(REF_V6, 0, 0x72), "EBADVERSION"},
      {edit(REF_SYN, 0, 0x44), "EBADIPHDR"},
      {edit(REF_SYN, 3, 16), "EBADIPLEN"},
      {edit(REF_SYN, 9, 17), "ENOTTCP"},
      {edit(REF_V6, 6, 0), "ENOTTCP"}, -- an IPv6 extension header (hop-by-hop)
      {edit(REF_V6, 6, 44), "ENOTTCP"}, -- a fragment header
      {edit(REF_SYN, 6, 0x20), "EFRAGMENT"},
      {edit(REF_SYN, 7, 1), "EFRAGMENT"},
      {edit(REF_SYN, 32, 0x40), "EBADOFFSET"},
      {edit(REF_SYN, 32, 0xf0), "EBADOFFSET"},
      {edit(REF_SYN, 41, 1), "EBADOPTION"},
      {edit(REF_SYN, 41, 40), "EBADOPTION"},
    }
    for i, c in ipairs(cases) do
      local seg, err, code = synack.parse(c[1])
      assert.is_nil(seg, i)
      assert.equal(c[2], code, i)
      assert.equal(c[2] .. ": " .. synack.errors[c[2]], err)
    end
    -- random bytes: a segment or nil, err, code; never an error
    math.randomseed(7)
    for _ = 1, 2000 do
      local n = math.random(0, 80)
      local t = {}
      for j = 1, n do t[j] = string.char(math.random(0, 255)) end
      local b = table.concat(t)
      if n > 0 and math.random() < 0.5 then b = string.char(0x45) .. b:sub(2) end
      local ok, seg, _, code = pcall(synack.parse, b)
      assert.is_true(ok)
      assert.is_true(seg ~= nil or type(code) == "string")
    end
  end)

  it("parses wrong checksums and fixes them on bytes()", function()
    assert.equal(0xb5, REF_SYN:byte(38))
    local bad = edit(REF_SYN, 37, 0xb4)
    local p = assert(synack.parse(bad))
    assert.is_false(p.checksum_ok)
    assert.is_false(p.tcp_checksum_ok)
    assert.is_true(p.ip_checksum_ok)
    assert.equal(0xb6b4, p.tcp_checksum)
    assert.equal(REF_SYN, p:bytes())
    local badip = edit(REF_SYN, 11, 0)
    p = assert(synack.parse(badip))
    assert.is_false(p.ip_checksum_ok)
    assert.is_true(p.tcp_checksum_ok)
    assert.is_false(p.checksum_ok)
    assert.equal(REF_SYN, p:bytes())
  end)

  it("names the field in every error", function()
    local cases = {
      {{seq = "1"}, "bad field 'seq' %(number expected, got string%)"},
      {{seq = -1}, "bad field 'seq' %(integer 0%.%.4294967295 expected"},
      {{seq = 2^32}, "bad field 'seq' %(integer 0%.%.4294967295 expected"},
      {{ack = 1.5}, "bad field 'ack' %(integer"},
      {{sport = 65536}, "bad field 'sport'"},
      {{ttl = 256}, "bad field 'ttl'"},
      {{flow = 0x100000}, "bad field 'flow'"},
      {{flags = "SX"}, "bad field 'flags'"},
      {{flags = 2}, "bad field 'flags' %(string expected, got number%)"},
      {{src = "1.2.3"}, "bad field 'src'"},
      {{src = "198.18.0.1", dst = "::1"}, "bad field 'dst' %(address family differs from src%)"},
      {{df = 1}, "bad field 'df' %(boolean expected, got number%)"},
      {{payload = 5}, "bad field 'payload' %(string expected, got number%)"},
      {{options = 5}, "bad field 'options' %(table expected, got number%)"},
      {{options = {mss = 65536}}, "bad field 'options.mss'"},
      {{options = {colour = 1}}, "bad field 'options.colour' %(unknown option%)"},
      {{options = {"nope"}}, "bad field 'options%[1%]' %(unknown option name%)"},
      {{options = {"nop", {"mss", "x"}}}, "bad field 'options%[2%]' %(number expected, got string%)"},
      {{options = {{kind = 9, data = string.rep("x", 39)}}}, "bad field 'options%[1%]'"},
      {{options = {sack = {{1, 2}, {3, 4}, {5, 6}, {7, 8}}, timestamp = {1, 2}}}, "bad field 'options'"},
      {{ip_options = "abc"}, "bad field 'ip_options'"},
      {{len = 3}, "bad field 'len' %(read%-only%)"},
      {{kind = "syn"}, "bad field 'kind' %(read%-only%)"},
      {{colour = "red"}, "bad field 'colour' %(unknown field%)"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(synack.segment, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err)
    end
    local s = synack.segment{}
    assert.has_error(function() s.seq = "x" end)
    local ok, err = pcall(function() s.bogus = 1 end)
    assert.is_false(ok)
    assert.matches("bad field 'bogus' %(unknown field%)", err)
    assert.is_nil(s.bogus)
  end)

  it("takes sequence numbers 0 to 2^32-1 exactly", function()
    local s = synack.segment{seq = 4294967295, ack = 0}
    assert.equal(4294967295, s.seq)
    s.seq = 2^31
    assert.equal(2147483648, s.seq)
    s.ack = 4294967295.0
    assert.equal(4294967295, s.ack)
    local p = synack.parse(s:bytes())
    assert.equal(2147483648, p.seq)
    assert.equal(4294967295, p.ack)
  end)

  it("owns its payload, and copy() is independent", function()
    local s = synack.segment{payload = "abc", flags = "P."}
    local c = s:copy()
    assert.equal(s, c)
    assert.is_false(rawequal(s, c))
    c.payload = "xyz!"
    assert.equal("abc", s.payload)
    assert.equal(4, c.len)
    assert.are_not.equal(s, c)
    c.payload = "abc"
    assert.equal(s, c)
    c.ttl = 1
    assert.are_not.equal(s, c)
    s = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal("abc", c.payload)
  end)

  it("switches family when both addresses are set", function()
    local s = synack.segment{dst = "2001:db8::2"}
    assert.equal("::", s.src)
    assert.equal(6, s.family)
    s.src = "198.18.0.1"
    assert.has_error(function() return s:bytes() end)
    s.dst = "198.18.0.2"
    assert.equal(40, #s:bytes())
  end)
end)
