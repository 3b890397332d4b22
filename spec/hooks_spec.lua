-- Hooks: verdicts, levels, inheritance, state hooks, errors in hooks.
local synack = require "synack"

local A, B = "198.18.0.1", "198.18.0.2"
local plain = {sack = false, timestamps = false, wscale = false}

local function pair()
  local net = synack.network{seed = 1}
  local w = net:wire{delay = 0.010}
  return net, net:host{addr = A, link = w}, net:host{addr = B, link = w}
end

local function opts(extra)
  local o = {}
  for k, v in pairs(plain) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local function count(net, pred)
  local n = 0
  for _, ev in ipairs(net:trace()) do
    if pred(ev) then n = n + 1 end
  end
  return n
end

describe("hooks", function()
  it("see each segment kind in both directions and pass by default", function()
    local net, a, b = pair()
    b:listen(80)
    local kinds = {}
    net:on("segment", function(conn, seg, dir)
      kinds[#kinds + 1] = seg.flags .. " " .. dir .. " " .. (conn and conn.host.addr or "-")
    end)
    local c = a:connect(B, 80, opts())
    assert.is_true(net:run_until(function() return c.state == "ESTABLISHED" end))
    net:run()
    -- no connection owns a SYN that arrives for a listener: conn is nil
    assert.same({"S out 198.18.0.1", "S in -", "S. out 198.18.0.2", "S. in 198.18.0.1",
      ". out 198.18.0.1", ". in 198.18.0.2"}, kinds)
  end)

  it("call only the hooks of the segment's kind", function()
    local net, a, b = pair()
    b:listen(80)
    local seen = {}
    for _, k in ipairs{"syn", "synack", "ack", "data", "fin", "rst"} do
      net:on(k, function(_, seg, dir)
        seen[#seen + 1] = k .. ":" .. seg.flags .. ":" .. dir
      end)
    end
    local c = a:connect(B, 80, opts())
    net:run()
    c:send("x")
    net:run()
    c:abort()
    net:run()
    assert.same({"syn:S:out", "syn:S:in", "synack:S.:out", "synack:S.:in", "ack:.:out", "ack:.:in",
      "data:P.:out", "data:P.:in", "ack:.:out", "ack:.:in", "rst:R:out", "rst:R:in"}, seen)
  end)

  it("drop a segment when they return false", function()
    local net, a, b = pair()
    b:listen(80, opts({isn = 5000}))
    local dropped = 0
    b:on("synack", function()
      if dropped == 0 then
        dropped = 1
        return false
      end
    end)
    local c = a:connect(B, 80, opts({isn = 0}))
    assert.is_true(net:run_until(function() return c.state == "ESTABLISHED" end, 10))
    assert.equal(1, dropped)
    assert.equal(1, count(net, function(ev) return ev.kind == "drop" and ev.why == "hook" end))
    -- the client's SYN was retransmitted after the RTO
    assert.is_true(net.now > 1)
  end)

  it("change fields in place", function()
    local net, a, b = pair()
    b:listen(80, opts())
    b:on("synack", function(_, seg, dir)
      if dir == "out" then seg.win = 1234 end
    end)
    local got
    a:on("synack", function(_, seg, dir)
      if dir == "in" then got = seg.win end
    end)
    local c = a:connect(B, 80, opts())
    net:run_until(function() return c.state == "ESTABLISHED" end)
    assert.equal(1234, got)
    assert.equal(1234, c:info().snd_wnd)
  end)

  it("replace a segment with the one they return", function()
    local net, a, b = pair()
    local l = b:listen(80, opts())
    a:on("data", function(_, seg, dir)
      if dir == "out" then
        local copy = seg:copy()
        copy.payload = "HELLO"
        return copy
      end
    end)
    local c = a:connect(B, 80, opts())
    net:run_until(function() return c.state == "ESTABLISHED" end)
    c:send("hello")
    local s = l:accept()
    assert.equal("HELLO", s:recv())
  end)

  it("run from the most specific level: connection, listener, host, network", function()
    local net, a, b = pair()
    local order = {}
    local function mark(name)
      return function(_, seg, dir)
        if dir == "in" and seg.flags == "P." then order[#order + 1] = name end
      end
    end
    net:on("data", mark("net"))
    b:on("data", mark("host"))
    local l = b:listen(80, opts())
    l:on("data", mark("listener"))
    local c = a:connect(B, 80, opts())
    local s = l:accept()
    s:on("segment", mark("conn segment"))
    s:on("data", mark("conn data"))
    c:send("x")
    assert.equal("x", s:recv())
    assert.same({"conn data", "conn segment", "listener", "host", "net"}, order)
  end)

  it("on a listener see the SYN that opens a connection", function()
    local net, a, b = pair()
    local l = b:listen(80, opts())
    local seen = {}
    l:on("syn", function(conn, seg, dir) seen[#seen + 1] = {conn, seg.flags, dir} end)
    a:connect(B, 80, opts())
    net:run()
    assert.equal(1, #seen)
    assert.same({nil, "S", "in"}, seen[1])
  end)

  it("set on a listener are inherited by what it accepts", function()
    local net, a, b = pair()
    local l = b:listen(80, opts())
    local states, datas = {}, 0
    l:on("state", function(conn, from, to)
      states[#states + 1] = tostring(conn.remote) .. " " .. from .. ">" .. to
    end)
    l:on("data", function() datas = datas + 1 end)
    local c = a:connect(B, 80, opts())
    local s = l:accept()
    c:send("abc")
    assert.equal("abc", s:recv())
    c:close()
    assert.is_true(s:wait("CLOSE-WAIT"))
    s:close()
    net:run()
    assert.same({"198.18.0.1:49152 LISTEN>SYN-RECEIVED", "198.18.0.1:49152 SYN-RECEIVED>ESTABLISHED",
      "198.18.0.1:49152 ESTABLISHED>CLOSE-WAIT", "198.18.0.1:49152 CLOSE-WAIT>LAST-ACK",
      "198.18.0.1:49152 LAST-ACK>CLOSED"}, states)
    assert.equal(1, datas)
  end)

  it("see state changes with the segment that caused them", function()
    local net, a, b = pair()
    local l = b:listen(80, opts())
    local c = a:connect(B, 80, opts())
    local got = {}
    c:on("state", function(conn, from, to, seg)
      assert.equal(c, conn)
      got[#got + 1] = from .. ">" .. to .. " " .. (seg and seg.flags or "-")
    end)
    local s = l:accept()
    c:close()
    assert.is_true(s:wait("CLOSE-WAIT"))
    s:close()
    net:run()
    assert.same({"SYN-SENT>ESTABLISHED S.", "ESTABLISHED>FIN-WAIT-1 -", "FIN-WAIT-1>FIN-WAIT-2 .",
      "FIN-WAIT-2>TIME-WAIT F.", "TIME-WAIT>CLOSED -"}, got)
  end)

  it("can be removed with off", function()
    local net, a, b = pair()
    b:listen(80)
    local n = 0
    local function f() n = n + 1 end
    net:on("segment", f)
    net:off("segment", f)
    a:connect(B, 80)
    net:run()
    assert.equal(0, n)
  end)

  it("reject unknown events and non-functions", function()
    local net = pair()
    local ok, err = pcall(net.on, net, "synn", function() end)
    assert.is_false(ok)
    assert.matches("unknown event 'synn'", err)
    assert.has_error(function() net:on("syn", 42) end)
  end)

  it("report errors without unwinding through C, and the segment passes", function()
    local net, a, b = pair()
    b:listen(80)
    local errors = {}
    net:on("error", function(msg) errors[#errors + 1] = msg end)
    b:on("syn", function() error("boom") end)
    local c = a:connect(B, 80)
    assert.is_true(net:run_until(function() return c.state == "ESTABLISHED" end))
    assert.equal(1, #errors) -- the one SYN b received
    assert.matches("boom", errors[1])
    assert.matches("stack traceback", errors[1])
  end)

  it("on a connection that never had one: off is harmless, and host and net are there", function()
    local net, a, b = pair()
    local l = b:listen(80)
    local c = a:connect(B, 80, opts())
    net:run()
    local s = l:accept(0)
    assert.equal(c, c:off("data"))
    assert.equal(s, s:off("segment", function() end))
    assert.equal(a, c.host)
    assert.equal(b, s.host)
    assert.equal(net, c.net)
    -- the first on() makes its hooks, and they run
    local seen = 0
    s:on("data", function() seen = seen + 1 end)
    c:send("x")
    net:run()
    assert.equal(1, seen)
    s:off("data")
    c:send("y")
    net:run()
    assert.equal(1, seen)
  end)

  it("cannot run the network from inside a hook", function()
    local net, a, b = pair()
    b:listen(80)
    local errors = {}
    net:on("error", function(msg) errors[#errors + 1] = msg end)
    net:on("syn", function() net:step() end)
    net:on("synack", function() net:run() end)
    net:on("ack", function(conn) conn:send("x") end)
    local c = a:connect(B, 80)
    assert.is_true(net:run_until(function() return c.state == "ESTABLISHED" end))
    assert.is_true(#errors >= 3)
    for _, e in ipairs(errors) do
      assert.matches("cannot be called from inside a hook", e)
    end
  end)
end)
