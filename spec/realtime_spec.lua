-- Real time: synack.network{clock = "real"} on a libuv loop (synack's own, or
-- luv's), the in-memory wire in real time, the UDP link within one process
-- and between two processes, and that every libuv handle is closed.
local synack = require "synack"

local here = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
local bin = here .. "/bin/synack"

local function sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- Run `bin/synack script args...` (bounded in time); returns ok, output.
local function run_synack(args, seconds)
  local cmd = "timeout -k 5 " .. (seconds or 60) .. " " .. sh_quote(bin)
  for _, a in ipairs(args) do cmd = cmd .. " " .. sh_quote(a) end
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("*a")
  local ok = p:close()
  return ok, out
end

local function pattern(n)
  local t = {}
  for i = 1, n do t[i] = string.char((i * 7 + 3) % 256) end
  return table.concat(t)
end

--- Read a pcap with tshark: packet count, set of source addresses, and the
-- lines of TCP packets whose checksum is not good or that are malformed.
local function tshark_check(path)
  local p = assert(io.popen("tshark -r " .. sh_quote(path) .. " -n -o tcp.check_checksum:TRUE"
    .. " -o ip.check_checksum:TRUE -T fields -E separator=/t -e ip.src -e ipv6.src -e tcp.checksum.status"
    .. " -e _ws.malformed 2>/dev/null"))
  local rows, srcs, bad = 0, {}, {}
  for line in p:lines() do
    local v4, v6, status, malformed = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    rows = rows + 1
    srcs[v4 ~= "" and v4 or v6] = true
    if status ~= "1" or malformed ~= "" then bad[#bad + 1] = line end
  end
  assert(p:close(), "tshark could not read " .. path)
  return rows, srcs, bad
end

--- Close a network and let the loop run the close callbacks.
local function close(net)
  net:close()
  synack._uv_run("nowait")
end

describe("clock = real", function()
  after_each(function()
    collectgarbage()
    synack._uv_run("nowait")
  end)

  it("runs the handshake and a transfer over a wire, with the wire's delay in wall time", function()
    local net = synack.network{clock = "real"}
    assert.are.equal("own", net:_real().loop)
    local w = net:wire{delay = 0.02}
    local a = net:host{addr = "198.18.0.1", link = w}
    local b = net:host{addr = "198.18.0.2", link = w}
    local l = b:listen(80)
    local t0 = os.time()
    local c = a:connect("198.18.0.2", 80)
    local s = assert(l:accept(5))
    assert.is_true(c:wait("ESTABLISHED", 5))
    -- SYN, SYN/ACK, ACK: at least 3 one-way delays of 20 ms went by on the clock
    assert.is_true(net.now >= 0.06 and net.now < 2, tostring(net.now))
    local data = pattern(300000)
    local sent, got = 0, {}
    while sent < #data do
      sent = sent + assert(c:send(data:sub(sent + 1)))
      local d = assert(s:recv(nil, 5))
      got[#got + 1] = d
    end
    c:close()
    while true do
      local d, err = s:recv(nil, 5)
      if not d then assert.are.equal("EOF", err) break end
      got[#got + 1] = d
    end
    assert.is_true(table.concat(got) == data)
    assert.is_true(os.time() - t0 < 5)
    close(net)
  end)

  it("step() waits for the next event in wall time, and returns nil when nothing is left", function()
    local net = synack.network{clock = "real"}
    local w = net:wire{delay = 0.03}
    local a = net:host{addr = "198.18.0.1", link = w}
    local b = net:host{addr = "198.18.0.2", link = w}
    b:listen(80)
    local c = a:connect("198.18.0.2", 80)
    local kinds, last = {}, 0
    for ev in function() return net:step() end do
      assert.is_true(ev.t >= last)
      last = ev.t
      if ev.kind == "segment" then kinds[#kinds + 1] = ev.seg.flags end
    end
    assert.are.same({"S", "S.", "."}, kinds)
    assert.is_true(last >= 0.09, tostring(last)) -- three hops of 30 ms
    assert.are.equal("ESTABLISHED", c.state)
    close(net)
  end)

  it("advance(seconds) takes that much wall time", function()
    local net = synack.network{clock = "real"}
    local t0 = net.now
    net:advance(0.15)
    local dt = net.now - t0
    assert.is_true(dt >= 0.15 and dt < 1, tostring(dt))
    close(net)
  end)

  it("run_until times out in real time, and run() returns when nothing is left", function()
    local net = synack.network{clock = "real"}
    local w = net:wire{delay = 0.01}
    local a = net:host{addr = "198.18.0.1", link = w}
    net:host{addr = "198.18.0.2", link = w}
    local ok, err, code = net:run_until(function() return false end, 0.1)
    assert.is_nil(ok)
    assert.are.equal("ETIMEDOUT", code)
    assert.truthy(err:find("ETIMEDOUT"))
    -- a SYN to a closed port: RST, then nothing is pending and run() returns
    local c = a:connect("198.18.0.2", 81)
    net:run()
    assert.are.equal("CLOSED", c.state)
    close(net)
  end)

  it("refuses to drive the loop from inside a hook", function()
    local net = synack.network{clock = "real"}
    local w = net:wire{}
    local a = net:host{addr = "198.18.0.1", link = w}
    local b = net:host{addr = "198.18.0.2", link = w}
    b:listen(80)
    local msg
    net:on("error", function(m) msg = m end)
    a:on("syn", function() net:run_until(function() return true end, 1) end)
    local c = a:connect("198.18.0.2", 80)
    assert.is_true(c:wait("ESTABLISHED", 5))
    assert.truthy(msg and msg:find("inside a hook"), tostring(msg))
    close(net)
  end)

  it("net:stop() makes net:run() return", function()
    local net = synack.network{clock = "real"}
    local u = assert(net:udp{bind = "127.0.0.1:0"}) -- a socket: the loop never runs dry
    net:host{addr = "198.18.0.1", link = u}
    local w = net:wire{delay = 0.05}
    local a = net:host{addr = "198.18.0.3", link = w}
    local b = net:host{addr = "198.18.0.4", link = w}
    b:listen(80)
    local c = a:connect("198.18.0.4", 80)
    c:on("state", function(_, _, to) if to == "ESTABLISHED" then net:stop() end end)
    net:run()
    assert.are.equal("ESTABLISHED", c.state)
    close(net)
  end)

  it("closes every libuv handle it opened, on close and on collection", function()
    local net = synack.network{clock = "real"}
    assert(net:udp{bind = "127.0.0.1:0"})
    net:wire{}
    assert.is_true(synack._uv_handles() >= 3) -- timer, prepare, udp
    close(net)
    assert.are.equal(0, synack._uv_handles())
    do
      local n2 = synack.network{clock = "real"}
      assert(n2:udp{bind = "127.0.0.1:0"})
    end
    collectgarbage()
    collectgarbage()
    synack._uv_run("nowait")
    assert.are.equal(0, synack._uv_handles())
  end)
end)

describe("udp link", function()
  after_each(function()
    collectgarbage()
    synack._uv_run("nowait")
  end)

  it("gives clear errors", function()
    local vnet = synack.network{}
    assert.has_error(function() vnet:udp{bind = "127.0.0.1:0"} end)
    local net = synack.network{clock = "real"}
    local ok, err, code = net:udp{bind = "not-an-address"}
    assert.is_nil(ok)
    assert.are.equal("EINVAL", code)
    assert.truthy(err:find("EINVAL"))
    local u = assert(net:udp{bind = "127.0.0.1:0"})
    ok, err, code = net:udp{bind = u.sockname}
    assert.is_nil(ok)
    assert.are.equal("EADDRINUSE", code)
    assert.truthy(err:find("EADDRINUSE"))
    assert.has_error(function() net:udp{bind = "127.0.0.1:0", bogus = 1} end)
    close(net)
  end)

  it("carries a connection between two networks of one process", function()
    local n1 = synack.network{clock = "real"}
    local n2 = synack.network{clock = "real"}
    local u1 = assert(n1:udp{bind = "127.0.0.1:0"})
    local u2 = assert(n2:udp{bind = "127.0.0.1:0", peer = u1.sockname})
    local a = n1:host{addr = "198.18.0.1", link = u1}
    local b = n2:host{addr = "2001:db8::2", link = u2}
    assert(a and b)
    local a6 = n1:host{addr = "2001:db8::1", link = u1}
    local pcap = os.tmpname()
    assert(n1:capture(pcap))
    local l = a6:listen(80)
    local c = b:connect("2001:db8::1", 80)
    assert.is_true(c:wait("ESTABLISHED", 5))
    local s = assert(l:accept(5))
    local data = pattern(100000)
    local sent, got = 0, {}
    while sent < #data do
      sent = sent + assert(c:send(data:sub(sent + 1)))
      got[#got + 1] = assert(s:recv(nil, 5))
    end
    local n = #table.concat(got)
    while n < #data do
      local d = assert(s:recv(nil, 5))
      got[#got + 1] = d
      n = n + #d
    end
    assert.is_true(table.concat(got) == data)
    assert.is_true(u1.received > 0 and u2.received > 0)
    close(n1)
    close(n2)
    assert.are.equal(0, synack._uv_handles())
    -- the capture of a real link: well-formed, both directions, checksums good
    local rows, srcs, bad = tshark_check(pcap)
    os.remove(pcap)
    assert.is_true(rows > 20, tostring(rows))
    assert.is_true(srcs["2001:db8::1"] and srcs["2001:db8::2"])
    assert.are.same({}, bad)
  end)

  it("carries 1 MiB byte-exact between two processes (examples/udp_pair.lua)", function()
    local out = os.tmpname()
    local cmd = "timeout -k 5 60 " .. sh_quote(bin) .. " " .. sh_quote(here .. "/examples/udp_pair.lua")
      .. " listen 127.0.0.1:0 " .. sh_quote(out) .. " 2>&1"
    local server = io.popen(cmd)
    local first = server:read("*l")
    local port = first and first:match("^listening on (127%.0%.0%.1:%d+)$")
    assert(port, "server said: " .. tostring(first))
    local ok, client_out = run_synack({here .. "/examples/udp_pair.lua", "connect", port, "1048576"}, 60)
    local rest = server:read("*a")
    server:close()
    assert(ok, client_out)
    assert.truthy(client_out:find("sent 1048576 bytes"), client_out)
    assert.truthy(rest:find("received 1048576 bytes"), rest)
    local f = assert(io.open(out, "rb"))
    local got = f:read("*a")
    f:close()
    os.remove(out)
    local want = {}
    for i = 1, 1048576 do want[i] = string.char((i - 1) % 251) end
    assert.is_true(got == table.concat(want))
  end)
end)

describe("luv", function()
  it("shares luv's loop: driven from the main chunk and from uv.run(), handles closed", function()
    if not os.execute(sh_quote(bin) .. " -e 'require \"luv\"' >/dev/null 2>&1") then
      print("\nluv spec skipped: luv is not installed for this Lua (tools/deps.sh test installs lua-luv)")
      return
    end
    local ok, out = run_synack({here .. "/spec/realtime/luv_host.lua"}, 60)
    assert(ok, out)
    assert.truthy(out:find("ok transfer under uv.run"), out)
    assert.truthy(out:find("ok tasks resumed under uv.run"), out)
    assert.truthy(out:find("ok uv.walk with UDP networks open lists only luv's handles", 1, true), out)
    assert.truthy(out:find("ok a hook's error reaches net:on(\"error\") under uv.run", 1, true), out)
    assert.truthy(out:find("ok handles closed (uv.walk finds nothing left)", 1, true), out)
  end)

  it("exits cleanly with synack's handles open, walks, and reports hook errors luv's way", function()
    if not os.execute(sh_quote(bin) .. " -e 'require \"luv\"' >/dev/null 2>&1") then return end
    local script = here .. "/spec/realtime/luv_exit.lua"
    -- exit with a network open, and after net:close() without running the
    -- loop: no crash, and uv.walk (also from finalizers while the state
    -- closes) sees only luv's handles
    for _, mode in ipairs({"open", "closed"}) do
      local ok, out = run_synack({script, mode}, 30)
      assert(ok, mode .. ": " .. out)
      assert.truthy(out:find("ok uv.walk with a real network open lists only luv's handles", 1, true), out)
      assert.truthy(out:find("ok walked luv's loop while the state closed (before the network", 1, true), out)
      assert.truthy(out:find("ok walked luv's loop while the state closed (after the network", 1, true), out)
    end
    -- luv loaded after synack's first real network: that one moves to luv's loop
    local ok, out = run_synack({script, "late"}, 30)
    assert(ok, out)
    assert.truthy(out:find("ok a network made before luv runs on luv's loop", 1, true), out)
    assert.truthy(out:find("ok handles closed", 1, true), out)
    -- no net:on("error"): luv's callback pcall reports the error (plain luv:
    -- "Uncaught Error" on stderr, and the process exits, as for its own callbacks)
    out = select(2, run_synack({script, "uncaught"}, 30)) -- (Lua 5.1 cannot see the exit status)
    assert.truthy(out:find("ok running", 1, true), out)
    assert.truthy(out:find("Uncaught Error: synack: error in a segment hook: [^\n]*boom from a hook"), out)
    assert.is_falsy(out:find("still running", 1, true), out)
  end)
end)

-- Against the Linux kernel: only inside a private network namespace this
-- spec makes (unshare --net), on 198.18.0.0/24 and 2001:db8::/64, bounded in
-- time. Skipped, with the reason printed, where namespaces or TUN are denied.
describe("tun link", function()
  local netns = dofile(here .. "/spec/realtime/netns.lua")
  local function can_run() return netns.can_run("tun link") end

  --- Run bin/synack with args inside a fresh network namespace.
  local function in_netns(args, opts)
    return netns.run(bin, args, opts)
  end

  it("serves curl (v4, v6) and downloads 1 MiB from python3 -m http.server (v4, v6), byte-exact", function()
    if not can_run() then return end
    local ok, out = in_netns({here .. "/spec/realtime/tun_http.lua"}, {workdir = true})
    assert(ok, out)
    assert.truthy(out:find("ok curl fetched the page from synack over IPv4", 1, true), out)
    assert.truthy(out:find("ok curl fetched the page from synack over IPv6", 1, true), out)
    assert.truthy(out:find("ok downloaded 1 MiB from python's http.server over IPv4 byte-exact", 1, true), out)
    assert.truthy(out:find("ok downloaded 1 MiB from python's http.server over IPv6 byte-exact", 1, true), out)
    assert.truthy(out:find("ok handles closed", 1, true), out)
  end)

  it("answers nil, err, code when the device cannot be opened", function()
    if not can_run() then return end
    local script = here .. "/spec/realtime/tun_errors.lua"
    -- no privilege: a user namespace maps us to nobody
    local p = io.popen("timeout -k 5 30 unshare --user " .. sh_quote(bin) .. " " .. sh_quote(script) .. " 2>&1")
    local out = p:read("*a")
    p:close()
    assert.truthy(out:find("code EPERM EPERM: ", 1, true), out)
    -- no /dev/net/tun: hidden in a private mount namespace
    p = io.popen("timeout -k 5 30 unshare --mount --net sh -c " .. sh_quote("mount -t tmpfs tmpfs /dev/net && exec "
      .. sh_quote(bin) .. " " .. sh_quote(script)) .. " 2>&1")
    out = p:read("*a")
    p:close()
    assert.truthy(out:find("code ENODEV ENODEV: ", 1, true), out)
    local ok
    ok, out = in_netns({script, "a-name-longer-than-ifnamsiz"})
    assert(ok, out)
    assert.truthy(out:find("code EINVAL", 1, true), out)
  end)
end)

-- Neovim: synack on Neovim's own loop (vim.uv / vim.loop) with Neovim's
-- LuaJIT; needs nvim and a LuaJIT build of synack (make LUA=luajit).
describe("neovim", function()
  it("completes a handshake and a transfer on Neovim's loop", function()
    if not os.execute("command -v nvim >/dev/null 2>&1") then
      print("\nneovim spec skipped: nvim is not installed (tools/deps.sh test installs neovim)")
      return
    end
    -- Neovim runs LuaJIT: this needs the LuaJIT build of this very tree, which
    -- is the one under test when the specs run on LuaJIT (make LUA=luajit test)
    local build = os.getenv("SYNACK_NVIM_BUILD") or (jit and os.getenv("SYNACK_BUILD"))
    if not build then
      print("\nneovim spec skipped: it runs with the specs on LuaJIT (make LUA=luajit test),"
        .. " or set SYNACK_NVIM_BUILD to a LuaJIT build directory")
      return
    end
    if build:sub(1, 1) ~= "/" then build = here .. "/" .. build end
    local f = io.open(build .. "/synack/core.so", "rb")
    if not f then
      print("\nneovim spec skipped: no LuaJIT build of synack in " .. build .. " (make LUA=luajit)")
      return
    end
    f:close()
    local out = os.tmpname()
    local env = "LUA_PATH=" .. sh_quote(here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;;")
      .. " LUA_CPATH=" .. sh_quote(build .. "/?.so;;") .. " SYNACK_NVIM_OUT=" .. sh_quote(out)
    local ok = os.execute(env .. " timeout -k 5 60 nvim --headless -u NONE -i NONE -n -c "
      .. sh_quote("luafile " .. here .. "/spec/realtime/nvim_check.lua") .. " >/dev/null 2>&1")
    f = io.open(out, "rb")
    local text = f and f:read("*a") or ""
    if f then f:close() end
    os.remove(out)
    assert(ok, "nvim failed: " .. text)
    assert.truthy(text:find("ok handshake on Neovim's loop", 1, true), text)
    assert.truthy(text:find("ok transfer of", 1, true), text)
    assert.truthy(text:find("ok driving from a fast event is refused", 1, true), text)
    assert.truthy(text:find("ok a hook's error is reported by Neovim, the segment passes", 1, true), text)
    assert.truthy(text:find("ok handles closed", 1, true), text)
  end)
end)
