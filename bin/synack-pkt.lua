--- The driver of bin/synack-pkt: parse the command line, run each script
-- through synack.pkt, print one verdict per script and the totals.
local pkt = require "synack.pkt"
local lang = require "synack.pkt_lang"

local USAGE = "usage: synack-pkt [--target synack|kernel] [--ip-version ipv4|ipv6] [--mtu N]"
  .. " [--tolerance-usecs N] [--tolerance-percent P] FILE..."

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
      elseif key == "ip-version" or key == "ip_version" then
        opts.ip_version = val -- checked with the MTU below
      elseif key == "mtu" then
        opts.mtu = tonumber(val)
        if not opts.mtu then return nil, "synack-pkt: --mtu needs a number" end
      elseif key == "tolerance-usecs" or key == "tolerance_usecs" or key == "tolerance-percent"
          or key == "tolerance_percent" then
        local field = key:gsub("-", "_")
        opts[field] = tonumber(val)
        if not opts[field] or opts[field] < 0 then return nil, "synack-pkt: --" .. key .. " needs a number >= 0" end
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
  local ip, bad = lang.ip(opts)
  if not ip then
    io.stderr:write("synack-pkt: ", bad, "\n")
    return 2
  end
  if opts.target == "kernel" then
    local ok, why = pkt.kernel_available()
    if not ok then
      io.stderr:write("synack-pkt: the kernel target is not available here: ", why, "\n")
      return 2
    end
  elseif opts.target ~= "synack" then
    io.stderr:write("synack-pkt: unknown target '", opts.target, "' (synack or kernel)\n")
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
