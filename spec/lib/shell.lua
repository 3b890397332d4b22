--- spec/lib/shell.lua: what specs that run commands share (loaded with
-- dofile: it is not a spec itself).
--
--   local shell = dofile(here .. "/spec/lib/shell.lua")
--   shell.here            the repository's root
--   shell.quote(s)        s quoted for sh
--   shell.run(cmd)        runs cmd in the repository: its output (stdout and
--                         stderr together) and its exit status
--   shell.read(path)      the contents of a file of the repository
--   shell.synack_env()    "env LUA=... [SYNACK_BUILD=...]": bin/synack with
--                         the interpreter and build the specs run with
local M = {}

M.here = (debug.getinfo(1, "S").source:match("^@(.*)/spec/lib/[^/]*$")) or "."

function M.quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

function M.run(cmd)
  local p = io.popen("cd " .. M.quote(M.here) .. " && { " .. cmd .. " ; } 2>&1; echo \"exit=$?\"")
  local out = p:read("*a")
  p:close()
  local status = tonumber(out:match("exit=(%d+)%s*$"))
  return (out:gsub("exit=%d+%s*$", "")), status
end

function M.read(path)
  local f = assert(io.open(M.here .. "/" .. path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function M.synack_env()
  local build = os.getenv("SYNACK_BUILD")
  return "env LUA=" .. M.quote(os.getenv("LUA") or "lua5.4")
    .. (build and (" SYNACK_BUILD=" .. M.quote(build)) or "")
end

return M
