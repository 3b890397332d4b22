--- synack.info: c:info() tables that print readably.
--
-- Contract: M.install(methods) wraps the binding's conn `info` method so
-- that the table it returns has a metatable whose __tostring lists the
-- fields in a fixed, sensible order (endpoints and state, then send and
-- receive sequence variables, options, congestion control, timers, byte
-- counts, SACK and the rest, alphabetically), as a Lua table constructor
-- wrapped at 78 columns. The table itself is unchanged: same fields, same
-- values; what c:info() returns on failure (nil, err, code) passes as is.
local M = {}

-- Printed first, a line per group; `local`/`remote` head the table as a comment.
local GROUPS = {
  {"state", "error"},
  {"iss", "snd_una", "snd_nxt", "snd_max", "snd_wnd", "snd_wscale"},
  {"irs", "rcv_nxt", "rcv_wnd", "rcv_wscale"},
  {"mss", "sack", "timestamps", "ts_recent"},
  {"cc", "cwnd", "ssthresh", "pipe", "in_recovery", "dupacks", "fast_recoveries"},
  {"srtt", "rttvar", "rto", "retransmits", "timeouts", "lost_retransmits"},
  {"bytes_sent", "bytes_received", "bytes_acked"},
  {"send_queued", "recv_queued", "urgent_queued", "buffer_bytes"},
  {"sacked_bytes", "sack_blocks", "rcv_ooo_blocks", "paws_drops"},
}
-- Not repeated: the same facts as other fields.
local SKIP = {wscale = true, ["local"] = true, remote = true, local_addr = true,
  remote_addr = true, local_port = true, remote_port = true}

local function value(v)
  if type(v) == "string" then return ("%q"):format(v) end
  if math.type and math.type(v) == "float" or type(v) == "number" and v % 1 ~= 0 then
    return ("%.6g"):format(v)
  end
  return tostring(v)
end

--- The field names of t in print order, as a list of groups.
local function groups(t)
  local list, seen = {}, {}
  for _, g in ipairs(GROUPS) do
    local keys = {}
    for _, k in ipairs(g) do
      seen[k] = true
      if rawget(t, k) ~= nil then keys[#keys + 1] = k end
    end
    if #keys > 0 then list[#list + 1] = keys end
  end
  local rest = {}
  for k in pairs(t) do
    if type(k) == "string" and not seen[k] and not SKIP[k] then rest[#rest + 1] = k end
  end
  table.sort(rest)
  if #rest > 0 then list[#list + 1] = rest end
  return list
end

--- One group's "k = v," items on lines of at most 78 columns.
local function add_group(out, t, keys)
  local line = " "
  for _, k in ipairs(keys) do
    local item = " " .. k .. " = " .. value(rawget(t, k)) .. ","
    if #line > 1 and #line + #item > 78 then
      out[#out + 1] = line
      line = " "
    end
    line = line .. item
  end
  out[#out + 1] = line
end

local function info_tostring(t)
  local out = {"{ -- " .. tostring(rawget(t, "local")) .. " > " .. tostring(rawget(t, "remote"))}
  for _, keys in ipairs(groups(t)) do add_group(out, t, keys) end
  out[#out + 1] = "}"
  return table.concat(out, "\n")
end

M.mt = {__tostring = info_tostring, __name = "synack.info"}

--- Wrap methods.conn.info (see the header).
function M.install(methods)
  local raw = methods.conn.info
  methods.conn.info = function(...)
    local t, err, code = raw(...)
    if type(t) == "table" and getmetatable(t) == nil then setmetatable(t, M.mt) end
    if t == nil then return t, err, code end
    return t
  end
end

return M
