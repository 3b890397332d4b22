-- The network, the wire and raw hosts: events, virtual time, impairments,
-- determinism, errors.
local synack = require "synack"

local A, B, T = "198.18.0.1", "198.18.0.2", "198.18.0.9"

--- A network with two TCP hosts on one wire; returns net, wire, a, b.
local function pair(wire_opts, seed)
  local net = synack.network{seed = seed or 1}
  local w = net:wire(wire_opts or {delay = 0.010})
  return net, w, net:host{addr = A, link = w}, net:host{addr = B, link = w}
end

--- The trace as text, one line per event.
local function text(net)
  local out = {}
  for _, ev in ipairs(net:trace()) do out[#out + 1] = tostring(ev) end
  return table.concat(out, "\n")
end

local function count(net, pred)
  local n = 0
  for _, ev in ipairs(net:trace()) do
    if pred(ev) then n = n + 1 end
  end
  return n
end

local function syn(sport, dport, src)
  return synack.segment{src = src or T, dst = B, sport = sport or 1234, dport = dport or 80,
    flags = "S", seq = 100, win = 1000}
end

describe("synack.network", function()
  it("makes networks, wires and hosts that print themselves", function()
    local net, w, a = pair()
    assert.matches("^synack.network", tostring(net))
    assert.equal("synack.wire delay 0.01", tostring(w))
    assert.equal("synack.host 198.18.0.1", tostring(a))
    assert.equal(A, a.addr)
    assert.is_false(a.raw)
    assert.equal(0, net.now)
    assert.equal("synack.network", getmetatable(net).__name)
    assert.equal("synack.host", getmetatable(a).__name)
    assert.equal(2, #net:hosts())
  end)

  it("returns nil from step when nothing is pending", function()
    local net = pair()
    assert.is_nil(net:step())
  end)

  it("steps one event at a time and returns it", function()
    local net, _, a, b = pair()
    b:listen(80, {isn = 5000})
    local c = a:connect(B, 80, {isn = 0, sack = false, timestamps = false, wscale = false})
    assert.equal("SYN-SENT", c.state)
    local ev = net:step()
    assert.equal("segment", ev.kind)
    assert.equal("in", ev.dir)
    assert.equal(A, ev.from)
    assert.equal(B, ev.to)
    assert.equal(0.010, ev.t)
    assert.equal("S", ev.seg.flags)
    assert.equal(0, ev.seg.seq)
    assert.equal("0.010000 In  198.18.0.1.49152 > 198.18.0.2.80: Flags [S], seq 0, win 65535, "
      .. "options [mss 1460], length 0", tostring(ev))
    ev = net:step()
    assert.equal("S.", ev.seg.flags)
    assert.equal(5000, ev.seg.seq)
    assert.equal(1, ev.seg.ack)
    assert.equal("ESTABLISHED", c.state)
    ev = net:step()
    assert.equal(".", ev.seg.flags)
    assert.equal(5001, ev.seg.ack)
    assert.equal(0.030, net.now)
  end)

  it("records state, app and timer events in the trace", function()
    local net, _, a, b = pair()
    b:listen(80)
    local c = a:connect(B, 80)
    net:run()
    local states = {}
    for _, ev in ipairs(net:trace()) do
      if ev.kind == "state" and ev.host == A then states[#states + 1] = ev.to end
    end
    assert.same({"SYN-SENT", "ESTABLISHED"}, states)
    local tr = net:trace()
    assert.equal("app", tr[1].kind)
    assert.equal("listen 80", tr[1].what)
    assert.equal("0.000000 198.18.0.1 connect 198.18.0.2:80", tostring(tr[2]))
    assert.equal("state", tr[3].kind)
    assert.equal(c, tr[3].conn)
    assert.equal("198.18.0.1:49152", tr[3]["local"])
    assert.equal("0.000000 198.18.0.1:49152 > 198.18.0.2:80 CLOSED -> SYN-SENT", tostring(tr[3]))
    c:abort()
    net:run()
    assert.equal("CLOSED", c.state)
  end)

  it("advances virtual time with advance and runs timers on the way", function()
    local net, _, a = pair()
    a:connect("198.18.0.50", 80) -- no such host: the SYN is retransmitted
    net:advance(3.5)
    assert.equal(3.5, net.now)
    assert.equal(2, count(net, function(ev) return ev.kind == "timer" end))
  end)

  it("runs until a condition holds, or says ETIMEDOUT", function()
    local net, _, a, b = pair()
    b:listen(80)
    local c = a:connect(B, 80)
    assert.is_true(net:run_until(function() return c.state == "ESTABLISHED" end))
    assert.equal(0.02, net.now)
    local ok, err, code = net:run_until(function() return false end, 1)
    assert.is_nil(ok)
    assert.equal("ETIMEDOUT", code)
    assert.matches("^ETIMEDOUT: ", err)
    assert.near(1.02, net.now, 1e-9)
  end)

  it("gives the same trace for the same seed, and another for another seed", function()
    local function run(seed)
      local net, _, a, b = pair({delay = 0.005, jitter = 0.004, loss = 0.1, duplicate = 0.1,
        reorder = 0.1, corrupt = 0.05}, seed)
      local l = b:listen(80)
      net:spawn(function()
        local s = assert(l:accept())
        while s:recv() do end
        s:close()
      end)
      local c = a:connect(B, 80)
      net:run_until(function() return c.state == "ESTABLISHED" end, 30)
      for _ = 1, 20 do c:send(string.rep("x", 1000)) end
      c:close()
      net:run()
      return text(net)
    end
    local one = run(7)
    assert.equal(one, run(7))
    assert.not_equal(one, run(8))
  end)

  it("raises on wrong arguments, naming them", function()
    local net, w = pair()
    assert.has_error(function() synack.network{clock = "sundial"} end)
    assert.has_error(function() synack.network{colour = 1} end)
    local function fails(pattern, f, ...)
      local ok, err = pcall(f, ...)
      assert.is_false(ok)
      assert.matches(pattern, err)
    end
    fails("addr", net.host, net, {link = w})
    fails("field 'addr'", net.host, net, {addr = "nope", link = w})
    fails("field 'loss'", net.wire, net, {loss = 2})
    fails("unknown field 'lag'", net.wire, net, {lag = 1})
    local a = net:hosts()[1]
    fails("unknown option 'colour'", a.connect, a, B, 80, {colour = "red"})
    fails("option 'mss'", a.connect, a, B, 80, {mss = "big"})
    fails("#2", a.connect, a, "x.y", 80)
    fails("port", a.connect, a, B, 0)
  end)

  it("returns network failures as nil, message, code", function()
    local net, w, a, b = pair()
    local h, err, code = net:host{addr = A, link = w}
    assert.is_nil(h)
    assert.equal("EADDRINUSE", code)
    assert.equal("EADDRINUSE: address already in use", err)
    assert.truthy(b:listen(80))
    local l2, _, code2 = b:listen(80)
    assert.is_nil(l2)
    assert.equal("EADDRINUSE", code2)
    local c = a:connect(B, 81, {isn = 7})
    net:run()
    assert.equal("CLOSED", c.state)
    local ok
    ok, err, code = c:wait("ESTABLISHED")
    assert.is_nil(ok)
    assert.equal("ECONNREFUSED", code)
    assert.equal("ECONNREFUSED: connection refused", err)
    assert.equal(1, count(net, function(ev) return ev.kind == "drop" and ev.why == "no listener" end))
  end)

  it("writes every packet to a pcap file", function()
    local net, _, a, b = pair()
    local path = os.tmpname()
    assert.is_true(net:capture(path))
    b:listen(80)
    a:connect(B, 80)
    net:run()
    net:capture()
    local f = assert(io.open(path, "rb"))
    local s = f:read("*a")
    f:close()
    os.remove(path)
    assert.equal("\212\195\178\161", s:sub(1, 4))
    assert.is_true(#s > 24 + 3 * 56)
    local _, _, code = net:capture("/nonexistent/dir/x.pcap")
    assert.truthy(code)
  end)
end)

describe("the wire", function()
  it("delays each packet by `delay`", function()
    local net, _, a, b = pair({delay = 0.25})
    b:listen(80)
    a:connect(B, 80)
    local ev = net:step()
    assert.equal(0.25, ev.t)
  end)

  it("loses packets with `loss`", function()
    local net, _, a = pair({loss = 1})
    a:connect(B, 80)
    net:run()
    local outs = count(net, function(ev) return ev.kind == "segment" and ev.dir == "out" end)
    assert.equal(outs, count(net, function(ev) return ev.kind == "drop" and ev.why == "loss" end))
    assert.equal(0, count(net, function(ev) return ev.kind == "segment" and ev.dir == "in" end))
  end)

  it("loses about `loss` of the packets", function()
    local net = synack.network{seed = 5}
    local w = net:wire{loss = 0.3}
    local src = net:host{addr = T, link = w, raw = true}
    net:host{addr = B, link = w, raw = true}
    for i = 1, 1000 do src:inject(synack.segment{src = T, dst = B, sport = i, dport = 9}) end
    net:run()
    local lost = count(net, function(ev) return ev.kind == "drop" and ev.why == "loss" end)
    assert.is_true(lost > 240 and lost < 360, "lost " .. lost)
    assert.equal(1000 - lost, count(net, function(ev) return ev.kind == "segment" and ev.dir == "in" end))
  end)

  it("duplicates with `duplicate`", function()
    local net = synack.network{}
    local w = net:wire{duplicate = 1, delay = 0.001}
    local src = net:host{addr = T, link = w, raw = true}
    net:host{addr = B, link = w, raw = true}
    src:inject(synack.segment{src = T, dst = B, sport = 1, dport = 9})
    net:run()
    local ins = {}
    for _, ev in ipairs(net:trace()) do
      if ev.kind == "segment" and ev.dir == "in" then ins[#ins + 1] = ev end
    end
    assert.equal(2, #ins)
    assert.equal(ins[1].id, ins[2].id)
  end)

  it("reorders with jitter and `reorder`", function()
    local net = synack.network{seed = 2}
    local w = net:wire{delay = 0.010, jitter = 0.005, reorder = 0.2}
    local src = net:host{addr = T, link = w, raw = true}
    net:host{addr = B, link = w, raw = true}
    for i = 1, 50 do src:inject(synack.segment{src = T, dst = B, sport = i, dport = 9}) end
    net:run()
    local order, swapped = {}, 0
    for _, ev in ipairs(net:trace()) do
      if ev.kind == "segment" and ev.dir == "in" then order[#order + 1] = ev.seg.sport end
    end
    assert.equal(50, #order)
    for i = 2, #order do
      if order[i] < order[i - 1] then swapped = swapped + 1 end
    end
    assert.is_true(swapped > 5, "swapped " .. swapped)
  end)

  it("corrupts a byte that the checksum catches", function()
    local net, _, a, b = pair({corrupt = 1})
    b:listen(80)
    a:connect(B, 80)
    net:advance(5)
    local bad = count(net, function(ev) return ev.kind == "drop" and ev.why == "checksum" end)
    assert.is_true(bad >= 3)
    assert.equal(0, count(net, function(ev) return ev.kind == "segment" and ev.dir == "in" end))
  end)

  it("drops packets over the mtu", function()
    local net, w, a, b = pair({mtu = 100})
    b:listen(80)
    local c = a:connect(B, 80)
    net:run_until(function() return c.state == "ESTABLISHED" end)
    c:send(string.rep("y", 500))
    net:advance(0.5)
    assert.is_true(count(net, function(ev) return ev.kind == "drop" and ev.why == "mtu" end) >= 1)
    assert.equal(100, w.mtu)
  end)

  it("paces packets at `rate` and drops beyond `queue`", function()
    local net = synack.network{}
    local w = net:wire{rate = 100000, queue = 3}
    local src = net:host{addr = T, link = w, raw = true}
    net:host{addr = B, link = w, raw = true}
    local seg = synack.segment{src = T, dst = B, sport = 1, dport = 2, payload = string.rep("z", 960)}
    for _ = 1, 5 do src:inject(seg) end -- 1000 bytes each: 10 ms each at 100 kB/s
    net:run()
    local times = {}
    for _, ev in ipairs(net:trace()) do
      if ev.kind == "segment" and ev.dir == "in" then times[#times + 1] = ev.t end
    end
    assert.equal(3, #times)
    assert.near(0.010, times[1], 1e-9)
    assert.near(0.020, times[2], 1e-9)
    assert.near(0.030, times[3], 1e-9)
    assert.equal(2, count(net, function(ev) return ev.kind == "drop" and ev.why == "queue" end))
  end)

  it("can change its impairments", function()
    local net, w = pair()
    w:set{loss = 0.5, delay = 0.001}
    assert.equal(0.5, w.loss)
    assert.equal(0.001, w.delay)
    assert.matches("loss 0.5", tostring(w))
    local _ = net
  end)
end)

describe("raw hosts", function()
  it("inject segments from any source and observe what comes back", function()
    local net, w, _, b = pair({delay = 0.001})
    local t = net:host{addr = T, link = w, raw = true}
    assert.is_true(t.raw)
    assert.equal("synack.host 198.18.0.9 (raw)", tostring(t))
    b:listen(80, {isn = 5000})
    local seen = {}
    t:on("segment", function(conn, seg, dir)
      seen[#seen + 1] = {conn = conn, seg = seg, dir = dir}
    end)
    assert.is_true(t:inject(syn()))
    net:step() -- the SYN reaches b
    net:step() -- the SYN/ACK reaches t
    assert.equal(1, #seen)
    assert.is_nil(seen[1].conn)
    assert.equal("in", seen[1].dir)
    assert.equal("S.", seen[1].seg.flags)
    assert.equal(101, seen[1].seg.ack)
    assert.equal(5000, seen[1].seg.seq)
  end)

  it("can spoof another host's address", function()
    local net, w, a, b = pair({delay = 0.001})
    local t = net:host{addr = T, link = w, raw = true}
    b:listen(80)
    t:inject(syn(4000, 80, A)) -- pretends to be a
    net:run()
    -- b answered a, which has no such connection and resets it
    local to_a = count(net, function(ev)
      return ev.kind == "segment" and ev.dir == "in" and ev.to == A and ev.seg.flags == "S."
    end)
    assert.equal(1, to_a)
    local _ = a
  end)

  it("records a drop when nobody owns the destination", function()
    local net, w = pair()
    local t = net:host{addr = T, link = w, raw = true}
    t:inject(synack.segment{src = T, dst = "198.18.0.77", sport = 1, dport = 2})
    net:run()
    assert.equal(1, count(net, function(ev) return ev.kind == "drop" and ev.why == "no host" end))
  end)

  it("cannot listen or connect", function()
    local net, w = pair()
    local t = net:host{addr = T, link = w, raw = true}
    assert.has_error(function() t:listen(80) end)
    assert.has_error(function() t:connect(B, 80) end)
  end)
end)

describe("the ladder", function()
  it("draws hosts as columns and fits 80 columns", function()
    local net, _, a, b = pair({delay = 0.01, loss = 0.3}, 3)
    b:listen(80, {isn = 5000})
    local c = a:connect(B, 80, {isn = 0})
    net:run_until(function() return c.state == "ESTABLISHED" end, 60)
    c:close()
    net:run()
    local ladder = net:ladder()
    assert.matches("198.18.0.1", ladder)
    assert.matches("S 0:0%(0%)", ladder)
    assert.matches("SYN%-SENT", ladder)
    for line in ladder:gmatch("[^\n]+") do
      assert.is_true(#line <= 80, line)
    end
  end)
end)
