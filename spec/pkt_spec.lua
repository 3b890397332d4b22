-- synack.pkt: packetdrill scripts run against synack's TCP in virtual time,
-- and against the Linux kernel's TCP in real time (the kernel target: each
-- script in a child process in a network namespace of its own, see
-- synack.pkt_kernel). Every script in spec/pkt/ must pass on both targets,
-- over IPv4 and over IPv6; scripts that are wrong on purpose must fail with
-- a message that shows the line, the expected and the actual packet.
local pkt = require "synack.pkt"
local pkt_lang = require "synack.pkt_lang"

local function scripts()
  local list = {}
  local p = assert(io.popen("ls spec/pkt/*.pkt 2>/dev/null"))
  for line in p:lines() do list[#list + 1] = line end
  p:close()
  table.sort(list)
  return list
end

-- The passive open every wrong script below starts from.
local LISTEN = [[
0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0
]]

local function fails(text, opts)
  local o = {name = "bad.pkt"}
  for k, v in pairs(opts or {}) do o[k] = v end
  local ok, msg = pkt.run_string(LISTEN .. text, o)
  assert.is_nil(ok, "the script should fail")
  assert.is_string(msg)
  return msg
end

describe("synack.pkt", function()
  local list = scripts()

  it("finds the scripts", function()
    assert.is_true(#list >= 10)
  end)

  for _, path in ipairs(list) do
    it("passes " .. path, function()
      local ok, msg = pkt.run_file(path)
      assert(ok, msg)
    end)
  end

  for _, path in ipairs(list) do
    it("passes " .. path .. " over IPv6", function()
      local ok, msg = pkt.run_file(path, {ip_version = "ipv6"})
      assert(ok, msg)
    end)
  end

  it("passes them all with other ISNs on both sides: numbers are relative", function()
    for _, path in ipairs(list) do
      for _, version in ipairs({"ipv4", "ipv6"}) do
        local ok, msg = pkt.run_file(path, {seed = 7, remote_isn = 4294967000, tolerance_usecs = 10000,
          ip_version = version})
        assert(ok, msg)
      end
    end
  end)

  it("runs over IPv6 between 2001:db8::1 and 2001:db8::2, on a link of MTU 1520", function()
    local lines = {}
    local ok, msg = pkt.run_file("spec/pkt/passive_handshake.pkt",
      {ip_version = "ipv6", trace = function(line) lines[#lines + 1] = line end})
    assert(ok, msg)
    local all = table.concat(lines, "\n")
    assert.matches("in 2001:db8::2.40000 > 2001:db8::1.8080: Flags [S]", all, 1, true)
    assert.matches("out 2001:db8::1%.8080 > 2001:db8::2%.40000: Flags %[S%.%], seq %d+, ack 1, win %d+, "
      .. "options %[mss 1460%]", all)
    -- the MSS is 1460 because the link's MTU is 20 bytes more than over
    -- IPv4; at 1500 it is 1440, and a script that says 1460 fails
    msg = fails("+0 < S 0:0(0) win 65535 <mss 1000>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n",
      {ip_version = "ipv6", mtu = 1500})
    assert.matches('options: expected {{"mss", 1460}}, got {{"mss", 1440}}', msg, 1, true)
    ok, msg = pkt.run_string(LISTEN .. "+0 < S 0:0(0) win 65535 <mss 1000>\n+0 > S. 0:0(0) ack 1 <mss 1440>\n",
      {ip_version = "ipv6", mtu = 1500})
    assert(ok, msg)
  end)

  it("maps AF_INET to AF_INET6 over IPv6, and knows AF_INET6", function()
    for _, domain in ipairs({"AF_INET", "AF_INET6", "..."}) do
      local script = LISTEN:gsub("socket%(%.%.%.,", "socket(" .. domain .. ",")
        .. "+0 < S 0:0(0) win 65535 <mss 1000>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n"
      local ok, msg = pkt.run_string(script, {ip_version = "ipv6"})
      assert(ok, msg)
    end
  end)

  it("refuses an unknown IP version or a bad MTU", function()
    local ok, msg = pkt.run_string(LISTEN, {ip_version = "ipv5"})
    assert.is_nil(ok)
    assert.matches('script: unknown ip_version "ipv5" (ipv4 or ipv6)', msg, 1, true)
    ok, msg = pkt.run_string(LISTEN, {ip_version = "ipv6", mtu = 1279})
    assert.is_nil(ok)
    assert.matches("mtu must be an integer from 1280 to 65535 on ipv6, not 1279", msg, 1, true)
    ok, msg = pkt.run_string(LISTEN, {mtu = 1500.5, target = "kernel"})
    assert.is_nil(ok)
    assert.matches("mtu must be an integer from 68 to 65535 on ipv4", msg, 1, true)
  end)

  it("shows the expected and the actual packet when a field differs", function()
    local msg = fails([[
+0.1  < S 0:0(0) win 65535 <mss 1000>
+0    > S. 0:0(0) ack 2 win 1000 <mss 1460,nop>
]])
    assert.matches("bad.pkt:6: +0    > S. 0:0(0) ack 2 win 1000 <mss 1460,nop>", msg, 1, true)
    assert.matches("ack: expected 2, got 1", msg, 1, true)
    assert.matches("win: expected 1000, got 65535", msg, 1, true)
    assert.matches("expected: > S. 0:0(0) ack 2 win 1000 <mss 1460,nop> at 0.100000", msg, 1, true)
    assert.matches("actual:   > S. 0:0(0) ack 1 win 65535 <mss 1460> at 0.100000", msg, 1, true)
  end)

  it("checks options exactly: none written means none", function()
    local msg = fails([[
+0    < S 0:0(0) win 65535 <mss 1000>
+0    > S. 0:0(0) ack 1
]])
    assert.matches("options: expected {}, got {{\"mss\", 1460}}", msg, 1, true)
    assert.matches("actual:   > S. 0:0(0) ack 1 win 65535 <mss 1460> at 0.000000", msg, 1, true)
  end)

  it("shows the time when a packet comes late", function()
    local msg = fails([[
+0    < S 0:0(0) win 65535 <mss 1000>
+0    > S. 0:0(0) ack 1 <mss 1460>
+0.5  > S. 0:0(0) ack 1 <mss 1460>
]])
    assert.matches("bad.pkt:7: +0.5  > S. 0:0(0) ack 1 <mss 1460>", msg, 1, true)
    assert.matches("time: expected 0.500000, got 1.000000", msg, 1, true)
    assert.matches("expected: > S. 0:0(0) ack 1 <mss 1460> at 0.500000", msg, 1, true)
    assert.matches("actual:   > S. 0:0(0) ack 1 win 65535 <mss 1460> at 1.000000", msg, 1, true)
  end)

  it("reports a packet no line expects", function()
    local msg = fails([[
+0    < S 0:0(0) win 65535 <mss 1000>
+0.1  < . 1:1(0) ack 1 win 65535
]])
    assert.matches("bad.pkt:6: +0.1  < . 1:1(0) ack 1 win 65535", msg, 1, true)
    assert.matches("unexpected packet at 0.000000: > S. 0:0(0) ack 1 win 65535 <mss 1460>", msg, 1, true)
  end)

  it("reports a wrong return value and errno", function()
    local msg = fails([[
+0    fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0    accept(3, ..., ...) = 4
]])
    assert.matches("bad.pkt:6: +0    accept(3, ..., ...) = 4", msg, 1, true)
    assert.matches("accept returned -1 EAGAIN, expected 4", msg, 1, true)
  end)

  it("reports a call that blocks without start...end", function()
    local msg = fails("+0    accept(3, ..., ...) = 4\n")
    assert.matches("accept would block", msg, 1, true)
  end)

  it("reports a blocked call that returns late", function()
    local msg = fails([[
+0...0.1 accept(3, ..., ...) = 4
+0    < S 0:0(0) win 65535 <mss 1000>
+0    > S. 0:0(0) ack 1 <mss 1460>
+0.2  < . 1:1(0) ack 1 win 65535
]])
    assert.matches("accept had not returned by 0.100000, the end time of its line", msg, 1, true)
  end)

  it("says when nothing comes at all", function()
    local msg = fails("+0    > S 0:0(0) <...>\n")
    assert.matches("no packet came by 0.000000", msg, 1, true)
  end)

  it("reports syntax errors with their line", function()
    local ok, msg = pkt.run_string("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\n+0 < S 0:1(0) win 1\n")
    assert.is_nil(ok)
    assert.matches("script:3: +0 < S 0:1(0) win 1", msg, 1, true)
    assert.matches("end - start is not the length", msg, 1, true)
    ok, msg = pkt.run_string("0 < S 0:0(0) <fastopen 1>\n")
    assert.is_nil(ok)
    assert.matches("unknown TCP option", msg, 1, true)
    ok, msg = pkt.run_string("0 `sysctl -q net.ipv4.tcp_sack=0`\n")
    assert.is_nil(ok)
    assert.matches("not supported", msg, 1, true)
  end)

  it("skips comments and keeps line numbers", function()
    local ok, msg = pkt.run_string("/* a\n   comment */ 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // three\n"
      .. "+0 close(3) = 0\n+0 close(3) = 0\n")
    assert.is_nil(ok)
    assert.matches("script:4: +0 close(3) = 0", msg, 1, true)
    assert.matches("close returned -1 EBADF, expected 0", msg, 1, true)
  end)

  it("parses times, packets and calls", function()
    local ev = pkt_lang.parse("0.1~0.2 > P. 1:11(10) ack 5 win 100 <nop,nop,TS val 1 ecr 2,sack 3:4 5:6>\n"
      .. "+0.5...+1 read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)\n* < R 0:0(0)\n")
    assert.same({rel = false, lo = 0.1, hi = 0.2}, ev[1].time)
    local p = ev[1].packet
    assert.equal(">", p.dir)
    assert.equal("P.", p.flags)
    assert.same({1, 10, 5, 100}, {p.seq, p.len, p.ack, p.win})
    assert.equal("nop", p.options[1])
    assert.same({"sack", {3, 4}, {5, 6}}, p.options[4])
    assert.same({rel = true, lo = 0.5, hi = 0.5, stop = 1, stop_rel = true}, ev[2].time)
    assert.same({name = "read", args = {"4", "...", "10"}, ret = -1, errno = "EAGAIN"}, ev[2].call)
    assert.is_true(ev[3].time.any)
  end)

  it("knows the synack and kernel targets only", function()
    local ok, msg = pkt.run_string("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", {target = "bsd"})
    assert.is_nil(ok)
    assert.matches('unknown target "bsd" (synack or kernel)', msg, 1, true)
    ok, msg = pkt.run_file("spec/pkt/no-such-file.pkt")
    assert.is_nil(ok)
    assert.matches("no-such-file", msg, 1, true)
  end)

  describe("bin/synack-pkt", function()
    local function run(args)
      local p = assert(io.popen("bin/synack-pkt " .. args .. " 2>&1; echo \"exit $?\""))
      local out = p:read("*a")
      p:close()
      return out
    end

    it("prints ok per script and the totals, and exits 0", function()
      local out = run("--target synack --tolerance-usecs 1000 spec/pkt/passive_handshake.pkt "
        .. "spec/pkt/active_handshake.pkt")
      assert.matches("ok spec/pkt/passive_handshake.pkt\nok spec/pkt/active_handshake.pkt\n"
        .. "2 passed, 0 failed\nexit 0\n", out, 1, true)
    end)

    it("prints FAIL with the details, and exits 1", function()
      local path = os.tmpname()
      local f = assert(io.open(path, "w"))
      f:write(LISTEN, "+0 < S 0:0(0) win 65535\n+0 > S. 0:0(0) ack 9 <mss 1460>\n")
      f:close()
      local out = run(path .. " spec/pkt/passive_handshake.pkt")
      os.remove(path)
      assert.matches("FAIL " .. path, out, 1, true)
      assert.matches("ack: expected 9, got 1", out, 1, true)
      assert.matches("actual:   > S. 0:0(0) ack 1 win 65535 <mss 1460> at 0.000000", out, 1, true)
      assert.matches("ok spec/pkt/passive_handshake.pkt", out, 1, true)
      assert.matches("1 passed, 1 failed\nexit 1\n$", out)
    end)

    it("refuses an unknown target, and exits 2", function()
      local out = run("--target bsd spec/pkt/passive_handshake.pkt")
      assert.matches("unknown target 'bsd'", out, 1, true)
      assert.matches("exit 2\n$", out)
    end)

    it("runs over IPv6 with --ip-version ipv6 or packetdrill's --ip_version=ipv6", function()
      for _, opt in ipairs({"--ip-version ipv6", "--ip_version=ipv6", "--ip_version=ipv6 --mtu 1520"}) do
        local out = run(opt .. " spec/pkt/passive_handshake.pkt spec/pkt/active_handshake.pkt")
        assert.matches("ok spec/pkt/passive_handshake.pkt\nok spec/pkt/active_handshake.pkt\n"
          .. "2 passed, 0 failed\nexit 0\n", out, 1, true)
      end
      local out = run("--ip-version ipv6 --mtu 1500 spec/pkt/passive_handshake.pkt")
      assert.matches('options: expected {{"mss", 1460}}, got {{"mss", 1440}}', out, 1, true)
      assert.matches("exit 1\n$", out)
      out = run("--ip_version=ipv4-mapped-ipv6 spec/pkt/passive_handshake.pkt")
      assert.matches('unknown ip_version "ipv4-mapped-ipv6" (ipv4 or ipv6)', out, 1, true)
      assert.matches("exit 2\n$", out)
      out = run("--ip-version ipv6 --mtu 1000 spec/pkt/passive_handshake.pkt")
      assert.matches("mtu must be an integer from 1280 to 65535 on ipv6", out, 1, true)
      assert.matches("exit 2\n$", out)
    end)
  end)
end)

-- The same scripts against the Linux kernel's TCP, in real time: each one in
-- a child process, in a network namespace of its own that the runner makes
-- (nothing of the machine's network is touched). Skipped, with the reason
-- printed, where namespaces or TUN devices are not allowed. The tolerance is
-- 20 ms instead of the default 4 ms: this machine may be busy with other
-- tests, and a late wake-up of a few milliseconds is not what these specs
-- are about (the stacks' differences they check are 40 ms and more).
describe("synack.pkt against the Linux kernel", function()
  local list = scripts()
  local available, why = pkt.kernel_available()
  if not available then print("\nkernel target specs skipped: " .. tostring(why)) end

  local function kernel(extra)
    local o = {target = "kernel", tolerance_usecs = 20000}
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  local function kfails(text, extra)
    local o = kernel(extra)
    o.name = "bad.pkt"
    local ok, msg = pkt.run_string(LISTEN .. text, o)
    assert.is_nil(ok, "the script should fail")
    assert.is_string(msg)
    return msg
  end

  for _, path in ipairs(list) do
    it("passes " .. path, function()
      if not available then return end
      local ok, msg = pkt.run_file(path, kernel())
      assert(ok, msg)
    end)
  end

  -- Over IPv6 the same scripts run from bin/synack-pkt (with packetdrill's
  -- spelling of the option), in LANES processes side by side to keep the
  -- real time down; each script still has a namespace of its own. The first
  -- of these tests starts them all, and each one reads its script's verdict.
  local LANES = 2
  local ipv6_out -- path -> "ok PATH" or "FAIL PATH" and what failed
  local function ipv6_verdict(path)
    if ipv6_out then return ipv6_out[path] end
    ipv6_out = {}
    local lanes, pipes = {}, {}
    for i, p in ipairs(list) do
      local k = (i - 1) % LANES + 1
      lanes[k] = (lanes[k] or "") .. " " .. p
    end
    for k, files in ipairs(lanes) do
      pipes[k] = assert(io.popen("bin/synack-pkt --target kernel --ip_version=ipv6 --tolerance-usecs 20000"
        .. files .. " 2>&1"))
    end
    for _, p in ipairs(pipes) do
      local cur
      for line in p:lines() do
        local file = line:match("^ok (%S+)$") or line:match("^FAIL (%S+)$")
        if file then
          cur = file
          ipv6_out[cur] = line
        elseif cur and line:match("^  ") then
          ipv6_out[cur] = ipv6_out[cur] .. "\n" .. line
        end
      end
      p:close()
    end
    return ipv6_out[path]
  end

  for _, path in ipairs(list) do
    it("passes " .. path .. " over IPv6", function()
      if not available then return end
      local out = ipv6_verdict(path) or ("no verdict for " .. path)
      assert(out == "ok " .. path, out)
    end)
  end

  it("runs over IPv6 on a link of MTU 1520: the kernel's MSS is 1460, at 1500 it is 1440", function()
    if not available then return end
    local lines = {}
    local msg = kfails("+0.1 < S 0:0(0) win 65535 <mss 1000>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n",
      {ip_version = "ipv6", mtu = 1500, trace = function(line) lines[#lines + 1] = line end})
    assert.matches('options: expected {{"mss", 1460}}, got {{"mss", 1440}}', msg, 1, true)
    local all = table.concat(lines, "\n")
    assert.matches("< 2001:db8::2.40000 > 2001:db8::1.8080: Flags [S]", all, 1, true)
    assert.matches("> 2001:db8::1.8080 > 2001:db8::2.40000: Flags [S.]", all, 1, true)
  end)

  it("passes with another ISN on the remote side: numbers are relative", function()
    if not available then return end
    for _, name in ipairs({"data_both_ways", "sack_timestamps", "close_shutdown"}) do
      local ok, msg = pkt.run_file("spec/pkt/" .. name .. ".pkt", kernel({remote_isn = 4294967000}))
      assert(ok, msg)
    end
  end)

  it("shows the expected and the actual packet when a field differs", function()
    if not available then return end
    local msg = kfails([[
+0.1  < S 0:0(0) win 65535 <mss 1000>
+0    > S. 0:0(0) ack 2 <mss 1460,nop>
]])
    assert.matches("bad.pkt:6: +0    > S. 0:0(0) ack 2 <mss 1460,nop>", msg, 1, true)
    assert.matches("ack: expected 2, got 1", msg, 1, true)
    assert.matches("options: expected {{\"mss\", 1460}, \"nop\"}, got {{\"mss\", 1460}}", msg, 1, true)
    assert.matches("expected: > S. 0:0(0) ack 2 <mss 1460,nop> at 0.100000", msg, 1, true)
    assert.matches("actual:   > S%. 0:0%(0%) ack 1 win %d+ <mss 1460> at 0%.1%d%d%d%d%d", msg)
  end)

  it("checks the time with the tolerance, and says when the packet came", function()
    if not available then return end
    -- the SYN/ACK comes at once: 30 ms later is outside 20 ms, inside 50 ms
    local script = "+0.1  < S 0:0(0) win 65535 <mss 1000>\n+0.03 > S. 0:0(0) ack 1 <mss 1460>\n"
    local msg = kfails(script)
    assert.matches("time: expected 0.130000, got 0%.1%d%d%d%d%d", msg)
    local ok, err = pkt.run_string(LISTEN .. script, kernel({tolerance_usecs = 50000}))
    assert(ok, err)
    -- the retransmission comes after the kernel's initial RTO of 1 s, not 0.5 s
    msg = kfails([[
+0    < S 0:0(0) win 65535 <mss 1000>
+0    > S. 0:0(0) ack 1 <mss 1460>
+0.5  > S. 0:0(0) ack 1 <mss 1460>
]])
    assert.matches("time: expected 0%.5%d+, got 1%.%d+", msg)
  end)

  it("reports a blocked call that returns late, and a wrong return value", function()
    if not available then return end
    local msg = kfails([[
+0...0.1 accept(3, ..., ...) = 4
+0    < S 0:0(0) win 65535 <mss 1000>
+0    > S. 0:0(0) ack 1 <mss 1460>
+0.2  < . 1:1(0) ack 1 win 65535
]])
    assert.matches("accept had not returned by 0.100000, the end time of its line", msg, 1, true)
    msg = kfails("+0    fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0    accept(3, ..., ...) = 4\n")
    assert.matches("accept returned -1 EAGAIN, expected 4", msg, 1, true)
  end)

  it("passes the segments to opts.trace", function()
    if not available then return end
    local lines = {}
    local ok, msg = pkt.run_file("spec/pkt/passive_handshake.pkt",
      kernel({trace = function(line) lines[#lines + 1] = line end}))
    assert(ok, msg)
    local all = table.concat(lines, "\n")
    assert.matches("< 198.18.0.2.40000 > 198.18.0.1.8080: Flags [S]", all, 1, true)
    assert.matches("> 198.18.0.1.8080 > 198.18.0.2.40000: Flags [S.]", all, 1, true)
  end)

  it("runs from bin/synack-pkt: one line per script, the totals, the exit status", function()
    if not available then return end
    local function run(args)
      local p = assert(io.popen("bin/synack-pkt --target kernel --tolerance-usecs 20000 " .. args
        .. " 2>&1; echo \"exit $?\""))
      local out = p:read("*a")
      p:close()
      return out
    end
    local out = run("spec/pkt/passive_handshake.pkt spec/pkt/active_handshake.pkt")
    assert.matches("ok spec/pkt/passive_handshake.pkt\nok spec/pkt/active_handshake.pkt\n"
      .. "2 passed, 0 failed\nexit 0\n", out, 1, true)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(LISTEN, "+0 < S 0:0(0) win 65535\n+0 > S. 0:0(0) ack 9 <mss 1460>\n")
    f:close()
    out = run(path .. " spec/pkt/rst_closed_port.pkt")
    os.remove(path)
    assert.matches("FAIL " .. path, out, 1, true)
    assert.matches("ack: expected 9, got 1", out, 1, true)
    assert.matches("ok spec/pkt/rst_closed_port.pkt", out, 1, true)
    assert.matches("1 passed, 1 failed\nexit 1\n$", out)
  end)
end)
