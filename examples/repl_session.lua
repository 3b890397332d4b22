-- examples/repl_session.lua: the card's conversation typed at the REPL, one
-- event at a time with net:step(): the three-way handshake (client ISN 0,
-- server ISN 5000), "hello", FIN both ways, and a RST at a closed port.
--
-- Every line is a statement of its own, with global names, so the file can
-- be pasted line by line at the `bin/synack` prompt (any Lua: it prints
-- with print(), which 5.1 and LuaJIT need). Or run it:
--
--   bin/synack examples/repl_session.lua      the whole session, then exit
--   bin/synack -i examples/repl_session.lua   the same, then stay at the
--       prompt with net, a, b, l, c, s, r defined: try c:info(),
--       net:trace(), print(net:ladder()), net:ladder{format = "svg"}
--
-- What net:step() prints is the first event of each step, tcpdump-style:
-- the time, In (a segment delivered to a host), then the segment.
synack = synack or require "synack"
net = synack.network{seed = 1}               -- virtual time: nothing ever waits
wire = net:wire{delay = 0.010}               -- 10 ms each way
a = net:host{addr = "198.18.0.1", link = wire}   -- the client
b = net:host{addr = "198.18.0.2", link = wire}   -- the server
l = b:listen(80, {isn = 5000})
c = a:connect("198.18.0.2", 80, {isn = 0})
print(c)                                     -- SYN-SENT: the SYN is already on the wire
-- Step 1, SYN: the client's ISN, 0
print(net:step())
-- Step 2, SYN/ACK: the server's ISN, 5000, and ack 1 ("I have your 0")
print(net:step())
-- Step 3, ACK: ack 5001; the server is ESTABLISHED when it arrives
print(net:step())
print(c.state, c:info().snd_nxt, c:info().rcv_nxt)
s = l:accept()
print(s)
-- Step 4, DATA: five bytes, seq 1:6, acknowledged with ack 6
print(c:send("hello"))
print(net:step())
data = s:recv()
print(data)
print(net:step())
-- Step 5, FIN: each side's FIN takes one sequence number
print(c:close())
print(net:step())
print(net:step())
print(c.state, s.state)
print(s:close())
print(net:step())
print(net:step())
print(c.state, s.state)
-- TIME-WAIT lasts 2 MSL (60 s): run() lets it pass at once
net:run()
print(c.state, net.now)
-- Step #, RST: nobody listens on port 81
r = a:connect("198.18.0.2", 81, {isn = 100})
print(net:step())
print(net:step())
print(r.state, r:info().error)
print(net:ladder{relative = true})
