-- close() vs shutdown(): close is the application's last word (a socket's
-- close), shutdown the half-close that keeps reading (RFC 9293 3.10.4,
-- SHLD-3, RFC 2525 2.17).
local synack = require "synack"

local A, B = "198.18.0.1", "198.18.0.2"

local function pair()
  local net = synack.network{seed = 1}
  local w = net:wire{delay = 0.010}
  local a, b = net:host{addr = A, link = w}, net:host{addr = B, link = w}
  local l = b:listen(80)
  local c = a:connect(B, 80)
  assert(c:wait("ESTABLISHED"))
  local s = assert(l:accept())
  return net, c, s
end

-- the segments host `from` sent, as tcpdump flag strings
local function flags_from(net, from)
  local out = {}
  for _, ev in ipairs(net:trace()) do
    if ev.kind == "segment" and ev.from == from then out[#out + 1] = ev.seg.flags end
  end
  return out
end

local function has(list, v)
  for _, x in ipairs(list) do if x == v then return true end end
  return false
end

describe("close and shutdown", function()
  it("shutdown sends a FIN and reading goes on", function()
    local net, c, s = pair()
    assert.is_true(c:shutdown())
    assert(s:wait("CLOSE-WAIT"))
    assert.equal("EOF", select(2, s:recv()))
    assert.equal(7, s:send("reply 1"))
    assert.equal("reply 1", c:recv())
    assert.equal("EPIPE", select(3, c:send("x")))
    assert.equal("ECLOSING", select(3, c:shutdown()))
    s:close()
    assert.equal("EOF", select(2, c:recv()))
    net:run()
    assert.equal("CLOSED", c.state)
    assert.is_false(has(flags_from(net, A), "R"))
  end)

  it("close makes recv fail with ECLOSING", function()
    local net, c, s = pair()
    assert.is_true(c:close())
    local r, err, code = c:recv()
    assert.is_nil(r)
    assert.equal("ECLOSING", code)
    assert.matches("^ECLOSING: ", err)
    assert.equal("ECLOSING", select(3, c:close()))
    assert.equal("ECLOSING", select(3, c:shutdown()))
    assert.equal("EOF", select(2, s:recv()))
    s:close()
    net:run()
    assert.equal("CLOSED", c.state)
    assert.is_false(has(flags_from(net, A), "R"))
  end)

  it("data arriving after close is answered with a RST, and nobody hears of an error", function()
    local net, c, s = pair()
    c:close()
    assert(c:wait("FIN-WAIT-2"))
    assert.equal(4, s:send("late"))
    assert(s:wait("CLOSED"))
    assert.equal("CLOSED", c.state)
    assert.is_nil(c:info().error)
    assert.equal("ECONNRESET", select(3, s:send("more")))
    assert.is_true(has(flags_from(net, A), "R"))
  end)

  it("closing with unread data sends a RST instead of a FIN", function()
    local net, c, s = pair()
    s:send("unread")
    net:run_until(function() return c:info().recv_queued == 6 end, 1)
    assert.is_true(c:close())
    assert.equal("CLOSED", c.state)
    local sent = flags_from(net, A)
    assert.equal("R", sent[#sent])
    assert.is_false(has(sent, "F."))
    net:run()
    assert.equal("CLOSED", s.state)
    assert.equal("ECONNRESET", select(3, s:recv()))
  end)

  it("a new SYN on the 4-tuple ends the server's TIME-WAIT (MAY-2)", function()
    local net = synack.network{seed = 1}
    local w = net:wire{delay = 0.010}
    local a, b = net:host{addr = A, link = w}, net:host{addr = B, link = w}
    local l = b:listen(80)
    local c = a:connect(B, 80, {port = 40000})
    assert(c:wait("ESTABLISHED"))
    local s = assert(l:accept())
    s:close() -- the server closes first: it keeps the TIME-WAIT
    assert.equal("EOF", select(2, c:recv()))
    c:close()
    assert(s:wait("TIME-WAIT"))
    assert(c:wait("CLOSED"))
    net:advance(1)
    local c2 = a:connect(B, 80, {port = 40000})
    assert(c2:wait("ESTABLISHED", 5))
    assert.equal("CLOSED", s.state) -- well before its 60 s
    local s2 = assert(l:accept())
    c2:send("again")
    assert.equal("again", s2:recv())
    assert.is_true(s2:info().iss ~= s:info().iss)
  end)

  it("shutdown, read, then close: no reset", function()
    local net, c, s = pair()
    c:shutdown()
    s:send("read me")
    assert.equal("read me", c:recv())
    assert.is_true(c:close())
    s:close()
    net:run()
    assert.equal("CLOSED", c.state)
    assert.is_false(has(flags_from(net, A), "R"))
  end)
end)
