--- bench/bulk.lua: bulk transfer between two synack hosts on the in-memory
-- wire, in virtual time, measured as wall-clock goodput.
--
--   bin/synack bench/bulk.lua MTU MEGABYTES
--
-- The wire and both hosts get the MTU; the connection announces MSS = MTU - 40
-- (timestamps then take 12 bytes of it). The client writes MEGABYTES in
-- 128 KB writes (iperf3's default for TCP) as fast as the send buffer takes
-- them; the application reads whatever is buffered after each pass of the
-- network. Prints bulk_bps (wall) and bulk_cpu_bps.
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local lib = require "lib"

local mtu = lib.arg(1, 65535)
local total = lib.arg(2, 256) * 1048576
local BUF = 4 * 1048576

local net, a, b = lib.pair({mtu = mtu}, {mtu = mtu})
local l = b:listen(80, {mss = mtu - 40, rcvbuf = BUF, sndbuf = BUF})
local c = a:connect("198.18.0.2", 80, {mss = mtu - 40, rcvbuf = BUF, sndbuf = BUF})
net:run()
local s = assert(l:accept(), "no connection")
assert(c.state == "ESTABLISHED", c.state)

local chunk = string.rep("x", 131072)
local wall, cpu, got = lib.time(function()
  local sent, got = 0, 0
  while got < total do
    if sent < total then
      local n = c:send(sent + #chunk <= total and chunk or chunk:sub(1, total - sent))
      if n then sent = sent + n end
    end
    net:run()
    got = got + assert(lib.drain(s))
  end
  return got
end)
assert(got == total, "received " .. got .. " of " .. total)

lib.emit("bulk_bytes", got)
lib.emit("bulk_wall", wall)
lib.emit("bulk_bps", got * 8 / wall)
lib.emit("bulk_cpu_bps", got * 8 / cpu)
lib.emit("bulk_mss", c:info().mss)
lib.emit("bulk_virtual_s", net.now)
