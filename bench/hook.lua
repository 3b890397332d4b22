--- bench/hook.lua: a no-op Lua hook on every segment. A bulk transfer at
-- MTU 1500 runs three times with the same seed, so the three runs are the
-- same segment for segment: once with a counting hook (how many calls),
-- once with `function() end` on net:on("segment") (timed), once without
-- hooks (timed, the baseline). Each segment calls the hook twice: leaving
-- its sender and reaching its receiver.
--
--   bin/synack bench/hook.lua MEGABYTES
--
-- Prints hook_calls_per_s (hooked segments per second, wall), and the cost
-- of one call over the unhooked run.
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local lib = require "lib"

local total = lib.arg(1, 32) * 1048576

local function transfer(hook, before)
  local net, a, b = lib.pair()
  if hook then net:on("segment", hook) end
  local l = b:listen(80, {rcvbuf = 1048576, sndbuf = 1048576})
  local c = a:connect("198.18.0.2", 80, {rcvbuf = 1048576, sndbuf = 1048576})
  net:run()
  local s = assert(l:accept())
  local chunk = string.rep("x", 262144)
  if before then before() end
  return lib.time(function()
    local sent, got = 0, 0
    while got < total do
      if sent < total then sent = sent + (c:send(chunk) or 0) end
      net:run()
      got = got + assert(lib.drain(s))
    end
    return got
  end)
end

local calls = 0
transfer(function() calls = calls + 1 end, function() calls = 0 end)
local noop = function() end
local wall_hooked, cpu_hooked = transfer(noop)
local wall_plain = transfer(nil)
lib.emit("hook_calls", calls)
lib.emit("hook_wall", wall_hooked)
lib.emit("hook_calls_per_s", calls / wall_hooked)
lib.emit("hook_cpu_calls_per_s", calls / cpu_hooked)
lib.emit("hook_ns_per_call", (wall_hooked - wall_plain) / calls * 1e9)
lib.emit("hook_plain_wall", wall_plain)
