-- Lifetimes: the network keeps live connections; CLOSED ones are collected;
-- a closed network's objects fail cleanly.
local synack = require "synack"

local A, B = "198.18.0.1", "198.18.0.2"

local function pair()
  local net = synack.network{seed = 1}
  local w = net:wire{delay = 0.010}
  return net, net:host{addr = A, link = w}, net:host{addr = B, link = w}
end

local function full_gc()
  -- LuaJIT's compiled traces keep the objects they were specialised on as
  -- constants: flush them, or a dropped connection may look kept
  if jit then jit.flush() end -- luacheck: ignore 113
  for _ = 1, 4 do collectgarbage("collect") end
end

describe("lifetimes", function()
  it("a connection whose references are dropped still runs to its end", function()
    local net, a, b = pair()
    local l = b:listen(80)
    local weak = setmetatable({}, {__mode = "v"})
    -- in a function of its own: Lua 5.1 and LuaJIT may keep a dead local of a
    -- `do` block in its stack slot, where the collector still sees it
    local function use_and_drop()
      local c = a:connect(B, 80)
      weak.c = c
      assert(c:wait("ESTABLISHED")) -- (a CLOSE in SYN-SENT would just delete it)
      c:send("left behind")
      c:close()
    end
    use_and_drop()
    full_gc()
    assert.is_nil(weak.c) -- no hooks: the userdata goes, the connection stays
    assert.equal(1, a:count())
    -- the server's side, also in a function of its own (LuaJIT may keep a
    -- temporary of this frame in a stack slot the collector scans)
    local function serve()
      local s = assert(l:accept())
      assert.equal("left behind", s:recv())
      assert.equal("EOF", select(2, s:recv()))
      s:close()
    end
    serve()
    net:run()
    local states = {}
    for _, ev in ipairs(net:trace()) do
      if ev.kind == "state" and ev.host == A then states[#states + 1] = ev.to end
    end
    assert.same({"SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"}, states)
    full_gc()
    assert.equal(0, a:count())
    assert.equal(0, b:count())
  end)

  it("keeps a dropped connection with hooks, and its hooks run to the end", function()
    local net, a, b = pair()
    local l = b:listen(80)
    local weak = setmetatable({}, {__mode = "v"})
    local seen = {}
    do
      local c = a:connect(B, 80)
      c:on("state", function(_, _, to) seen[#seen + 1] = to end)
      weak.c = c
      assert(c:wait("ESTABLISHED"))
      c:close()
    end
    full_gc()
    assert.truthy(weak.c) -- anchored: it has hooks and is not CLOSED
    local s = assert(l:accept())
    assert.is_nil(s:recv())
    s:close()
    net:run()
    assert.same({"ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"}, seen)
    full_gc()
    assert.is_nil(weak.c) -- CLOSED and unreferenced: collected
  end)

  it("keeps connections a script never held", function()
    local net, a, b = pair()
    local l = b:listen(80)
    net:spawn(function()
      local s = assert(l:accept())
      while s:recv() do end
      s:close()
    end)
    local c = a:connect(B, 80)
    assert(c:wait("ESTABLISHED"))
    c:close()
    c = nil -- luacheck: ignore
    full_gc()
    net:run()
    full_gc()
    assert.equal(0, a:count())
    assert.equal(0, b:count())
  end)

  it("collects a network nobody holds, with its hosts and connections", function()
    local weak = setmetatable({}, {__mode = "v"})
    do
      local net, a, b = pair()
      b:listen(80)
      local c = a:connect(B, 80)
      net:step()
      weak.net, weak.c = net, c
    end
    full_gc()
    assert.is_nil(weak.net)
    assert.is_nil(weak.c)
  end)

  it("makes a closed network's objects fail cleanly", function()
    local net, a, b = pair()
    b:listen(80)
    local c = a:connect(B, 80)
    net:close()
    assert.is_true(net.closed)
    assert.equal("synack.network (closed)", tostring(net))
    assert.has_error(function() net:step() end, "synack: the network is closed")
    assert.has_error(function() c:send("x") end)
    assert.equal("CLOSED", c.state)
    assert.equal("synack.conn (freed)", tostring(c))
    net:close() -- twice is fine
  end)

  if _VERSION == "Lua 5.4" then
    it("closes to-be-closed connections", function()
      local net, a, b = pair()
      local l = b:listen(80)
      local fn = load([[
        local a, B = ...
        local c <close> = a:connect(B, 80)
        assert(c:wait("ESTABLISHED"))
        return c
      ]])
      local c = fn(a, B)
      assert.equal("FIN-WAIT-1", c.state)
      local _ = l
      net:run()
    end)
  end
end)
