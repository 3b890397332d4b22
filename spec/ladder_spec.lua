-- net:ladder{...}: the text ladder (exact, absolute and relative numbers),
-- drops, width, windows, chosen hosts, and the SVG picture (well-formed XML,
-- checked in pure Lua, with the expected labels).
local synack = require "synack"

local A, B = "198.18.0.1", "198.18.0.2"
local PLAIN = {sack = false, timestamps = false, wscale = false, delayed_ack = false}

local function with(t, extra)
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return o
end

--- A handshake between A (ISN 1000) and B:80 (ISN 5000) on a 10 ms wire,
-- run to the server's ESTABLISHED. Returns net, wire, client connection.
local function handshake()
  local net = synack.network{seed = 1}
  local w = net:wire{delay = 0.010}
  local a = net:host{addr = A, link = w}
  local b = net:host{addr = B, link = w}
  b:listen(80, with(PLAIN, {isn = 5000}))
  local c = a:connect(B, 80, with(PLAIN, {isn = 1000}))
  for _ = 1, 3 do net:step() end
  return net, w, c
end

--- The handshake, then "hello" lost on the wire twice (the send and its
-- first retransmission).
local function lossy()
  local net, w, c = handshake()
  w:set{loss = 1}
  c:send("hello")
  net:advance(1.5)
  return net, w, c
end

local function lines(s)
  local out = {}
  for line in s:gmatch("([^\n]*)\n") do out[#out + 1] = line end
  return out
end

local ABSOLUTE = [[
           198.18.0.1                                                198.18.0.2
           |                                                                  |
  0.000000 |                                                        listen 80 |
  0.000000 | connect 198.18.0.2:80                                            |
  0.000000 | SYN-SENT                                                         |
  0.000000 |------------------- S 1000:1000(0) <mss 1460> ------------------->|
  0.010000 |                                                     SYN-RECEIVED |
  0.010000 |<------------- S. 5000:5000(0) ack 1001 <mss 1460> ---------------|
  0.020000 | ESTABLISHED                                                      |
  0.020000 |-------------------- . 1001:1001(0) ack 5001 -------------------->|
  0.030000 |                                                      ESTABLISHED |
]]

local RELATIVE = [[
           198.18.0.1                                                198.18.0.2
           |                                                                  |
  0.000000 |                                                        listen 80 |
  0.000000 | connect 198.18.0.2:80                                            |
  0.000000 | SYN-SENT                                                         |
  0.000000 |---------------------- S 0:0(0) <mss 1460> ---------------------->|
  0.010000 |                                                     SYN-RECEIVED |
  0.010000 |<------------------ S. 0:0(0) ack 1 <mss 1460> -------------------|
  0.020000 | ESTABLISHED                                                      |
  0.020000 |------------------------- . 1:1(0) ack 1 ------------------------>|
  0.030000 |                                                      ESTABLISHED |
]]

describe("the text ladder", function()
  it("draws a handshake exactly, with absolute numbers by default", function()
    local net = handshake()
    assert.equal(ABSOLUTE, net:ladder())
    assert.equal(ABSOLUTE, net:ladder{})
  end)

  it("shows numbers relative to each side's ISN with relative = true", function()
    local net = handshake()
    assert.equal(RELATIVE, net:ladder{relative = true})
  end)

  it("counts relative numbers across the wrap of the sequence space", function()
    local net = synack.network{seed = 1}
    local w = net:wire{delay = 0.010}
    local a = net:host{addr = A, link = w}
    local b = net:host{addr = B, link = w}
    b:listen(80, with(PLAIN, {isn = 4294967295}))
    local c = a:connect(B, 80, with(PLAIN, {isn = 4294967290}))
    net:run_until(function() return c.state == "ESTABLISHED" end, 1)
    c:send("0123456789")
    net:run()
    local text = net:ladder{relative = true}
    assert.matches("S%. 0:0%(0%) ack 1 ", text)
    assert.matches("P%. 1:11%(10%) ack 1 ", text)
    assert.matches("%. 1:1%(0%) ack 11 ", text)
  end)

  it("marks a segment the wire lost with an X and the reason", function()
    local net = lossy()
    local text = net:ladder{relative = true, from = 0.025}
    assert.equal([[
           198.18.0.1                                                198.18.0.2
           |                                                                  |
  0.030000 |                                                      ESTABLISHED |
  0.030000 | send 5                                                           |
  0.030000 |--------------------- P. 1:6(5) ack 1 ---------------------X loss |
  1.030000 | (timer)                                                          |
  1.030000 |--------------------- P. 1:6(5) ack 1 ---------------------X loss |
]], text)
  end)

  it("marks a segment dropped on delivery beside the receiver", function()
    local net = synack.network{seed = 1}
    local w = net:wire{delay = 0.010}
    local a = net:host{addr = A, link = w}
    net:host{addr = B, link = w}
    a:connect(B, 81, with(PLAIN, {isn = 0}))
    net:run()
    local text = net:ladder()
    assert.matches("X no listener", text)
    assert.matches("|<%-+ R%. 0:0%(0%) ack 1 %-+|", text)
  end)

  it("keeps every line shorter than width, shortening labels", function()
    local net = lossy()
    for _, width in ipairs{30, 40, 52, 64, 80, 100, 132} do
      for _, rel in ipairs{false, true} do
        local text = net:ladder{width = width, relative = rel}
        for _, line in ipairs(lines(text)) do
          assert.is_true(#line < width, ("width %d: %q"):format(width, line))
        end
        assert.matches("X lo", text)
      end
    end
    local narrow = net:ladder{width = 40, relative = true}
    assert.matches("|%-+ P%. 1%(5%) ack 1 %-+X loss |", narrow)
    assert.matches("|<%-+ S%. 0:0%(0%) ack 1 %-+|", narrow)
    assert.matches("SYN%-RECEIVED |", narrow)
  end)

  it("shows a window of time, or the last n events", function()
    local net = lossy()
    local last = lines(net:ladder{last = 2, relative = true})
    assert.equal(4, #last)
    assert.matches("^  1%.030000 | %(timer%)", last[3])
    assert.matches("^  1%.030000 |%-+ P%. 1:6%(5%) ack 1 %-+X loss |$", last[4])
    local mid = lines(net:ladder{from = 0.010, to = 0.020})
    assert.equal(2 + 4, #mid)
    assert.matches("SYN%-RECEIVED", mid[3])
    assert.matches("ack 5001", mid[6])
    assert.equal(2, #lines(net:ladder{from = 5}))
  end)

  it("draws only the chosen hosts, in the given order", function()
    local net = handshake()
    local b = net:hosts()[2]
    local swapped = net:ladder{hosts = {b, A}, relative = true}
    local l = lines(swapped)
    assert.matches("^           198%.18%.0%.2 +198%.18%.0%.1$", l[1])
    assert.matches("|<%-+ S 0:0%(0%) <mss 1460> %-+|", swapped)
    -- the hosts not shown share a last column, "others"; labels name them
    local alone = net:ladder{hosts = {B}}
    assert.equal([[
           198.18.0.2                                                    others
           |                                                                  |
  0.000000 | listen 80                                                        |
  0.000000 |<------------ S 1000:1000(0) <mss 1460> (198.18.0.1) -------------|
  0.010000 | SYN-RECEIVED                                                     |
  0.010000 |-------- S. 5000:5000(0) ack 1001 <mss 1460> (198.18.0.1) ------->|
  0.020000 |<------------- . 1001:1001(0) ack 5001 (198.18.0.1) --------------|
  0.030000 | ESTABLISHED                                                      |
]], alone)
    local svg = net:ladder{hosts = {B}, format = "svg"}
    assert.is_truthy(svg:find(">others</text>", 1, true))
    assert.is_truthy(svg:find("ack 5001 (198.18.0.1)</text>", 1, true))
  end)

  it("rejects bad options, naming them", function()
    local net = handshake()
    local cases = {
      {{width = 10}, "width"}, {{width = "80"}, "width"}, {{last = -1}, "last"},
      {{from = "x"}, "from"}, {{format = "png"}, "format"}, {{hosts = {}}, "hosts"},
      {{hosts = {1}}, "hosts"}, {{file = 1}, "file"}, {{relatve = true}, "relatve"},
    }
    for _, case in ipairs(cases) do
      local ok, err = pcall(net.ladder, net, case[1])
      assert.is_false(ok)
      assert.matches("'" .. case[2] .. "'", err)
    end
    assert.has_error(function() net:ladder("svg") end)
  end)
end)

--- nil, why when s is not well-formed XML with one root element; else the
-- root's name. Handles what the SVG writer emits: a declaration, elements,
-- attributes in double quotes, text, the five predefined entities.
local ENTITY = {amp = true, lt = true, gt = true, quot = true, apos = true}

local function entities_ok(text)
  for name in text:gmatch("&([^;]*);") do
    if not ENTITY[name] and not name:match("^#%d+$") then return false end
  end
  return not text:gsub("&[%w#]+;", ""):find("&", 1, true)
end

local function open_tag(tag)
  local name, rest = tag:match("^([%a_][%w:_.-]*)(.-)$")
  if not name then return nil end
  local empty = rest:sub(-1) == "/"
  if empty then rest = rest:sub(1, -2) end
  local ok = true
  rest = rest:gsub('%s+[%a_][%w:_.-]*="([^"<]*)"', function(v)
    if not entities_ok(v) then ok = false end
    return ""
  end)
  if not ok or rest:match("%S") then return nil end
  return name, empty
end

local function xml_check(s)
  s = s:gsub("^<%?xml[^>]*%?>%s*", "")
  local stack, root, pos = {}, nil, 1
  while true do
    local lt = s:find("<", pos, true)
    local text = s:sub(pos, (lt or #s + 1) - 1)
    if not entities_ok(text) then return nil, "bad & in text near " .. pos end
    if #stack == 0 and text:match("%S") then return nil, "text outside the root" end
    if not lt then break end
    local gt = s:find(">", lt, true)
    if not gt then return nil, "unterminated tag" end
    local tag = s:sub(lt + 1, gt - 1)
    local closing = tag:match("^/([%a_][%w:_.-]*)%s*$")
    if closing then
      if stack[#stack] ~= closing then return nil, "</" .. closing .. "> closes nothing open" end
      stack[#stack] = nil
    else
      local name, empty = open_tag(tag)
      if not name then return nil, "bad tag <" .. tag .. ">" end
      if #stack == 0 then
        if root then return nil, "two root elements" end
        root = name
      end
      if not empty then stack[#stack + 1] = name end
    end
    pos = gt + 1
  end
  if #stack > 0 then return nil, "<" .. stack[#stack] .. "> not closed" end
  if not root then return nil, "no element" end
  return root
end

local function tmpname()
  local p = os.tmpname()
  os.remove(p)
  return p .. ".svg"
end

local function command_ok(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

describe("the SVG ladder", function()
  it("the XML check itself tells good from bad", function()
    assert.equal("svg", xml_check('<?xml version="1.0"?>\n<svg a="1"><g><t x="&lt;"/>a &amp; b</g></svg>\n'))
    assert.is_nil(xml_check("<svg><g></svg></g>"))
    assert.is_nil(xml_check("<svg>a < b</svg>"))
    assert.is_nil(xml_check("<svg>a & b</svg>"))
    assert.is_nil(xml_check('<svg a="<"/>'))
    assert.is_nil(xml_check("<svg/><svg/>"))
    assert.is_nil(xml_check("<svg>"))
  end)

  it("is well-formed XML with the hosts, segments, states and drops", function()
    local net = lossy()
    local svg = net:ladder{format = "svg", relative = true}
    assert.equal("svg", (assert(xml_check(svg))))
    assert.matches('^<%?xml version="1%.0"', svg)
    assert.matches('xmlns="http://www%.w3%.org/2000/svg"', svg)
    for _, want in ipairs{
      ">198.18.0.1</text>", ">198.18.0.2</text>",
      ">S 0:0(0) &lt;mss 1460&gt;</text>", ">S. 0:0(0) ack 1 &lt;mss 1460&gt;</text>",
      ">. 1:1(0) ack 1</text>", ">P. 1:6(5) ack 1</text>",
      ">SYN-SENT</text>", ">SYN-RECEIVED</text>", ">ESTABLISHED</text>", ">loss</text>",
      ">0.010000</text>", 'class="cross"', 'class="lost"', 'marker-end="url(#head)"',
    } do
      assert.is_truthy(svg:find(want, 1, true), want)
    end
    -- one arrow per segment sent: 3 delivered with heads, 2 lost ones
    local heads = select(2, svg:gsub('marker%-end="url%(#head%)"', ""))
    local lost = select(2, svg:gsub('class="lost"', ""))
    assert.equal(3, heads)
    assert.equal(2, lost)
  end)

  it("slants an arrow from the send time down to the arrival", function()
    local net = handshake()
    local svg = net:ladder{format = "svg"}
    for x1, y1, x2, y2 in svg:gmatch('<line x1="([%d.]+)" y1="([%d.]+)" x2="([%d.]+)" y2="([%d.]+)" class="seg"') do
      assert.is_true(tonumber(x1) ~= tonumber(x2))
      assert.is_true(tonumber(y2) > tonumber(y1))
    end
  end)

  it("keeps the labels of crossing arrows apart", function()
    -- both sides send at once on a slow wire: the data arrows cross, and
    -- their labels must not be drawn on top of each other
    local net = synack.network{seed = 1}
    local w = net:wire{delay = 0.05}
    local a = net:host{addr = A, link = w}
    local l = net:host{addr = B, link = w}:listen(80, with(PLAIN, {nagle = false}))
    local c = a:connect(B, 80, with(PLAIN, {nagle = false}))
    local s = l:accept()
    c:send("hello")
    s:send("world!")
    c:send("more")
    net:run()
    local svg = net:ladder{format = "svg", relative = true}
    local centres = {}
    local pattern = '<text x="([%d.]+)" y="([%d.]+)" text%-anchor="middle" transform="[^"]*">([^<]*)</text>'
    for x, y, text in svg:gmatch(pattern) do
      centres[#centres + 1] = {x = tonumber(x), y = tonumber(y), text = text}
    end
    assert.is_true(#centres >= 6, "arrow labels found: " .. #centres)
    for i = 1, #centres do
      for j = i + 1, #centres do
        local p, q = centres[i], centres[j]
        local d = math.sqrt((p.x - q.x) ^ 2 + (p.y - q.y) ^ 2)
        assert.is_true(d > 20, ("%q and %q drawn %.1f px apart"):format(p.text, q.text, d))
      end
    end
  end)

  it("writes the file, and reports a file error the Lua way", function()
    local net = handshake()
    local path = tmpname()
    local svg = assert(net:ladder{format = "svg", file = path})
    local f = assert(io.open(path, "rb"))
    local written = f:read("*a")
    f:close()
    os.remove(path)
    assert.equal(svg, written)
    local ok, err, code = net:ladder{format = "svg", file = "/nonexistent-dir/x.svg"}
    assert.is_nil(ok)
    assert.equal("EIO", code)
    assert.matches("^EIO: ", err)
  end)

  it("renders with rsvg-convert when it is installed", function()
    if not command_ok("command -v rsvg-convert >/dev/null 2>&1") then
      pending("rsvg-convert is not installed (Debian: librsvg2-bin)")
      return
    end
    local net = lossy()
    local path = tmpname()
    assert(net:ladder{format = "svg", relative = true, file = path})
    local png = path .. ".png"
    local ok = command_ok(("rsvg-convert %q -o %q 2>/dev/null"):format(path, png))
    local f = io.open(png, "rb")
    local head = f and f:read(8)
    if f then f:close() end
    os.remove(path)
    os.remove(png)
    assert.is_true(ok)
    assert.equal("\137PNG\r\n\26\n", head)
  end)
end)
