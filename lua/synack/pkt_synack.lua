--- synack.pkt_synack: the synack target of synack.pkt. A script's local side
-- is a synack TCP host at 198.18.0.1 (IPv6: 2001:db8::1), its system calls
-- emulated on host:listen, host:connect, c:send, ...; the remote side is a
-- raw host at 198.18.0.2 (2001:db8::2). Both sit on a zero-delay wire of a
-- virtual network, so every time is exact and every run identical; the
-- hosts' MTU is the run's (1500, IPv6 1520: the MSS announced is 1460 on
-- both). Internal: not part of the API.
--
--   pkt_synack.runner(opts) --> a runner for synack.pkt_run | nil, message
--
-- opts: ip_version, mtu, seed (of the network: it picks the local ISNs),
-- remote_isn, trace.
local synack = require "synack"
local expect = require "synack.expect"
local lang = require "synack.pkt_lang"
local sys = require "synack.pkt_sys"
local run = require "synack.pkt_run"

local fail, value, boxed, bor, us = lang.fail, lang.value, lang.boxed, lang.bor, lang.us
local SYMBOLS, ERRNO = lang.SYMBOLS, lang.ERRNO
local on_sock, BLOCK = sys.on_sock, sys.BLOCK

local M = {}

-- System calls on a synack host --------------------------------------------------------
--
-- A socket is {opts =, nonblock =} and, once it has one, a listener `l` or
-- a connection `c`; `port` after bind(). opts are the connection options
-- setsockopt collected; error_read says the connection's error was reported.

--- The connection's error code (ECONNRESET, ...), or nil.
local function conn_error(c)
  local ok, info = pcall(c.info, c)
  return ok and info.error or nil
end

--- A copy of the socket's options, for one call to listen or connect.
local function conn_opts(s)
  local o = {}
  for k, v in pairs(s.opts) do o[k] = v end
  return o
end

local SYS = {fcntl = sys.fcntl, poll = sys.poll}

function SYS.socket(R)
  return sys.add_fd(R, {opts = {}, nonblock = false})
end

SYS.setsockopt = on_sock(function(_, a, s)
  local opt, v = value(a[3]), boxed(a[4])
  if a[3] == "SO_REUSEADDR" then return 0 end
  if a[3] == "TCP_NODELAY" then s.opts.nagle = v == 0
  elseif a[3] == "SO_RCVBUF" then s.opts.rcvbuf = v
  elseif a[3] == "SO_SNDBUF" then s.opts.sndbuf = v
  else fail("setsockopt: option %s is not supported", tostring(a[3] or opt)) end
  if s.c then fail("setsockopt: %s after connect/accept is not supported by synack", a[3]) end
  return 0
end)

--- What getsockopt answers for option `name` of socket s.
local function sockopt(s, name)
  if name == "SO_ERROR" then
    local e = s.c and not s.error_read and conn_error(s.c)
    if e then s.error_read = true end -- reading SO_ERROR clears it, as in Linux
    return e and (ERRNO[e] or 5) or 0
  elseif name == "SO_RCVBUF" or name == "SO_SNDBUF" then
    -- Linux reports double the size that was set (the rest is for its own
    -- bookkeeping); so do we
    local set = s.opts[name == "SO_RCVBUF" and "rcvbuf" or "sndbuf"]
    return set and 2 * set
  elseif name == "TCP_NODELAY" then
    return s.opts.nagle == false and 1 or 0
  end
  fail("getsockopt: option %s is not supported", tostring(name))
end

SYS.getsockopt = on_sock(function(_, a, s)
  sys.check_sockopt(a, sockopt(s, a[3]))
  return 0
end)

SYS.bind = on_sock(function(_, _, s)
  s.port = lang.PORT
  return 0
end)

SYS.listen = on_sock(function(R, a, s)
  local o = conn_opts(s)
  o.backlog = math.max(value(a[2]) or 128, 1)
  local l, err, code = R.h:listen(s.port or lang.PORT, o)
  if not l then return -1, code or err end
  s.l = l
  return 0
end)

SYS.accept = on_sock(function(R, _, s)
  if not s.l then return -1, "EINVAL" end
  local function try()
    local c = s.l:accept(0)
    if c then return sys.add_fd(R, {opts = {}, nonblock = false, c = c}) end
  end
  local fd = try()
  if fd then return fd end
  if s.nonblock then return -1, "EAGAIN" end
  return BLOCK, try
end)

--- connect() again on a socket that has a connection. As Linux answers it:
-- EALREADY while a non-blocking connect's handshake runs, then once 0 (or
-- the error) to confirm it; EISCONN after that, and after a blocking connect.
local function connect_again(s)
  local st = s.c.state
  if not s.connecting then return -1, "EISCONN" end
  if st == "SYN-SENT" or st == "SYN-RECEIVED" then return -1, "EALREADY" end
  s.connecting = false
  if st == "CLOSED" then
    local e = not s.error_read and conn_error(s.c)
    s.error_read = true
    return -1, e or "ECONNABORTED"
  end
  return 0
end

SYS.connect = on_sock(function(R, _, s)
  if s.c then return connect_again(s) end
  local c, err, code = R.h:connect(R.ip.remote_addr, lang.PORT, conn_opts(s))
  if not c then return -1, code or err end
  s.c = c
  local function try()
    if c.state == "ESTABLISHED" or c.state == "CLOSE-WAIT" then return 0 end
    if c.state == "CLOSED" then
      s.error_read = true
      return -1, conn_error(c) or "ECONNREFUSED"
    end
  end
  if s.nonblock then
    s.connecting = true
    return -1, "EINPROGRESS"
  end
  return BLOCK, try
end)

local reader = on_sock(function(_, a, s)
  if not s.c then return -1, "ENOTCONN" end
  local max = value(a[3]) or 65536
  local function try()
    local data, err, code = s.c:recv(math.max(max, 1), 0)
    if data and data ~= "" then return #data end
    if err == "EOF" then return 0 end
    if not data then
      if code and code == conn_error(s.c) then
        -- like Linux, report the connection's error once; after that, reads see the end of the stream
        if s.error_read then return 0 end
        s.error_read = true
      end
      return -1, code or err
    end
  end
  local n, e = try()
  if n then return n, e end
  if s.nonblock then return -1, "EAGAIN" end
  return BLOCK, try
end)
SYS.read, SYS.recv = reader, reader

local writer = on_sock(function(_, a, s)
  if not s.c then return -1, "EPIPE" end
  local len = value(a[3]) or 0
  local n, err, code = s.c:send(string.rep("x", len))
  if not n then
    if code and code == conn_error(s.c) then
      if s.error_read then return -1, "EPIPE" end -- the error itself only once, as Linux does
      s.error_read = true
    end
    return -1, code or err
  end
  if n == 0 and len > 0 and s.nonblock then return -1, "EAGAIN" end
  return n
end)
SYS.write, SYS.send = writer, writer

SYS.close = on_sock(function(R, _, s, fd)
  if s.c then s.c:close() end
  if s.l then s.l:close() end
  R.fds[fd] = nil
  return 0
end)

SYS.shutdown = on_sock(function(_, a, s)
  if not s.c then return -1, "ENOTCONN" end
  local how = value(a[2])
  if how == SYMBOLS.SHUT_RD then return 0 end
  local ok, err, code = s.c:shutdown()
  if not ok then return -1, code or err end
  return 0
end)

-- poll ----------------------------------------------------------------------------------

-- The states reached once the peer's FIN came (no more to read), and once
-- ours went out (no more to send).
local PEER_CLOSED = {["CLOSE-WAIT"] = true, ["LAST-ACK"] = true, CLOSING = true, ["TIME-WAIT"] = true,
  CLOSED = true}
local WE_CLOSED = {["FIN-WAIT-1"] = true, ["FIN-WAIT-2"] = true, ["LAST-ACK"] = true, CLOSING = true,
  ["TIME-WAIT"] = true, CLOSED = true}

--- poll's revents for socket s, following Linux's tcp_poll: POLLIN for a
-- listener with a connection to accept; for a connection, POLLOUT once
-- connected (also after a shutdown, since a write would not block), POLLIN
-- with data to read or after the peer's FIN, POLLHUP when both directions
-- are closed, POLLERR while an error waits to be read.
local function revents(s)
  local r = 0
  if s.l then
    if (s.l.pending or 0) > 0 then r = bor(r, SYMBOLS.POLLIN) end
    return r
  end
  if not s.c then return bor(SYMBOLS.POLLOUT, SYMBOLS.POLLHUP) end
  local state = s.c.state
  local ok, info = pcall(s.c.info, s.c)
  if ok and info.error and not s.error_read then r = bor(r, SYMBOLS.POLLERR) end
  if state == "SYN-SENT" or state == "SYN-RECEIVED" then return r end
  r = bor(r, SYMBOLS.POLLOUT)
  if (ok and info.recv_queued or 0) > 0 or PEER_CLOSED[state] then r = bor(r, SYMBOLS.POLLIN) end
  if PEER_CLOSED[state] and WE_CLOSED[state] then r = bor(r, SYMBOLS.POLLHUP) end
  return r
end

-- The runner ---------------------------------------------------------------------------

--- Step the network through every event due by script time `target` (µs),
-- then set its clock there.
local function advance_to(R, target)
  local net = R.net
  while true do
    R.check_pending()
    local d = net:_deadline()
    if not d or us(d) > target then break end
    net:step()
  end
  if R.now() < target then net:_setnow(target / 1e6) end
  R.check_pending()
end

--- The next segment the remote side receives by `deadline` (µs; nil: while
-- anything is left to happen), or nil.
local function wait_segment(R, deadline)
  local net = R.net
  while true do
    local ev = expect.pop(R.st)
    if ev then return ev end
    local d = net:_deadline()
    if not d or (deadline and us(d) > deadline) then
      if deadline and R.now() < deadline then net:_setnow(deadline / 1e6) end
      return nil
    end
    net:step()
    R.check_pending()
  end
end

--- runner(opts) -> a runner on a new virtual network (see synack.pkt_run) | nil, message.
function M.runner(opts)
  local ip, why = lang.ip(opts)
  if not ip then return nil, why end
  local net = synack.network{seed = opts.seed or 1}
  local wire = net:wire{}
  local R = {net = net, ip = ip, sys = SYS, revents = revents, tol_us = 0, tol_pct = 0, late = 120e6}
  R.h = net:host{addr = ip.local_addr, link = wire, mtu = ip.mtu}
  run.attach_remote(R, wire, opts)
  if opts.trace then net:on("segment", function(_, seg, dir) opts.trace(dir .. " " .. tostring(seg)) end) end
  function R.now() return us(net.now) end
  function R.time_of(ev) return us(ev.t) end
  function R.inject(seg) return R.t:inject(seg) end
  function R.close() net:close() end
  function R.advance_to(target) advance_to(R, target) end
  function R.wait_segment(deadline) return wait_segment(R, deadline) end
  return R
end

return M
