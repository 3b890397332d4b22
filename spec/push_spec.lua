-- PUSH (RFC 9293 3.9.1): c:send(data, {push = true}) sends at once with PSH
-- (MAY-15); the receiver sees c:info().push_queued (MAY-17).
local synack = require "synack"

local A, B = "198.18.0.1", "198.18.0.2"

local function pair()
  local net = synack.network{seed = 1}
  local w = net:wire{delay = 0.010}
  local a, b = net:host{addr = A, link = w}, net:host{addr = B, link = w}
  local l = b:listen(80)
  local c = a:connect(B, 80)
  assert(c:wait("ESTABLISHED"))
  return net, c, assert(l:accept())
end

describe("push", function()
  it("a pushed send is not held by Nagle and carries PSH", function()
    local net, c, s = pair()
    local out = {}
    c:on("data", function(_, seg, dir) if dir == "out" then out[#out + 1] = seg.flags .. #seg.payload end end)
    c:send("a")
    c:send("held")
    assert.same({"P.1"}, out)
    assert.equal(3, c:send("now", {push = true}))
    assert.same({"P.1", "P.7"}, out)
    net:run_until(function() return s:info().recv_queued == 8 end, 5)
    assert.equal(8, s:info().push_queued)
    assert.equal("aheldnow", s:recv())
    assert.equal(0, s:info().push_queued)
  end)

  it("checks its options", function()
    local _, c = pair()
    assert.has_error(function() c:send("x", {psh = true}) end)
    assert.has_error(function() c:send("x", 1) end)
    assert.equal(1, c:send("x", {push = false, urgent = false}))
    assert.equal(1, c:send("!", {urgent = true}))
  end)
end)
