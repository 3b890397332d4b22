--- synack.sched: coroutines and blocking-style calls on a network.
--
-- Blocking-style calls (`l:accept()`, `c:recv()`, `c:wait(state)`,
-- `net:sleep(t)`, `net:run_until(pred)`) behave by where they are called:
--
-- * inside a coroutine the network runs (`net:spawn(fn)`): they yield, and
--   the network resumes the coroutine when what it waits for may have happened;
-- * from the main chunk, the REPL or any other coroutine: they drive the
--   network (process events) until satisfied;
-- * with a timeout of 0: they never wait: `l:accept()` returns nil when no
--   connection is ready, `c:recv()` returns "" when nothing is buffered;
-- * inside a hook or callback: `l:accept()` and `c:recv()` raise "cannot be
--   called from inside a hook" (they could send a window update, which would
--   run hooks re-entrantly); `c:wait` raises when it would have to run the
--   network, `net:run_until` always does.
--
-- A wait that cannot be satisfied ends with `nil, "ETIMEDOUT: ...",
-- "ETIMEDOUT"`: when its timeout (seconds of network time) passes, or, when
-- driving from the main chunk, when nothing is pending in the network
-- anymore, or, without a timeout, when the network's wait_limit has passed
-- (a virtual network that never goes idle, with keepalives or zero-window
-- probes, would otherwise run virtual time for ever; one day by default,
-- none in real time). A coroutine waiting without a timeout on a network
-- with nothing pending simply stays suspended (net:run() returns).
--
-- Errors raised inside a spawned coroutine are reported like hook errors
-- (net:on("error", fn), else stderr) and end that coroutine only.
local M = {}

local unpack = table.unpack or unpack -- luacheck: ignore 143
local pack = table.pack or function(...) return {n = select("#", ...), ...} end
local running, resume_co, co_status, yield = coroutine.running, coroutine.resume, coroutine.status,
  coroutine.yield

-- coroutine -> task. Weak both ways: a task refers to its coroutine, and
-- Lua 5.1 and LuaJIT have no ephemerons, so with weak keys only an entry
-- would keep its coroutine, and the task its network, for ever. A live task
-- is held by its network's task list.
local tasks_of = setmetatable({}, {__mode = "kv"})

-- network -> the table the Lua side keeps per network (net:_lua()), cached:
-- the calls below ask for it on every call. Weak both ways, for the same
-- reason: the network's uservalue holds the table as long as it lives.
local lua_of = setmetatable({}, {__mode = "kv"})

--- t (seconds) on the clock's grid of whole microseconds, so that a deadline
-- compares equal to the time the network reaches for it.
local function on_grid(t)
  return math.floor(t * 1e6 + 0.5) / 1e6
end

local function etimedout(what)
  return nil, "ETIMEDOUT: " .. what, "ETIMEDOUT"
end

--- The failure of a wait for `what` that ended with `why` (see wait()).
local function gave_up(net, why, what, timeout)
  if why == "timeout" then return etimedout(what .. " within " .. timeout .. " s") end
  if why == "limit" then
    return etimedout(("%s within the network's wait_limit (%g s)"):format(what, net.wait_limit))
  end
  return etimedout(what .. " and nothing is pending")
end

--- The task of the running coroutine when `net` runs it, else nil.
local function current_task(net)
  local co = running()
  local t = co and tasks_of[co]
  if t and rawequal(t.net, net) then return t end
  return nil
end

local function lua_table(net)
  local lua = lua_of[net]
  if lua == nil then
    lua = net:_lua()
    lua_of[net] = lua
  end
  return lua
end

local function tasks(net)
  local lua = lua_table(net)
  local list = lua.tasks
  if not list then
    list = {}
    lua.tasks = list
  end
  return list
end

local function has_tasks(net)
  local list = lua_table(net).tasks
  return list ~= nil and list[1] ~= nil
end

local function resume(net, t, ...)
  local ok, err = resume_co(t.co, ...)
  if not ok then
    net:_report(debug.traceback(t.co, tostring(err)), "a task")
  end
  if co_status(t.co) == "dead" then
    t.dead = true
    local list = tasks(net)
    for i = #list, 1, -1 do
      if list[i] == t then table.remove(list, i) end
    end
  end
end

--- Resume every waiting task once (in spawn order); again while they make
-- something happen, a bounded number of rounds.
local function run_tasks(net)
  local list = tasks(net)
  if #list == 0 then return end
  for _ = 1, 64 do
    net:_woken()
    local snapshot = {unpack(list)}
    for _, t in ipairs(snapshot) do
      if not t.dead and co_status(t.co) == "suspended" then resume(net, t) end
    end
    if not net:_woken() then break end
  end
end
M.run_tasks = run_tasks

--- Call pred() until it returns a non-nil first value, yielding (in a task)
-- or driving the network (elsewhere). `every_step`: check after each event,
-- not only after events that may wake a waiter. Returns pred's values, or
-- nil and the reason: "timeout", "idle", or "limit" (driving without a
-- timeout, the network's wait_limit passed).
local function wait(net, pred, timeout, every_step)
  local r = pack(pred())
  if r[1] ~= nil then return r end
  if timeout == 0 then return nil, "timeout" end
  local deadline = timeout and on_grid(net.now + timeout)
  if current_task(net) then
    if deadline then net:_alarm(deadline) end
    while true do
      yield()
      r = pack(pred())
      if r[1] ~= nil then return r end
      if deadline and net.now >= deadline then return nil, "timeout" end
    end
  end
  local limit = not timeout and lua_table(net).wait_limit
  if limit then deadline = on_grid(net.now + limit) end
  -- nothing pending is final only in virtual time: in real time a packet
  -- may still come from outside
  local idle_is_final = limit and not net:_real()
  local late = limit and "limit" or "timeout"
  while true do
    run_tasks(net)
    r = pack(pred())
    if r[1] ~= nil then return r end
    if deadline and net.now >= deadline then return nil, late end
    local status
    if every_step then
      if idle_is_final and not net:_deadline() then
        status = "idle" -- (the limit is no reason to move the clock)
      elseif deadline and (net:_deadline() or math.huge) > deadline then
        net:_setnow(deadline)
        status = "limit"
      else
        status = net:_stepq() and "step" or "idle"
      end
    else
      status = net:_run(deadline, true)
    end
    if status == "idle" then
      run_tasks(net)
      r = pack(pred())
      if r[1] ~= nil then return r end
      if not net:_deadline() then return nil, "idle" end
    end
  end
end
M.wait = wait
M.check_self = nil -- (set below)

-- metatable -> its __name, for the metatables check_self has accepted once:
-- after the first call a check is one lookup
local known_mt = setmetatable({}, {__mode = "k"})

--- Raise unless obj is a userdata of metatable `name` (self checks of Lua methods).
local function check_self(obj, name, fname)
  local mt = getmetatable(obj)
  if mt ~= nil and known_mt[mt] == name then return end
  mt = type(obj) == "userdata" and mt
  if not (type(mt) == "table" and rawget(mt, "__name") == name) then
    local got = type(obj)
    if type(mt) == "table" and type(rawget(mt, "__name")) == "string" then got = rawget(mt, "__name") end
    error(("bad argument #1 to '%s' (%s expected, got %s)"):format(fname, name, got), 3)
  end
  known_mt[mt] = name
end

local function check_seconds(x, fname, arg)
  if type(x) ~= "number" or not (x >= 0 and x < 1e12) then
    error(("bad argument #%d to '%s' (seconds >= 0 expected)"):format(arg, fname), 3)
  end
end

local function check_timeout(x, fname, arg)
  if x ~= nil then check_seconds(x, fname, arg) end
end

-- The binding's methods under the Lua ones, called as functions: a method
-- call on a userdata goes through its __index function first (set by M.install).
local raw_in_hook, raw_run, raw_accept, raw_recv

local function never_from_hook(net, what)
  if raw_in_hook(net) then
    error("synack: " .. what .. " cannot be called from inside a hook or callback", 3)
  end
end

local function no_run_in_task(net, what)
  if current_task(net) then
    error("synack: " .. what .. " cannot run the network from inside a coroutine it runs"
      .. " (use net:sleep, c:wait, c:recv, l:accept)", 3)
  end
end

M.check_self = check_self

--- Install the Lua-side methods on the binding's method tables.
function M.install(methods)
  local Net, Conn, Listener = methods.net, methods.conn, methods.listener
  local raw_step = Net.step
  raw_in_hook, raw_run, raw_accept, raw_recv = Net._in_hook, Net._run, Listener._accept, Conn._recv

  --- net:step() -> the event it processed, or nil when nothing is pending.
  function Net:step()
    check_self(self, "synack.network", "step")
    never_from_hook(self, "net:step")
    no_run_in_task(self, "net:step")
    local ev = raw_step(self)
    if has_tasks(self) then run_tasks(self) end
    return ev
  end

  --- net:run() -> true: process events until nothing is pending; or
  -- nil, "ETIMEDOUT: ...", "ETIMEDOUT" when the network's wait_limit passed first.
  function Net:run()
    check_self(self, "synack.network", "run")
    local limit, now = lua_table(self).wait_limit, self.now -- (now: nil once closed)
    local deadline = limit and now and on_grid(now + limit)
    if not has_tasks(self) then -- then no task is running either
      if raw_run(self, deadline) == "limit" then -- (raises inside a hook)
        return gave_up(self, "limit", "still busy")
      end
      return true
    end
    never_from_hook(self, "net:run")
    no_run_in_task(self, "net:run")
    repeat
      run_tasks(self)
      local status = self:_run(deadline, true)
      if status == "limit" then return gave_up(self, "limit", "still busy") end
      if status == "idle" then run_tasks(self) end
    until status == "idle" and not self:_deadline()
    return true
  end

  --- net:run_until(pred [, timeout]) -> true | nil, "ETIMEDOUT: ...", "ETIMEDOUT"
  -- pred is checked after every event.
  function Net:run_until(pred, timeout)
    check_self(self, "synack.network", "run_until")
    never_from_hook(self, "net:run_until")
    if type(pred) ~= "function" then error("bad argument #1 to 'run_until' (function expected)", 2) end
    check_timeout(timeout, "run_until", 2)
    local r, why = wait(self, function() if pred() then return true end end, timeout, true)
    if r then return true end
    return gave_up(self, why, "the condition did not hold", timeout)
  end

  --- net:advance(seconds): process every event due within the next `seconds`.
  function Net:advance(seconds)
    check_self(self, "synack.network", "advance")
    check_seconds(seconds, "advance", 1)
    never_from_hook(self, "net:advance")
    no_run_in_task(self, "net:advance")
    local limit = on_grid(self.now + seconds)
    repeat
      repeat
        run_tasks(self)
        local status = self:_run(limit, has_tasks(self))
      until status ~= "woken"
      run_tasks(self)
      self:_setnow(limit) -- real time: waits (a while at most), virtual: jumps
    until self.now + 5e-7 >= limit -- (the clock counts whole microseconds)
    return true
  end

  --- net:sleep(seconds): in a task, yield until the time has passed; elsewhere advance.
  function Net:sleep(seconds)
    check_self(self, "synack.network", "sleep")
    check_seconds(seconds, "sleep", 1)
    if current_task(self) then
      local deadline = on_grid(self.now + seconds)
      wait(self, function() if self.now >= deadline then return true end end, seconds)
      return true
    end
    never_from_hook(self, "net:sleep")
    return self:advance(seconds)
  end

  --- net:spawn(fn, ...) -> coroutine: a task the network runs. It starts at
  -- once (unless called from a hook: then at the next step).
  function Net:spawn(fn, ...)
    check_self(self, "synack.network", "spawn")
    if type(fn) ~= "function" then error("bad argument #1 to 'spawn' (function expected)", 2) end
    local args = pack(...)
    local co = coroutine.create(function() return fn(unpack(args, 1, args.n)) end)
    local t = {co = co, net = self}
    tasks_of[co] = t
    local list = tasks(self)
    list[#list + 1] = t
    if not self:_in_hook() then resume(self, t) end
    return co
  end

  --- l:accept([timeout]) -> an established connection | nil, "ETIMEDOUT: ...", "ETIMEDOUT"
  -- With timeout 0: the connection, or nil when none is ready. Inside a hook it raises.
  function Listener:accept(timeout)
    check_self(self, "synack.listener", "accept")
    check_timeout(timeout, "accept", 1)
    -- a connection ready, or timeout 0: at once (inside a hook _accept raises)
    local c = raw_accept(self)
    if c ~= nil or timeout == 0 then return c end
    local r, why = wait(self.net, function() return raw_accept(self) end, timeout)
    if r then return r[1] end
    return gave_up(self.net, why, "no connection to accept", timeout)
  end

  --- c:recv([max [, timeout]]) -> string | nil, "EOF", "EOF" | nil, err, code
  -- Waits for at least one byte, the peer's FIN or an error; with timeout 0
  -- it returns "" when nothing is buffered. Inside a hook it raises.
  function Conn:recv(max, timeout)
    check_self(self, "synack.conn", "recv")
    check_timeout(timeout, "recv", 2)
    -- bytes buffered, EOF, an error, or timeout 0: at once (inside a hook _recv raises)
    local s, err, code = raw_recv(self, max)
    if s == nil then return nil, err, code end
    if s ~= "" or timeout == 0 then return s end
    local r, why = wait(self.net, function()
      s, err, code = raw_recv(self, max)
      if s == "" then return nil end
      return {s, err, code, n = s and 1 or 3}
    end, timeout)
    if r then return unpack(r[1], 1, r[1].n) end
    return gave_up(self.net, why, "nothing received", timeout)
  end

  --- c:sendall(data [, timeout]) -> #data | nil, err, code
  -- Sends all of `data`, waiting for room in the send buffer as needed.
  function Conn:sendall(data, timeout)
    check_self(self, "synack.conn", "sendall")
    if type(data) ~= "string" then error("bad argument #1 to 'sendall' (string expected)", 2) end
    check_timeout(timeout, "sendall", 2)
    local net, off = self.net, 1
    local deadline = timeout and on_grid(net.now + timeout)
    while off <= #data do
      local r, why = wait(net, function()
        local n, err, code = self:send(off == 1 and data or data:sub(off))
        if not n then return {nil, err, code, n = 3} end
        if n > 0 then off = off + n; return {n, n = 1} end
      end, deadline and math.max(deadline - net.now, 0))
      if not r then return gave_up(net, why, "no room in the send buffer", timeout) end
      if r[1][1] == nil then return unpack(r[1], 1, 3) end
    end
    return #data
  end

  -- RFC 9293's state names, as c.state spells them
  local STATES = {}
  for _, n in ipairs{"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
    "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"} do
    STATES[n] = true
  end

  --- c:wait(state [, timeout]) -> true | nil, err, code
  -- Waits until the connection is in `state` ("ESTABLISHED", "CLOSED", ...).
  -- A connection that closes first answers with the error that closed it.
  function Conn:wait(state, timeout)
    check_self(self, "synack.conn", "wait")
    if type(state) ~= "string" then error("bad argument #1 to 'wait' (state name expected)", 2) end
    if not STATES[state] then
      error("bad argument #1 to 'wait' (unknown state '" .. state .. "')", 2)
    end
    check_timeout(timeout, "wait", 2)
    local net = self.net
    local r, why = wait(net, function()
      local s = self.state
      if s == state then return {true, n = 1} end
      if s == "CLOSED" then
        local msg, code = self:_error()
        if not msg then msg, code = "ENOTCONN: connection closed before reaching " .. state, "ENOTCONN" end
        return {nil, msg, code, n = 3}
      end
    end, timeout)
    if r then return unpack(r[1], 1, r[1].n) end
    return gave_up(net, why, state .. " not reached", timeout)
  end
end

return M
