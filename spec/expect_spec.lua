-- synack.expect: a raw host `t` plays a TCP peer segment by segment against a
-- synack host `b`, and checks every segment `b` sends back.
local synack = require "synack"
local expect = require "synack.expect"

local B, T = "198.18.0.1", "198.18.0.2"

--- A network with a TCP host b listening on 8080 and a raw tester t.
local function setup(delay)
  local net = synack.network{seed = 1}
  local w = net:wire{delay = delay or 0.01}
  local b = net:host{addr = B, link = w}
  local t = net:host{addr = T, link = w, raw = true}
  local l = b:listen(8080)
  expect.attach(t, {isn = 1000, peer = B, port = 8080, sport = 40000})
  return net, b, t, l
end

--- t opens a connection to b and completes the handshake; returns b's end.
local function handshake(t, l)
  t:send{flags = "S", seq = 0, options = {mss = 1000}}
  t:expect{flags = "S.", seq = 0, ack = 1, within = 0.1}
  t:send{flags = ".", seq = 1, ack = 1}
  return assert(l:accept(1))
end

--- The error message a failing call raises.
local function failure(fn)
  local ok, err = pcall(fn)
  assert.is_false(ok, "expected the call to fail")
  return tostring(err)
end

describe("synack.expect", function()
  it("installs the matchers and the methods", function()
    assert.equal(expect.any, synack.any)
    assert.equal("range(1, 2)", tostring(synack.range(1, 2)))
    local net = synack.network{}
    local t = net:host{addr = T, link = net:wire{}, raw = true}
    assert.is_function(t.expect)
    assert.is_function(t.send)
    assert.is_function(t.expect_none)
  end)

  it("plays the client of a passive open, data and the close, relative to the ISNs", function()
    local net, _, t, l = setup()
    t:send{flags = "S", seq = 0, win = 65535, options = {mss = 1000}}
    local synack_seg, at = t:expect{flags = "S.", seq = 0, ack = 1, win = synack.any,
      options = {mss = synack.range(536, 1460)}, within = 0.2}
    assert.equal(0.02, at)
    assert.equal(1001, synack_seg.ack) -- absolute: the tester's ISN is 1000
    t:send{flags = ".", seq = 1, ack = 1}
    local s = assert(l:accept(1))
    assert.equal("ESTABLISHED", s.state)

    t:send{flags = "P.", seq = 1, ack = 1, data = "hello"}
    assert.equal("hello", s:recv()) -- reading opens the window again: the ACK goes at once
    t:expect{flags = ".", seq = 1, ack = 6, within = 0.3}

    s:send("world")
    t:expect{flags = "P.", seq = 1, ack = 6, data = "world", within = 0.1}
    t:send{flags = ".", seq = 6, ack = 6}

    t:send{flags = "F.", seq = 6, ack = 6}
    t:expect{flags = ".", seq = 6, ack = 7, within = 0.5}
    assert.equal(nil, (s:recv()))
    s:close()
    t:expect{flags = "F.", seq = 6, ack = 7, within = 0.1}
    t:send{flags = ".", seq = 7, ack = 7}
    assert.is_true(s:wait("CLOSED", 1))
    assert.is_true(net.now < 1)
  end)

  it("defaults seq and ack to where the conversation is", function()
    local _, _, t, l = setup()
    t:send{flags = "S"}
    t:expect{flags = "S.", ack = 1}
    t:send{flags = "."}
    local s = assert(l:accept(1))
    local seg = t:send{flags = "P.", data = "abc"}
    assert.equal(1001, seg.seq)
    t:expect{flags = ".", ack = 4, within = 0.5}
    assert.equal("abc", s:recv())
  end)

  it("plays the server of an active open", function()
    local _, b, t = setup()
    local c = b:connect(T, 5555, {isn = 7})
    local syn = t:expect{flags = "S", seq = 0, options = {mss = 1460, sack_permitted = true}, within = 0.1}
    assert.equal(7, syn.seq)
    t:send{flags = "S.", seq = 0, ack = 1, options = {mss = 1200}}
    t:expect{flags = ".", seq = 1, ack = 1, within = 0.1}
    assert.equal("ESTABLISHED", c.state)
    c:send("abc")
    t:expect{flags = "P.", seq = 1, ack = 1, len = 3, payload = "abc", within = 0.1}
    t:send{flags = "R.", seq = 1, ack = 4}
    assert.is_true(c:wait("CLOSED", 1))
    assert.equal("ECONNRESET", c:info().error)
  end)

  it("answers a SYN to a closed port with RST", function()
    local _, _, t = setup()
    t:send{flags = "S", seq = 0, dport = 81}
    t:expect{flags = "R.", seq = 0, ack = 1, win = 0, within = 0.1}
  end)

  it("accepts functions, lists of options and absolute numbers", function()
    local _, _, t = setup()
    t:send{flags = "S", seq = 0}
    t:expect{flags = "S.", ack = function(a) return a == 1 end,
      options = {{"mss", 1460}}, sport = 8080, dport = 40000}
    t:send{flags = "S", seq = 0, dport = 9} -- a closed port: RST, checked in absolute numbers
    t:expect{flags = "R.", absolute = true, seq = 0, ack = 1001}
  end)

  it("retransmits the SYN/ACK after 1 s, checked with at and expect_none", function()
    local _, _, t = setup(0)
    t:send{flags = "S", seq = 0}
    t:expect{flags = "S.", seq = 0, ack = 1, at = 0}
    t:expect_none{within = 0.99}
    t:expect{flags = "S.", seq = 0, ack = 1, at = 1, tolerance = 0.02}
  end)

  it("shows expected and actual field by field, with the time", function()
    local _, _, t = setup()
    t:send{flags = "S", seq = 0}
    local err = failure(function() t:expect{flags = "R.", ack = 5, options = {mss = synack.range(1, 100)}} end)
    assert.matches("received at 0.020000 s differs", err, 1, true)
    assert.matches('flags: expected "R.", got "S."', err, 1, true)
    assert.matches("ack: expected 5, got 1", err, 1, true)
    assert.matches("options.mss: expected range(1, 100), got 1460", err, 1, true)
    assert.matches("expected: {flags = \"R.\", ack = 5", err, 1, true)
    assert.matches("actual:   S. seq 0 ack 1 win 65535 len 0 (relative)", err, 1, true)
    assert.matches("198.18.0.1.8080 > 198.18.0.2.40000: Flags [S.]", err, 1, true)
    assert.matches("expect_spec.lua", err, 1, true) -- the error points at the caller
  end)

  it("says when nothing comes in time", function()
    local _, _, t, l = setup()
    handshake(t, l)
    local err = failure(function() t:expect{flags = "P.", within = 0.3} end)
    assert.matches("no segment reached host 198.18.0.2 within 0.3 s", err, 1, true)
    assert.matches("waited from 0.030000 s to 0.330000 s", err, 1, true)
    err = failure(function() t:expect{flags = "P."} end)
    assert.matches("nothing is pending", err, 1, true)
  end)

  it("fails expect_none when a segment comes", function()
    local _, _, t = setup()
    t:send{flags = "S", seq = 0}
    local err = failure(function() t:expect_none{within = 0.5} end)
    assert.matches("expected nothing within 0.5 s, but received at 0.020000 s", err, 1, true)
  end)

  it("needs the 4-tuple and the peer's ISN to send", function()
    local net = synack.network{}
    local t = net:host{addr = T, link = net:wire{}, raw = true}
    assert.matches("send needs the 4-tuple", failure(function() t:send{flags = "S"} end), 1, true)
    assert.matches("no SYN from the peer", failure(function()
      t:send{flags = ".", ack = 1, dst = B, sport = 1, dport = 2}
    end),
      1, true)
  end)

  it("yields inside net:spawn", function()
    local net, _, t, l = setup()
    local log = {}
    net:spawn(function()
      t:send{flags = "S", seq = 0}
      local _, at = t:expect{flags = "S.", ack = 1, within = 0.2}
      log[#log + 1] = at
      t:send{flags = "."}
      t:send{flags = "P.", data = "hi"}
      _, at = t:expect{flags = ".", ack = 3, within = 0.5}
      log[#log + 1] = at
    end)
    net:spawn(function()
      local s = l:accept()
      log[#log + 1] = s:recv()
    end)
    net:run()
    assert.same({0.02, "hi", 0.24}, log) -- the ACK for "hi" is the delayed one, 200 ms later
  end)

  it("works on a connection, relative to its iss and irs", function()
    local _, b, t = setup()
    local c = b:connect(T, 5555, {isn = 100})
    expect.attach(c)
    t:expect{flags = "S", within = 0.1}
    t:send{flags = "S.", seq = 0, ack = 1}
    c:expect{flags = "S.", seq = 0, ack = 1, within = 0.1}
    t:send{flags = "P.", seq = 1, ack = 1, data = "xy"}
    c:expect{flags = "P.", seq = 1, ack = 1, payload = "xy", within = 0.1}
    assert.matches("send is for hosts", failure(function() expect.send(c, {flags = "."}) end), 1, true)
  end)
end)
