--- synack.ladder: a network's trace as a ladder diagram, in text or SVG.
--
-- Contract: M.ladder(net [, opts]) -> string (text, or an SVG document);
-- with opts.file it also writes that string to the file, and on a file
-- error returns nil, "EIO: path: message", "EIO". Bad options raise an error
-- naming the option. The trace is only read, never changed.
--
-- Hosts are columns, time runs down with the time of each line on the left.
-- Each segment a host sends is one arrow from its column to the receiver's,
-- labelled `flags seq:end(len) ack N <options>` (options in short: `mss
-- 1460,sackOK,TS,ws 2`). A segment lost on the link ends in an X short of
-- the receiver, with the reason. State changes, timers, drops on delivery
-- (checksum, hook, no listener) and the application's calls are notes beside
-- the host's bar. Options (all optional):
--
--   relative = true     seq and ack relative to each side's ISN (as Wireshark),
--                       learnt from the SYN and SYN/ACK of each 4-tuple
--   width = 80          text: no line is longer than width - 1 (labels shorten)
--   from = t, to = t    only events with from <= ev.t <= to
--   last = n            only the last n events drawn (after from/to)
--   hosts = {...}       the columns, in order: addresses or host objects; a
--                       last column "others" appears for segments from or
--                       to hosts not shown (or addresses no host owns)
--   format = "svg"      an SVG picture of the same ladder ("text" by default)
--   file = "x.svg"      also write the result to this file
local M = {}

local TIMEW = 10       -- the time column: "%10.6f"
local MOD = 4294967296 -- sequence space

-- Drops that happen on the link, at the sender's side: they mark the arrow.
local LINK_DROPS = {loss = true, queue = true, mtu = true, ["no host"] = true}

------------------------------------------------------------------------------
-- Options

local OPTIONS = {relative = true, width = true, from = true, to = true, last = true, hosts = true,
  format = true, file = true}

local function bad(name, what)
  error(("bad option '%s' to 'ladder' (%s)"):format(name, what), 4)
end

local function check_number(o, k)
  if o[k] ~= nil and (type(o[k]) ~= "number" or o[k] ~= o[k]) then bad(k, "number expected") end
end

local function check_count(o, k, min)
  local v = o[k]
  if v ~= nil and (type(v) ~= "number" or v % 1 ~= 0 or v < min or v > 1e6) then
    bad(k, ("integer >= %d expected"):format(min))
  end
end

local function host_names(list)
  if type(list) ~= "table" then bad("hosts", "list of addresses expected") end
  local names = {}
  for i, h in ipairs(list) do
    local ok, addr = pcall(function() return type(h) == "string" and h or h.addr end)
    if not ok or type(addr) ~= "string" then
      bad("hosts", ("entry %d is not an address or a host"):format(i))
    end
    names[i] = addr
  end
  if #names == 0 then bad("hosts", "at least one host expected") end
  return names
end

local function options(opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then
    error(("bad argument #1 to 'ladder' (table of options expected, got %s)"):format(type(opts)), 3)
  end
  local o = {}
  for k, v in pairs(opts) do
    if not OPTIONS[k] then bad(tostring(k), "unknown option") end
    o[k] = v
  end
  check_number(o, "from")
  check_number(o, "to")
  check_count(o, "width", 30)
  check_count(o, "last", 0)
  o.width = o.width or 80
  o.format = o.format or "text"
  if o.format ~= "text" and o.format ~= "svg" then bad("format", '"text" or "svg" expected') end
  if o.file ~= nil and type(o.file) ~= "string" then bad("file", "path expected") end
  if o.hosts ~= nil then o.hosts = host_names(o.hosts) end
  return o
end

------------------------------------------------------------------------------
-- What to draw: events, hosts, numbers

local function tuple_key(seg)
  return seg.src .. "." .. seg.sport .. ">" .. seg.dst .. "." .. seg.dport
end

local function rev_key(seg)
  return seg.dst .. "." .. seg.dport .. ">" .. seg.src .. "." .. seg.sport
end

--- numbers[ev] = {seq, ack} for every segment event: absolute, or relative to
-- the ISN of each direction of the 4-tuple as the trace has shown it so far.
local function numbers(events, relative)
  local isn, out = {}, {}
  for _, ev in ipairs(events) do
    local seg = ev.seg
    if seg then
      local seq, ack = seg.seq, seg.ack
      if relative then
        if seg.syn then isn[tuple_key(seg)] = seg.seq end
        local mine, theirs = isn[tuple_key(seg)], isn[rev_key(seg)]
        if mine then seq = (seq - mine) % MOD end
        if theirs then ack = (ack - theirs) % MOD end
      end
      out[ev] = {seq, ack}
    end
  end
  return out
end

--- Is ev drawn (as a line of text, or a row of the picture)?
local function drawn(ev, shown)
  local k = ev.kind
  if k == "segment" then
    return ev.dir == "out" and (shown[ev.from] or shown[ev.to or ""]) ~= nil
  elseif k == "drop" then
    return not LINK_DROPS[ev.why] and (shown[ev.to or ""] or shown[ev.host or ""]) ~= nil
  elseif k == "timer" and ev.alarm then
    return false
  end
  return shown[ev.host or ""] ~= nil
end

local function window(events, o, shown)
  local list = {}
  for _, ev in ipairs(events) do
    if (not o.from or ev.t >= o.from) and (not o.to or ev.t <= o.to) and drawn(ev, shown) then
      list[#list + 1] = ev
    end
  end
  if o.last and #list > o.last then
    local cut = {}
    for i = #list - o.last + 1, #list do cut[#cut + 1] = list[i] end
    list = cut
  end
  return list
end

--- A last column, "others", when a drawn segment comes from or goes to a
-- host not shown (or an address no host owns): m.other is its index.
local function add_others(m)
  for _, ev in ipairs(m.events) do
    if ev.kind == "segment" and not (m.index[ev.from] and m.index[ev.to or ""]) then
      m.names[#m.names + 1] = "others"
      m.other = #m.names
      return
    end
  end
end

--- The column of an address: its own, else the "others" column.
local function column(m, addr)
  return m.index[addr or ""] or m.other
end

--- The label's note of the host not shown that a segment comes from or goes to.
local function peer_text(m, ev)
  if not m.index[ev.from] then return ev.from end
  if not m.index[ev.to or ""] then return ev.to or (ev.seg and ev.seg.dst) or "?" end
  return nil
end

--- The facts the two renderers share.
local function model(net, o)
  local events = net:trace()
  local names = o.hosts
  if not names then
    names = {}
    for i, h in ipairs(net:hosts()) do names[i] = h.addr end
  end
  local index = {}
  for i, n in ipairs(names) do index[n] = i end
  local lost, arrival = {}, {}
  for _, ev in ipairs(events) do
    if ev.kind == "drop" and LINK_DROPS[ev.why] then lost[ev.id] = ev.why end
    if ev.kind == "segment" and ev.dir == "in" and not arrival[ev.id] then arrival[ev.id] = ev.t end
  end
  local m = {
    names = names, index = index, lost = lost, arrival = arrival,
    nums = numbers(events, o.relative), events = window(events, o, index),
  }
  add_others(m)
  return m
end

------------------------------------------------------------------------------
-- Labels

--- "mss 1460,sackOK,TS,ws 2" (no nop/eol), or nil when there are none.
local function short_options(seg)
  local list = seg.options and seg.options.list
  if not list then return nil end
  local parts = {}
  for _, op in ipairs(list) do
    local name = type(op) == "table" and op[1] or op
    if name == "mss" then parts[#parts + 1] = "mss " .. op[2]
    elseif name == "wscale" then parts[#parts + 1] = "ws " .. op[2]
    elseif name == "sackOK" then parts[#parts + 1] = "sackOK"
    elseif name == "ts" then parts[#parts + 1] = "TS"
    elseif name == "sack" then parts[#parts + 1] = "sack " .. (#op - 1)
    elseif type(op) == "table" and op.kind then parts[#parts + 1] = "opt " .. op.kind
    end
  end
  if #parts == 0 then return nil end
  return table.concat(parts, ",")
end

--- The label of a segment, the longest form that fits `room` characters.
local function label(seg, nums, room)
  if not seg then return ("?"):sub(1, room) end
  local len, seq, ack = seg.len, nums[1], nums[2]
  local flags = seg.flags ~= "" and seg.flags or "none"
  local acks = seg.has_ack and (" ack " .. ack) or ""
  local opts = short_options(seg)
  local base = ("%s %d:%d(%d)%s"):format(flags, seq, (seq + len) % MOD, len, acks)
  local forms = {
    opts and (base .. " <" .. opts .. ">") or base,
    base,
    ("%s %d(%d)%s"):format(flags, seq, len, acks),
    ("%s %d(%d)"):format(flags, seq, len),
    flags,
  }
  for _, f in ipairs(forms) do
    if #f <= room then return f end
  end
  return flags:sub(1, math.max(room, 0))
end

--- The note an event puts beside a host's bar, and its style (svg class).
local function note_text(ev)
  if ev.kind == "state" then return ev.to, "state" end
  if ev.kind == "timer" then return "(timer)", "app" end
  if ev.kind == "drop" then return "X " .. ev.why, "drop" end
  return ev.what or "?", "app"
end

------------------------------------------------------------------------------
-- Text

local function columns(n, width)
  local first, last = TIMEW + 1, width - 2
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

--- A text line under construction: `width` cells, 0-based columns.
local function blank(pos, width)
  local line = {width = width}
  for i = 1, width do line[i] = " " end
  for _, p in ipairs(pos) do line[p + 1] = "|" end
  return line
end

local function put(line, col, text)
  for i = 1, #text do
    local c = col + i
    if c >= 1 and c <= line.width - 1 then line[c] = text:sub(i, i) end
  end
end

local function finish(line, t)
  local s = table.concat(line):gsub("%s+$", "")
  local stamp = t and ("%" .. TIMEW .. ".6f"):format(t) or (" "):rep(TIMEW)
  return stamp .. s:sub(TIMEW + 1)
end

local function shorten(text, room)
  if #text <= room then return text end
  if room <= 1 then return text:sub(1, math.max(room, 0)) end
  return text:sub(1, room - 1) .. "~"
end

--- Where the arrow of ev starts and ends (columns), or nil when both ends
-- are the same column.
local function arrow_ends(m, pos, ev)
  local a, b = pos[column(m, ev.from)], pos[column(m, ev.to)]
  if a == b then return nil end
  return a, b
end

--- The arrow of a segment: dashes from the sender's bar to the receiver's,
-- or, when the link lost it, to an X and the reason short of the receiver.
local function arrow(m, pos, width, ev)
  local a, b = arrow_ends(m, pos, ev)
  if not a then return nil end
  local line = blank(pos, width)
  local lo, hi = math.min(a, b), math.max(a, b)
  local why = m.lost[ev.id]
  local s, e = lo + 1, hi - 1 -- the dashes, columns s..e
  if why then
    why = shorten(why, math.max(hi - lo - 14, 4))
    if a < b then
      e = hi - 4 - #why
      put(line, e + 1, "X " .. why)
    else
      s = lo + 4 + #why
      put(line, lo + 2, why .. " X")
    end
  end
  for c = s, e do line[c + 1] = "-" end
  if not why then
    if a < b then line[hi] = ">" else line[lo + 2] = "<" end
  end
  local room = e - s + 1 - 6
  local text = label(ev.seg, m.nums[ev] or {0, 0}, math.max(room, 1))
  local peer = peer_text(m, ev)
  if peer and #text + #peer + 3 <= room then
    text = text .. " (" .. peer .. ")"
  end
  put(line, s + math.floor((e - s + 1 - #text - 2) / 2), " " .. text .. " ")
  return line
end

local function note(m, pos, width, ev)
  local i = m.index[ev.kind == "drop" and ev.to or ev.host] or m.index[ev.host]
  local p = pos[i]
  if not p then return nil end
  local line = blank(pos, width)
  local text = note_text(ev)
  local n = #m.names
  if n > 1 and i == n then
    text = shorten(text, p - TIMEW - 3)
    put(line, p - 1 - #text, text)
  else
    local right = i < n and pos[i + 1] or width - 1
    text = shorten(text, right - p - 3)
    put(line, p + 2, text)
  end
  return line
end

--- Host names above the bars: the first starts at its bar, the last ends at
-- its bar, the others are centred; too long, they keep their tail.
local function header(m, pos, width)
  local line = blank(pos, width)
  for i = 1, width do line[i] = " " end
  local n = #pos
  local d = n > 1 and (pos[2] - pos[1]) or width
  local room = n == 2 and math.floor(d / 2) - 1 or math.floor(d * 2 / 3) - 1
  for i, name in ipairs(m.names) do
    if #name > room then name = "~" .. name:sub(-(room - 1)) end
    local col = pos[i] - math.floor(#name / 2)
    if n > 1 and i == 1 then col = pos[i] elseif n > 1 and i == n then col = pos[i] - #name + 1 end
    put(line, col, name)
  end
  return line
end

local function text_ladder(m, o)
  local width = o.width
  local pos = columns(#m.names, width)
  local out = {finish(header(m, pos, width), nil), finish(blank(pos, width), nil)}
  for _, ev in ipairs(m.events) do
    local line
    if ev.kind == "segment" then
      line = arrow(m, pos, width, ev)
    else
      line = note(m, pos, width, ev)
    end
    if line then out[#out + 1] = finish(line, ev.t) end
  end
  return table.concat(out, "\n") .. "\n"
end

------------------------------------------------------------------------------
-- SVG

local XML_ESC = {["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;"}

local function esc(s)
  return (tostring(s):gsub('[&<>"]', XML_ESC))
end

local function num(x)
  return ("%.1f"):format(x)
end

local STYLE = [[
text { font-family: monospace; font-size: 12px; fill: #000; }
.host { font-size: 14px; font-weight: bold; }
.time { fill: #666; }
.state { fill: #1f4e9a; font-weight: bold; }
.app { fill: #666; font-style: italic; }
.drop { fill: #b00; }
.bar { stroke: #000; stroke-width: 2; }
.others { stroke: #999; stroke-width: 2; stroke-dasharray: 2 4; }
.seg { stroke: #000; stroke-width: 1.2; }
.lost { stroke: #b00; stroke-width: 1.2; stroke-dasharray: 5 3; }
.cross { stroke: #b00; stroke-width: 2.5; }]]

local ROW, GAP, TOP = 20, 36, 60 -- pixels: per event, more when time moves, header

--- y of every drawn event: one row each, a gap more when the time moves on.
local function rows(m)
  local y, ys, last_t = TOP, {}, nil
  for _, ev in ipairs(m.events) do
    if last_t and ev.t > last_t then y = y + GAP end
    y = y + ROW
    ys[ev] = y
    last_t = ev.t
  end
  return ys, y
end

--- y where the packet of ev arrives at time t: just above the receiver's
-- first row at time t, else on the first row at t, else in the time gap
-- before the first row after t, else one gap below the last row.
local function arrival_y(m, ys, ev, t)
  local first
  for _, e in ipairs(m.events) do
    if ys[e] > ys[ev] and e.t >= t then
      if e.t > t then
        return first and ys[first] or ys[e] - ROW - GAP / 2
      end
      if e.host == ev.to then return ys[e] - ROW / 2 end
      first = first or e
    end
  end
  return first and ys[first] or ys[ev] + GAP
end

local CHAR = 7.3 -- pixels: the width of a 12px monospace character

--- The length of the longest note beside the first host (drawn on its left).
local function first_notes(m)
  local n = 0
  if #m.names < 2 then return 0 end
  for _, ev in ipairs(m.events) do
    if ev.kind ~= "segment" then
      local i = m.index[ev.kind == "drop" and ev.to or ev.host] or m.index[ev.host]
      if i == 1 then n = math.max(n, #(note_text(ev))) end
    end
  end
  return n
end

local function svg_layout(m)
  local longest = 8
  for _, ev in ipairs(m.events) do
    if ev.kind == "segment" then
      local peer = peer_text(m, ev)
      longest = math.max(longest, #label(ev.seg, m.nums[ev] or {0, 0}, 200) + (peer and #peer + 3 or 0))
    end
  end
  local gap = math.max(260, math.min(560, longest * CHAR + 60))
  local left = 80 + math.max(120, first_notes(m) * CHAR + 12) -- time, the first host's notes
  local x = {gap = gap}
  for i = 1, #m.names do x[i] = left + (i - 1) * gap end
  local _, bottom = rows(m)
  return x, left + math.max(#m.names - 1, 0) * gap + 150, bottom + 40
end

local function svg_text(out, x, y, text, class, anchor, extra)
  out[#out + 1] = ('<text x="%s" y="%s"%s%s%s>%s</text>'):format(num(x), num(y),
    class and (' class="' .. class .. '"') or "",
    anchor and (' text-anchor="' .. anchor .. '"') or "", extra or "", esc(text))
end

local function svg_line(out, x1, y1, x2, y2, class, extra)
  out[#out + 1] = ('<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"%s/>'):format(
    num(x1), num(y1), num(x2), num(y2), class, extra or "")
end

--- The shortest distance between segments p1-p2 and q1-q2 (0 when they
-- cross), each given as {x, y, x, y}.
local function seg_distance(p, q)
  local function cross(ax, ay, bx, by, cx, cy)
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
  end
  local d1 = cross(q[1], q[2], q[3], q[4], p[1], p[2])
  local d2 = cross(q[1], q[2], q[3], q[4], p[3], p[4])
  local d3 = cross(p[1], p[2], p[3], p[4], q[1], q[2])
  local d4 = cross(p[1], p[2], p[3], p[4], q[3], q[4])
  if d1 * d2 < 0 and d3 * d4 < 0 then return 0 end
  local function point(px, py, s)
    local dx, dy = s[3] - s[1], s[4] - s[2]
    local len2 = dx * dx + dy * dy
    local t = len2 > 0 and math.max(0, math.min(1, ((px - s[1]) * dx + (py - s[2]) * dy) / len2)) or 0
    local ex, ey = s[1] + t * dx - px, s[2] + t * dy - py
    return math.sqrt(ex * ex + ey * ey)
  end
  return math.min(point(p[1], p[2], q), point(p[3], p[4], q), point(q[1], q[2], p), point(q[3], q[4], p))
end

-- Where along an arrow its label may sit, best first: the middle (of the
-- first hop when the arrow crosses other hosts' bars), then further out.
local LABEL_SPOTS = {0.5, 0.32, 0.68, 0.2, 0.8, 0.41, 0.59}
local LABEL_CLEARANCE = 13 -- pixels between two labels' base lines

--- The centre of an arrow's label (a-y0 to x1-y1, `width` pixels long) where
-- it stays clearest of the labels already `placed` (crossing arrows would
-- otherwise stack theirs in one spot); records the choice in `placed`.
local function place_label(placed, a, y0, x1, y1, gap, width)
  local span = math.abs(x1 - a)
  local scale = math.min(1, gap / span) -- spots along the first hop
  local len = math.sqrt((x1 - a) ^ 2 + (y1 - y0) ^ 2)
  local ux, uy = (x1 - a) / len, (y1 - y0) / len
  local hop = len * scale
  local best, best_clear
  for _, f in ipairs(LABEL_SPOTS) do
    -- a spot is taken only if the whole label stays over its arrow
    local fits = f * hop - width / 2 >= 0 and f * hop + width / 2 <= hop
    local mx, my = a + (x1 - a) * f * scale, y0 + (y1 - y0) * f * scale
    local box = {mx - ux * width / 2, my - uy * width / 2, mx + ux * width / 2, my + uy * width / 2}
    local clear = math.huge
    for _, other in ipairs(placed) do clear = math.min(clear, seg_distance(box, other)) end
    if not fits and f ~= 0.5 then clear = -1 end
    if clear >= LABEL_CLEARANCE then best = box; break end
    if not best or clear > best_clear then best, best_clear = box, clear end
  end
  placed[#placed + 1] = best
  return (best[1] + best[3]) / 2, (best[2] + best[4]) / 2
end

local function svg_arrow(out, m, x, ys, ev, placed)
  local a, b = x[column(m, ev.from)], x[column(m, ev.to)]
  if a == b then return end
  local y0 = ys[ev]
  local why = m.lost[ev.id]
  local x1, y1
  local dir = b > a and 1 or -1
  if why then
    x1, y1 = a + dir * math.min(math.abs(b - a), x.gap) * 0.6, y0 + GAP * 0.6
  else
    x1, y1 = b, arrival_y(m, ys, ev, m.arrival[ev.id] or ev.t)
  end
  svg_line(out, a, y0, x1, y1, why and "lost" or "seg", why and "" or ' marker-end="url(#head)"')
  if why then
    local d = 5
    svg_line(out, x1 - d, y1 - d, x1 + d, y1 + d, "cross")
    svg_line(out, x1 - d, y1 + d, x1 + d, y1 - d, "cross")
    svg_text(out, x1 + dir * 10, y1 + 4, why, "drop", dir > 0 and "start" or "end")
  end
  local text = label(ev.seg, m.nums[ev] or {0, 0}, 200)
  local peer = peer_text(m, ev)
  if peer then text = text .. " (" .. peer .. ")" end
  local mx, my = place_label(placed, a, y0, x1, y1, x.gap, #text * CHAR)
  local angle = math.deg(math.atan((y1 - y0) / (x1 - a)))
  svg_text(out, mx, my - 5, text, nil, "middle",
    (' transform="rotate(%s %s %s)"'):format(num(angle), num(mx), num(my)))
end

local function svg_note(out, m, x, ys, ev)
  local i = m.index[ev.kind == "drop" and ev.to or ev.host] or m.index[ev.host]
  if not i then return end
  local text, class = note_text(ev)
  local y = ys[ev] + 4
  if i == 1 and #m.names > 1 then
    svg_text(out, x[i] - 8, y, text, class, "end")
  else
    svg_text(out, x[i] + 8, y, text, class)
  end
end

local function svg_ladder(m)
  local x, width, height = svg_layout(m)
  local ys = rows(m)
  local out = {
    '<?xml version="1.0" encoding="UTF-8"?>',
    ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">')
      :format(math.ceil(width), math.ceil(height), math.ceil(width), math.ceil(height)),
    "<style>" .. STYLE .. "</style>",
    '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9"'
      .. ' markerHeight="9" orient="auto"><path d="M0,1 L10,5 L0,9 z"/></marker></defs>',
    ('<rect width="%d" height="%d" fill="#fff"/>'):format(math.ceil(width), math.ceil(height)),
  }
  for i, name in ipairs(m.names) do
    svg_text(out, x[i], 24, name, "host", "middle")
    svg_line(out, x[i], 34, x[i], height - 20, i == m.other and "others" or "bar")
  end
  local last_t
  local placed = {} -- the arrows' labels so far, as base-line segments
  for _, ev in ipairs(m.events) do
    if ev.t ~= last_t then svg_text(out, 8, ys[ev] + 4, ("%.6f"):format(ev.t), "time") end
    last_t = ev.t
    if ev.kind == "segment" then
      svg_arrow(out, m, x, ys, ev, placed)
    else
      svg_note(out, m, x, ys, ev)
    end
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n") .. "\n"
end

------------------------------------------------------------------------------

local function write(path, s)
  local f, err = io.open(path, "wb")
  if not f then return nil, "EIO: " .. tostring(err), "EIO" end
  local ok, werr = f:write(s)
  f:close()
  if not ok then return nil, "EIO: " .. path .. ": " .. tostring(werr), "EIO" end
  return true
end

--- The ladder of `net`'s trace (see the header for `opts`).
function M.ladder(net, opts)
  local o = options(opts)
  local m = model(net, o)
  local s = o.format == "svg" and svg_ladder(m) or text_ladder(m, o)
  if o.file then
    local ok, err, code = write(o.file, s)
    if not ok then return nil, err, code end
  end
  return s
end

return M
