--- synack.ladder: a text ladder diagram of a network's trace.
--
-- Hosts are columns (vertical bars), time runs down, the time of each line
-- is on the left. Each segment a host sends is one arrow from its column to
-- the receiver's, labelled the way packetdrill writes segments:
-- flags, seq:end(len), ack. A segment lost on the link ends in "X" short of
-- the receiver. State changes, timers, drops on delivery (checksum, hook, no
-- listener) and the application's calls are notes beside the host's bar. The
-- diagram fits 80 columns.
local M = {}

local WIDTH = 79
local TIMEW = 10

-- Drops that happen on the link, at the sender's side: they mark the arrow.
local LINK_DROPS = {loss = true, queue = true, mtu = true, ["no host"] = true}

local function columns(n)
  local first, last = TIMEW + 1, WIDTH - 1
  local pos = {}
  if n == 1 then
    pos[1] = math.floor((first + last) / 2)
  else
    for i = 1, n do
      pos[i] = first + math.floor((i - 1) * (last - first) / (n - 1) + 0.5)
    end
  end
  return pos
end

local function blank(pos)
  local line = {}
  for i = 1, WIDTH do line[i] = " " end
  for _, p in ipairs(pos) do line[p + 1] = "|" end
  return line
end

local function put(line, col, text)
  for i = 1, #text do
    local c = col + i
    if c >= 1 and c <= WIDTH then line[c] = text:sub(i, i) end
  end
end

local function finish(line, t)
  local s = table.concat(line):gsub("%s+$", "")
  local stamp = t and string.format("%" .. TIMEW .. ".6f", t) or string.rep(" ", TIMEW)
  return stamp .. s:sub(TIMEW + 1)
end

--- "S. 5000:5000(0) ack 1", shortened to fit `room`.
local function label(seg, room)
  if not seg then return "?" end
  local len = #seg.payload
  local ack = seg.has_ack and (" ack " .. seg.ack) or ""
  local seq = seg.seq
  local endseq = (seq + len) % 4294967296
  local full = string.format("%s %d:%d(%d)%s", seg.flags, seq, endseq, len, ack)
  if #full <= room then return full end
  local short = string.format("%s %d(%d)%s", seg.flags, seq, len, ack)
  if #short <= room then return short end
  return short:sub(1, math.max(room, 1))
end

local function arrow(pos, from, to, text, lost)
  local line = blank(pos)
  local a, b = pos[from], pos[to]
  if not a then return nil end
  if not b then b = (a < WIDTH / 2) and WIDTH - 1 or TIMEW + 1 end
  local lo, hi = math.min(a, b), math.max(a, b)
  for c = lo + 1, hi - 1 do line[c + 1] = "-" end
  if lost then
    -- stop short of the receiver: "---X  |"
    local xcol = a < b and hi - 3 or lo + 3
    if a < b then
      for c = xcol + 1, hi - 1 do line[c + 1] = " " end
    else
      for c = lo + 1, xcol - 1 do line[c + 1] = " " end
    end
    line[xcol + 1] = "X"
  elseif a < b then
    line[hi] = ">"
  else
    line[lo + 2] = "<"
  end
  local room = hi - lo - 8
  local l = label(text, room)
  local start = lo + math.floor((hi - lo - #l) / 2)
  put(line, start, " " .. l .. " ")
  return line
end

local function note(pos, i, text, nhosts)
  local line = blank(pos)
  local p = pos[i]
  if not p then return nil end
  if nhosts > 1 and i == nhosts then
    put(line, p - 1 - #text, text)
  else
    put(line, p + 2, text)
  end
  return line
end

--- The ladder of `net`'s trace as a string (lines joined by "\n").
function M.ladder(net)
  local hosts = net:hosts()
  local index = {}
  for i, h in ipairs(hosts) do index[h.addr] = i end
  local pos = columns(#hosts)
  local events = net:trace()
  local lost = {}
  for _, ev in ipairs(events) do
    if ev.kind == "drop" and LINK_DROPS[ev.why] then lost[ev.id] = ev.why end
  end
  local out = {}
  local header = {}
  for i = 1, WIDTH do header[i] = " " end
  for i, h in ipairs(hosts) do
    local name = h.addr
    local col = pos[i] - math.floor(#name / 2)
    if col + #name > WIDTH then col = WIDTH - #name end
    if col < TIMEW + 1 then col = TIMEW + 1 end
    put(header, col, name)
  end
  out[#out + 1] = finish(header, nil)
  out[#out + 1] = finish(blank(pos), nil)
  for _, ev in ipairs(events) do
    local line
    local here = ev.host and index[ev.host]
    if ev.kind == "segment" and ev.dir == "out" then
      line = arrow(pos, index[ev.from], ev.to and index[ev.to], ev.seg, lost[ev.id])
    elseif ev.kind == "state" and here then
      line = note(pos, here, ev.to, #hosts)
    elseif ev.kind == "timer" and here then
      line = note(pos, here, "(timer)", #hosts)
    elseif ev.kind == "drop" and not LINK_DROPS[ev.why] then
      local at = ev.to and index[ev.to] or here
      if at then line = note(pos, at, "X " .. ev.why, #hosts) end
    elseif ev.kind == "app" and here then
      line = note(pos, here, ev.what, #hosts)
    end
    if line then out[#out + 1] = finish(line, ev.t) end
  end
  return table.concat(out, "\n") .. "\n"
end

return M
