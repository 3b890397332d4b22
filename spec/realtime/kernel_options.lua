--- Run by kernel_spec.lua inside a private network namespace: the handshake
-- options synack and the Linux kernel negotiate, both ways (a synack client
-- and a kernel server, a kernel client and a synack server), over IPv4 and
-- IPv6. For each connection:
--   - each SYN carries MSS, SACK-permitted, timestamps and window scale;
--   - synack's c:info() and the kernel's TCP_INFO agree on what was agreed:
--     both shifts, SACK, timestamps, the MSS each side sends with;
--   - 300 kB each way, byte-exact, in segments of exactly that MSS; every
--     segment after the SYNs carries a timestamp echoing one the other side
--     sent; one data segment lost each way (dropped by a hook) is recovered
--     with SACK blocks from both sides;
--   - the capture of it all has good checksums and nothing malformed (tshark).
-- Prints "ok <what>" lines; any failure raises. Usage: kernel_options.lua workdir
local k = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/kernel_lib.lua")

local env = k.setup((assert(arg[1], "usage: kernel_options.lua workdir")))
local N = 300000
local from_kernel = k.pattern(N)
local to_kernel = from_kernel:reverse()

--- Watch the segments of one connection (of `host`, to or from `port`: the
-- previous connection may still be closing): what the SYNs offered, the
-- largest payload each way, timestamps, SACK blocks; drop the 10th data
-- segment each way.
local function watch(host, port)
  local w = {syn = {}, maxlen = {["in"] = 0, out = 0}, vals = {["in"] = {}, out = {}}, sacks = {["in"] = 0, out = 0},
    no_ts = {}, bad_ecr = {}, data = {["in"] = 0, out = 0}, dropped = {}, maxwnd = 0}
  local other = {["in"] = "out", out = "in"}
  function w.hook(conn, seg, dir)
    if seg.sport ~= port and seg.dport ~= port then return end
    local o = seg.options
    if seg.syn then
      w.syn[dir] = o
    elseif not seg.rst then
      if not o.timestamp then w.no_ts[#w.no_ts + 1] = dir .. " " .. tostring(seg) end
    end
    if o.timestamp then
      w.vals[dir][o.timestamp[1]] = true
      -- an echo is a value the other side sent (the SYN has nothing to echo)
      if seg.has_ack and not w.vals[other[dir]][o.timestamp[2]] then
        w.bad_ecr[#w.bad_ecr + 1] = dir .. " " .. tostring(seg)
      end
    end
    if o.sack then w.sacks[dir] = w.sacks[dir] + 1 end
    if dir == "in" and conn and not seg.syn then
      -- the window synack holds before this segment: the previous one's, scaled
      w.maxwnd = math.max(w.maxwnd, conn:info().snd_wnd)
    end
    if seg.len > 0 then
      w.maxlen[dir] = math.max(w.maxlen[dir], seg.len)
      w.data[dir] = w.data[dir] + 1
      if w.data[dir] == 10 then
        w.dropped[dir] = true
        return false -- as if the TUN had lost it
      end
    end
  end
  host:on("segment", w.hook)
  return w
end

local function check(f, role, c, peer, w)
  local out = env.dir .. "/" .. role .. f.v
  local got = {}
  local n = 0
  while n < N do
    local d = assert(c:recv(nil, 10))
    got[#got + 1] = d
    n = n + #d
  end
  assert(table.concat(got) == from_kernel, "the 300 kB from the kernel differ")
  assert(c:sendall(to_kernel, 10) == N)
  local i = c:info()
  assert(c:close())
  local log = peer:finish(10)
  assert(log:find("received " .. N .. "\n", 1, true), log)
  assert(k.slurp(out) == to_kernel, "the 300 kB to the kernel differ")
  local ki = peer:info()
  local ours, theirs = assert(w.syn.out, "no SYN sent"), assert(w.syn["in"], "no SYN received")
  local what = ("IPv%d %s"):format(f.v, role)
  -- each SYN offered every option
  for _, o in ipairs({ours, theirs}) do
    assert(o.mss and o.wscale and o.sack_permitted and o.timestamp, what .. ": a SYN without every option")
  end
  assert(theirs.mss == (f.v == 4 and 1460 or 1440), what .. ": the kernel's MSS is " .. theirs.mss)
  -- synack agreed to each
  assert(i.sack == true and i.timestamps == true, what .. ": synack did not agree to SACK and timestamps")
  assert(i.snd_wscale == theirs.wscale and i.rcv_wscale == ours.wscale,
    ("%s: synack's shifts %d/%d, offered %d/%d"):format(what, i.snd_wscale, i.rcv_wscale, theirs.wscale, ours.wscale))
  assert(i.mss == theirs.mss - 12, what .. ": synack sends with MSS " .. i.mss)
  -- and so did the kernel (TCP_INFO, taken once the connection was up)
  assert(ki.options % 8 == 7, what .. ": the kernel's options " .. ki.options .. " (want TS, SACK, WS)")
  assert(ki.snd_wscale == ours.wscale and ki.rcv_wscale == theirs.wscale,
    ("%s: the kernel's shifts %d/%d"):format(what, ki.snd_wscale, ki.rcv_wscale))
  assert(ki.snd_mss == ours.mss - 12, what .. ": the kernel sends with MSS " .. ki.snd_mss)
  -- and both sent with it
  assert(w.maxlen.out == i.mss, what .. ": synack's largest segment " .. w.maxlen.out)
  assert(w.maxlen["in"] == ki.snd_mss, what .. ": the kernel's largest segment " .. w.maxlen["in"])
  assert(#w.no_ts == 0, what .. ": segments without timestamps: " .. table.concat(w.no_ts, " | "))
  assert(#w.bad_ecr == 0, what .. ": timestamps echoing nothing sent: " .. table.concat(w.bad_ecr, " | "))
  assert(w.dropped["in"] and w.dropped.out, what .. ": fewer than 10 data segments a way")
  assert(w.sacks.out > 0, what .. ": synack sent no SACK block for the hole")
  assert(w.sacks["in"] > 0, what .. ": the kernel sent no SACK block for the hole")
  assert(i.retransmits >= 1, what .. ": synack did not retransmit")
  -- the kernel's window, as synack scaled it, went past what 16 bits can say
  assert(w.maxwnd > 65535, what .. ": the kernel's window never exceeded 65535: " .. w.maxwnd)
  print(("ok %s: MSS %d/%d, wscale %d/%d, SACK, timestamps agreed with Linux (c:info and TCP_INFO);"
    .. " 300 kB each way, SACK blocks %d out %d in, peer window up to %d")
    :format(what, ours.mss, theirs.mss, ours.wscale, theirs.wscale, w.sacks.out, w.sacks["in"], w.maxwnd))
end

for _, f in ipairs(env.families) do
  -- synack connects, offering its own MSS and shift, to a kernel server
  local w = watch(f.host, 9001)
  local peer = k.peer(env, "listen", f.kernel, 9001, {"info", "send=" .. N, "recvall=" .. env.dir .. "/client" .. f.v,
    "close"})
  peer:wait_line("^listening")
  local c = assert(f.host:connect(f.kernel, 9001, {mss = 1300, wscale = 5}))
  assert(c:wait("ESTABLISHED", 5))
  check(f, "client", c, peer, w)
  f.host:off("segment", w.hook)
  -- the kernel connects to a synack server with the defaults
  w = watch(f.host, 9002)
  local l = assert(f.host:listen(9002))
  peer = k.peer(env, "connect", f.addr, 9002, {"info", "send=" .. N, "recvall=" .. env.dir .. "/server" .. f.v,
    "close"})
  c = assert(l:accept(10))
  check(f, "server", c, peer, w)
  f.host:off("segment", w.hook)
  l:close()
end

k.finish(env)
