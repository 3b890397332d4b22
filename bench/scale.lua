--- bench/scale.lua: N concurrent established connections in one process.
-- Two hosts on a wire; the client opens N connections (local ports from
-- 1024 up, to server ports 80, 81, ... 50,000 connections per server port),
-- the server accepts them all, and the script keeps both ends. Then:
-- memory per connection (resident set growth over N; each connection is two
-- TCBs, both ends, and two Lua userdata), and the cost of one event: a byte
-- sent on a connection drawn at random, then every event it causes (the
-- segment, its delivery, the delayed ACK) stepped one by one with
-- net:_stepq() (net:step() without the event table it returns); wall time
-- over events stepped. This is measured at 1,000 connections and at N (bytes on
-- any of the N, and bytes on 1,000 of them while the rest idle), after a
-- pass that sends one byte on every connection (its first use, measured
-- apart: a connection takes a ring when it has bytes to hold and gives it
-- back to its host when the ring empties).
--
--   bin/synack bench/scale.lua N EVENTS
--
-- Prints scale_n, scale_bytes_per_conn, scale_event_ns_1k, scale_event_ns_n.
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local lib = require "lib"

local N = lib.arg(1, 100000)
local ROUNDS = lib.arg(2, 20000)
local PER_PORT = 50000

local function rss()
  local f = io.open("/proc/self/statm")
  if not f then return 0 end
  local _, resident = f:read("*n", "*n") -- size, resident (pages)
  f:close()
  return resident * 4096
end

--- Open n connections; returns net, the client ends and the server ends.
local function open(n)
  local net, a, b = lib.pair()
  local ls = {}
  for p = 0, math.floor((n - 1) / PER_PORT) do ls[#ls + 1] = b:listen(80 + p, {backlog = 4096}) end
  local cs, ss = {}, {}
  local i = 0
  while i < n do
    for _ = 1, math.min(2048, n - i) do
      i = i + 1
      local c = assert(a:connect("198.18.0.2", 80 + math.floor((i - 1) / PER_PORT),
        {port = 1024 + (i - 1) % PER_PORT}))
      cs[i] = c
    end
    net:run()
    for _, l in ipairs(ls) do
      while true do
        local s = l:accept(0)
        if not s then break end
        ss[#ss + 1] = s
      end
    end
  end
  assert(#ss == n, "accepted " .. #ss .. " of " .. n)
  for k = 1, n, math.max(1, math.floor(n / 100)) do assert(cs[k].state == "ESTABLISHED") end
  return net, cs, ss
end

--- One byte on every connection, client to server. Returns wall seconds.
local function warm(net, cs, ss)
  return (lib.time(function()
    for k = 1, #cs do
      cs[k]:send("x")
      if k % 1024 == 0 or k == #cs then net:run() end
    end
    for k = 1, #ss do assert(ss[k]:recv(nil, 0) == "x") end
  end))
end

--- Wall nanoseconds per event over `rounds` one-byte sends on random connections.
-- The connections are drawn from the first `span` ones.
local function event_cost(net, cs, ss, rounds, span)
  local rnd = 12345
  local events = 0
  local wall = lib.time(function()
    for _ = 1, rounds do
      rnd = (rnd * 1103515245 + 12345) % 2147483648
      local k = rnd % span + 1
      cs[k]:send("x")
      while net:_stepq() do events = events + 1 end
      ss[k]:recv(nil, 0)
    end
  end)
  return wall / events * 1e9, events / rounds
end

collectgarbage()
local net1, c1, s1 = open(1000)
warm(net1, c1, s1)
local ns_1k = event_cost(net1, c1, s1, ROUNDS, 1000)
net1:close()
net1, c1, s1 = nil, nil, nil -- luacheck: ignore 311
collectgarbage()

local before = rss()
local wall_open, _, r = lib.time(function() return {open(N)} end)
local net, cs, ss = r[1], r[2], r[3]
collectgarbage()
local per_conn = (rss() - before) / N
local lua_kb = collectgarbage("count")
local before_warm = rss()
local warm_s = warm(net, cs, ss)
local per_conn_warm = (rss() - before_warm) / N
local ns_n, per_round = event_cost(net, cs, ss, ROUNDS, N)
local ns_hot = event_cost(net, cs, ss, ROUNDS, math.min(1000, N))

lib.emit("scale_n", N)
lib.emit("scale_open_s", wall_open)
lib.emit("scale_bytes_per_conn", per_conn)
lib.emit("scale_lua_kb", lua_kb)
lib.emit("scale_first_use_us", warm_s / N * 1e6)
lib.emit("scale_bytes_per_conn_used", per_conn_warm)
lib.emit("scale_events_per_round", per_round)
lib.emit("scale_event_ns_1k", ns_1k)
lib.emit("scale_event_ns_n", ns_n)
lib.emit("scale_event_ns_n_hot1k", ns_hot)
