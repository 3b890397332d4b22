--- tools/soak.lua: many connections over randomly impaired wires, checked
-- byte for byte, all closed, nothing left behind.
--
--   bin/synack tools/soak.lua [connections [seed [lanes]]]     (make soak)
--
-- The network has `lanes` wires, each with its own random impairments (delay,
-- jitter, loss, duplication, reordering, corruption, a rate and a queue) and
-- a client and a server host (IPv4 on odd lanes, IPv6 on even ones). Connections are opened a bounded number at a
-- time; each has random sizes each way (0 to 64 KiB, log-uniform), random
-- options, and a random way of ending (the client closes first, the server
-- does, both at once). Each side sends its bytes, shuts down, reads up to
-- EOF and closes. At the end every byte must have arrived exactly, every host
-- must hold no connection once TIME-WAIT is over, and once the script drops
-- its references no connection object may be left.
--
-- Loaded with "lib" as its argument it returns {run = run} for the specs.
local synack = require "synack"

local floor = math.floor

--- A deterministic PRNG (LCG, 2^31 modulus) so the soak does not depend on
-- math.random's implementation across Lua versions.
local function prng(seed)
  local s = (seed * 7919 + 17) % 2147483647
  if s == 0 then s = 1 end
  return function(lo, hi)
    s = (s * 48271) % 2147483647
    if not lo then return s / 2147483647 end
    return lo + s % (hi - lo + 1)
  end
end

--- n bytes that change with the position and the connection (a shift shows).
local function blob(n, salt)
  if n == 0 then return "" end
  local block = {}
  for i = 1, 256 do block[i] = string.char((i * 31 + salt * 7) % 256) end
  local s = table.concat(block)
  return (s:rep(floor(n / 256) + 1)):sub(1, n)
end

local function pick(rand, list)
  return list[rand(1, #list)]
end

--- Run the soak; returns a report table (ok, failures, ...).
local function run(opts)
  local nconns = opts.conns or 1000
  local seed = opts.seed or 1
  local nlanes = opts.lanes or 8
  local active_max = opts.active or 64
  local maxsize = opts.maxsize or 65536
  local rand = prng(seed)
  local t0 = os.clock()
  local net = synack.network{seed = seed, trace = false}
  local lanes = {}
  local objects = setmetatable({}, {__mode = "k"}) -- every connection object made
  for i = 1, nlanes do
    local imp = {
      delay = rand(1, 50) / 1000, jitter = rand(0, 10) / 1000,
      loss = rand(0, 50) / 1000, duplicate = rand(0, 20) / 1000,
      reorder = rand(0, 50) / 1000, corrupt = rand(0, 10) / 1000,
    }
    if rand(1, 3) == 1 then
      imp.rate = rand(100, 10000) * 1000
      imp.queue = rand(20, 200)
    end
    local w = net:wire(imp)
    -- even lanes speak IPv6
    local v6 = i % 2 == 0
    local lane = {
      imp = imp,
      client = net:host{addr = v6 and ("2001:db8:" .. i .. "::1") or ("198.18." .. i .. ".1"), link = w},
      server = net:host{addr = v6 and ("2001:db8:" .. i .. "::2") or ("198.18." .. i .. ".2"), link = w},
    }
    lane.listener = lane.server:listen(80, {
      backlog = 1024, sack = rand(0, 3) > 0, timestamps = rand(0, 1) == 1,
      wscale = pick(rand, {false, 0, 2, 7, 14}), cc = pick(rand, {"newreno", "cubic"}),
      rcvbuf = pick(rand, {4096, 16384, 65535, 262144}),
    })
    lanes[i] = lane
  end

  local report = {conns = nconns, done = 0, exact = 0, failures = {}, max_active = 0}
  local function fail(id, what)
    if #report.failures < 20 then report.failures[#report.failures + 1] = "conn " .. id .. ": " .. what end
  end

  -- Both ends of one connection run the same steps: a task sends and shuts
  -- down (after the other side, if wait_other is given) while this one reads
  -- up to EOF; then close, and compare. `shut` is called once this side has
  -- shut down.
  local function side(c, id, data, want, wait_other, shut)
    local sent
    net:spawn(function()
      local ok, err = c:sendall(data)
      local code
      if ok then
        if wait_other then wait_other() end
        ok, err, code = c:shutdown()
        if not ok and code == "ECLOSING" then ok = true end
      end
      shut()
      sent = ok and true or tostring(err)
    end)
    local parts, err, code = {}, nil, nil -- luacheck: ignore 311
    while true do
      local s, e, k = c:recv()
      if not s then
        err, code = e, k
        break
      end
      parts[#parts + 1] = s
    end
    while sent == nil do net:sleep(0.05) end
    c:close()
    if sent ~= true then return fail(id, "send: " .. sent) end
    if code ~= "EOF" then return fail(id, "recv ended with " .. tostring(err)) end
    local got = table.concat(parts)
    if got ~= want then return fail(id, ("got %d bytes, want %d"):format(#got, #want)) end
    return true
  end

  -- accepted connections find their plan by the client's port
  local plans = {}
  for _, lane in ipairs(lanes) do
    net:spawn(function()
      while true do
        local s = lane.listener:accept()
        if not s then return end
        objects[s] = true
        local plan = plans[lane.client.addr .. ":" .. s:info().remote_port]
        if plan then
          net:spawn(function(sc, pl)
            pl.server_ok = side(sc, pl.id, pl.down, pl.up,
              pl.close == "client" and function() while not pl.client_shut do net:sleep(0.05) end end,
              function() pl.server_shut = true end)
            pl.server_shut = true
            pl.server_done = true
          end, s, plan)
        else
          fail(0, "accepted a connection nobody opened: " .. tostring(s))
          s:abort()
        end
        -- the stack slot would keep the last connection alive (LuaJIT scans it whole)
        s, plan = nil, nil -- luacheck: ignore 311
      end
    end)
  end

  local active = 0
  net:spawn(function()
    for id = 1, nconns do
      while active >= active_max do net:sleep(0.01) end
      local lane = lanes[rand(1, nlanes)]
      local size_up = rand(0, 1) == 0 and 0 or floor(2 ^ (rand() * math.log(maxsize) / math.log(2)))
      local size_down = rand(0, 2) == 0 and 0 or floor(2 ^ (rand() * math.log(maxsize) / math.log(2)))
      local plan = {id = id, up = blob(size_up, id), down = blob(size_down, id + 1),
        close = pick(rand, {"client", "server", "both"})}
      local o = {sack = rand(0, 3) > 0, timestamps = rand(0, 1) == 1, nagle = rand(0, 1) == 1,
        delayed_ack = rand(0, 1) == 1, wscale = pick(rand, {false, 0, 3, 14}),
        cc = pick(rand, {"newreno", "cubic"}), mss = pick(rand, {536, 1000, 1460}),
        sndbuf = pick(rand, {8192, 65536, 262144})}
      active = active + 1
      if active > report.max_active then report.max_active = active end
      net:spawn(function()
        local c = lane.client:connect(lane.server.addr, 80, o)
        objects[c] = true
        plans[lane.client.addr .. ":" .. c:info().local_port] = plan
        local ok, err = c:wait("ESTABLISHED", 600)
        if not ok then
          fail(id, "connect: " .. tostring(err))
        else
          plan.client_ok = side(c, id, plan.up, plan.down,
            plan.close == "server" and function() while not plan.server_shut do net:sleep(0.05) end end,
            function() plan.client_shut = true end)
        end
        plan.client_shut = true
        -- wait for the server side (bounded), then account
        local waited = 0
        while not plan.server_done and waited < 600 and ok do
          net:sleep(0.1)
          waited = waited + 0.1
        end
        if ok and not plan.server_done then
          fail(id, ("the server side never finished (client %s, %d/%d bytes, close %s, lane %s)"):format(
            c.state, #plan.up, #plan.down, plan.close, lane.client.addr))
        end
        report.done = report.done + 1
        if plan.client_ok and plan.server_ok then report.exact = report.exact + 1 end
        plans[lane.client.addr .. ":" .. c:info().local_port] = nil
        active = active - 1
      end)
    end
  end)

  -- What the hosts hold beyond the CLOSED connections whose objects are still
  -- alive (a stack slot of a suspended task may reference one; they go with
  -- it): connections still running, TIME-WAIT included.
  local function held()
    local n = 0
    for _, lane in ipairs(lanes) do n = n + lane.client:count() + lane.server:count() end
    for c in pairs(objects) do
      -- a finalized object stays a key of the weak table until the next
      -- cycle; its core connection is gone already (info() says so)
      if c.state == "CLOSED" and c:info() then n = n - 1 end
    end
    return n
  end
  -- everything ends on its own: run until nothing is held (bounded)
  local function empty()
    return report.done >= nconns and held() == 0
  end
  local ok, err = net:run_until(empty, opts.virtual_limit or 3600)
  if not ok then
    local states = {}
    for c in pairs(objects) do states[c.state] = (states[c.state] or 0) + 1 end
    local list = {}
    for k, v in pairs(states) do list[#list + 1] = k .. " " .. v end
    table.sort(list)
    fail(0, "not everything ended: " .. tostring(err) .. " (" .. table.concat(list, ", ") .. ")")
  end
  -- CLOSED connections are freed once their objects are collected; a late
  -- duplicate SYN may still open (and soon end) a connection: wait for those
  for _ = 1, 5 do
    for _ = 1, 4 do collectgarbage("collect") end
    if held() == 0 then break end
    net:run_until(empty, 600)
  end
  report.virtual = net.now
  report.leftover = held()
  for _, lane in ipairs(lanes) do lane.listener:close() end
  net:close()
  report.cpu = os.clock() - t0
  report.ok = report.exact == nconns and report.done == nconns and report.leftover == 0
    and #report.failures == 0
  -- Whether any connection object survives is counted by objects_left(),
  -- called once run() has returned: until then its own locals (and the
  -- tasks they reach) still hold the network.
  report.objects = objects
  return report
end

--- After run(): collect, and count the connection objects still alive.
local function objects_left(report)
  -- LuaJIT's compiled traces keep the objects they were specialised on
  -- (constants in the trace): flush them, or one may look leaked
  if jit then jit.flush() end -- luacheck: ignore 113
  for _ = 1, 4 do collectgarbage("collect") end
  local n = 0
  for _ in pairs(report.objects) do n = n + 1 end
  report.objects_left = n
  report.ok = report.ok and n == 0
  return n
end

local M = {run = run, objects_left = objects_left}
if (...) == "lib" then return M end

local args = {...}
local r = run{conns = tonumber(args[1]) or 1000, seed = tonumber(args[2]) or 1, lanes = tonumber(args[3]) or 8}
objects_left(r)
print(("soak: %d connections, %d byte-exact, %d still held, %d objects left, at most %d at once, "
  .. "%.1f s virtual, %.1f s CPU"):format(r.conns, r.exact, r.leftover, r.objects_left, r.max_active,
  r.virtual, r.cpu))
for _, f in ipairs(r.failures) do print("  " .. f) end
print(("soak: %d passed, %d failed"):format(r.ok and 1 or 0, r.ok and 0 or 1))
os.exit(r.ok and 0 or 1)
