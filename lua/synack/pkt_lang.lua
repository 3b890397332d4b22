--- synack.pkt_lang: the language of packetdrill scripts, as synack.pkt reads
-- them; shared by the runner (synack.pkt_run) and both targets
-- (synack.pkt_synack, synack.pkt_kernel). Internal: not part of the API.
--
-- What it holds: failures (fail raises one, message turns one into text),
-- time units, bitwise helpers, the script's fixed addresses, parsing a
-- script into events, the symbols and errno names a line may use, and
-- showing a received segment in the script's notation.
--
-- The language (one event per line; `//` and `/* */` are comments):
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
local expect = require "synack.expect"

local M = {}

local MOD = 4294967296
local ANY = expect.any

-- Where the two sides sit, whatever the target: the local side at the IP
-- version's local_addr (bind() binds PORT, connect() goes to remote_addr:PORT),
-- the remote side at remote_addr, whose passive-open segments come from
-- REMOTE_PORT with REMOTE_ISN. Both on one link of the version's prefix
-- length and MTU (the default: on IPv6 20 bytes more than on IPv4, for the
-- 20 bytes more of IP header, so that a stack announces the same MSS, 1460,
-- on both, as packetdrill's run_all.py does with --mtu=1520).
M.PORT, M.REMOTE_PORT, M.REMOTE_ISN = 8080, 40000, 0
local IP = {
  ipv4 = {local_addr = "198.18.0.1", remote_addr = "198.18.0.2", prefix = 24, mtu = 1500, min_mtu = 68},
  ipv6 = {local_addr = "2001:db8::1", remote_addr = "2001:db8::2", prefix = 64, mtu = 1520, min_mtu = 1280},
}

--- ip(opts) -> {version =, local_addr =, remote_addr =, prefix =, mtu =} | nil, message:
-- where a script runs for opts.ip_version ("ipv4", the default, or "ipv6")
-- and opts.mtu (default: the version's).
function M.ip(opts)
  local version = opts.ip_version or "ipv4"
  local ip = IP[version]
  if not ip then return nil, string.format("unknown ip_version %q (ipv4 or ipv6)", tostring(version)) end
  local mtu = opts.mtu or ip.mtu
  if type(mtu) ~= "number" or mtu % 1 ~= 0 or mtu < ip.min_mtu or mtu > 65535 then
    return nil, string.format("mtu must be an integer from %d to 65535 on %s, not %s", ip.min_mtu, version,
      tostring(opts.mtu))
  end
  return {version = version, local_addr = ip.local_addr, remote_addr = ip.remote_addr, prefix = ip.prefix,
    mtu = mtu}
end

-- Failures -----------------------------------------------------------------------

--- The metatable of failure objects: a mismatch the script is told about,
-- as against a Lua error, which is reported as an internal error.
local FAIL = {}
M.FAIL = FAIL

--- Raise a failure with a formatted message.
local function fail(fmt, ...)
  error(setmetatable({msg = string.format(fmt, ...)}, FAIL), 0)
end
M.fail = fail

--- The text for a failure object or a Lua error raised while event ev (may be nil) ran.
function M.message(name, ev, err)
  local text = getmetatable(err) == FAIL and err.msg or ("internal error: " .. tostring(err))
  local line, src = err.line or (ev and ev.line), err.text or (ev and ev.text)
  if line then return string.format("%s:%d: %s\n  %s", name, line, src, text) end
  return string.format("%s: %s", name, text)
end

-- Units and bits -------------------------------------------------------------------

--- Seconds to whole microseconds, and microseconds to the text of seconds.
function M.us(seconds) return math.floor(seconds * 1e6 + 0.5) end
function M.secs(micro) return string.format("%.6f", micro / 1e6) end

--- Combine the bits of two non-negative integers: both set (and) or either
-- set (or). Written with arithmetic so that it runs on Lua 5.1 and LuaJIT.
local function bits(a, b, both)
  local r, bit = 0, 1
  while a > 0 or b > 0 do
    local x, y = a % 2 == 1, b % 2 == 1
    if (both and x and y) or (not both and (x or y)) then r = r + bit end
    a, b, bit = math.floor(a / 2), math.floor(b / 2), bit * 2
  end
  return r
end

function M.bor(a, b) return bits(a, b, false) end
function M.band(a, b) return bits(a, b, true) end
local bor = M.bor

-- Symbols ----------------------------------------------------------------------------

--- The constants a line may name, with Linux's values.
local SYMBOLS = {
  AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, IPPROTO_TCP = 6, SOL_SOCKET = 1, SOL_TCP = 6,
  SO_REUSEADDR = 2, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, TCP_NODELAY = 1,
  F_GETFL = 3, F_SETFL = 4, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_NONBLOCK = 0x800, SOCK_NONBLOCK = 0x800,
  SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2,
  POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32,
}
--- The errno names a line may use, with Linux's numbers.
local ERRNO = {EPERM = 1, EAGAIN = 11, EWOULDBLOCK = 11, EINVAL = 22, EPIPE = 32, ENOTSOCK = 88,
  EADDRINUSE = 98, ECONNABORTED = 103, ECONNRESET = 104, EISCONN = 106, ENOTCONN = 107,
  ETIMEDOUT = 110, ECONNREFUSED = 111, EALREADY = 114, EINPROGRESS = 115, EBADF = 9}
M.SYMBOLS, M.ERRNO = SYMBOLS, ERRNO

--- A scalar argument as a number: digits, a name, or names joined with `|`;
-- nil for `...` or a missing argument.
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
M.value = value

--- The value written inside brackets, `[v]`, as a number (nil for `...`).
function M.boxed(s)
  if not s or s == "..." then return nil end
  local inner = s:match("^%[(.*)%]$")
  if not inner then fail("expected [value], got %q", s) end
  return value(inner)
end

-- Parsing ------------------------------------------------------------------------------

--- The text with its comments turned into blanks; newlines stay, so line numbers hold.
local function strip_comments(text)
  text = text:gsub("/%*.-%*/", function(c) return (c:gsub("[^\n]", " ")) end)
  return (text:gsub("//[^\n]*", ""))
end

local function number(s, what)
  local n = tonumber(s)
  if not n then fail("bad %s %q", what, tostring(s)) end
  return n
end

--- A line's time: {any = true}, or {rel =, lo =, hi = [, stop =, stop_rel =]} in seconds.
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

--- The pieces of s between commas that are not nested in (), [] or {}, trimmed.
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
M.split_args = split_args

--- One TCP option written in a packet line, as the list synack.segment takes.
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

--- The `<...>` part of a packet line: expect.any for `<...>`, else a list.
local function parse_options(text, outbound)
  if text:match("^%s*%.%.%.%s*$") then return ANY end
  local list = {}
  for _, o in ipairs(split_args(text)) do list[#list + 1] = parse_option(o, outbound) end
  return list
end

--- A packet line such as `< S 0:0(0) win 1000 <mss 1000>`, as a table.
local function parse_packet(rest)
  local dir, body = rest:match("^([<>])%s*(.*)$")
  local p = {dir = dir, options = {}}
  local b, opts = body:match("^(.-)%s*<(.*)>%s*$")
  if b then
    body = b
    p.options = parse_options(opts, dir == ">")
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

--- A system call line such as `name(args) = ret ERRNO (text)`, as a table.
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

--- One line with its comments gone and trimmed (not empty), as an event.
local function parse_line(s, n)
  local tok, rest = s:match("^(%S+)%s+(.+)$")
  if not tok then fail("a line is a time and an event") end
  if rest:match("^`") or rest:match("^%%{") then fail("shell commands and Python are not supported") end
  local e = {line = n, text = s, time = parse_time(tok)}
  if rest:match("^[<>]") then e.packet = parse_packet(rest) else e.call = parse_syscall(rest) end
  return e
end

--- parse(text) -> the script's events {line =, text =, time =, packet = | call =}.
-- Raises a failure that carries the line's number and text.
function M.parse(text)
  local events, n = {}, 0
  for line in (strip_comments(text) .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local s = line:match("^%s*(.-)%s*$")
    if s ~= "" then
      local ok, ev = pcall(parse_line, s, n)
      if not ok then
        if getmetatable(ev) == FAIL then ev.line, ev.text = n, s end
        error(ev, 0)
      end
      events[#events + 1] = ev
    end
  end
  return events
end

-- Showing packets ---------------------------------------------------------------------

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

--- A SACK option's blocks made relative to our ISN; other options as they are.
local function relative_option(st, o)
  if type(o) ~= "table" or o[1] ~= "sack" then return o end
  local e = {"sack"}
  for j = 2, #o do e[j] = {(o[j][1] - st.own_isn) % MOD, (o[j][2] - st.own_isn) % MOD} end
  return e
end

--- A segment the remote side received, written as a `>` line would (without
-- the `>`), numbers relative to the ISNs of expect state st.
function M.show_segment(st, seg)
  local seq = (seg.seq - (st.peer_isn or 0)) % MOD
  local text = string.format("%s %d:%d(%d)", seg.flags, seq, (seq + seg.len) % MOD, seg.len)
  if seg.has_ack then text = text .. " ack " .. (seg.ack - st.own_isn) % MOD end
  text = text .. " win " .. seg.win
  if seg.urg then text = text .. " urg " .. seg.urp end
  local parts = {}
  for _, o in ipairs(seg.options.list) do parts[#parts + 1] = show_option(relative_option(st, o)) end
  while parts[#parts] == "eol" do parts[#parts] = nil end
  if #parts > 0 then text = text .. " <" .. table.concat(parts, ",") .. ">" end
  return text
end

return M
