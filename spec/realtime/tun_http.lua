--- Run by realtime_spec.lua inside a private network namespace (unshare
-- --net): synack against the Linux kernel through a TUN device, on
-- 198.18.0.0/24 and 2001:db8::/64 only.
--   1. curl (the kernel's TCP) fetches a page from a synack server, v4 and v6;
--   2. a synack client downloads 1 MiB from python3 -m http.server, byte-exact,
--      over IPv4 and IPv6 (the server listens on both: --bind ::).
-- Prints "ok <what>" lines; any failure raises. Usage: tun_http.lua workdir
local synack = require "synack"

local dir = assert(arg[1], "usage: tun_http.lua workdir")
-- the tools run without what this process was started with (a sanitizer's LD_PRELOAD)
local tool = "env -u LD_PRELOAD "
local net = synack.network{clock = "real"}
local tun, err, code = net:tun{name = "synack0", addr = {"198.18.0.1/24", "2001:db8::1/64"}, mtu = 1500}
if not tun then
  print("skip: " .. tostring(err) .. " (" .. tostring(code) .. ")")
  os.exit(0)
end
print("ok " .. tostring(tun))
local pcap = dir .. "/run.pcap"
assert(net:capture(pcap))
local clock0 = os.time()
local h4 = net:host{addr = "198.18.0.2", link = tun}
local h6 = net:host{addr = "2001:db8::2", link = tun}

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- 1. a synack server for curl --------------------------------------------------
local page = "<html><body>hello from synack</body></html>\n"

local function serve(l)
  net:spawn(function()
    while true do
      local s = l:accept()
      if not s then return end
      net:spawn(function()
        local req = ""
        while not req:find("\r\n\r\n", 1, true) do
          local d = s:recv()
          if not d then return end
          req = req .. d
        end
        local reply = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: " .. #page
          .. "\r\nConnection: close\r\n\r\n" .. page
        assert(s:send(reply) == #reply)
        s:close()
      end)
    end
  end)
end
serve(h4:listen(80))
serve(h6:listen(80))

local function curl(url, out)
  local done = out .. ".done"
  os.execute("(" .. tool .. "curl -sS -g --max-time 20 -o " .. out .. " '" .. url .. "' > " .. out
    .. ".log 2>&1; echo $? > " .. done .. ".tmp; mv " .. done .. ".tmp " .. done .. ") &")
  -- (the rename makes the file appear only once it holds the exit status)
  assert(net:run_until(function() return exists(done) end, 30), "curl did not finish")
  local rc = slurp(done):match("%d+")
  assert(rc == "0", "curl " .. url .. " failed: " .. tostring(rc) .. " " .. slurp(out .. ".log"))
  return slurp(out)
end

assert(curl("http://198.18.0.2/", dir .. "/page4") == page, "v4 page differs")
print("ok curl fetched the page from synack over IPv4")
assert(curl("http://[2001:db8::2]/", dir .. "/page6") == page, "v6 page differs")
print("ok curl fetched the page from synack over IPv6")

-- 2. a synack client against python's http.server ------------------------------
local body = {}
for i = 1, 1048576 do body[i] = string.char((i * 13 + 7) % 256) end
body = table.concat(body)
local f = assert(io.open(dir .. "/big.bin", "wb"))
f:write(body)
f:close()
os.execute("cd " .. dir .. " && " .. tool .. "sh -c 'echo $$ > py.pid; exec /usr/bin/python3 -m http.server 8000"
  .. " --bind ::' > py.log 2>&1 &")

local function get(h, addr, path)
  local c
  for _ = 1, 100 do -- until python listens (a refused SYN is answered by RST)
    c = assert(h:connect(addr, 8000))
    if c:wait("ESTABLISHED", 5) then break end
    c = nil
    net:advance(0.1)
  end
  assert(c, "python's http.server never answered")
  local req = "GET " .. path .. " HTTP/1.0\r\nHost: server\r\n\r\n"
  assert(c:send(req) == #req)
  local parts = {}
  while true do
    local d, e = c:recv(nil, 20)
    if not d then
      assert(e == "EOF", e)
      break
    end
    parts[#parts + 1] = d
  end
  c:close()
  local resp = table.concat(parts)
  local head, rest = resp:match("^(.-\r\n\r\n)(.*)$")
  return head, rest, c
end

local function stop_python()
  os.execute("kill $(cat " .. dir .. "/py.pid 2>/dev/null) 2>/dev/null")
end
for _, v in ipairs({{4, h4, "198.18.0.1"}, {6, h6, "2001:db8::1"}}) do
  local t0 = net.now
  local ok, head, got, c = pcall(get, v[2], v[3], "/big.bin")
  if not ok then stop_python() end
  assert(ok, head)
  assert(head and head:find("^HTTP/1%.%d 200"), "bad response head: " .. tostring(head))
  assert(#got == #body, "got " .. #got .. " bytes, want " .. #body)
  assert(got == body, "the 1 MiB body differs")
  print(("ok downloaded 1 MiB from python's http.server over IPv%d byte-exact in %.3f s (%d retransmits)")
    :format(v[1], net.now - t0, c:info().retransmits))
end
stop_python()

net:close() -- flushes the capture
synack._uv_run("nowait")

-- the capture holds both directions, and Wireshark finds every checksum right
local p = assert(io.popen(tool .. "tshark -r " .. pcap .. " -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE"
  .. " -T fields -E separator=/t -e ip.src -e ipv6.src -e tcp.checksum.status -e tcp.checksum.ffff -e _ws.malformed"
  .. " 2>/dev/null"))
local rows, srcs, bad = 0, {}, {}
for line in p:lines() do
  local v4, v6, status, ffff, malformed = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
  assert(v4, "tshark: " .. line)
  rows = rows + 1
  srcs[v4 ~= "" and v4 or v6] = true
  -- the kernel's own ICMPv6 (router solicitations) shows too: not TCP, no status;
  -- Linux may send 0xffff for a checksum computed as 0x0000, the other form of
  -- zero (right, but "Bad" to Wireshark: tcp.checksum.ffff, see kernel_lib.lua)
  if ffff ~= "" then status = "1" end
  if (status ~= "" and status ~= "1") or malformed ~= "" then bad[#bad + 1] = line end
end
assert(p:close(), "tshark failed")
assert(#bad == 0, "tshark: bad packets: " .. table.concat(bad, " | "))
for _, a in ipairs({"198.18.0.1", "198.18.0.2", "2001:db8::1", "2001:db8::2"}) do
  assert(srcs[a], "no packet from " .. a .. " in the capture")
end
print(("ok capture: %d packets, both directions, checksums good (tshark)"):format(rows))
assert(synack._uv_handles() == 0, "handles left open")
print("ok handles closed (" .. os.time() - clock0 .. " s)")
