--- bench/lib.lua: what the benchmark scripts share: a wall clock, a CPU
-- clock, result lines for bench/run.lua, and a two-host wire network.
--
-- Every benchmark prints its results as lines "name value" on stdout (one
-- number per line); bench/run.lua reads them. Nothing here asserts a time.
local synack = require "synack"

local M = {}

-- Wall clock in seconds: lua-system's monotonic clock, or luv's, or (with
-- neither installed) the CPU clock, which is close for a single busy thread.
local ok, system = pcall(require, "system")
if ok and system.monotime then
  M.wall = system.monotime
else
  local okuv, uv = pcall(require, "luv")
  if okuv then
    M.wall = function() return uv.hrtime() / 1e9 end
  else
    M.wall = os.clock
  end
end
M.cpu = os.clock

--- Print one result line.
function M.emit(name, value)
  io.write(string.format("%s %.10g\n", name, value))
  io.flush()
end

--- Time fn(): returns wall seconds, CPU seconds and fn's first result.
function M.time(fn)
  collectgarbage()
  local w0, c0 = M.wall(), M.cpu()
  local r = fn()
  return M.wall() - w0, M.cpu() - c0, r
end

--- A network with two hosts on one wire; `wire` and `host` are extra fields.
-- Returns net, client host, server host, wire.
function M.pair(wire, host, seed)
  local net = synack.network{seed = seed or 1, trace = false}
  local w = net:wire(wire or {})
  local ha = {addr = "198.18.0.1", link = w}
  local hb = {addr = "198.18.0.2", link = w}
  for k, v in pairs(host or {}) do ha[k] = v; hb[k] = v end
  return net, net:host(ha), net:host(hb), w
end

--- Read every byte buffered on connection s; returns the count (or nil at EOF).
function M.drain(s, max)
  local n = 0
  while true do
    local d = s:recv(max or 1048576, 0) -- timeout 0: "" when nothing is buffered
    if not d then return nil end
    if d == "" then return n end
    n = n + #d
  end
end

--- The numeric argument i of the script, or a default.
function M.arg(i, default)
  return tonumber(arg and arg[i]) or default
end

return M
