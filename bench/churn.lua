--- bench/churn.lua: connection churn driven from Lua: connect, send one
-- byte, read it, close both ends, run until nothing is pending (TIME-WAIT
-- included: virtual time makes it free), COUNT times in a row.
--
--   bin/synack bench/churn.lua COUNT [raw]
--
-- By default through the public API (net:run, l:accept, c:recv); with `raw`
-- through the binding's methods under them (net:_run, l:_accept, c:_recv),
-- which skip the coroutine scheduler's checks. Prints churn_per_s (wall) and
-- churn_cpu_per_s.
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local lib = require "lib"

local count = lib.arg(1, 20000)
local raw = arg[2] == "raw"
local net, a, b = lib.pair()
local l = b:listen(80, {backlog = 16})

local function one()
  local c = a:connect("198.18.0.2", 80)
  net:run()
  local s = l:accept(0)
  c:send("x")
  net:run()
  assert(s:recv(nil, 0) == "x")
  c:close()
  s:close()
  net:run()
end

local function one_raw()
  local c = a:connect("198.18.0.2", 80)
  net:_run()
  local s = l:_accept()
  c:send("x")
  net:_run()
  assert(s:_recv() == "x")
  c:close()
  s:close()
  net:_run()
end

local f = raw and one_raw or one
f() -- warm up
local wall, cpu = lib.time(function()
  for _ = 1, count do f() end
end)
collectgarbage()
lib.emit("churn_count", count)
lib.emit("churn_per_s", count / wall)
lib.emit("churn_cpu_per_s", count / cpu)
lib.emit("churn_left", a:count() + b:count()) -- connections not yet freed
