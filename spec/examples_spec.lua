-- The examples in examples/: README lists every one, and each one that needs
-- no privileges and no second process runs and prints what it promises.
-- (udp_pair.lua runs in spec/realtime_spec.lua; tun_server.lua needs
-- CAP_NET_ADMIN and is not run here: spec/realtime/tun_http.lua tests the
-- same setup, curl against a synack HTTP server on a TUN device.)

local here = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
local shell = dofile(here .. "/spec/lib/shell.lua")
local q, run, read = shell.quote, shell.run, shell.read
local LUA = os.getenv("LUA") or "lua5.4"
local SANITIZE = os.getenv("SANITIZE")

--- bin/synack with `args` (a shell-quoted string), bounded by `seconds`.
local function synack(args, seconds)
  return run("timeout -k 5 " .. (seconds or 30) .. " " .. shell.synack_env() .. " bin/synack " .. args)
end

--- Assert that `text` contains `plain` (no patterns).
local function has(text, plain)
  assert(text:find(plain, 1, true), "expected to find\n  " .. plain .. "\nin:\n" .. text)
end

-- The card's three handshake segments and the refused connection, as
-- repl_session.lua's net:step() lines print them.
local function card_steps(out)
  has(out, "0.010000 In  198.18.0.1.49152 > 198.18.0.2.80: Flags [S], seq 0,")
  has(out, "0.020000 In  198.18.0.2.80 > 198.18.0.1.49152: Flags [S.], seq 5000, ack 1,")
  has(out, "0.030000 In  198.18.0.1.49152 > 198.18.0.2.80: Flags [.], ack 5001,")
  has(out, "Flags [P.], seq 1:6, ack 5001,")
  assert(out:find("[\n ]hello\n"), "no line 'hello' in:\n" .. out) -- a prompt may precede it
  has(out, "Flags [F.], seq 6, ack 5001,")
  has(out, "Flags [F.], seq 5001, ack 7,")
  has(out, "Flags [R.], seq 0, ack 101,")
  has(out, "CLOSED\tECONNREFUSED")
end

describe("examples/", function()
  it("are all in README's list", function()
    local readme = read("README.md")
    local p = io.popen("ls " .. q(here .. "/examples"))
    local missing, n = {}, 0
    for name in p:lines() do
      if name:match("%.lua$") then
        n = n + 1
        if not readme:find("examples/" .. name, 1, true) then missing[#missing + 1] = name end
      end
    end
    p:close()
    assert(n > 0, "no examples found")
    assert(#missing == 0, "README.md does not list: " .. table.concat(missing, ", "))
  end)

  it("README's ten lines run and print what their comments say", function()
    local readme = read("README.md")
    local code = readme:match("## Ten lines%s*```lua\n(.-)```")
    assert.truthy(code, "no ten-line block in README.md")
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(code)
    f:close()
    local out, status = synack(q(path))
    os.remove(path)
    assert.equal(0, status, out)
    local n = 0
    for want in code:gmatch("%-%-> ([^\n]+)") do
      n = n + 1
      has(out, want)
    end
    assert.is_true(n > 0, "no --> comment to check")
    has(out, "S 0:0(0)") -- the ladder of the handshake
  end)

  it("repl_session.lua runs as a script", function()
    local out, status = synack("examples/repl_session.lua")
    assert.equal(0, status, out)
    card_steps(out)
    has(out, "synack.conn 198.18.0.1:49152 > 198.18.0.2:80 SYN-SENT")
    has(out, "ESTABLISHED\t1\t5001")
    has(out, "TIME-WAIT\tCLOSED")
    has(out, "CLOSED\t60.08")
    has(out, "|--------------- S 0:0(0) <mss 1460,sackOK,TS,ws 2> -------------->|")
  end)

  it("repl_session.lua pasted line by line at the REPL, and after -i", function()
    if SANITIZE and SANITIZE ~= "" then
      pending("the sanitized interpreter has no REPL")
      return
    end
    local out, status = synack("< examples/repl_session.lua")
    assert.equal(0, status, out)
    card_steps(out)
    local typed = os.tmpname()
    local f = assert(io.open(typed, "w"))
    f:write("print('after:', c.state, r.state, #net:trace())\n")
    f:close()
    out, status = synack("-i examples/repl_session.lua < " .. q(typed))
    os.remove(typed)
    assert.equal(0, status, out)
    card_steps(out)
    assert.matches("after:\tCLOSED\tCLOSED\t%d+", out)
  end)

  it("luv_embed.lua completes a transfer inside the program's own uv.run()", function()
    if not pcall(require, "luv") then
      pending("luv is not installed for " .. LUA .. " (Debian: lua-luv)")
      return
    end
    local out, status = synack("examples/luv_embed.lua", 30)
    assert.equal(0, status, out)
    has(out, "SYN-SENT -> ESTABLISHED")
    has(out, "timer tick 1:")
    has(out, "TIME-WAIT -> CLOSED")
    has(out, "uv.run() returned: 262144 bytes received, byte-exact")
  end)

  it("the other examples that need nothing run", function()
    local pcap = os.tmpname()
    local cases = {
      {"examples/handshake.lua", "Flags [S.], seq 5000, ack 1,"},
      {"examples/card_segments.lua " .. q(pcap), "checksums good"},
      {"examples/echo.lua", "all done: the network has nothing left to do"},
      {"examples/expect_peer.lua", "server's connection is CLOSED"},
      {"examples/lossy.lua", "8192 bytes sent, 8192 received intact: true"},
    }
    for _, c in ipairs(cases) do
      local out, status = synack(c[1])
      assert.equal(0, status, c[1] .. ":\n" .. out)
      has(out, c[2])
    end
    os.remove(pcap)
  end)
end)
