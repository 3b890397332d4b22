-- Bounds: what a peer can make synack hold. Out-of-order data stays within
-- the receive buffer (and a bounded number of islands), a peer that holds a
-- zero window forever costs the same each hour, a connection nobody holds
-- any more does not wait for the peer's FIN forever.
local synack = require "synack"

local A, B, T = "198.18.0.1", "198.18.0.2", "198.18.0.9"
local TWO32 = 4294967296

local function seq_add(s, n)
  return (s + n) % TWO32
end

local function world(seed)
  local net = synack.network{seed = seed or 1, trace = false}
  local w = net:wire{delay = 0.001}
  return {
    net = net, w = w,
    a = net:host{addr = A, link = w},
    b = net:host{addr = B, link = w},
    t = net:host{addr = T, link = w, raw = true},
  }
end

-- The raw host T opens a connection to b:80 by hand; returns the accepted
-- connection and a function that sends a segment from T on it.
local function raw_client(w, rcvbuf)
  local l = w.b:listen(80, {rcvbuf = rcvbuf, wscale = false, sack = true, timestamps = false})
  local last
  w.t:on("segment", function(_, seg, dir)
    if dir == "in" then last = {flags = seg.flags, seq = seg.seq, ack = seg.ack, win = seg.win} end
  end)
  local isn = 1000
  w.t:inject(synack.segment{src = T, dst = B, sport = 7000, dport = 80, flags = "S", seq = isn,
    win = 65535, options = {mss = 1460, sack_permitted = true}})
  w.net:advance(0.01)
  assert(last and last.flags == "S.", "no SYN/ACK")
  local irs = last.seq
  local function send(off, payload, flags)
    w.t:inject(synack.segment{src = T, dst = B, sport = 7000, dport = 80, flags = flags or "P.",
      seq = seq_add(isn + 1, off), ack = seq_add(irs, 1), win = 65535, payload = payload or ""})
  end
  send(0, "", ".")
  w.net:advance(0.01)
  local s = assert(l:accept(1))
  return s, send, function() return last end
end

local function drain(c)
  local parts = {}
  while true do
    local s = c:recv(1e6, 0)
    if not s or s == "" then break end
    parts[#parts + 1] = s
  end
  return table.concat(parts)
end

describe("bounds", function()
  it("keeps out-of-order data within the receive buffer, and the stream exact once the holes fill", function()
    local w = world()
    local rcvbuf = 8192
    local s, send = raw_client(w, rcvbuf)
    local data = {}
    for i = 1, rcvbuf do data[i] = string.char(97 + i % 26) end
    data = table.concat(data)
    -- 1,000 small islands at every offset of the window and far beyond it
    for k = 1, 1000 do
      local off = (k * 37) % (4 * rcvbuf) + 1
      if off + 8 <= rcvbuf then
        send(off, data:sub(off + 1, off + 8))
      else
        send(off, ("X"):rep(8)) -- beyond the window: must be dropped
      end
      if k % 50 == 0 then
        w.net:advance(0.01)
        local i = s:info()
        assert.is_true(i.recv_queued <= rcvbuf)
        assert.is_true(i.rcv_wnd <= rcvbuf)
        assert.equal(0, i.recv_queued) -- nothing in order yet
      end
    end
    w.net:advance(0.1)
    assert.equal("ESTABLISHED", s.state)
    -- now the whole window in order, in MSS-sized pieces
    for off = 0, rcvbuf - 1, 1000 do
      send(off, data:sub(off + 1, math.min(off + 1000, rcvbuf)))
      w.net:advance(0.01)
    end
    local got = drain(s)
    assert.equal(#data, #got)
    assert.equal(data, got)
    assert.is_nil(got:find("X"))
  end)

  it("holds a zero window forever at the same cost each hour", function()
    local w = world()
    local l = w.b:listen(80, {rcvbuf = 16384})
    local c = w.a:connect(B, 80, {sndbuf = 65536})
    assert(c:wait("ESTABLISHED", 5))
    local s = assert(l:accept(1))
    local sent = 0
    w.a:on("segment", function(_, _, dir) if dir == "out" then sent = sent + 1 end end)
    -- fill everything: b's receive buffer, then a's send buffer
    local total = 0
    for _ = 1, 100 do
      local n = c:send(("z"):rep(65536))
      if not n or n == 0 then break end
      total = total + n
      w.net:advance(1)
    end
    assert.is_true(total <= 16384 + 65536, "accepted " .. total .. " bytes")
    assert.equal(0, c:send("more") or 0)
    local per_hour = {}
    for h = 1, 3 do
      local before = sent
      w.net:advance(3600)
      per_hour[h] = sent - before
      assert.equal("ESTABLISHED", c.state)
      assert.equal(1, w.a:count())
      assert.equal(1, w.b:count())
      local i = c:info()
      assert.is_true(i.send_queued <= 65536)
      assert.is_true(s:info().recv_queued <= 16384)
    end
    -- probes back off to the largest RTO: a few per minute at most, the same every hour
    assert.is_true(per_hour[2] <= 3600 / 30, "probes in hour 2: " .. per_hour[2])
    assert.is_true(per_hour[3] <= per_hour[2] + 2, "hour 3 costs more than hour 2")
    -- and once the reader reads, the bytes come through exactly
    local got = #drain(s)
    w.net:advance(5)
    got = got + #drain(s)
    assert.is_true(got > 0)
  end)

  it("keeps a window open when the window scale is larger than the receive buffer", function()
    -- 4096 >> 14 is 0: rounded down, every window after the SYN would read as zero
    local w = world()
    local l = w.b:listen(80, {rcvbuf = 4096, wscale = 14})
    local c = w.a:connect(B, 80)
    assert(c:wait("ESTABLISHED", 5))
    local s = assert(l:accept(1))
    local data = ("w"):rep(20000)
    c:send(data)
    local got = {}
    for _ = 1, 20 do
      w.net:advance(1)
      got[#got + 1] = drain(s)
    end
    assert.is_true(s:info().recv_queued <= 4096)
    assert.equal(#data, #table.concat(got), "bytes received in 20 s")
  end)

  it("ends a connection nobody holds that waits for the peer's FIN forever", function()
    local w = world()
    local l = w.b:listen(80)
    do
      local c = w.a:connect(B, 80)
      assert(c:wait("ESTABLISHED", 5))
      c:close()
    end
    local s = assert(l:accept(1)) -- the peer holds its end in CLOSE-WAIT and never closes
    w.net:advance(1)
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equal("CLOSE-WAIT", s.state)
    w.net:advance(600)
    assert.equal(0, w.a:count(), "an orphan in FIN-WAIT-2 is still held")
  end)

  it("keeps the number of connections in TIME-WAIT bounded by time", function()
    local w = world()
    local l = w.b:listen(80, {backlog = 1000})
    for _ = 1, 300 do
      local c = w.a:connect(B, 80)
      assert(c:wait("ESTABLISHED", 5))
      local s = assert(l:accept(1))
      c:close()
      w.net:advance(0.01)
      s:close()
      w.net:advance(0.01)
    end
    assert.is_true(w.a:count() <= 300)
    w.net:advance(2 * 60 + 1) -- 2 MSL
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equal(0, w.a:count())
    assert.equal(0, w.b:count())
  end)
end)
