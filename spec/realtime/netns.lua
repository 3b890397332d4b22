--- netns.lua: what the specs that talk to the Linux kernel share (loaded with
-- dofile by realtime_spec.lua and kernel_spec.lua). Each run is a script of
-- spec/realtime/ started by bin/synack inside a private network namespace
-- (`unshare --net`) made for it alone: lo up, IPv6 DAD off (the TUN address is
-- usable at once), the kernel's TCP options on; the script opens its own TUN
-- device there, on 198.18.0.0/24 and 2001:db8::/64 only, and no interface of
-- the machine is touched. Everything runs under `timeout`.
local M = {}

local function sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
M.sh_quote = sh_quote

--- Whether a shell command succeeded (os.execute answers a number on 5.1).
local function sh(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

local why_not

--- true when namespaces and TUN devices can be made here; otherwise prints
-- the reason (once) and answers false, and the caller skips.
function M.can_run(what)
  if why_not == nil then
    if not sh("unshare --net true 2>/dev/null") then
      why_not = "this machine does not let us make a network namespace (unshare --net)"
    elseif not sh("unshare --net sh -c 'ip tuntap add dev synacktest mode tun' 2>/dev/null") then
      why_not = "no TUN devices here (/dev/net/tun)"
    else
      why_not = false
    end
    if why_not then print("\n" .. (what or "kernel") .. " specs skipped: " .. why_not) end
  end
  return why_not == false
end

--- Run `bin/synack args...` in a fresh namespace; `opts.prefix` is shell run
-- there first, `opts.workdir` (true) makes a scratch directory, passed as the
-- first argument and removed afterwards, `opts.seconds` bounds the run
-- (default 90). Returns ok, output, seconds taken.
function M.run(bin, args, opts)
  opts = opts or {}
  local dir
  local cmd = "ip link set lo up; sysctl -qw net.ipv6.conf.default.accept_dad=0;"
    .. " sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1; "
    .. (opts.prefix or "") .. " exec " .. sh_quote(bin)
  for i, a in ipairs(args) do
    cmd = cmd .. " " .. sh_quote(a)
    if i == 1 and opts.workdir then
      dir = os.tmpname()
      os.remove(dir)
      assert(sh("mkdir -p " .. sh_quote(dir)), "cannot make " .. dir)
      cmd = cmd .. " " .. sh_quote(dir)
    end
  end
  local t0 = os.time()
  local p = io.popen("timeout -k 5 " .. (opts.seconds or 90) .. " unshare --net sh -c " .. sh_quote(cmd) .. " 2>&1")
  local out = p:read("*a")
  local ok = p:close()
  if dir then os.execute("rm -rf " .. sh_quote(dir)) end
  return ok, out, os.time() - t0
end

return M
