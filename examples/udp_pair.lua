--- udp_pair.lua: two processes talk TCP through synack, each IP packet in one
-- UDP datagram over the loopback interface (no privileges needed).
--
--   bin/synack examples/udp_pair.lua listen  [bind] [outfile]
--       bind defaults to 127.0.0.1:7000 (port 0: any free port). Prints
--       "listening on 127.0.0.1:PORT", accepts one connection on
--       198.18.0.1:80, writes what it receives to outfile (default: stdout
--       gets only the byte count) and closes after the client's FIN.
--   bin/synack examples/udp_pair.lua connect [peer] [bytes | @file]
--       peer defaults to 127.0.0.1:7000. Host 198.18.0.2 connects to
--       198.18.0.1:80, sends `bytes` bytes of a fixed pattern (default
--       100000) or the contents of file, closes, and waits for the server's
--       FIN.
local synack = require "synack"

local mode = arg[1]

--- The bytes the client sends when given a count: 0, 1, ..., 250, 0, 1, ...
local function pattern(n)
  local t = {}
  for i = 1, n do t[i] = string.char((i - 1) % 251) end
  return table.concat(t)
end

local function listen(bind, outfile)
  local net = synack.network{clock = "real", trace = false}
  local link = assert(net:udp{bind = bind or "127.0.0.1:7000"})
  local host = net:host{addr = "198.18.0.1", link = link}
  local l = assert(host:listen(80))
  print("listening on " .. link.sockname)
  io.stdout:flush()
  local s = assert(l:accept(30))
  local parts, n = {}, 0
  while true do
    local data, err = s:recv(nil, 30)
    if not data then
      assert(err == "EOF", err)
      break
    end
    parts[#parts + 1] = data
    n = n + #data
  end
  s:close()
  s:wait("CLOSED", 5) -- LAST-ACK until the client acknowledges our FIN
  if outfile then
    local f = assert(io.open(outfile, "wb"))
    f:write(table.concat(parts))
    f:close()
  end
  print(("received %d bytes in %.3f s"):format(n, net.now))
  net:close()
end

local function connect(peer, what)
  local data
  if what and what:sub(1, 1) == "@" then
    local f = assert(io.open(what:sub(2), "rb"))
    data = f:read("*a")
    f:close()
  else
    data = pattern(tonumber(what) or 100000)
  end
  local net = synack.network{clock = "real", trace = false}
  local link = assert(net:udp{bind = "127.0.0.1:0", peer = peer or "127.0.0.1:7000"})
  local host = net:host{addr = "198.18.0.2", link = link}
  local c = assert(host:connect("198.18.0.1", 80))
  assert(c:wait("ESTABLISHED", 10))
  local sent = 0
  while sent < #data do
    local n = assert(c:send(data:sub(sent + 1, sent + 65536)))
    sent = sent + n
    if n == 0 then -- the send buffer is full: let the network drain it
      assert(net:run_until(function() return c:info().send_queued < 65536 end, 30))
    end
  end
  c:close()
  assert(c:wait("TIME-WAIT", 30))
  print(("sent %d bytes in %.3f s"):format(sent, net.now))
  net:close()
end

if mode == "listen" then
  listen(arg[2], arg[3])
elseif mode == "connect" then
  connect(arg[2], arg[3])
else
  io.stderr:write("usage: udp_pair.lua listen [bind] [outfile] | connect [peer] [bytes|@file]\n")
  os.exit(2)
end
