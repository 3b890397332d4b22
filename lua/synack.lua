--- synack: a userspace TCP endpoint whose every step a Lua script can see and steer.
-- This file is what scripts `require`; the C half is synack.core. The Lua
-- half adds coroutines and blocking-style calls (synack.sched), the
-- ladder diagram (synack.ladder) and c:info() tables that print readably
-- (synack.info) to the objects the C half makes.
local ok, core = pcall(require, "synack.core")
if not ok then
  error("synack: cannot load the C module synack.core (build it with `make`): " .. tostring(core), 2)
end

local synack = {}
for k, v in pairs(core) do synack[k] = v end
synack._VERSION = "synack scm"

if core._methods then
  local sched = require "synack.sched"
  local ladder = require "synack.ladder"
  sched.install(core._methods)
  require("synack.info").install(core._methods)
  --- net:ladder([opts]) -> the trace as a ladder diagram, text or SVG (see synack.ladder).
  core._methods.net.ladder = function(net, ...)
    sched.check_self(net, "synack.network", "ladder")
    return ladder.ladder(net, ...)
  end
end

return synack
