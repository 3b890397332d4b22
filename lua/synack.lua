--- synack: a userspace TCP endpoint whose every step a Lua script can see and steer.
-- This file is what scripts `require`; the C half is synack.core.
local ok, core = pcall(require, "synack.core")
if not ok then
  error("synack: cannot load the C module synack.core (build it with `make`): " .. tostring(core), 2)
end

local synack = {}
for k, v in pairs(core) do synack[k] = v end
synack._VERSION = "synack scm"

return synack
