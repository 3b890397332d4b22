---@meta synack.pkt
-- types/synack/pkt.lua: LuaCATS declarations of `require "synack.pkt"`,
-- which runs packetdrill scripts against synack's TCP in virtual time, or
-- against the Linux kernel's (see types/synack.lua for how to use these
-- files). The modules it is built from (synack.pkt_lang, pkt_run,
-- pkt_synack, pkt_kernel, ...) are internal and not declared here.

---@class synack.pkt
local pkt = {}

---Runs the script in file `path`.
---@param path string
---@param opts? synack.PktOpts
---@return true|nil ok
---@return string|nil message what failed, starting `name:line:`
---@return "unavailable"|nil why when the kernel target cannot run here
function pkt.run_file(path, opts) end

---Runs the script `text`.
---@param text string
---@param opts? synack.PktOpts
---@return true|nil ok
---@return string|nil message
---@return "unavailable"|nil why when the kernel target cannot run here
function pkt.run_string(text, opts) end

---Whether the kernel target can run here (a network namespace and a TUN device).
---@return true|nil ok
---@return string|nil why
function pkt.kernel_available() end

---Options of `run_file` and `run_string`.
---@class synack.PktOpts
---@field target? "synack"|"kernel" synack's TCP in virtual time (default), or the Linux kernel's in real time
---@field ip_version? "ipv4"|"ipv6" between 198.18.0.1 and .2 (default), or 2001:db8::1 and ::2 (AF_INET sockets become AF_INET6)
---@field mtu? integer the link's MTU: default 1500 on IPv4, 1520 on IPv6 (so that the MSS is 1460 on both)
---@field tolerance_usecs? number kernel target: how far a time may be off (default 4000)
---@field tolerance_percent? number kernel target: the same as a share of the time (default 12.5); the larger applies
---@field name? string the script's name in messages
---@field seed? integer synack target: the network's seed (it picks the local ISNs)
---@field remote_isn? integer default 0
---@field trace? fun(line: string) called with one line per segment

return pkt
