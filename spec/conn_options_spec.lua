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
