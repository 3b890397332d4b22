-- expect_peer.lua: a raw host plays the client, segment by segment, against
-- synack's TCP listening on port 80, and checks every segment it gets back.
-- A wrong expectation stops the script with a field-by-field difference.
--
--   bin/synack examples/expect_peer.lua
local synack = require "synack"
local expect = require "synack.expect"

local net = synack.network{seed = 1}
local wire = net:wire{delay = 0.010}
local server = net:host{addr = "198.18.0.1", link = wire}
local tester = net:host{addr = "198.18.0.2", link = wire, raw = true}
local l = server:listen(80)
expect.attach(tester, {isn = 0, peer = "198.18.0.1", port = 80, sport = 49152})

local function show(what, seg, at)
  print(string.format("%8.3f  %-28s %s", at or net.now, what, tostring(seg)))
end

show("tester sends SYN", tester:send{flags = "S", seq = 0, options = {mss = 1460}})
show("server answers SYN/ACK", tester:expect{flags = "S.", seq = 0, ack = 1,
  options = {mss = synack.range(536, 1460)}, within = 0.1})
show("tester sends ACK", tester:send{flags = ".", seq = 1, ack = 1})
local conn = assert(l:accept(1))
show("tester sends data", tester:send{flags = "P.", data = "hello"})
print("         server reads " .. string.format("%q", conn:recv()))
show("server ACKs the data", tester:expect{flags = ".", ack = 6, within = 0.3})
show("tester sends FIN", tester:send{flags = "F."})
show("server ACKs the FIN", tester:expect{flags = ".", ack = 7, within = 0.3})
conn:close()
show("server sends its FIN", tester:expect{flags = "F.", seq = 1, ack = 7, within = 0.1})
show("tester ACKs it", tester:send{flags = "."})
assert(conn:wait("CLOSED", 1))
print(string.format("%8.3f  server's connection is %s", net.now, conn.state))
