-- Transfers: 1 MiB each way over bad wires, byte-exact, closed cleanly on
-- both sides, in a few seconds of CPU.
local synack = require "synack"

local A, B = "198.18.0.1", "198.18.0.2"
local MiB = 1024 * 1024

--- n bytes that differ from position to position (a shift shows).
local function blob(n, salt)
  local parts = {}
  for i = 1, math.floor(n / 1024) do
    local b = (i * salt) % 251
    parts[i] = string.rep(string.char(b, (b + 1) % 256, (b + 7) % 256, (b + 31) % 256), 256)
  end
  return table.concat(parts)
end

--- Send `up` from a to b and `down` from b to a at once; returns what each
-- side received, the two connections' final states, and the network.
local function exchange(wire, seed, up, down)
  local net = synack.network{seed = seed, trace = false}
  local w = net:wire(wire)
  local a = net:host{addr = A, link = w}
  local b = net:host{addr = B, link = w}
  local l = b:listen(80)
  local got = {a = {}, b = {}}
  local conns = {}
  local function side(name, c, data)
    conns[name] = c
    local sent = false
    net:spawn(function()
      assert(c:sendall(data))
      assert(c:shutdown())
      sent = true
    end)
    while true do
      local chunk, err = c:recv()
      if not chunk then
        assert(err == "EOF", err)
        break
      end
      got[name][#got[name] + 1] = chunk
    end
    while not sent do net:sleep(0.05) end
    c:close()
  end
  net:spawn(function() side("b", assert(l:accept()), down) end)
  net:spawn(function()
    local c = a:connect(B, 80)
    assert(c:wait("ESTABLISHED"))
    side("a", c, up)
  end)
  net:run()
  return table.concat(got.b), table.concat(got.a), conns, net
end

local function check(wire, seed)
  local up, down = blob(MiB, 7), blob(MiB, 13)
  local t0 = os.clock()
  local at_b, at_a, conns, net = exchange(wire, seed, up, down)
  local cpu = os.clock() - t0
  assert.equal(#up, #at_b)
  assert.is_true(up == at_b, "the bytes a sent arrived changed")
  assert.equal(#down, #at_a)
  assert.is_true(down == at_a, "the bytes b sent arrived changed")
  assert.equal("CLOSED", conns.a.state)
  assert.equal("CLOSED", conns.b.state)
  assert.is_nil(conns.a:info().error)
  assert.is_nil(conns.b:info().error)
  assert.is_true(cpu < 10, "took " .. cpu .. " s of CPU")
  return net
end

describe("transfers", function()
  it("1 MiB each way over 20% loss, duplication, reordering and jitter", function()
    check({delay = 0.010, jitter = 0.005, loss = 0.2, duplicate = 0.05, reorder = 0.05}, 1)
  end)

  it("1 MiB each way over 2% corruption at 1 MB/s", function()
    check({delay = 0.010, corrupt = 0.02, rate = 1000000}, 1)
  end)
end)
