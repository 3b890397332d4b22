-- The LuaCATS declarations in types/ (for lua-language-server) kept true:
--
-- * methods, both ways, on live objects: every method a class of types/
--   declares exists on the object the binding makes (a network, a wire, a
--   host, a raw host, a listener, a connection, a segment, a capture, a
--   UDP link), and every public method the object has (the table its
--   metatable's __index looks methods up in; names starting with "_" are
--   internal) is declared. The same for the module tables synack, synack.expect,
--   synack.pkt and synack.ksock (functions and other values);
-- * fields: every field declared (and not marked optional) reads non-nil on
--   the live object. Userdata fields are answered by C __index functions
--   that cannot be listed, so the names those functions compare against
--   (and the segment's field list) are read from src/lua/*.c and must be
--   declared; tables (c:info(), events, seg.options) are listed directly;
-- * option tables: every option a class declares is accepted by the call it
--   belongs to (a wrong-typed value gives an error about that option, not
--   "unknown"), checked against a name that must be refused;
-- * docs/api.md: every function, method and field it names is declared,
--   and its tables of options and fields list the same names as the
--   matching classes.
--
-- The parser reads only the shapes types/ uses: "---@class Name[: Parent]",
-- the "---@field" lines right after it, "local X = {}" naming the class's
-- table, and "function X:name(" / "function X.name(".

local synack = require "synack"
local expect = require "synack.expect"
local pkt = require "synack.pkt"

local here = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
local shell = dofile(here .. "/spec/lib/shell.lua")
local read = shell.read

local function lines_of(text)
  local out = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do out[#out + 1] = line end
  return out
end

local function sorted(set)
  local list = {}
  for k in pairs(set) do list[#list + 1] = k end
  table.sort(list)
  return list
end

-- What differs, collected over one test so that it reports everything at once.
local problems = {}

--- Note `missing` (a set of names) with `what`, unless it is empty.
local function none(missing, what)
  local list = sorted(missing)
  local line = what .. ": " .. table.concat(list, ", ")
  if #list == 0 then return end
  for _, p in ipairs(problems) do if p == line then return end end
  problems[#problems + 1] = line
end

--- it(), failing at the end with every problem `fn` noted.
local function check(name, fn)
  it(name, function()
    problems = {}
    fn()
    if #problems > 0 then error(table.concat(problems, "\n"), 0) end
  end)
end

-- The declarations --------------------------------------------------------------

--- The files under types/ (paths relative to the repository).
local function meta_files()
  local p = io.popen("cd " .. shell.quote(here) .. " && find types -name '*.lua' | sort")
  local out = {}
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  assert(#out > 0, "no files under types/")
  return out
end

--- classes[name] = {fields = {name = {optional = bool}}, methods = {name = ":" or "."}, parent = name}
local function parse_meta(files)
  local classes = {}
  for _, path in ipairs(files) do
    local current, in_block, alias = nil, false, {}
    for _, line in ipairs(lines_of(read(path))) do
      local name, parent = line:match("^%-%-%-@class%s+([%w_%.]+)%s*:%s*([%w_%.]+)")
      if not name then name = line:match("^%-%-%-@class%s+([%w_%.]+)") end
      if name then
        current = {fields = {}, methods = {}, parent = parent, file = path}
        assert(not classes[name], "class declared twice: " .. name)
        classes[name] = current
        in_block = true
      elseif in_block and line:match("^%-%-%-") then
        local f, opt = line:match('^%-%-%-@field%s+%["([^"]+)"%](%??)')
        if not f then f, opt = line:match("^%-%-%-@field%s+([%a_][%w_]*)(%??)") end
        if f then current.fields[f] = {optional = opt == "?"} end
      else
        in_block = false
        local var = line:match("^local%s+([%w_]+)%s*=%s*{}")
        if var and current then alias[var] = current end
        local obj, sep, fname = line:match("^function%s+([%w_]+)([:%.])([%w_]+)%s*%(")
        if obj then
          local cls = assert(alias[obj], path .. ": function of an unknown table: " .. line)
          cls.methods[fname] = sep
        end
      end
    end
  end
  return classes
end

local classes = parse_meta(meta_files())

local function class(name)
  return assert(classes[name], "types/ declares no class " .. name)
end

--- Every field of a class, its parents' included.
local function all_fields(name)
  local out = {}
  while name do
    local c = class(name)
    for k, v in pairs(c.fields) do if out[k] == nil then out[k] = v end end
    name = c.parent
  end
  return out
end

-- Live objects ---------------------------------------------------------------------

local A, B, T = "198.18.0.1", "198.18.0.2", "198.18.0.9"

--- A virtual network with two TCP hosts and a raw one, a listener, an
-- established connection pair, and a refused connection.
local function world()
  local w = {}
  w.net = synack.network{seed = 1}
  w.wire = w.net:wire{delay = 0.01}
  w.a = w.net:host{addr = A, link = w.wire}
  w.b = w.net:host{addr = B, link = w.wire}
  w.raw = w.net:host{addr = T, link = w.wire, raw = true}
  w.l = w.b:listen(80)
  w.c = w.a:connect(B, 80)
  w.s = assert(w.l:accept(1))
  assert(w.c:wait("ESTABLISHED", 1))
  w.refused = w.a:connect(B, 81)
  assert(not w.refused:wait("ESTABLISHED", 1))
  return w
end

--- The table of methods obj's metatable looks names up in, or nil when
-- __index is a function that keeps none (segments). The binding's __index
-- functions keep it as their first upvalue; Lua 5.1 does not show a C
-- function's upvalues, so there `known` (synack._methods.<kind>) stands in,
-- checked to answer every name the same way.
local function method_table(obj, known)
  local idx = getmetatable(obj).__index
  if type(idx) == "table" then return idx end
  if type(idx) ~= "function" then return nil end
  local _, t = debug.getupvalue(idx, 1)
  if t == nil and _VERSION == "Lua 5.1" and not jit then t = known end
  if type(t) ~= "table" then return nil end
  for k, v in pairs(t) do
    assert(rawequal(obj[k], v), "__index does not answer from its method table: " .. tostring(k))
  end
  return t
end

--- Public method names of a method table.
local function public_methods(t)
  local out = {}
  for k, v in pairs(t) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and type(v) == "function" then out[k] = true end
  end
  return out
end

--- Check methods both ways between class `name` and the live method set.
local function same_methods(name, live)
  local declared = class(name).methods
  local missing, undeclared = {}, {}
  for m in pairs(declared) do if not live[m] then missing[m] = true end end
  for m in pairs(live) do if not declared[m] then undeclared[m] = true end end
  none(missing, name .. ": declared in types/ but not on the live object")
  none(undeclared, name .. ": public methods not declared in types/")
end

--- Every declared field that is not optional reads non-nil on obj.
local function fields_present(name, obj)
  local missing = {}
  for f, info in pairs(all_fields(name)) do
    if not info.optional and obj[f] == nil then missing[f] = true end
  end
  none(missing, name .. ": declared fields that read nil")
end

--- Every name of `names` is declared as a field or method of class `name`.
local function declared(name, names, what)
  local c = class(name)
  local fields = all_fields(name)
  local missing = {}
  for n in pairs(names) do
    if not fields[n] and not c.methods[n] then missing[n] = true end
  end
  none(missing, name .. ": " .. what .. " not declared in types/")
end

-- The C sources: what the __index functions answer ------------------------------------

--- The names `fn` in src/lua/<file> compares its key with.
local function index_names(file, fn)
  local text = read("src/lua/" .. file)
  local body = text:match("\nstatic int " .. fn .. "%(lua_State %*L%) {(.-)\n}")
  assert(body, "src/lua/" .. file .. " has no function " .. fn .. " (the spec needs updating)")
  local out = {}
  for k in body:gmatch('strcmp%(k, "([^"]+)"%)') do out[k] = true end
  assert(next(out), fn .. " compares with no names")
  return out
end

--- The segment's field names (src/lua/segment.c, field_names[]).
local function segment_names()
  local list = read("src/lua/segment.c"):match("field_names%[F_COUNT%] = {(.-)};")
  assert(list, "src/lua/segment.c has no field_names[] (the spec needs updating)")
  local out = {}
  for k in list:gmatch('"([^"]+)"') do out[k] = true end
  return out
end

describe("types/ (LuaCATS declarations)", function()
  local w
  before_each(function() w = world() end)
  after_each(function() w.net:close() end)

  check("declares the classes the API is made of", function()
    for _, name in ipairs{"synack", "synack.expect", "synack.pkt", "synack.Network", "synack.Wire",
      "synack.Host", "synack.Listener", "synack.Conn", "synack.Segment", "synack.Capture",
      "synack.Udp", "synack.Tun", "synack.Event", "synack.ConnInfo", "synack.SegmentOptions",
      "synack.NetworkOpts", "synack.WireOpts", "synack.HostOpts", "synack.ConnOpts",
      "synack.ListenOpts", "synack.SendOpts", "synack.UdpOpts", "synack.TunOpts",
      "synack.LadderOpts", "synack.SegmentFields", "synack.OptionsSpec", "synack.ExpectSpec",
      "synack.ExpectNoneSpec", "synack.SendSpec", "synack.AttachOpts", "synack.PktOpts",
      "synack.Range", "synack.Any", "synack.ksock"} do
      class(name)
    end
  end)

  check("matches the methods of networks, wires, hosts, listeners and connections", function()
    local objects = {
      {"synack.Network", w.net, "net"}, {"synack.Wire", w.wire, "wire"},
      {"synack.Host", w.a, "host"}, {"synack.Host", w.raw, "host"},
      {"synack.Listener", w.l, "listener"}, {"synack.Conn", w.c, "conn"},
      {"synack.Conn", w.s, "conn"},
    }
    for _, o in ipairs(objects) do
      local t = method_table(o[2], synack._methods[o[3]])
      assert(t, o[1] .. ": no method table behind __index")
      assert.equal(synack._methods[o[3]], t)
      same_methods(o[1], public_methods(t))
      fields_present(o[1], o[2])
    end
  end)

  check("matches the segment's methods and fields", function()
    local seg = synack.segment{src = A, dst = B, flags = "S"}
    assert.is_nil(method_table(seg))
    local names, live = segment_names(), {}
    for k in pairs(names) do
      assert(seg[k] ~= nil, "segment field '" .. k .. "' (from segment.c) reads nil")
      if type(seg[k]) == "function" then live[k] = true end
    end
    assert.is_nil(seg.no_such_field)
    same_methods("synack.Segment", live)
    declared("synack.Segment", names, "segment fields of src/lua/segment.c")
    fields_present("synack.Segment", seg)
    local undeclared = {}
    for f in pairs(class("synack.Segment").fields) do
      if not names[f] then undeclared[f] = true end
    end
    none(undeclared, "synack.Segment: declared fields the binding does not know")
  end)

  check("matches the fields of the userdata classes' __index functions", function()
    local map = {
      {"net.c", "net_index", "synack.Network"}, {"wire.c", "wire_index", "synack.Wire"},
      {"host.c", "host_index", "synack.Host"}, {"listener.c", "listener_index", "synack.Listener"},
      {"conn.c", "conn_index", "synack.Conn"}, {"reallink.c", "udp_index", "synack.Udp"},
      {"reallink.c", "tun_index", "synack.Tun"}, {"event.c", "event_index", "synack.Event"},
    }
    for _, m in ipairs(map) do
      local names = index_names(m[1], m[2])
      declared(m[3], names, "fields " .. m[2] .. " answers")
      if m[3] ~= "synack.Event" then
        local extra = {}
        for f in pairs(class(m[3]).fields) do if not names[f] then extra[f] = true end end
        none(extra, m[3] .. ": declared fields " .. m[2] .. " does not answer")
      end
    end
  end)

  check("matches a UDP link's methods and fields (and a TUN link's methods)", function()
    local net = synack.network{clock = "real"}
    local u, err = net:udp{bind = "127.0.0.1:0"}
    if not u then
      net:close()
      pending("cannot bind a UDP socket on 127.0.0.1: " .. tostring(err))
      return
    end
    local t = method_table(u, synack._methods.udp)
    assert(t, "synack.Udp: no method table behind __index")
    assert.equal(synack._methods.udp, t)
    same_methods("synack.Udp", public_methods(t))
    fields_present("synack.Udp", u)
    -- no TUN device here: its methods table is the one its __index answers from
    same_methods("synack.Tun", public_methods(synack._methods.tun))
    net:close()
  end)

  check("matches the capture's methods", function()
    local path = os.tmpname()
    local cap = assert(synack.pcap(path))
    same_methods("synack.Capture", public_methods(method_table(cap)))
    cap:close()
    os.remove(path)
  end)

  check("matches the module tables synack, synack.expect, synack.pkt and synack.ksock", function()
    local modules = {synack = synack, ["synack.expect"] = expect, ["synack.pkt"] = pkt,
      ["synack.ksock"] = synack.ksock}
    for name, mod in pairs(modules) do
      local c = class(name)
      local funcs, values, wrong = {}, {}, {}
      for k, v in pairs(mod) do
        if type(k) == "string" and k:sub(1, 1) ~= "_" then
          if type(v) == "function" then funcs[k] = true else values[k] = true end
        end
      end
      same_methods(name, funcs)
      for m, sep in pairs(c.methods) do
        if sep ~= "." then wrong[m] = true end
      end
      none(wrong, name .. ": module functions declared with ':'")
      local undeclared = {}
      for k in pairs(values) do if not c.fields[k] then undeclared[k] = true end end
      none(undeclared, name .. ": values not declared as fields")
      fields_present(name, mod)
    end
  end)

  check("matches c:info() tables, with and without an error", function()
    local keys = {}
    for _, info in ipairs{assert(w.c:info()), assert(w.refused:info())} do
      for k in pairs(info) do keys[k] = true end
      fields_present("synack.ConnInfo", info)
    end
    assert.is_true(keys.error)
    declared("synack.ConnInfo", keys, "c:info() fields")
    local unseen = {}
    for f in pairs(class("synack.ConnInfo").fields) do if not keys[f] then unseen[f] = true end end
    none(unseen, "synack.ConnInfo: declared fields no info table has")
  end)

  check("matches the events of a trace, of every kind", function()
    local net = w.net
    local lost = w.a:connect("198.18.0.77", 80) -- nobody owns it: a drop, "no host"
    lost:abort()
    net:app("note", w.a)
    local woke
    net:spawn(function() net:sleep(0.5) end)
    while true do
      local ev = net:step()
      if not ev then break end
      if ev.alarm then woke = ev end
    end
    assert(woke, "no wake-up event")
    local keys, kinds = {}, {}
    local events = net:trace()
    events[#events + 1] = woke
    for _, ev in ipairs(events) do
      kinds[ev.kind] = true
      for k in pairs(ev) do if k:sub(1, 1) ~= "_" then keys[k] = true end end
      if ev.kind == "state" and ev.conn ~= nil then keys.conn = true end
      fields_present("synack.Event", ev)
    end
    for _, k in ipairs{"segment", "state", "timer", "drop", "app"} do
      assert(kinds[k], "no event of kind " .. k)
    end
    declared("synack.Event", keys, "event fields")
    local unseen = {}
    for f in pairs(class("synack.Event").fields) do if not keys[f] then unseen[f] = true end end
    none(unseen, "synack.Event: declared fields no event has")
  end)

  check("matches seg.options", function()
    local seg = synack.segment{src = A, dst = B, flags = "S.",
      options = {mss = 1460, sack_permitted = true, timestamp = {1, 2}, wscale = 7, sack = {{1, 2}}}}
    local keys = {}
    for k in pairs(seg.options) do keys[k] = true end
    declared("synack.SegmentOptions", keys, "seg.options keys")
    local unseen = {}
    for f in pairs(all_fields("synack.SegmentOptions")) do if not keys[f] then unseen[f] = true end end
    none(unseen, "synack.SegmentOptions: declared keys seg.options lacks")
    fields_present("synack.SegmentOptions", seg.options)
  end)

  check("declares only options the calls accept", function()
    local net, wire, a, c = w.net, w.wire, w.a, w.c
    local port, addr = 1000, 10
    --- The message of f's error (or nil when it does not raise).
    local function err_of(f, ...)
      local ok, e = pcall(f, ...)
      return not ok and tostring(e) or nil
    end
    local function refused(msg, name)
      return msg ~= nil and (msg:find("unknown", 1, true) or msg:find("read-only", 1, true))
        and msg:find("'" .. name .. "'", 1, true) ~= nil
        or msg ~= nil and msg:find("'options." .. name .. "' (unknown", 1, true) ~= nil
    end
    -- each call(name, value) passes {[name] = value} (plus what it needs) to the API
    local calls = {
      ["synack.NetworkOpts"] = function(k, v)
        local n = synack.network{[k] = v}
        if n then n:close() end
      end,
      ["synack.WireOpts"] = function(k, v)
        net:wire{[k] = v}
        wire:set{[k] = v}
      end,
      ["synack.HostOpts"] = function(k, v)
        addr = addr + 1
        local o = {addr = "198.18.1." .. addr, link = wire}
        o[k] = v
        net:host(o)
      end,
      ["synack.ConnOpts"] = function(k, v) a:connect(B, 80, {[k] = v}) end,
      ["synack.ListenOpts"] = function(k, v)
        port = port + 1
        a:listen(port, {[k] = v})
      end,
      ["synack.SendOpts"] = function(k, v) c:send("x", {[k] = v}) end,
      ["synack.SegmentFields"] = function(k, v) synack.segment{[k] = v} end,
      ["synack.OptionsSpec"] = function(k, v) synack.segment{options = {[k] = v}} end,
    }
    local real = synack.network{clock = "real"}
    calls["synack.UdpOpts"] = function(k, v)
      local o = {bind = "127.0.0.1:0"}
      o[k] = v
      real:udp(o)
    end
    for name, call in pairs(calls) do
      local bogus = err_of(call, "no_such_option", {})
      assert(refused(bogus, "no_such_option"), name .. ": an unknown option is not refused: " .. tostring(bogus))
      local wrong = {}
      for f in pairs(all_fields(name)) do
        local msg = err_of(call, f, {})
        if refused(msg, f) then wrong[f] = true end
      end
      none(wrong, name .. ": declared options the call refuses as unknown")
    end
    real:close()
  end)
end)

-- docs/api.md -----------------------------------------------------------------------------

--- docs/api.md: its inline code spans outside code blocks, and its tables
-- with the headings they stand under.
local function read_api()
  local spans, tables = {}, {}
  local fenced, h2, h3, tbl = false, nil, nil, nil
  for _, line in ipairs(lines_of(read("docs/api.md"))) do
    if line:match("^```") then
      fenced = not fenced
    elseif not fenced then
      local t2, t3 = line:match("^## (.+)"), line:match("^### (.+)")
      if t2 then h2, h3 = t2, nil end
      if t3 then h3 = t3 end
      for code in line:gmatch("`([^`]+)`") do spans[#spans + 1] = code end
      if line:match("^|") then
        local first = line:match("^|%s*([^|]-)%s*|")
        if not tbl then
          tbl = {h2 = h2, h3 = h3, head = first, names = {}}
          tables[#tables + 1] = tbl
        elseif not first:match("^%-+$") then
          for code in first:gmatch("`([^`]+)`") do
            if code:match("^[%a_][%w_]*$") then tbl.names[code] = true end
          end
        end
      else
        tbl = nil
      end
    end
  end
  return spans, tables
end

describe("types/ and docs/api.md", function()
  local spans, tables = read_api()

  check("declares every function, method and field docs/api.md names", function()
    local PREFIX = {
      synack = {"synack"}, net = {"synack.Network"}, wire = {"synack.Wire"},
      host = {"synack.Host"}, t = {"synack.Host"}, l = {"synack.Listener"}, c = {"synack.Conn"},
      seg = {"synack.Segment"}, cap = {"synack.Capture"}, expect = {"synack.expect"},
      u = {"synack.Udp"}, tun = {"synack.Tun"}, ['require("synack.pkt")'] = {"synack.pkt"},
      obj = {"synack.Network", "synack.Host", "synack.Listener", "synack.Conn"},
    }
    local MODULE_NAMES = {["synack.pkt"] = true, ["synack.core"] = true, ["synack.expect"] = true}
    local missing, seen = {}, 0
    for _, code in ipairs(spans) do
      local p, sep, name, after = code:match("^([%w_]+)([:%.])([%a_][%w_]*)(.?)")
      if not p then p, sep, name, after = code:match('^(require%("synack%.pkt"%))(%.)([%a_][%w_]*)(.?)') end
      if not p then -- c["local"]
        p, name = code:match('^([%w_]+)%["([%a_][%w_]*)"%]$')
        sep, after = ".", ""
      end
      local full = p and (p .. sep .. name)
      if p and PREFIX[p] and (after == "" or after == "(" or after == "{") and not MODULE_NAMES[full]
        and not classes[full] -- a class name of types/ (synack.ConnOpts)
        and (name:sub(1, 1) ~= "_" or name == "_VERSION") then
        seen = seen + 1
        for _, cname in ipairs(PREFIX[p]) do
          local c = class(cname)
          local ok = c.methods[name] or all_fields(cname)[name]
          if sep == ":" then ok = c.methods[name] == ":" end
          if not ok then missing[full .. " (" .. cname .. ")"] = true end
        end
      end
    end
    assert(seen > 100, "docs/api.md names only " .. seen .. " functions and fields: the spec's parser is off")
    none(missing, "named in docs/api.md, not declared in types/")
  end)

  check("lists the same options and fields in its tables as the classes", function()
    local MAP = {
      {h3 = "synack.network([opts])", class = "synack.NetworkOpts"},
      {h3 = "net:wire([opts])", class = "synack.WireOpts"},
      {h3 = "net:host(opts)", class = "synack.HostOpts"},
      {h3 = "Connection options", class = "synack.ConnOpts"},
      {h3 = "net:ladder([opts])", class = "synack.LadderOpts"},
      {h3 = "c:info()", class = "synack.ConnInfo"},
      {h2 = "Events", class = "synack.Event"},
      {h2 = "Segments", h3 = "Fields", class = "synack.Segment"},
    }
    local function starts(s, prefix) return s ~= nil and s:sub(1, #prefix) == prefix end
    for _, m in ipairs(MAP) do
      local names, found = {}, false
      for _, t in ipairs(tables) do
        if (t.head == "option" or t.head == "field") and (not m.h2 or starts(t.h2, m.h2))
          and (not m.h3 or starts(t.h3, m.h3)) and (m.h3 or not t.h3) then
          found = true
          for n in pairs(t.names) do names[n] = true end
        end
      end
      assert(found, "docs/api.md: no option or field table under " .. (m.h3 or m.h2))
      declared(m.class, names, "names in docs/api.md's table")
      local undocumented = {}
      for f in pairs(class(m.class).fields) do if not names[f] then undocumented[f] = true end end
      none(undocumented, m.class .. ": declared, not in docs/api.md's table")
    end
  end)
end)
