-- busted's TAP and JUnit output handlers on a synack spec (docs/testing.md,
-- "Test reports for CI"): bin/synack runs busted on spec/segment_spec.lua in
-- a subprocess with `-o junit` (on stdout, and into a file with -Xoutput) and
-- with `-o TAP`, and the reports must count every test of the file (as
-- `busted --list` counts them) and no failure or error.

local here = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
local shell = dofile(here .. "/spec/lib/shell.lua")
local q, run = shell.quote, shell.run
local SPEC = "spec/segment_spec.lua"

--- bin/synack running busted with `args`.
local function busted(args)
  local p = io.popen("command -v busted")
  local path = p:read("*l")
  p:close()
  assert(path and path ~= "", "busted is not on PATH")
  return run(shell.synack_env() .. " bin/synack " .. q(path) .. " " .. args)
end

--- An attribute of the first element `tag` of an XML text, as a number.
local function attr(xml, tag, name)
  local head = xml:match("<" .. tag .. "%s([^>]*)>")
  assert(head, "no <" .. tag .. "> in:\n" .. xml)
  return tonumber(head:match(name .. "%s*=%s*['\"]([^'\"]*)['\"]"))
end

describe("busted's report formats on a synack spec", function()
  local expected

  setup(function()
    local out, status = busted("--list " .. SPEC)
    assert.equal(0, status, out)
    expected = 0
    for line in out:gmatch("[^\n]+") do
      if line:find(SPEC, 1, true) == 1 then expected = expected + 1 end
    end
    assert(expected > 0, "busted --list found no test in " .. SPEC .. ":\n" .. out)
  end)

  local function check_junit(xml)
    assert.equal(expected, attr(xml, "testsuites", "tests"))
    assert.equal(0, attr(xml, "testsuites", "failures"))
    assert.equal(0, attr(xml, "testsuites", "errors"))
    local cases = 0
    for _ in xml:gmatch("<testcase%s") do cases = cases + 1 end
    assert.equal(expected, cases)
    assert.is_nil(xml:find("<failure", 1, true))
    assert.is_nil(xml:find("<error", 1, true))
  end

  it("writes JUnit XML on stdout (-o junit)", function()
    local out, status = busted("-o junit " .. SPEC)
    assert.equal(0, status, out)
    check_junit(out)
  end)

  it("writes JUnit XML into a file (-o junit -Xoutput FILE)", function()
    local file = os.tmpname()
    local out, status = busted("-o junit -Xoutput " .. q(file) .. " " .. SPEC)
    assert.equal(0, status, out)
    local f = assert(io.open(file, "rb"))
    local xml = f:read("*a")
    f:close()
    os.remove(file)
    check_junit(xml)
  end)

  it("writes TAP (-o TAP)", function()
    local out, status = busted("-o TAP " .. SPEC)
    assert.equal(0, status, out)
    assert.equal(expected, tonumber(out:match("\n1%.%.(%d+)") or out:match("^1%.%.(%d+)")))
    local ok = 0
    for line in out:gmatch("[^\n]+") do
      if line:match("^ok %d+ ") then ok = ok + 1 end
      assert.is_nil(line:match("^not ok"), line)
    end
    assert.equal(expected, ok)
  end)
end)
