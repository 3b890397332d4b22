--- synack.pkt_run: runs the parsed events of a packetdrill script on a
-- target's runner: checks the packets the remote side receives, injects the
-- ones it sends, makes the system calls and keeps the blocked ones pending.
-- Both targets (synack.pkt_synack, synack.pkt_kernel) build a runner and
-- hand it here. Internal: not part of the API.
--
--   pkt_run.parse(text, name)      --> events | nil, message
--   pkt_run.run(R, events, name)   --> true | nil, message (closes R)
--   pkt_run.attach_remote(R, link, opts) -- the remote side, for the targets
--
-- A runner R is a table the target fills in: R.now() (microseconds since the
-- script started), R.advance_to(t) (go on until script time t, completing
-- blocked calls), R.wait_segment(deadline) (the next segment the remote side
-- receives by then, or nil), R.time_of(ev) (the script time of such a
-- segment), R.sys (the system calls, see synack.pkt_sys), R.revents(s,
-- events) (for poll), R.inject(seg), R.close(); R.net, R.t and R.st (the
-- network, the remote host and its expect state: attach_remote sets the last
-- two); R.tol_us and R.tol_pct (the time tolerance), R.late (how long to
-- look for a packet that did not come in time) and R.any_wait (how long `*`
-- waits; nil: while anything is pending); R.ip (where the sides sit: IP
-- version, addresses, MTU, from synack.pkt_lang's ip()). run() adds R.fds,
-- R.next_fd, R.pending, R.prev (the script time the next relative time
-- counts from), R.current (the event running) and R.check_pending(), which
-- the target calls as time goes by.
local expect = require "synack.expect"
local lang = require "synack.pkt_lang"
local sys = require "synack.pkt_sys"

local fail, us, secs, show_segment = lang.fail, lang.us, lang.secs, lang.show_segment
local ANY, BLOCK = expect.any, sys.BLOCK

local M = {}

--- Make the remote side on `link` of R.net: a raw host at R.ip.remote_addr that
-- plays the script's `<` lines (ISN opts.remote_isn) and receives what `>` expects.
function M.attach_remote(R, link, opts)
  R.t = R.net:host{addr = R.ip.remote_addr, link = link, raw = true, mtu = R.ip.mtu}
  expect.attach(R.t, {isn = opts.remote_isn or lang.REMOTE_ISN, peer = R.ip.local_addr, port = lang.PORT,
    sport = lang.REMOTE_PORT})
  R.st = expect.state(R.t)
end

-- Times -----------------------------------------------------------------------------

--- The tolerance (µs) for a line due at `lo`: the larger of the fixed one and
-- a share of the time since the previous line, as packetdrill does.
local function tolerance(R, lo)
  local t = R.tol_us
  if lo and R.tol_pct > 0 then t = math.max(t, math.floor((lo - R.prev) * R.tol_pct / 100)) end
  return t
end

--- When a line is due, as [lo, hi] in µs; nothing for `*`.
local function window(R, time)
  if time.any then return nil end
  local base = time.rel and R.prev or 0
  return base + us(time.lo), base + us(time.hi)
end

-- Packets ---------------------------------------------------------------------------

--- Fail when the remote side got a packet that no line has expected yet.
local function no_unexpected(R)
  local ev = expect.pop(R.st)
  if ev then
    fail("unexpected packet at %s: > %s", secs(R.time_of(ev)), show_segment(R.st, ev.seg))
  end
end

--- What expect.differences compares a received segment with, from a `>` line.
local function outbound_spec(p)
  local spec = {flags = p.flags, seq = p.seq, len = p.len}
  if p.ack then spec.ack = p.ack end
  if p.win then spec.win = p.win end
  if p.urg then spec.urp = p.urg end
  spec.options = p.options
  return spec
end

--- The segment a `>` line waits for; when none comes in time, look a while
-- longer for what came instead, or fail saying nothing did.
local function await_packet(R, lo, hi, tol, want)
  local got = R.wait_segment(hi and hi + tol or (R.any_wait and R.now() + R.any_wait))
  if got then return got end
  local by = R.now()
  R.pending = {} -- failing anyway
  got = R.wait_segment(by + R.late)
  if not got then
    fail("no packet came by %s\n  expected: %s at %s", secs(by), want, lo and secs(lo) or "any time")
  end
  return got
end

--- Fail listing each difference, then the expected and the actual packet with their times.
local function packet_differs(R, diffs, want, lo, got, at)
  local lines = {"the packet differs"}
  for _, d in ipairs(diffs) do
    local show = d.name == "time" and tostring or expect.show
    lines[#lines + 1] = string.format("  %s: expected %s, got %s", d.name, show(d.want), show(d.got))
  end
  lines[#lines + 1] = string.format("  expected: %s at %s", want, lo and secs(lo) or "any time")
  lines[#lines + 1] = string.format("  actual:   > %s at %s", show_segment(R.st, got.seg), secs(at))
  fail("%s", table.concat(lines, "\n"))
end

--- A `>` line: the next segment must be the one written, at the time written.
local function expect_packet(R, ev)
  local lo, hi = window(R, ev.time)
  local tol = tolerance(R, lo)
  local want = "> " .. ev.text:match("^%S+%s+[<>]%s*(.*)$")
  local got = await_packet(R, lo, hi, tol, want)
  local at = R.time_of(got)
  local diffs = expect.differences(R.st, outbound_spec(ev.packet), got.seg)
  if lo and (at < lo - tol or at > hi + tol) then
    diffs[#diffs + 1] = {name = "time", want = secs(lo) .. (hi ~= lo and ("~" .. secs(hi)) or ""), got = secs(at)}
  end
  if #diffs > 0 then packet_differs(R, diffs, want, lo, got, at) end
  -- as in packetdrill, the next line's time counts from when the packet
  -- really came (which was in the range, or within the tolerance)
  R.prev = at
end

--- A `<` line: the remote side sends the packet written.
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

--- A return value as a script writes it: "4" or "-1 EAGAIN".
local function show_ret(rc, errno)
  return tostring(rc) .. (errno and (" " .. errno) or "")
end

--- Fail when a call's return differs from the one its line wrote (if it wrote one).
local function check_return(call, rc, errno)
  if call.ret == nil then return end
  if rc ~= call.ret or (call.errno and errno ~= call.errno) or (rc == -1 and not call.errno and errno) then
    fail("%s returned %s, expected %s", call.name, show_ret(rc, errno), show_ret(call.ret, call.errno))
  end
end

--- Make a line's system call; one that blocks is kept pending until its end time.
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
  local start = R.now()
  local stop = ev.time.stop_rel and start + us(ev.time.stop) or us(ev.time.stop)
  local tol = math.max(R.tol_us, math.floor((stop - start) * R.tol_pct / 100))
  R.pending[#R.pending + 1] = {ev = ev, try = try, stop = stop, tol = tol}
end

--- Complete the blocked calls that can now; fail those past their end time.
local function check_pending(R)
  local i = 1
  while R.pending[i] do
    local p = R.pending[i]
    local t = R.now()
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

-- Running a script ---------------------------------------------------------------------

--- One line: wait for its time (a `>` line waits for its packet), then act.
local function run_event(R, ev)
  R.current = ev
  if ev.packet and ev.packet.dir == ">" then return expect_packet(R, ev) end
  local lo, hi = window(R, ev.time)
  local t = R.now()
  if lo and hi + tolerance(R, lo) < t then
    fail("this line is due at %s, but the network is already at %s", secs(lo), secs(t))
  end
  if lo and lo > t then R.advance_to(lo) else R.advance_to(t) end
  no_unexpected(R)
  if ev.packet then inject_packet(R, ev.packet) else run_call(R, ev) end
  if ev.time.any then R.prev = R.now()
  elseif ev.time.stop then R.prev = ev.time.stop_rel and lo + us(ev.time.stop) or us(ev.time.stop)
  else R.prev = lo end
  R.current = nil
end

--- Every line in turn, then wait for the calls still blocked.
local function run_events(R, events)
  for _, ev in ipairs(events) do run_event(R, ev) end
  R.current = nil
  local last = 0
  for _, p in ipairs(R.pending) do last = math.max(last, p.stop + p.tol) end
  if R.pending[1] then R.advance_to(math.max(last, R.now())) end
  if R.pending[1] then
    R.current = R.pending[1].ev
    fail("%s never returned", R.pending[1].ev.call.name)
  end
end

--- parse(text, name) -> events | nil, message (the message names the line).
function M.parse(text, name)
  local ok, events = pcall(lang.parse, text)
  if not ok then return nil, lang.message(name, nil, events) end
  return events
end

--- run(R, events, name) -> true | nil, message: run the events on runner R, then close it.
function M.run(R, events, name)
  R.fds, R.next_fd, R.pending, R.prev = {}, 3, {}, 0
  R.check_pending = function() check_pending(R) end
  local ok, err = pcall(run_events, R, events)
  local at = R.current
  R.close()
  if not ok then return nil, lang.message(name, at, err) end
  return true
end

return M
