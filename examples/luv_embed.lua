-- examples/luv_embed.lua: synack inside a program that owns its libuv loop.
--
-- The program is an ordinary luv program: it has a timer of its own and
-- calls uv.run() itself. synack's network runs on the real clock
-- (clock = "real"); with luv loaded it puts its timer on luv's loop, so
-- while uv.run() runs, synack's connections make progress, its hooks fire,
-- and its tasks (net:spawn) are resumed, without anyone calling net:run().
-- Two synack hosts on an in-memory wire (5 ms each way) carry 256 KiB from a
-- client task to a server task; the program's timer reports progress every
-- 50 ms and closes itself once the server has read everything. uv.run()
-- returns when nothing is left to do: synack's timer keeps the loop alive
-- only while one of its deadlines is pending, here the client's TIME-WAIT
-- (2 MSL; msl = 0.05 makes it 0.1 s instead of a minute). The program's
-- timer also gives up after 10 s, so the program always ends.
--
-- Run: bin/synack examples/luv_embed.lua   (needs luv: Debian lua-luv)
local uv = require "luv"
local synack = require "synack"

local net = assert(synack.network{clock = "real"})
local wire = net:wire{delay = 0.005}
-- msl = 0.05: the client's TIME-WAIT (2 MSL) ends 0.1 s after its close
local client = net:host{addr = "198.18.0.1", link = wire, msl = 0.05}
local server = net:host{addr = "198.18.0.2", link = wire}
local listener = server:listen(80)

local start = uv.hrtime()
local function elapsed()
  return (uv.hrtime() - start) / 1e9
end

-- A hook: called from inside uv.run() as the connections change state.
net:on("state", function(conn, from, to)
  print(("%6.3f s  %s  %s -> %s"):format(elapsed(), conn["local"], from, to))
end)

local data = ("0123456789abcdef"):rep(16 * 1024) -- 256 KiB
local received, finished = {}, false

-- The server: a task, so accept and recv wait (in the loop) instead of blocking.
net:spawn(function()
  local conn = assert(listener:accept())
  while true do
    local chunk = conn:recv()
    if not chunk then break end -- nil, "EOF" after the client's FIN
    received[#received + 1] = chunk
  end
  conn:close()
  finished = true
end)

-- The client: connect, send everything, close.
net:spawn(function()
  local conn = assert(client:connect("198.18.0.2", 80))
  assert(conn:wait("ESTABLISHED"))
  assert(conn:sendall(data))
  conn:close()
end)

-- The program's own timer: it keeps the loop running until the transfer is
-- done (or 10 s have passed), printing what the server has so far.
local bytes = 0
local ticks, gave_up = 0, false
local timer = uv.new_timer()
timer:start(50, 50, function()
  ticks = ticks + 1
  bytes = #table.concat(received)
  print(("%6.3f s  timer tick %d: the server has %d of %d bytes"):format(elapsed(), ticks, bytes, #data))
  if finished or elapsed() > 10 then
    gave_up = not finished
    timer:close()
  end
end)

uv.run() -- the program runs the loop; synack works inside it

local got = table.concat(received)
print(("%6.3f s  uv.run() returned: %d bytes received, %s"):format(elapsed(), #got,
  got == data and "byte-exact" or "NOT the bytes sent"))
net:close()
uv.run("nowait") -- let the closed handles finish closing
if gave_up or got ~= data then error("luv_embed: the transfer did not complete") end
