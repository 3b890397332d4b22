--- Run by kernel_spec.lua inside a private network namespace: both close
-- orders between synack and the Linux kernel, with synack as client and as
-- server, over IPv4 and IPv6.
--   - synack closes first: the kernel's program reads the data then EOF, its
--     socket waits in CLOSE-WAIT (ss) while synack waits in FIN-WAIT-2; then
--     it closes, synack goes to TIME-WAIT for 2 MSL and CLOSED, and the
--     kernel keeps nothing (LAST-ACK ended with synack's ACK);
--   - the kernel closes first: synack reads the data then EOF (CLOSE-WAIT)
--     while the kernel waits in FIN-WAIT-2; synack answers (after a
--     half-close, the kernel's program reads the answer and EOF) and closes:
--     LAST-ACK, CLOSED, and the kernel's socket is in TIME-WAIT.
-- Prints "ok <what>" lines; any failure raises. Usage: kernel_close.lua workdir
local k = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/kernel_lib.lua")

local MSL = 0.1 -- TIME-WAIT lasts 2 MSL: short enough to see it end
local env = k.setup((assert(arg[1], "usage: kernel_close.lua workdir")), {msl = MSL})
local net = env.net
local port = 9100

--- The states a connection went through from ESTABLISHED on are `want`.
local function same(list, want, what)
  while list[1] and list[1] ~= "ESTABLISHED" do table.remove(list, 1) end
  assert(table.concat(list, " ") == table.concat(want, " "),
    what .. ": states " .. table.concat(list, " ") .. ", want " .. table.concat(want, " "))
end

--- Drive the network until the kernel holds (or no longer holds) a socket in
-- `state` at addr:port; raises after 3 s.
local function kernel_reaches(state, addr, p, want)
  if want == nil then want = true end
  local ok = net:run_until(function() return k.kernel_has(state, addr, p) == want end, 3)
  assert(ok, ("the kernel %s a socket at %s port %d in %s:\n%s"):format(want and "has no" or "still has", addr, p,
    state, table.concat(k.ss("all"), "\n")))
end

--- A connection between synack (`role`: "client" or "server") and a kernel
-- program running `steps`; returns c, the peer, the kernel's end, the list
-- of c's states.
local function open(f, role, steps)
  port = port + 1
  if role == "client" then
    local peer = k.peer(env, "listen", f.kernel, port, steps)
    peer:wait_line("^listening")
    local c = assert(f.host:connect(f.kernel, port))
    local states = k.states(c, c.state)
    assert(c:wait("ESTABLISHED", 5))
    return c, peer, f.kernel, port, states
  end
  local l = assert(f.host:listen(port))
  local states = k.states(l) -- the connection may be in CLOSE-WAIT before it is accepted
  local peer = k.peer(env, "connect", f.addr, port, steps)
  local c = assert(l:accept(10))
  local addr, p = peer:endpoint()
  return c, peer, addr, p, states, l
end

local function synack_first(f, role)
  local what = ("IPv%d synack %s closes first"):format(f.v, role)
  local c, peer, kaddr, kport, states, l = open(f, role, {"recv", "recv", "sleep=0.2", "close"})
  assert(c:send("hello") == 5)
  assert(c:close())
  peer:wait_line("^eof") -- the kernel's program read the data, then EOF
  assert(c:wait("FIN-WAIT-2", 2))
  kernel_reaches("close-wait", kaddr, kport)
  local log = peer:finish(5)
  assert(log:find("got 5 hello\neof\nclosed\n", 1, true), what .. ": the kernel's program saw:\n" .. log)
  assert(c:wait("CLOSED", 5))
  local held = states.at.CLOSED - states.at["TIME-WAIT"]
  assert(held >= 2 * MSL - 0.01 and held < 2 * MSL + 1, what .. ": TIME-WAIT lasted " .. held .. " s")
  kernel_reaches("all", kaddr, kport, false)
  same(states, {"ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"}, what)
  if l then l:close() end
  assert(c:info().error == nil, what .. ": an error " .. tostring(c:info().error))
  print(("ok %s: the kernel read EOF, CLOSE-WAIT/FIN-WAIT-2, then synack TIME-WAIT for %.2f s, CLOSED;"
    .. " the kernel keeps nothing"):format(what, held))
end

local function kernel_first(f, role)
  local what = ("IPv%d kernel closes first, synack %s"):format(f.v, role)
  -- as the server's peer, the kernel's program half-closes and reads the answer;
  -- as the client, it closes outright
  local steps = role == "client" and {"sendtext=hello", "shutdown", "recv", "recv", "close"}
    or {"sendtext=hello", "close"}
  local c, peer, kaddr, kport, states, l = open(f, role, steps)
  local got = {}
  while true do
    local d, err = c:recv(nil, 5)
    if not d then
      assert(err == "EOF", what .. ": recv: " .. tostring(err))
      break
    end
    got[#got + 1] = d
  end
  assert(table.concat(got) == "hello", what .. ": got " .. table.concat(got))
  assert(c.state == "CLOSE-WAIT", what .. ": in " .. c.state .. " after EOF")
  kernel_reaches("fin-wait-2", kaddr, kport)
  if role == "client" then assert(c:send("bye") == 3) end
  assert(c:close())
  assert(c:wait("CLOSED", 5))
  kernel_reaches("time-wait", kaddr, kport)
  local log = peer:finish(5)
  if role == "client" then
    assert(log:find("shutdown\ngot 3 bye\neof\nclosed\n", 1, true), what .. ": the kernel's program saw:\n" .. log)
  else
    assert(log:find("sent 5\nclosed\n", 1, true), what .. ": the kernel's program saw:\n" .. log)
  end
  same(states, {"ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"}, what)
  if l then l:close() end
  assert(c:info().error == nil, what .. ": an error " .. tostring(c:info().error))
  print(("ok %s: synack read EOF, CLOSE-WAIT/FIN-WAIT-2, LAST-ACK, CLOSED; the kernel in TIME-WAIT"):format(what))
end

for _, f in ipairs(env.families) do
  for _, role in ipairs({"client", "server"}) do
    synack_first(f, role)
    kernel_first(f, role)
  end
end

k.finish(env)
