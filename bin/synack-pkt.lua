--- The driver of bin/synack-pkt: parse the command line, run each script
-- through synack.pkt, print one verdict per script and the totals.
local pkt = require "synack.pkt"

local USAGE = "usage: synack-pkt [--target synack] [--tolerance-usecs N] FILE..."

--- The options and files of argv, or nil and a message.
local function parse_args(argv)
  local opts, files = {target = "synack"}, {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local key, val = a:match("^%-%-([%w_-]+)=(.*)$")
    key = key or a:match("^%-%-([%w_-]+)$")
    if key == "help" or a == "-h" then return nil, USAGE end
    if key then
      if not val then
        i = i + 1
        val = argv[i]
      end
      if val == nil then return nil, "synack-pkt: --" .. key .. " needs a value\n" .. USAGE end
      if key == "target" then
        opts.target = val
      elseif key == "tolerance-usecs" or key == "tolerance_usecs" then
        opts.tolerance_usecs = tonumber(val)
        if not opts.tolerance_usecs then return nil, "synack-pkt: --tolerance-usecs needs a number" end
      else
        return nil, "synack-pkt: unknown option --" .. key .. "\n" .. USAGE
      end
    else
      files[#files + 1] = a
    end
    i = i + 1
  end
  if #files == 0 then return nil, USAGE end
  return opts, files
end

local function main(argv)
  local opts, files = parse_args(argv)
  if not opts then
    io.stderr:write(files, "\n")
    return 2
  end
  if opts.target == "kernel" then
    io.stderr:write("synack-pkt: target kernel is not available yet (it will run scripts against the Linux ",
      "kernel through a TUN device); use --target synack\n")
    return 2
  elseif opts.target ~= "synack" then
    io.stderr:write("synack-pkt: unknown target '", opts.target, "' (synack; kernel is not available yet)\n")
    return 2
  end
  local passed, failed = 0, 0
  for _, file in ipairs(files) do
    local ok, msg = pkt.run_file(file, opts)
    if ok then
      passed = passed + 1
      print("ok " .. file)
    else
      failed = failed + 1
      print("FAIL " .. file)
      print((msg:gsub("^", "  "):gsub("\n", "\n  ")))
    end
  end
  print(string.format("%d passed, %d failed", passed, failed))
  return failed == 0 and 0 or 1
end

os.exit(main(arg))
