--- bench/run.lua: run every benchmark beside its peer, in one run, and write
-- bench/RESULTS.md. `make bench` calls it; it takes no arguments and reads
-- its settings from the environment:
--
--   SYNACK_BUILD  the build directory (bin/synack finds synack/core.so there)
--   LUA           the interpreter for the synack benchmarks (default lua5.4)
--   CHURN_KERNEL  the compiled bench/churn_kernel.c
--   CC            the C compiler for bench/memory.c (default cc)
--   BENCH_OUT     where to write the report (default bench/RESULTS.md)
--   BENCH_README  the README whose "Benchmarks:" paragraph gets the new numbers
--                 (default README.md; empty: none)
--   BENCH_REPS    how many times each side-by-side pair runs (default 3)
--   BENCH_PROFILE 0 skips the profiles (bench/profile.sh) at the end
--
-- Each pair runs interleaved (peer, synack, peer, synack...) and each side's
-- median is kept, so that the load of the moment weighs on both alike. Every
-- command runs under `timeout`; only 127.0.0.1 carries traffic. Every result
-- in the report is a ratio against a peer measured in this same run.
local getenv = os.getenv
local LUA = getenv("LUA") or "lua5.4"
local BUILD = getenv("SYNACK_BUILD") or ("build/" .. LUA:match("[^/]+$"))
local CHURN_KERNEL = getenv("CHURN_KERNEL") or (BUILD .. "/bench/churn_kernel")
local OUT = getenv("BENCH_OUT") or "bench/RESULTS.md"
local README = getenv("BENCH_README") or "README.md"
local REPS = tonumber(getenv("BENCH_REPS")) or 3
local PY = "/usr/bin/python3" -- Debian's python3 with python3-scapy, not one on PATH
local IPERF_PORT = 20000 + (os.time() % 4000) * 10 -- a fresh port per iperf3 run, from here up
local IPERF_SECONDS = 2

local SYNACK = "env SYNACK_BUILD=" .. BUILD .. " LUA=" .. LUA .. " bin/synack"
local commands = {} -- every command run, in order, for the report
local started = os.time()

local function sh_ok(cmd)
  local ok, _, code = os.execute(cmd)
  return ok == true or ok == 0 or code == 0
end

local function capture(cmd)
  local f = io.popen(cmd .. " 2>/dev/null")
  local s = f:read("*a")
  f:close()
  return (s:gsub("%s+$", ""))
end

--- Run `cmd` under timeout; returns its "name value" lines as a table
-- (values as numbers when they are), plus the raw output.
local function run(cmd, limit)
  local full = string.format("timeout %d %s", limit or 120, cmd)
  commands[#commands + 1] = cmd
  io.stderr:write("bench: ", cmd, "\n")
  local f = io.popen(full .. " 2>&1")
  local out = f:read("*a")
  local ok = f:close()
  if not ok then io.stderr:write("bench: failed: ", cmd, "\n", out, "\n") end
  local r = {}
  for name, value in out:gmatch("([%w_%.]+) ([^\n]+)") do
    r[name] = tonumber(value) or value
  end
  return r, out
end

local function median(list)
  local t = {}
  for i, v in ipairs(list) do t[i] = v end
  if #t == 0 then return nil end
  table.sort(t)
  if #t % 2 == 1 then return t[(#t + 1) / 2] end
  return (t[#t / 2] + t[#t / 2 + 1]) / 2
end

--- Collect field `key` from each run's results; the median of what was found.
local function med(results, key)
  local vals = {}
  for _, r in ipairs(results) do
    if type(r[key]) == "number" then vals[#vals + 1] = r[key] end
  end
  return median(vals), #vals
end

-- Peers ------------------------------------------------------------------------

--- iperf3 on 127.0.0.1 for IPERF_SECONDS; extra: client options. Returns bits/s.
local function iperf(extra)
  local port = IPERF_PORT
  IPERF_PORT = IPERF_PORT + 1
  -- the server serves one test (-1) and has its own time limit, so that none outlives the run
  local cmd = string.format("sh -c 'timeout %d iperf3 -s -1 -B 127.0.0.1 -p %d >/dev/null 2>&1 & sleep 0.3; "
    .. "iperf3 -c 127.0.0.1 -p %d -t %d %s-J; wait'", IPERF_SECONDS + 15, port, port, IPERF_SECONDS,
    extra and extra .. " " or "")
  local _, out = run(cmd, IPERF_SECONDS + 20)
  local recv = out:match('"sum_received"%s*:%s*(%b{})')
  local bps = recv and tonumber(recv:match('"bits_per_second"%s*:%s*([%d%.eE+-]+)'))
  -- iperf3's CPU use, sender and receiver (each in % of one core over the run)
  local host = tonumber(out:match('"host_total"%s*:%s*([%d%.eE+-]+)'))
  local remote = tonumber(out:match('"remote_total"%s*:%s*([%d%.eE+-]+)'))
  local cores = host and remote and (host + remote) / 100
  return {iperf_bps = bps, iperf_cpu_bps = bps and cores and cores > 0 and bps / cores or nil}
end

local have_iperf = sh_ok("command -v iperf3 >/dev/null 2>&1")
local have_scapy = sh_ok(PY .. " -c 'import scapy' >/dev/null 2>&1")
local have_kernel = sh_ok("test -x " .. CHURN_KERNEL)
-- bench/memory.c (what memory costs here, for the scale notes): built into the build directory
local MEMORY = BUILD .. "/bench/memory"
local have_memory = sh_ok(string.format("mkdir -p %s/bench && %s -std=c99 -D_DEFAULT_SOURCE -O2 bench/memory.c -o %s",
  BUILD, getenv("CC") or "cc", MEMORY))

-- The runs ---------------------------------------------------------------------

local R = {}

-- Bulk transfer: iperf3 at loopback's MTU and at MSS 1460, synack at 65535 and 1500.
R.k64, R.k15, R.s64, R.s15 = {}, {}, {}, {}
for _ = 1, REPS do
  if have_iperf then R.k64[#R.k64 + 1] = iperf() end
  R.s64[#R.s64 + 1] = run(SYNACK .. " bench/bulk.lua 65535 256")
  if have_iperf then R.k15[#R.k15 + 1] = iperf("-M 1460") end
  R.s15[#R.s15 + 1] = run(SYNACK .. " bench/bulk.lua 1500 64")
end

-- Connection churn.
R.kc, R.sc, R.sr = {}, {}, {}
for _ = 1, REPS do
  if have_kernel then R.kc[#R.kc + 1] = run(CHURN_KERNEL .. " 20000") end
  R.sc[#R.sc + 1] = run(SYNACK .. " bench/churn.lua 20000")
  R.sr[#R.sr + 1] = run(SYNACK .. " bench/churn.lua 20000 raw")
end

-- Segment codec.
R.pc, R.sx = {}, {}
for _ = 1, REPS do
  if have_scapy then R.pc[#R.pc + 1] = run(PY .. " bench/codec_scapy.py 3000") end
  R.sx[#R.sx + 1] = run(SYNACK .. " bench/codec.lua 200000")
end

-- Hooks, virtual time, lossy wires, scale (no peer: goals are absolute or internal ratios).
R.hook = {}
for _ = 1, REPS do R.hook[#R.hook + 1] = run(SYNACK .. " bench/hook.lua 32") end
R.vt = {run(SYNACK .. " bench/vtime.lua 200")}
local _, lossy_out = run(SYNACK .. " bench/lossy.lua 60", 300)
-- Scale, interleaved with bench/memory.c (both measure memory, which other work disturbs most);
-- `scale` holds the median of each field.
local scale_n = 100000
local scale_note = ""
R.scale, R.mem = {}, {}
for i = 1, REPS do
  local r = run(SYNACK .. " bench/scale.lua " .. scale_n .. " 20000", 240)
  if i == 1 and not r.scale_event_ns_n then
    scale_n = 10000
    scale_note = "The run at 100,000 connections did not finish (memory or time); these are 10,000. "
    r = run(SYNACK .. " bench/scale.lua " .. scale_n .. " 20000", 240)
  end
  R.scale[#R.scale + 1] = r
  if have_memory then R.mem[#R.mem + 1] = run(MEMORY .. " " .. scale_n .. " 200000") end
end
local scale = {}
for _, r in ipairs(R.scale) do
  for k in pairs(r) do scale[k] = scale[k] or med(R.scale, k) end
end

-- Profiles (bench/profile.sh: perf, or callgrind when perf cannot count instructions).
local PROFILES = {"bulk65535", "bulk1500", "churn", "hook"}
local profiled = false
if getenv("BENCH_PROFILE") ~= "0" and sh_ok("command -v valgrind >/dev/null 2>&1") then
  run("env SYNACK_BUILD=" .. BUILD .. " LUA=" .. LUA .. " bench/profile.sh", 600)
  profiled = true
end

-- The report ----------------------------------------------------------------------

local function fmt(x, unit)
  if type(x) ~= "number" then return "n/a" end
  local a = math.abs(x)
  if a >= 1e9 then return string.format("%.2f G%s", x / 1e9, unit or "") end
  if a >= 1e6 then return string.format("%.2f M%s", x / 1e6, unit or "") end
  if a >= 1e3 then return string.format("%.1f k%s", x / 1e3, unit or "") end
  return string.format("%.3g %s", x, unit or "")
end

local function ratio(a, b)
  if type(a) ~= "number" or type(b) ~= "number" or b == 0 then return nil end
  return a / b
end

local function verdict(r, goal, higher_is_better)
  if not r then return "n/a" end
  if higher_is_better == false then return r <= goal and "yes" or "**no**" end
  return r >= goal and "yes" or "**no**"
end

local function ns(v) return type(v) == "number" and string.format("%.0f ns", v) or "n/a" end

local function x(r) return r and string.format("%.2fx", r) or "n/a" end

local function thousands(n)
  local s, k = tostring(n), 1
  while k > 0 do s, k = s:gsub("^(%d+)(%d%d%d)", "%1,%2") end
  return s
end

local k64, k15 = med(R.k64, "iperf_bps"), med(R.k15, "iperf_bps")
local s64, s15 = med(R.s64, "bulk_bps"), med(R.s15, "bulk_bps")
local kc, sc = med(R.kc, "kernel_churn_per_s"), med(R.sc, "churn_per_s")
local sr = med(R.sr, "churn_per_s")
local pc, sx = med(R.pc, "scapy_codec_per_s"), med(R.sx, "codec_per_s")
local hooks = med(R.hook, "hook_calls_per_s")
local hook_ns = med(R.hook, "hook_ns_per_call")
local vt = R.vt[1]
local same_bytes = R.sx[1] and R.pc[1] and R.sx[1].codec_hex == R.pc[1].scapy_codec_hex

local rows = {
  {"Bulk goodput, MTU 65535 (synack wire vs iperf3 on 127.0.0.1)", fmt(s64, "bit/s"), fmt(k64, "bit/s"),
    ratio(s64, k64), ">= 1.0x", 1.0},
  {"Bulk goodput, MTU 1500 (vs iperf3 on 127.0.0.1, loopback MTU)", fmt(s15, "bit/s"), fmt(k64, "bit/s"),
    ratio(s15, k64), ">= 0.5x", 0.5},
  {"Bulk goodput, MTU 1500 (vs iperf3 -M 1460, same MSS)", fmt(s15, "bit/s"), fmt(k15, "bit/s"),
    ratio(s15, k15), "(same MSS)", nil},
  {"Bulk goodput per CPU-second, MTU 65535 (iperf3: sender + receiver CPU)", fmt(med(R.s64, "bulk_cpu_bps"), "bit/s"),
    fmt(med(R.k64, "iperf_cpu_bps"), "bit/s"), ratio(med(R.s64, "bulk_cpu_bps"), med(R.k64, "iperf_cpu_bps")),
    "(efficiency)", nil},
  {"Bulk goodput per CPU-second, MTU 1500 (vs iperf3 -M 1460)", fmt(med(R.s15, "bulk_cpu_bps"), "bit/s"),
    fmt(med(R.k15, "iperf_cpu_bps"), "bit/s"), ratio(med(R.s15, "bulk_cpu_bps"), med(R.k15, "iperf_cpu_bps")),
    "(efficiency)", nil},
  {"Connection churn (connect, 1 byte, close; vs bench/churn_kernel.c)", fmt(sc, "conn/s"), fmt(kc, "conn/s"),
    ratio(sc, kc), ">= 5x", 5},
  {"Connection churn through the binding's raw methods (net:_run, l:_accept, c:_recv)", fmt(sr, "conn/s"),
    fmt(kc, "conn/s"), ratio(sr, kc), "(no scheduler)", nil},
  {"Segment build + encode + parse (vs Scapy)", fmt(sx, "seg/s"), fmt(pc, "seg/s"), ratio(sx, pc), ">= 100x", 100},
  {"No-op Lua hook on every segment", fmt(hooks, "calls/s"), "1 M/s (goal)", ratio(hooks, 1e6), ">= 1e6/s", 1},
}
local scale_ratio = ratio(scale.scale_event_ns_n, scale.scale_event_ns_1k)
local scale_hot = ratio(scale.scale_event_ns_n_hot1k, scale.scale_event_ns_1k)
rows[#rows + 1] = {string.format("Event cost at %d vs 1,000 connections (bytes on any connection)", scale_n),
  ns(scale.scale_event_ns_n), ns(scale.scale_event_ns_1k),
  scale_ratio, "<= 1.5x", 1.5, false}
rows[#rows + 1] = {string.format("Event cost at %d vs 1,000 connections (bytes on 1,000 of them)", scale_n),
  ns(scale.scale_event_ns_n_hot1k), ns(scale.scale_event_ns_1k),
  scale_hot, "<= 1.5x", 1.5, false}
local vt_ratio = vt.vtime_wall_us and vt.vtime_wall_us / 1000
rows[#rows + 1] = {string.format("Virtual time: %.0f s of network time (keepalive, close, TIME-WAIT)",
  vt.vtime_span_s or 0), string.format("%.1f us wall", vt.vtime_wall_us or 0 / 0), "1 ms (goal)",
  vt_ratio, "<= 1x", 1, false}

local function machine()
  local cpu = capture("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-"):gsub("^%s+", "")
  return {
    {"CPU", cpu ~= "" and cpu or "unknown"},
    {"nproc", capture("nproc")},
    {"Kernel", capture("uname -sr")},
    {"Memory", capture("awk '/MemTotal/ {printf \"%.1f GB\", $2/1048576}' /proc/meminfo")},
    {"Lua", capture(LUA .. " -v")},
    {"Compiler", capture("${CC:-cc} --version | head -n1")},
    {"iperf3", have_iperf and capture("iperf3 --version | head -n1") or "not installed"},
    {"Scapy", have_scapy and capture(PY .. " -c 'import scapy; print(scapy.VERSION)'") or "not installed"},
    {"Load average at the end", capture("cut -d' ' -f1-3 /proc/loadavg")},
  }
end

local o = {}
local function w(...) o[#o + 1] = table.concat({...}) end

w("# synack benchmarks")
w("")
w("Written by `make bench` (bench/run.lua) on ", os.date("!%Y-%m-%d %H:%M UTC", started), ", in ",
  tostring(os.time() - started), " s. Every synack number here sits beside a peer measured in the",
  " same run, interleaved, ", tostring(REPS), " runs each, medians kept; the ratio is what to read,",
  " since absolute numbers move with the machine and its load. Wall-clock time throughout.")
w("")
w("## Machine")
w("")
w("| | |")
w("| --- | --- |")
for _, m in ipairs(machine()) do w("| ", m[1], " | ", m[2], " |") end
w("")
w("## Results")
w("")
w("| benchmark | synack | peer | ratio | goal | met |")
w("| --- | ---: | ---: | ---: | --- | --- |")
for _, r in ipairs(rows) do
  w("| ", r[1], " | ", r[2], " | ", r[3], " | ", x(r[4]), " | ", r[5], " | ",
    r[6] and verdict(r[4], r[6], r[7]) or "", " |")
end
w("")
w("Notes:")
w("")
w("- Bulk: synack runs both hosts in one thread of one process (sender, wire and receiver on one core);")
w("  iperf3 runs a client and a server process and the kernel's loopback on both cores.")
w("  The per-CPU-second rows divide by the CPU time each side used (iperf3 reports its own, in %),",
  " which the load of other work on the machine disturbs less than wall time.")
w("  synack moves ", fmt(med(R.s64, "bulk_bytes"), "B"), " at MTU 65535 (MSS ", tostring(med(R.s64, "bulk_mss")),
  ") and ",
  fmt(med(R.s15, "bulk_bytes"), "B"), " at MTU 1500 (MSS ", tostring(med(R.s15, "bulk_mss")),
  "); iperf3 runs ", tostring(IPERF_SECONDS), " s.")
local sched_share = sc and sr and 1 - sc / sr
w("- Churn: both sides open, use and close connections one after the other, client closing first;")
w("  synack also runs each TIME-WAIT to its end (virtual time makes that free). The first churn row")
w("  uses the public API (net:run, l:accept, c:recv), whose coroutine scheduler's checks take ",
  sched_share and string.format("%.0f%%", sched_share * 100) or "n/a", " of the time; the second calls",
  " the binding's methods under it.")
w("- Codec: the packet is the SYN of DESIGN.md's card (mss, sackOK, TS, nop, wscale). Both sides'",
  " bytes are ", same_bytes and "**identical**" or "**not identical (check!)**", ":")
w("  `", tostring(R.sx[1] and R.sx[1].codec_hex), "`.")
w("- Hook: ", fmt(med(R.hook, "hook_calls"), ""), " hook calls (each segment passes the hook leaving its sender",
  " and reaching its receiver) in a 32 MB transfer at MTU 1500, the transfer's own work included;",
  " one call costs ", string.format("%.0f", hook_ns or 0 / 0), " ns over the same transfer unhooked. Per",
  " CPU-second (this process's CPU time): ", fmt(med(R.hook, "hook_cpu_calls_per_s"), "calls/s"), ".")
w("")
w("## Scale")
w("")
w(scale_note, string.format("%d established connections (each is two TCBs, both ends, and two Lua", scale_n),
  " userdata, all kept by the script) opened in ", string.format("%.2f s", scale.scale_open_s or 0 / 0), ".")
w("")
w("| | |")
w("| --- | ---: |")
w("| memory per idle established connection (both ends, Lua objects included) | ",
  string.format("%.0f bytes", scale.scale_bytes_per_conn or 0 / 0), " |")
w("| of which Lua's heap | ", string.format("%.0f bytes", (scale.scale_lua_kb or 0 / 0) * 1024 / scale_n), " |")
w("| memory per connection added by one byte on each, client to server (the rings, given back empty, stay",
  " in their host's pool) | ",
  string.format("%.0f bytes", scale.scale_bytes_per_conn_used or 0 / 0), " |")
w("| first use of a connection (one byte, client to server), per connection | ",
  string.format("%.1f us", scale.scale_first_use_us or 0 / 0), " |")
w("| one event, 1,000 connections | ", string.format("%.0f ns", scale.scale_event_ns_1k or 0 / 0), " |")
w("| one event, ", tostring(scale_n), " connections, bytes on any of them | ",
  string.format("%.0f ns", scale.scale_event_ns_n or 0 / 0), " |")
w("| one event, ", tostring(scale_n), " connections, bytes on 1,000 of them | ",
  string.format("%.0f ns", scale.scale_event_ns_n_hot1k or 0 / 0), " |")
w("")
w("An event here is one step of the network (`net:_stepq()`: `net:step()` without the event table it",
  " returns) after a one-byte send on a connection drawn at random (",
  tostring(scale.scale_events_per_round), " events each: the segment's delivery, the ACK's, a timer),",
  " Lua's send and receive included. The first row at N draws from all N connections, so every event",
  " touches memory no cache holds; the second draws from 1,000 of the N, which shows what the host's",
  " data structures cost as N grows (demux hash, timer heap).")
w("")
local m1k, mn = med(R.mem, "mem_round_ns_1k"), med(R.mem, "mem_round_ns_n")
local c1k, cn = med(R.mem, "mem_chain_ns_1k"), med(R.mem, "mem_chain_ns_n")
local load_mem, load_cache = med(R.mem, "mem_load_ns_memory"), med(R.mem, "mem_load_ns_cache")
local per_round = scale.scale_events_per_round or 3
local round_1k = scale.scale_event_ns_1k and scale.scale_event_ns_1k * per_round
local round_n = scale.scale_event_ns_n and scale.scale_event_ns_n * per_round
local function floor_of(a, b) return round_1k and a and b and (round_1k + b - a) / round_1k end
local floor_free, floor_chain = floor_of(m1k, mn), floor_of(c1k, cn)
w("Why the first row misses its goal: the memory. A round (one byte, its ", tostring(per_round), " events)",
  " touches two TCBs (nine cache lines each: the fields a segment uses come first in the TCB,",
  " src/core/tcb.h), two hash buckets, two userdata and the script's two table slots; at ",
  thousands(scale_n), " connections none of it is in a cache. bench/memory.c measures that memory",
  " alone, in plain C: one dependent load costs ", ns(load_cache), " from cache and ", ns(load_mem),
  " from memory on this machine (a 512 MB working set, most loads a TLB miss too). Touching what a",
  " round touches, the same way, costs ", ns(m1k), " per round over 1,000 connections and ", ns(mn),
  " over ", thousands(scale_n), " when the processor may overlap the steps, and ", ns(c1k), " and ",
  ns(cn), " when each step waits for the one before, as synack's must (the segment that finds the",
  " server's TCB is built from the client's; the ACK that finds the client's, from the server's).",
  " Added to synack's round at 1,000 connections (", ns(round_1k), "), that memory alone makes the",
  " ratio ", x(floor_free), " and ", x(floor_chain), ", with no protocol work at all. synack's round at ",
  thousands(scale_n), " costs ", ns(round_n), ", ", ns(round_n and round_1k and round_n - round_1k),
  " more than at 1,000: about ",
  string.format("%.0f", (round_n and round_1k and load_mem) and (round_n - round_1k) / load_mem or 0 / 0),
  " loads from memory, one after the other (slot, userdata, TCB; bucket, TCB; bucket; slot, userdata",
  " make eight). With the bytes on 1,000 of the connections (second row) the host's structures are",
  " as large and an event costs ", x(scale_hot), " the 1,000 case. The network asks each host for its",
  " next deadline at every step, but here a network has two hosts, and that scan is under 1% of an",
  " event's instructions (callgrind).")
w("")
w("## Goodput over lossy wires, and the Mathis model")
w("")
w("A 60 s (virtual) bulk transfer per cell: MSS 1448 (timestamps), NewReno with SACK, 4 MB buffers,",
  " RTO minimum 1 s (RFC 6298), loss on each packet either way. Mathis: MSS / RTT * sqrt(3/2) / sqrt(p).")
w("")
w("| loss p | RTT | goodput | Mathis | goodput / Mathis | wall time |")
w("| ---: | ---: | ---: | ---: | ---: | ---: |")
local cells = {}
for p, ms, g, m, wall in lossy_out:gmatch("lossy_([%d%.e-]+)_(%d+) (%d+) (%d+) ([%d%.]+)") do
  cells[#cells + 1] = {tonumber(p), tonumber(ms), tonumber(g), tonumber(m), tonumber(wall)}
end
for _, c in ipairs(cells) do
  w(string.format("| %g%% | %d ms | %s | %s | %.2f | %.2f s |", c[1] * 100, c[2], fmt(c[3] * 8, "bit/s"),
    fmt(c[4] * 8, "bit/s"), c[3] / c[4], c[5]))
end
if #cells == 0 then w("| n/a | | | | | |") end
w("")
w("The model holds where it was made for (rare loss, fast retransmit repairs it); at 5-10% loss")
w("retransmission timeouts dominate, and goodput falls well under it (Padhye et al. 1998 model that).")
w("")
w("## Virtual time")
w("")
w(string.format("The scenario spans %.2f s of network time: handshake on a 10 ms wire, three minutes idle",
  vt.vtime_span_s or 0 / 0), " with keepalive probes every 60 s answered, a close both ways, TIME-WAIT (2 MSL = 60 s)",
  string.format(" until both ends are freed. Median wall time of 200 runs: %.1f us (fastest %.1f us).",
  vt.vtime_wall_us or 0 / 0, vt.vtime_wall_min_us or 0 / 0))
w("")
if profiled then
  w("## Profiles")
  w("")
  w("bench/profile.sh, small sizes (bulk 32 MB at 65535, 8 MB at 1500, 2,000 churned connections, a 4 MB",
    " hooked transfer). Self cost per function, top 10. With callgrind the unit is instructions; it counts",
    " each byte `rep movsb` moves as one, so memcpy weighs more there than in time. `???` is the Lua",
    " interpreter, which has no symbols.")
  for _, name in ipairs(PROFILES) do
    local f = io.open(BUILD .. "/bench/profile-" .. name .. ".txt")
    if f then
      w("")
      w("`", name, "`:")
      w("")
      w("```")
      local k = 0
      for line in f:lines() do
        k = k + 1
        if k <= 11 then w(line) end
      end
      f:close()
      w("```")
    end
  end
  w("")
end
w("## Commands, as run")
w("")
w("```sh")
for _, c in ipairs(commands) do w(c) end
w("```")
w("")
w("## Reproduce")
w("")
w("```sh")
w("make bench                      # installs iperf3, python3-scapy, valgrind, lua-system if missing,")
w("                                # builds, runs everything above (2-3 minutes), writes this file")
w("make bench LUA=luajit           # the same on another Lua")
w("BENCH_REPS=5 make bench         # more runs per pair")
w("BENCH_PROFILE=0 make bench       # without the profiles (callgrind takes about a minute)")
w("bench/profile.sh                # the profiles alone (SYNACK_BUILD=build/lua5.4)")
w("```")
w("")
w("Each script runs alone too, e.g. `bin/synack bench/bulk.lua 1500 64` prints `name value` lines.")
w("The machine was shared with other work while this ran: expect a few tens of percent of noise on")
w("each side, which the interleaving spreads over both.")

local f = assert(io.open(OUT, "w"))
f:write(table.concat(o, "\n"), "\n")
f:close()
io.write(table.concat(o, "\n"), "\n")

-- The headline in README.md: its paragraph that starts "Benchmarks:", rewritten with these numbers.
local function one(r, digits) return r and string.format("%." .. (digits or 1) .. "fx", r) or "n/a" end
if README ~= "" then
  local rf = io.open(README)
  local readme = rf and rf:read("*a")
  if rf then rf:close() end
  local head = readme and readme:find("\nBenchmarks: `make bench`", 1, true)
  if head then
    local stop = readme:find("\n\n", head + 1, true) or #readme
    local text = table.concat({
      "Benchmarks: `make bench` (about a minute; it installs iperf3, python3-scapy, ",
      "valgrind and lua-system if missing) runs each benchmark beside a peer measured ",
      "in the same run and writes `bench/RESULTS.md` with the machine, the exact ",
      "commands and the ratios. On a shared ", capture("nproc"), "-core VM: a bulk transfer between two ",
      "synack hosts on the in-memory wire runs at ", one(ratio(s64, k64), 2), " iperf3's Linux loopback TCP ",
      "at MTU 65535 and ", one(ratio(s15, k64), 2), " at MTU 1500 (one core against iperf3's two); ",
      "connection churn driven from Lua is ", one(ratio(sc, kc)), " the kernel's loopback rate (",
      one(ratio(sr, kc)), " without the coroutine scheduler); building, encoding and parsing a segment is ",
      string.format("%.0fx", ratio(sx, pc) or 0 / 0), " faster than Scapy; a no-op Lua hook on every segment ",
      "passes ", string.format("%.1f", (hooks or 0 / 0) / 1e6), " million segments a second; ",
      thousands(scale_n), " established connections take about ",
      string.format("%.1f", (scale.scale_bytes_per_conn or 0 / 0) / 1000), " KB each, and an event among ",
      "them costs ", one(scale_ratio), " what it costs among 1,000 (",
      floor_chain and floor_chain > 1.5 and ("the goal, 1.5x, is less than the same memory touched in plain C "
        .. "costs here, " .. one(floor_chain) .. ": see the notes") or "the goal is 1.5x: see the notes",
      "); and four minutes of keepalive and TIME-WAIT take ",
      string.format("%.0f", vt.vtime_wall_us or 0 / 0), " microseconds.",
    })
    -- wrap at 80 columns, as the README is
    local lines, line = {}, ""
    for word in text:gmatch("%S+") do
      if #line + #word + 1 > 80 and line ~= "" then lines[#lines + 1] = line; line = word
      else line = line == "" and word or line .. " " .. word end
    end
    lines[#lines + 1] = line
    local out = readme:sub(1, head) .. table.concat(lines, "\n") .. readme:sub(stop)
    if out ~= readme then
      local wf = assert(io.open(README, "w"))
      wf:write(out)
      wf:close()
    end
  end
end
