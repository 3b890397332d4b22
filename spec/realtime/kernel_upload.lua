--- Run by kernel_spec.lua inside a private network namespace: a synack client
-- uploads 1 MiB to a sink on the Linux kernel's TCP (kernel_peer.py, which
-- writes what it read to a file), over IPv4 and IPv6; the file must be
-- byte-exact. Prints "ok <what>" lines; any failure raises.
-- Usage: kernel_upload.lua workdir
local k = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/kernel_lib.lua")

local env = k.setup((assert(arg[1], "usage: kernel_upload.lua workdir")))
local data = k.pattern(1048576):reverse() -- not what the peer's own pattern would be

for _, f in ipairs(env.families) do
  local out = env.dir .. "/upload" .. f.v
  local peer = k.peer(env, "listen", f.kernel, 9000, {"recvall=" .. out, "close"})
  peer:wait_line("^listening")
  local t0 = env.net.now
  local c = assert(f.host:connect(f.kernel, 9000))
  assert(c:wait("ESTABLISHED", 5))
  assert(c:sendall(data, 20) == #data)
  assert(c:close())
  local log = peer:finish(20)
  assert(log:find("received 1048576\n", 1, true), log)
  local got = k.slurp(out)
  assert(got == data, ("IPv%d: the sink got %d bytes, not the 1 MiB sent"):format(f.v, #got))
  -- the peer closed after reading EOF: synack closed first, and waits in TIME-WAIT
  assert(c:wait("TIME-WAIT", 5))
  print(("ok uploaded 1 MiB to a kernel sink over IPv%d byte-exact in %.3f s (%d retransmits)")
    :format(f.v, env.net.now - t0, c:info().retransmits))
end

k.finish(env)
