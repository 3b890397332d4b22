-- synack.pcap and synack.write_pcap: classic pcap, LINKTYPE_RAW, microseconds.
local synack = require "synack"

local function u32le(s, pos)
  local a, b, c, d = s:byte(pos, pos + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end

local function u16le(s, pos)
  local a, b = s:byte(pos, pos + 1)
  return a + b * 256
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- The records of a pcap file: {sec, usec, incl, orig, data}.
local function records(s)
  local out, pos = {}, 25
  while pos <= #s do
    local incl = u32le(s, pos + 8)
    out[#out + 1] = {sec = u32le(s, pos), usec = u32le(s, pos + 4), incl = incl, orig = u32le(s, pos + 12),
      data = s:sub(pos + 16, pos + 15 + incl)}
    pos = pos + 16 + incl
  end
  return out
end

local function segs()
  return {
    synack.segment{src = "198.18.0.1", dst = "198.18.0.2", sport = 1234, dport = 80, flags = "S",
      options = {mss = 1460}},
    synack.segment{src = "2001:db8::2", dst = "2001:db8::1", sport = 80, dport = 1234, flags = "P.",
      seq = 5001, ack = 1, payload = "hello"},
  }
end

describe("synack.pcap", function()
  local path
  before_each(function() path = os.tmpname() end)
  after_each(function() os.remove(path) end)

  it("writes the pcap header and one record per packet", function()
    local s = segs()
    local cap = assert(synack.pcap(path))
    assert.equal("synack.pcap (open)", tostring(cap))
    assert.equal(cap, cap:write(s[1], 1.5))
    cap:write(s[2]:bytes(), 2.000001)
    cap:write(s[1]) -- the previous record's time
    assert.is_true(cap:close())
    assert.equal("synack.pcap (closed)", tostring(cap))
    local f = slurp(path)
    assert.equal("\212\195\178\161", f:sub(1, 4)) -- 0xa1b2c3d4, little-endian
    assert.equal(2, u16le(f, 5))
    assert.equal(4, u16le(f, 7))
    assert.equal(65535, u32le(f, 17))
    assert.equal(101, u32le(f, 21))
    local r = records(f)
    assert.equal(3, #r)
    assert.same({1, 500000}, {r[1].sec, r[1].usec})
    assert.same({2, 1}, {r[2].sec, r[2].usec})
    assert.same({2, 1}, {r[3].sec, r[3].usec})
    assert.equal(s[1]:bytes(), r[1].data)
    assert.equal(s[2]:bytes(), r[2].data)
    assert.equal(#r[2].data, r[2].orig)
    assert.equal(s[2], synack.parse(r[2].data))
  end)

  it("writes a list at once with write_pcap", function()
    local s = segs()
    assert.is_true(synack.write_pcap(path, s, {0.25, 3}))
    local r = records(slurp(path))
    assert.equal(2, #r)
    assert.same({0, 250000}, {r[1].sec, r[1].usec})
    assert.same({3, 0}, {r[2].sec, r[2].usec})
    assert.equal(s[2]:bytes(), r[2].data)
    assert.is_true(synack.write_pcap(path, s))
    r = records(slurp(path))
    assert.same({0, 0}, {r[2].sec, r[2].usec})
    assert.is_true(synack.write_pcap(path, {}))
    assert.equal(24, #slurp(path))
  end)

  it("returns file errors the luv way", function()
    local cap, err, code = synack.pcap("/nonexistent-dir/x.pcap")
    assert.is_nil(cap)
    assert.equal("ENOENT", code)
    assert.matches("^ENOENT: /nonexistent%-dir/x%.pcap: ", err)
    local ok
    ok, err, code = synack.write_pcap("/nonexistent-dir/x.pcap", segs())
    assert.is_nil(ok)
    assert.equal("ENOENT", code)
    assert.matches("^ENOENT: ", err)
  end)

  it("raises on wrong arguments and on a closed capture", function()
    local cap = assert(synack.pcap(path))
    assert.has_error(function() cap:write(42) end)
    assert.has_error(function() cap:write(segs()[1], -1) end)
    assert.has_error(function() synack.write_pcap(path, {1, 2}) end)
    cap:close()
    assert.is_true(cap:close()) -- twice is fine
    assert.has_error(function() cap:write("x") end, "synack.pcap: capture is closed")
  end)

  it("closes on collection", function()
    local cap = assert(synack.pcap(path))
    cap:write(segs()[1])
    cap = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal(1, #records(slurp(path)))
  end)

  if _VERSION == "Lua 5.4" then
    it("closes a to-be-closed capture", function()
      local chunk = assert(load([[
        local synack, path, seg = ...
        do
          local cap <close> = assert(synack.pcap(path))
          cap:write(seg)
        end
      ]]))
      chunk(synack, path, segs()[1])
      assert.equal(1, #records(slurp(path)))
    end)
  end
end)
