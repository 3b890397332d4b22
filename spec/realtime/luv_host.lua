--- Run by realtime_spec.lua: synack on luv's loop. Prints "ok <what>" lines;
-- any failure raises (a non-zero exit).
local uv = require "luv"
local synack = require "synack"

-- 1. the main chunk drives luv's loop through synack
local net = synack.network{clock = "real"}
assert(net:_real().loop == "luv", "expected luv's loop")
local w = net:wire{delay = 0.005}
local a = net:host{addr = "198.18.0.1", link = w}
local b = net:host{addr = "198.18.0.2", link = w}
local l = b:listen(80)
local c = a:connect("198.18.0.2", 80)
-- a luv timer runs while synack drives the loop
local ticked = false
local t = uv.new_timer()
t:start(1, 0, function() ticked = true end)
local s = assert(l:accept(5))
assert(c:wait("ESTABLISHED", 5))
net:advance(0.05) -- runs the loop for 50 ms whatever the machine's speed
assert(ticked, "luv's own timer did not run while synack drove the loop")
t:close()
print("ok main chunk drives luv's loop")

-- 2. the host program runs the loop (uv.run); synack progresses inside it
local got, err_inside = {}, nil
local guard = uv.new_timer()
local payload = ("0123456789"):rep(5000)
c:send(payload)
local poll = uv.new_timer()
poll:start(1, 1, function()
  local d = s:recv(nil, 0)
  if d and #d > 0 then got[#got + 1] = d end
  if #table.concat(got) >= #payload then
    local ok, e = pcall(net.run_until, net, function() return false end, 0.01)
    err_inside = not ok and e
    poll:close()
    guard:close()
  end
end)
guard:start(5000, 0, function() uv.stop() end) -- a bound, in case synack never delivers
local t0 = uv.hrtime()
uv.run("default") -- returns when nothing is left: synack's idle handles keep nothing alive
if not guard:is_closing() then guard:close() end
assert((uv.hrtime() - t0) / 1e9 < 4, "uv.run only returned through the guard")
assert(table.concat(got) == payload, "transfer under uv.run incomplete: " .. #table.concat(got))
print("ok transfer under uv.run")
assert(err_inside and tostring(err_inside):find("host program runs it"), tostring(err_inside))
print("ok driving from a luv callback raises: " .. tostring(err_inside):gsub("\n.*", ""))

-- 2b. tasks of net:spawn are resumed inside uv.run as well
local echoed
net:spawn(function()
  local s2 = assert(l:accept())
  local d = assert(s2:recv())
  s2:send(d:upper())
  s2:close()
end)
local c2 = a:connect("198.18.0.2", 80)
net:spawn(function()
  assert(c2:wait("ESTABLISHED"))
  c2:send("ping")
  echoed = c2:recv()
end)
local check = uv.new_timer()
local bound = 0
check:start(5, 5, function()
  bound = bound + 1
  if echoed or bound > 600 then
    check:close()
    uv.stop()
  end
end)
uv.run("default")
assert(echoed == "PING", "tasks did not run under uv.run: " .. tostring(echoed))
print("ok tasks resumed under uv.run")

-- 2d. a network nobody refers to runs on under uv.run, and a collection in
-- the middle of its own hooks neither frees it under synack nor leaks handles
local established = 0
do
  local lost = synack.network{clock = "real"}
  local w2 = lost:wire{delay = 0.002}
  local a2 = lost:host{addr = "198.18.0.1", link = w2}
  lost:host{addr = "198.18.0.2", link = w2}:listen(80)
  lost:on("state", function(_, _, to)
    collectgarbage()
    collectgarbage()
    if to == "ESTABLISHED" then established = established + 1 end
  end)
  a2:connect("198.18.0.2", 80)
end
local idle = uv.new_timer()
idle:start(200, 0, function()
  idle:close()
  uv.stop()
end)
uv.run("default")
assert(established == 2, "the unreferenced network did not run: " .. established)
print("ok an unreferenced network runs, and survives collections in its hooks")

-- 2c. a call from a luv callback after the loop slept is stamped with the
-- real time: no spurious retransmission, no RTT sample inflated by the sleep
-- (a network of its own, with no timer pending while the loop sleeps)
local net3 = synack.network{clock = "real"}
local net4 = synack.network{clock = "real"}
local u4 = assert(net4:udp{bind = "127.0.0.1:0"})
local u3 = assert(net3:udp{bind = "127.0.0.1:0", peer = u4.sockname})
local a3 = net3:host{addr = "198.18.0.1", link = u3}
local l3 = net4:host{addr = "198.18.0.2", link = u4}:listen(80, {delayed_ack = false})
local c3 = a3:connect("198.18.0.2", 80, {delayed_ack = false})
assert(c3:wait("ESTABLISHED", 5))
local s3 = assert(l3:accept(5))
assert(not net3:_deadline() and not net4:_deadline(), "a timer is pending: the test would prove nothing")
local before = c3:info().retransmits
local late = ""
local sleeper = uv.new_timer()
sleeper:start(1300, 0, function() -- the loop sleeps longer than the 1 s minimum RTO
  sleeper:close()
  c3:send("late")
  local reader = uv.new_timer()
  reader:start(1, 1, function()
    late = late .. (s3:recv(nil, 0) or "")
    if late == "late" and c3:info().snd_una == c3:info().snd_nxt then
      reader:close()
      uv.stop()
    end
  end)
end)
uv.run("default")
local info = c3:info()
assert(late == "late", "the late send did not arrive")
assert(info.retransmits == before, "spurious retransmission of a send made after the loop slept")
print("ok calls from luv callbacks read the real clock (srtt " .. tostring(info.srtt) .. ")")

-- 2e. uv.walk with real networks open (UDP sockets, timers): synack's own
-- handles are on a loop of its own; luv's loop holds only handles luv made
-- (synack's three: a poll, a timer, a prepare), which uv.walk hands out as
-- luv objects
local walked = {}
uv.walk(function(h)
  local name = tostring(h)
  walked[#walked + 1] = assert(name:match("^(uv_%a+_t): "), "not a luv handle: " .. name)
end)
table.sort(walked)
assert(#walked == 3 and select(2, synack._uv_handles()) == 3, "uv.walk: " .. table.concat(walked, ", "))
print("ok uv.walk with UDP networks open lists only luv's handles (" .. table.concat(walked, ", ") .. ")")

-- 2f. an error in a hook goes to net:on("error") under uv.run, and the
-- segment passes
local reported
net3:on("error", function(msg, what) reported = what .. ": " .. tostring(msg) end)
a3:on("data", function() error("boom in a hook") end)
c3:send("x")
local waiter = uv.new_timer()
local echoed3, ticks = "", 0
waiter:start(1, 1, function()
  ticks = ticks + 1
  echoed3 = echoed3 .. (s3:recv(nil, 0) or "")
  if (reported and echoed3 == "x") or ticks > 3000 then
    waiter:close()
    uv.stop()
  end
end)
uv.run("default")
assert(reported and reported:find("boom in a hook", 1, true), "not reported: " .. tostring(reported))
assert(echoed3 == "x", "the segment did not pass: " .. echoed3)
print("ok a hook's error reaches net:on(\"error\") under uv.run, the segment passes")
net3:close()
net4:close()

-- 3. every handle synack opened is closed with the network
net:close()
collectgarbage() -- the unreferenced network of 2d
collectgarbage()
uv.run("nowait") -- close callbacks; synack's luv handles go too
local left = 0
uv.walk(function() left = left + 1 end)
local own, held = synack._uv_handles()
assert(own == 0 and held == 0, "synack handles left: " .. own .. " of its own, " .. held .. " on luv's loop")
assert(left == 0, left .. " handles left on luv's loop")
print("ok handles closed (uv.walk finds nothing left)")
