-- examples/lossy.lua: a transfer over a bad wire; watch TCP repair it.
--
-- 8 KiB go from a client to a server over a wire that loses 15% of the
-- packets, delays them by 20 ms with 5 ms of jitter, and duplicates a few.
-- The ladder shows every segment: an arrow ending in X was lost on the wire,
-- "(timer)" is a retransmission timeout, and the same seq sent again is a
-- retransmission. A duplicated segment that arrives after its connection is
-- gone draws a reset (R), which may end the other side's TIME-WAIT early
-- (RFC 9293 3.10.7.4). The run is deterministic: the same seed, the same story.
--
-- Run: bin/synack examples/lossy.lua [seed]
local synack = require "synack"

local seed = tonumber(arg and arg[1]) or 4
local net = synack.network{seed = seed}
local wire = net:wire{delay = 0.020, jitter = 0.005, loss = 0.15, duplicate = 0.02}
local client = net:host{addr = "198.18.0.1", link = wire}
local server = net:host{addr = "198.18.0.2", link = wire}

local data = string.rep("synack! ", 1024) -- 8 KiB
local received = {}

local listener = server:listen(80, {isn = 1000000})
net:spawn(function()
  local conn = assert(listener:accept())
  while true do
    local chunk = conn:recv()
    if not chunk then break end
    received[#received + 1] = chunk
  end
  conn:close()
end)

local conn = client:connect("198.18.0.2", 80, {isn = 0, sack = false,
  timestamps = false, wscale = false})
net:spawn(function()
  assert(conn:wait("ESTABLISHED"))
  assert(conn:sendall(data))
  conn:close()
end)
net:run()

print(net:ladder())

local lost = 0
for _, ev in ipairs(net:trace()) do
  if ev.kind == "drop" then lost = lost + 1 end
end
local info = conn:info()
local got = table.concat(received)
print(("seed %d: %d bytes sent, %d received intact: %s"):format(seed, #data, #got,
  tostring(got == data)))
print(("%d packets lost on the wire; the client retransmitted %d segments"):format(lost,
  info.retransmits))
print(("everything, the close included, was over at %.3f s of virtual time"):format(net.now))
