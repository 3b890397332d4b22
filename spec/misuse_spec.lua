-- Misuse from Lua: every public function called with wrong types, values out
-- of range, unknown option names, on closed or aborted objects, from inside
-- hooks, with errors raised inside hooks, and objects dropped and collected in
-- every state. Each must answer with a Lua error or `nil, err, code`: never a
-- crash (the process would die), never a hang.
local synack = require "synack"

local A, B = "198.18.0.1", "198.18.0.2"
local unpack = table.unpack or unpack -- luacheck: ignore 143
local pack = table.pack or function(...) return {n = select("#", ...), ...} end

local function world(seed)
  local net = synack.network{seed = seed or 1}
  local w = net:wire{delay = 0.001}
  local a = net:host{addr = A, link = w}
  local b = net:host{addr = B, link = w}
  local l = b:listen(80)
  local c = a:connect(B, 80)
  assert(c:wait("ESTABLISHED", 5))
  local s = assert(l:accept(5))
  return {net = net, w = w, a = a, b = b, l = l, c = c, s = s}
end

local function full_gc()
  if jit then jit.flush() end -- luacheck: ignore 113 (traces keep their constants)
  for _ = 1, 3 do collectgarbage("collect") end
end

-- Call f(...) protected: "raised", msg | "failed", err, code | "ok", results.
-- A raised error must be a string; a failure must be nil, "EXXX: text", "EXXX".
local function outcome(f, ...)
  local r = pack(pcall(f, ...))
  if not r[1] then
    assert.is_string(r[2], "errors are strings")
    return "raised", r[2]
  end
  if r.n >= 3 and r[2] == nil and type(r[3]) == "string" then
    assert.is_string(r[4], "a failure has a code: " .. r[3])
    assert.truthy(r[3]:find("^" .. r[4]), "the message starts with its code: " .. r[3])
    return "failed", r[3], r[4]
  end
  return "ok", unpack(r, 2, r.n)
end

local function raises(pattern, f, ...)
  local how, msg = outcome(f, ...)
  assert.equal("raised", how, "expected an error matching " .. pattern .. ", got " .. tostring(how)
    .. " " .. tostring(msg))
  assert.truthy(msg:find(pattern), "error '" .. msg .. "' does not match '" .. pattern .. "'")
end

local function fails(code, f, ...)
  local how, msg, c = outcome(f, ...)
  assert.equal("failed", how, "expected nil, err, " .. code .. "; got " .. tostring(how) .. " " .. tostring(msg))
  assert.equal(code, c)
end

-- Values of every type, some out of range.
local function weird_values(w)
  return {
    false, true, 0, -1, 1.5, 2 ^ 31, 2 ^ 53, -2 ^ 63, 1 / 0, -1 / 0, 0 / 0, "", "x", ("y"):rep(70000),
    {}, {1, 2, 3}, setmetatable({}, {__index = function() error("boom") end}),
    function() end, coroutine.create(function() end), io.stdout, w.net, w.a, w.l, w.c, w.w,
  }
end

-- The public methods of each object and how a call must go: methods that run
-- the network are only called with arguments whose type check fails first.
local methods = {
  net = {"wire", "host", "step", "run", "run_until", "advance", "sleep", "spawn", "trace", "capture",
         "app", "on", "off", "hosts", "ladder"},
  host = {"listen", "connect", "inject", "on", "off", "count"},
  listener = {"accept", "on", "off"},
  conn = {"send", "recv", "sendall", "wait", "info", "on", "off"},
  wire = {"set"},
}
-- Arguments that make a method wait or run rather than check: skipped there.
local function may_run(cls, name, v)
  if cls == "net" and (name == "run" or name == "step" or name == "ladder" or name == "trace"
      or name == "hosts") then
    return true
  end
  if (name == "recv" or name == "accept" or name == "wait" or name == "sendall" or name == "sleep"
      or name == "advance") and type(v) == "number" then
    return true
  end
  -- a wait for a state name that never comes drives the network for as long
  -- as it has events (zero-window probes go on forever): see bounds_spec
  if name == "wait" and type(v) == "string" then return true end
  if name == "run_until" and type(v) == "function" then return true end
  -- capture with a string would write a file of that name into the working
  -- directory; its own test below uses a path that cannot be created
  if name == "capture" then return true end
  return false
end

describe("misuse", function()
  it("wrong types and values in every argument of every method raise or fail, never crash", function()
    local w = world()
    local objs = {net = w.net, host = w.a, listener = w.l, conn = w.c, wire = w.w}
    local raised, total = 0, 0
    for cls, names in pairs(methods) do
      local self = objs[cls]
      for _, name in ipairs(names) do
        local f = self[name]
        assert.is_function(f, cls .. ":" .. name)
        for _, v in ipairs(weird_values(w)) do
          if not may_run(cls, name, v) then
            for pos = 1, 3 do
              local args = {}
              for i = 1, pos - 1 do args[i] = "ok" end
              args[pos] = v
              total = total + 1
              if os.getenv("MISUSE_TRACE") then io.stderr:write(cls, ":", name, " #", pos, " ", tostring(v), "\n") end
              local how = outcome(f, self, unpack(args, 1, pos))
              if how == "raised" then raised = raised + 1 end
            end
          end
        end
        raises("", f, nil)
        raises("", f, 42)
      end
    end
    assert.is_true(raised > total / 2)
    -- the network still works afterwards
    w.s:recv(1e6, 0)
    w.c:send("still alive")
    assert.truthy(w.s:recv(1e6, 1))
  end)

  it("raises when a method gets another kind of object as self", function()
    -- an idle network: a method that fails to check would return, not hang
    local w = world()
    w.net:run()
    local objs = {net = w.net, host = w.a, listener = w.l, conn = w.c, wire = w.w}
    local wrong = {}
    for cls, names in pairs(methods) do
      for _, name in ipairs(names) do
        for ocls, other in pairs(objs) do
          if ocls ~= cls and not ((name == "on" or name == "off") and ocls ~= "wire") then
            local how, msg = outcome(objs[cls][name], other, "x")
            if how ~= "raised" then wrong[#wrong + 1] = cls .. ":" .. name .. " on a " .. ocls .. " -> "
              .. tostring(how) .. " " .. tostring(msg) end
          end
        end
      end
    end
    assert.same({}, wrong)
  end)

  it("raises naming the argument for bad constructors", function()
    raises("bad argument #1", synack.network, "x")
    raises("clock", synack.network, {clock = "bogus"})
    raises("seed", synack.network, {seed = "x"})
    raises("seed", synack.network, {seed = 1.5})
    raises("seed", synack.network, {seed = 1e300}) -- a float-to-integer overflow is UB in C
    raises("seed", synack.network, {seed = 0 / 0})
    local net = synack.network{}
    raises("bad argument", net.wire, net, "x")
    raises("loss", net.wire, net, {loss = 2})
    raises("loss", net.wire, net, {loss = -0.1})
    raises("delay", net.wire, net, {delay = -1})
    raises("delay", net.wire, net, {delay = 0 / 0})
    raises("bogus", net.wire, net, {bogus = 1})
    local w = net:wire{}
    raises("addr", net.host, net, {link = w})
    raises("addr", net.host, net, {addr = "300.1.2.3", link = w})
    raises("addr", net.host, net, {addr = "not an address", link = w})
    raises("link", net.host, net, {addr = A})
    raises("link", net.host, net, {addr = A, link = "wire"})
    raises("bogus", net.host, net, {addr = A, link = w, bogus = true})
    net:host{addr = A, link = w}
    fails("EADDRINUSE", net.host, net, {addr = A, link = w})
    raises("flags", synack.segment, {flags = "Z"})
    raises("seq", synack.segment, {seq = 2 ^ 32})
    raises("seq", synack.segment, {seq = -1})
    raises("", synack.segment, {options = {mss = 70000}})
    raises("", synack.segment, {src = "bogus"})
    raises("", synack.segment, {src = A, dst = "2001:db8::1"})
    local seg = synack.segment{src = A, dst = B, flags = "S"}
    local pcap = os.tmpname()
    raises("", synack.write_pcap, pcap, {seg}, {1e300}) -- float-to-integer overflow: UB in C
    raises("", synack.write_pcap, pcap, {seg}, {0 / 0})
    raises("", synack.write_pcap, pcap, {seg}, {-1})
    raises("", synack.write_pcap, pcap, {seg}, {"x"})
    assert.is_true(synack.write_pcap(pcap, {seg}, {1.5}))
    os.remove(pcap)
    raises("bad argument #1", synack.parse, {})
    fails("ETRUNCATED", synack.parse, "")
    local how = outcome(synack.parse, ("\69"):rep(100))
    assert.truthy(how == "failed" or how == "ok")
  end)

  it("checks ports, options and their values", function()
    local w = world()
    raises("port", w.b.listen, w.b, 0)
    raises("port", w.b.listen, w.b, 65536)
    raises("port", w.b.listen, w.b, -80)
    raises("number expected", w.b.listen, w.b, "eighty")
    fails("EADDRINUSE", w.b.listen, w.b, 80)
    raises("backlog", w.b.listen, w.b, 81, {backlog = -1})
    raises("backlog", w.b.listen, w.b, 81, {backlog = "many"})
    raises("unknown option 'bogus'", w.b.listen, w.b, 81, {bogus = 1})
    raises("unknown option", w.b.listen, w.b, 81, {[1] = 1})
    raises("unknown option 'backlog'", w.a.connect, w.a, B, 80, {backlog = 4})
    raises("port", w.a.connect, w.a, B, 0)
    raises("port", w.a.connect, w.a, B, 65536)
    raises("address", w.a.connect, w.a, "not an address", 80)
    local bad = {
      isn = {-1, 2 ^ 32, "x", 1.5}, port = {0, 65536, "x"}, mss = {0, 65536, "x"},
      wscale = {15, -1, "x", true}, sack = {1, "yes"}, timestamps = {0}, nagle = {"x"},
      delayed_ack = {0}, sndbuf = {0, 2 ^ 40, "x"}, rcvbuf = {0, -5, 2 ^ 40},
      keepalive = {-1, 0 / 0, 1 / 0, "x"}, user_timeout = {-1, "x"}, cc = {"bogus", 1, true},
    }
    for k, vs in pairs(bad) do
      for _, v in ipairs(vs) do
        raises(k, w.a.connect, w.a, B, 80, {[k] = v})
        raises(k, w.b.listen, w.b, 90, {[k] = v})
      end
    end
    -- an IPv6 destination from an IPv4 host is a failure of the network, not of the arguments
    fails("EAFNOSUPPORT", w.a.connect, w.a, "2001:db8::2", 80)
    -- a local port in use
    local c2 = w.a:connect(B, 80, {port = 5555})
    fails("EADDRINUSE", w.a.connect, w.a, B, 80, {port = 5555})
    c2:abort()
    -- recv limits
    raises("max", w.c.recv, w.c, 0)
    raises("max", w.c.recv, w.c, -1)
    raises("", w.c.recv, w.c, "many")
    -- a huge max is bounded by what is there (not allocated up front)
    assert.equal("", (w.c:recv(2 ^ 40, 0)))
    w.s:send("abc")
    w.net:advance(1)
    assert.equal("abc", (w.c:recv(2 ^ 31, 0)))
    raises("", w.c.send, w.c, {})
    raises("", w.c.send, w.c)
    assert.equal(0, w.c:send(""))
    raises("", w.net.advance, w.net, -1)
    raises("", w.net.advance, w.net, 0 / 0)
    raises("", w.net.advance, w.net, 1e300)
    raises("", w.net.sleep, w.net, -1)
    raises("", w.net.run_until, w.net, "not a function")
    raises("", w.net.spawn, w.net, 42)
    raises("", w.c.wait, w.c, 42)
    raises("state", w.c.wait, w.c, "ESTABLISHD") -- a typo would wait for ever
    raises("unknown", w.c.on, w.c, "bogus", function() end)
    raises("", w.c.on, w.c, "segment", "not a function")
    raises("", w.net.capture, w.net, {})
    local how = outcome(w.net.capture, w.net, "/nonexistent-dir/x.pcap")
    assert.equal("failed", how)
    raises("", w.b.inject, w.b, "not a segment")
    raises("", w.b.inject, w.b, {})
    raises("", w.w.set, w.w, {loss = 5})
    -- and it all still works
    w.c:send("ok")
    assert.equal("ok", w.s:recv())
  end)

  it("answers calls on aborted, closed and reset connections with nil, err, code", function()
    local w = world()
    assert.is_true(w.c:abort())
    assert.equal("CLOSED", w.c.state)
    local how, _, code = outcome(w.c.send, w.c, "x")
    assert.equal("failed", how)
    assert.truthy(code == "ECONNABORTED" or code == "ENOTCONN", code)
    for _, m in ipairs{"close", "shutdown", "abort"} do
      how = outcome(w.c[m], w.c)
      assert.truthy(how == "failed" or how == "ok", m)
    end
    how = outcome(w.c.recv, w.c)
    assert.equal("failed", how)
    assert.is_table(w.c:info())
    assert.equal("CLOSED", w.c:info().state)
    assert.is_string(tostring(w.c))
    -- the peer sees the reset
    w.net:run()
    assert.equal("CLOSED", w.s.state)
    how, _, code = outcome(w.s.recv, w.s)
    assert.equal("failed", how)
    assert.equal("ECONNRESET", code)
    fails("ECONNRESET", w.s.send, w.s, "x")
    how, _, code = outcome(w.s.wait, w.s, "ESTABLISHED")
    assert.equal("failed", how)
    assert.equal("ECONNRESET", code)
    -- closed twice, shut down after close
    local w2 = world(2)
    assert.is_true(w2.c:close())
    how = outcome(w2.c.close, w2.c)
    assert.truthy(how == "failed" or how == "ok")
    fails("EPIPE", w2.c.send, w2.c, "late")
    how = outcome(w2.c.shutdown, w2.c)
    assert.truthy(how == "failed" or how == "ok")
    w2.net:advance(10)
    assert.equal("FIN-WAIT-2", w2.c.state)
    assert.equal("CLOSE-WAIT", w2.s.state)
  end)

  it("lets net:run() return while a held connection waits in FIN-WAIT-2", function()
    local w = world()
    w.c:close()
    -- net:run() runs until nothing is pending; count steps instead, so that a
    -- timer re-arming itself forever fails here rather than hanging
    local steps = 0
    while w.net:step() do
      steps = steps + 1
      if steps > 1000 then break end
    end
    assert.is_true(steps <= 1000, "the network never goes idle (a periodic timer in "
      .. w.c.state .. "?)")
    assert.equal("FIN-WAIT-2", w.c.state)
  end)

  it("makes a closed listener and a closed network fail cleanly", function()
    local w = world()
    w.l:close()
    w.l:close() -- twice is fine
    raises("closed", w.l.accept, w.l)
    raises("closed", w.l.on, w.l, "syn", function() end)
    assert.is_string(tostring(w.l))
    fails("ECONNREFUSED", function()
      local c = w.a:connect(B, 80)
      return c:wait("ESTABLISHED", 5)
    end)
    -- the port is free again
    assert.truthy(w.b:listen(80))
    w.net:close()
    w.net:close()
    assert.is_string(tostring(w.net))
    for _, obj in ipairs{w.net, w.a, w.b, w.l, w.c, w.s, w.w} do
      assert.is_string(tostring(obj))
    end
    raises("closed", w.net.step, w.net)
    raises("closed", w.net.run, w.net)
    raises("closed", w.net.wire, w.net, {})
    raises("closed", w.a.connect, w.a, B, 80)
    raises("closed", w.b.listen, w.b, 81)
    raises("closed", w.c.send, w.c, "x")
    raises("closed", w.c.recv, w.c)
    raises("closed", w.c.abort, w.c)
    raises("closed", w.c.info, w.c)
    raises("closed", w.w.set, w.w, {loss = 0})
    assert.equal("CLOSED", w.c.state)
    full_gc()
  end)

  it("refuses to run the network from inside hooks, with a clear error, and the segment passes", function()
    local w = world()
    local errors = {}
    w.net:on("error", function(msg) errors[#errors + 1] = tostring(msg) end)
    local calls = {
      function() w.net:step() end,
      function() w.net:run() end,
      function() w.net:advance(1) end,
      function() w.net:run_until(function() return true end) end,
      function() w.net:close() end,
      function() w.a:connect(B, 80) end,
      function() w.b:listen(99) end,
      function() w.l:close() end,
      function() w.c:send("x") end,
      function() w.c:close() end,
      function() w.c:abort() end,
      function() w.a:inject(synack.segment{src = A, dst = B, flags = "R"}) end,
      function() w.net:host{addr = "198.18.0.77", link = w.w} end,
    }
    local i = 0
    w.c:on("segment", function()
      i = i + 1
      local f = calls[i]
      if f then f() end
    end)
    local data = ("z"):rep(100)
    for _ = 1, #calls do
      assert.equal(#data, w.s:send(data))
      w.net:run()
    end
    w.c:off("segment")
    assert.equal(#calls, #errors)
    for _, e in ipairs(errors) do
      assert.truthy(e:find("cannot be called from inside a hook"), e)
    end
    -- nothing was aborted or closed: every segment passed
    assert.equal("ESTABLISHED", w.c.state)
    local got = {}
    repeat
      local s = w.c:recv(65536, 0)
      got[#got + 1] = s
    until s == "" or not s
    assert.equal(#calls * #data, #table.concat(got))
    -- blocking calls never block inside a hook: they answer at once or raise
    local r, n = {}, #errors
    w.s:on("segment", function()
      r[#r + 1] = true
      w.net:spawn(function() end)
      collectgarbage("collect")
      w.s:recv(10)
      w.l:accept()
    end)
    w.c:send("y")
    w.net:run()
    assert.is_true(#r > 0)
    for k = n + 1, #errors do
      assert.truthy(errors[k]:find("cannot be called from inside a hook"), errors[k])
    end
  end)

  it("reports errors raised inside every kind of hook, of any value, and goes on", function()
    local w = world()
    local errors = {}
    w.net:on("error", function(msg) errors[#errors + 1] = msg end)
    local values = {"a string", 42, {}, false, setmetatable({}, {__tostring = function() error("worse") end})}
    local k = 0
    local function bad()
      k = k + 1
      error(values[(k - 1) % #values + 1])
    end
    for _, obj in ipairs{w.net, w.a, w.b, w.l, w.c, w.s} do
      for _, ev in ipairs{"segment", "state", "syn", "synack", "ack", "data", "fin", "rst"} do
        obj:on(ev, bad)
      end
    end
    local c = w.a:connect(B, 80)
    assert.is_true(c:wait("ESTABLISHED", 5))
    local s = assert(w.l:accept(5))
    c:send("hello")
    assert.equal("hello", s:recv())
    c:close()
    s:close()
    w.net:run()
    assert.equal("CLOSED", c.state)
    assert.is_true(#errors > 10)
    -- an error in the error handler itself goes to stderr, and still nothing unwinds
    w.net:on("error", function() error("in the handler") end)
    w.c:send("x")
    w.net:run()
    assert.equal("x", w.s:recv())
  end)

  it("accepts odd hook return values without crashing", function()
    local w = world()
    local errors = {}
    w.net:on("error", function(msg) errors[#errors + 1] = msg end)
    local returns = {0, "x", {}, true, function() end, w.c, synack.segment{}, coroutine.create(function() end)}
    local i = 0
    w.c:on("data", function()
      i = i + 1
      return returns[i]
    end)
    for _ = 1, #returns do
      w.s:send("q")
      w.net:run()
    end
    assert.is_true(i >= #returns) -- a replaced segment may be sent again
    w.c:off("data")
    w.s:send("end")
    w.net:run()
    assert.truthy(w.c:recv(65536, 0))
  end)

  local modes = {"incremental"}
  if _VERSION == "Lua 5.4" then modes[#modes + 1] = "generational" end
  for _, mode in ipairs(modes) do
    it("collects objects dropped in every state (" .. mode .. " GC), from inside hooks too", function()
      local old = _VERSION == "Lua 5.4" and collectgarbage(mode)
      local net = synack.network{seed = 9}
      local w = net:wire{delay = 0.005, loss = 0.05}
      local a = net:host{addr = A, link = w}
      local b = net:host{addr = B, link = w}
      local l = b:listen(80, {backlog = 4})
      local hooks = 0
      net:on("segment", function()
        hooks = hooks + 1
        if hooks % 7 == 0 then collectgarbage("collect") else collectgarbage("step") end
      end)
      net:on("state", function() collectgarbage("step") end)
      local states = {}
      for i = 1, 24 do
        local c = a:connect(B, 80)
        local want = ({"SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "LAST-ACK",
          "TIME-WAIT", "CLOSED"})[(i - 1) % 8 + 1]
        if want ~= "SYN-SENT" then
          c:wait("ESTABLISHED", 10)
          local s = l:accept(10)
          if s then
            if want == "FIN-WAIT-1" then c:send(("x"):rep(20000)); c:close()
            elseif want == "FIN-WAIT-2" then c:close(); net:advance(0.5)
            elseif want == "CLOSE-WAIT" then s:close(); net:advance(0.5)
            elseif want == "LAST-ACK" then s:close(); net:advance(0.5); c:close()
            elseif want == "TIME-WAIT" then c:close(); net:advance(0.5); s:close(); net:advance(0.5)
            elseif want == "CLOSED" then c:abort()
            end
            if i % 2 == 0 then s = nil end -- luacheck: ignore 311
          end
        end
        states[c.state] = true
        c = nil -- luacheck: ignore 311
        full_gc()
      end
      -- half-open connections a script never accepted, then the listener dropped
      l = nil -- luacheck: ignore 311
      full_gc()
      assert.truthy(states["ESTABLISHED"] or states["FIN-WAIT-1"])
      net:advance(400)
      full_gc()
      -- everything still in CLOSE-WAIT is the script's to close; the rest has ended
      for _, h in ipairs{a, b} do
        assert.is_true(h:count() <= 24, "connections left: " .. h:count())
      end
      -- drop the whole network while it has live connections
      net, w, a, b = nil, nil, nil, nil -- luacheck: ignore 311
      full_gc()
      if old then collectgarbage(old) end
    end)
  end

  it("collects a dropped network that ran tasks, ended or still waiting", function()
    local weak = setmetatable({}, {__mode = "k"})
    do
      local net = synack.network{}
      weak[net] = true
      net:spawn(function() net:sleep(10) end) -- still waiting
      weak[net:spawn(function() end)] = true  -- ended
    end
    if jit then jit.flush() end -- luacheck: ignore 113
    full_gc()
    assert.is_nil(next(weak), "a network or a task coroutine was kept")
  end)

  it("survives a network collected while a coroutine waits on it and while objects outlive it", function()
    local keep
    do
      local w = world(5)
      keep = {c = w.c, l = w.l, h = w.a}
      w.net:spawn(function() w.c:recv() end)
    end
    full_gc()
    -- the objects hold their network: it is still usable through them
    assert.is_string(tostring(keep.c))
    local how = outcome(keep.c.send, keep.c, "x")
    assert.truthy(how == "ok" or how == "failed" or how == "raised")
    keep = nil -- luacheck: ignore 311
    full_gc()
  end)

  it("never hangs on calls that wait for what cannot come", function()
    local w = world()
    local t0 = os.clock()
    assert.is_nil(w.c:recv(10, 1))
    assert.is_nil((w.c:wait("TIME-WAIT", 2)))
    local l2 = w.b:listen(81)
    assert.is_nil(l2:accept(1))
    assert.is_nil((w.net:run_until(function() return false end, 3)))
    -- with nothing pending and no timeout: ETIMEDOUT at once
    w.net:run()
    local ok, err, code = w.c:recv()
    assert.is_nil(ok)
    assert.equal("ETIMEDOUT", code, err)
    assert.is_true(os.clock() - t0 < 10)
  end)

  -- A monkey: random sequences of API calls and injected segments, with hooks
  -- that drop, rewrite, replace, raise, collect and try to run the network.
  for _, seed in ipairs{1, 2, 3} do
    it("survives 1,500 random API calls (monkey, seed " .. seed .. ")", function()
      local state = seed
      local function rand(n)
        state = (state * 48271) % 2147483647
        return state % n + 1
      end
      local function pick(t)
        if #t == 0 then return nil end
        return t[rand(#t)]
      end
      local addrs = {"198.18.0.1", "198.18.0.2", "198.18.0.3"}
      local net = synack.network{seed = seed, trace = false}
      local errors = 0
      net:on("error", function() errors = errors + 1 end)
      local wires = {net:wire{delay = 0.001}, net:wire{delay = 0.01, loss = 0.1, duplicate = 0.05, reorder = 0.1}}
      local hosts, lis, conns = {}, {}, {}
      for i = 1, 3 do hosts[i] = net:host{addr = addrs[i], link = wires[1 + i % 2]} end
      hosts[4] = net:host{addr = "198.18.0.9", link = wires[1], raw = true}
      local kinds = {"segment", "state", "syn", "synack", "ack", "data", "fin", "rst"}
      local hookfns = {
        function() end,
        function() return false end,
        function(_, seg) if type(seg) == "userdata" then seg.win = math.floor(seg.win / 2) end end,
        function() error("boom") end,
        function() collectgarbage("step") end,
        function(_, seg)
          if type(seg) == "userdata" then
            local n = seg:copy()
            n.payload = ("p"):rep(rand(2000))
            return n
          end
        end,
        function() local c = pick(conns); if c then pcall(c.send, c, "h") end end,
        function() pcall(net.step, net) end,
      }
      local function conn_opts()
        return {sack = rand(2) == 1, timestamps = rand(2) == 1, wscale = rand(3) == 1 and false or rand(15) - 1,
          rcvbuf = rand(5) * 3000, sndbuf = rand(5) * 5000}
      end
      local function any_object()
        return pick({net, hosts[rand(4)], pick(lis) or net, pick(conns) or net})
      end
      local function inject()
        local c = pick(conns)
        local ok, i = false, nil
        if c then ok, i = pcall(c.info, c) end
        local seg = synack.segment{src = addrs[rand(3)], dst = addrs[rand(3)], sport = rand(65535),
          dport = rand(5) + 79, flags = pick({"S", "S.", ".", "P.", "F.", "R", "R.", "FPU"}),
          seq = ok and type(i) == "table" and i.rcv_nxt or rand(2 ^ 31),
          ack = ok and type(i) == "table" and i.snd_nxt or rand(2 ^ 31),
          win = rand(65535), payload = ("i"):rep(rand(3) == 1 and rand(1500) or 0)}
        pcall(hosts[4].inject, hosts[4], seg)
      end
      local ops = {
        function()
          local h = hosts[rand(3)]
          local ok, l = pcall(h.listen, h, rand(5) + 79, {backlog = rand(4)})
          if ok and l then lis[#lis + 1] = l end
        end,
        function()
          local h = hosts[rand(3)]
          local ok, c = pcall(h.connect, h, addrs[rand(3)], rand(5) + 79, conn_opts())
          if ok and c then conns[#conns + 1] = c end
        end,
        function()
          local l = pick(lis)
          if not l then return end
          local ok, c = pcall(l.accept, l, 0)
          if ok and c then conns[#conns + 1] = c end
        end,
        function() local c = pick(conns); if c then pcall(c.send, c, ("d"):rep(rand(20000))) end end,
        function() local c = pick(conns); if c then pcall(c.recv, c, rand(70000), 0) end end,
        function() local c = pick(conns); if c then pcall(c.close, c) end end,
        function() local c = pick(conns); if c then pcall(c.shutdown, c) end end,
        function() local c = pick(conns); if c then pcall(c.abort, c) end end,
        function() local c = pick(conns); if c then pcall(c.info, c); local _ = tostring(c) end end,
        function() local i = rand(#conns + 1); if conns[i] then table.remove(conns, i) end end,
        function()
          local i = rand(#lis + 1)
          if not lis[i] then return end
          if rand(2) == 1 then pcall(lis[i].close, lis[i]) end
          table.remove(lis, i)
        end,
        function() pcall(net.advance, net, rand(100) / 50) end,
        function() for _ = 1, rand(20) do if not pcall(net.step, net) then break end end end,
        function() local o = any_object(); pcall(o.on, o, pick(kinds), pick(hookfns)) end,
        function() local o = any_object(); pcall(o.off, o, pick(kinds)) end,
        function() collectgarbage(rand(2) == 1 and "collect" or "step") end,
        inject,
        function() local w = pick(wires); pcall(w.set, w, {loss = rand(30) / 100, delay = rand(20) / 1000}) end,
      }
      for _ = 1, 1500 do ops[rand(#ops)]() end
      conns, lis = nil, nil -- luacheck: ignore 311
      collectgarbage()
      collectgarbage()
      net:advance(600)
      assert.is_true(errors >= 0)
      assert.is_string(tostring(net))
    end)
  end
end)
