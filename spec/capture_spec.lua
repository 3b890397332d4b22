-- synack.pcap and synack.write_pcap: classic pcap, LINKTYPE_RAW, microseconds.
local synack = require "synack"

local function u32le(s, pos)
  local a, b, c, d = s:byte(pos, pos + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end

local function u16le(s, pos)
  local a, b = s:byte(pos, pos + 1)
  return a + b * 256
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- The records of a pcap file: {sec, usec, incl, orig, data}.
local function records(s)
  local out, pos = {}, 25
  while pos <= #s do
    local incl = u32le(s, pos + 8)
    out[#out + 1] = {sec = u32le(s, pos), usec = u32le(s, pos + 4), incl = incl, orig = u32le(s, pos + 12),
      data = s:sub(pos + 16, pos + 15 + incl)}
    pos = pos + 16 + incl
  end
  return out
end

local function segs()
  return {
    synack.segment{src = "198.18.0.1", dst = "198.18.0.2", sport = 1234, dport = 80, flags = "S",
      options = {mss = 1460}},
    synack.segment{src = "2001:db8::2", dst = "2001:db8::1", sport = 80, dport = 1234, flags = "P.",
      seq = 5001, ack = 1, payload = "hello"},
  }
end

describe("synack.pcap", function()
  local path
  before_each(function() path = os.tmpname() end)
  after_each(function() os.remove(path) end)

  it("writes the pcap header and one record per packet", function()
    local s = segs()
    local cap = assert(synack.pcap(path))
    assert.equal("synack.pcap (open)", tostring(cap))
    assert.equal(cap, cap:write(s[1], 1.5))
    cap:write(s[2]:bytes(), 2.000001)
    cap:write(s[1]) -- the previous record's time
    assert.is_true(cap:close())
    assert.equal("synack.pcap (closed)", tostring(cap))
    local f = slurp(path)
    assert.equal("\212\195\178\161", f:sub(1, 4)) -- 0xa1b2c3d4, little-endian
    assert.equal(2, u16le(f, 5))
    assert.equal(4, u16le(f, 7))
    assert.equal(65535, u32le(f, 17))
    assert.equal(101, u32le(f, 21))
    local r = records(f)
    assert.equal(3, #r)
    assert.same({1, 500000}, {r[1].sec, r[1].usec})
    assert.same({2, 1}, {r[2].sec, r[2].usec})
    assert.same({2, 1}, {r[3].sec, r[3].usec})
    assert.equal(s[1]:bytes(), r[1].data)
    assert.equal(s[2]:bytes(), r[2].data)
    assert.equal(#r[2].data, r[2].orig)
    assert.equal(s[2], synack.parse(r[2].data))
  end)

  it("writes a list at once with write_pcap", function()
    local s = segs()
    assert.is_true(synack.write_pcap(path, s, {0.25, 3}))
    local r = records(slurp(path))
    assert.equal(2, #r)
    assert.same({0, 250000}, {r[1].sec, r[1].usec})
    assert.same({3, 0}, {r[2].sec, r[2].usec})
    assert.equal(s[2]:bytes(), r[2].data)
    assert.is_true(synack.write_pcap(path, s))
    r = records(slurp(path))
    assert.same({0, 0}, {r[2].sec, r[2].usec})
    assert.is_true(synack.write_pcap(path, {}))
    assert.equal(24, #slurp(path))
  end)

  it("returns file errors the luv way", function()
    local cap, err, code = synack.pcap("/nonexistent-dir/x.pcap")
    assert.is_nil(cap)
    assert.equal("ENOENT", code)
    assert.matches("^ENOENT: /nonexistent%-dir/x%.pcap: ", err)
    local ok
    ok, err, code = synack.write_pcap("/nonexistent-dir/x.pcap", segs())
    assert.is_nil(ok)
    assert.equal("ENOENT", code)
    assert.matches("^ENOENT: ", err)
  end)

  it("raises on wrong arguments and on a closed capture", function()
    local cap = assert(synack.pcap(path))
    assert.has_error(function() cap:write(42) end)
    assert.has_error(function() cap:write(segs()[1], -1) end)
    assert.has_error(function() synack.write_pcap(path, {1, 2}) end)
    cap:close()
    assert.is_true(cap:close()) -- twice is fine
    assert.has_error(function() cap:write("x") end, "synack.pcap: capture is closed")
  end)

  it("closes on collection", function()
    local cap = assert(synack.pcap(path))
    cap:write(segs()[1])
    cap = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal(1, #records(slurp(path)))
  end)

  if _VERSION == "Lua 5.4" then
    it("closes a to-be-closed capture", function()
      local chunk = assert(load([[
        local synack, path, seg = ...
        do
          local cap <close> = assert(synack.pcap(path))
          cap:write(seg)
        end
      ]]))
      chunk(synack, path, segs()[1])
      assert.equal(1, #records(slurp(path)))
    end)
  end
end)

-- The pcap header and the records of a file, each record as its raw bytes
-- (16-byte header and packet) with the packet's addresses.
local function split(s)
  local out, pos = {}, 25
  while pos <= #s do
    local incl = u32le(s, pos + 8)
    local raw = s:sub(pos, pos + 15 + incl)
    local seg = assert(synack.parse(raw:sub(17)))
    out[#out + 1] = {raw = raw, src = seg.src, dst = seg.dst}
    pos = pos + 16 + incl
  end
  return s:sub(1, 24), out
end

local function tshark_count(path)
  local p = io.popen("command -v tshark >/dev/null 2>&1 && tshark -r '" .. path .. "' -n 2>/dev/null | wc -l")
  local out = p:read("*a")
  p:close()
  return tonumber(out) -- nil without tshark
end

describe("link:capture", function()
  local paths
  local function tmp()
    local p = os.tmpname()
    paths[#paths + 1] = p
    return p
  end
  before_each(function() paths = {} end)
  after_each(function()
    for _, p in ipairs(paths) do os.remove(p) end
  end)

  -- Two wires: 198.18.0.1 and .2 on w1 (lossy, duplicating), 198.18.1.1 and
  -- .2 on w2; a connection with data both ways on each.
  local function two_wires()
    local net = synack.network{seed = 7}
    local w1 = net:wire{delay = 0.01, loss = 0.1, duplicate = 0.1}
    local w2 = net:wire{delay = 0.02}
    local hosts = {
      net:host{addr = "198.18.0.1", link = w1}, net:host{addr = "198.18.0.2", link = w1},
      net:host{addr = "198.18.1.1", link = w2}, net:host{addr = "198.18.1.2", link = w2},
    }
    return net, w1, w2, hosts
  end

  local function recv_all(c, n)
    local got = {}
    while n > 0 do
      local d = assert(c:recv(n, 10))
      got[#got + 1] = d
      n = n - #d
    end
    return table.concat(got)
  end

  local function talk(net, a, b, port)
    local l = b:listen(port)
    local c = a:connect(b.addr, port)
    local s = assert(l:accept(10))
    assert(c:send(("x"):rep(5000)))
    assert(s:send("hello"))
    assert.equal(5000, #recv_all(s, 5000))
    assert.equal("hello", recv_all(c, 5))
    c:close()
    s:close()
    net:run(300)
  end

  it("writes only the packets of its link, as net:capture writes them", function()
    local net, w1, w2, h = two_wires()
    local all, one = tmp(), tmp()
    assert.is_true(net:capture(all))
    assert.is_true(w1:capture(one))
    talk(net, h[1], h[2], 80)
    talk(net, h[3], h[4], 81)
    assert.is_true(w1:capture())
    assert.is_true(net:capture())
    local head_all, rall = split(slurp(all))
    local head_one, rone = split(slurp(one))
    assert.equal(head_all, head_one)
    local want = {}
    for _, r in ipairs(rall) do
      if r.src:match("^198%.18%.0%.") then want[#want + 1] = r.raw end
    end
    assert.is_true(#want > 10 and #want < #rall, #want .. " of " .. #rall)
    local got = {}
    for _, r in ipairs(rone) do got[#got + 1] = r.raw end
    assert.equal(#want, #got)
    assert.is_true(table.concat(want) == table.concat(got)) -- byte for byte, times included
    -- every packet the hosts of w1 sent (the trace's "out" segments), lost ones included
    local sent = 0
    for _, ev in ipairs(net:trace()) do
      if ev.kind == "segment" and ev.dir == "out" and ev.host:match("^198%.18%.0%.") then
        sent = sent + 1
      end
    end
    assert.equal(sent, #got)
    local n = tshark_count(one)
    if n then assert.equal(#got, n) end
    -- w2 on its own
    local two = tmp()
    assert.is_true(w2:capture(two))
    talk(net, h[4], h[3], 82)
    w2:capture()
    local _, rtwo = split(slurp(two))
    assert.is_true(#rtwo > 5)
    for _, r in ipairs(rtwo) do assert.matches("^198%.18%.1%.", r.src) end
  end)

  it("stops, restarts, and replaces its file", function()
    local net, w1, w2, h = two_wires()
    w1:set{loss = 0, duplicate = 0}
    local p1, p2, p3 = tmp(), tmp(), tmp()
    assert.is_true(w1:capture(p1))
    assert.is_true(w2:capture(p3))
    talk(net, h[1], h[2], 80)
    assert.is_true(w1:capture()) -- stops; the file is complete
    assert.is_true(w1:capture()) -- twice is fine
    local s1 = slurp(p1)
    local _, r1 = split(s1)
    assert.is_true(#r1 >= 7)
    talk(net, h[1], h[2], 81)
    assert.equal(s1, slurp(p1)) -- nothing more after the stop
    assert.is_true(w1:capture(p2)) -- restarts into another file
    talk(net, h[1], h[2], 82)
    assert.is_true(w1:capture(p1)) -- replaces: p2 is closed, p1 starts over
    local _, r2 = split(slurp(p2))
    assert.equal(#r1, #r2)
    talk(net, h[1], h[2], 83)
    -- the network's capture on and off does not touch the link's
    local all = tmp()
    assert.is_true(net:capture(all))
    assert.is_true(net:capture())
    talk(net, h[1], h[2], 84)
    w1:capture()
    local _, r3 = split(slurp(p1))
    assert.equal(2 * #r1, #r3)
    assert.equal(24, #slurp(all))
    -- w2 saw no traffic and is still open: closing the network closes it
    net:close()
    assert.equal("\212\195\178\161", slurp(p3):sub(1, 4))
    assert.equal(24, #slurp(p3))
  end)

  it("is closed with its network, closed or collected", function()
    local net, w1, _, h = two_wires()
    w1:set{loss = 0, duplicate = 0}
    local p1, p2 = tmp(), tmp()
    assert.is_true(w1:capture(p1))
    talk(net, h[1], h[2], 80)
    net:close()
    local _, r = split(slurp(p1))
    assert.is_true(#r >= 7)
    net, w1, _, h = two_wires()
    w1:set{loss = 0, duplicate = 0}
    assert.is_true(w1:capture(p2))
    talk(net, h[1], h[2], 80)
    net, w1, _, h = nil, nil, nil, nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    local _, r2 = split(slurp(p2))
    assert.equal(#r, #r2)
  end)

  it("raises on wrong arguments and on a closed network; returns file errors", function()
    local net, w1 = two_wires()
    assert.has_error(function() w1:capture(42) end, "bad argument #1 to 'capture' (string expected, got number)")
    assert.has_error(function() w1:capture({}) end)
    assert.has_error(function() w1.capture(net, "x") end)
    local ok, err, code = w1:capture("/nonexistent-dir/x.pcap")
    assert.is_nil(ok)
    assert.equal("EIO", code)
    assert.matches("^EIO: /nonexistent%-dir/x%.pcap: ", err)
    local p = tmp()
    assert.is_true(w1:capture(p))
    assert.has_error(function() w1:capture(false) end) -- a bad argument leaves the capture as it is
    assert.is_true(w1:capture("/nonexistent-dir/x.pcap") == nil) -- a file error closes the old one
    net:close()
    assert.has_error(function() w1:capture(p) end, "synack: the network is closed")
    assert.has_error(function() w1:capture() end, "synack: the network is closed")
  end)

  it("on a UDP link: both directions, not the network's other links (real time, 127.0.0.1)", function()
    local n1 = synack.network{clock = "real"}
    local n2 = synack.network{clock = "real"}
    local u1 = assert(n1:udp{bind = "127.0.0.1:0"})
    local u2 = assert(n2:udp{bind = "127.0.0.1:0", peer = u1.sockname})
    local a = n1:host{addr = "198.18.0.1", link = u1}
    local b = n2:host{addr = "198.18.0.2", link = u2}
    local w = n1:wire{}
    local x = n1:host{addr = "198.18.5.1", link = w}
    local y = n1:host{addr = "198.18.5.2", link = w}
    assert.is_true(u1:capture()) -- nothing to stop
    local p, pw, pall = tmp(), tmp(), tmp()
    assert.is_true(u1:capture(p))
    assert.is_true(w:capture(pw))
    assert.is_true(n1:capture(pall))
    local l = a:listen(80)
    local c = b:connect("198.18.0.1", 80)
    assert.is_true(c:wait("ESTABLISHED", 5))
    local s = assert(l:accept(5))
    assert(c:send(("y"):rep(3000)))
    assert.equal(3000, #recv_all(s, 3000))
    assert(s:send("back"))
    assert.equal("back", recv_all(c, 4))
    local lw = y:listen(90)
    local cw = x:connect("198.18.5.2", 90)
    assert.is_true(cw:wait("ESTABLISHED", 5))
    assert(lw:accept(5))
    assert.is_true(u1:capture())
    assert.is_true(w:capture())
    assert.is_true(n1:capture())
    local sent, received, failed = u1.sent, u1.received, u1.failed
    n1:close()
    n2:close()
    synack._uv_run("nowait")
    local _, r = split(slurp(p))
    local srcs = {}
    for _, rec in ipairs(r) do srcs[rec.src] = (srcs[rec.src] or 0) + 1 end
    assert.is_true(srcs["198.18.0.1"] > 0 and srcs["198.18.0.2"] > 0)
    assert.is_nil(srcs["198.18.5.1"])
    assert.is_nil(srcs["198.18.5.2"])
    assert.equal(sent + received + failed, #r)
    local _, rw = split(slurp(pw))
    assert.is_true(#rw >= 3)
    for _, rec in ipairs(rw) do assert.matches("^198%.18%.5%.", rec.src) end
    local _, rall = split(slurp(pall))
    assert.equal(#r + #rw, #rall)
    local n = tshark_count(p)
    if n then assert.equal(#r, n) end
  end)
end)
