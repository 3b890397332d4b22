--- bench/lossy.lua: goodput over lossy wires next to the Mathis model.
-- For each loss rate p and round-trip time RTT, a bulk transfer (MSS 1448
-- with timestamps, NewReno, SACK, 4 MB buffers, the default 1 s minimum
-- RTO) runs for SECONDS of virtual time on a wire that drops each packet,
-- either way, with probability p; goodput is bytes the application read
-- over that time. The Mathis model (Mathis, Semke, Mahdavi, Ott, 1997)
-- predicts MSS / RTT * C / sqrt(p), C = sqrt(3/2); it ignores timeouts,
-- which dominate at high loss.
--
--   bin/synack bench/lossy.lua SECONDS
--
-- Prints lines "lossy_<p>_<rtt ms> <goodput bytes/s> <mathis bytes/s> <wall s>".
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local lib = require "lib"

local seconds = lib.arg(1, 60)
local LOSSES = {0.001, 0.01, 0.05, 0.1}
local RTTS = {0.010, 0.100}
local BUF = 4 * 1048576
local TICK = 0.001 -- the application reads and writes every millisecond of network time

local function run(p, rtt)
  local net, a, b = lib.pair({delay = rtt / 2, loss = p})
  local l = b:listen(80, {rcvbuf = BUF, sndbuf = BUF})
  local c = a:connect("198.18.0.2", 80, {rcvbuf = BUF, sndbuf = BUF})
  local s
  for _ = 1, 100 do -- the handshake may itself lose segments
    net:advance(1)
    s = l:accept(0)
    if s then break end
  end
  assert(s, "no connection")
  local chunk = string.rep("x", 65536)
  local mss = c:info().mss
  local t0, got = net.now, 0
  local wall = lib.time(function()
    while net.now < t0 + seconds do
      while c:send(chunk) == #chunk do end
      net:advance(TICK)
      got = got + assert(lib.drain(s))
    end
  end)
  return got / seconds, mss, wall
end

for _, rtt in ipairs(RTTS) do
  for _, p in ipairs(LOSSES) do
    local goodput, mss, wall = run(p, rtt)
    local mathis = mss / rtt * math.sqrt(1.5) / math.sqrt(p)
    io.write(string.format("lossy_%g_%d %.0f %.0f %.3f\n", p, math.floor(rtt * 1000 + 0.5), goodput, mathis, wall))
    io.flush()
  end
end
