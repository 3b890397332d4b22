-- Coroutines and blocking-style calls: net:spawn, l:accept, c:recv,
-- c:wait, c:sendall, net:sleep; from tasks and from the main chunk.
local synack = require "synack"

local A, B = "198.18.0.1", "198.18.0.2"

local function pair(seed)
  local net = synack.network{seed = seed or 1}
  local w = net:wire{delay = 0.010}
  return net, net:host{addr = A, link = w}, net:host{addr = B, link = w}
end

describe("blocking-style calls from the main chunk", function()
  it("drive the network until satisfied", function()
    local net, a, b = pair()
    local l = b:listen(80)
    local c = a:connect(B, 80)
    local s = assert(l:accept())
    assert.equal("ESTABLISHED", s.state)
    assert.equal(0.03, net.now)
    c:send("ping")
    assert.equal("ping", s:recv())
    c:send("again")
    net:run_until(function() return s:info().rcv_nxt - s:info().irs >= 10 end)
    -- bytes already there come back at once, as one value like any other time
    assert.equal(1, select("#", s:recv()))
    s:send("pong")
    assert.equal("pong", c:recv())
    assert.is_true(c:close())
    assert.is_true(s:wait("CLOSE-WAIT"))
    local data, err, code = s:recv()
    assert.is_nil(data)
    assert.equal("EOF", err)
    assert.equal("EOF", code)
    s:close()
    assert.is_true(c:wait("CLOSED"))
    assert.is_true(net.now > 60)
  end)

  it("end with ETIMEDOUT when nothing is pending anymore", function()
    local net, _, b = pair()
    local l = b:listen(80)
    local s, err, code = l:accept()
    assert.is_nil(s)
    assert.equal("ETIMEDOUT", code)
    assert.matches("^ETIMEDOUT: ", err)
    assert.equal(0, net.now)
  end)

  it("end with ETIMEDOUT at the network's wait_limit on a network that never goes idle", function()
    -- keepalives answered for ever: without a limit, recv() would run
    -- virtual time for ever
    local net = synack.network{wait_limit = 3600}
    assert.equal(3600, net.wait_limit)
    local w = net:wire{delay = 0.010}
    local a, b = net:host{addr = A, link = w}, net:host{addr = B, link = w}
    local l = b:listen(80)
    local c = a:connect(B, 80, {keepalive = 60})
    local s = assert(l:accept())
    local t0 = net.now
    local data, err, code = s:recv()
    assert.is_nil(data)
    assert.equal("ETIMEDOUT", code)
    assert.matches("nothing received within the network's wait_limit (3600 s)", err, 1, true)
    assert.near(t0 + 3600, net.now, 1e-6)
    for _, call in ipairs{function() return c:wait("CLOSED") end, function() return l:accept() end,
      function() return net:run_until(function() return false end) end, function() return net:run() end} do
      t0 = net.now
      local ok, e, k = call()
      assert.is_nil(ok)
      assert.equal("ETIMEDOUT", k)
      assert.matches("wait_limit (3600 s)", e, 1, true)
      assert.near(t0 + 3600, net.now, 1e-6)
    end
    assert.equal("ESTABLISHED", c.state) -- the connection itself is fine
    -- the default: one day on a virtual network, none in real time; false: none
    assert.equal(86400, synack.network{}.wait_limit)
    assert.is_false(synack.network{wait_limit = false}.wait_limit)
    local real = synack.network{clock = "real"}
    assert.is_false(real.wait_limit)
    real:close()
    -- in real time nothing pending is no reason to stop (a packet may come
    -- from outside): a limit given is waited out
    real = synack.network{clock = "real", wait_limit = 0.05}
    local ok, why = real:run_until(function() return false end)
    assert.is_nil(ok)
    assert.matches("wait_limit (0.05 s)", why, 1, true)
    assert.is_true(real.now >= 0.05)
    real:close()
    for _, bad in ipairs{0, -1, "x", true, 1e13} do
      assert.has_error(function() synack.network{wait_limit = bad} end)
    end
  end)

  it("end with ETIMEDOUT after their timeout", function()
    local net, a, b = pair()
    local l = b:listen(80)
    local c = a:connect(B, 80, {keepalive = 1})
    local s = assert(l:accept())
    local t0 = net.now
    local data, _, code = s:recv(nil, 2.5)
    assert.is_nil(data)
    assert.equal("ETIMEDOUT", code)
    assert.near(t0 + 2.5, net.now, 1e-6)
    c:abort()
  end)

  it("do not wait with a timeout of 0", function()
    local net, a, b = pair()
    local l = b:listen(80)
    assert.is_nil(l:accept(0))
    a:connect(B, 80)
    assert.is_nil(l:accept(0))
    net:run()
    local s = l:accept(0)
    assert.truthy(s)
    assert.equal("", s:recv(nil, 0))
  end)

  it("answer with the error that closed the connection", function()
    local net, a = pair()
    local c = a:connect(B, 81)
    local ok, err, code = c:wait("ESTABLISHED")
    assert.is_nil(ok)
    assert.equal("ECONNREFUSED", code)
    assert.equal("ECONNREFUSED: connection refused", err)
    local _ = net
  end)

  it("sendall waits for room in the send buffer", function()
    local net, a, b = pair()
    local l = b:listen(80, {rcvbuf = 4096})
    local c = a:connect(B, 80, {sndbuf = 4096})
    local s = assert(l:accept())
    local data = string.rep("0123456789abcdef", 4096) -- 64 KiB
    local got = {}
    net:spawn(function()
      while true do
        local chunk = s:recv()
        if not chunk then break end
        got[#got + 1] = chunk
      end
    end)
    assert.equal(#data, c:sendall(data))
    c:close()
    net:run()
    assert.equal(data, table.concat(got))
  end)
end)

describe("tasks (net:spawn)", function()
  it("yield in blocking calls while the network runs", function()
    local net, a, b = pair()
    local l = b:listen(7)
    local log = {}
    net:spawn(function() -- an echo server
      local s = assert(l:accept())
      log[#log + 1] = "accepted " .. net.now
      while true do
        local data = s:recv()
        if not data then break end
        s:send(data)
      end
      s:close()
    end)
    net:spawn(function()
      local c = a:connect(B, 7)
      assert(c:wait("ESTABLISHED"))
      c:send("hello")
      local echo = assert(c:recv()) -- (before indexing log: recv yields)
      log[#log + 1] = "echo " .. echo
      c:close()
      assert(c:wait("CLOSED"))
      log[#log + 1] = "closed"
    end)
    net:run()
    assert.same({"accepted 0.03", "echo hello", "closed"}, log)
  end)

  it("sleep in virtual time", function()
    local net = pair()
    local times = {}
    net:spawn(function()
      net:sleep(1.5)
      times[#times + 1] = net.now
      net:sleep(2)
      times[#times + 1] = net.now
    end)
    net:run()
    assert.same({1.5, 3.5}, times)
  end)

  it("start at once and return their coroutine", function()
    local net = pair()
    local started = false
    local co = net:spawn(function(x) started = x end, true)
    assert.is_true(started)
    assert.equal("thread", type(co))
    assert.equal("dead", coroutine.status(co))
  end)

  it("report their errors and end", function()
    local net = pair()
    local errors = {}
    net:on("error", function(msg) errors[#errors + 1] = msg end)
    net:spawn(function()
      net:sleep(1)
      error("task failed")
    end)
    net:run()
    assert.equal(1, #errors)
    assert.matches("task failed", errors[1])
  end)

  it("cannot run the network themselves", function()
    local net = pair()
    local ok, err
    net:spawn(function() ok, err = pcall(net.run, net) end)
    assert.is_false(ok)
    assert.matches("inside a coroutine it runs", err)
  end)

  it("are driven by the main chunk's blocking calls too", function()
    local net, a, b = pair()
    local l = b:listen(80)
    net:spawn(function()
      local s = assert(l:accept())
      s:send("from a task")
      s:close()
    end)
    local c = a:connect(B, 80)
    assert.equal("from a task", c:recv())
    local _ = net
  end)
end)
