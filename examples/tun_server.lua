--- tun_server.lua: an HTTP server written with synack that the Linux kernel
-- (curl, a browser) talks to through a TUN device. The kernel's side of the
-- device is 198.18.0.1 / 2001:db8::1; synack's host is 198.18.0.2 /
-- 2001:db8::2, addresses the kernel does not own, so it never answers them.
--
-- It needs CAP_NET_ADMIN; try it in a network namespace of its own, which
-- leaves the machine's interfaces alone:
--
--   sudo unshare --net sh -c 'ip link set lo up
--     bin/synack examples/tun_server.lua 2 & sleep 1
--     curl -s http://198.18.0.2/; curl -s -g "http://[2001:db8::2]/"; wait'
--
-- Usage: tun_server.lua [requests (default 1)] [seconds to wait (default 30)]
local synack = require "synack"

local requests = tonumber(arg[1]) or 1
local seconds = tonumber(arg[2]) or 30

local net = synack.network{clock = "real", trace = false}
local tun, err = net:tun{name = "synack0", addr = {"198.18.0.1/24", "2001:db8::1/64"}}
if not tun then
  io.stderr:write("tun_server: ", err, "\n")
  os.exit(1)
end
local served = 0

local function handle(s)
  local req = ""
  while not req:find("\r\n\r\n", 1, true) do
    local d = s:recv()
    if not d then return end
    req = req .. d
  end
  local body = ("hello from synack, %s\n"):format(s:info()["local"] or "?")
  local reply = ("HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"):format(#body, body)
  s:send(reply)
  s:close()
  served = served + 1
  print(("served %s %s"):format(s:info().remote or "?", req:match("^[^\r\n]*")))
end

for _, addr in ipairs({"198.18.0.2", "2001:db8::2"}) do
  local l = assert(net:host{addr = addr, link = tun}:listen(80))
  net:spawn(function()
    while true do
      local s = l:accept()
      if not s then return end
      net:spawn(handle, s)
    end
  end)
end
print("listening on 198.18.0.2:80 and [2001:db8::2]:80 through " .. tun.name)
io.stdout:flush()
net:run_until(function() return served >= requests end, seconds)
net:advance(0.2) -- let the last FIN and ACK go
net:close()
