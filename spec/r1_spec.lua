-- SHLD-9: the application learns when retransmissions pass R1 (RFC 9293 3.8.3).
local synack = require "synack"

local A, B = "198.18.0.1", "198.18.0.2"

describe("R1", function()
  it("c:info().r1_reached turns true after r1_retries retransmissions, false after an ACK", function()
    local net = synack.network{seed = 1}
    local w = net:wire{delay = 0.010}
    local a = net:host{addr = A, link = w, r1_retries = 2}
    local b = net:host{addr = B, link = w}
    b:listen(80)
    local c = a:connect(B, 80)
    assert(c:wait("ESTABLISHED"))
    local dropping = true
    c:on("data", function(_, _, dir)
      if dir == "out" and dropping then return false end
    end)
    c:send("hello")
    assert.is_false(c:info().r1_reached)
    net:run_until(function() return c:info().retransmits >= 1 end, 10)
    assert.is_false(c:info().r1_reached)
    net:run_until(function() return c:info().retransmits >= 2 end, 10)
    assert.is_true(c:info().r1_reached)
    dropping = false
    net:run_until(function() return c:info().snd_una == c:info().snd_nxt end, 30)
    assert.is_false(c:info().r1_reached)
    assert.equal("ESTABLISHED", c.state)
  end)

  it("rejects a bad r1_retries", function()
    local net = synack.network{seed = 1}
    local w = net:wire{}
    assert.has_error(function() net:host{addr = A, link = w, r1_retries = -1} end)
  end)
end)
