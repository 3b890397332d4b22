--- Run by realtime_spec.lua: net:tun where it cannot be opened answers
-- `nil, err, code`. Prints "code <CODE> <message>".
local synack = require "synack"
local net = synack.network{clock = "real"}
local tun, err, code = net:tun{name = arg[1] or "synack9", addr = "198.18.0.1/24"}
assert(tun == nil, "the TUN device opened")
print("code " .. code .. " " .. err)
net:close()
