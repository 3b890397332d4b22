--- Run by kernel_spec.lua inside a private network namespace: a RST from
-- either side is reported, with synack as client and as server, over IPv4
-- and IPv6.
--   - the kernel aborts (python closes with SO_LINGER {1, 0}): synack sees
--     the RST, is CLOSED, and recv and send both answer ECONNRESET;
--   - synack aborts (c:abort()): it sends a RST and is CLOSED (its calls then
--     answer ECONNABORTED); the kernel's program gets ConnectionResetError
--     (ECONNRESET) from recv, and the kernel keeps no socket.
-- Prints "ok <what>" lines; any failure raises. Usage: kernel_reset.lua workdir
local k = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/kernel_lib.lua")

local env = k.setup((assert(arg[1], "usage: kernel_reset.lua workdir")))
local net = env.net
local port = 9200

--- A connection between synack (`role`: "client" or "server") and a kernel
-- program running `steps`; returns c, the peer, the kernel's end, and the
-- RSTs c sees ({dir, ...}).
local function open(f, role, steps)
  port = port + 1
  local c, peer, l
  if role == "client" then
    peer = k.peer(env, "listen", f.kernel, port, steps)
    peer:wait_line("^listening")
    c = assert(f.host:connect(f.kernel, port))
    assert(c:wait("ESTABLISHED", 5))
  else
    l = assert(f.host:listen(port))
    peer = k.peer(env, "connect", f.addr, port, steps)
    c = assert(l:accept(10))
    l:close()
  end
  local rsts = {}
  c:on("rst", function(_, seg, dir) rsts[#rsts + 1] = dir .. " " .. seg.flags end)
  local addr, p = peer:endpoint()
  return c, peer, addr, p, rsts
end

local function kernel_aborts(f, role)
  local what = ("IPv%d kernel aborts, synack %s"):format(f.v, role)
  -- the kernel's program reads what synack sends, then closes with linger 0
  local c, peer, _, _, rsts = open(f, role, {"recv", "abort"})
  assert(c:send("ping") == 4)
  local log = peer:finish(5)
  assert(log:find("got 4 ping\naborted\n", 1, true), what .. ": the kernel's program saw:\n" .. log)
  local d, err, code = c:recv(nil, 5)
  assert(d == nil and code == "ECONNRESET" and err == "ECONNRESET: connection reset by peer",
    ("%s: recv answered %s, %s, %s"):format(what, tostring(d), tostring(err), tostring(code)))
  local n, err2, code2 = c:send("more")
  assert(n == nil and code2 == "ECONNRESET", ("%s: send answered %s, %s"):format(what, tostring(n), tostring(err2)))
  assert(c.state == "CLOSED", what .. ": in " .. c.state)
  assert(c:info().error == "ECONNRESET", what .. ": error " .. tostring(c:info().error))
  assert(#rsts == 1 and rsts[1]:find("^in R"), what .. ": RSTs " .. table.concat(rsts, ", "))
  print(("ok %s: synack got the RST (%s), CLOSED, recv and send answer ECONNRESET"):format(what, rsts[1]))
end

local function synack_aborts(f, role)
  local what = ("IPv%d synack %s aborts"):format(f.v, role)
  -- the kernel's program sends, then waits in recv
  local c, peer, kaddr, kport, rsts = open(f, role, {"sendtext=hello", "recv"})
  local d = assert(c:recv(nil, 5))
  assert(d == "hello", what .. ": got " .. d)
  assert(c:abort())
  assert(c.state == "CLOSED", what .. ": in " .. c.state)
  local _, _, code = c:recv(nil, 0)
  assert(code == "ECONNABORTED", what .. ": recv after abort answered " .. tostring(code))
  local log = peer:finish(5)
  assert(log:find("sent 5\nreset ECONNRESET\ndone\n", 1, true), what .. ": the kernel's program saw:\n" .. log)
  assert(#rsts == 1 and rsts[1]:find("^out R"), what .. ": RSTs " .. table.concat(rsts, ", "))
  assert(not k.kernel_has("all", kaddr, kport), what .. ": the kernel kept a socket:\n" .. table.concat(k.ss("all"),
    "\n"))
  print(("ok %s: synack sent %s; the kernel's recv raised ConnectionResetError (ECONNRESET), no socket left")
    :format(what, rsts[1]:sub(5)))
end

for _, f in ipairs(env.families) do
  for _, role in ipairs({"client", "server"}) do
    kernel_aborts(f, role)
    synack_aborts(f, role)
  end
end
net:advance(0.05) -- a stray answer from either side would still reach the capture

k.finish(env)
