-- card_segments.lua: the card's picture of a TCP conversation, crafted
-- segment by segment with synack.segment, printed the way tcpdump prints
-- them, and written to a pcap you can open in Wireshark.
--
--   bin/synack examples/card_segments.lua [card.pcap]
--
-- The client 198.18.0.1 starts at ISN 0, the server 198.18.0.2 at ISN 5000,
-- as on the card. No TCP runs here: every number is written by hand, which is
-- the point: it shows what each step of the card looks like on the wire.
local synack = require "synack"

local client, server = "198.18.0.1", "198.18.0.2"
local cport, sport = 49152, 80

-- A segment from the client (dir ">") or the server (dir "<").
local function seg(dir, fields)
  if dir == ">" then
    fields.src, fields.dst, fields.sport, fields.dport = client, server, cport, sport
  else
    fields.src, fields.dst, fields.sport, fields.dport = server, client, sport, cport
  end
  return synack.segment(fields)
end

local steps = {
  { "Step 1, SYN: the client asks to synchronise and gives its Initial Sequence Number, 0.",
    seg(">", {flags = "S", seq = 0, win = 65535,
      options = {mss = 1460, sack_permitted = true, timestamp = {1, 0}, wscale = 7}}) },
  { "Step 2, SYN/ACK: the server agrees, gives its own ISN, 5000, and acknowledges the client's:\n"
    .. "      ack 1 means 'I have everything before 1' (a SYN takes up one sequence number).",
    seg("<", {flags = "S.", seq = 5000, ack = 1, win = 65535,
      options = {mss = 1460, sack_permitted = true, timestamp = {7, 1}, wscale = 7}}) },
  { "Step 3, ACK: the client acknowledges the server's ISN (ack 5001 = 5000 + 1).\n"
    .. "      The connection is now established at both ends.",
    seg(">", {flags = ".", seq = 1, ack = 5001, win = 502, options = {timestamp = {2, 7}}}) },
  { "Step 4, DATA: the client sends 5 bytes; they take sequence numbers 1 to 5 (tcpdump: 1:6).",
    seg(">", {flags = "P.", seq = 1, ack = 5001, win = 502, options = {timestamp = {3, 7}},
      payload = "hello"}) },
  { "The server's ACK of the data: ack 6 is the next byte it expects.",
    seg("<", {flags = ".", seq = 5001, ack = 6, win = 509, options = {timestamp = {8, 3}}}) },
  { "Step 5, FIN: the client is done sending and closes its side; the FIN takes number 6.",
    seg(">", {flags = "F.", seq = 6, ack = 5001, win = 502, options = {timestamp = {4, 8}}}) },
  { "The server acknowledges that FIN (ack 7) and closes its own side with a FIN of its own.",
    seg("<", {flags = "F.", seq = 5001, ack = 7, win = 509, options = {timestamp = {9, 4}}}) },
  { "The last ACK: the client acknowledges the server's FIN (ack 5002). Both sides are closed;\n"
    .. "      the client waits in TIME-WAIT in case this ACK is lost and the FIN comes again.",
    seg(">", {flags = ".", seq = 7, ack = 5002, win = 502, options = {timestamp = {5, 9}}}) },
  { "Step #, RST, the last resort: a new SYN, this time to port 81 where nothing listens...",
    synack.segment{src = client, dst = server, sport = cport + 1, dport = 81, flags = "S", seq = 0,
      win = 65535, options = {mss = 1460, sack_permitted = true, timestamp = {6, 0}, wscale = 7}} },
  { "...and the server refuses it with a RST. It acknowledges the SYN (ack 1) so that the\n"
    .. "      client can tell the RST belongs to its attempt, and the client gives up at once.",
    synack.segment{src = server, dst = client, sport = 81, dport = cport + 1, flags = "R.", seq = 0,
      ack = 1, win = 0} },
}

local path = arg and arg[1] or os.tmpname()
local segs, times = {}, {}
for i, step in ipairs(steps) do
  local t = (i - 1) * 0.010
  segs[i], times[i] = step[2], t
  print(string.format("%6.3f  %s", t, tostring(step[2])))
  print("      " .. step[1])
  print()
end

local ok, err = synack.write_pcap(path, segs, times)
if not ok then
  io.stderr:write("card_segments: ", err, "\n")
  os.exit(1)
end
-- Read it back: skip the 24-byte file header, then each record's 16-byte
-- header (its captured length at bytes 9-12, little-endian) and packet.
local f = assert(io.open(path, "rb"))
local data = f:read("*a")
f:close()
local pos, n = 25, 0
while pos <= #data do
  local a, b, c, d = data:byte(pos + 8, pos + 11)
  local len = a + b * 256 + c * 65536 + d * 16777216
  local back = assert(synack.parse(data:sub(pos + 16, pos + 15 + len)))
  n = n + 1
  assert(back.checksum_ok and back == segs[n], "packet " .. n .. " did not read back")
  pos = pos + 16 + len
end
print(string.format("wrote %d segments to %s (read back: %d, checksums good); see it with: tcpdump -n -S -r %s",
  #segs, path, n, path))
