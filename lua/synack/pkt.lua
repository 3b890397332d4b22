--- synack.pkt: run packetdrill scripts against synack's TCP, in virtual time,
-- or against the Linux kernel's TCP, in real time (synack.pkt_kernel).
--
--   local pkt = require "synack.pkt"
--   pkt.run_file(path [, opts])   --> true | nil, message [, "unavailable"]
--   pkt.run_string(text [, opts]) --> true | nil, message [, "unavailable"]
--   pkt.kernel_available()        --> true | nil, why
--
-- opts: target ("synack", the default, or "kernel"), tolerance_usecs and
-- tolerance_percent (kernel target: a time is met within the larger of the
-- two, default 4000 µs and 12.5 % of the time since the previous line; the
-- synack target is exact), name (for messages), seed (of the virtual
-- network: it picks the local ISNs), remote_isn (default 0), trace (a
-- function that gets one line per segment, for debugging). "unavailable":
-- the kernel target cannot run here (no network namespace or TUN device).
--
-- The script's "local" side is a synack TCP host at 198.18.0.1 (its system
-- calls are mapped onto host:listen, host:connect, c:send, ...); the
-- "remote" side is a raw host at 198.18.0.2 that injects the `<` packets
-- and observes what the `>` lines expect. Both sit on a zero-delay wire of
-- a virtual network, so every time is exact and every run identical.
-- bind() binds port 8080; connect() goes to 198.18.0.2:8080; the remote
-- side of a passive open uses port 40000 and ISN 0. The kernel target keeps
-- these addresses, ports and ISN (the kernel owns 198.18.0.1 on a TUN).
--
-- The language understood (one event per line, `//` and `/* */` comments):
--   time: `0.1` absolute, `+0.1` after the previous line, `*` any time,
--         `0.1~0.2` a range, `0.1...0.2` a system call that blocks from
--         0.1 until 0.2 (`+` before the end: relative to the start). After
--         a `>` line, `+` counts from when the packet really came.
--   packets: `< flags start:end(len) [ack N] [win N] [urg N] [<options>]`
--         to inject, `>` to expect; options: mss N, wscale N, sackOK,
--         sack a:b ..., TS val X ecr Y, nop, eol, or `<...>` for any.
--         Numbers are relative to each side's ISN, as in packetdrill. In an
--         expected packet, win is checked only when given, options must be
--         exactly those written (none when none are written), TS val is not
--         checked (ecr is), the payload's bytes are not checked (its length
--         is). Every packet the local side sends must be expected: one that
--         arrives before the line expecting it is reported as unexpected.
--   system calls: socket, setsockopt/getsockopt (SO_REUSEADDR, SO_ERROR,
--         SO_RCVBUF, SO_SNDBUF, TCP_NODELAY), bind, listen, accept, connect,
--         read, recv, write, send, close, shutdown, fcntl (F_GETFL, F_SETFL,
--         O_NONBLOCK), poll; `= value [ERRNO [(text)]]`; `...` stands for
--         arguments that do not matter.
--
-- A failure message starts with `name:line:` and the script line, then
-- says what differs; for a packet, the expected and the actual packet (in
-- the script's notation, relative numbers) and their times.
local expect = require "synack.expect"
local synack = require "synack"

local M = {}

local MOD = 4294967296
local LOCAL, REMOTE = "198.18.0.1", "198.18.0.2"
local PORT, REMOTE_PORT, REMOTE_ISN = 8080, 40000, 0
local ANY = expect.any

-- Failures ---------------------------------------------------------------------

local FAIL = {}
local function fail(fmt, ...)
  error(setmetatable({msg = string.format(fmt, ...)}, FAIL), 0)
end

local function us(seconds) return math.floor(seconds * 1e6 + 0.5) end
local function secs(micro) return string.format("%.6f", micro / 1e6) end

--- Bitwise or / and of small non-negative integers (no 5.3 operators: this runs on 5.1 too).
local function bor(a, b)
  local r, bit = 0, 1
  while a > 0 or b > 0 do
    if a % 2 == 1 or b % 2 == 1 then r = r + bit end
    a, b, bit = math.floor(a / 2), math.floor(b / 2), bit * 2
  end
  return r
end

local function band(a, b)
  local r, bit = 0, 1
  while a > 0 and b > 0 do
    if a % 2 == 1 and b % 2 == 1 then r = r + bit end
    a, b, bit = math.floor(a / 2), math.floor(b / 2), bit * 2
  end
  return r
end

-- Parsing ------------------------------------------------------------------------

--- The text with comments blanked (newlines kept, so line numbers hold).
local function strip_comments(text)
  text = text:gsub("/%*.-%*/", function(c) return (c:gsub("[^\n]", " ")) end)
  return (text:gsub("//[^\n]*", ""))
end

local function number(s, what)
  local n = tonumber(s)
  if not n then fail("bad %s %q", what, tostring(s)) end
  return n
end

--- A time expression: {any = true} or {rel = bool, lo = s, hi = s, stop = s, stop_rel = bool}.
local function parse_time(tok)
  if tok == "*" then return {any = true} end
  local t = {}
  local a, b = tok:match("^(.-)%.%.%.(.+)$")
  if a then
    tok = a
    t.stop_rel = b:sub(1, 1) == "+"
    t.stop = number(t.stop_rel and b:sub(2) or b, "time")
  end
  t.rel = tok:sub(1, 1) == "+"
  if t.rel then tok = tok:sub(2) end
  local lo, hi = tok:match("^(.-)~%+?(.+)$")
  t.lo = number(lo or tok, "time")
  t.hi = hi and number(hi, "time") or t.lo
  return t
end

--- Split s at top-level commas (outside (), [], {}).
local function split_args(s)
  local out, depth, cur = {}, 0, {}
  for c in s:gmatch(".") do
    if c == "(" or c == "[" or c == "{" then depth = depth + 1 end
    if c == ")" or c == "]" or c == "}" then depth = depth - 1 end
    if c == "," and depth == 0 then
      out[#out + 1] = table.concat(cur)
      cur = {}
    else
      cur[#cur + 1] = c
    end
  end
  local last = table.concat(cur)
  if last:match("%S") or #out > 0 then out[#out + 1] = last end
  for i, v in ipairs(out) do out[i] = v:match("^%s*(.-)%s*$") end
  return out
end

--- One TCP option of a packet line, in the list form synack.segment reads.
local function parse_option(s, outbound)
  local w = {}
  for x in s:gmatch("%S+") do w[#w + 1] = x end
  local k = w[1]
  if k == "nop" or k == "eol" or k == "sackOK" then return k end
  if k == "mss" or k == "wscale" then return {k, number(w[2], k)} end
  if k == "TS" and w[2] == "val" and w[4] == "ecr" then
    return {"ts", outbound and ANY or number(w[3], "TS val"), number(w[5], "TS ecr")}
  end
  if k == "sack" then
    local o = {"sack"}
    for i = 2, #w do
      local l, r = w[i]:match("^(%d+):(%d+)$")
      if not l then fail("bad SACK block %q", w[i]) end
      o[#o + 1] = {tonumber(l), tonumber(r)}
    end
    return o
  end
  fail("unknown TCP option %q", s)
end

--- `< S 0:0(0) win 1000 <mss 1000>` -> a packet table.
local function parse_packet(rest)
  local dir, body = rest:match("^([<>])%s*(.*)$")
  local p = {dir = dir}
  local b, opts = body:match("^(.-)%s*<(.*)>%s*$")
  if b then
    body = b
    if opts:match("^%s*%.%.%.%s*$") then
      p.options = ANY
    else
      p.options = {}
      for _, o in ipairs(split_args(opts)) do p.options[#p.options + 1] = parse_option(o, dir == ">") end
    end
  else
    p.options = {}
  end
  local w = {}
  for x in body:gmatch("%S+") do w[#w + 1] = x end
  p.flags = w[1]
  if not p.flags or not p.flags:match("^[FSRPUEW%.]+$") then fail("bad TCP flags %q", tostring(p.flags)) end
  local s, e, n = (w[2] or ""):match("^(%d+):(%d+)%((%d+)%)$")
  if not s then fail("expected start:end(length) after the flags, got %q", tostring(w[2])) end
  p.seq, p.len = tonumber(s), tonumber(n)
  if (tonumber(e) - p.seq) % MOD ~= p.len then fail("%s: end - start is not the length", w[2]) end
  local i = 3
  while w[i] do
    local key = w[i]
    if key ~= "ack" and key ~= "win" and key ~= "urg" then fail("unknown packet field %q", key) end
    p[key] = number(w[i + 1], key)
    i = i + 2
  end
  return p
end

--- `name(args) = ret ERRNO (text)` -> a call table.
local function parse_syscall(rest)
  local name, args, ret = rest:match("^([%w_]+)%s*(%b())%s*=%s*(.-)%s*$")
  if not name then
    name, args = rest:match("^([%w_]+)%s*(%b())%s*$")
    if not name then fail("cannot read %q as a packet or a system call", rest) end
    ret = nil
  end
  local call = {name = name, args = split_args(args:sub(2, -2))}
  if ret then
    local v, errno = ret:match("^(%S+)%s*(E[%u%d]*)")
    v = v or ret:match("^(%S+)")
    call.ret = number(v, "return value")
    call.errno = errno
  end
  return call
end

--- The script as a list of events {line =, text =, time =, packet = | call =}.
local function parse(text)
  local events, n = {}, 0
  for line in (strip_comments(text) .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local s = line:match("^%s*(.-)%s*$")
    if s ~= "" then
      local ok, ev = pcall(function()
        local tok, rest = s:match("^(%S+)%s+(.+)$")
        if not tok then fail("a line is a time and an event") end
        if rest:match("^`") or rest:match("^%%{") then fail("shell commands and Python are not supported") end
        local e = {line = n, text = s, time = parse_time(tok)}
        if rest:match("^[<>]") then e.packet = parse_packet(rest) else e.call = parse_syscall(rest) end
        return e
      end)
      if not ok then
        if getmetatable(ev) == FAIL then ev.line, ev.text = n, s end
        error(ev, 0)
      end
      events[#events + 1] = ev
    end
  end
  return events
end
M.parse = parse

-- Showing packets ----------------------------------------------------------------

local function show_option(o)
  if type(o) == "string" then return o end
  if o[1] == "mss" or o[1] == "wscale" then return o[1] .. " " .. tostring(o[2]) end
  if o[1] == "ts" then
    return string.format("TS val %s ecr %s", o[2] == ANY and "*" or tostring(o[2]), tostring(o[3]))
  end
  if o[1] == "sack" then
    local parts = {"sack"}
    for i = 2, #o do parts[#parts + 1] = o[i][1] .. ":" .. o[i][2] end
    return table.concat(parts, " ")
  end
  if o.kind then return "kind " .. o.kind end
  return "?"
end

--- A received segment in the script's notation, relative to the ISNs.
local function show_segment(st, seg)
  local seq = (seg.seq - (st.peer_isn or 0)) % MOD
  local text = string.format("%s %d:%d(%d)", seg.flags, seq, (seq + seg.len) % MOD, seg.len)
  if seg.has_ack then text = text .. " ack " .. (seg.ack - st.own_isn) % MOD end
  text = text .. " win " .. seg.win
  if seg.urg then text = text .. " urg " .. seg.urp end
  local list, parts = seg.options.list, {}
  for _, o in ipairs(list) do
    if type(o) == "table" and o[1] == "sack" then
      local e = {"sack"}
      for j = 2, #o do e[j] = {(o[j][1] - st.own_isn) % MOD, (o[j][2] - st.own_isn) % MOD} end
      o = e
    end
    parts[#parts + 1] = show_option(o)
  end
  while parts[#parts] == "eol" do parts[#parts] = nil end
  if #parts > 0 then text = text .. " <" .. table.concat(parts, ",") .. ">" end
  return text
end

-- The runner ----------------------------------------------------------------------
--
-- A runner R is a target's table: R.now() (microseconds since the script
-- started), R.advance_to(t) (run until script time t, completing blocked
-- calls), R.wait_segment(deadline) (the next segment the remote side
-- receives by then, or nil), R.time_of(ev) (a received segment's script
-- time), R.sys (the system calls), R.revents(s, events) (poll), R.inject(seg),
-- R.close(); R.st (the remote side's expect state); R.tol_us and R.tol_pct
-- (the tolerance), R.late (how long to look for a packet that did not come
-- in time) and R.any_wait (how long `*` waits; nil: while anything is pending).

local function now(R) return R.now() end

--- The tolerance (microseconds) for an event due at `lo`: the larger of the
-- fixed tolerance and a share of the time since the previous event, as in packetdrill.
local function tolerance(R, lo)
  local t = R.tol_us
  if lo and R.tol_pct > 0 then t = math.max(t, math.floor((lo - R.prev) * R.tol_pct / 100)) end
  return t
end

--- Fail when the remote side received a packet no line has expected yet.
local function no_unexpected(R)
  local ev = expect.pop(R.st)
  if ev then
    fail("unexpected packet at %s: > %s", secs(R.time_of(ev)), show_segment(R.st, ev.seg))
  end
end

--- The window [lo, hi] (microseconds) of an event's time; nil for `*`.
local function window(R, time)
  if time.any then return nil end
  local base = time.rel and R.prev or 0
  return base + us(time.lo), base + us(time.hi)
end

--- Expected segment spec for expect.differences, from a `>` packet.
local function outbound_spec(p)
  local spec = {flags = p.flags, seq = p.seq, len = p.len}
  if p.ack then spec.ack = p.ack end
  if p.win then spec.win = p.win end
  if p.urg then spec.urp = p.urg end
  spec.options = p.options
  return spec
end

local function expect_packet(R, ev)
  local lo, hi = window(R, ev.time)
  local tol = tolerance(R, lo)
  local got = R.wait_segment(hi and hi + tol or (R.any_wait and now(R) + R.any_wait))
  local want = "> " .. ev.text:match("^%S+%s+[<>]%s*(.*)$")
  if not got then
    local by = now(R)
    R.pending = {} -- failing anyway: look for what came instead, and when
    got = R.wait_segment(by + R.late)
    if not got then
      fail("no packet came by %s\n  expected: %s at %s", secs(by), want, lo and secs(lo) or "any time")
    end
  end
  local at = R.time_of(got)
  local diffs = expect.differences(R.st, outbound_spec(ev.packet), got.seg)
  if lo and (at < lo - tol or at > hi + tol) then
    diffs[#diffs + 1] = {name = "time", want = secs(lo) .. (hi ~= lo and ("~" .. secs(hi)) or ""), got = secs(at)}
  end
  if #diffs > 0 then
    local lines = {"the packet differs"}
    for _, d in ipairs(diffs) do
      local show = d.name == "time" and tostring or expect.show
      lines[#lines + 1] = string.format("  %s: expected %s, got %s", d.name, show(d.want), show(d.got))
    end
    lines[#lines + 1] = string.format("  expected: %s at %s", want, lo and secs(lo) or "any time")
    lines[#lines + 1] = string.format("  actual:   > %s at %s", show_segment(R.st, got.seg), secs(at))
    fail("%s", table.concat(lines, "\n"))
  end
  -- what comes next is timed from when the packet really came (packetdrill
  -- does the same): in a range, or within the tolerance of real time
  R.prev = at
end

local function inject_packet(R, p)
  local spec = {flags = p.flags, seq = p.seq, win = p.win or 65535, urp = p.urg,
    payload = string.rep("\0", p.len)}
  if p.ack then spec.ack = p.ack end
  if p.options ~= ANY and #p.options > 0 then spec.options = p.options end
  if p.options == ANY then fail("<...> is only for expected packets") end
  local ok, seg = pcall(expect.build, R.st, spec)
  if not ok then fail("%s", (tostring(seg):gsub("^.-synack%.expect: send: ", ""))) end
  local ok2, err = R.inject(seg)
  if not ok2 then fail("cannot inject: %s", tostring(err)) end
end

-- System calls ------------------------------------------------------------------------

local SYMBOLS = {
  AF_INET = 2, SOCK_STREAM = 1, IPPROTO_TCP = 6, SOL_SOCKET = 1, SOL_TCP = 6,
  SO_REUSEADDR = 2, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, TCP_NODELAY = 1,
  F_GETFL = 3, F_SETFL = 4, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_NONBLOCK = 0x800, SOCK_NONBLOCK = 0x800,
  SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2,
  POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32,
}
local ERRNO = {EPERM = 1, EAGAIN = 11, EWOULDBLOCK = 11, EINVAL = 22, EPIPE = 32, ENOTSOCK = 88,
  EADDRINUSE = 98, ECONNABORTED = 103, ECONNRESET = 104, EISCONN = 106, ENOTCONN = 107,
  ETIMEDOUT = 110, ECONNREFUSED = 111, EALREADY = 114, EINPROGRESS = 115, EBADF = 9}
M.SYMBOLS, M.ERRNO = SYMBOLS, ERRNO

--- A scalar argument: a number, a symbol, or symbols joined with `|`.
local function value(s)
  if s == nil or s == "..." then return nil end
  local n = tonumber(s)
  if n then return n end
  local total = 0
  for part in s:gmatch("[^|%s]+") do
    local v = tonumber(part) or SYMBOLS[part] or ERRNO[part]
    if not v then fail("unknown symbol %q", part) end
    total = bor(total, v)
  end
  return total
end

--- The value inside `[v]`, as a number (nil for `...`).
local function boxed(s)
  if not s or s == "..." then return nil end
  local inner = s:match("^%[(.*)%]$")
  if not inner then fail("expected [value], got %q", s) end
  return value(inner)
end

local function sock(R, arg)
  local fd = value(arg)
  local s = fd and R.fds[fd]
  if not s then return nil, fd end
  return s, fd
end

local BLOCK = {}

local function conn_error(c)
  local ok, info = pcall(c.info, c)
  return ok and info.error or nil
end

--- Open the syscall's own connection options from the socket's settings.
local function conn_opts(s)
  local o = {}
  for k, v in pairs(s.opts) do o[k] = v end
  return o
end

local SYS = {}

function SYS.socket(R)
  local fd = R.next_fd
  R.next_fd = fd + 1
  R.fds[fd] = {opts = {}, nonblock = false}
  return fd
end

function SYS.setsockopt(R, a)
  local s = sock(R, a[1])
  if not s then return -1, "EBADF" end
  local opt, v = value(a[3]), boxed(a[4])
  if a[3] == "SO_REUSEADDR" then return 0 end
  if a[3] == "TCP_NODELAY" then s.opts.nagle = v == 0
  elseif a[3] == "SO_RCVBUF" then s.opts.rcvbuf = v
  elseif a[3] == "SO_SNDBUF" then s.opts.sndbuf = v
  else fail("setsockopt: option %s is not supported", tostring(a[3] or opt)) end
  if s.c then fail("setsockopt: %s after connect/accept is not supported by synack", a[3]) end
  return 0
end

function SYS.getsockopt(R, a)
  local s = sock(R, a[1])
  if not s then return -1, "EBADF" end
  local actual
  if a[3] == "SO_ERROR" then
    local e = s.c and not s.error_read and conn_error(s.c)
    if e then s.error_read = true end -- reading SO_ERROR clears it, as in Linux
    actual = e and (ERRNO[e] or 5) or 0
  elseif a[3] == "SO_RCVBUF" or a[3] == "SO_SNDBUF" then
    -- Linux answers twice the size set (it counts its bookkeeping in), and so do we
    local set = s.opts[a[3] == "SO_RCVBUF" and "rcvbuf" or "sndbuf"]
    actual = set and 2 * set
  elseif a[3] == "TCP_NODELAY" then
    actual = s.opts.nagle == false and 1 or 0
  else
    fail("getsockopt: option %s is not supported", tostring(a[3]))
  end
  local want = boxed(a[4])
  if want and actual and want ~= actual then
    fail("getsockopt %s: expected [%s], got [%s]", a[3], a[4]:sub(2, -2), tostring(actual))
  end
  return 0
end

function SYS.bind(R, a)
  local s = sock(R, a[1])
  if not s then return -1, "EBADF" end
  s.port = PORT
  return 0
end

function SYS.listen(R, a)
  local s = sock(R, a[1])
  if not s then return -1, "EBADF" end
  local o = conn_opts(s)
  o.backlog = math.max(value(a[2]) or 128, 1)
  local l, err, code = R.h:listen(s.port or PORT, o)
  if not l then return -1, code or err end
  s.l = l
  return 0
end

--- A new fd for an accepted connection.
local function new_conn_fd(R, c)
  local fd = R.next_fd
  R.next_fd = fd + 1
  R.fds[fd] = {opts = {}, nonblock = false, c = c}
  return fd
end

function SYS.accept(R, a)
  local s = sock(R, a[1])
  if not s or not s.l then return -1, s and "EINVAL" or "EBADF" end
  local function try()
    local c = s.l:accept(0)
    if c then return new_conn_fd(R, c) end
  end
  local fd = try()
  if fd then return fd end
  if s.nonblock then return -1, "EAGAIN" end
  return BLOCK, try
end

function SYS.connect(R, a)
  local s = sock(R, a[1])
  if not s then return -1, "EBADF" end
  if s.c then
    -- As Linux: after a non-blocking connect(), connect() again says EALREADY
    -- while the handshake runs, then 0 once (it confirms the connection) or
    -- the error; after that, and after a blocking connect(), EISCONN.
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
  local c, err, code = R.h:connect(REMOTE, PORT, conn_opts(s))
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
end

local function reader(R, a)
  local s = sock(R, a[1])
  if not s then return -1, "EBADF" end
  if not s.c then return -1, "ENOTCONN" end
  local max = value(a[3]) or 65536
  local function try()
    local data, err, code = s.c:recv(math.max(max, 1), 0)
    if data and data ~= "" then return #data end
    if err == "EOF" then return 0 end
    if not data then
      if code and code == conn_error(s.c) then
        -- the connection's error is reported once, as in Linux; then the stream has ended
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
end
SYS.read, SYS.recv = reader, reader

local function writer(R, a)
  local s = sock(R, a[1])
  if not s then return -1, "EBADF" end
  if not s.c then return -1, "EPIPE" end
  local len = value(a[3]) or 0
  local n, err, code = s.c:send(string.rep("x", len))
  if not n then
    if code and code == conn_error(s.c) then
      if s.error_read then return -1, "EPIPE" end -- reported once, as in Linux
      s.error_read = true
    end
    return -1, code or err
  end
  if n == 0 and len > 0 and s.nonblock then return -1, "EAGAIN" end
  return n
end
SYS.write, SYS.send = writer, writer

function SYS.close(R, a)
  local s, fd = sock(R, a[1])
  if not s then return -1, "EBADF" end
  if s.c then s.c:close() end
  if s.l then s.l:close() end
  R.fds[fd] = nil
  return 0
end

function SYS.shutdown(R, a)
  local s = sock(R, a[1])
  if not s then return -1, "EBADF" end
  if not s.c then return -1, "ENOTCONN" end
  local how = value(a[2])
  if how == SYMBOLS.SHUT_RD then return 0 end
  local ok, err, code = s.c:shutdown()
  if not ok then return -1, code or err end
  return 0
end

function SYS.fcntl(R, a)
  local s = sock(R, a[1])
  if not s then return -1, "EBADF" end
  local cmd = value(a[2])
  if cmd == SYMBOLS.F_GETFL then
    return bor(SYMBOLS.O_RDWR, s.nonblock and SYMBOLS.O_NONBLOCK or 0)
  elseif cmd == SYMBOLS.F_SETFL then
    s.nonblock = band(value(a[3]) or 0, SYMBOLS.O_NONBLOCK) ~= 0
    return 0
  end
  fail("fcntl: only F_GETFL and F_SETFL are supported")
end

-- States in which the peer's FIN came (nothing more to read), and in which
-- ours went (nothing more to send).
local PEER_CLOSED = {["CLOSE-WAIT"] = true, ["LAST-ACK"] = true, CLOSING = true, ["TIME-WAIT"] = true,
  CLOSED = true}
local WE_CLOSED = {["FIN-WAIT-1"] = true, ["FIN-WAIT-2"] = true, ["LAST-ACK"] = true, CLOSING = true,
  ["TIME-WAIT"] = true, CLOSED = true}

--- poll's revents for one socket of the synack target, as Linux's tcp_poll
-- gives them: POLLOUT once connected (and after a shutdown, as a write would
-- not block), POLLIN when there is data or the peer closed, POLLHUP when both
-- directions are closed, POLLERR while an error is pending.
local function synack_revents(s)
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

--- Fields of `{fd=4, events=POLLIN, revents=POLLIN}`.
local function poll_entry(text)
  local inner = text:match("^{(.*)}$")
  if not inner then fail("poll: expected {fd=..., events=...}, got %q", text) end
  local e = {}
  for _, kv in ipairs(split_args(inner)) do
    local k, v = kv:match("^(%w+)%s*=%s*(.-)$")
    if not k then fail("poll: bad field %q", kv) end
    e[k] = v
  end
  return e
end

function SYS.poll(R, a)
  local list = (a[1] or ""):match("^%[(.*)%]$")
  if not list then fail("poll: expected [{...}] as the first argument") end
  local entries = {}
  for _, text in ipairs(split_args(list)) do entries[#entries + 1] = poll_entry(text) end
  local timeout = value(a[3]) or 0
  local function try(final)
    local count = 0
    for _, e in ipairs(entries) do
      local s = R.fds[value(e.fd)]
      local ev = value(e.events) or 0
      local r = s and band(R.revents(s, ev), bor(ev, SYMBOLS.POLLERR + SYMBOLS.POLLHUP)) or SYMBOLS.POLLNVAL
      e.actual = r
      if r ~= 0 then count = count + 1 end
    end
    if count == 0 and not final then return nil end
    for _, e in ipairs(entries) do
      local want = value(e.revents)
      if want and want ~= e.actual then
        fail("poll: fd %s: expected revents %s, got %d", e.fd, e.revents, e.actual)
      end
    end
    return count
  end
  local n = try(timeout == 0)
  if n then return n end
  return BLOCK, function(final) return try(final) end
end

--- "= 4" or "= -1 EAGAIN" as text.
local function show_ret(rc, errno)
  return tostring(rc) .. (errno and (" " .. errno) or "")
end

local function check_return(call, rc, errno)
  if call.ret == nil then return end
  if rc ~= call.ret or (call.errno and errno ~= call.errno) or (rc == -1 and not call.errno and errno) then
    fail("%s returned %s, expected %s", call.name, show_ret(rc, errno), show_ret(call.ret, call.errno))
  end
end

local function run_call(R, ev)
  local call = ev.call
  local fn = R.sys[call.name]
  if not fn then fail("system call %s is not supported", call.name) end
  local rc, errno = fn(R, call.args)
  if rc ~= BLOCK then return check_return(call, rc, errno) end
  local try = errno
  if not ev.time.stop then
    fail("%s would block (write `start...end` for a call that blocks)", call.name)
  end
  local start = now(R)
  local stop = ev.time.stop_rel and start + us(ev.time.stop) or us(ev.time.stop)
  local tol = math.max(R.tol_us, math.floor((stop - start) * R.tol_pct / 100))
  R.pending[#R.pending + 1] = {ev = ev, try = try, stop = stop, tol = tol}
end

--- Complete the blocked calls that can; fail those past their time.
local function check_pending(R)
  local i = 1
  while R.pending[i] do
    local p = R.pending[i]
    local t = now(R)
    local late = t > p.stop + p.tol
    local rc, errno = p.try(late)
    if rc then
      table.remove(R.pending, i)
      local current = R.current
      R.current = p.ev
      check_return(p.ev.call, rc, errno)
      if t < p.stop - p.tol then
        fail("%s returned at %s, expected at %s", p.ev.call.name, secs(t), secs(p.stop))
      end
      R.current = current
    elseif late then
      R.current = p.ev
      fail("%s had not returned by %s, the end time of its line", p.ev.call.name, secs(p.stop))
    else
      i = i + 1
    end
  end
end

-- Running a script ------------------------------------------------------------------------

local function run_event(R, ev)
  R.current = ev
  if ev.packet and ev.packet.dir == ">" then return expect_packet(R, ev) end
  local lo, hi = window(R, ev.time)
  local t = now(R)
  if lo and hi + tolerance(R, lo) < t then
    fail("this line is due at %s, but the network is already at %s", secs(lo), secs(t))
  end
  if lo and lo > t then R.advance_to(lo) else R.advance_to(t) end
  no_unexpected(R)
  if ev.packet then inject_packet(R, ev.packet) else run_call(R, ev) end
  if ev.time.any then R.prev = now(R)
  elseif ev.time.stop then R.prev = ev.time.stop_rel and lo + us(ev.time.stop) or us(ev.time.stop)
  else R.prev = lo end
  R.current = nil
end

-- The synack target ------------------------------------------------------------------------

--- A runner on a virtual network: a synack host and a raw host on a zero-delay wire.
local function synack_runner(opts)
  local net = synack.network{seed = opts.seed or 1}
  local wire = net:wire{}
  local R = {net = net, sys = SYS, revents = synack_revents, tol_us = 0, tol_pct = 0, late = 120e6}
  R.h = net:host{addr = LOCAL, link = wire}
  R.t = net:host{addr = REMOTE, link = wire, raw = true}
  expect.attach(R.t, {isn = opts.remote_isn or REMOTE_ISN, peer = LOCAL, port = PORT, sport = REMOTE_PORT})
  R.st = expect.state(R.t)
  if opts.trace then net:on("segment", function(_, seg, dir) opts.trace(dir .. " " .. tostring(seg)) end) end

  function R.now() return us(net.now) end
  function R.time_of(ev) return us(ev.t) end
  function R.inject(seg) return R.t:inject(seg) end
  function R.close() net:close() end

  --- Run every event due at or before `target`, then set the clock there.
  function R.advance_to(target)
    while true do
      R.check_pending()
      local d = net:_deadline()
      if not d or us(d) > target then break end
      net:step()
    end
    if R.now() < target then net:_setnow(target / 1e6) end
    R.check_pending()
  end

  --- The next segment the remote side receives, no later than `deadline`
  -- (nil: as long as anything is pending).
  function R.wait_segment(deadline)
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
  return R
end

--- The message for a failure object or a Lua error raised at event ev.
local function message(name, ev, err)
  local text = getmetatable(err) == FAIL and err.msg or ("internal error: " .. tostring(err))
  local line, src = err.line or (ev and ev.line), err.text or (ev and ev.text)
  if line then return string.format("%s:%d: %s\n  %s", name, line, src, text) end
  return string.format("%s: %s", name, text)
end

--- The runner for opts.target, or nil, why and "unavailable".
local function new_runner(opts)
  local R, why
  if opts.target == "kernel" then
    R, why = require("synack.pkt_kernel").runner(opts)
    if not R then return nil, why, "unavailable" end
  else
    R = synack_runner(opts)
  end
  R.fds, R.next_fd, R.pending, R.prev = {}, 3, {}, 0
  R.check_pending = function() check_pending(R) end
  return R
end

--- Run the events of a parsed script on R.
local function run_events(R, events)
  for _, ev in ipairs(events) do run_event(R, ev) end
  R.current = nil
  local last = 0
  for _, p in ipairs(R.pending) do last = math.max(last, p.stop + p.tol) end
  if R.pending[1] then R.advance_to(math.max(last, now(R))) end
  if R.pending[1] then
    R.current = R.pending[1].ev
    fail("%s never returned", R.pending[1].ev.call.name)
  end
end

--- run_string(text [, opts]) -> true | nil, message [, "unavailable"]
function M.run_string(text, opts)
  opts = opts or {}
  local name = opts.name or "script"
  local target = opts.target or "synack"
  if target ~= "synack" and target ~= "kernel" then
    return nil, string.format("%s: unknown target %q (synack or kernel)", name, tostring(target))
  end
  local ok, events = pcall(parse, text)
  if not ok then return nil, message(name, nil, events) end
  if target == "kernel" and not opts._netns then
    -- in a child process, in a network namespace of its own
    return require("synack.pkt_kernel").run_outside(text, opts, events)
  end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.target = target
  local R, why, code = new_runner(o)
  if not R then return nil, name .. ": " .. why, code end
  local err
  ok, err = pcall(run_events, R, events)
  local at = R.current
  R.close()
  if not ok then return nil, message(name, at, err) end
  return true
end

--- kernel_available() -> true | nil, why: whether the kernel target can run
-- here (a network namespace and a TUN device).
function M.kernel_available()
  return require("synack.pkt_kernel").available()
end

--- run_file(path [, opts]) -> true | nil, message
function M.run_file(path, opts)
  local f, err = io.open(path, "r")
  if not f then return nil, tostring(err) end
  local text = f:read("*a")
  f:close()
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.name = o.name or path
  return M.run_string(text, o)
end

-- What synack.pkt_kernel builds its system calls and its runner from.
M._lib = {fail = fail, value = value, boxed = boxed, sock = sock, BLOCK = BLOCK, bor = bor, band = band, us = us,
  LOCAL = LOCAL, REMOTE = REMOTE, PORT = PORT, REMOTE_PORT = REMOTE_PORT, REMOTE_ISN = REMOTE_ISN,
  fcntl = SYS.fcntl, poll = SYS.poll}

return M
