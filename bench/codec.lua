--- bench/codec.lua: build + encode + parse of one segment from Lua, the
-- work bench/codec_scapy.py does with Scapy: a SYN with the options of the
-- card (mss, sackOK, timestamps, nop, wscale), made from a table, turned
-- into IP bytes with checksums, parsed back, one field read.
--
--   bin/synack bench/codec.lua COUNT
--
-- Prints codec_per_s (wall) and codec_hex (the packet, for the cross-check).
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local lib = require "lib"
local synack = require "synack"

local count = lib.arg(1, 200000)
local segment, parse = synack.segment, synack.parse

local function one(i)
  local seg = segment{src = "198.18.0.1", dst = "198.18.0.2", sport = 1234, dport = 80,
    flags = "S", seq = i, ack = 0, win = 65535,
    options = {mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7}}
  local back = parse(seg:bytes())
  return back.seq
end

for i = 1, 1000 do one(i) end -- warm up
local wall, cpu = lib.time(function()
  local sum = 0
  for i = 1, count do sum = sum + one(i) end
  return sum
end)
lib.emit("codec_count", count)
lib.emit("codec_per_s", count / wall)
lib.emit("codec_cpu_per_s", count / cpu)
local bytes = segment{src = "198.18.0.1", dst = "198.18.0.2", sport = 1234, dport = 80,
  flags = "S", seq = 0, ack = 0, win = 65535,
  options = {mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7}}:bytes()
io.write("codec_hex ", (bytes:gsub(".", function(ch) return string.format("%02x", ch:byte()) end)), "\n")
