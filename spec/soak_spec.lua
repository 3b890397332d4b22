-- A short soak (tools/soak.lua; `make soak` runs the long one): connections
-- over randomly impaired wires, byte-exact, all closed, no object left.
local soak = assert(loadfile("tools/soak.lua"))("lib")

describe("soak", function()
  for _, seed in ipairs{1, 2} do
    it("carries 120 connections byte-exact over random impairments (seed " .. seed .. ")", function()
      local t0 = os.clock()
      local r = soak.run{conns = 120, seed = seed, lanes = 4, active = 32}
      soak.objects_left(r) -- once run() has returned, nothing of it holds the objects
      assert.same({}, r.failures)
      assert.equal(120, r.exact)
      assert.equal(0, r.leftover, "connections still held by the hosts")
      assert.equal(0, r.objects_left, "connection objects not collected")
      assert.is_true(r.max_active <= 32)
      assert.is_true(r.virtual < 3600, "took " .. r.virtual .. " s of virtual time")
      assert.is_true(os.clock() - t0 < 30, "took " .. (os.clock() - t0) .. " s of CPU")
      assert.is_true(r.ok)
    end)
  end
end)
