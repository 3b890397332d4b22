-- examples/handshake.lua: the card "The three-way handshake", live.
--
-- A client (198.18.0.1, Initial Sequence Number 0) talks to a server
-- (198.18.0.2, port 80, ISN 5000) over a wire with 10 ms of delay. The
-- network runs one event at a time (net:step()), and after each step this
-- script prints everything that happened: segments In (delivered) and Out
-- (sent), and the state changes of both ends.
--
-- Run: bin/synack examples/handshake.lua   (or: make demo)
local synack = require "synack"

local net = synack.network{clock = "virtual", seed = 1}
local wire = net:wire{delay = 0.010}
local client = net:host{addr = "198.18.0.1", link = wire}
local server = net:host{addr = "198.18.0.2", link = wire}

-- Below, both ends turn off SACK, timestamps and window scaling (to keep the
-- lines short) and delayed ACKs (so that every segment is answered at once).

local shown = 0
--- Print the trace events recorded since the last call, indented.
local function show()
  local trace = net:trace()
  for i = shown + 1, #trace do print("    " .. tostring(trace[i])) end
  shown = #trace
end

--- Process exactly one event, then show what it caused.
local function step()
  local ev = net:step()
  show()
  return ev
end

local function say(text)
  print()
  print(text)
end

print("The three-way handshake, step by step")
print("client 198.18.0.1 (ISN 0)  <-- 10 ms -->  server 198.18.0.2:80 (ISN 5000)")
print("Lines: time in seconds, In = a segment arrives, Out = a segment is sent,")
print("a:p > b:p FROM -> TO = a connection changes state.")

say("The server listens on port 80; the client opens a connection.")
local listener = server:listen(80, {isn = 5000, delayed_ack = false, sack = false,
  timestamps = false, wscale = false})
local c = client:connect("198.18.0.2", 80, {isn = 0, delayed_ack = false, sack = false,
  timestamps = false, wscale = false})
show()

say("Step 1: SYN. The client's SYN carries its ISN (seq 0): \"let's synchronise, I start at 0\".")
step()

say("Step 2: SYN/ACK. The server answers with its own ISN (seq 5000) and acknowledges\n"
  .. "the client's: ack 1 = \"I got your 0, I expect 1 next\" (a SYN counts as one).")
step()

say("Step 3: ACK. The client acknowledges the server's ISN: ack 5001.\n"
  .. "The client is ESTABLISHED as soon as it sends it, the server when it arrives.")
step()
local s = listener:accept()
print(("    client: snd_nxt %d rcv_nxt %d    server: snd_nxt %d rcv_nxt %d"):format(
  c:info().snd_nxt, c:info().rcv_nxt, s:info().snd_nxt, s:info().rcv_nxt))

say("Step 4: DATA. The client sends \"hello\": bytes 1..5, so seq 1:6; the server\n"
  .. "acknowledges with ack 6, the next byte it expects.")
c:send("hello")
show()
step()
step()
print(("    the server reads: %q"):format(s:recv()))

say("Step 5: FIN. The client closes: its FIN (seq 6) takes one sequence number, so\n"
  .. "the server acknowledges it with ack 7 and waits in CLOSE-WAIT for its own user.")
c:close()
show()
step()
step()
say("The server closes too: its FIN (seq 5001), the client's last ACK (ack 5002).\n"
  .. "The client then waits in TIME-WAIT (2 MSL = 60 s) in case that ACK is lost\n"
  .. "and the FIN comes again; the server is done once the ACK arrives.")
s:close()
show()
while c.state ~= "CLOSED" or s.state ~= "CLOSED" do
  if not step() then break end
end
print(("    client %s, server %s, at %.6f s (virtual time: nobody waited)"):format(
  c.state, s.state, net.now))

say("Step #: RST. A last resort: the client tries port 81, where nobody listens.\n"
  .. "The server answers with a reset and the connection is refused.")
local r = client:connect("198.18.0.2", 81, {isn = 100, sack = false, timestamps = false, wscale = false})
show()
step()
step()
print("    the client's connection: " .. tostring(r) .. ", error " .. tostring(r:info().error))

say("The whole exchange as a ladder: time runs down, one arrow per segment.")
print(net:ladder())
