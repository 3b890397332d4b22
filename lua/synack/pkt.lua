--- synack.pkt: run packetdrill scripts against synack's TCP, in virtual time
-- (synack.pkt_synack), or against the Linux kernel's TCP, in real time
-- (synack.pkt_kernel).
--
--   local pkt = require "synack.pkt"
--   pkt.run_file(path [, opts])   --> true | nil, message [, "unavailable"]
--   pkt.run_string(text [, opts]) --> true | nil, message [, "unavailable"]
--   pkt.kernel_available()        --> true | nil, why
--
-- opts: target ("synack", the default, or "kernel"), ip_version ("ipv4", the
-- default, or "ipv6"), mtu (of the link both sides share: default 1500 on
-- IPv4, 1520 on IPv6, so that the MSS announced is 1460 on both),
-- tolerance_usecs and
-- tolerance_percent (kernel target: a time is met within the larger of the
-- two, default 4000 µs and 12.5 % of the time since the previous line; the
-- synack target is exact), name (for messages), seed (of the virtual
-- network: it picks the local ISNs), remote_isn (default 0), trace (a
-- function that gets one line per segment, for debugging). "unavailable":
-- the kernel target cannot run here (no network namespace or TUN device).
--
-- On either target the script's local side is at 198.18.0.1 and its remote
-- side, a raw synack host that injects the `<` packets and receives what the
-- `>` lines expect, at 198.18.0.2; with ip_version "ipv6", 2001:db8::1 and
-- 2001:db8::2, and a socket() of AF_INET is an AF_INET6 one, as packetdrill
-- maps it. bind() binds port 8080; connect() goes to the remote side's port
-- 8080; the remote side of a passive open uses port 40000 and ISN 0. The
-- language is described in synack.pkt_lang, the way a script runs in
-- synack.pkt_run.
--
-- A failure message starts with `name:line:` and the script line, then
-- says what differs; for a packet, the expected and the actual packet (in
-- the script's notation, relative numbers) and their times.
local run = require "synack.pkt_run"
local lang = require "synack.pkt_lang"
local pkt_synack = require "synack.pkt_synack"
local pkt_kernel = require "synack.pkt_kernel"

local M = {}

--- run_string(text [, opts]) -> true | nil, message [, "unavailable"]
function M.run_string(text, opts)
  opts = opts or {}
  local name = opts.name or "script"
  local target = opts.target or "synack"
  if target ~= "synack" and target ~= "kernel" then
    return nil, string.format("%s: unknown target %q (synack or kernel)", name, tostring(target))
  end
  local ip, why = lang.ip(opts)
  if not ip then return nil, name .. ": " .. why end
  local events, msg = run.parse(text, name)
  if not events then return nil, msg end
  if target == "kernel" then
    -- in a child process, in a network namespace of its own
    return pkt_kernel.run_outside(text, opts, events)
  end
  return run.run(assert(pkt_synack.runner(opts)), events, name)
end

--- kernel_available() -> true | nil, why: whether the kernel target can run
-- here (a network namespace and a TUN device).
function M.kernel_available()
  return pkt_kernel.available()
end

--- run_file(path [, opts]) -> true | nil, message
function M.run_file(path, opts)
  local f, err = io.open(path, "r")
  if not f then return nil, tostring(err) end
  local text = f:read("*a")
  f:close()
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.name = o.name or path
  return M.run_string(text, o)
end

return M
