--- synack.pkt_sys: what the system calls of both packetdrill targets share
-- (synack.pkt_synack emulates them on synack, synack.pkt_kernel makes them
-- on kernel sockets). Internal: not part of the API.
--
-- A system call is a function (R, args) -> rc [, errno], args being the
-- argument texts of the line. One that would block returns BLOCK and a
-- function try(final) instead: the runner calls try as time goes by until
-- it returns rc [, errno] (final: the line's end time has passed, answer now).
--
-- R.fds maps the script's descriptor numbers to the target's sockets; each
-- socket has at least `nonblock`, the script's view of O_NONBLOCK, which
-- fcntl reads and sets and which is all fcntl does on either target.
local lang = require "synack.pkt_lang"

local fail, value, bor, band = lang.fail, lang.value, lang.bor, lang.band
local S = lang.SYMBOLS

local M = {}

--- What a system call returns when it would block (see above).
M.BLOCK = {}

--- A system call on the socket its first argument names: fn(R, args, s, fd),
-- or EBADF when that descriptor is not open.
function M.on_sock(fn)
  return function(R, a)
    local fd = value(a[1])
    local s = fd and R.fds[fd]
    if not s then return -1, "EBADF" end
    return fn(R, a, s, fd)
  end
end

--- getsockopt's last argument, `[v]`, checked against the value the option has
-- (when both are known).
function M.check_sockopt(a, actual)
  local want = lang.boxed(a[4])
  if want and actual and want ~= actual then
    fail("getsockopt %s: expected [%s], got [%s]", a[3], a[4]:sub(2, -2), tostring(actual))
  end
end

--- Give socket s the next free descriptor number; returns that number.
function M.add_fd(R, s)
  local fd = R.next_fd
  R.next_fd = fd + 1
  R.fds[fd] = s
  return fd
end

--- fcntl(fd, F_GETFL) and fcntl(fd, F_SETFL, flags): only O_NONBLOCK counts.
M.fcntl = M.on_sock(function(_, a, s)
  local cmd = value(a[2])
  if cmd == S.F_GETFL then
    return bor(S.O_RDWR, s.nonblock and S.O_NONBLOCK or 0)
  elseif cmd == S.F_SETFL then
    s.nonblock = band(value(a[3]) or 0, S.O_NONBLOCK) ~= 0
    return 0
  end
  fail("fcntl: only F_GETFL and F_SETFL are supported")
end)

--- The fields of one poll entry, `{fd=4, events=POLLIN, revents=POLLIN}`.
local function poll_entry(text)
  local inner = text:match("^{(.*)}$")
  if not inner then fail("poll: expected {fd=..., events=...}, got %q", text) end
  local e = {}
  for _, kv in ipairs(lang.split_args(inner)) do
    local k, v = kv:match("^(%w+)%s*=%s*(.-)$")
    if not k then fail("poll: bad field %q", kv) end
    e[k] = v
  end
  return e
end

--- Set each entry's actual revents (R.revents asks the target); the number of entries with any.
local function poll_once(R, entries)
  local count = 0
  for _, e in ipairs(entries) do
    local s = R.fds[value(e.fd)]
    local ev = value(e.events) or 0
    local r = s and band(R.revents(s, ev), bor(ev, S.POLLERR + S.POLLHUP)) or S.POLLNVAL
    e.actual = r
    if r ~= 0 then count = count + 1 end
  end
  return count
end

--- poll([{fd=..., events=..., revents=...}, ...], n, timeout): revents written are checked.
function M.poll(R, a)
  local list = (a[1] or ""):match("^%[(.*)%]$")
  if not list then fail("poll: expected [{...}] as the first argument") end
  local entries = {}
  for _, text in ipairs(lang.split_args(list)) do entries[#entries + 1] = poll_entry(text) end
  local timeout = value(a[3]) or 0
  local function try(final)
    local count = poll_once(R, entries)
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
  return M.BLOCK, try
end

return M
