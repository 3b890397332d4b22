--- Run by realtime_spec.lua inside Neovim (nvim --headless -c 'luafile ...'):
-- synack on Neovim's own loop (vim.uv / vim.loop), which Neovim runs; the
-- script waits with vim.wait. Writes "ok <what>" lines, or "fail <why>", to
-- the file named by $SYNACK_NVIM_OUT, then quits Neovim.
-- luacheck: globals vim
local lines = {}
local function say(s) lines[#lines + 1] = s end

local ok, err = pcall(function()
  local uv = vim.uv or vim.loop
  local synack = require "synack"
  local net = synack.network{clock = "real"}
  assert(net:_real().loop == "luv", "not on Neovim's loop")
  say("ok on Neovim's loop")
  local w = net:wire{delay = 0.005}
  local a = net:host{addr = "198.18.0.1", link = w}
  local b = net:host{addr = "198.18.0.2", link = w}
  local l = b:listen(80)
  local states = {}
  local c = a:connect("198.18.0.2", 80)
  c:on("state", function(_, _, to) states[#states + 1] = to end)
  assert(vim.wait(5000, function() return c.state == "ESTABLISHED" end, 5), "no handshake: " .. c.state)
  local s
  assert(vim.wait(5000, function() s = l:accept(0) return s ~= nil end, 5), "nothing to accept")
  say("ok handshake on Neovim's loop (" .. table.concat(states, ",") .. ")")
  local msg = ("hello neovim "):rep(1000)
  assert(c:send(msg) == #msg)
  local got = ""
  assert(vim.wait(5000, function()
    got = got .. (s:recv(nil, 0) or "")
    return #got >= #msg
  end, 5), "transfer incomplete: " .. #got)
  assert(got == msg, "transfer differs")
  say("ok transfer of " .. #msg .. " bytes")
  -- a libuv callback of Neovim's is a fast event: driving the loop there is refused
  local err_fast
  local t = uv.new_timer()
  t:start(1, 0, function()
    local ok2, e = pcall(net.run_until, net, function() return false end, 0.01)
    err_fast = ok2 and "no error" or tostring(e)
    t:close()
  end)
  assert(vim.wait(2000, function() return err_fast ~= nil end, 5))
  assert(err_fast:find("host program runs it", 1, true), err_fast)
  say("ok driving from a fast event is refused")
  -- (no uv.walk here: Neovim 0.7's own handles make it abort, synack or not)
  -- an error in a hook goes Neovim's way (an error message); the segment passes
  vim.v.errmsg = ""
  b:on("syn", function() error("boom in a hook") end)
  local c2 = a:connect("198.18.0.2", 80)
  assert(vim.wait(5000, function() return c2.state == "ESTABLISHED" end, 5), "no handshake: " .. c2.state)
  assert(vim.wait(2000, function() return vim.v.errmsg:find("boom in a hook", 1, true) ~= nil end, 5),
    "the hook's error was not reported: " .. vim.v.errmsg)
  vim.v.errmsg = ""
  say("ok a hook's error is reported by Neovim, the segment passes")
  net:close()
  assert(vim.wait(2000, function() return synack._uv_handles() == 0 and select(2, synack._uv_handles()) == 0 end, 5),
    "handles left: " .. synack._uv_handles())
  say("ok handles closed")
end)
if not ok then say("fail " .. tostring(err)) end
local f = io.open(os.getenv("SYNACK_NVIM_OUT") or "/dev/stderr", "w")
f:write(table.concat(lines, "\n") .. "\n")
f:close()
vim.cmd("qa!")
