-- examples/echo.lua: an echo server and two clients, written as coroutines.
--
-- net:spawn(fn) runs fn as a task of the network: inside it, l:accept(),
-- c:recv(), c:wait(state) and net:sleep(t) wait (in virtual time) instead
-- of returning at once, so the code reads like ordinary blocking sockets.
--
-- Run: bin/synack examples/echo.lua
local synack = require "synack"

local net = synack.network{seed = 42}
local wire = net:wire{delay = 0.005}
local server = net:host{addr = "198.18.0.2", link = wire}
local alice = net:host{addr = "198.18.0.1", link = wire}
local bob = net:host{addr = "198.18.0.3", link = wire}

local listener = server:listen(7)

--- Serve one connection: send back whatever arrives, until the peer closes.
local function serve(conn)
  print(("%.3f server: %s connected"):format(net.now, conn.remote))
  while true do
    local data = conn:recv()
    if not data then break end -- nil, "EOF" once the client has closed
    conn:send(data)
  end
  conn:close()
  print(("%.3f server: %s done"):format(net.now, conn.remote))
end

-- The server: accept forever, one task per connection.
net:spawn(function()
  while true do
    local conn = listener:accept()
    if not conn then return end -- nothing will ever come anymore
    net:spawn(serve, conn)
  end
end)

--- A client: connect, say each line, read the echo, close.
local function client(host, name, lines, pause)
  local conn = host:connect("198.18.0.2", 7)
  assert(conn:wait("ESTABLISHED"))
  for _, line in ipairs(lines) do
    conn:send(line)
    local echo = conn:recv()
    print(("%.3f %s: sent %q, got back %q"):format(net.now, name, line, echo))
    net:sleep(pause)
  end
  conn:close()
  assert(conn:wait("CLOSED"))
  print(("%.3f %s: closed (after TIME-WAIT)"):format(net.now, name))
end

net:spawn(client, alice, "alice", {"hello", "echo?"}, 0.100)
net:spawn(client, bob, "bob", {"one", "two", "three"}, 0.050)

net:run()
print(("%.3f all done: the network has nothing left to do"):format(net.now))
