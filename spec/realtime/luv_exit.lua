--- Run by realtime_spec.lua: synack with luv loaded, at exit and when a hook
-- fails. Usage: luv_exit.lua mode, one of
--   open      exit with a real network open (a UDP socket, a wire, a
--             handshake under way), never closed: uv.walk sees only luv's
--             handles, before exit and from finalizers while the state closes
--   closed    net:close(), then exit without running luv's loop again
--   late      luv loaded after synack made a real network on its own loop
--   uncaught  a hook raises and there is no net:on("error"): luv reports it
--             the way it reports errors in its own callbacks
-- Prints "ok <what>" lines; any failure raises (a non-zero exit).
local synack = require "synack"
local mode = arg[1]
local uv

--- Walk luv's loop: every handle must be one of luv's userdata (uv.walk
-- hands out luv's own objects; a foreign handle would crash luv 1.44). While
-- the state closes, only count them: luv's userdata may be finalized already.
local function walk(closing)
  local n = 0
  uv.walk(function(h)
    n = n + 1
    if not closing and not tostring(h):match("^uv_%a+_t: ") then error("not a luv handle: " .. tostring(h)) end
  end)
  return n
end

--- A value whose finalizer walks luv's loop while the state closes.
local function walk_at_exit(tag)
  local function fin()
    io.stdout:write("ok walked luv's loop while the state closed (" .. tag .. ", " .. walk(true) .. " handles)\n")
    io.stdout:flush()
  end
  if newproxy then -- Lua 5.1, LuaJIT: only userdata have finalizers
    local p = newproxy(true)
    getmetatable(p).__gc = fin
    return p
  end
  return setmetatable({}, {__gc = fin})
end

--- A real network with a UDP socket and a handshake over a wire under way.
local function busy_network()
  local net = synack.network{clock = "real"}
  local u = assert(net:udp{bind = "127.0.0.1:0"})
  net:host{addr = "198.18.0.3", link = u}
  local w = net:wire{delay = 0.05}
  local a = net:host{addr = "198.18.0.1", link = w}
  net:host{addr = "198.18.0.2", link = w}:listen(80)
  return net, a:connect("198.18.0.2", 80)
end

if mode == "late" then
  local net = synack.network{clock = "real"}
  assert(net:_real().loop == "own")
  local w = net:wire{delay = 0.005}
  local a = net:host{addr = "198.18.0.1", link = w}
  local l = net:host{addr = "198.18.0.2", link = w}:listen(80)
  local c = a:connect("198.18.0.2", 80)
  assert(c:wait("ESTABLISHED", 5))
  local s = assert(l:accept(5))
  uv = require "luv"
  local net2 = synack.network{clock = "real"} -- embeds synack's loop in luv's
  assert(net:_real().loop == "luv" and net2:_real().loop == "luv")
  c:send("late")
  local got, bound = "", 0
  local t = uv.new_timer()
  t:start(1, 1, function()
    bound = bound + 1
    got = got .. (s:recv(nil, 0) or "")
    if got == "late" or bound > 5000 then t:close() end
  end)
  uv.run("default")
  assert(got == "late", "the first network did not run under uv.run: " .. got)
  assert(walk() == 3, "expected only synack's three luv handles")
  print("ok a network made before luv runs on luv's loop")
  net:close()
  net2:close()
  uv.run("nowait")
  assert(walk() == 0 and synack._uv_handles() == 0, "handles left after close")
  print("ok handles closed")
  return
end

uv = require "luv"
if mode == "open" or mode == "closed" then
  _G.before = walk_at_exit("before the network")
  local net = busy_network()
  _G.net = net
  _G.after = walk_at_exit("after the network")
  local n = walk()
  local own, held = synack._uv_handles()
  assert(own >= 3 and held == 3, "synack's handles: " .. own .. ", luv's held: " .. held)
  assert(n == 3, "uv.walk: " .. n .. " handles, expected synack's 3 luv handles")
  print("ok uv.walk with a real network open lists only luv's handles")
  if mode == "closed" then
    net:close()
    print("ok closed, exiting without running luv's loop")
  else
    print("ok exiting with the network open")
  end
elseif mode == "uncaught" then
  local net = synack.network{clock = "real"}
  local w = net:wire{delay = 0.005}
  local a = net:host{addr = "198.18.0.1", link = w}
  local b = net:host{addr = "198.18.0.2", link = w}
  b:listen(80)
  b:on("syn", function() error("boom from a hook") end)
  a:connect("198.18.0.2", 80)
  local guard = uv.new_timer()
  guard:start(5000, 0, function() guard:close() end)
  print("ok running")
  io.stdout:flush()
  uv.run("default")
  print("still running after the hook failed") -- plain luv exits before this
else
  error("usage: luv_exit.lua open|closed|late|uncaught")
end
