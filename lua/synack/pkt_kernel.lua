--- synack.pkt_kernel: the kernel target of synack.pkt. The same script runs
-- against the Linux kernel's TCP, in real time, as packetdrill does it
-- (internal: not part of the API):
--
-- * Each script runs in a child process in a network namespace of its own
--   (`unshare --net`, or `unshare --user --map-root-user --net` where only
--   that is allowed), so nothing touches the machine's interfaces and no
--   socket of one script (a TIME-WAIT, a listener) outlives it.
-- * There the child makes a TUN device (`net:tun{}` of a real-clock synack
--   network) with 198.18.0.1/24 (IPv6: 2001:db8::1/64, MTU 1520): the
--   kernel owns the script's local side. The remote side is a raw synack
--   host at 198.18.0.2 (2001:db8::2) on that TUN link: it injects the `<`
--   packets into the kernel and receives what the kernel sends, for the `>`
--   lines. Addresses, ports, ISNs and the MTU are the synack target's, so
--   scripts do not depend on the target.
-- * Over IPv4 the namespace has IPv6 off; over IPv6 it is on, but the TUN
--   gets no link-local address, no duplicate address detection and sends no
--   router solicitations, so the kernel puts nothing but TCP on the link.
--   Sockets the script makes as AF_INET are AF_INET6 then, as in
--   packetdrill.
-- * System calls run on real kernel sockets (synack.ksock). Every socket is
--   non-blocking underneath; a call the script makes on a blocking socket
--   that would block (accept, connect, read, write) is retried as the
--   script's time goes by until it completes, which is how the synack target
--   runs them too (a `start...end` line). The script's view of O_NONBLOCK is
--   kept apart from the socket's.
-- * Times are checked with a tolerance: the larger of tolerance_usecs
--   (default 4000) and tolerance_percent (default 12.5) of the time since the
--   previous line, as packetdrill does.
--
--   pkt_kernel.available()          --> true | nil, why
--   pkt_kernel.run_outside(text, opts, events) --> true | nil, message [, "unavailable"]
--   pkt_kernel.runner(opts)         --> a runner for synack.pkt_run (in the namespace)
--   pkt_kernel.child(path, opts)    -- the child's entry point
--   pkt_kernel.probe()              -- the child's entry point for available()
local expect = require "synack.expect"
local synack = require "synack"
local lang = require "synack.pkt_lang"
local sys = require "synack.pkt_sys"
local run = require "synack.pkt_run"

local M = {}

local fail, value, boxed, bor, band, us = lang.fail, lang.value, lang.boxed, lang.bor, lang.band, lang.us
local on_sock, BLOCK = sys.on_sock, sys.BLOCK
local S = lang.SYMBOLS
local ksock = synack.ksock

local TUN_NAME = "pkt0"
local STEP = 1000       -- µs: how often blocked calls are retried while waiting
local SPIN = 1500       -- µs: how long before an event the runner stops sleeping
local ANY_WAIT = 10e6   -- µs: how long a `*` line waits for its packet
local LATE = 2e6        -- µs: how long to look for a packet that did not come in time

-- System calls on kernel sockets ----------------------------------------------------

local K = {}

--- A new script descriptor for kernel descriptor fd.
local function new_fd(R, fd, nonblock)
  return sys.add_fd(R, {fd = fd, nonblock = nonblock})
end

function K.socket(R, a)
  local domain = value(a[1]) or S.AF_INET
  if domain == S.AF_INET and R.ip.version == "ipv6" then domain = S.AF_INET6 end
  local kind = value(a[2]) or S.SOCK_STREAM
  local proto = value(a[3]) or S.IPPROTO_TCP
  local fd, _, code = ksock.socket(domain, bor(kind, S.SOCK_NONBLOCK), proto)
  if not fd then return -1, code end
  return new_fd(R, fd, band(kind, S.SOCK_NONBLOCK) ~= 0)
end

--- The level and option name of a[2], a[3] (symbols or numbers).
local function option(a, call)
  local level, name = value(a[2]), value(a[3])
  if not (level and name) then fail("%s: expected a level and an option name", call) end
  return level, name
end

K.setsockopt = on_sock(function(_, a, s)
  local level, name = option(a, "setsockopt")
  local v = boxed(a[4])
  if not v then fail("setsockopt: expected an integer value as [v]") end
  local ok, _, code = ksock.setsockopt(s.fd, level, name, v)
  if not ok then return -1, code end
  return 0
end)

K.getsockopt = on_sock(function(_, a, s)
  local level, name = option(a, "getsockopt")
  local actual, _, code = ksock.getsockopt(s.fd, level, name)
  if not actual then return -1, code end
  sys.check_sockopt(a, actual)
  return 0
end)

K.bind = on_sock(function(R, _, s)
  local ok, _, code = ksock.bind(s.fd, R.ip.local_addr, lang.PORT)
  if not ok then return -1, code end
  return 0
end)

K.listen = on_sock(function(_, a, s)
  local ok, _, code = ksock.listen(s.fd, value(a[2]) or 128)
  if not ok then return -1, code end
  return 0
end)

--- rc, errno of a call that completed; nothing while it would block.
local function unless_eagain(rc, code)
  if rc then return rc end
  if code ~= "EAGAIN" then return -1, code end
end

--- Run try() once; a call on a blocking socket that would block becomes pending.
local function call(s, try)
  local rc, errno = try()
  if rc then return rc, errno end
  if s.nonblock then return -1, "EAGAIN" end
  return BLOCK, try
end

K.accept = on_sock(function(R, _, s)
  return call(s, function()
    local fd, _, code = ksock.accept(s.fd, S.SOCK_NONBLOCK)
    if fd then return new_fd(R, fd, false) end -- accept() does not pass O_NONBLOCK on
    return unless_eagain(nil, code)
  end)
end)

K.connect = on_sock(function(R, _, s)
  local ok, _, code = ksock.connect(s.fd, R.ip.remote_addr, lang.PORT)
  if ok then return 0 end
  if code ~= "EINPROGRESS" or s.nonblock then return -1, code end
  return BLOCK, function() -- done once the socket is writable or failed: SO_ERROR says which
    local r = ksock.poll(s.fd, S.POLLOUT)
    if not r or r == 0 then return nil end
    local e = ksock.getsockopt(s.fd, S.SOL_SOCKET, S.SO_ERROR)
    if e == 0 then return 0 end
    return -1, ksock.errname(e or 5) or ("E" .. tostring(e))
  end
end)

local reader = on_sock(function(_, a, s)
  -- (ksock.recv reads at most 16 MiB at once, as a short read would)
  local max = math.min(math.max(value(a[3]) or 65536, 1), 16 * 1024 * 1024)
  return call(s, function()
    local data, _, code = ksock.recv(s.fd, max)
    return unless_eagain(data and #data, code)
  end)
end)
K.read, K.recv = reader, reader

--- A blocking write returns once every byte is in the send buffer (or it fails).
local writer = on_sock(function(_, a, s)
  local len = value(a[3]) or 0
  local done = 0
  return call(s, function()
    local n, _, code = ksock.send(s.fd, string.rep("x", len - done))
    if not n then
      if done > 0 and code ~= "EAGAIN" then return done end
      return unless_eagain(nil, code)
    end
    done = done + n
    if done == len or s.nonblock then return done end
  end)
end)
K.write, K.send = writer, writer

K.shutdown = on_sock(function(_, a, s)
  local ok, _, code = ksock.shutdown(s.fd, value(a[2]) or S.SHUT_RDWR)
  if not ok then return -1, code end
  return 0
end)

K.close = on_sock(function(R, _, s, n)
  R.fds[n] = nil
  local ok, _, code = ksock.close(s.fd)
  if not ok then return -1, code end
  return 0
end)

K.fcntl, K.poll = sys.fcntl, sys.poll -- the script's view of O_NONBLOCK; poll asks R.revents

local function revents(s, events)
  return ksock.poll(s.fd, events) or S.POLLNVAL
end

-- The runner, inside the namespace -----------------------------------------------------

--- Write a sysctl of this namespace; quietly nothing when it cannot.
local function sysctl(path, v)
  local f = io.open("/proc/sys/" .. path, "w")
  if f then
    f:write(v)
    f:close()
  end
end

--- Keep the kernel from putting anything but the script's TCP on the TUN.
-- Over IPv4: IPv6 off (else router solicitations). Over IPv6, for the devices
-- made from now on: no link-local address (addr_gen_mode 1) and no router
-- solicitations (they would go out from that address), no duplicate address
-- detection (a TUN is NOARP, which skips it anyway). A NOARP device joins no
-- solicited-node group, so no multicast listener report goes out either.
local function quiet(version)
  if version ~= "ipv6" then
    sysctl("net/ipv6/conf/all/disable_ipv6", "1")
    sysctl("net/ipv6/conf/default/disable_ipv6", "1")
    return
  end
  for _, dev in ipairs({"all", "default"}) do
    local conf = "net/ipv6/conf/" .. dev .. "/"
    sysctl(conf .. "disable_ipv6", "0")
    sysctl(conf .. "addr_gen_mode", "1")
    sysctl(conf .. "router_solicitations", "0")
    sysctl(conf .. "accept_dad", "0")
    sysctl(conf .. "dad_transmits", "0")
  end
end

--- Wait (at most a second) until the kernel lets a socket bind the local
-- address. An IPv6 address is "tentative" for a moment after the TUN comes
-- up, even without duplicate address detection: until then bind() says
-- EADDRNOTAVAIL and nothing goes out from it.
local function address_usable(net, ip)
  local domain = ip.version == "ipv6" and S.AF_INET6 or S.AF_INET
  local code
  for _ = 1, 1000 do
    local fd
    fd, _, code = ksock.socket(domain, S.SOCK_STREAM, S.IPPROTO_TCP)
    if not fd then break end
    local ok
    ok, _, code = ksock.bind(fd, ip.local_addr, 0)
    ksock.close(fd)
    if ok then return true end
    if code ~= "EADDRNOTAVAIL" then break end
    net:advance(0.001)
  end
  return nil, "the kernel does not take " .. ip.local_addr .. " on the TUN device: " .. tostring(code)
end

--- runner(opts) -> a runner for synack.pkt_run | nil, why. Only in a namespace of our own.
function M.runner(opts)
  local ip, why = lang.ip(opts)
  if not ip then return nil, why end
  quiet(ip.version)
  -- the TCP options on, whatever this kernel's defaults are (net.ipv4's hold for IPv6 too)
  for _, o in ipairs({"tcp_timestamps", "tcp_sack", "tcp_window_scaling"}) do sysctl("net/ipv4/" .. o, "1") end
  os.execute("ip link set lo up 2>/dev/null")
  local net = synack.network{clock = "real"}
  local tun, err = net:tun{name = TUN_NAME, addr = ip.local_addr .. "/" .. ip.prefix, mtu = ip.mtu}
  if not tun then
    net:close()
    return nil, "cannot make a TUN device: " .. tostring(err)
  end
  local usable, why_not = address_usable(net, ip)
  if not usable then
    net:close()
    return nil, why_not
  end
  local R = {net = net, ip = ip, sys = K, revents = revents, late = LATE, any_wait = ANY_WAIT,
    tol_us = opts.tolerance_usecs or 4000, tol_pct = opts.tolerance_percent or 12.5}
  run.attach_remote(R, tun, opts)
  local t0
  function R.now() return us(net.now) - t0 end
  function R.time_of(ev) return us(ev.t) - t0 end
  -- the trace: one line per packet, `<` injected into the kernel, `>` from it
  local function trace(dir, seg)
    if opts.trace then opts.trace(string.format("%.6f %s %s", R.now() / 1e6, dir, tostring(seg))) end
  end
  function R.inject(seg)
    trace("<", seg)
    return R.t:inject(seg)
  end
  if opts.trace then
    R.t:on("segment", function(_, seg, dir)
      if dir == "in" then trace(">", seg) end
    end)
  end

  function R.close()
    for _, s in pairs(R.fds) do ksock.close(s.fd) end
    R.fds = {}
    net:close()
  end

  local function has_segment() return R.st.queue[R.st.head] ~= nil end

  --- Wait until script time `target`, retrying the blocked calls as it goes.
  -- The network's timers count whole milliseconds and wake up to one late, so
  -- the last SPIN microseconds are spun (the packets that come meanwhile are
  -- read just after).
  function R.advance_to(target)
    while true do
      R.check_pending()
      local left = target - R.now()
      if left <= SPIN then break end
      net:advance(math.min(left - SPIN, R.pending[1] and STEP or math.huge) / 1e6)
    end
    while R.now() < target do end -- at most SPIN µs
    R.check_pending()
  end

  --- The next segment the remote side receives by script time `deadline`, or nil.
  function R.wait_segment(deadline)
    while true do
      local ev = expect.pop(R.st)
      if ev then return ev end
      R.check_pending()
      local left = deadline - R.now()
      if left <= 0 then return nil end
      if R.pending[1] then left = math.min(left, STEP) end
      net:run_until(has_segment, left / 1e6)
    end
  end

  t0 = us(net.now)
  return R
end

-- The child process ------------------------------------------------------------------
--
-- It prints one line per trace line ("T ..."), per line of the message ("M
-- ..."), and last the result: "R ok", "R fail" or "R unavailable".

local function say(tag, text)
  for line in (text .. "\n"):gmatch("(.-)\n") do io.stdout:write(tag, " ", line, "\n") end
end

--- Run the script here, in the namespace, on the kernel runner: what
-- synack.pkt's run_string does for the synack target.
local function run_here(text, opts)
  local name = opts.name or "script"
  local events, msg = run.parse(text, name)
  if not events then return nil, msg end
  local R, why = M.runner(opts)
  if not R then return nil, name .. ": " .. why, "unavailable" end
  return run.run(R, events, name)
end

--- The child: run the script in file `path` with the kernel runner.
function M.child(path, opts)
  io.stdout:setvbuf("line")
  local f = assert(io.open(path, "r"))
  local text = f:read("*a")
  f:close()
  if opts.trace then opts.trace = function(line) say("T", line) end end
  local ok, msg, code = run_here(text, opts)
  if ok then
    io.stdout:write("R ok\n")
  else
    say("M", msg)
    io.stdout:write(code == "unavailable" and "R unavailable\n" or "R fail\n")
  end
end

--- The child of available(): can a TUN device be made here?
function M.probe()
  local net = synack.network{clock = "real"}
  local ip = assert(lang.ip({}))
  local tun, err = net:tun{name = TUN_NAME, addr = ip.local_addr .. "/" .. ip.prefix}
  net:close()
  if tun then
    io.stdout:write("R ok\n")
  else
    say("M", "cannot make a TUN device in a network namespace: " .. tostring(err))
    io.stdout:write("R unavailable\n")
  end
end

-- Outside: starting the child --------------------------------------------------------

local function sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- The interpreter running this process (so the child runs the same Lua).
local function interpreter()
  local p = io.popen("readlink /proc/$PPID/exe 2>/dev/null") -- $PPID: this process
  local exe = p and p:read("*l")
  if p then p:close() end
  if exe and exe ~= "" then return exe end
  return arg and arg[-1] or "lua"
end

local function has(cmd)
  local p = io.popen("command -v " .. cmd .. " 2>/dev/null")
  local out = p and p:read("*a") or ""
  if p then p:close() end
  return out:match("%S") ~= nil
end

--- Run `chunk` (Lua) in a child under `prefix` for at most `secs`: its parsed output.
local function run_child(prefix, chunk, secs)
  local lua = string.format("package.path=%q package.cpath=%q %s", package.path, package.cpath, chunk)
  local cmd = prefix .. " -- " .. sh_quote(interpreter()) .. " -e " .. sh_quote(lua) .. " 2>&1"
  if has("timeout") then cmd = string.format("timeout -k 2 %d %s", math.ceil(secs), cmd) end
  local p = assert(io.popen(cmd, "r"))
  local out = {trace = {}, msg = {}, other = {}}
  for line in p:lines() do
    local tag, rest = line:match("^([TMR]) (.*)$")
    if tag == "T" then out.trace[#out.trace + 1] = rest
    elseif tag == "M" then out.msg[#out.msg + 1] = rest
    elseif tag == "R" then out.result = rest
    else out.other[#out.other + 1] = line end
  end
  p:close()
  return out
end

local PREFIXES = {"unshare --net", "unshare --user --map-root-user --net"}
local chosen, why_not -- the prefix that works here, or why none does

--- available() -> true | nil, why: can scripts run against the kernel here?
function M.available()
  if chosen then return true end
  if why_not then return nil, why_not end
  if not has("unshare") then
    why_not = "unshare (util-linux) is not installed"
    return nil, why_not
  end
  local reasons = {}
  for _, prefix in ipairs(PREFIXES) do
    local out = run_child(prefix, "require('synack.pkt_kernel').probe()", 20)
    if out.result == "ok" then
      chosen = prefix
      return true
    end
    local text = table.concat(#out.msg > 0 and out.msg or out.other, " "):gsub("%s+$", "")
    reasons[#reasons + 1] = prefix .. ": " .. (text ~= "" and text or "failed")
  end
  why_not = "cannot make a network namespace with a TUN device (" .. table.concat(reasons, "; ") .. ")"
  return nil, why_not
end

--- An upper bound (seconds) on how long the events take, failures included.
local function duration(events)
  local rel, abs, any = 0, 0, 0
  for _, ev in ipairs(events) do
    local t = ev.time
    if t.any then any = any + 1
    elseif t.rel then rel = rel + t.hi
    else abs = math.max(abs, t.hi) end
    if t.stop then
      if t.stop_rel then rel = rel + t.stop else abs = math.max(abs, t.stop) end
    end
  end
  return rel + abs + any * ANY_WAIT / 1e6 + LATE / 1e6 + 15
end

--- A Lua table constructor for the options the child needs.
local function opts_literal(opts)
  local parts = {}
  for _, k in ipairs({"tolerance_usecs", "tolerance_percent", "remote_isn", "mtu"}) do
    if opts[k] ~= nil then
      if type(opts[k]) ~= "number" then error("synack.pkt: option " .. k .. " must be a number", 3) end
      parts[#parts + 1] = string.format("%s = %.17g", k, opts[k])
    end
  end
  parts[#parts + 1] = string.format("name = %q", opts.name or "script")
  parts[#parts + 1] = string.format("ip_version = %q", opts.ip_version or "ipv4")
  if opts.trace then parts[#parts + 1] = "trace = true" end
  return "{" .. table.concat(parts, ", ") .. "}"
end

--- run_outside(text, opts, events): run the script in a child, in a namespace of its own.
function M.run_outside(text, opts, events)
  local name = opts.name or "script"
  local ok, why = M.available()
  if not ok then return nil, name .. ": the kernel target is not available here: " .. why, "unavailable" end
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  local chunk = string.format("require('synack.pkt_kernel').child(%q, %s)", path, opts_literal(opts))
  local out = run_child(chosen, chunk, duration(events))
  os.remove(path)
  if type(opts.trace) == "function" then
    for _, line in ipairs(out.trace) do opts.trace(line) end
  end
  if out.result == "ok" then return true end
  local msg = table.concat(out.msg, "\n")
  if out.result == "unavailable" then return nil, msg, "unavailable" end
  if out.result ~= "fail" then
    msg = string.format("%s: the kernel target's child process ended without a result (killed by the time limit?)%s",
      name, #out.other > 0 and ("\n  " .. table.concat(out.other, "\n  ")) or "")
  end
  return nil, msg
end

return M
