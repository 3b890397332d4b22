--- kernel_lib.lua: what the kernel_*.lua scripts share (loaded with dofile).
-- They run inside the private network namespace spec/kernel_spec.lua makes
-- for each (spec/realtime/netns.lua): a TUN device synack0 whose kernel side
-- is 198.18.0.1 / 2001:db8::1, synack's hosts 198.18.0.2 / 2001:db8::2, and
-- the kernel's programs played by spec/realtime/kernel_peer.py.
local synack = require "synack"

local M = {}
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
-- the tools run without what this process was started with (a sanitizer's LD_PRELOAD)
M.tool = "env -u LD_PRELOAD "

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end
M.exists = exists

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
M.slurp = slurp

local python = exists("/usr/bin/python3") and "/usr/bin/python3" or "python3"

--- The pattern kernel_peer.py sends: byte i is (i * 13 + 7) % 256, i from 0.
function M.pattern(n)
  local t = {}
  for i = 1, n do t[i] = string.char(((i - 1) * 13 + 7) % 256) end
  return table.concat(t)
end

--- A real network on a fresh TUN device, its capture in dir/run.pcap, and
-- one synack host per family. hostopts: more fields for net:host.
function M.setup(dir, hostopts)
  local net = synack.network{clock = "real", trace = true} -- finish() reads the whole trace
  local tun, err = net:tun{name = "synack0", addr = {"198.18.0.1/24", "2001:db8::1/64"}, mtu = 1500}
  assert(tun, "cannot open the TUN device: " .. tostring(err))
  assert(net:capture(dir .. "/run.pcap"))
  local function host(addr)
    local o = {addr = addr, link = tun}
    for k, v in pairs(hostopts or {}) do o[k] = v end
    return assert(net:host(o))
  end
  local env = {net = net, tun = tun, dir = dir, pcap = dir .. "/run.pcap", t0 = os.time()}
  -- per family: synack's host, its address, and the kernel's address
  env.families = {
    {v = 4, host = host("198.18.0.2"), addr = "198.18.0.2", kernel = "198.18.0.1"},
    {v = 6, host = host("2001:db8::2"), addr = "2001:db8::2", kernel = "2001:db8::1"},
  }
  return env
end

local Peer = {}
Peer.__index = Peer
local serial = 0

--- Start kernel_peer.py in the background: mode "listen" or "connect", the
-- kernel-side or synack-side address and port, and the steps.
function M.peer(env, mode, addr, port, steps)
  serial = serial + 1
  local base = env.dir .. "/peer" .. serial
  local cmd = python .. " -u " .. here .. "/kernel_peer.py " .. mode .. " " .. addr .. " " .. port
  for _, s in ipairs(steps) do cmd = cmd .. " '" .. s .. "'" end
  -- the status file appears only once it holds the exit status; the whole
  -- job is detached from our stdout, and bounded in time
  os.execute("(" .. M.tool .. "timeout -k 5 30 " .. cmd .. " > " .. base .. ".log 2>&1; echo $? > " .. base
    .. ".rc.tmp; mv " .. base .. ".rc.tmp " .. base .. ".rc) > /dev/null 2>&1 &")
  return setmetatable({env = env, base = base, what = mode .. " " .. addr .. " " .. port}, Peer)
end

--- Everything the peer printed so far.
function Peer:log()
  return slurp(self.base .. ".log") or ""
end

--- Drive the network until the peer printed a line matching `pat` (a Lua
-- pattern, anchored per line); raises after `seconds`.
function Peer:wait_line(pat, seconds)
  local line
  local function find()
    -- complete lines only: the peer may be writing the last one
    for l in self:log():gmatch("([^\n]*)\n") do
      if l:find(pat) then line = l return true end
      if l:find("^error ") then return true end
    end
    return false
  end
  local ok = self.env.net:run_until(find, seconds or 10)
  assert(ok and line, "kernel peer (" .. self.what .. ") never printed " .. pat .. ":\n" .. self:log())
  return line
end

--- Drive the network until the peer exited; raises unless it exited 0.
-- Returns its output.
function Peer:finish(seconds)
  local rc = self.base .. ".rc"
  assert(self.env.net:run_until(function() return exists(rc) end, seconds or 10),
    "kernel peer (" .. self.what .. ") did not finish:\n" .. self:log())
  local code = slurp(rc):match("%d+")
  assert(code == "0", "kernel peer (" .. self.what .. ") exited " .. tostring(code) .. ":\n" .. self:log())
  return self:log()
end

--- The local "addr", port the peer printed ("local ADDR PORT").
function Peer:endpoint()
  local line = self:wait_line("^local ")
  local a, p = line:match("^local (%S+) (%d+)$")
  assert(a, "kernel peer: " .. line)
  return a, tonumber(p)
end

--- The fields of the peer's "info" line, as numbers.
function Peer:info()
  local line = self:wait_line("^info ")
  local t = {}
  for k, v in line:gmatch("([%w_]+)=(%d+)") do t[k] = tonumber(v) end
  return t
end

--- The kernel's TCP sockets in `state` (an ss state name: time-wait, ...),
-- as the lines `ss` prints (Recv-Q Send-Q Local Peer).
function M.ss(state)
  local p = assert(io.popen(M.tool .. "ss -Htan state " .. state .. " 2>&1"))
  local lines = {}
  for l in p:lines() do lines[#lines + 1] = l end
  p:close()
  return lines
end

--- Whether the kernel holds a socket in `state` whose local end is addr:port.
function M.kernel_has(state, addr, port)
  local want = (addr:find(":") and "[" .. addr .. "]" or addr) .. ":" .. port
  for _, l in ipairs(M.ss(state)) do
    local loc = l:match("^%s*%d+%s+%d+%s+(%S+)")
    if loc == want then return true end
  end
  return false
end

--- Record the states a connection goes through (the `to` of each change),
-- after `first`; list.at[name] is when it entered that state. On a listener:
-- those of the connections it makes.
function M.states(obj, first)
  local list = {first, at = {}}
  local net = obj.net
  obj:on("state", function(_, _, to)
    list[#list + 1] = to
    list.at[to] = net.now
  end)
  return list
end

--- Close the network (flushing the capture), check it with tshark, check that
-- every libuv handle is closed, and print the closing "ok" lines.
function M.finish(env, sources)
  -- synack found every packet from the kernel well checksummed
  local drops = {}
  for _, ev in ipairs(env.net:trace()) do
    if ev.kind == "drop" then drops[ev.why] = (drops[ev.why] or 0) + 1 end
    assert(not (ev.kind == "drop" and ev.why == "checksum"), "synack dropped a packet as corrupt: " .. tostring(ev))
  end
  env.net:close()
  synack._uv_run("nowait")
  -- Wireshark verifies both checksums; any bad one, a malformed packet or
  -- another error-level expert note is a failure
  local p = assert(io.popen(M.tool .. "tshark -r " .. env.pcap .. " -n -o tcp.check_checksum:TRUE"
    .. " -o ip.check_checksum:TRUE -T fields -E separator=/t -e frame.number -e ip.src -e ipv6.src"
    .. " -e tcp.checksum.status -e tcp.checksum.ffff -e ip.checksum.status -e _ws.malformed"
    .. " -e _ws.expert.severity 2>"
    .. env.dir .. "/tshark.err"))
  local rows, srcs, bad = 0, {}, {}
  for line in p:lines() do
    local n, v4, v6, tcpst, ffff, ipst, malformed, sev = line:match("^(%d+)\t([^\t]*)\t([^\t]*)\t([^\t]*)"
      .. "\t([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    assert(n, "tshark: " .. line)
    rows = rows + 1
    srcs[v4 ~= "" and v4 or v6] = true
    local error_level = false
    for s in sev:gmatch("%d+") do
      if tonumber(s) >= 8388608 then error_level = true end -- PI_ERROR
    end
    -- A TCP checksum field of 0xffff where 0x0000 was computed is right: both
    -- are zero in one's complement arithmetic (RFC 1624 section 3), the sum a
    -- receiver checks is the same, and Linux sends it now and then; Wireshark
    -- calls it bad, with a warning only (tcp.checksum.ffff).
    if tcpst == "0" and ffff ~= "" then tcpst = "1" end
    -- the kernel's own ICMPv6 (router solicitations) shows too: no TCP status
    if tcpst == "0" or ipst == "0" or malformed ~= "" or error_level then bad[#bad + 1] = line end
  end
  assert(p:close(), "tshark failed: " .. (slurp(env.dir .. "/tshark.err") or ""))
  assert(rows > 0, "tshark read no packet: " .. (slurp(env.dir .. "/tshark.err") or ""))
  if #bad > 0 then
    -- say what is wrong with the first few, in Wireshark's words
    local frames = {}
    for i = 1, math.min(#bad, 3) do frames[i] = "frame.number == " .. bad[i]:match("^%d+") end
    local v = io.popen(M.tool .. "tshark -r " .. env.pcap .. " -n -o tcp.check_checksum:TRUE"
      .. " -o ip.check_checksum:TRUE -x -V -Y '" .. table.concat(frames, " || ") .. "' 2>&1")
    local detail = v:read("*a")
    v:close()
    error("tshark: bad packets: " .. table.concat(bad, " | ") .. "\n" .. detail)
  end
  for _, a in ipairs(sources or {"198.18.0.1", "198.18.0.2", "2001:db8::1", "2001:db8::2"}) do
    assert(srcs[a], "no packet from " .. a .. " in the capture")
  end
  local why = {}
  for k, v in pairs(drops) do why[#why + 1] = k .. " " .. v end
  table.sort(why)
  print(("ok capture: %d packets, both directions, no bad checksum, nothing malformed (tshark);"
    .. " synack's drops: %s"):format(rows, #why > 0 and table.concat(why, ", ") or "none"))
  assert(synack._uv_handles() == 0, "handles left open")
  print("ok handles closed (" .. os.time() - env.t0 .. " s)")
end

return M
