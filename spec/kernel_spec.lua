-- Interop with the Linux kernel's TCP, through a TUN device. Each test runs a
-- script of spec/realtime/ (kernel_*.lua) in a private network namespace made
-- for it (spec/realtime/netns.lua), on 198.18.0.0/24 and 2001:db8::/64 only,
-- bounded in time; the kernel's programs are spec/realtime/kernel_peer.py.
-- Skipped, with the reason printed, where namespaces or TUN are denied.
local here = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
local bin = here .. "/bin/synack"
local netns = dofile(here .. "/spec/realtime/netns.lua")

--- Run spec/realtime/<script> in its namespace; it must succeed and print
-- every line of `want` (plain text, "%s" standing for each of "4" and "6").
local function run(script, want)
  if not netns.can_run("kernel") then return end
  local ok, out = netns.run(bin, {here .. "/spec/realtime/" .. script}, {workdir = true, seconds = 60})
  assert(ok, out)
  for _, w in ipairs(want) do
    for _, v in ipairs({"4", "6"}) do
      local line = w:gsub("%%s", v)
      assert.truthy(out:find(line, 1, true), "missing: " .. line .. "\n" .. out)
    end
  end
  assert.truthy(out:find("ok capture: %d+ packets, both directions, no bad checksum, nothing malformed"), out)
  assert.truthy(out:find("ok handles closed", 1, true), out)
end

describe("the Linux kernel through a TUN device", function()
  it("takes a 1 MiB upload from synack, byte-exact (v4, v6)", function()
    run("kernel_upload.lua", {"ok uploaded 1 MiB to a kernel sink over IPv%s byte-exact"})
  end)

  it("negotiates MSS, window scale, SACK and timestamps with synack, both ways (v4, v6)", function()
    run("kernel_options.lua", {
      "ok IPv%s client: MSS 1300/14", "ok IPv%s server: MSS 14",
    })
  end)

  it("closes in both orders, synack as client and as server (v4, v6)", function()
    run("kernel_close.lua", {
      "ok IPv%s synack client closes first:", "ok IPv%s synack server closes first:",
      "ok IPv%s kernel closes first, synack client:", "ok IPv%s kernel closes first, synack server:",
    })
  end)

  it("reports a RST from either side (v4, v6)", function()
    run("kernel_reset.lua", {
      "ok IPv%s kernel aborts, synack client:", "ok IPv%s kernel aborts, synack server:",
      "ok IPv%s synack client aborts:", "ok IPv%s synack server aborts:",
    })
  end)
end)
