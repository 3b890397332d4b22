-- The REPL (bin/synack with no script), driven through tmux: the card's
-- first steps typed at the prompt print the SYN, SYN/ACK and ACK, the
-- connection and its variables. Each run has its own tmux server (-L), so
-- nothing else's sessions are touched; the server is killed at the end.
-- Lua 5.3 and 5.4 print what an expression line returns; 5.1, 5.2 and
-- LuaJIT only print a line that starts with "=", so the spec types that there.

local here = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
local LUA = os.getenv("LUA") or "lua5.4"
local BUILD = os.getenv("SYNACK_BUILD")
local SANITIZE = os.getenv("SANITIZE")

local function ok_exit(r)
  return r == true or r == 0
end

local function sh(cmd)
  return ok_exit(os.execute(cmd))
end

local function read(cmd)
  local p = io.popen(cmd)
  local s = p:read("*a")
  p:close()
  return s
end

local function q(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function sleep(s)
  sh("sleep " .. s)
end

--- The interpreter's REPL prints a returned value only after "=" (5.1/5.2/LuaJIT)?
local function needs_equals()
  return jit ~= nil or _VERSION == "Lua 5.1" or _VERSION == "Lua 5.2"
end

local CARD = {
  'net = synack.network{clock = "virtual", seed = 1}',
  'wire = net:wire{delay = 0.010}',
  'a = net:host{addr = "198.18.0.1", link = wire}',
  'b = net:host{addr = "198.18.0.2", link = wire}',
  'l = b:listen(80, {isn = 5000})',
  'c = a:connect("198.18.0.2", 80, {isn = 0})',
  "#net:step()", "#net:step()", "#net:step()",
  "print(c)",
  "#c:info()",
}

describe("the REPL", function()
  -- a socket name of our own: the name of a fresh temporary file
  local token = os.tmpname()
  os.remove(token)
  local tmux = "tmux -L synack-repl-" .. token:match("[^/]+$"):gsub("[^%w]", "")

  local function screen(name)
    return read(tmux .. " capture-pane -p -J -S -200 -t " .. name .. " 2>/dev/null")
  end

  --- Wait (at most `limit` seconds) until the screen contains `text`.
  local function await(name, text, limit)
    for _ = 1, limit * 10 do
      local s = screen(name)
      if s:find(text, 1, true) then return s end
      sleep(0.1)
    end
    return screen(name)
  end

  --- Start bin/synack in session `name`, type `lines` ("#" in front: an
  -- expression to print), and return the screen once it shows `done`.
  local function session(name, lines, done)
    local env = "env LUA=" .. q(LUA) .. (BUILD and (" SYNACK_BUILD=" .. q(BUILD)) or "")
    local cmd = env .. " " .. q(here .. "/bin/synack")
    assert.is_true(sh(tmux .. " new-session -d -s " .. name .. " -x 200 -y 60 " .. q(cmd)))
    await(name, "> ", 5)
    local eq = needs_equals() and "=" or ""
    for _, line in ipairs(lines) do
      line = line:gsub("^#", eq)
      sh(tmux .. " send-keys -t " .. name .. " -l " .. q(line))
      sh(tmux .. " send-keys -t " .. name .. " Enter")
      sleep(0.05)
    end
    local s = await(name, done, 10)
    sh(tmux .. " kill-session -t " .. name .. " >/dev/null 2>&1")
    return s
  end

  local function skip()
    if not sh("command -v tmux >/dev/null 2>&1") then
      pending("tmux is not installed (Debian: tmux)")
      return true
    end
    if SANITIZE and SANITIZE ~= "" then
      pending("the sanitized interpreter has no REPL")
      return true
    end
  end

  teardown(function()
    sh(tmux .. " kill-server >/dev/null 2>&1")
  end)

  it("steps through the handshake and prints what it sees", function()
    if skip() then return end
    local s = session("card", CARD, "paws_drops")
    assert.matches("0%.010000 In  198%.18%.0%.1%.49152 > 198%.18%.0%.2%.80: Flags %[S%], seq 0,", s)
    assert.matches("0%.020000 In  198%.18%.0%.2%.80 > 198%.18%.0%.1%.49152: Flags %[S%.%], seq 5000, ack 1,", s)
    assert.matches("0%.030000 In  198%.18%.0%.1%.49152 > 198%.18%.0%.2%.80: Flags %[%.%], ack 5001,", s)
    assert.matches("synack%.conn 198%.18%.0%.1:49152 > 198%.18%.0%.2:80 ESTABLISHED", s)
    assert.matches('{ %-%- 198%.18%.0%.1:49152 > 198%.18%.0%.2:80\n  state = "ESTABLISHED",', s)
    assert.matches("iss = 0, snd_una = 1, snd_nxt = 1,", s)
    assert.matches("irs = 5000, rcv_nxt = 5001,", s)
  end)

  it("prints the ladder of what ran", function()
    if skip() then return end
    local lines = {}
    for i = 1, 6 do lines[i] = CARD[i] end
    lines[7] = "net:run()"
    lines[8] = "print(net:ladder{relative = true})"
    lines[9] = 'print("the" .. " end")'
    local s = session("ladder", lines, "the end")
    assert.matches("  0%.000000 |%-+ S 0:0%(0%) <mss 1460,sackOK,TS,ws 2> %-+>|", s)
    assert.matches("  0%.010000 |<%-+ S%. 0:0%(0%) ack 1 <mss 1460,sackOK,TS,ws 2> %-+|", s)
    assert.matches("  0%.030000 | +ESTABLISHED |", s)
  end)
end)
