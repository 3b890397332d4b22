--- bench/vtime.lua: virtual time's speed. One scenario that spans more than
-- four minutes of network time: a handshake on a 10 ms wire, a connection
-- with keepalive every 60 s that idles three minutes (three probes, three
-- answers), then closes both ways and sits in TIME-WAIT for 2 MSL (60 s)
-- until it is freed. It runs REPS times on fresh networks; the wall time of
-- one scenario is the median.
--
--   bin/synack bench/vtime.lua REPS
--
-- Prints vtime_span_s (virtual seconds) and vtime_wall_us (wall, median).
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local lib = require "lib"

local reps = lib.arg(1, 200)

local function scenario()
  local net, a, b = lib.pair({delay = 0.010})
  local l = b:listen(80, {keepalive = 60})
  local c = a:connect("198.18.0.2", 80, {keepalive = 60})
  net:advance(180)
  local s = assert(l:accept(0))
  assert(c.state == "ESTABLISHED" and s.state == "ESTABLISHED")
  c:close()
  s:close()
  net:run()
  assert(c.state == "CLOSED" and s.state == "CLOSED", c.state .. " " .. s.state)
  return net.now
end

local span = scenario()
local walls = {}
for i = 1, reps do
  local w0 = lib.wall()
  scenario()
  walls[i] = lib.wall() - w0
end
table.sort(walls)
lib.emit("vtime_span_s", span)
lib.emit("vtime_wall_us", walls[math.floor((reps + 1) / 2)] * 1e6)
lib.emit("vtime_wall_min_us", walls[1] * 1e6)
