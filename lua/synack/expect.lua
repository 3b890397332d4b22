--- synack.expect: send and expect exact segments from a script, packetdrill style.
--
-- `require "synack.expect"` installs, on every host and connection:
--
--   t:expect{flags = "S.", ack = 1, win = synack.any,
--            options = {mss = synack.range(536, 1460)}, within = 0.2}  --> the segment
--   t:expect_none{within = 0.5}     -- nothing may arrive in the next 0.5 s
--   t:send{flags = "S", seq = 0, win = 65535, options = {mss = 1460}}  (hosts only)
--
-- and `synack.any`, `synack.range(lo, hi)` (also `expect.any`, `expect.range`).
--
-- t:expect waits (in the network's time) for the next segment that `t`
-- receives, and checks it field by field. It drives the network step by step
-- when called from the main chunk, a busted spec or a coroutine the network
-- does not run; it yields when called inside net:spawn. A mismatch raises an
-- error listing each differing field (expected vs actual), the segment and
-- the time. Waiting ends with an error when `within` seconds pass, or (when
-- driving) when nothing is pending in the network.
--
-- Expected values: a plain value (equality), `synack.any`, `synack.range(lo,
-- hi)`, or a function(actual, seg) returning truthy when it matches. Fields
-- are those of a segment (flags, seq, ack, win, urp, len, payload, src, dst,
-- sport, dport, ttl, ...); `data` is a synonym of payload, `urg` of urp.
-- `options` is either keyed ({mss =, wscale =, sack_permitted =, timestamp =
-- {val, ecr}, sack = {{l, r}}}: only the keys given are checked) or a list
-- in the form seg.options.list gives ({{"mss", 1460}, "nop", ...}: the whole
-- option list must match, trailing EOL padding aside). Flags compare as sets
-- ("S." equals ".S").
--
-- Sequence numbers are relative to the ISNs, as packetdrill writes them: in
-- what `t` receives, seq (and SACK edges in what `t` sends) count from the
-- peer's ISN, which `t` remembers from the last SYN or SYN/ACK it saw; ack
-- counts from `t`'s own ISN. `absolute = true` in a spec turns that off. For
-- a connection, the ISNs are its iss and irs.
--
-- Control fields of a spec: `within` (seconds from the call), `at` (an
-- absolute network time) with `tolerance` (seconds, default 0), `absolute`.
--
-- t:send{...} builds a segment from `t`'s address and its remembered
-- 4-tuple and injects it: seq is relative to `t`'s own ISN, ack to the
-- peer's. Defaults: seq = the next sequence number `t` has not sent yet,
-- ack = the next one expected from the peer (when the flags have "."),
-- win = 65535. The 4-tuple comes from expect.attach(t, {peer =, port =,
-- sport =}), from `dst`, `dport`, `sport` in a send spec (remembered), or
-- from a SYN `t` receives.
--
-- expect.attach(obj [, opts]) starts watching now and sets opts: `isn` (the
-- raw host's own ISN, default 0), `peer`, `port`, `sport`. Raw hosts made by
-- net:host{raw = true} after the require are watched from birth; other
-- objects from their first attach, expect or send.
local synack = require "synack"
local sched = require "synack.sched"

local M = {}
local MOD = 4294967296

-- Matchers ------------------------------------------------------------------

local ANY = setmetatable({}, {__name = "synack.any", __tostring = function() return "any" end})
local RANGE = {__name = "synack.range"}
RANGE.__tostring = function(r) return string.format("range(%s, %s)", tostring(r.lo), tostring(r.hi)) end

M.any = ANY

--- range(lo, hi): a matcher for numbers lo <= x <= hi.
function M.range(lo, hi)
  assert(type(lo) == "number" and type(hi) == "number" and lo <= hi,
    "bad arguments to 'range' (numbers lo <= hi expected)")
  return setmetatable({lo = lo, hi = hi}, RANGE)
end

local function is_range(v) return getmetatable(v) == RANGE end

--- A readable form of an expected or actual value.
local function show(v)
  if v == ANY or is_range(v) then return tostring(v) end
  local ty = type(v)
  if ty == "string" then return string.format("%q", v) end
  if ty == "function" then return "a function" end
  if ty == "table" then
    local parts = {}
    for _, x in ipairs(v) do parts[#parts + 1] = show(x) end
    for k, x in pairs(v) do
      if type(k) ~= "number" then parts[#parts + 1] = tostring(k) .. " = " .. show(x) end
    end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  return tostring(v)
end
M.show = show

local function sorted_flags(s)
  local t = {}
  for c in s:gmatch(".") do t[#t + 1] = c end
  table.sort(t)
  return table.concat(t)
end

--- Whether `actual` matches `expected`; appends differences to `diffs`.
local function match(expected, actual, name, diffs, seg)
  local ok
  if expected == ANY then
    ok = true
  elseif is_range(expected) then
    ok = type(actual) == "number" and actual >= expected.lo and actual <= expected.hi
  elseif type(expected) == "function" then
    ok = expected(actual, seg)
  elseif type(expected) == "table" and type(actual) == "table" then
    local before = #diffs
    for k, v in pairs(expected) do match(v, actual[k], name .. "." .. tostring(k), diffs, seg) end
    if #expected > 0 and #actual ~= #expected then
      diffs[#diffs + 1] = {name = name .. " (length)", want = #expected, got = #actual}
    end
    return #diffs == before
  else
    ok = expected == actual
  end
  if not ok then diffs[#diffs + 1] = {name = name, want = expected, got = actual} end
  return ok
end
M.match = match

-- Options -------------------------------------------------------------------

--- The option list without its trailing EOL padding.
local function trimmed_list(list)
  local out = {}
  for i = 1, #list do out[i] = list[i] end
  while out[#out] == "eol" do out[#out] = nil end
  return out
end

--- Compare options (keyed or list form); sack edges shifted by `sack_base`.
local function match_options(expected, seg, sack_base, diffs)
  local actual = seg.options
  if expected[1] ~= nil or next(expected) == nil then
    local got = trimmed_list(actual.list)
    if sack_base ~= 0 then
      for i, o in ipairs(got) do
        if type(o) == "table" and o[1] == "sack" then
          local copy = {"sack"}
          for j = 2, #o do copy[j] = {(o[j][1] - sack_base) % MOD, (o[j][2] - sack_base) % MOD} end
          got[i] = copy
        end
      end
    end
    local before = #diffs
    match(expected, got, "options", diffs, seg)
    if #diffs > before or #got ~= #expected then
      for i = before + 1, #diffs do diffs[i] = nil end
      diffs[#diffs + 1] = {name = "options", want = expected, got = got}
    end
    return
  end
  if actual.sack and sack_base ~= 0 then
    local rel = {}
    for i, b in ipairs(actual.sack) do rel[i] = {(b[1] - sack_base) % MOD, (b[2] - sack_base) % MOD} end
    actual.sack = rel
  end
  actual.list = nil
  for k, v in pairs(expected) do match(v, actual[k], "options." .. k, diffs, seg) end
end

-- Per-object state ------------------------------------------------------------

local states = setmetatable({}, {__mode = "k"}) -- host or conn userdata -> state

local function is_conn(obj)
  local mt = getmetatable(obj)
  return mt and mt.__name == "synack.conn"
end

--- Remember what a received segment teaches: the peer's ISN, the 4-tuple,
-- the next sequence number expected from the peer.
local function learn(st, seg)
  if seg.syn then
    st.peer_isn = seg.seq
    st.peer_next = (seg.seq + 1) % MOD
    if not seg.has_ack or not st.tuple then -- the peer opens a new connection: answer it
      st.tuple = {src = seg.dst, dst = seg.src, sport = seg.dport, dport = seg.sport}
      if not seg.has_ack then st.own_next = 0 end
    end
  end
  if st.peer_isn then
    local rel = (seg.seq - st.peer_isn) % MOD + seg.len + (seg.syn and 1 or 0) + (seg.fin and 1 or 0)
    local cur = (st.peer_next - st.peer_isn) % MOD
    if rel > cur and rel < MOD / 2 then st.peer_next = (st.peer_isn + rel) % MOD end
  end
end

--- The hook that queues what the object receives.
local function recorder(st)
  return function(_, seg, dir)
    if dir ~= "in" then return end
    learn(st, seg)
    st.tail = st.tail + 1
    st.queue[st.tail] = {seg = seg, t = st.net.now}
    if st.waiting_task then st.net:_alarm(st.net.now) end -- wake the waiting task now
  end
end

--- The state of `obj`, watching it from now on when it was not yet.
local function state_of(obj)
  local st = states[obj]
  if st then return st end
  st = {net = obj.net, queue = {}, head = 1, tail = 0, conn = is_conn(obj) and obj or nil,
    own_isn = 0, own_next = 0}
  if not st.conn then st.addr = obj.addr end
  states[obj] = st
  obj:on("segment", recorder(st))
  return st
end

--- The ISNs of st: own, peer (peer may be nil).
local function isns(st)
  if st.conn then
    local info = st.conn:info()
    return info.iss, info.irs ~= 0 and info.irs or (st.peer_isn or 0)
  end
  return st.own_isn, st.peer_isn
end

--- expect.attach(obj [, opts]) -> obj: watch obj; opts: isn, peer, port, sport.
function M.attach(obj, opts)
  local st = state_of(obj)
  opts = opts or {}
  if opts.isn then
    st.own_isn = opts.isn % MOD
    st.own_next = 0
  end
  if opts.peer or opts.port or opts.sport then
    st.tuple = st.tuple or {src = st.addr}
    st.tuple.dst = opts.peer or st.tuple.dst
    st.tuple.dport = opts.port or st.tuple.dport
    st.tuple.sport = opts.sport or st.tuple.sport
  end
  return obj
end

-- Expecting ---------------------------------------------------------------------

local CONTROL = {within = true, at = true, tolerance = true, absolute = true}
local ORDER = {"flags", "seq", "ack", "win", "len", "payload", "urp", "options"}
local ALIAS = {data = "payload", urg = "urp"}

--- The fields of spec in a stable order: the usual ones first, then the rest sorted.
local function spec_keys(spec)
  local keys, seen = {}, {}
  for _, k in ipairs(ORDER) do
    for alias, real in pairs(ALIAS) do
      if real == k and spec[alias] ~= nil and not seen[alias] then keys[#keys + 1], seen[alias] = alias, true end
    end
    if spec[k] ~= nil then keys[#keys + 1], seen[k] = k, true end
  end
  local rest = {}
  for k in pairs(spec) do
    if type(k) == "string" and not seen[k] and not CONTROL[k] then rest[#rest + 1] = k end
  end
  table.sort(rest)
  for _, k in ipairs(rest) do keys[#keys + 1] = k end
  return keys
end

--- seq and ack of seg as the script sees them.
local function relative(st, seg, absolute)
  if absolute then return seg.seq, seg.ack end
  local own, peer = isns(st)
  local seq = peer and (seg.seq - peer) % MOD or seg.seq
  local ack = seg.has_ack and (seg.ack - own) % MOD or seg.ack
  return seq, ack
end

--- The differences between spec and the received segment (a list).
local function differences(st, spec, seg)
  local diffs = {}
  local seq, ack = relative(st, seg, spec.absolute)
  for _, k in ipairs(spec_keys(spec)) do
    local want, name = spec[k], ALIAS[k] or k
    if name == "flags" and type(want) == "string" then
      if sorted_flags(want) ~= sorted_flags(seg.flags) then
        diffs[#diffs + 1] = {name = "flags", want = want, got = seg.flags}
      end
    elseif name == "options" and type(want) == "table" and want ~= ANY and not is_range(want) then
      local own = isns(st)
      match_options(want, seg, spec.absolute and 0 or own, diffs)
    elseif name == "seq" then
      match(want, seq, "seq", diffs, seg)
    elseif name == "ack" then
      if not seg.has_ack and want ~= ANY then
        diffs[#diffs + 1] = {name = "ack", want = want, got = "none (no ACK flag)"}
      else
        match(want, ack, "ack", diffs, seg)
      end
    else
      match(want, seg[name], name, diffs, seg)
    end
  end
  return diffs
end
M.differences = differences

--- "S. seq 0 ack 1 win 65535 len 0" with relative numbers, then the tcpdump line.
local function describe_seg(st, seg, absolute)
  local seq, ack = relative(st, seg, absolute)
  local rel = string.format("%s seq %d%s win %d len %d", seg.flags, seq,
    seg.has_ack and (" ack " .. ack) or "", seg.win, seg.len)
  return rel .. (absolute and "" or " (relative)") .. "\n    " .. tostring(seg)
end

local function describe_spec(spec)
  local parts = {}
  for _, k in ipairs(spec_keys(spec)) do parts[#parts + 1] = k .. " = " .. show(spec[k]) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function where(st)
  return st.conn and tostring(st.conn) or ("host " .. tostring(st.addr))
end

local function mismatch_message(st, spec, ev, diffs)
  local lines = {string.format("synack.expect: the segment %s received at %.6f s differs:", where(st), ev.t)}
  for _, d in ipairs(diffs) do
    lines[#lines + 1] = string.format("  %s: expected %s, got %s", d.name, show(d.want), show(d.got))
  end
  lines[#lines + 1] = "  expected: " .. describe_spec(spec)
  lines[#lines + 1] = "  actual:   " .. describe_seg(st, ev.seg, spec.absolute)
  return table.concat(lines, "\n")
end

--- Take the next received segment, or nil.
local function pop(st)
  local ev = st.queue[st.head]
  if ev then
    st.queue[st.head] = nil
    st.head = st.head + 1
  end
  return ev
end

--- Wait for the next segment until `deadline` (absolute, or nil): ev | nil, why.
local function next_segment(st, deadline)
  local net = st.net
  local ev = pop(st)
  if ev then return ev end
  -- at least one microsecond (the clock's grain), so that what is due now is processed
  local timeout = deadline and math.max(deadline - net.now, 1e-6)
  local co, main = coroutine.running()
  st.waiting_task = co and not main or nil -- maybe a task: it must be woken (see recorder)
  local r, why = sched.wait(net, function() return pop(st) end, timeout, true)
  st.waiting_task = nil
  if r then return r[1] end
  return nil, why
end
M.next_segment = next_segment

--- The absolute time by which a segment must come for spec, or nil.
local function deadline_of(st, spec)
  if spec.at then return spec.at + (spec.tolerance or 0) end
  if spec.within then return st.net.now + spec.within end
  return nil
end

local function expect(obj, spec)
  assert(type(spec) == "table", "bad argument #1 to 'expect' (table expected)")
  local st = state_of(obj)
  local start = st.net.now
  local deadline = deadline_of(st, spec)
  local ev, why = next_segment(st, deadline)
  if not ev then
    local how = why == "timeout" and string.format("within %g s", (deadline or start) - start)
      or why == "limit" and string.format("within the network's wait_limit (%g s)", st.net.wait_limit)
      or "and nothing is pending in the network"
    error(string.format("synack.expect: no segment reached %s %s (waited from %.6f s to %.6f s)\n"
      .. "  expected: %s", where(st), how, start, st.net.now, describe_spec(spec)), 2)
  end
  local diffs = differences(st, spec, ev.seg)
  if spec.at and math.abs(ev.t - spec.at) > (spec.tolerance or 0) + 1e-9 then
    diffs[#diffs + 1] = {name = "time", want = spec.at, got = ev.t}
  end
  if #diffs > 0 then error(mismatch_message(st, spec, ev, diffs), 2) end
  return ev.seg, ev.t
end

local function expect_none(obj, spec)
  spec = spec or {}
  local st = state_of(obj)
  local within = assert(spec.within, "expect_none needs 'within' (seconds)")
  local ev = next_segment(st, st.net.now + within)
  if ev then
    error(string.format("synack.expect: %s expected nothing within %g s, but received at %.6f s:\n  actual:   %s",
      where(st), within, ev.t, describe_seg(st, ev.seg, spec.absolute)), 2)
  end
  return true
end

-- Sending -----------------------------------------------------------------------

local SEND_CONTROL = {absolute = true, data = true, urg = true}

--- opts with its SACK edges (keyed or list form) moved up by `base`.
local function shift_sack(opts, base)
  if type(opts) ~= "table" then return opts end
  local function shift(b) return {(b[1] + base) % MOD, (b[2] + base) % MOD} end
  local copy = {}
  for k, v in pairs(opts) do copy[k] = v end
  if opts.sack then
    copy.sack = {}
    for i, b in ipairs(opts.sack) do copy.sack[i] = shift(b) end
  end
  for i, o in ipairs(opts) do
    if type(o) == "table" and o[1] == "sack" then
      local e = {"sack"}
      for j = 2, #o do e[j] = shift(o[j]) end
      copy[i] = e
    end
  end
  return copy
end

--- The segment t:send builds from spec (numbers relative unless absolute).
local function build(st, spec)
  local flags = spec.flags or "."
  local tuple = st.tuple or {src = st.addr}
  for _, k in ipairs({"dst", "sport", "dport"}) do
    if spec[k] then tuple[k] = spec[k] end
  end
  st.tuple = tuple
  if not (tuple.dst and tuple.sport and tuple.dport) then
    error("synack.expect: send needs the 4-tuple: give dst, sport and dport once "
      .. "(or expect.attach(t, {peer =, port =, sport =}))", 3)
  end
  local payload = spec.payload or spec.data or ""
  local fields = {src = spec.src or tuple.src, dst = tuple.dst, sport = tuple.sport, dport = tuple.dport,
    flags = flags, win = spec.win or 65535, options = spec.options, payload = payload,
    urp = spec.urp or spec.urg}
  for k, v in pairs(spec) do
    if fields[k] == nil and not SEND_CONTROL[k] and k ~= "seq" and k ~= "ack" then fields[k] = v end
  end
  local rel_seq = spec.seq or st.own_next
  if spec.absolute then
    fields.seq = rel_seq
  else
    fields.seq = (st.own_isn + rel_seq) % MOD
  end
  local has_ack = flags:find(".", 1, true) ~= nil
  local ack = spec.ack
  if ack == nil and has_ack then
    ack = st.peer_next and (st.peer_next - (st.peer_isn or 0)) % MOD or 0
  end
  if ack ~= nil and not spec.absolute then
    if has_ack and not st.peer_isn then
      error("synack.expect: send: ack is relative to the peer's ISN, but no SYN from the peer "
        .. "has been seen (use absolute = true)", 3)
    end
    ack = ((st.peer_isn or 0) + ack) % MOD
  end
  fields.ack = ack or 0
  if fields.options and not spec.absolute and st.peer_isn then
    fields.options = shift_sack(spec.options, st.peer_isn)
  end
  local seg = synack.segment(fields)
  local used = rel_seq + #payload + (seg.syn and 1 or 0) + (seg.fin and 1 or 0)
  if not spec.absolute and (used > st.own_next or seg.syn) then st.own_next = used end
  return seg
end

local function send(obj, spec)
  assert(type(spec) == "table", "bad argument #1 to 'send' (table expected)")
  local st = state_of(obj)
  if st.conn then error("synack.expect: send is for hosts; a connection sends data with c:send(data)", 2) end
  local seg = build(st, spec)
  local ok, err = obj:inject(seg)
  if not ok then error("synack.expect: inject failed: " .. tostring(err), 2) end
  return seg
end

M.expect, M.expect_none, M.send = expect, expect_none, send

-- For drivers built on this module (synack.pkt): the per-object state, the
-- queue of received segments, and segment building from a spec.
M.state, M.pop, M.build = state_of, pop, build

-- Installation --------------------------------------------------------------------

local function install()
  local methods = synack._methods
  if not methods or methods.host.expect then return end
  methods.host.expect, methods.host.expect_none, methods.host.send = expect, expect_none, send
  methods.conn.expect, methods.conn.expect_none = expect, expect_none
  local make_host = methods.net.host
  methods.net.host = function(net, cfg, ...)
    local h, err, code = make_host(net, cfg, ...)
    if h and type(cfg) == "table" and cfg.raw then state_of(h) end
    return h, err, code
  end
  if synack.any == nil then synack.any = ANY end
  if synack.range == nil then synack.range = M.range end
end
install()

return M
