-- Connection options that reach the IP header (ttl, tos), and how a bad
-- option value is reported.
local synack = require "synack"

local function pair()
  local net = synack.network{seed = 3}
  local w = net:wire{delay = 0.001}
  local a = net:host{addr = "198.18.0.1", link = w}
  local b = net:host{addr = "198.18.0.2", link = w}
  return net, a, b
end

describe("connection options", function()
  it("put ttl and tos into every segment the connection sends", function()
    local net, a, b = pair()
    b:listen(80, {ttl = 33, tos = 0x20})
    local seen = {}
    net:on("segment", function(_, seg, dir)
      if dir == "out" then seen[#seen + 1] = {seg.sport, seg.ttl, seg.tos} end
    end)
    local c = a:connect("198.18.0.2", 80, {ttl = 7, tos = 0x10})
    assert(c:wait("ESTABLISHED"))
    net:run()
    assert.is_true(#seen >= 3)
    for _, s in ipairs(seen) do
      if s[1] == 80 then
        assert.same({80, 33, 0x20}, s)
      else
        assert.same({7, 0x10}, {s[2], s[3]})
      end
    end
  end)

  it("change on an open connection with c:set (MUST-17 Nagle, SHLD-21 TOS)", function()
    local net = synack.network{seed = 3}
    local w = net:wire{delay = 0.05}
    local a = net:host{addr = "198.18.0.1", link = w}
    local l = net:host{addr = "198.18.0.2", link = w}:listen(80)
    local c = a:connect("198.18.0.2", 80, {delayed_ack = false})
    local s = assert(l:accept())
    assert(c:wait("ESTABLISHED"))
    local sent = {} -- data segments the client sends: {time, length, ttl, tos}
    c:on("data", function(_, seg, dir)
      if dir == "out" then sent[#sent + 1] = {net.now, #seg.payload, seg.ttl, seg.tos} end
    end)
    -- Nagle on (the default): a second small write waits for the first's ACK
    assert.equal(1, c:send("a"))
    assert.equal(1, c:send("b"))
    net:advance(0.01)
    assert.equal(1, #sent)
    -- switched off, what it held goes at once, with the new ttl and tos
    local t0 = net.now
    assert.is_true(c:set{nagle = false, ttl = 9, tos = 0x28})
    assert.equal(2, #sent)
    assert.same({t0, 1, 9, 0x28}, sent[2])
    assert.equal(1, c:send("c")) -- unacked data in flight, and it still goes
    assert.equal(3, #sent)
    local got = ""
    for _ = 1, 3 do got = got .. (s:recv(nil, 1) or "") end
    assert.equal("abc", got)

    -- keepalive switched on after open, then off again
    assert.is_true(c:set{keepalive = 10})
    local probes = 0
    c:on("ack", function(_, seg, dir) if dir == "out" and #seg.payload == 0 then probes = probes + 1 end end)
    net:advance(15)
    assert.is_true(probes >= 1, "no keepalive probe after 15 s idle")
    assert.is_true(c:set{keepalive = false})
    probes = 0
    assert.is_true(net:run()) -- nothing pending any more: no probe timer
    assert.equal(0, probes)

    -- what the handshake fixed cannot change; bad values raise as at open
    for _, k in ipairs{"mss", "wscale", "sack", "timestamps", "sndbuf", "rcvbuf", "cc", "isn", "port"} do
      local ok, err = pcall(c.set, c, {[k] = 1})
      assert.is_false(ok)
      assert.matches("option '" .. k .. "' cannot change on an open connection", err, 1, true)
    end
    assert.has_error(function() c:set{ttl = 0} end)
    assert.has_error(function() c:set{bogus = true} end)
    assert.has_error(function() c:set() end)
    c:abort()
    local ok, _, code = c:set{nagle = true}
    assert.is_nil(ok)
    assert.equal("ENOTCONN", code)
  end)

  it("name the option and its range when a value is out of range", function()
    local _, a = pair()
    local ok, err = pcall(a.connect, a, "198.18.0.2", 80, {wscale = 99})
    assert.is_false(ok)
    assert.matches("option 'wscale' must be an integer in 0..14", err, 1, true)
    ok, err = pcall(a.connect, a, "198.18.0.2", 80, {ttl = 0})
    assert.is_false(ok)
    assert.matches("option 'ttl' must be an integer in 1..255", err, 1, true)
    ok, err = pcall(a.connect, a, "198.18.0.2", 80, {tos = "high"})
    assert.is_false(ok)
    assert.matches("option 'tos'", err, 1, true)
  end)
end)

describe("c:info()", function()
  it("reports congestion control and SACK recovery state", function()
    local net = synack.network{seed = 5}
    local w = net:wire{delay = 0.01, loss = 0.05}
    local a = net:host{addr = "198.18.0.1", link = w}
    local b = net:host{addr = "198.18.0.2", link = w}
    local l = b:listen(80)
    local c = a:connect("198.18.0.2", 80, {cc = "cubic"})
    local got = 0
    net:spawn(function()
      local s = l:accept()
      while true do
        local d = s:recv()
        if not d then break end
        got = got + #d
      end
      s:close()
    end)
    assert(c:sendall(string.rep("x", 300000)))
    c:close()
    net:run()
    assert.equal(300000, got)
    local i = c:info()
    assert.equal("cubic", i.cc)
    assert.is_true(i.retransmits > 0)
    assert.is_true(i.fast_recoveries + i.timeouts > 0)
    assert.equal(0, i.buffer_bytes) -- given back once the FIN was acknowledged
    for _, k in ipairs{"in_recovery", "snd_max", "pipe", "dupacks", "sacked_bytes", "sack_blocks",
                       "rcv_ooo_blocks", "lost_retransmits", "ts_recent", "paws_drops", "urgent_queued"} do
      assert.is_not_nil(i[k], k)
    end
  end)
end)
