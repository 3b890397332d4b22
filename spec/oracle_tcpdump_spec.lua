-- Oracle: tostring(seg) is the line `tcpdump -n -S -t` prints for the same
-- packet, less the leading "IP "/"IP6 " and any application-layer decoding
-- tcpdump appends after "length N" (": HTTP" on port 80, for instance).
local synack = require "synack"

local function tcpdump(path)
  local p = assert(io.popen("tcpdump -n -S -t -r " .. path .. " 2>/dev/null"))
  local lines = {}
  for line in p:lines() do
    line = line:gsub("^IP6? ", ""):gsub("(, length %d+):.*$", "%1")
    lines[#lines + 1] = line
  end
  p:close()
  return lines
end

local function packets()
  local c, s = "198.18.0.1", "198.18.0.2"
  local function seg(t)
    t.src, t.dst = t.src or c, t.dst or s
    t.sport, t.dport = t.sport or 49152, t.dport or 80
    return synack.segment(t)
  end
  return {
    seg{flags = "S", options = {mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7}},
    seg{src = s, dst = c, sport = 80, dport = 49152, flags = "S.", seq = 5000, ack = 1,
      options = {mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7}},
    seg{flags = "S", options = {mss = 536, sack_permitted = true, wscale = 0}},
    seg{flags = ".", seq = 1, ack = 5001, options = {timestamp = {2, 1}}},
    seg{flags = "P.", seq = 1, ack = 5001, payload = "hello"},
    seg{flags = "P.", seq = 4294967290, ack = 5001, payload = "0123456789"},
    seg{flags = ".", seq = 6, ack = 5001, options = {sack = {{10, 20}, {30, 40}, {4294967295, 2}}}},
    seg{flags = "F.", seq = 6, ack = 5001},
    seg{flags = "R", seq = 7},
    seg{flags = "R.", seq = 7, ack = 5002},
    seg{flags = ""},
    seg{flags = "U", urp = 7},
    seg{flags = "FSRP.UEW", urp = 65535, seq = 1, ack = 2, win = 0},
    seg{flags = ".", options = {{kind = 99, data = "\1\2\3"}, "eol"}},
    seg{flags = ".", options = {{kind = 99}, {kind = 77, data = "\171"}, "nop"}},
    seg{flags = ".", options = {"nop", "nop", "sackOK", "eol", {raw = "\9\9\9\9"}}},
    seg{flags = ".", options = {{"sack"}}},
    seg{src = "2001:db8::1", dst = "2001:db8:0:1::2", flags = "S.", seq = 5000, ack = 1,
      options = {mss = 1440, sack_permitted = true, wscale = 7}},
    seg{src = "2001:db8:0:0:1:0:0:1", dst = "::ffff:1.2.3.4", flags = "P.", seq = 5000, ack = 1,
      payload = string.rep("x", 10)},
    seg{src = "::", dst = "fe80::1", sport = 0, dport = 65535, flags = "."},
  }
end

describe("tcpdump oracle", function()
  it("tcpdump is installed", function()
    local ok = os.execute("tcpdump --version >/dev/null 2>&1")
    assert.is_true(ok == true or ok == 0)
  end)

  it("prints each segment as tcpdump -n -S does", function()
    local path = os.tmpname()
    local segs = packets()
    assert.is_true(synack.write_pcap(path, segs))
    local lines = tcpdump(path)
    os.remove(path)
    assert.equal(#segs, #lines)
    for i, seg in ipairs(segs) do
      assert.equal(lines[i], tostring(seg))
      assert.equal(lines[i], tostring(synack.parse(seg:bytes())))
    end
  end)
end)
